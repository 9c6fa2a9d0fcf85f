"""Gradient diagnosis: say in plain words when training goes wrong, and what would fix it.

Three troubles are recognised, from numbers the window already has:

* **NaN**: a step whose loss or gradient was NaN or infinite. The trainer refuses such a step
  (the weights stay as they were), so the diagnosis can say it was rolled back.
* **Exploding**: the gradient norm (before clipping) jumps far above its own recent typical size,
  or the loss climbs far above the best it reached.
* **Vanishing**: in the newest probe, ||dL/dh_t|| at the first time step is a tiny fraction of the
  last one's: the error no longer reaches the start of the sequence.

Each diagnosis carries the fixes that address it, as ids the window turns into buttons. No Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from playground.core.config import ModelConfig, TrainConfig

EXPLODE_FACTOR = 100.0  # gradient norm this many times its recent median: exploding
LOSS_FACTOR = 3.0  # loss this many times its best so far (after warm-up): blowing up
VANISH_RATIO = 1e-6  # ||dL/dh_0|| / ||dL/dh_T|| below this: vanished (the plot calls 1e-3 "vanishing")
WARMUP = 20  # steps before exploding is judged against the run's own history
SMOOTH = 10  # the loss is judged by medians of this many steps
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

FIX_TEXT = {
    "clip": "Clip gradients at norm 1",
    "lower_lr": "Learning rate ÷10",
    "relu_identity": "ReLU + identity init",
    "lstm": "Switch to LSTM",
    "gru": "Switch to GRU",
    "undo": "Undo: go back before it",
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
    "undo": "Go back to the weights and optimizer state from before the last Step or Play: the blown-up "
    "update is undone, bit for bit.",
    "dropout": "Dropout switches off a random 30% of the signals between layers at every step, so the model "
    "cannot lean on any one of them to recite the training data. Starts a new model with 2 layers.",
}
OVERFIT_RISE = 0.15  # validation loss this far (relative) above its best while training loss falls


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
) -> Diagnosis | None:
    """The most urgent trouble in a run, or None when it looks healthy.

    ``losses`` and ``grad_norms`` are the accepted steps in order (gradient norms before clipping);
    ``refused`` counts refused (NaN) steps; ``probe_grad`` is the newest probe's ||dL/dh_t|| of the
    top layer.
    """
    if refused:
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
    # Vanishing is diagnosed for the vanilla RNN, where it stops learning and the fixes apply; gated
    # cells show a small ||dL/dh_t|| far back too, yet learn through their cell state and gates.
    if probe_grad is not None and model.arch == "rnn" and len(probe_grad) > 1:
        p = np.asarray(probe_grad, np.float64)
        first, last = float(p[0]), float(p[-1])
        if math.isfinite(first) and last > 0 and first / last < VANISH_RATIO:
            k = math.floor(math.log10(max(first / last, 1e-300)))
            return Diagnosis(
                "vanishing",
                f"Vanishing gradients: the error of the last prediction reaches the first time step at "
                f"10{str(k).translate(_SUPERSCRIPT)} of its strength at the last. The model cannot learn what early inputs say about "
                "late outputs.",
                _fixes("vanishing", model, train),
            )
    overfit = _overfitting(model, losses, val_steps, val_losses)
    if overfit is not None:
        return overfit
    return None


def _overfitting(model: ModelConfig, losses, val_steps, val_losses) -> Diagnosis | None:
    """Validation loss well above its best, several checks in a row, while training loss still falls."""
    if val_steps is None or val_losses is None or len(val_losses) < 6:
        return None
    v = np.asarray(val_losses, np.float64)
    steps = np.asarray(val_steps, np.int64)
    best = int(np.argmin(v))
    if best > len(v) - 4 or not np.all(v[-3:] > v[best] * (1 + OVERFIT_RISE)):
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
        f"while the training loss kept falling ({before:.3g} to {now:.3g}). The model is learning its "
        "training data by heart rather than what generalises: more steps only make it worse.",
        fixes,
    )
