"""Gradient diagnosis: say in plain words when training goes wrong, and what would fix it.

Three troubles are recognised, from numbers the window already has:

* **NaN**: a step whose loss or gradient was NaN or infinite. The trainer refuses such a step
  (the weights stay as they were), so the diagnosis can say it was rolled back. Once many healthy
  steps have followed (``steps_since_refusal``), it is no longer said.
* **Exploding**: the gradient norm (before clipping) jumps far above its own recent typical size,
  or the loss climbs far above the best it reached.
* **Vanishing**: *both* the loss is stuck (after enough steps it is still about where it started,
  or at chance, and no longer falling) *and* the gradient of the last prediction at the inputs the
  task needs (memory: the key; without known positions, the first step) is below 10⁻³ of the last
  step's. A small gradient to a far input alone is no fault: a trained model whose prediction does
  not depend on that input has a small gradient to it by design (see ``reach.py``).
* **Overfitting**: the validation loss has risen above its best, by a share *and* by an absolute
  amount (tiny losses such as 10⁻⁸ rising to 2·10⁻⁸ are not overfitting), while training falls.

Each verdict says what it measured, and carries the fixes that address it, as ids the window turns
into buttons. When the evidence is gone, ``diagnose`` returns None again: the window can clear its
banner. No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playground.core.config import ModelConfig, TrainConfig
from playground.core.reach import REACH_FRACTION, gradient_reach, share_text, steps_text

EXPLODE_FACTOR = 100.0  # gradient norm this many times its recent median: exploding
LOSS_FACTOR = 3.0  # loss this many times its best so far (after warm-up): blowing up
VANISH_RATIO = REACH_FRACTION  # gradient at a needed input below this share of the last step's: not reached
WARMUP = 20  # steps before exploding is judged against the run's own history
SMOOTH = 10  # the loss is judged by medians of this many steps
STUCK_MIN_STEPS = 200  # a loss is called stuck only after this many steps
STUCK_DROP = 0.10  # ... and only while it is less than this share below where it started (or chance)
STUCK_FALLING = 0.02  # ... and its newest block is less than this share below the block before
REFUSAL_MEMORY = 100  # refused (NaN) steps older than this many accepted steps are no longer said

FIX_TEXT = {
    "clip": "Clip gradients at norm 1",
    "lower_lr": "Learning rate ÷10",
    "relu_identity": "ReLU + identity init",
    "lstm": "Switch to LSTM",
    "gru": "Switch to GRU",
    "undo": "Go back before the blow-up",
    "dropout": "2 layers + dropout 0.3",
}
FIX_TIPS = {
    "clip": "Scale every gradient down to norm 1 when it is larger: one bad batch can no longer throw "
    "the weights far away. Applies at the next step.",
    "lower_lr": "Take steps a tenth as long. Applies at the next step.",
    "relu_identity": "A vanilla RNN with W_hh = I and ReLU copies its state forward unchanged at first, so "
    "gradients neither shrink nor grow through time (Le et al., 2015). Starts a new model.",
    "lstm": "An LSTM's cell state carries information (and gradient) forward through its forget gate, "
    "so it can learn long-range dependencies. Starts a new model.",
    "gru": "A GRU's update gate lets it keep its state unchanged across many steps. Starts a new model.",
    "undo": "Go back to the newest kept weights and optimizer state whose loss was still near its best: "
    "the blown-up updates are undone, and the settings on screen stay as they are.",
    "dropout": "Dropout switches off a random 30% of the signals between layers at every step, so the model "
    "cannot lean on any one of them to recite the training data. Starts a new model with 2 layers.",
}
OVERFIT_RISE = 0.15  # validation loss this far (relative) above its best while training loss falls ...
OVERFIT_GAP = 0.05  # ... and at least this far (absolute, in the loss's units: nats) above it


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "nan", "exploding", "vanishing" or "overfitting"
    message: str  # one or two plain sentences
    fixes: tuple[str, ...]  # ids from FIX_TEXT, the most direct first


def _fixes(kind: str, model: ModelConfig, train: TrainConfig) -> tuple[str, ...]:
    out: list[str] = []
    if kind in ("nan", "exploding"):
        if train.clip == "off":
            out.append("clip")
        out.append("lower_lr")
    if model.arch == "rnn":
        if kind == "vanishing" and not (model.activation == "relu" and model.init == "identity"):
            out.append("relu_identity")
        out += ["lstm", "gru"]
    return tuple(out)


def diagnose(
    model: ModelConfig,
    train: TrainConfig,
    losses: np.ndarray,
    grad_norms: np.ndarray,
    refused: int = 0,
    last_refusal: str = "",
    probe_grad: np.ndarray | None = None,
    val_steps: np.ndarray | None = None,
    val_losses: np.ndarray | None = None,
    *,
    probe_grad_init: np.ndarray | None = None,
    needed_positions: Sequence[int] | None = None,
    labels: Sequence[str] | None = None,
    unit: str = "steps",
    chance_loss: float | None = None,
    steps_since_refusal: int | None = None,
) -> Diagnosis | None:
    """The most urgent trouble in a run, or None when the evidence shows none.

    ``losses`` and ``grad_norms`` are the accepted steps in order (gradient norms before clipping;
    may be empty, e.g. for a model opened from a file); ``refused`` counts refused (NaN) steps and
    ``last_refusal`` is the newest refusal's message; ``probe_grad`` is the newest probe's
    ||dL/dh_t|| of the top layer (T,); ``val_steps`` / ``val_losses`` the validation curve.

    Optional, keyword only:

    * ``probe_grad_init``: the same curve for the model at initialisation (same seed, same probe
      sequence; ``reach.probe_at_init``), quoted beside the newest one.
    * ``needed_positions``: the time steps of the probe sequence the answer depends on
      (``reach.needed_positions(task, probe.labels)``; memory: the key). None or empty: not known,
      and the first time step stands in for them.
    * ``labels``: the probe's input labels, to name a needed position ("'A'").
    * ``unit``: what one time step is, plural: "characters" (text, dialogs), "words" (order) or
      "steps".
    * ``chance_loss``: the loss of a model that has learned nothing of the sequence
      (``reach.chance_loss(task)``): a loss still about there is stuck, wherever it started.
    * ``steps_since_refusal``: accepted steps since the newest refused one. With more than
      ``REFUSAL_MEMORY`` of them, the refusals are history and no longer said. None: say them for
      as long as ``refused`` is not 0 (the old behaviour).
    """
    if refused and (steps_since_refusal is None or steps_since_refusal <= REFUSAL_MEMORY):
        what = last_refusal.split(";")[0].replace("step refused: ", "") if last_refusal else "NaN"
        steps = f"{refused} steps" if refused > 1 else "1 step"
        were = "were" if refused > 1 else "was"
        return Diagnosis(
            "nan",
            f"Exploding: {steps} produced NaN ({what}) and {were} rolled back: the weights are "
            "as they were before. The updates are too large for this model.",
            _fixes("nan", model, train),
        )
    g = np.asarray(grad_norms, np.float64)
    g = g[np.isfinite(g)]
    if len(g) > WARMUP:
        typical = float(np.median(g[-200:-10])) if len(g) > 30 else float(np.median(g[: len(g) // 2]))
        newest = float(np.max(g[-10:]))
        if typical > 0 and newest > EXPLODE_FACTOR * typical:
            return Diagnosis(
                "exploding",
                f"Exploding gradients: the gradient norm reached {newest:.3g}, "
                f"{newest / typical:.0f} times its usual {typical:.2g}. One such step can throw the weights far "
                "off" + (" (clipping is off)." if train.clip == "off" else "."),
                _fixes("exploding", model, train),
            )
    loss = np.asarray(losses, np.float64)
    loss = loss[np.isfinite(loss)]
    if len(loss) > 2 * WARMUP + SMOOTH:
        # medians of SMOOTH steps: one lucky batch is not "the best", one unlucky one not a blow-up
        n = len(loss) // SMOOTH * SMOOTH
        blocks = np.median(loss[len(loss) - n :].reshape(-1, SMOOTH), axis=1)
        best = float(np.min(blocks[:-1]))
        recent = float(blocks[-1])
        if best > 0 and recent > LOSS_FACTOR * best and recent > best + 0.5:
            return Diagnosis(
                "exploding",
                f"The loss is blowing up: {recent:.3g} now against {best:.3g} at its best. The learning rate "
                "is probably too high.",
                _fixes("exploding", model, train),
            )
    vanishing = _vanishing(
        model, train, loss, probe_grad, probe_grad_init, needed_positions, labels, unit, chance_loss
    )
    if vanishing is not None:
        return vanishing
    overfit = _overfitting(model, losses, val_steps, val_losses)
    if overfit is not None:
        return overfit
    return None


@dataclass(frozen=True)
class Stuck:
    """A loss that has not come down: the numbers a verdict quotes."""

    steps: int
    start: float  # median of the first 2 * SMOOTH steps
    recent: float  # median of the newest block
    before: float  # median of the block before it


def loss_stuck(losses: np.ndarray, chance_loss: float | None = None) -> Stuck | None:
    """The loss is stuck: after STUCK_MIN_STEPS steps it is still within STUCK_DROP of where it started
    (or of chance, whichever is lower) and it is not falling now. None when it is learning (or too soon).

    The newest block is the last 10% of the steps (at least 50); "not falling now" compares its
    median with the block before it.
    """
    loss = np.asarray(losses, np.float64)
    loss = loss[np.isfinite(loss)]
    n = len(loss)
    if n < STUCK_MIN_STEPS:
        return None
    block = max(5 * SMOOTH, n // 10)
    start = float(np.median(loss[: 2 * SMOOTH]))
    recent = float(np.median(loss[-block:]))
    before = float(np.median(loss[-2 * block : -block]))
    ref = start if chance_loss is None or not np.isfinite(chance_loss) else min(start, float(chance_loss))
    if not ref > 0:
        return None
    came_down = recent < ref * (1 - STUCK_DROP)
    falling = recent < before * (1 - STUCK_FALLING)
    if came_down or falling:
        return None
    return Stuck(steps=n, start=start, recent=recent, before=before)


def _vanishing(
    model, train, loss, probe_grad, probe_grad_init, needed_positions, labels, unit, chance_loss
) -> Diagnosis | None:
    """Vanishing: the loss is stuck AND the gradient at the inputs the answer needs is below VANISH_RATIO.

    Only for recurrent models: "through time" is the recurrence's path.
    """
    if probe_grad is None or not model.recurrent or len(probe_grad) < 2:
        return None
    stuck = loss_stuck(loss, chance_loss)
    if stuck is None:
        return None
    reach = gradient_reach(probe_grad)
    if reach is None:  # non-finite or no gradient at all: not a measurement of vanishing
        return None
    known = sorted({int(t) for t in (needed_positions or ()) if 0 <= int(t) < reach.length - 1})
    t = known[0] if known else 0  # the farthest input the answer needs; unknown: the first step
    share = reach.share_at(t)
    if not share < VANISH_RATIO:
        return None
    back = reach.length - 1 - t
    if known:
        name = f"'{labels[t]}'" if labels is not None and t < len(labels) else f"t = {t}"
        where = f"the input the answer needs ({name}, {steps_text(back, unit)} back)"
    else:
        where = f"the first input ({steps_text(back, unit)} back)"
    init = None if probe_grad_init is None else gradient_reach(probe_grad_init)
    at_init = (
        f" (at initialisation {share_text(init.share_at(t))})"
        if init is not None and init.length == reach.length
        else ""
    )
    chance = f"; chance is {chance_loss:.3g}" if chance_loss is not None and np.isfinite(chance_loss) else ""
    return Diagnosis(
        "vanishing",
        f"Vanishing gradients: after {stuck.steps:,} steps the loss is {stuck.recent:.3g}, still about where "
        f"it started ({stuck.start:.3g}{chance}), and {where} gets {share_text(share)} of the last step's "
        f"gradient{at_init}; the gradient reaches only {steps_text(reach.steps, unit)} back at "
        f"{share_text(VANISH_RATIO)}. The error of the answer does not reach that input, so the model "
        "cannot learn what it says.",
        _fixes("vanishing", model, train),
    )


def _overfitting(model: ModelConfig, losses, val_steps, val_losses) -> Diagnosis | None:
    """Validation loss well above its best, several checks in a row, while training loss still falls.

    "Well above": by OVERFIT_RISE of the best *and* by OVERFIT_GAP absolute, so a rise among tiny
    losses (10⁻⁸ to 2·10⁻⁸) is not a verdict.
    """
    if val_steps is None or val_losses is None or len(val_losses) < 6:
        return None
    v = np.asarray(val_losses, np.float64)
    steps = np.asarray(val_steps, np.int64)
    if len(steps) != len(v) or not np.isfinite(v).all():
        return None
    best = int(np.argmin(v))
    bar = max(v[best] * (1 + OVERFIT_RISE), v[best] + OVERFIT_GAP)
    if best > len(v) - 4 or not np.all(v[-3:] > bar):
        return None
    train = np.asarray(losses, np.float64)
    at_best = int(steps[best])
    if at_best < 10 or len(train) < at_best + 20:
        return None
    before = float(np.median(train[max(0, at_best - 10) : at_best]))
    now = float(np.median(train[-10:]))
    if not now < before:
        return None
    fixes = ("dropout",) if model.dropout == 0 else ()
    return Diagnosis(
        "overfitting",
        f"Overfitting: the validation loss was best at step {at_best:,} ({v[best]:.3g}) and is {v[-1]:.3g} now, "
        f"{v[-1] - v[best]:.2g} higher, while the training loss kept falling ({before:.3g} to {now:.3g}). "
        "The model is learning its training data by heart rather than what generalises: more steps only "
        "make it worse.",
        fixes,
    )
