"""What a teacher's lesson file can check: quantities the app already measures on the model in training.

Each is a function of a :class:`~playground.core.lessons.results.LessonContext` (the trainer and what the
engine saw of its recent steps) that only reads: it never trains, so it runs between two steps. ``lo`` and
``hi`` bound the values it can take, so that a lesson file's threshold outside them (one that can never
decide) is refused when the file is read. Nothing here imports torch until a quantity is measured.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

__all__ = ["QUANTITIES", "Quantity", "measure"]


@dataclass(frozen=True)
class Quantity:
    name: str
    words: str  # what it is, for docs/lessons.md and `rnn-playground lessons --file`
    lo: float
    hi: float
    fn: Callable[[Any], float]


def accuracy_and_chance(ctx: Any) -> tuple[float, float]:
    """Held-out accuracy and chance of a classification model (memory, order)."""
    from playground.core.inference import model_fn

    tr = ctx.trainer
    if tr.task.classes is None:
        raise PlaygroundError("this check needs the memory or word-order data: press Set it up")
    result = tr.task.evaluate(model_fn(tr.model), tr.device)
    return float(result["accuracy"]), float(result["chance"])


def _held_out_accuracy(ctx: Any) -> float:
    return accuracy_and_chance(ctx)[0]


def _val_loss(ctx: Any) -> float:
    loss = ctx.trainer.validate()
    if loss is None:
        raise PlaygroundError("this data keeps nothing held out: there is no validation loss to check")
    return float(loss)


def _train_loss(ctx: Any) -> float:
    losses = np.asarray(ctx.trainer.history.losses[-20:], dtype=np.float64)
    if not len(losses):
        raise PlaygroundError("no training step yet: train first, then check")
    return float(np.mean(losses))


def _reach(ctx: Any) -> float:
    """Steps back the probe's gradient through time keeps at least 1/1000 of the last step's."""
    from playground.core.inspect.reach import gradient_reach

    g = ctx.trainer.probe().grad_norm[-1]
    r = gradient_reach(g, 1e-3)
    return float(0 if r is None else r.steps)


def _clipped_grad_norm(ctx: Any) -> float:
    g = np.asarray(ctx.grad_norms_clipped, dtype=np.float64)
    if not len(g):
        raise PlaygroundError("no training step seen yet: train a few steps, then check")
    return float(np.median(g[-50:]))


def _grad_norm(ctx: Any) -> float:
    g = np.asarray(ctx.grad_norms, dtype=np.float64)
    if not len(g):
        raise PlaygroundError("no training step seen yet: train a few steps, then check")
    return float(np.max(g[-50:]))


def _solved_fraction(ctx: Any) -> float:
    """The classics' measure (adding, temporal order, copy): the share of the 2,560 held-out sequences
    answered right by the paper's criterion (adding: within 0.04 of the sum; temporal order: the right
    class; copy: every symbol copied). Solved: at most 1 wrong, a share above 2,558 / 2,560."""
    from playground.core.inference import model_fn
    from playground.core.kinds import kind_spec

    tr = ctx.trainer
    if "span" not in kind_spec(tr.task.kind).settings:  # the classics: the kinds with a length T
        raise PlaygroundError("this check reads the adding, temporal-order or copy data: press Set it up")
    result = tr.task.evaluate(model_fn(tr.model), tr.device)
    share = result.get("solved_fraction", result.get("sequences_right", result.get("accuracy")))
    return float(share)


def _copied_share(ctx: Any) -> float:
    """Copy memory's symbol accuracy: the share of the copied symbols right over the 2,560 held-out
    sequences. Arjovsky et al. plot the cross-entropy against the memoryless baseline; this is the
    same comparison in a unit a learner can read: a network that forgets scores 1/8 (one of 8 symbols),
    where ``solved_fraction`` (every symbol of a sequence right) stays at 0 until it is nearly perfect."""
    from playground.core.inference import model_fn

    tr = ctx.trainer
    if tr.task.kind != "copy":
        raise PlaygroundError("this check reads the copy-memory data: press Set it up")
    return float(tr.task.evaluate(model_fn(tr.model), tr.device)["accuracy"])


def _forget_gate_mean(ctx: Any) -> float:
    gates = ctx.trainer.probe().gates
    if "f" not in gates:
        raise PlaygroundError("this model has no forget gate: the check reads an LSTM's")
    return float(np.mean(gates["f"][-1]))


QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        Quantity("held_out_accuracy", "the share of held-out sequences answered right (memory, word order), 0 to 1", 0.0, 1.0, _held_out_accuracy),
        Quantity("val_loss", "the loss on the held-out data now", 0.0, 1e6, _val_loss),
        Quantity("train_loss", "the mean training loss of the last 20 steps", 0.0, 1e6, _train_loss),
        Quantity("reach", "how many steps back the gradient through time keeps 1/1000 of its size at the last step", 0.0, 1e6, _reach),
        Quantity("grad_norm_clipped", "the median gradient norm after clipping over the last 50 steps", 0.0, 1e12, _clipped_grad_norm),
        Quantity("grad_norm_peak", "the largest gradient norm before clipping over the last 50 steps", 0.0, 1e12, _grad_norm),
        Quantity("solved_fraction", "the classics (adding, temporal order, copy): the share of the 2,560 held-out sequences right by the paper's criterion, 0 to 1", 0.0, 1.0, _solved_fraction),
        Quantity("copied_share", "copy memory: the share of the held-out copied symbols right, 0 to 1 (forgetting them: 1/8)", 0.0, 1.0, _copied_share),
        Quantity("forget_gate_mean", "the LSTM forget gate's mean over the probe sequence, top layer, 0 to 1", 0.0, 1.0, _forget_gate_mean),
        Quantity("steps", "the optimizer steps trained so far", 0.0, 1e9, lambda ctx: float(ctx.trainer.steps)),
    )
}  # fmt: skip


def measure(name: str, ctx: Any) -> float:
    """Quantity ``name`` of the model in ``ctx``; a PlaygroundError when it cannot be read of this model."""
    value = QUANTITIES[name].fn(ctx)
    if not math.isfinite(value):
        raise PlaygroundError(
            f"{name} is not a finite number on this model ({value}): its weights may have blown up"
        )
    return value
