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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from playground.core.config import DataConfig, SessionConfig, TrainConfig

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

if TYPE_CHECKING:  # names for annotations only: the window process never imports torch
    from playground.app.progress import Progress
    from playground.core.data.preview import DataPreview
    from playground.core.inspect.probes import Probe
    from playground.core.inspect.reports import Unrolled
    from playground.core.lessons import LessonCheck

# The Predict panel's requests and answers (prediction_messages), the Neurons tab's (neuron_messages)
# and the comparisons' (comparison_messages) are found here too, imported when first asked for: the
# window paints before it needs them (issue 27).
if TYPE_CHECKING:
    from playground.app.comparison_messages import Compare as Compare
    from playground.app.comparison_messages import Compared as Compared
    from playground.app.comparison_messages import ComparedCurve as ComparedCurve
    from playground.app.comparison_messages import ComparedExample as ComparedExample
    from playground.app.comparison_messages import FrontierProgress as FrontierProgress
    from playground.app.comparison_messages import InspectCompared as InspectCompared
    from playground.app.comparison_messages import OpenFrontierCell as OpenFrontierCell
    from playground.app.comparison_messages import RunFrontier as RunFrontier
    from playground.app.comparison_messages import StopCompare as StopCompare
    from playground.app.neuron_messages import AblatedUnits as AblatedUnits
    from playground.app.neuron_messages import AblateUnits as AblateUnits
    from playground.app.neuron_messages import ClampSample as ClampSample
    from playground.app.neuron_messages import ClampSampled as ClampSampled
    from playground.app.neuron_messages import RankedUnits as RankedUnits
    from playground.app.neuron_messages import RankUnits as RankUnits
    from playground.app.neuron_messages import Transplant as Transplant
    from playground.app.neuron_messages import Transplanted as Transplanted
    from playground.app.prediction_messages import AnomalyScores as AnomalyScores
    from playground.app.prediction_messages import Attention as Attention
    from playground.app.prediction_messages import Candidates as Candidates
    from playground.app.prediction_messages import Classify as Classify
    from playground.app.prediction_messages import ClassifyAnswer as ClassifyAnswer
    from playground.app.prediction_messages import Forecast as Forecast
    from playground.app.prediction_messages import ForecastAnswer as ForecastAnswer
    from playground.app.prediction_messages import NextAnswer as NextAnswer
    from playground.app.prediction_messages import NextChars as NextChars
    from playground.app.prediction_messages import NumberAnswer as NumberAnswer
    from playground.app.prediction_messages import PredictRequest as PredictRequest
    from playground.app.prediction_messages import PredictResult as PredictResult
    from playground.app.prediction_messages import Reply as Reply
    from playground.app.prediction_messages import ReplyAnswer as ReplyAnswer
    from playground.app.prediction_messages import SampleAnswer as SampleAnswer
    from playground.app.prediction_messages import SampleText as SampleText
    from playground.app.prediction_messages import WrittenAnswer as WrittenAnswer

TrainValue = str | int | float | bool | None  # a TrainConfig field's value (UpdateTrain)

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
class SaveSession:
    """File > Save Session: the session file (its start, every action, every step's loss, the final
    state) written to ``path``; answered by ``SessionSaved``."""

    path: str


@dataclass(frozen=True)
class ExportReport:
    """File > Export Report: the session so far, replayed, as one HTML page at ``path``; ``lesson``: the
    lesson card's title, question, prediction and check (core/export/report.py's LessonNote fields) or
    None. Answered by ``ReportWritten``."""

    path: str
    lesson: dict | None = None


@dataclass(frozen=True)
class FixApplied:
    """A fix from the diagnosis banner was clicked: the session records its name before what it does."""

    fix: str


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

    changes: Mapping[str, TrainValue]


@dataclass(frozen=True)
class SetStopRule:
    """Training that stops itself: after ``patience`` validations without a better validation loss
    (0: never; the best weights come back), or once a validation loss is ``at_val_loss`` or lower
    (None: never). Applies from the next validation on."""

    patience: int = 0
    at_val_loss: float | None = None


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
class Unroll:
    """The probe sequence unrolled (playground.core.inspect.unroll): the Unrolled view's picture."""


@dataclass(frozen=True)
class RunSeeds:
    """Run a lesson's claim over its seeds in the background and report the spread."""

    lesson: str
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class CheckLesson:
    """Run a lesson's check on the model in training (playground.core.lessons); ``card``: a lesson read
    from a teacher's file (core/lessons/files.Lesson), which the training process does not know by id."""

    lesson: str
    card: Any = None


@dataclass(frozen=True)
class PreviewData:
    """The data panel's preview of ``config``: its task is built in the training process, on a thread
    of its own beside training (the newest request only), and answered by ``DataPreviewed`` with the
    same ``number``. The task is kept: a Build of the same DataConfig next takes it, so a data file is
    read once per change of the data."""

    config: DataConfig
    number: int = 0


@dataclass(frozen=True)
class ExportScript:
    """File > Export as PyTorch Script: the saved model file ``model`` written as one script (the
    model is loaded in the training process); answered by ``Exported``."""

    model: str
    script: str


@dataclass(frozen=True)
class TrainSeq2Seq:
    """Train (or train on) the encoder-decoder beside the dialog language model."""

    steps: int


@dataclass(frozen=True)
class Predict:
    request: PredictRequest


# -- answers: the worker tells -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    generation: int


class ModelSummary(TypedDict):
    """What the window shows of a model: its name, size, device, steps, data kind, settings, and the
    preview of its data (playground.core.data.preview: a glimpse of the task, never the task, so the
    window's process never imports torch)."""

    model: str
    parameters: int
    device: str
    steps: int
    data: str
    session: SessionConfig
    preview: DataPreview


History = tuple["np.ndarray", list[int], list[float]]  # train losses, validation steps, validation losses


@dataclass(frozen=True)
class ModelArrived(Answer):
    """A model is ready: built (``how="built"``), opened from ``path``, adopted from a comparison,
    opened from a frontier cell (``"frontier"``), or kept (``"kept"``): the model before a Build that
    failed, back with its settings and history."""

    how: str
    summary: ModelSummary
    path: str | None = None
    history: History | None = None  # train losses, validation steps, validation losses


@dataclass(frozen=True)
class Loading(Answer):
    """The worker has started building a task and a model (reading a file can take seconds)."""

    what: str


@dataclass(frozen=True)
class ReachContext(Answer):
    """What the gradient-through-time verdicts are judged against, for the current probe sequence:
    the same curve for the model at initialisation (top layer), and the loss of a model that has
    learned nothing (None where not known)."""

    init_grad: np.ndarray | None  # (T,)
    chance_loss: float | None
    # the probe's positions the task's answer depends on, and the probe's labels they are for
    # (reach.needed_positions, asked here: the window need not open the task for them)
    needed: tuple[int, ...] | None = None
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ProgressBatch(Answer):
    progress: Progress


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
    train: TrainConfig


@dataclass(frozen=True)
class Saved(Answer):
    path: str
    steps: int = -1  # the steps of the model in the file (-1: not said)


@dataclass(frozen=True)
class SessionSaved(Answer):
    """The answer to ``SaveSession``: the session file written, and how many steps it records."""

    path: str
    steps: int


@dataclass(frozen=True)
class ReportWritten(Answer):
    """The answer to ``ExportReport``: the page written (or ``error``), the steps replayed and whether
    the replay came out the same bit for bit."""

    path: str = ""
    steps: int = 0
    identical: bool = False
    verdicts: int = 0
    error: str = ""


@dataclass(frozen=True)
class DataPreviewed(Answer):
    """The answer to ``PreviewData(config, number)``: ``config`` as built (a CSV's column filled in
    where it named none of the file's), and the preview, or ``error`` saying why the data was refused;
    ``columns``: (every column, the numeric ones) of a CSV, for the panel's lists."""

    number: int
    config: DataConfig
    preview: DataPreview | None = None
    error: str = ""
    columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Exported(Answer):
    """The answer to ``ExportScript``: the script written (``path``), or ``error`` saying why not."""

    path: str = ""
    error: str = ""


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
class TrainingStopped(Answer):
    """Training stopped itself (``SetStopRule``): why, in a sentence, and which step's weights the
    model holds now (the best validation's, after patience ran out)."""

    by: str  # "patience" or "val_loss"
    step: int  # where the condition held
    best_step: int
    best_val_loss: float
    message: str


@dataclass(frozen=True)
class Predicted(Answer):
    """The answer to ``Predict(request)``: ``result`` is the request's own answer class (a
    ``SampleAnswer`` for ``SampleText`` ...), or None with ``error`` saying why there is none."""

    request: PredictRequest
    step: int
    error: str = ""
    result: PredictResult | None = None  # what the request's page shows


# playground.core.inspect.equations.recurrence_terms: vectors (numpy), the equation's lines and names, layer and t
RecurrenceTerms = Mapping[str, "np.ndarray | str | int | list[str]"]


@dataclass(frozen=True)
class Inspected(Answer):
    text: str
    layer: int
    step: int = 0
    probe: Probe | None = None
    labels: tuple[str, ...] = ()
    connectivity: np.ndarray | None = None  # (T, T): how strongly each input moves each prediction
    terms: Sequence[RecurrenceTerms] | None = None  # one per time step (None: no recurrence to show)
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"text": self.text, "layer": self.layer}
        if self.error:
            out["error"] = self.error
        else:
            out.update(probe=self.probe, labels=self.labels, connectivity=self.connectivity, step=self.step)
            if self.terms is not None:
                out["terms"] = self.terms
        return out


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

    check: LessonCheck


@dataclass(frozen=True)
class UnrolledAnswer(Answer):
    step: int
    unrolled: Unrolled | None = None
    error: str = ""


@dataclass(frozen=True)
class SeedSpread(Answer):
    lesson: str
    done: int
    total: int
    text: str
    error: str = ""


_ELSEWHERE = dict.fromkeys(
    (
        "AnomalyScores", "Attention", "Candidates", "Classify", "ClassifyAnswer", "Forecast", "ForecastAnswer",
        "NextAnswer", "NextChars", "NumberAnswer", "PredictRequest", "PredictResult", "Reply", "ReplyAnswer",
        "SampleAnswer", "SampleText", "WrittenAnswer",
    ),
    "prediction_messages",
) | dict.fromkeys(
    (
        "AblatedUnits", "AblateUnits", "ClampSample", "ClampSampled", "RankedUnits", "RankUnits", "Transplant",
        "Transplanted",
    ),
    "neuron_messages",
) | dict.fromkeys(
    (
        "Compare", "Compared", "ComparedCurve", "ComparedExample", "FrontierProgress", "InspectCompared",
        "OpenFrontierCell", "RunFrontier", "StopCompare",
    ),
    "comparison_messages",
)


def __getattr__(name: str) -> Any:
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"playground.app.{module}"), name)
    globals()[name] = value  # asked once
    return value
