"""Typed messages between the window and the training worker.

A command is a small frozen dataclass the window sends; an answer is one the worker sends back.
The worker dispatches commands with ``match`` on their type, so a typo is an error where the
message is made, not a missing key far away. Every answer carries the ``generation`` of the model
that produced it (a number that grows with every build, open and adopt); the window drops, in one
place, every answer older than the model it shows.

Only plain data crosses: numbers, strings, tuples, numpy arrays and frozen dataclasses, never a
live tensor or the model. No Qt and no torch are imported here.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.config import SessionConfig

# -- commands: the window asks -----------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """A fresh model from ``config`` (Reset, new settings); the task is built in the worker too."""

    config: SessionConfig
    generation: int


@dataclass(frozen=True)
class Open:
    """Open a model file; on failure the model in training stays."""

    path: str
    generation: int


@dataclass(frozen=True)
class Adopt:
    """Carry on with one compared model in the main view."""

    arch: str
    generation: int


@dataclass(frozen=True)
class Save:
    path: str


@dataclass(frozen=True)
class Play:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Step:
    """Exactly ``n`` optimizer steps, then pause."""

    n: int = 1


@dataclass(frozen=True)
class Undo:
    """Go back ``n`` entries of the undo ring (each a Step, or a whole Play)."""

    n: int = 1


@dataclass(frozen=True)
class RollBack:
    """Go back to the newest kept state whose loss was finite and sane (after a blow-up)."""

    say_if_none: bool = False  # answer Failed when no such state was kept


@dataclass(frozen=True)
class UpdateTrain:
    """Live training settings (learning rate, batch size, clipping ...), applied between steps."""

    changes: Mapping[str, Any]


@dataclass(frozen=True)
class SetProbeText:
    text: str


@dataclass(frozen=True)
class ProbeNow:
    pass


@dataclass(frozen=True)
class Barrier:
    """Answered (``Passed``) once everything the worker did before it has been sent: what comes
    after the answer was done after every command sent before this one (a fix judged afresh)."""

    token: int


@dataclass(frozen=True)
class Inspect:
    """A typed text (or the probe text when empty): probe, connectivity, recurrence terms."""

    text: str
    layer: int = 0


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
class Unroll:
    """The probe sequence unrolled (playground.core.unroll): the Unrolled view's picture."""


@dataclass(frozen=True)
class RunSeeds:
    """Run a lesson's claim over its seeds in the background and report the spread."""

    lesson: str
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class CheckLesson:
    """Run a lesson's check on the model in training (playground.core.lessons)."""

    lesson: str


@dataclass(frozen=True)
class TrainSeq2Seq:
    """Train (or train on) the encoder-decoder beside the dialog language model."""

    steps: int


# -- prediction requests (the Predict command carries one) ----------------------------------------


@dataclass(frozen=True)
class SampleText:
    prompt: str = ""
    length: int = 120
    temperature: float = 1.0
    top_k: int = 0
    seed: int | None = 0
    k: int = 5  # next-character candidates shown beside the completion


@dataclass(frozen=True)
class NextChars:
    prompt: str = ""
    k: int = 5


@dataclass(frozen=True)
class Reply:
    turn: str
    history: tuple[str, ...] = ()
    model: str = "lm"  # "lm": the language model answers; "seq2seq": the encoder-decoder does


@dataclass(frozen=True)
class Classify:
    text: str


@dataclass(frozen=True)
class Forecast:
    horizon: int = 20
    threshold: float | None = None  # anomaly threshold in robust z units (None: the default)


PredictRequest = SampleText | NextChars | Reply | Classify | Forecast


@dataclass(frozen=True)
class Predict:
    request: PredictRequest


# -- answers: the worker tells -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    generation: int


class TaskRef:
    """A model's task as it crosses from the training process: its kind at once, the rest (tensors,
    so torch) unpickled on first use. The window shows the first model without importing torch;
    the data preview (a background thread) is the first to open it.

    Reads as the task it holds: ``ref.kind`` and ``ref.spec`` never load it, any other attribute does."""

    def __init__(self, kind: str, blob: bytes, has: frozenset[str]) -> None:
        self.kind = kind
        self._blob = blob
        self._has = has  # the task's attributes, so that a getattr(..., None) does not load it
        self._task: Any = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, task: Any) -> TaskRef:
        import pickle

        if isinstance(task, TaskRef):
            return task
        return cls(task.kind, pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL), frozenset(dir(task)))

    @property
    def spec(self) -> Any:
        from playground.core.kinds import kind_spec

        return kind_spec(self.kind)

    @property
    def loaded(self) -> bool:
        return self._task is not None

    def load(self) -> Any:
        """The task itself (imports torch the first time)."""
        with self._lock:
            if self._task is None:
                import pickle

                self._task = pickle.loads(self._blob)
            return self._task

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in self.__dict__.get("_has", ()):
            raise AttributeError(name)
        return getattr(self.load(), name)

    def __reduce__(self):
        return (TaskRef, (self.kind, self._blob, self._has))


@dataclass(frozen=True)
class ModelArrived(Answer):
    """A model is ready: built (``how="built"``), opened from ``path``, adopted from a comparison, or
    kept (``"kept"``): the model before a Build that failed, back with its settings and history."""

    how: str
    summary: Mapping[str, Any]
    path: str | None = None
    history: tuple[Any, Any, Any] | None = None  # train losses, validation steps, validation losses


@dataclass(frozen=True)
class Loading(Answer):
    """The worker has started building a task and a model (reading a file can take seconds)."""

    what: str


@dataclass(frozen=True)
class ReachContext(Answer):
    """What the gradient-through-time verdicts are judged against, for the current probe sequence:
    the same curve for the model at initialisation (top layer), and the loss of a model that has
    learned nothing (None where not known)."""

    init_grad: Any  # numpy (T,) or None
    chance_loss: float | None
    # the probe's positions the task's answer depends on, and the probe's labels they are for
    # (reach.needed_positions, asked here: the window need not open the task for them)
    needed: tuple[int, ...] | None = None
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ProgressBatch(Answer):
    progress: Any  # playground.ui.session.Progress


@dataclass(frozen=True)
class PlayState(Answer):
    state: str  # "playing", "stepping", "paused"


@dataclass(frozen=True)
class Failed(Answer):
    message: str


@dataclass(frozen=True)
class SettingRefused(Answer):
    """A training setting changed during training was refused (``message`` says why); ``train`` is
    the TrainConfig the trainer keeps, which the window shows again."""

    message: str
    train: Any


@dataclass(frozen=True)
class Saved(Answer):
    path: str


@dataclass(frozen=True)
class Passed(Answer):
    """The answer to ``Barrier(token)``."""

    token: int


@dataclass(frozen=True)
class Undone(Answer):
    step: int
    undo_steps: tuple[int, ...]
    rescued: bool = False  # the weights had gone NaN: the last healthy copy came back


@dataclass(frozen=True)
class Predicted(Answer):
    request: PredictRequest
    step: int
    error: str = ""
    result: Mapping[str, Any] = field(default_factory=dict)  # what the request's page shows

    def as_dict(self) -> dict[str, Any]:
        """The request's fields, its kind and the result in one mapping (what the panel reads)."""
        from dataclasses import asdict

        out: dict[str, Any] = {"kind": PREDICT_KINDS[type(self.request)], **asdict(self.request)}
        out.update(self.result)
        out["step"] = self.step
        if self.error:
            out["error"] = self.error
        return out


PREDICT_KINDS: dict[type, str] = {
    SampleText: "sample",
    NextChars: "next",
    Reply: "reply",
    Classify: "classify",
    Forecast: "forecast",
}


def predict_request(kind: str, fields: Mapping[str, Any]) -> PredictRequest:
    """The typed request for a panel's request (its page name and fields); unknown fields are errors."""
    for cls, name in PREDICT_KINDS.items():
        if name == kind:
            values = {k: v for k, v in fields.items() if k != "kind"}
            if "history" in values:
                values["history"] = tuple(values["history"])
            return cls(**values)
    raise ValueError(f"unknown prediction request {kind!r}")


@dataclass(frozen=True)
class Inspected(Answer):
    text: str
    layer: int
    step: int = 0
    probe: Any = None
    labels: tuple[str, ...] = ()
    connectivity: Any = None
    terms: Any = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "layer": self.layer}
        if self.error:
            out["error"] = self.error
        else:
            out.update(probe=self.probe, labels=self.labels, connectivity=self.connectivity, step=self.step)
            if self.terms is not None:
                out["terms"] = self.terms
        return out


@dataclass(frozen=True)
class Compared(Answer):
    """A comparison's curves and table so far (``running`` False once it is done or stopped)."""

    running: bool
    curves: Mapping[str, Any] = field(default_factory=dict)
    rows: tuple[Any, ...] = ()
    sweep: Mapping[str, Any] | None = None
    gap: int | None = None
    gaps: tuple[int, ...] | None = None
    steps_taken: int = 0
    steps: int = 0
    kind: str = ""
    chance: float | None = None
    error: str = ""
    seeds: tuple[int, ...] = ()  # the seeds every architecture is trained with

    def as_dict(self) -> dict[str, Any]:
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


@dataclass(frozen=True)
class Seq2SeqProgress(Answer):
    steps: int = 0
    total: int = 0
    loss: float = float("nan")
    done: bool = False
    error: str = ""


@dataclass(frozen=True)
class JobRefused(Answer):
    """A job was asked for while another runs: which one, and why it was not started."""

    message: str


@dataclass(frozen=True)
class LessonChecked(Answer):
    """A lesson's check: whether the learner has seen it, in numbers (``check`` is a LessonCheck)."""

    check: Any


@dataclass(frozen=True)
class UnrolledAnswer(Answer):
    step: int
    unrolled: Any = None  # playground.core.unroll.Unrolled
    error: str = ""


@dataclass(frozen=True)
class SeedSpread(Answer):
    lesson: str
    done: int
    total: int
    text: str
    error: str = ""


# -- find the neuron (the Neurons tab; playground.core.neurons and clamp do the work) ----------------


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
class RankedUnits(Answer):
    """The top units: ``units`` (layer, unit, state "h"/"c", r, accuracy or None), best first; for the
    first ``len(text)`` characters read, each top unit's activations (units x characters) and the track."""

    track: str
    step: int = 0
    units: tuple[tuple[int, int, str, float, float | None], ...] = ()
    text: str = ""
    activations: Any = None
    track_values: Any = None
    characters: int = 0
    n_units: int = 0
    seconds: float = 0.0
    error: str = ""
    every_r: Any = None  # r of every unit (float32), in the order of ``unit_keys``
    unit_keys: tuple[tuple[int, int, str], ...] = ()  # (layer, unit, state) of every unit scored


@dataclass(frozen=True)
class ClampSampled(Answer):
    request: ClampSample
    free: str = ""
    clamped: str = ""
    error: str = ""
