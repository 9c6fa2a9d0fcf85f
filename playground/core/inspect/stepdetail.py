"""What one optimizer step saw and did, for the step debugger.

``Trainer.step(detail=True)`` takes the very same step as ``step()`` (same
batch, same forward, same loss, same update) and keeps what it needs to show
it afterwards: the batch as text or raw values, what the model predicted, the
loss at each time step, how strongly this step's error reached back to each
time step, and how far each weight tensor moved. Everything here is numbers
and strings, safe to hand to another thread.

Nothing in this module draws random numbers, so a step taken with detail is
bit for bit the step taken without it.
"""

from __future__ import annotations

import numpy as np
import torch

from playground.core.data.adding import KIND as ADDING
from playground.core.inspect.reports import StepDetail  # noqa: F401 (made here, defined there: torch-free)
from playground.core.model.cells import trace_recurrent
from playground.core.model.nets import SequenceModel

SHOWN_ROWS = 8  # sequences of the batch the debugger shows; the numbers cover the whole batch


def format_value(v: float) -> str:
    """A price as the debugger shows it: two decimals, or three significant digits when tiny or huge."""
    v = float(v)
    if v == 0 or 0.01 <= abs(v) < 1e7:
        return f"{v:.2f}"
    return f"{v:.3g}"


def loss_per_step(task, out: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """The task's own loss at each time step, averaged over the batch: (T,), or (1,) for one output."""
    with torch.no_grad():
        if out.dim() == 3:  # (B, T, V): an output at every step
            parts = [task.loss(out[:, t : t + 1], y[:, t : t + 1]) for t in range(out.shape[1])]
            return torch.stack(parts).float().cpu().numpy()
        return task.loss(out, y).reshape(1).float().cpu().numpy()


def grad_through_time(
    model: SequenceModel, task, x: torch.Tensor, y: torch.Tensor, tbptt: int = 0
) -> np.ndarray:
    """||dL/dh_t|| (T,) of the batch loss w.r.t. the top recurrent layer's hidden state h_t.

    A total derivative, reaching h_t through the output at t AND through every later step,
    which the fused layer does not expose: so the batch is re-run through the step-by-step
    cells with the same weights (before the update), cut into the same truncated-BPTT chunks
    as the step. Norm over the batch and the features (directions together). Inter-layer
    dropout is not replayed, and no random number is drawn. Recurrent models only.
    """
    core = model.core
    with torch.enable_grad():
        e = model.encode(x)  # (B, T, E)
        n_t = e.shape[1]
        k = tbptt if 0 < tbptt < n_t else n_t
        watched: list[tuple[int, torch.Tensor]] = []  # (time step, h of the top layer)

        def watch(trace, offset: int) -> None:
            for hs in trace.layers[-1].h:  # one list per direction, in input order
                watched.extend((offset + i, h) for i, h in enumerate(hs))

        if model.many_to_many:
            total: torch.Tensor | None = None
            state = None
            for s in range(0, n_t, k):
                trace = trace_recurrent(core, e[:, s : s + k], state)
                out = model.readout(trace.output)
                part = task.loss(out, y[:, s : s + k]) * (out.shape[1] / n_t)
                total = part if total is None else total + part
                watch(trace, s)
                state = _detached_state(trace)
        else:  # many-to-one: only the last k steps carry gradient, earlier ones just set the state
            start = n_t - k
            state = None
            if start > 0:
                with torch.no_grad():
                    state = _detached_state(trace_recurrent(core, e[:, :start]))
            trace = trace_recurrent(core, e[:, start:], state)
            total = task.loss(model.readout(trace.output), y)
            watch(trace, start)
        grads = torch.autograd.grad(total, [h for _, h in watched], allow_unused=True)
    sq = torch.zeros(n_t, dtype=torch.float32, device=e.device)  # summed on the device: one copy back
    for (t, _), g in zip(watched, grads):
        if g is not None:
            sq[t] += g.float().pow(2).sum()
    return sq.sqrt().cpu().numpy()


def _detached_state(trace):
    """A trace's final state as torch's h0 (LSTM: (h0, c0)), cut from the graph like the step's chunks."""
    if trace.c_n is not None:
        return trace.h_n.detach(), trace.c_n.detach()
    return trace.h_n.detach()


def feature_grad_norms(g: torch.Tensor | None, n_t: int) -> np.ndarray:
    """(T,) norm over batch and features of a retained (B, T, F) gradient; zeros where none arrived."""
    if g is None:
        return np.zeros(n_t, np.float32)
    return g.detach().float().pow(2).sum(dim=(0, 2)).sqrt().cpu().numpy()


def decode_batch(
    task,
    x: torch.Tensor,
    y: torch.Tensor,
    out: torch.Tensor,
    batch_rng: torch.Tensor | None,
    rows: int = SHOWN_ROWS,
) -> tuple[list[list[str]], list[list[str]], list[list[str]], np.ndarray | None]:
    """(inputs, targets, predictions, target_prob) for the first ``rows`` sequences of a batch.

    Characters and tokens are shown as on the probe's time axis; memory and order sequences have
    one target each, their class (answer or sentiment). A price batch is normalized (each window
    relative to its own last value), so its raw values are looked up: ``batch_rng`` is the batch
    generator's state before the batch was drawn, and replaying it names the windows.
    """
    n = min(rows, x.shape[0])
    with torch.no_grad():
        if task.vocab is not None and not task.many_to_many:  # memory, order: one class per sequence
            shown = [task.label(tok) for tok in task.vocab]
            probs = torch.softmax(out[:n].float(), dim=-1)  # (S, C)
            pred = probs.argmax(dim=-1).cpu().tolist()
            target_prob = probs.gather(-1, y[:n, None]).cpu().numpy().astype(np.float32)  # (S, 1)
            inputs = [[shown[i] for i in row] for row in x[:n].cpu().tolist()]
            targets = [[task.classes[i]] for i in y[:n].cpu().tolist()]
            predictions = [[task.classes[i]] for i in pred]
            return inputs, targets, predictions, target_prob
        if task.vocab is not None:
            vocab = task.vocab
            shown = [task.label(ch) for ch in vocab]
            xs = x[:n].cpu().tolist()
            ys = y[:n].cpu().tolist()
            logits = out[:n].float()  # (S, T, V)
            probs = torch.softmax(logits, dim=-1)
            pred = probs.argmax(dim=-1).cpu().tolist()
            target_prob = probs.gather(-1, y[:n, :, None])[..., 0].cpu().numpy().astype(np.float32)
            inputs = [[shown[i] for i in row] for row in xs]
            targets = [[shown[i] for i in row] for row in ys]
            predictions = [[shown[i] for i in row] for row in pred]
            return inputs, targets, predictions, target_prob
        if task.kind == ADDING:  # (value, marker) pairs, the marked values starred; the sum, answered
            pairs = x[:n].float().cpu().numpy()
            inputs = [[f"{v:.2f}*" if m else f"{v:.2f}" for v, m in row] for row in pairs]
            targets = [[f"{float(t):.3f}"] for t in y[:n].reshape(-1).cpu().tolist()]
            predictions = [[f"{float(p):.3f}"] for p in out[:n].reshape(-1).float().cpu().tolist()]
            return inputs, targets, predictions, None
        delta = out[:n].reshape(-1).float().cpu().numpy().astype(np.float64)  # predicted scaled changes (S,)
    if batch_rng is None:
        raise ValueError("a price batch needs the batch generator's state to show raw values")
    gen = torch.Generator()
    gen.set_state(batch_rng)
    idx = task.sample_indices(x.shape[0], gen)[:n]
    raw_in, raw_target = task.window_values(idx.numpy())
    predicted = task.normalizer.decode_delta(raw_in[:, -1], delta)
    inputs = [[format_value(v) for v in row] for row in raw_in]
    targets = [[format_value(v)] for v in raw_target]
    predictions = [[format_value(v)] for v in np.atleast_1d(predicted)]
    return inputs, targets, predictions, None
