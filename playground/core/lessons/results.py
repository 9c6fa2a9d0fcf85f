"""What a lesson's check reads (:class:`LessonContext`: the model in training and its recent steps)
and what it says (:class:`LessonCheck`), with the small measures every check shares. No Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core.lessons.cards import CARDS

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

THIS = ""  # a check's LessonCheck names no lesson: ``check`` stamps the id it was asked for


@dataclass(frozen=True)
class LessonCheck:
    """What a check found: whether the learner has seen the lesson, in one or two sentences of numbers."""

    lesson: str
    passed: bool
    text: str
    numbers: dict[str, float] = field(default_factory=dict)
    # Not seen, but for a reason the learner should hear (the card's own "Try this" led here, or luck
    # did): one sentence on why this run differs from the card's claim. The window shows it in place
    # of a bare "Not yet."
    differs: str = ""


@dataclass
class LessonContext:
    """The model in training and what the engine saw of its recent steps."""

    trainer: Any  # playground.core.train.trainer.Trainer
    grad_norms: np.ndarray = field(default_factory=lambda: np.zeros(0))  # before clipping, recent steps
    grad_norms_clipped: np.ndarray = field(default_factory=lambda: np.zeros(0))
    refused: int = 0  # refused (NaN) steps of this model


def _accuracy(ctx: LessonContext) -> tuple[float, float]:
    """Held-out accuracy and chance of a classification model (memory, order)."""
    from playground.core.lessons.quantities import accuracy_and_chance

    return accuracy_and_chance(ctx)


def _model_name(tr: Any) -> str:
    return tr.session.model.describe().split(",")[0]


def _a(name: str) -> str:
    """'an LSTM', 'a GRU': the article as the letters are spoken."""
    return ("an " if name[:1].upper() in "AEFHILMNORSX" else "a ") + name


def _untrained(ctx: LessonContext, lesson_id: str) -> str:
    """Where a check passes on a model that stays at chance, a model that has hardly trained proves
    nothing: the words asking for the card's steps first, or "" once it has trained half of them."""
    want = next((x.steps for x in CARDS if x.id == lesson_id), 0)
    done = int(ctx.trainer.steps)
    if done * 2 >= want:
        return ""
    return f"Train first (the card's {want:,} steps; {done:,} so far): a model at chance before training shows nothing."
