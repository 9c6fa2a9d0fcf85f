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
}


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "nan", "exploding" or "vanishing"
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
    return None
