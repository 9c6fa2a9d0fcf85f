"""A curve that grows every training step, drawn for little of the window's time.

The loss and the gradient norms get a new point every step and are redrawn ~25 times a second
while the training process shares the machine's cores with the window. pyqtgraph's
``PlotDataItem`` re-derives its whole display pipeline (log mapping, clipping, downsampling,
finiteness checks, bounds) on each ``setData``: about a third of a millisecond per curve in
Python, ~2 ms a frame for the six every-step curves of the training view (measured:
docs/benchmarks.md). :class:`LiveCurve` is a ``PlotCurveItem`` that does only what a growing
curve needs, in a few numpy calls:

- log y: values <= 0 become gaps, as PlotDataItem's log mode makes them; the PlotItem's log
  switch reaches it through ``setLogMode`` like any of its curves;
- only the part in view when the user has zoomed in, and at most two points per pixel column
  (the lowest and highest of each column, so a spike is never thinned away);
- the finiteness check once, in numpy; gaps (NaN) break the line only where there are some;
- its bounds from the points it draws, worked out once per frame: pyqtgraph's own ``dataBounds``
  and ``boundingRect`` (nan-aware minima, a pixel size through the item's transforms) were about a
  quarter of a frame's cost, recomputed for every curve whenever the view moves, which is every
  frame while the curve grows.

``getOriginalDataset()`` is what was given; ``getData()`` is what is drawn, as for PlotDataItem.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

MIN_COLUMNS = 200  # the fewest pixel columns assumed for thinning (a plot not laid out yet)


class LiveCurve(pg.PlotCurveItem):
    """A cheap every-step curve in a PlotItem's view; ``set_points(x, y)`` once per frame."""

    def __init__(self, plot_item: pg.PlotItem, pen, name: str | None = None) -> None:
        super().__init__(pen=pen, name=name, antialias=False)
        self._x = np.zeros(0, np.float64)
        self._y = np.zeros(0, np.float64)
        self._log_y = False
        self._shown_span: tuple[float, float, int] | None = None  # view span and columns last thinned for
        self._bounds: tuple | None = None  # of the points drawn: x0, x1, y0, y1 (see finite_bounds)
        plot_item.addItem(self)  # after the attributes: PlotItem calls setLogMode on its curves

    # -- what PlotItem and the tests talk to ------------------------------------------------------
    def setLogMode(self, x_mode: bool, y_mode: bool) -> None:  # pyqtgraph calls it
        if bool(y_mode) != self._log_y:
            self._log_y = bool(y_mode)
            self._show()

    def getOriginalDataset(self) -> tuple[np.ndarray, np.ndarray]:  # pyqtgraph calls it
        return self._x, self._y

    def viewRangeChanged(self, *_args) -> None:  # the ViewBox calls it when the view moves
        super().viewRangeChanged()
        if len(self._x) > 2 * MIN_COLUMNS and self._span() != self._shown_span:
            self._show()  # zoomed or panned over a long curve: thin for what is in view now

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # pyqtgraph calls it
        if frac < 1.0 or orthoRange is not None:
            return super().dataBounds(ax, frac, orthoRange)
        b = self._bounds
        if b is None:
            return (None, None)
        return (b[0], b[1]) if ax == 0 else (b[2], b[3])

    def boundingRect(self) -> QRectF:  # Qt calls it several times a frame; cached until the next change
        if self._boundingRect is None:
            b = self._bounds
            if b is None or b[2] is None:
                return QRectF()
            # half the pen's width in data units, one view pixel being (view span / view size)
            pad = self.pixelPadding()
            px = py = 0.0
            vb = self.getViewBox()
            if pad > 0 and vb is not None and vb.width() > 0 and vb.height() > 0:
                (x0, x1), (y0, y1) = vb.viewRange()
                px, py = pad * (x1 - x0) / vb.width(), pad * (y1 - y0) / vb.height()
            self._boundingRect = QRectF(b[0] - px, b[2] - py, b[1] - b[0] + 2 * px, b[3] - b[2] + 2 * py)
        return self._boundingRect

    # -- ours -------------------------------------------------------------------------------------
    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        """The whole curve, as the session holds it (every call replaces what was drawn)."""
        self._x = np.asarray(x, np.float64)
        self._y = np.asarray(y, np.float64)
        self._show()

    def clear_points(self) -> None:
        self.set_points(np.zeros(0), np.zeros(0))

    def _span(self) -> tuple[float, float, int]:
        vb = self.getViewBox()
        if vb is None:
            return (-np.inf, np.inf, 1000)
        (x0, x1), _ = vb.viewRange()
        return (float(x0), float(x1), max(MIN_COLUMNS, int(vb.width())))

    def _show(self) -> None:
        x, y = self._x, self._y
        if self._log_y and len(y):
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(np.where(y > 0, y, np.nan))
        span = self._span()
        self._shown_span = span
        x, y = thin(x, y, span[0], span[1], span[2])
        ok = np.isfinite(y)
        finite = bool(ok.all())
        self._bounds = finite_bounds(x, y if finite else y[ok])
        self.setData(x, y, connect="all" if finite else "finite", skipFiniteCheck=finite)


def finite_bounds(
    x: np.ndarray, finite_y: np.ndarray
) -> tuple[float, float, float | None, float | None] | None:
    """As pyqtgraph bounds a curve: x from first to last (``x`` is increasing), y over its finite
    values (None, None when there are none); None for no points."""
    if not len(x):
        return None
    if not len(finite_y):
        return float(x[0]), float(x[-1]), None, None
    return float(x[0]), float(x[-1]), float(np.min(finite_y)), float(np.max(finite_y))


def thin(x: np.ndarray, y: np.ndarray, lo: float, hi: float, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The points of a curve with increasing ``x`` that fall in [lo, hi] (and one each side), at most
    about two per column: each column's lowest and highest y, in that order (NaN only where a whole
    column is NaN)."""
    n = len(x)
    if n > 2 * columns and (lo > x[0] or hi < x[-1]):
        a = max(0, int(np.searchsorted(x, lo, side="left")) - 1)
        b = min(n, int(np.searchsorted(x, hi, side="right")) + 1)
        x, y = x[a:b], y[a:b]
        n = len(x)
    if n <= 2 * columns:
        return x, y
    k = n // columns  # points per column (>= 2)
    m = n // k
    body = y[: m * k].reshape(m, k)
    low = np.fmin.reduce(body, axis=1)
    high = np.fmax.reduce(body, axis=1)
    xs = np.repeat(x[: m * k : k], 2)
    ys = np.stack([low, high], axis=1).ravel()
    if m * k < n:  # the newest few points, as they are
        xs = np.concatenate([xs, x[m * k :]])
        ys = np.concatenate([ys, y[m * k :]])
    return xs, ys
