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

from dataclasses import dataclass, field

import numpy as np
import torch

from playground.core.cells import trace_recurrent
from playground.core.nets import SequenceModel


@dataclass(frozen=True)
class Probe:
    """Numbers only (numpy arrays), safe to hand to another thread."""

    labels: tuple[str, ...]  # the input at each time step, as shown on a time axis (T)
    hidden: np.ndarray  # (L, T, F) hidden state per layer and time step (directions concatenated)
    grad_norm: np.ndarray  # (L, T) ||dL_T/dh_t||: the last prediction's loss against each h_t
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (L, T, F); LSTM i f g o c, GRU r z n
    loss: float = float("nan")  # the last prediction's loss
    target_prob: np.ndarray | None = None  # (T,) probability given to the true next character
    predicted: np.ndarray | None = None  # (T,) most likely next character id; series: (1,) predicted value
    input_grad: np.ndarray | None = (
        None  # (T,) ||dL_T/dx_t||: how much each input step matters to the last prediction
    )


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

        hidden, gnorm = [], []
        k = 0
        for layer in watched:
            layer_grads = grads[k : k + len(layer)]
            k += len(layer)
            if model.recurrent:
                dirs = len(layer) // n_t
                # h[d][t] lists in direction-major order: stack to (D, T, H)
                hs = torch.stack([torch.stack(layer[d * n_t : (d + 1) * n_t]) for d in range(dirs)])
                sq = torch.zeros(n_t, device=device)
                for i, g in enumerate(layer_grads):
                    sq[i % n_t] += _norm_rows(g, layer[i])[0] ** 2
                hidden.append(torch.cat(list(hs[:, :, 0]), dim=-1).detach().cpu().numpy())  # (T, D*H)
                gnorm.append(sq.sqrt().cpu().numpy())
            else:
                z, g = layer[0], layer_grads[0]
                hidden.append(z[0].detach().cpu().numpy())
                gnorm.append(
                    np.zeros(n_t, np.float32) if g is None else g[0].norm(dim=-1).detach().cpu().numpy()
                )

        target_prob = predicted = None
        with torch.no_grad():
            if model.many_to_many:
                p = torch.softmax(out[0].float(), dim=-1)  # (T, V)
                target_prob = p.gather(1, y[0][:, None])[:, 0].cpu().numpy()
                predicted = p.argmax(dim=-1).cpu().numpy()
            else:
                predicted = out[0].detach().cpu().numpy()
        return Probe(
            labels=tuple(labels),
            hidden=np.stack(hidden).astype(np.float32),
            grad_norm=np.stack(gnorm).astype(np.float32),
            gates={k: v.astype(np.float32) for k, v in gates.items()},
            loss=float(last_loss.detach()),
            target_prob=target_prob,
            predicted=predicted,
            input_grad=_norm_rows(None if g_in is None else g_in[0], e[0]).detach().cpu().numpy(),
        )
    finally:
        model.train(was_training)
