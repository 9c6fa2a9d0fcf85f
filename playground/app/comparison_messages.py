"""The messages of the comparisons beside the main model (re-exported by playground.app.messages): train
several architectures on the session's data and compare them (the Compare tab), the frontier of a classic task
(every architecture at every length), and a look inside one example a compared model answers wrong. The
engine starts these jobs in playground.app.engine_side. Plain data only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from playground.app.messages import Answer, Inspected
from playground.core.config import SessionConfig

if TYPE_CHECKING:
    import numpy as np

    from playground.core.inspect.reports import CompareRow

# -- commands: the window asks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """Train ``archs`` on ``session``'s data, ``steps`` each, once per seed s0, s0 + 1, ... (``seeds``
    runs; s0 the session's seed; the runs of one seed share their batches); with ``gaps``, once per
    memory gap d (the memory lesson's sweep)."""

    session: SessionConfig
    archs: tuple[str, ...]
    steps: int
    gaps: tuple[int, ...] = ()
    seeds: int = 1


@dataclass(frozen=True)
class InspectCompared:
    """Look inside one held-out example a compared model answers wrong: the first seed's ``arch`` at
    memory gap ``gap`` of the sweep (None: the comparison on screen); ``nth``: which of its failing
    examples (counting from 0, round again past the last). Answered by ``ComparedExample``."""

    arch: str
    gap: int | None = None
    nth: int = 0
    layer: int = 0


@dataclass(frozen=True)
class StopCompare:
    pass


@dataclass(frozen=True)
class RunFrontier:
    """The frontier of a classic task (core/train/frontier.py): every architecture at every length T,
    ``seeds`` runs each, up to ``steps`` steps a run; answered by ``FrontierProgress`` as cells finish.
    Stopped by ``StopCompare``."""

    kind: str
    lengths: tuple[int, ...]
    archs: tuple[str, ...]
    seeds: int = 3
    steps: int = 2000
    check_every: int = 100
    hidden: int = 32
    lr: float = 3e-3
    batch_size: int = 32
    clip: float = 1.0


@dataclass(frozen=True)
class OpenFrontierCell:
    """Carry on with the run a finished frontier cell kept (its first seed that solved, else its first
    seed) as the model of the main view: its loss curve and weights. Answered by ``ModelArrived``
    (``how="frontier"``), or a ``Failed`` saying why not."""

    arch: str
    length: int
    generation: int


# -- answers: the worker tells --------------------------------------------------------------------------------


class ComparedCurve(TypedDict):
    """One architecture's curves in a comparison."""

    losses: tuple[np.ndarray, ...]  # the training losses of each seed, in order
    loss: np.ndarray  # the first seed's (the model "continue with" takes)
    val_steps: list[int]
    val_loss: list[float]
    probe: np.ndarray | None  # ||dL/dh_t|| over the probe sequence, geometric mean over the seeds


@dataclass(frozen=True)
class FrontierProgress(Answer):
    """The frontier so far: the finished cells (``Cell.as_dict()``: arch, length, seeds, solved_seeds,
    sequences_seen, solved_at, seconds), the cell in training and its seeds done; ``running`` False once
    it is done or stopped."""

    running: bool
    lengths: tuple[int, ...] = ()
    archs: tuple[str, ...] = ()
    cells: tuple[Mapping[str, Any], ...] = ()
    current: tuple[str, int] | None = None  # (arch, length) of the cell in training
    current_seeds_done: int = 0
    error: str = ""


@dataclass(frozen=True)
class Compared(Answer):
    """A comparison's curves and table so far (``running`` False once it is done or stopped)."""

    running: bool
    curves: Mapping[str, ComparedCurve] = field(default_factory=dict)  # by architecture
    rows: tuple[CompareRow, ...] = ()
    sweep: Mapping[str, list[tuple[int, tuple[float, ...]]]] | None = None  # arch -> (gap, per seed)
    gap: int | None = None
    gaps: tuple[int, ...] | None = None
    steps_taken: int = 0
    steps: int = 0
    kind: str = ""
    chance: float | None = None
    error: str = ""
    seeds: tuple[int, ...] = ()  # the seeds every architecture is trained with

    def as_dict(self) -> dict[str, object]:
        if self.error:
            return {"error": self.error, "running": False}
        return {
            "seeds": list(self.seeds),
            "curves": self.curves,
            "rows": list(self.rows),
            "sweep": self.sweep,
            "gap": self.gap,
            "gaps": None if self.gaps is None else list(self.gaps),
            "running": self.running,
            "steps_taken": self.steps_taken,
            "steps": self.steps,
            "kind": self.kind,
            "chance": self.chance,
        }


@dataclass(frozen=True)
class ComparedExample(Answer):
    """The answer to ``InspectCompared``: a held-out example the model answers wrong, inspected like a
    typed text (``inspected``), or, when there is none to show, ``message`` says why."""

    arch: str
    gap: int | None
    seed: int = 0
    index: int = -1  # the example's place in the held-out set (-1: none shown)
    text: str = ""  # the sequence as the scrubber's text box takes it, e.g. "A 3 9 1 4 ?"
    right: str = ""  # the answer the data's rule gives
    answered: str = ""  # the model's answer
    wrong: int = 0  # held-out examples this model answers wrong ...
    total: int = 0  # ... of this many
    inspected: Inspected | None = None
    message: str = ""
