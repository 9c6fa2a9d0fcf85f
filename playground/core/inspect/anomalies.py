"""Anomalies in a number series: points the model's one-step-ahead forecast misses by far more than usual.

For every point with a full window before it (training and held-out parts alike), the model
predicts it from the real values before it. The *usual size* of an error is robust, so the
anomalies themselves do not inflate it: ``scale = 1.4826 * MAD``, the median absolute deviation
of the signed errors from their median, times the factor that makes it the standard deviation
for normally distributed errors. A point's ``score`` is how far its error lies from the median
error in those units, ``|e - median(e)| / scale``; a systematic lag of an under-trained model
therefore does not flag every point. With ``threshold`` 4 a point is flagged when its error is
more than four "standard deviations" of the usual error away (about 1 in 16,000 points for
normal noise).

Echoes: a spike at ``i`` is also the newest input of the prediction for ``i + 1`` (and sits in the
window of the next few), so those predictions miss too. Consecutive points above the threshold
are therefore one anomaly, reported at the first of them: the point whose own value broke the
pattern, while the later ones only inherited it through their inputs. ``above`` keeps every
point over the threshold, echoes included.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

if TYPE_CHECKING:  # the window shows thresholds before torch has loaded
    import torch

DEFAULT_THRESHOLD = 4.0
MAD_TO_SIGMA = 1.4826  # 1 / Phi^-1(3/4): MAD * this = the standard deviation of normal errors
CHUNK = 4096  # windows per forward pass


def check_threshold(threshold: Any) -> float:
    """``threshold`` as a float, refusing anything but a finite number above 0."""
    if isinstance(threshold, bool):
        raise PlaygroundError(f"anomaly threshold must be a number above 0, got {threshold!r}")
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise PlaygroundError(f"anomaly threshold must be a number above 0, got {threshold!r}") from None
    if not math.isfinite(t) or t <= 0:
        raise PlaygroundError(
            f"anomaly threshold must be a finite number above 0 (times the usual error), got {threshold!r}"
        )
    return t


def robust_scale(errors: np.ndarray, floor: float = 1e-12) -> tuple[float, float]:
    """The median signed error and the usual size of an error around it (1.4826 * MAD, at least ``floor``)."""
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        return 0.0, floor
    centre = float(np.median(e))
    scale = MAD_TO_SIGMA * float(np.median(np.abs(e - centre)))
    return centre, max(scale, floor)


def flag(index: np.ndarray, score: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions over ``threshold``: (one per anomaly, the first of each run of consecutive ones; all of them).

    Cheap enough to call on every move of a threshold control.
    """
    t = check_threshold(threshold)
    index = np.asarray(index, dtype=np.int64)
    above = index[np.asarray(score, dtype=np.float64) > t]
    if above.size == 0:
        return above, above
    starts = np.ones(above.size, dtype=bool)
    starts[1:] = np.diff(above) > 1  # a point right after another one over the threshold is its echo
    return above[starts], above


def anomalies(model: torch.nn.Module, task: Any, threshold: float = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """One-step-ahead errors for every point with a full window before it, scored and flagged.

    Returns numpy arrays ``index`` (positions in the series), ``predicted`` (original units),
    ``error`` (absolute), ``score`` (distance from the median error in usual sizes), ``flagged``
    (one position per anomaly, see the module notes on echoes) and ``above`` (every position
    over the threshold), and floats ``scale`` (the usual size of an error), ``centre`` (the
    median signed error) and ``threshold``.
    """
    t = check_threshold(threshold)
    if kind_spec(task.kind).prediction_page != "forecast":
        raise PlaygroundError(f"anomalies are looked for in number series (prices), not in {task.kind} data")
    values = np.asarray(task.values, dtype=np.float64)
    w, n = int(task.window), len(values)
    encoded, last = task.encoded_windows()  # row r -> the value at r + w (with any input columns)
    import torch

    from playground.core.inference import model_fn

    fn = model_fn(model)
    deltas = np.empty(n - w, dtype=np.float64)
    for lo in range(0, n - w, CHUNK):
        x = np.ascontiguousarray(encoded[lo : lo + CHUNK])
        deltas[lo : lo + CHUNK] = fn(torch.from_numpy(x)).reshape(-1).double().numpy()
    predicted = np.asarray(task.normalizer.decode_delta(last, deltas), dtype=np.float64)
    index = np.arange(w, n, dtype=np.int64)
    signed = predicted - values[w:]
    # a floor far below any real error keeps a perfect fit (MAD 0) from dividing by zero
    centre, scale = robust_scale(signed, floor=1e-9 * float(task.normalizer.scale))
    score = np.abs(signed - centre) / scale
    flagged, above = flag(index, score, t)
    return {
        "index": index,
        "predicted": predicted,
        "error": np.abs(signed),
        "score": score,
        "flagged": flagged,
        "above": above,
        "scale": scale,
        "centre": centre,
        "threshold": t,
    }
