"""The recurrence at one layer and time step, term by term, for the time scrubber.

A learner who scrubs to step t sees the equation the cell computes there and
the actual vectors that go into it: for a vanilla RNN, how much of the new
state comes from the past (W_hh h_{t-1}) and how much from the input
(W_xh x_t); for an LSTM what the gates let through; for a GRU how much of the
old state is kept. The vectors are recomputed from the model's own weights on
the probe sequence, and they add up to the hidden state the model really has
there (the tests check it against the probe to 1e-5).

Torch's conventions throughout: W_xh is ``weight_ih``, the bias b is
``bias_ih + bias_hh``, the gates are stacked i, f, g, o (LSTM) and r, z, n (GRU).
Only the first (forward) direction of a bidirectional layer is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from playground.core.errors import PlaygroundError
from playground.core.model.cells import trace_recurrent
from playground.core.model.nets import SequenceModel

RNN_EQUATION = "h_t = {act}(W_hh h_{{t-1}} + W_xh x_t + b)"
LSTM_EQUATIONS = (
    "i = σ(W_xi x_t + W_hi h_{t-1} + b_i)",
    "f = σ(W_xf x_t + W_hf h_{t-1} + b_f)",
    "g = tanh(W_xg x_t + W_hg h_{t-1} + b_g)",
    "o = σ(W_xo x_t + W_ho h_{t-1} + b_o)",
    "c_t = f ⊙ c_{t-1} + i ⊙ g",
    "h_t = o ⊙ tanh(c_t)",
)
GRU_EQUATIONS = (
    "r = σ(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr)",
    "z = σ(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz)",
    "n = tanh(W_xn x_t + b_xn + r ⊙ (W_hn h_{t-1} + b_hn))",
    "h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}",
)


def _f64(t: torch.Tensor) -> torch.Tensor:
    """On the CPU in float64 (which not every device has): the terms then add up to rounding."""
    return t.detach().cpu().double()


def recurrence_terms(model: SequenceModel, probe_input_x: torch.Tensor, layer: int, t: int) -> dict[str, Any]:
    """The terms of the recurrence at ``layer`` and step ``t`` for a probe input x (1, T) or (1, T, 1).

    Returns a flat dict. Strings: "arch" ("rnn", "lstm", "gru"), "equation" (the state update,
    lines joined by newlines), "equations" (list: every line, gates included), "order" (list: the
    vector names in the order to show them). Ints: "layer", "t". Every other key is a float32
    vector (numpy) of the layer's input size ("x_t") or hidden size H (all the others):

    * rnn: "x_t", "h_prev", "W_hh h_prev", "W_xh x_t", "b", "pre", "h_t"
      (pre = W_hh h_prev + W_xh x_t + b, h_t = act(pre); "activation" names act);
    * lstm: "x_t", "h_prev", "c_prev", "pre_i", "pre_f", "pre_g", "pre_o", "i", "f", "g", "o",
      "c_t", "h_t";
    * gru: "x_t", "h_prev", "pre_r", "pre_z", "W_hn h_prev + b_hn", "pre_n", "r", "z", "n", "h_t"
      (pre_n = W_xn x_t + b_xn + r ⊙ (W_hn h_prev + b_hn)).
    """
    core, e = _encoded(model, probe_input_x, layer)
    n_t = e.shape[1]
    if not 0 <= t < n_t:
        raise PlaygroundError(f"time step {t} is outside the probe sequence (0 to {n_t - 1})")
    with torch.no_grad():
        # Going forward, steps after t cannot change h_t; a bidirectional layer below reads them all.
        trace = trace_recurrent(core, e if core.bidirectional else e[:, : t + 1])
        return _terms(core, _LayerWeights.of(core, layer), e, trace, layer, t)


def recurrence_terms_all(
    model: SequenceModel, probe_input_x: torch.Tensor, layer: int
) -> list[dict[str, Any]]:
    """``recurrence_terms`` at every time step of the probe input, from one run of the sequence."""
    core, e = _encoded(model, probe_input_x, layer)
    with torch.no_grad():
        trace = trace_recurrent(core, e)
        weights = _LayerWeights.of(core, layer)
        return [_terms(core, weights, e, trace, layer, t) for t in range(e.shape[1])]


def _encoded(model: SequenceModel, x: torch.Tensor, layer: int) -> tuple[torch.nn.RNNBase, torch.Tensor]:
    """The recurrent core and the encoded input (1, T, E), refusing what has no recurrence to show."""
    if not model.recurrent:
        raise PlaygroundError(
            f"the {model.cfg.arch} model has no recurrence to show: its equations are not "
            "h_t = f(h_{t-1}, x_t); choose an RNN, LSTM or GRU"
        )
    core = model.core
    if not 0 <= layer < core.num_layers:
        raise PlaygroundError(
            f"layer {layer} does not exist: the model has layers 0 to {core.num_layers - 1}"
        )
    with torch.no_grad():
        return core, model.encode(x.to(next(model.parameters()).device))


@dataclass(frozen=True)
class _LayerWeights:
    """One layer's forward-direction weights in float64 on the CPU; biases zero when the layer has none."""

    w_ih: torch.Tensor  # (G*H, I)
    w_hh: torch.Tensor  # (G*H, H)
    b_ih: torch.Tensor  # (G*H,)
    b_hh: torch.Tensor  # (G*H,)

    @classmethod
    def of(cls, core: torch.nn.RNNBase, layer: int) -> _LayerWeights:
        w_ih = _f64(getattr(core, f"weight_ih_l{layer}"))
        w_hh = _f64(getattr(core, f"weight_hh_l{layer}"))
        if core.bias:
            return cls(
                w_ih, w_hh, _f64(getattr(core, f"bias_ih_l{layer}")), _f64(getattr(core, f"bias_hh_l{layer}"))
            )
        zeros = w_ih.new_zeros(w_ih.shape[0])
        return cls(w_ih, w_hh, zeros, zeros)


def _terms(
    core: torch.nn.RNNBase, w: _LayerWeights, e: torch.Tensor, trace, layer: int, t: int
) -> dict[str, Any]:
    h_size = core.hidden_size
    layer_in = e if layer == 0 else trace.layers[layer - 1].output  # (1, T', I): what the layer reads
    x_t = _f64(layer_in[0, t])
    h_prev = _f64(trace.layers[layer].h[0][t - 1][0]) if t > 0 else x_t.new_zeros(h_size)
    from_x = w.w_ih @ x_t  # (G*H,)
    from_h = w.w_hh @ h_prev  # (G*H,)

    vec: dict[str, torch.Tensor] = {"x_t": x_t, "h_prev": h_prev}
    extra: dict[str, Any] = {}
    if isinstance(core, torch.nn.LSTM):
        arch = "lstm"
        c_prev = _f64(trace.layers[layer].c[0][t - 1][0]) if t > 0 else h_prev.new_zeros(h_size)
        pre_i, pre_f, pre_g, pre_o = (from_x + w.b_ih + from_h + w.b_hh).chunk(4)
        i, f, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.sigmoid(pre_o)
        g = torch.tanh(pre_g)
        c_t = f * c_prev + i * g
        h_t = o * torch.tanh(c_t)
        vec.update(
            c_prev=c_prev,
            pre_i=pre_i,
            pre_f=pre_f,
            pre_g=pre_g,
            pre_o=pre_o,
            i=i,
            f=f,
            g=g,
            o=o,
            c_t=c_t,
            h_t=h_t,
        )
        equations = list(LSTM_EQUATIONS)
        equation = "\n".join(LSTM_EQUATIONS[-2:])
    elif isinstance(core, torch.nn.GRU):
        arch = "gru"
        xr, xz, xn = (from_x + w.b_ih).chunk(3)
        hr, hz, hn = (from_h + w.b_hh).chunk(3)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        pre_n = xn + r * hn
        n = torch.tanh(pre_n)
        h_t = (1 - z) * n + z * h_prev
        vec.update(
            {
                "pre_r": xr + hr,
                "pre_z": xz + hz,
                "W_hn h_prev + b_hn": hn,
                "pre_n": pre_n,
                "r": r,
                "z": z,
                "n": n,
                "h_t": h_t,
            }
        )
        equations = list(GRU_EQUATIONS)
        equation = GRU_EQUATIONS[-1]
    else:
        arch = "rnn"
        act_name = core.nonlinearity  # "tanh" or "relu"
        b = w.b_ih + w.b_hh
        pre = from_h + from_x + b
        h_t = torch.tanh(pre) if act_name == "tanh" else torch.relu(pre)
        vec.update({"W_hh h_prev": from_h, "W_xh x_t": from_x, "b": b, "pre": pre, "h_t": h_t})
        equation = RNN_EQUATION.format(act=act_name)
        equations = [equation]
        extra["activation"] = act_name

    result: dict[str, Any] = {k: v.numpy().astype(np.float32) for k, v in vec.items()}
    result.update(
        arch=arch, layer=layer, t=t, equation=equation, equations=equations, order=list(vec), **extra
    )
    return result
