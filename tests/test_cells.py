"""The step-by-step trace must reproduce torch's fused recurrent modules exactly.

If it did not, every per-step picture (hidden states, gates, dLoss/dh_t) shown
to the user would describe a different network from the one being trained.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from playground.core.model.cells import Trace, trace_recurrent

I, H, T, B = 3, 5, 7, 2
KINDS = ("rnn_tanh", "rnn_relu", "lstm", "gru")


def _make(
    kind: str,
    layers: int = 1,
    bidirectional: bool = False,
    batch_first: bool = True,
    bias: bool = True,
    dtype: torch.dtype = torch.float32,
) -> nn.RNNBase:
    """A small recurrent module of the given kind, seeded so tests are repeatable."""
    torch.manual_seed(0)
    common = {
        "input_size": I,
        "hidden_size": H,
        "num_layers": layers,
        "bidirectional": bidirectional,
        "batch_first": batch_first,
        "bias": bias,
    }
    if kind == "lstm":
        module: nn.RNNBase = nn.LSTM(**common)
    elif kind == "gru":
        module = nn.GRU(**common)
    else:
        module = nn.RNN(nonlinearity=kind.split("_")[1], **common)
    return module.to(dtype).eval()


def _inputs(
    module: nn.RNNBase, with_h0: bool, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, object]:
    """A random input in the module's layout and either None or a random h0."""
    gen = torch.Generator().manual_seed(1)
    shape = (B, T, I) if module.batch_first else (T, B, I)
    x = torch.randn(shape, generator=gen, dtype=dtype)
    if not with_h0:
        return x, None
    n = module.num_layers * (2 if module.bidirectional else 1)
    h0 = torch.randn(n, B, H, generator=gen, dtype=dtype)
    if isinstance(module, nn.LSTM):
        return x, (h0, torch.randn(n, B, H, generator=gen, dtype=dtype))
    return x, h0


def _fused(
    module: nn.RNNBase, x: torch.Tensor, h0: object
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Run the fused module; return (output (B, T, D*H), h_n, c_n or None)."""
    out, state = module(x, h0)
    if module.batch_first is False and x.dim() == 3:
        out = out.transpose(0, 1)  # (T, B, D*H) -> (B, T, D*H)
    if isinstance(module, nn.LSTM):
        return out, state[0], state[1]
    return out, state, None


def _close(actual: torch.Tensor, expected: torch.Tensor, tol: float = 1e-5) -> None:
    torch.testing.assert_close(actual, expected, atol=tol, rtol=tol)


@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("kind", KINDS)
def test_matches_fused_module(
    kind: str, layers: int, bidirectional: bool, batch_first: bool, with_h0: bool
) -> None:
    module = _make(kind, layers, bidirectional, batch_first)
    x, h0 = _inputs(module, with_h0)
    with torch.no_grad():
        out, h_n, c_n = _fused(module, x, h0)
        trace = trace_recurrent(module, x, h0)

    assert isinstance(trace, Trace)
    d = 2 if bidirectional else 1
    assert trace.output.shape == (B, T, d * H)
    assert len(trace.layers) == layers
    _close(trace.output, out)
    _close(trace.h_n, h_n)
    if kind == "lstm":
        assert trace.c_n is not None
        _close(trace.c_n, c_n)
    else:
        assert trace.c_n is None

    for layer in trace.layers:
        assert layer.output.shape == (B, T, d * H)
        assert len(layer.h) == d and all(len(steps) == T for steps in layer.h)
        assert all(h_t.shape == (B, H) for steps in layer.h for h_t in steps)
        # The stored per-step states are exactly the layer output, direction by direction.
        for direction in range(d):
            for t in range(T):
                _close(layer.h[direction][t], layer.output[:, t, direction * H : (direction + 1) * H], 0.0)
        if kind == "lstm":
            assert layer.c is not None and len(layer.c) == d
        else:
            assert layer.c is None
    _close(trace.layers[-1].output, trace.output, 0.0)


@pytest.mark.parametrize("kind", KINDS)
def test_matches_fused_module_float64_without_bias(kind: str) -> None:
    module = _make(kind, layers=2, bidirectional=True, bias=False, dtype=torch.float64)
    x, h0 = _inputs(module, with_h0=True, dtype=torch.float64)
    with torch.no_grad():
        out, h_n, c_n = _fused(module, x, h0)
        trace = trace_recurrent(module, x, h0)
    _close(trace.output, out, 1e-10)
    _close(trace.h_n, h_n, 1e-10)
    if c_n is not None:
        _close(trace.c_n, c_n, 1e-10)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gates_are_in_range(kind: str, bidirectional: bool) -> None:
    module = _make(kind, layers=2, bidirectional=bidirectional)
    x, h0 = _inputs(module, with_h0=True)
    with torch.no_grad():
        trace = trace_recurrent(module, x, h0)
    d = 2 if bidirectional else 1
    names = {"lstm": {"i", "f", "g", "o", "c"}, "gru": {"r", "z", "n"}}[kind]
    for layer in trace.layers:
        assert set(layer.gates) == names
        for name, value in layer.gates.items():
            assert value.shape == (B, T, d * H)
            assert not value.requires_grad
            if name in ("i", "f", "o", "r", "z"):
                assert bool(((value > 0) & (value < 1)).all()), name
            elif name in ("g", "n"):
                assert bool(((value > -1) & (value < 1)).all()), name

    if kind == "lstm":
        top = trace.layers[-1]
        top_forward = (module.num_layers - 1) * d
        _close(top.gates["c"][:, -1, :H], trace.c_n[top_forward])
        if bidirectional:
            # The backward direction ends at input step 0.
            _close(top.gates["c"][:, 0, H:], trace.c_n[top_forward + 1])


def test_vanilla_rnn_has_no_gates() -> None:
    trace = trace_recurrent(_make("rnn_tanh"), torch.randn(B, T, I))
    assert trace.layers[0].gates == {}
    assert trace.layers[0].c is None


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_gradients(kind: str, bidirectional: bool) -> None:
    module = _make(kind, layers=2, bidirectional=bidirectional, batch_first=False)
    x, h0 = _inputs(module, with_h0=True)
    d = 2 if bidirectional else 1
    weights = torch.randn(B, T, d * H, generator=torch.Generator().manual_seed(2))

    # Reference: parameter and input grads through the fused module.
    x_ref = x.clone().requires_grad_(True)
    out, _, _ = _fused(module, x_ref, h0)
    (out * weights).sum().backward()
    expected = {name: p.grad.clone() for name, p in module.named_parameters()}
    expected_x = x_ref.grad.clone()
    module.zero_grad()

    x_mine = x.clone().requires_grad_(True)
    trace = trace_recurrent(module, x_mine, h0)
    loss = (trace.output * weights).sum()

    # dLoss/dh_t is reachable for every layer, direction and step.
    all_h = [h_t for layer in trace.layers for steps in layer.h for h_t in steps]
    grads = torch.autograd.grad(loss, all_h, retain_graph=True)
    assert len(grads) == 2 * d * T
    assert all(g.shape == (B, H) and torch.isfinite(g).all() for g in grads)
    # In the top layer, the forward h at the last step (and the backward h at
    # step 0) feeds nothing but the output at that step, so its grad is the weight.
    top = trace.layers[-1]
    (g_last,) = torch.autograd.grad(loss, top.h[0][T - 1], retain_graph=True)
    _close(g_last, weights[:, T - 1, :H])
    if bidirectional:
        (g_first,) = torch.autograd.grad(loss, top.h[1][0], retain_graph=True)
        _close(g_first, weights[:, 0, H:])

    loss.backward()
    for name, p in module.named_parameters():
        assert p.grad is not None, name
        _close(p.grad, expected[name], 1e-4)
    _close(x_mine.grad, expected_x, 1e-4)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_input(kind: str, batch_first: bool) -> None:
    module = _make(kind, layers=2, bidirectional=True, batch_first=batch_first)
    x = torch.randn(T, I, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out, h_n, c_n = _fused(module, x, None)  # (T, D*H), (L*D, H)
        trace = trace_recurrent(module, x)
    assert trace.output.shape == (1, T, 2 * H)
    _close(trace.output[0], out)
    _close(trace.h_n[:, 0], h_n)
    if c_n is not None:
        _close(trace.c_n[:, 0], c_n)

    # An unbatched h0 is (L*D, H), as in torch.
    n = module.num_layers * 2
    h0 = torch.randn(n, H)
    state = (h0, torch.randn(n, H)) if kind == "lstm" else h0
    with torch.no_grad():
        out, h_n, _ = _fused(module, x, state)
        trace = trace_recurrent(module, x, state)
    _close(trace.output[0], out)
    _close(trace.h_n[:, 0], h_n)


def test_rejects_other_modules() -> None:
    with pytest.raises(TypeError, match="nn.RNN, nn.LSTM or nn.GRU"):
        trace_recurrent(nn.Linear(I, H), torch.randn(B, T, I))  # type: ignore[arg-type]


def test_rejects_projected_lstm() -> None:
    module = nn.LSTM(I, H, proj_size=2, batch_first=True)
    with pytest.raises(ValueError, match="proj_size"):
        trace_recurrent(module, torch.randn(B, T, I))


def test_rejects_bad_shapes() -> None:
    module = _make("gru")
    with pytest.raises(ValueError, match="features"):
        trace_recurrent(module, torch.randn(B, T, I + 1))
    with pytest.raises(ValueError, match="h0 must have shape"):
        trace_recurrent(module, torch.randn(B, T, I), torch.zeros(2, B, H))
    with pytest.raises(TypeError, match="tuple"):
        trace_recurrent(_make("lstm"), torch.randn(B, T, I), torch.zeros(1, B, H))
