"""The recurrence unrolled over the probe sequence, forward and backward (lessons 4 and 5).

A recurrent network applies the same cell at every time step, with the same
weights: unrolled over T steps it is a T-layer deep network whose layers all
share one recurrent matrix W_hh. Backpropagation through time is then the
ordinary backward pass through that deep network, and since W_hh is used at
every step, its gradient is a sum with one term per step::

    dL/dW_hh = sum_t (dL/da_t) h_{t-1}^T      a_t = W_hh h_{t-1} + ... (the pre-activation)

For an LSTM or GRU, a_t is the stacked gate pre-activations' recurrent part
(``W_hh h_{t-1} + b_hh``), and the same sum holds. ``unroll`` re-runs the
probe sequence through the step-by-step cells (``cells.py``) with a zero
"tap" added to each step's ``W_hh h_{t-1} + b_hh``: autograd's gradient to tap
t is dL/da_t, so each step's term is known exactly, and the terms add up to
the gradient the fused layer gives (the tests check it to 1e-5).

No Qt here: the window's Unrolled view draws what this returns.
"""

from __future__ import annotations

import numpy as np
import torch

from playground.core.inspect.reports import Unrolled
from playground.core.model.cells import run_direction
from playground.core.model.nets import SequenceModel

__all__ = ["MAX_STEPS", "NOT_RECURRENT", "Unrolled", "unroll", "unroll_model"]

MAX_STEPS = 100  # longest stretch of a many-to-many probe that is unrolled: one Python loop per step
LOSS_SCOPES = ("last", "mean")
NOT_RECURRENT = (
    "The {arch} has no recurrence to unroll: it does not carry a hidden state h_t from one step to the "
    "next with one shared matrix W_hh. Choose RNN, LSTM or GRU to see the network unrolled through time."
)
_GATE_BLOCKS = {"rnn": "", "lstm": " (4 blocks: gates i, f, g, o)", "gru": " (3 blocks: gates r, z, n)"}


def unroll(trainer, layer: int | None = None, loss_scope: str = "last") -> Unrolled:
    """The trainer's probe sequence unrolled at ``layer`` (None: the top layer)."""
    x, y, labels = trainer._probe_sequence()
    return unroll_model(trainer.model, trainer.task, x, y, labels, layer, loss_scope)


def unroll_model(
    model: SequenceModel,
    task,
    x: torch.Tensor,
    y: torch.Tensor,
    labels,
    layer: int | None = None,
    loss_scope: str = "last",
) -> Unrolled:
    """Forward and backward through one sequence x (1, T) or (1, T, 1), step by step.

    ``loss_scope`` "last": L is the last prediction's loss, as the probe measures ||dL/dh_t||;
    "mean": L is the task's own loss over every target (what training minimises).
    A many-to-many sequence longer than MAX_STEPS is cut to its first MAX_STEPS steps.
    """
    if loss_scope not in LOSS_SCOPES:
        raise ValueError(f"loss_scope must be one of {LOSS_SCOPES}, got {loss_scope!r}")
    arch = model.cfg.arch
    labels = tuple(labels)
    if not model.recurrent:
        empty = np.zeros(0, np.float32)
        return Unrolled(
            labels=labels,
            hidden=np.zeros((0, 0), np.float32),
            step_loss=empty,
            grad_h=empty,
            w_hh_share=empty,
            w_hh_grad=np.zeros((0, 0), np.float32),
            w_hh_norm=float("nan"),
            arch=arch,
            shared=NOT_RECURRENT.format(arch=_arch_name(arch)),
            many_to_many=model.many_to_many,
            probe_steps=len(labels),
        )
    core = model.core
    n_layers = core.num_layers
    layer = n_layers - 1 if layer is None else layer
    if not 0 <= layer < n_layers:
        raise ValueError(f"layer {layer} does not exist: the model has layers 0 to {n_layers - 1}")
    probe_steps = len(labels)
    if model.many_to_many and x.shape[1] > MAX_STEPS:
        x, y, labels = x[:, :MAX_STEPS], y[:, :MAX_STEPS], labels[:MAX_STEPS]

    was_training = model.training
    model.eval()  # no dropout: the model itself, as the probe sees it
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    try:
        with torch.enable_grad():
            out, hs, taps = _forward(model, x, layer)
            step_loss = _step_losses(task, model, out, y, len(hs))
            if model.many_to_many and loss_scope == "last":
                loss = task.loss(out[:, -1:], y[:, -1:])
            else:
                loss = task.loss(out, y)
            grads = torch.autograd.grad(loss, [*hs, *taps], allow_unused=True)
        n_t = len(hs)
        h = torch.stack([s[0] for s in hs]).detach().float()  # (T, H)
        g_h = _rows(grads[:n_t], h)  # (T, H)
        g_a = _rows(grads[n_t:], taps[0][0].detach().expand(n_t, -1))  # (T, G*H) dL/da_t
        h_prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])  # (T, H) h_{t-1}, zeros before the start
        w_grad = g_a.T.double() @ h_prev.double()  # (G*H, H): the sum of the steps' terms
        share = g_a.double().norm(dim=1) * h_prev.double().norm(dim=1)  # ||outer(g, h)|| = ||g|| ||h||
        rows, cols = core.weight_hh_l0.shape
        return Unrolled(
            labels=tuple(labels),
            hidden=h.cpu().numpy().astype(np.float32),
            step_loss=step_loss,
            grad_h=g_h.norm(dim=1).cpu().numpy().astype(np.float32),
            w_hh_share=share.cpu().numpy().astype(np.float32),
            w_hh_grad=w_grad.cpu().numpy().astype(np.float32),
            w_hh_norm=float(w_grad.norm()),
            arch=arch,
            shared=(
                f"W_hh, {rows} × {cols}{_GATE_BLOCKS[arch]}: one matrix, the same at every step"
                + (f", layer {layer + 1}" if n_layers > 1 else "")
            ),
            loss=float(loss.detach()),
            loss_scope=loss_scope,
            many_to_many=model.many_to_many,
            layer=layer,
            n_layers=n_layers,
            bidirectional=bool(core.bidirectional),
            probe_steps=probe_steps,
        )
    finally:
        model.train(was_training)


def _forward(
    model: SequenceModel, x: torch.Tensor, layer: int
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """(outputs, h_t of ``layer``'s forward direction per step, the taps on its W_hh h_{t-1} + b_hh)."""
    core = model.core
    dirs = 2 if core.bidirectional else 1

    def run_layer(z: torch.Tensor, index: int) -> torch.Tensor:  # (1, T, I) -> (1, T, D*H)
        return torch.cat([torch.stack(run_direction(core, z, index, d)[0], dim=1) for d in range(dirs)], -1)

    with torch.no_grad():  # the layers below only set this layer's input: nothing to differentiate
        z = model.encode(x)  # (1, T, E)
        for below in range(layer):
            z = run_layer(z, below)
    n_t = z.shape[1]
    gates_h = core.weight_hh_l0.shape[0]  # G*H
    taps = [z.new_zeros(1, gates_h, requires_grad=True) for _ in range(n_t)]
    hs, _ = run_direction(core, z, layer, 0, gh_taps=taps)
    parts = [torch.stack(hs, dim=1)]  # (1, T, H)
    if dirs == 2:  # the backward direction has its own weights: it is run, not unrolled
        parts.append(torch.stack(run_direction(core, z, layer, 1)[0], dim=1))
    z = torch.cat(parts, dim=-1)
    for above in range(layer + 1, core.num_layers):
        z = run_layer(z, above)
    return model.readout(z), hs, taps


def _step_losses(task, model: SequenceModel, out: torch.Tensor, y: torch.Tensor, n_t: int) -> np.ndarray:
    """The loss at each step (T,): every step for many-to-many; only the last one otherwise (NaN)."""
    with torch.no_grad():
        if model.many_to_many:  # out (1, T, V): a prediction and a target at every step
            parts = [task.loss(out[:, t : t + 1], y[:, t : t + 1]) for t in range(n_t)]
            return torch.stack(parts).float().cpu().numpy()
        losses = np.full(n_t, np.nan, np.float32)
        losses[-1] = float(task.loss(out, y))
        return losses


def _rows(grads, like: torch.Tensor) -> torch.Tensor:
    """Stack per-step gradients (1, F) into (T, F); None (no dependence) reads as zeros."""
    return torch.stack(
        [torch.zeros_like(like[i]) if g is None else g[0].detach().float() for i, g in enumerate(grads)]
    )


def _arch_name(arch: str) -> str:
    return {"transformer": "Transformer", "mlp": "feed-forward network"}.get(arch, arch.upper())
