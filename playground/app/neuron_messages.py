"""The Neurons tab's and the scrubber's messages: ranking units, pinning one, ablating them, carrying a
state from one text into another (re-exported by playground.app.messages). Plain data only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from playground.app.messages import Answer

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

# -- find the neuron (the Neurons tab; playground.core.inspect.neurons and clamp do the work) ----------------


@dataclass(frozen=True)
class RankUnits:
    """Rank every unit of the model by how closely it follows ``track`` over ``text`` ("": its held-out text)."""

    track: str
    text: str = ""
    top: int = 10


@dataclass(frozen=True)
class ClampSample:
    """Write text twice from the same prompt and seed: once as the model would, once with unit ``unit``
    of layer ``layer`` pinned to ``value``."""

    layer: int
    unit: int
    value: float
    prompt: str = ""
    length: int = 200
    temperature: float = 0.7
    seed: int = 0


@dataclass(frozen=True)
class AblateUnits:
    """Hold each of ``units`` ((layer, unit, state) as ranked) at zero or its mean over ``text`` ("": the
    held-out text) and measure the loss inside and outside ``track``, beside random units of the first's layer."""

    track: str
    units: tuple[tuple[int, int, str], ...]
    text: str = ""
    mode: str = "zero"


@dataclass(frozen=True)
class Transplant:
    """Carry the state after ``source_at`` characters of ``source`` into the state after ``target_at``
    characters of ``target`` (None: the whole text; "": the probe text) and write ``length`` characters on
    from there, with and without it."""

    source: str
    target: str
    source_at: int | None = None
    target_at: int | None = None
    length: int = 80
    temperature: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class AblatedUnits(Answer):
    """What holding each unit costs: ``costs`` (rise inside, rise outside) in the order asked; the random
    units' rises (``random``, the same pairs); the unheld model's loss inside and outside (``base``)."""

    request: AblateUnits
    costs: tuple[tuple[float, float], ...] = ()
    random: tuple[tuple[float, float], ...] = ()
    base: tuple[float, float] = (0.0, 0.0)
    characters: int = 0
    inside_characters: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def random_max_inside(self) -> float | None:
        return max((r[0] for r in self.random), default=None)


@dataclass(frozen=True)
class Transplanted(Answer):
    request: Transplant
    unpatched: str = ""
    patched: str = ""
    next_unpatched: tuple[tuple[str, float], ...] = ()
    next_patched: tuple[tuple[str, float], ...] = ()
    moved: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class RankedUnits(Answer):
    """The top units: ``units`` (layer, unit, state "h"/"c", r, accuracy or None), best first; for the
    first ``len(text)`` characters read, each top unit's activations (units x characters) and the track."""

    track: str
    step: int = 0
    units: tuple[tuple[int, int, str, float, float | None], ...] = ()
    text: str = ""
    activations: np.ndarray | None = None  # (units, characters) float32
    track_values: np.ndarray | None = None  # (characters,) float32
    characters: int = 0
    n_units: int = 0
    seconds: float = 0.0
    error: str = ""
    every_r: np.ndarray | None = None  # r of every unit (float32), in the order of ``unit_keys``
    unit_keys: tuple[tuple[int, int, str], ...] = ()  # (layer, unit, state) of every unit scored

    @property
    def accuracy_known(self) -> bool:
        """A yes/no track (its units have a threshold accuracy): what ablation splits the loss by."""
        return bool(self.units) and self.units[0][4] is not None


@dataclass(frozen=True)
class ClampSampled(Answer):
    request: ClampSample
    free: str = ""
    clamped: str = ""
    error: str = ""
