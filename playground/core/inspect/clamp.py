"""Sample with hidden units pinned to a value: what does the quote neuron do?

:func:`sample` writes text as ``inference.sample`` does, but runs the recurrent layers one at a
time (each a single-layer copy of the model's own, ``neurons.single_layers``) and, after each
layer's step, overwrites the clamped units of its hidden state h with their values: the value
the next layer reads now and the same layer reads at the next step. The prompt is read the same
way, so a unit is pinned from the first character on. With nothing clamped it writes exactly
what ``inference.sample`` writes (same model, prompt, settings and seed).

Units are numbered as ``rnn-playground neurons`` lists them: layer and unit from 0. Only the
hidden state h is pinned; an LSTM's cell state c runs on as it would (it is what the unit's
gates make of it, before the pin). Refused: models without recurrent units (Transformer,
feed-forward network), models with attention (their readout looks back over every earlier
state, which pinning one step at a time does not reach) and bidirectional models (which do not
write text).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from playground.core import inference
from playground.core.errors import PlaygroundError
from playground.core.inspect.neurons import single_layers, small_ops_threads

__all__ = ["check_clamp", "sample"]

Clamp = Mapping[tuple[int, int], float]


def check_clamp(model, clamp: Clamp | None) -> dict[int, list[tuple[int, float]]]:
    """The clamp as {layer: [(unit, value), ...]}, or a one-line error naming what is wrong."""
    if not getattr(model, "recurrent", False):
        arch = getattr(getattr(model, "cfg", None), "arch", "this")
        raise PlaygroundError(
            f"a {arch} model has no recurrent units to clamp: clamping works on RNN, LSTM and GRU models"
        )
    if model.attends:
        raise PlaygroundError(
            "clamping is not supported for a model with attention: its output also reads a mix of every "
            "earlier state, which a unit pinned step by step does not reach; train one with --no-attention"
        )
    if model.cfg.bidirectional:
        raise PlaygroundError("a bidirectional model does not write text: there is nothing to clamp")
    layers, hidden = model.cfg.layers, model.cfg.hidden
    by_layer: dict[int, list[tuple[int, float]]] = {}
    for key, value in (clamp or {}).items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(_whole(k) for k in key)):
            raise PlaygroundError(f"a clamped unit is named by (layer, unit), got {key!r}")
        layer, unit = int(key[0]), int(key[1])
        if not 0 <= layer < layers:
            raise PlaygroundError(
                f"layer {layer} does not exist: the model has layer{'s 0 to ' if layers > 1 else ' '}{layers - 1}"
            )
        if not 0 <= unit < hidden:
            raise PlaygroundError(f"unit {unit} does not exist: layer {layer} has units 0 to {hidden - 1}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise PlaygroundError(f"the value of unit {layer}:{unit} must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise PlaygroundError(f"the value of unit {layer}:{unit} must be a finite number, got {value}")
        by_layer.setdefault(layer, []).append((unit, float(value)))
    return by_layer


def _whole(k: object) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, bool)


class _ClampedStepper:
    """``inference._Stepper`` for a recurrent model without attention, a layer at a time, with units pinned."""

    def __init__(self, model, prefix: np.ndarray, clamp: dict[int, list[tuple[int, float]]]):
        self.model = model
        self.device = next(model.parameters()).device
        self.layers = single_layers(model)
        self.states: list = [None] * len(self.layers)
        self.units = {
            layer: (
                torch.tensor([u for u, _ in pins], device=self.device),
                torch.tensor([v for _, v in pins], device=self.device),
            )
            for layer, pins in clamp.items()
        }
        x = torch.tensor([[int(i) for i in prefix]], dtype=torch.long, device=self.device)
        self._logits = self._run(x)

    def _pin(self, layer: int, out: torch.Tensor, state):
        """Overwrite the clamped units of the output's last step and of the carried h."""
        units, values = self.units[layer]
        out[:, -1, units] = values
        h = state[0] if isinstance(state, tuple) else state
        h[:, :, units] = values
        return out, state

    def _layer(self, n: int, x: torch.Tensor) -> torch.Tensor:
        one = self.layers[n]
        if n not in self.units:  # nothing pinned here: the whole input at once, as torch runs it
            out, self.states[n] = one(x, self.states[n])
            return out
        outs = []
        for t in range(x.shape[1]):  # pinned: one step at a time, the pin after each
            out, state = one(x[:, t : t + 1], self.states[n])
            out, self.states[n] = self._pin(n, out, state)
            outs.append(out)
        return torch.cat(outs, dim=1)

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.model.encode(x)
        for n in range(len(self.layers)):
            feats = self._layer(n, feats)
        return self.model.readout(feats)[0, -1]

    @property
    def logits(self) -> torch.Tensor:
        return self._logits

    def push(self, token: int) -> None:
        self._logits = self._run(torch.tensor([[token]], dtype=torch.long, device=self.device))


def sample(
    model,
    task,
    prompt: str = "",
    length: int = 200,
    temperature: float = 1.0,
    top_k: int = 0,
    greedy: bool = False,
    seed: int | None = 0,
    stop: Sequence[str] = (),
    clamp: Clamp | None = None,
) -> str:
    """``inference.sample`` with the units ``clamp`` ({(layer, unit): value}) pinned at every step."""
    pins = check_clamp(model, clamp)
    with small_ops_threads(model):
        return inference.sample(
            model, task, prompt, length, temperature, top_k, greedy, seed, stop,
            stepper=lambda m, prefix: _ClampedStepper(m, prefix, pins),
        )
