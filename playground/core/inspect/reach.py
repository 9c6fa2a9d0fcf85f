"""How far back the gradient reaches: the gradient-through-time curve as one plain number.

A probe gives ||dL/dh_t|| of the top layer for every time step t of one sequence, where L is the
loss of the *last* prediction. Divided by the last step's value it says what share of the error
signal each earlier step gets. The **reach** is how many steps back from the last that share is
still at least ``fraction`` (10⁻³ unless told): "reaches 12 characters back at 10⁻³ of the last
step".

A short reach is not a fault by itself. A trained model whose prediction does not depend on a far
input has a small gradient to it by design (a character model needs the last few characters most;
a memory model that has latched its key in saturated units passes almost no gradient back to it).
Whether a short reach is *vanishing* is for ``diagnosis.diagnose`` to judge, together with the
loss. Where a task knows which inputs the answer needs (memory: the key; order: the adjectives
and "not"), ``needed_positions`` finds them and ``share_at`` reads the curve there.

No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np


REACH_FRACTION = 1e-3  # a step gets at least this share of the last step's gradient: reached
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_TINY = 1e-300


def pow10(k: int) -> str:
    """10 to the power k, as a textbook writes it: 10⁻³."""
    return "10" + str(int(k)).translate(_SUPERSCRIPT)


def share_text(x: float) -> str:
    """A share such as 3.2e-9 as '3·10⁻⁹'; 0 as '0'; whole powers of ten as '10⁻³'; 0.01 to 1 plainly."""
    if not math.isfinite(x):
        return "infinite" if x > 0 else "NaN"
    if x <= 0:
        return "0"
    if 0.01 <= x < 1000:
        return f"{x:.2g}"
    k = math.floor(math.log10(x))
    m = x / 10.0**k
    if round(m) >= 10:
        m, k = 1.0, k + 1
    return pow10(k) if round(m) == 1 else f"{round(m)}·{pow10(k)}"


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit


def steps_text(n: int, unit: str = "steps") -> str:
    """'1 character', '12 characters'."""
    return f"{n} {_singular(unit) if n == 1 else unit}"


@dataclass(frozen=True)
class Reach:
    """The gradient-through-time curve of one probe, measured against its last step."""

    shares: np.ndarray  # (T,) ||dL/dh_t|| / ||dL/dh_T-1||; NaN where not finite
    steps: int  # how many steps back from the last the share is still >= fraction (0: only the last)
    fraction: float

    @property
    def length(self) -> int:
        return len(self.shares)

    @property
    def whole(self) -> bool:
        """The start of the sequence still gets at least ``fraction``."""
        return self.steps >= self.length - 1

    @property
    def first(self) -> float:
        """The share the first time step gets."""
        return float(self.shares[0])

    def share_at(self, t: int) -> float:
        return float(self.shares[t])


def gradient_reach(g: Sequence[float] | np.ndarray, fraction: float = REACH_FRACTION) -> Reach | None:
    """The reach of a curve g[t] = ||dL/dh_t||, or None where it cannot be measured.

    None when g is empty, has NaN or infinite values, or the last step's gradient is 0. The reach
    counts to the *farthest* step still at ``fraction`` or more, so a gated model that routes the
    gradient to one far input (and little to the steps between) is measured as reaching it.
    """
    g = np.asarray(g, np.float64).ravel()
    if g.size == 0 or not np.isfinite(g).all() or not g[-1] > 0:
        return None
    shares = g / g[-1]
    above = np.flatnonzero(shares >= fraction)  # never empty: the last step's share is 1
    return Reach(shares=shares, steps=int(len(g) - 1 - above[0]), fraction=float(fraction))


def reach_sentence(reach: Reach, unit: str = "steps") -> str:
    """'reaches 12 characters back at 10⁻³ of the last step', or '... reaches the start ...'."""
    at = f"at {share_text(reach.fraction)} of the last step"
    if reach.length == 1:
        return "one step only: nothing to reach back to"
    if reach.whole:
        return f"reaches the start, {steps_text(reach.length - 1, unit)} back, {at}"
    return f"reaches {steps_text(reach.steps, unit)} back {at}"


def needed_positions(task: Any, labels: Sequence[str]) -> tuple[int, ...]:
    """The time steps of the probe sequence the task's answer depends on; () where the task does not say.

    Asks the task's own ``dependency_positions(tokens)`` (memory: the key; order: the two
    adjectives and "not"). Text, dialogs and series have no such known positions.
    """
    ask = getattr(task, "dependency_positions", None)
    if ask is None:
        return ()
    try:
        return tuple(sorted(int(t) for t in ask(list(labels)) if 0 <= int(t) < len(labels)))
    except Exception:  # a sequence the rule cannot read: no known positions rather than an error
        return ()


def chance_loss(task: Any) -> float | None:
    """The loss of a model that knows nothing about order (nats), or None where it is not known.

    A classifier guessing uniformly: ln(classes). Text: the unigram entropy (always predicting the
    character frequencies). Series (mean squared error): None.
    """
    classes = getattr(task, "classes", None)
    if classes:
        return math.log(len(classes))
    unigram = getattr(task, "unigram_entropy", None)
    if callable(unigram):
        try:
            return float(unigram())
        except Exception:
            return None
    return None


def reach_summary(
    probe_grad: Sequence[float] | np.ndarray | None,
    probe_grad_init: Sequence[float] | np.ndarray | None = None,
    needed: Sequence[int] = (),
    labels: Sequence[str] | None = None,
    unit: str = "steps",
    fraction: float = REACH_FRACTION,
) -> str:
    """One or two plain sentences to show beside the gradient plot.

    "Reaches 12 characters back at 10⁻³ of the last step (at initialisation: 7). At 'A', 11 steps
    back: 3·10⁻⁹ of the last step's gradient (at initialisation 8·10⁻⁵)."
    """
    if probe_grad is None or len(probe_grad) == 0:
        return ""
    g = np.asarray(probe_grad, np.float64)
    if not np.isfinite(g).all():
        return "The gradient overflowed: infinite or NaN values on the probe sequence."
    now = gradient_reach(g, fraction)
    if now is None:
        return "No gradient at the last step: the last prediction does not depend on the last state."
    init = None if probe_grad_init is None else gradient_reach(probe_grad_init, fraction)
    text = reach_sentence(now, unit)
    text = text[0].upper() + text[1:]
    if init is not None and init.length == now.length:
        text += f" (at initialisation: {'the start' if init.whole else init.steps})"
    text += "."
    if now.first > 1e3:
        text += f" Going back it grows: the first step gets {share_text(now.first)} times the last step's."
    for t in sorted(set(int(p) for p in needed if 0 <= int(p) < now.length))[:3]:
        back = now.length - 1 - t
        name = f"'{labels[t]}'" if labels is not None and t < len(labels) else f"t = {t}"
        part = f" At {name}, {steps_text(back, unit)} back: {share_text(now.share_at(t))} of the last step's"
        if init is not None and init.length == now.length:
            part += f" (at initialisation {share_text(init.share_at(t))})"
        text += part + "."
    return text
