"""What the Predict panel asks the training process and what it answers (re-exported by
playground.app.messages, where every message is found). Plain data only: no Qt, no torch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np


if TYPE_CHECKING:
    from playground.core.data.dates import Dates


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
    """A model's written answer to ``Classify``: the word a one-to-many model wrote from one letter, or
    the ten symbols the copy model writes back; each written step's likeliest symbol with its
    probability, what the data's rule gives, and the step of the sequence the first written symbol is
    at (0 for a word; T + 10 for the copy, after the symbols read, the delay and the delimiter)."""

    request: Classify
    written: str
    steps: Candidates = ()
    rule: str | None = None
    first_step: int = 0


@dataclass(frozen=True)
class NumberAnswer:
    """The adding problem's answer to ``Classify``: the model's number for the typed sequence, the sum of
    its two marked values (the rule), how far off an answer may be (the paper's 0.04), the sequence's
    length and the length the model trained on."""

    request: Classify
    value: float
    rule: float
    tolerance: float
    length: int
    trained_length: int


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


PredictResult = (
    SampleAnswer | NextAnswer | ReplyAnswer | ClassifyAnswer | WrittenAnswer | NumberAnswer | ForecastAnswer
)
