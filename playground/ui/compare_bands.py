"""One architecture of a comparison drawn over its seeds: the mean as a line, the range as a band.

The Compare view draws every architecture this way, on the loss plot (loss against step) and on the
memory lesson's sweep (accuracy against the gap d): a line through the mean over the seeds, and a
band of the architecture's colour, faint, from the lowest seed to the highest. Where the bands of
two architectures overlap, one seed more could swap them; where they are apart, the difference is
not luck. No torch here: the numbers come in the Compared answer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyqtgraph as pg

BAND_ALPHA = 55  # of 255: the band is faint, the mean line on it solid


def band(curves) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, lowest, highest) over seeds, point by point, of curves cut to the shortest one's length;
    a point where a seed has no finite value takes the others' (NaN where none has one)."""
    n = min((len(c) for c in curves), default=0)
    if n == 0:
        empty = np.zeros(0, np.float64)
        return empty, empty, empty
    stack = np.stack([np.asarray(c[:n], np.float64) for c in curves])
    stack[~np.isfinite(stack)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point no seed has: NaN, silently
        return np.nanmean(stack, axis=0), np.nanmin(stack, axis=0), np.nanmax(stack, axis=0)


def smooth(values, window: int) -> np.ndarray:
    """A trailing mean over ``window`` points (the first points: over as many as there are), so the
    band shows how the seeds differ rather than how noisy one step's batch is."""
    v = np.asarray(values, np.float64)
    if window <= 1 or v.size == 0:
        return v
    finite = np.isfinite(v)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, v, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    i = np.arange(1, v.size + 1)
    lo = np.maximum(i - window, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums[i] - sums[lo]) / (counts[i] - counts[lo])


def smoothing_window(steps: int) -> int:
    """Points a loss curve of ``steps`` steps is averaged over: none for a short run, at most 20."""
    return int(min(20, max(1, steps // 30)))


class Band:
    """One architecture on one plot: ``line`` the mean over seeds, ``fill`` between ``lower`` and
    ``upper`` (the lowest and the highest seed), shown when there are two seeds or more."""

    def __init__(self, plot: pg.PlotWidget, colour: str, name: str, width: float = 1.5, symbol: bool = False):
        self.plot = plot
        edge = pg.mkColor(colour)
        edge.setAlpha(BAND_ALPHA * 2)
        self.lower = pg.PlotDataItem(pen=pg.mkPen(edge, width=0.5), name=f"{name} lowest seed")
        self.upper = pg.PlotDataItem(pen=pg.mkPen(edge, width=0.5), name=f"{name} highest seed")
        fill = pg.mkColor(colour)
        fill.setAlpha(BAND_ALPHA)
        self.fill = pg.FillBetweenItem(self.lower, self.upper, brush=pg.mkBrush(fill), pen=None)
        for item in (self.lower, self.upper, self.fill):
            plot.addItem(item)
        marks = (
            dict(symbol="o", symbolSize=8, symbolBrush=colour, symbolPen=pg.mkPen("w", width=1))
            if symbol
            else {}
        )
        self.line = plot.plot(
            pen=pg.mkPen(colour, width=width), name=f"{name} mean", connect="finite", **marks
        )
        self.seeds = 0

    def set(self, x, curves) -> None:
        """Draw ``curves`` (one per seed, each over ``x``): their mean, and their range as the band."""
        mean, lo, hi = band(curves)
        x = np.asarray(x, np.float64)[: len(mean)]
        self.seeds = len(curves)
        self.line.setData(x, mean)
        ok = np.isfinite(lo) & np.isfinite(hi)  # the band's outline has no holes: skip what is missing
        self.lower.setData(x[ok], lo[ok])
        self.upper.setData(x[ok], hi[ok])
        shown = self.seeds > 1 and bool(ok.any())
        for item in (self.lower, self.upper, self.fill):
            item.setVisible(shown)

    def clear(self) -> None:
        self.seeds = 0
        for item in (self.line, self.lower, self.upper):
            item.setData([], [])
        self.fill.setVisible(False)

    def remove(self) -> None:
        for item in (self.line, self.lower, self.upper, self.fill):
            self.plot.removeItem(item)
