"""Look inside the model on one probe sequence.

Training runs fused layers that hide the hidden states of every layer and
time step. To show them, the probe re-runs one sequence through the
step-by-step cells (``cells.py``) with the model's own weights, and asks
autograd for ||dL/dh_t||: how strongly the error of the *last* prediction
reaches back to the hidden state at each earlier time step. When that curve
falls off by orders of magnitude towards t = 0, the gradient vanishes and the
model cannot learn long-range dependencies; when it grows, it explodes.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from playground.core.inspect.reports import Probe
from playground.core.model.cells import trace_recurrent
from playground.core.model.nets import SequenceModel

TOP_K = 5  # next-character candidates the probe keeps per time step
CONNECTIVITY_ROWS = 64  # copies of the sequence per backward pass in connectivity(): bounds memory


def _norm_rows(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    if g is None:  # an h_t the loss does not depend on (e.g. after the last output)
        return torch.zeros(like.shape[0], device=like.device)
    return g.reshape(g.shape[0], -1).norm(dim=1)


def run_probe(model: SequenceModel, task, x: torch.Tensor, y: torch.Tensor, labels: list[str]) -> Probe:
    """Hidden states, gates and gradients through time for one sequence: x (1, T), y (1, T) or (1, 1)."""
    was_training = model.training
    model.eval()  # dropout off: we want to see the model itself, not one noisy draw of it
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    try:
        with torch.enable_grad():
            e = model.encode(x)
            if not e.requires_grad:  # raw values: make the inputs themselves differentiable
                e = e.detach().requires_grad_(True)
            gates: dict[str, np.ndarray] = {}
            if model.recurrent:
                trace = trace_recurrent(model.core, e)
                feats = trace.output
                watched = [[h for d in layer.h for h in d] for layer in trace.layers]
                n_t = e.shape[1]
                for name in trace.layers[0].gates:
                    gates[name] = np.stack(
                        [layer.gates[name][0].detach().cpu().numpy() for layer in trace.layers]
                    )
            else:
                feats, _, layer_outs = model.features(e)
                watched = [[z] for z in layer_outs]
                n_t = e.shape[1]
            out = model.readout(feats)
            last_loss = task.loss(out[:, -1:], y[:, -1:]) if model.many_to_many else task.loss(out, y)
            flat = [h for layer in watched for h in layer]
            *grads, g_in = torch.autograd.grad(last_loss, [*flat, e], allow_unused=True)

        hidden, gnorm, gnorm_dirs = [], [], []
        k = 0
        for layer in watched:
            layer_grads = grads[k : k + len(layer)]
            k += len(layer)
            if model.recurrent:
                dirs = len(layer) // n_t
                # h[d][t] lists in direction-major order: stack to (D, T, H)
                hs = torch.stack([torch.stack(layer[d * n_t : (d + 1) * n_t]) for d in range(dirs)])
                sq = torch.zeros(dirs, n_t, device=device)  # (D, T)
                for i, g in enumerate(layer_grads):
                    sq[i // n_t, i % n_t] += _norm_rows(g, layer[i])[0] ** 2
                hidden.append(torch.cat(list(hs[:, :, 0]), dim=-1).detach().cpu().numpy())  # (T, D*H)
                gnorm.append(sq.sum(dim=0).sqrt().cpu().numpy())
                gnorm_dirs.append(sq.sqrt().cpu().numpy())
            else:
                z, g = layer[0], layer_grads[0]
                hidden.append(z[0].detach().cpu().numpy())
                gnorm.append(
                    np.zeros(n_t, np.float32) if g is None else g[0].norm(dim=-1).detach().cpu().numpy()
                )

        target_prob = predicted = top_k = answers = target_value = None
        with torch.no_grad():
            if model.many_to_many:
                p = torch.softmax(out[0].float(), dim=-1)  # (T, V)
                target_prob = p.gather(1, y[0][:, None])[:, 0].cpu().numpy()
                predicted = p.argmax(dim=-1).cpu().numpy()
                values, ids = torch.topk(p, min(TOP_K, p.shape[-1]), dim=-1)  # (T, K) each
                vocab = task.vocab
                top_k = [
                    [(vocab[i], v) for i, v in zip(row_ids, row_values)]
                    for row_ids, row_values in zip(ids.cpu().tolist(), values.cpu().tolist())
                ]
            elif task.classes is not None:
                p = torch.softmax(out[0].float(), dim=-1)  # (C,)
                target_prob = p[y.reshape(-1)[:1]].cpu().numpy()
                predicted = p.argmax(dim=-1, keepdim=True).cpu().numpy()
                ranked = torch.argsort(p, descending=True).cpu().tolist()
                answers = [(task.classes[i], float(p[i])) for i in ranked]
            else:
                predicted = out[0].detach().cpu().numpy()
                if not hasattr(task, "normalizer"):  # (the adding problem: the answer in the data's units)
                    target_value = float(y.reshape(-1)[0])
        return Probe(
            labels=tuple(labels),
            hidden=np.stack(hidden).astype(np.float32),
            grad_norm=np.stack(gnorm).astype(np.float32),
            gates={k: v.astype(np.float32) for k, v in gates.items()},
            loss=float(last_loss.detach()),
            target_prob=target_prob,
            predicted=predicted,
            input_grad=_norm_rows(None if g_in is None else g_in[0], e[0]).detach().cpu().numpy(),
            top_k=top_k,
            answers=answers,
            grad_norm_dirs=np.stack(gnorm_dirs).astype(np.float32) if gnorm_dirs else None,
            target_value=target_value,
            writes=task.spec.shape == "one-to-many",
        )
    finally:
        model.train(was_training)


def connectivity(model: SequenceModel, task, x: torch.Tensor) -> np.ndarray:
    """How strongly each input moves each prediction ("Visualizing memorization in RNNs", Distill 2019).

    Text and dialogs: C (T, T), C[t, s] = ||d logit of the predicted (most likely) character at t /
    d input embedding at s||; zero for s > t, as no prediction may see the future. Prices: C (1, T),
    C[0, s] = |d predicted change / d input value at s|. Memory and order: C (1, T), C[0, s] =
    ||d logit of the chosen answer / d input embedding at s||. x is (1, T) ids or (1, T, 1) values.

    Each row t only needs the backward pass from one output, so the sequence is copied once per
    row into a batch (rows never interact: no batch statistics anywhere), and a single backward
    pass gives every row at once; the copy for row t is cut after step t. Dropout is off.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = x.to(device)
    # cuDNN's fused RNN refuses a backward pass in eval mode; torch's own kernels do the same maths.
    no_cudnn = (
        torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else contextlib.nullcontext()
    )
    try:
        with torch.enable_grad(), no_cudnn:
            e = model.encode(x).detach()  # (1, T, E)
            n_t = e.shape[1]
            if not model.many_to_many:
                e.requires_grad_(True)
                out = model.readout(model.features(e)[0])  # (1, O)
                if out.shape[-1] > 1:  # classes (memory, order): the logit of the chosen answer
                    out = out.gather(1, out.detach().argmax(dim=-1, keepdim=True))
                (g,) = torch.autograd.grad(out.sum(), e)
                return g[0].norm(dim=-1)[None].float().cpu().numpy()  # (1, T)
            rows = torch.zeros(n_t, n_t, dtype=torch.float32, device=device)
            for a in range(0, n_t, CONNECTIVITY_ROWS):
                b = min(n_t, a + CONNECTIVITY_ROWS)
                # Rows a..b-1; row t's prediction depends on inputs 0..t only, so b steps suffice.
                batch = e[:, :b].expand(b - a, b, e.shape[-1]).clone().requires_grad_(True)  # (R, b, E)
                out = model.readout(model.features(batch)[0])  # (R, b, V)
                r = torch.arange(b - a, device=device)
                at_t = out[r, r + a]  # (R, V): row i's output at its own step t = a + i
                chosen = at_t.gather(1, at_t.detach().argmax(dim=-1, keepdim=True)).sum()
                (g,) = torch.autograd.grad(chosen, batch)
                rows[a:b, :b] = g.norm(dim=-1).float()
            return rows.cpu().numpy()
    finally:
        model.train(was_training)
