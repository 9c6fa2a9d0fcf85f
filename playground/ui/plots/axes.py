"""Axes the plots share: time steps labelled with the probe's inputs, and a log axis labelled per decade."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from playground.ui.plots.theme import LABEL_PT, TICK_PT, font, scheme

MAX_TIME_TICKS = 40  # at most this many labelled time steps on an axis


class TimeAxis(pg.AxisItem):
    """A time-step axis that shows the probe's inputs: the character on top, its index under it.

    Ticks are thinned to steps of 1, 2, 5, 10, ... so that at most ``MAX_TIME_TICKS`` labels show
    and none overlap, whatever the width of the plot.
    """

    def __init__(self, orientation: str = "bottom", caption: bool = True, **kwargs):
        super().__init__(orientation, **kwargs)
        self._caption = caption  # name the axis after what the labels are (characters or values)
        self.setStyle(hideOverlappingLabels=False)  # the first and last labels may reach past the axis ends
        self.labels: tuple[str, ...] = ()
        self._tick_px = 12.0
        self._major_step = 1

    def set_labels(self, labels, inputs=None) -> None:
        """The tick labels; ``inputs``: the sequence the caption names instead (a one-output step's
        "answer" or "next" stands after inputs that are values)."""
        labels = tuple(labels)
        if labels == self.labels:
            return
        self.labels = labels
        fm = QFontMetrics(self.style.get("tickFont") or font(TICK_PT))
        widest_label = max((fm.horizontalAdvance(s) for s in labels), default=0)
        widest_index = fm.horizontalAdvance(str(max(len(labels) - 1, 0)))
        self._tick_px = max(widest_label, widest_index) + 8.0
        # room for the first and last labels to reach past the ends of the axis
        self.setStyle(hideOverlappingLabels=int(max(15, self._tick_px / 2 + 2)))
        if self._caption:
            shown = labels if inputs is None else tuple(inputs)
            self.setLabel(time_caption(shown), color=scheme().text, **{"font-size": f"{LABEL_PT}pt"})
        if labels:  # two lines of text (character, index): pyqtgraph's own estimate is one line short
            self.setStyle(autoExpandTextSpace=False, tickTextHeight=2 * fm.height() + 2)
        else:
            self.setStyle(autoExpandTextSpace=True)
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        n = len(self.labels)
        if n == 0:
            return super().tickValues(minVal, maxVal, size)
        lo = max(0, math.ceil(min(minVal, maxVal)))
        hi = min(n - 1, math.floor(max(minVal, maxVal)))
        if hi < lo:
            return []
        fit = max(1, min(MAX_TIME_TICKS, int(size / self._tick_px)))
        step = 1
        while (hi - lo) // step + 1 > fit:
            step = _next_nice(step)
        self._major_step = step
        first = math.ceil(lo / step) * step
        levels = [(float(step), [float(v) for v in range(first, hi + 1, step)])]
        if step > 1 and size / (hi - lo + 1) >= 4:  # unlabelled small ticks at every step when room
            levels.append((1.0, [float(v) for v in range(lo, hi + 1) if v % step]))
        return levels

    def tickStrings(self, values, scale, spacing):
        n = len(self.labels)
        if n == 0:
            return super().tickStrings(values, scale, spacing)
        if self._major_step > 1 and spacing == 1:
            return [""] * len(values)
        out = []
        for v in values:
            i = round(v)
            out.append(f"{self.labels[i]}\n{i}" if 0 <= i < n else "")
        return out


class LogAxis(pg.AxisItem):
    """A log axis labelled 0.01, 0.1, 1, 10, 100, 1000 and 10⁻⁶ beyond: one style for every decade."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        # the in-between level repeats the decades: drop them, or their labels are drawn twice (bold)
        decades = {round(v, 6) for spacing, values in levels if spacing is not None for v in values}
        return [
            (spacing, values if spacing is not None else [v for v in values if round(v, 6) not in decades])
            for spacing, values in levels
        ]

    def logTickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            k = math.floor(v + 1e-6)
            mantissa = round(10 ** (v - k), 3)
            if mantissa == 1:
                out.append(f"{10.0**k:g}" if -2 <= k <= 3 else pow10(k))
            elif mantissa in (2, 5) and -2 <= k <= 2:  # a few in-between labels; 3, 4, 6... would crowd
                out.append(f"{mantissa * 10.0**k:g}")
            else:
                out.append("")
        return out


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pow10(k: int) -> str:
    """10 to the power k, written the way a textbook would: 10⁻¹⁴."""
    return "10" + str(int(k)).translate(_SUPERSCRIPT)


def time_caption(labels) -> str:
    """'input character / time step t' for text, 'input value / time step t' for a series or the adding
    problem (whose marked values are starred: "0.45*")."""
    if labels and all(_is_number(s) for s in labels):
        return "input value / time step t"
    return "input character / time step t"


def _is_number(label: str) -> bool:
    try:
        float(label.removesuffix("*"))
    except ValueError:
        return False
    return True


def _next_nice(step: int) -> int:
    exp = 10 ** int(math.log10(step))
    for m in (1, 2, 5, 10):
        if m * exp > step:
            return m * exp
    return 10 * exp
