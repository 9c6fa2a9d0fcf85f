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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from playground.core.config import DataConfig, SessionConfig, TrainConfig

if TYPE_CHECKING:  # names for annotations only: the window process never imports torch
    from playground.app.progress import Progress
    from playground.core.data.dates import Dates
    from playground.core.data.preview import DataPreview
    from playground.core.inspect.probes import Probe
    from playground.core.inspect.reports import CompareRow, Unrolled
    from playground.core.lessons import LessonCheck

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


# -- prediction answers: one per request (``Predicted.result`` holds one) -----------------------

Candidates = tuple[tuple[str, float], ...]  # (character or class, probability), likeliest first


@dataclass(frozen=True)
class SampleAnswer:
    """The model's continuation of ``request.prompt``, and the likeliest next characters after it."""

    request: SampleText
    text: str
    next: Candidates = ()


@dataclass(frozen=True)
class NextAnswer:
    """The likeliest characters after ``request.prompt`` (the bars shown while typing)."""

    request: NextChars
    next: Candidates = ()


@dataclass(frozen=True)
class Attention:
    """Where a model looked while it wrote ``reply``: ``weights`` (len(reply) [+ 1 for the end of the
    turn], len(source)), a row per character written over the characters read."""

    source: str
    reply: str
    weights: np.ndarray


@dataclass(frozen=True)
class ReplyAnswer:
    """The next turn of a dialog: ``reply`` from the model ``request.model`` chose, and both models'
    replies side by side (``s2s_reply`` None while no encoder-decoder is trained)."""

    request: Reply
    reply: str
    lm_reply: str
    s2s_reply: str | None = None
    lm_attention: Attention | None = None  # a language model with attention: where it looked
    s2s_attention: Attention | None = None  # the encoder-decoder's


@dataclass(frozen=True)
class ClassifyAnswer:
    """Every class with its probability, likeliest first, and what the data's own rule says (None
    where the rule cannot judge the text)."""

    request: Classify
    classes: Candidates = ()
    rule: str | None = None


@dataclass(frozen=True)
class WrittenAnswer:
    """A one-to-many model's answer to ``Classify``: the word it wrote from one letter, each step's
    likeliest letter with its probability, and the word the data's rule gives."""

    request: Classify
    written: str
    steps: Candidates = ()
    rule: str | None = None


@dataclass(frozen=True)
class AnomalyScores:
    """playground.core.inspect.anomalies.anomalies in fields: ``index`` (positions scored), ``predicted``,
    ``error`` and ``score`` per position, ``flagged`` (one position per anomaly) and ``above`` (every
    position over ``threshold``); ``scale`` is the usual size of an error, ``centre`` the median one."""

    index: np.ndarray
    score: np.ndarray
    scale: float
    predicted: np.ndarray | None = None
    error: np.ndarray | None = None
    flagged: np.ndarray | None = None
    above: np.ndarray | None = None
    centre: float = 0.0
    threshold: float = 0.0


@dataclass(frozen=True)
class ForecastAnswer:
    """The series (``values``, held out from ``split``), the one-step predictions of its held-out tail
    (``predictions`` at ``target_index``) with their errors beside the last-value baseline's, the
    forecast past its end, and the anomaly scores."""

    request: Forecast
    values: np.ndarray
    mae: float
    baseline_mae: float
    rmse: float | None = None
    baseline_rmse: float | None = None
    forecast: np.ndarray | None = None
    predictions: np.ndarray | None = None
    target_index: np.ndarray | None = None
    split: int | None = None
    dates: Dates | None = None  # the chart's time axis
    inputs_held: Mapping[str, float] = field(default_factory=dict)  # input columns held past the data
    anomalies: AnomalyScores | None = None


PredictResult = SampleAnswer | NextAnswer | ReplyAnswer | ClassifyAnswer | WrittenAnswer | ForecastAnswer


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


History = tuple[np.ndarray, list[int], list[float]]  # train losses, validation steps, validation losses


@dataclass(frozen=True)
class ModelArrived(Answer):
    """A model is ready: built (``how="built"``), opened from ``path``, adopted from a comparison, or
    kept (``"kept"``): the model before a Build that failed, back with its settings and history."""

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
RecurrenceTerms = Mapping[str, np.ndarray | str | int | list[str]]


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
