"""Step-by-step re-run of torch's fused recurrent layers, for inspection.

``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` run the whole sequence in one fused
kernel, so the hidden state of each time step, the gate activations and the
gradient with respect to one ``h_t`` are out of reach. :func:`trace_recurrent`
recomputes the same maths one time step at a time in a Python loop, using the
module's own parameter tensors, so that:

* every ``h_t`` (and LSTM ``c_t``) is a real node of the autograd graph, and
  ``torch.autograd.grad(loss, trace.layers[l].h[d][t])`` gives dLoss/dh_t;
* a backward pass through ``trace.output`` reaches the module's parameters
  (and the input) exactly as one through the fused module would.

It is slow (a Python loop per layer, direction and step) and meant for ONE
probe sequence, never for training. Inter-layer dropout is ignored: the
inspection runs as in eval mode.

The equations follow the torch documentation (``*`` is elementwise)::

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)          act = tanh or relu
    LSTM  i, f, g, o = chunks of (W_ih x + b_ih + W_hh h + b_hh)
          i, f, o = sigmoid(.), g = tanh(.)
          c' = f * c + i * g,  h' = o * tanh(c')
    GRU   r, z = sigmoid(chunks of W_ih x + b_ih + W_hh h + b_hh)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
          h' = (1 - z) * n + z * h
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LayerTrace", "Trace", "run_direction", "trace_recurrent"]

# Gate names, in the order in which their rows are stacked in weight_ih / weight_hh.
_LSTM_GATES = ("i", "f", "g", "o")
_GRU_GATES = ("r", "z", "n")


@dataclass
class LayerTrace:
    """Everything one layer computed for the probe sequence.

    ``h[d][t]`` is the ``(B, H)`` hidden state of direction ``d`` (0 forward,
    1 backward) after reading input step ``t``. ``t`` is always in INPUT order,
    also for the backward direction, which reads the sequence from the end.
    The tensors are part of the autograd graph. ``c`` has the same layout for
    the LSTM cell state and is ``None`` for the other cells. ``gates`` holds
    detached ``(B, T, D*H)`` activations (directions concatenated on the last
    axis, like torch's output): LSTM ``i f g o c``, GRU ``r z n``, RNN none.
    ``output`` is the ``(B, T, D*H)`` layer output, in the graph.
    """

    h: list[list[torch.Tensor]]
    c: list[list[torch.Tensor]] | None
    gates: dict[str, torch.Tensor]
    output: torch.Tensor


@dataclass
class Trace:
    """The step-by-step run of a whole recurrent module.

    ``output`` equals ``module(x)[0]`` in batch-first layout ``(B, T, D*H)``;
    ``h_n`` (``(L*D, B, H)``) and, for an LSTM, ``c_n`` equal torch's.
    """

    layers: list[LayerTrace]
    output: torch.Tensor
    h_n: torch.Tensor
    c_n: torch.Tensor | None


def _cell_kind(module: nn.Module) -> str:
    """Return "rnn_tanh", "rnn_relu", "lstm" or "gru"; refuse anything else."""
    if isinstance(module, nn.LSTM):
        if module.proj_size != 0:
            raise ValueError(
                f"trace_recurrent supports only LSTMs without projection (proj_size=0); "
                f"got proj_size={module.proj_size}"
            )
        return "lstm"
    if isinstance(module, nn.GRU):
        return "gru"
    if isinstance(module, nn.RNN):
        if module.nonlinearity == "tanh":
            return "rnn_tanh"
        if module.nonlinearity == "relu":
            return "rnn_relu"
        raise ValueError(f"unknown RNN nonlinearity {module.nonlinearity!r}")
    raise TypeError(f"trace_recurrent needs an nn.RNN, nn.LSTM or nn.GRU module, got {type(module).__name__}")


def _params(
    module: nn.RNNBase, layer: int, direction: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """The module's own (w_ih, w_hh, b_ih, b_hh) for one layer and direction.

    The very tensors are returned (not copies) so that gradients reach them.
    Biases are ``None`` for a module built with ``bias=False``.
    """
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    w_ih = getattr(module, "weight_ih" + suffix)  # (G*H, I_layer)
    w_hh = getattr(module, "weight_hh" + suffix)  # (G*H, H)
    if module.bias:
        return w_ih, w_hh, getattr(module, "bias_ih" + suffix), getattr(module, "bias_hh" + suffix)
    return w_ih, w_hh, None, None


def _initial_state(
    module: nn.RNNBase, kind: str, h0: object, batch: int, unbatched: bool, like: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Normalise torch-style ``h0`` to ``(L*D, B, H)`` tensors (zeros when None).

    Returns ``(h0, c0)``; ``c0`` is None unless the module is an LSTM.
    """
    num_states = module.num_layers * (2 if module.bidirectional else 1)
    shape = (num_states, batch, module.hidden_size)
    if h0 is None:
        zeros = like.new_zeros(shape)  # (L*D, B, H)
        return zeros, (like.new_zeros(shape) if kind == "lstm" else None)

    if kind == "lstm":
        if not (isinstance(h0, (tuple, list)) and len(h0) == 2):
            raise TypeError("an LSTM needs h0 as a (h0, c0) tuple of tensors")
        states = [h0[0], h0[1]]
    else:
        if not isinstance(h0, torch.Tensor):
            raise TypeError(f"h0 must be a tensor for {type(module).__name__}, got {type(h0).__name__}")
        states = [h0]

    fixed: list[torch.Tensor] = []
    for name, state in zip(("h0", "c0"), states, strict=False):
        if not isinstance(state, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got {type(state).__name__}")
        if unbatched:
            if state.dim() != 2:
                raise ValueError(
                    f"{name} must be 2-D (L*D, H) for an unbatched input, got {tuple(state.shape)}"
                )
            state_3d = state.unsqueeze(1)  # (L*D, 1, H)
        else:
            state_3d = state  # (L*D, B, H)
        if tuple(state_3d.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(state_3d.shape)}")
        fixed.append(state_3d)
    return fixed[0], (fixed[1] if kind == "lstm" else None)


def _run_direction(
    kind: str,
    gi: torch.Tensor,
    w_hh: torch.Tensor,
    b_hh: torch.Tensor | None,
    h: torch.Tensor,
    c: torch.Tensor | None,
    reverse: bool,
    gh_taps: list[torch.Tensor] | None = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor] | None, dict[str, list[torch.Tensor]]]:
    """Run one direction of one layer, one time step at a time.

    ``gi`` is the precomputed input projection ``W_ih x + b_ih`` for every step
    (it does not depend on h). Returns per-step hidden states, cell states (LSTM)
    and gate activations, all indexed in input order.

    ``gh_taps``, when given, holds one zero tensor (B, G*H) per step (input order),
    added to that step's ``W_hh h + b_hh``: the values do not change, and autograd's
    gradient to tap t is dL/d(W_hh h_{t-1} + b_hh) at step t, whose outer product
    with h_{t-1} is step t's term of dL/dW_hh (``unroll.py``).
    """
    steps = gi.shape[1]
    hs: list[torch.Tensor | None] = [None] * steps
    cs: list[torch.Tensor | None] | None = [None] * steps if kind == "lstm" else None
    names: tuple[str, ...] = ()
    if kind == "lstm":
        names = (*_LSTM_GATES, "c")
    elif kind == "gru":
        names = _GRU_GATES
    gates: dict[str, list[torch.Tensor | None]] = {name: [None] * steps for name in names}

    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        gh = F.linear(h, w_hh, b_hh)  # (B, G*H)
        if gh_taps is not None:
            gh = gh + gh_taps[t]
        x_part = gi[:, t]  # (B, G*H)
        if kind == "rnn_tanh":
            h = torch.tanh(x_part + gh)  # (B, H)
        elif kind == "rnn_relu":
            h = torch.relu(x_part + gh)  # (B, H)
        elif kind == "lstm":
            pre_i, pre_f, pre_g, pre_o = (x_part + gh).chunk(4, dim=-1)  # 4 x (B, H)
            i_t, f_t = torch.sigmoid(pre_i), torch.sigmoid(pre_f)
            g_t, o_t = torch.tanh(pre_g), torch.sigmoid(pre_o)
            c = f_t * c + i_t * g_t  # (B, H)
            h = o_t * torch.tanh(c)  # (B, H)
            cs[t] = c
            for name, value in zip(names, (i_t, f_t, g_t, o_t, c), strict=True):
                gates[name][t] = value.detach()
        else:  # gru
            xr, xz, xn = x_part.chunk(3, dim=-1)  # 3 x (B, H)
            hr, hz, hn = gh.chunk(3, dim=-1)  # 3 x (B, H)
            r_t = torch.sigmoid(xr + hr)
            z_t = torch.sigmoid(xz + hz)
            n_t = torch.tanh(xn + r_t * hn)  # the reset gate scales W_hn h + b_hn
            h = (1 - z_t) * n_t + z_t * h  # (B, H)
            for name, value in zip(_GRU_GATES, (r_t, z_t, n_t), strict=True):
                gates[name][t] = value.detach()
        hs[t] = h
    return hs, cs, gates  # type: ignore[return-value]


def trace_recurrent(module: nn.RNNBase, x: torch.Tensor, h0: object = None) -> Trace:
    """Re-run ``module`` on ``x`` step by step and record every intermediate.

    x is (B, T, I) if module.batch_first else (T, B, I); also accept an
    unbatched (T, I) and treat it as B=1. h0 like torch: (L*D, B, H) tensor, or
    for LSTM a (h0, c0) tuple, or None for zeros ((L*D, H) for unbatched x).
    Ignores inter-layer dropout (inspection runs in eval mode). Output is always
    returned batch_first (B, T, ...); an unbatched input gives B=1.
    """
    kind = _cell_kind(module)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    if x.dim() == 2:
        unbatched = True
        seq = x.unsqueeze(0)  # (1, T, I)
    elif x.dim() == 3:
        unbatched = False
        seq = x if module.batch_first else x.transpose(0, 1)  # (B, T, I)
    else:
        raise ValueError(f"x must be 2-D (T, I) or 3-D, got shape {tuple(x.shape)}")
    batch, steps, features = seq.shape
    if features != module.input_size:
        raise ValueError(f"x has {features} features per step but the module expects {module.input_size}")
    if steps == 0:
        raise ValueError("x has no time steps")

    num_dirs = 2 if module.bidirectional else 1
    h_init, c_init = _initial_state(module, kind, h0, batch, unbatched, seq)  # (L*D, B, H) each

    layers: list[LayerTrace] = []
    h_finals: list[torch.Tensor] = []
    c_finals: list[torch.Tensor] = []
    layer_in = seq  # (B, T, I) for layer 0, (B, T, D*H) after
    for layer in range(module.num_layers):
        hs_dirs: list[list[torch.Tensor]] = []
        cs_dirs: list[list[torch.Tensor]] = []
        gate_dirs: list[dict[str, list[torch.Tensor]]] = []
        for direction in range(num_dirs):
            w_ih, w_hh, b_ih, b_hh = _params(module, layer, direction)
            gi = F.linear(layer_in, w_ih, b_ih)  # (B, T, G*H): input part of every step at once
            index = layer * num_dirs + direction  # torch's ordering of h_n / c_n
            c_start = c_init[index] if c_init is not None else None  # (B, H)
            hs, cs, gates = _run_direction(
                kind, gi, w_hh, b_hh, h_init[index], c_start, reverse=direction == 1
            )
            hs_dirs.append(hs)
            gate_dirs.append(gates)
            # The last step processed: t = T-1 going forward, t = 0 going backward.
            last = 0 if direction == 1 else steps - 1
            h_finals.append(hs[last])
            if cs is not None:
                cs_dirs.append(cs)
                c_finals.append(cs[last])

        output = torch.cat([torch.stack(hs, dim=1) for hs in hs_dirs], dim=-1)  # (B, T, D*H)
        gates_cat = {
            name: torch.cat([torch.stack(g[name], dim=1) for g in gate_dirs], dim=-1)  # (B, T, D*H)
            for name in gate_dirs[0]
        }
        layers.append(
            LayerTrace(h=hs_dirs, c=cs_dirs if kind == "lstm" else None, gates=gates_cat, output=output)
        )
        layer_in = output  # dropout between layers is deliberately skipped

    h_n = torch.stack(h_finals, dim=0)  # (L*D, B, H)
    c_n = torch.stack(c_finals, dim=0) if kind == "lstm" else None  # (L*D, B, H)
    return Trace(layers=layers, output=layers[-1].output, h_n=h_n, c_n=c_n)


def run_direction(
    module: nn.RNNBase,
    layer_in: torch.Tensor,
    layer: int,
    direction: int = 0,
    gh_taps: list[torch.Tensor] | None = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
    """One direction of one layer over its input ``layer_in`` (B, T, I_layer), from a zero state.

    Returns (h per step, c per step or None), indexed in input order, in the autograd graph.
    ``gh_taps``: see ``_run_direction``; the recurrent term of each step, laid open.
    """
    kind = _cell_kind(module)
    w_ih, w_hh, b_ih, b_hh = _params(module, layer, direction)
    gi = F.linear(layer_in, w_ih, b_ih)  # (B, T, G*H)
    h0 = layer_in.new_zeros(layer_in.shape[0], module.hidden_size)  # (B, H)
    c0 = h0.clone() if kind == "lstm" else None
    hs, cs, _ = _run_direction(kind, gi, w_hh, b_hh, h0, c0, reverse=direction == 1, gh_taps=gh_taps)
    return hs, cs
