"""Gradients: through time on the probe sequence, and their size over training."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

from playground.core.inspect.reach import (
    REACH_FRACTION,
    gradient_reach,
    reach_sentence,
    reach_summary,
    share_text,
)
from playground.ui.palettes import BEFORE_CLIP  # the total before clipping: grey, dashed
from playground.ui.plots.base import (
    BLUE,
    LABEL_PT,
    ORANGE,
    SERIES_COLOURS,
    VERMILLION,
    EmptyHint,
    LayerChooser,
    LegendStrip,
    ProbeCard,
    SessionCard,
    StepRange,
    TimeAxis,
    font,
    make_plot,
    pow10,
)
from playground.ui.plots.live_curve import LiveCurve
from playground.ui.plots.theme import scheme, themed
from playground.ui.session import PROBE_TRAIL, Session

GRAD_FLOOR = 1e-12  # zeros are drawn here on a log axis (lower when real values go lower)
SMALLEST_FLOOR = 1e-40
EXPLODING = 1e3

GTT_EXPLANATION = (
    "How strongly the error of the last prediction reaches back to the hidden state at each earlier "
    "time step: the size of the gradient ||dL/dh_t||, on a log scale (each step up the axis is 10 times "
    "more). x: time step, with the input character on the axis. The red line is the newest probe; "
    "the faded lines are earlier ones, so you can see the trend while training.\n"
    "The line under the plot says how far back it reaches: how many steps back from the last one the "
    "gradient is still at least a thousandth (10⁻³) of the last step's.\n"
    "A curve that falls towards the left is not a fault by itself: a trained model whose prediction does not "
    "depend on far inputs has small gradients to them by design. It is vanishing when the model needs a far "
    "input and cannot learn it: the loss stays stuck while the gradient at that input is tiny (typical for a "
    "vanilla tanh RNN on long gaps; LSTM, GRU or identity initialisation help). The banner above the plots "
    "says so when the evidence shows it.\n"
    "A curve that rises towards the left or goes above 1000 means gradients grow through time: training will "
    "jump around. Lower the learning rate or turn on gradient clipping."
)

NORM_EXPLANATION = (
    "The size (norm) of the gradient at every training step, on a log scale: one coloured line per part "
    "of the network (input, each layer, output), and black lines for the whole network before "
    "(dashed) and after (solid) clipping.\n"
    "Healthy: lines that wobble but stay within a factor of ten or so, slowly shrinking as the loss falls.\n"
    "Exploding: sudden spikes of 100 times or more. With clipping on, the solid black line stays capped "
    "at the clip value while the dashed one spikes: clipping is doing its job.\n"
    "Vanishing: one layer's line far below the others; that layer learns much more slowly.\n"
    "Try: change the learning rate or the clipping and watch the spikes."
)


def log_floor(arrays) -> float:
    """The floor for drawing on a log axis: GRAD_FLOOR, or a power of ten below the smallest real value."""
    smallest = math.inf
    for a in arrays:
        a = np.asarray(a, np.float64)
        pos = a[np.isfinite(a) & (a > 0)]
        if pos.size:
            smallest = min(smallest, float(pos.min()))
    if smallest >= GRAD_FLOOR:
        return GRAD_FLOOR
    return max(SMALLEST_FLOOR, 10.0 ** math.floor(math.log10(smallest)))


def for_log_axis(a: np.ndarray, floor: float) -> np.ndarray:
    """Zeros raised to ``floor``; inf and NaN become gaps (NaN) instead of breaking the axis."""
    a = np.asarray(a, np.float64)
    return np.where(np.isfinite(a), np.maximum(a, floor), np.nan)


def gradient_verdict(g: np.ndarray, unit: str = "steps") -> tuple[str, str]:
    """(kind, one line) for a gradient-through-time curve g[t]: what it measures, not a diagnosis.

    kind is 'reach' (the plain measure: how far back the gradient reaches at 10⁻³ of the last
    step's), 'growing' (it grows going back, or passes 1000), 'overflow' (infinite or NaN) or 'none'.
    A short reach is not called vanishing here: a trained model whose prediction does not depend
    on far inputs has small gradients to them by design. The diagnosis banner names pathologies,
    from the loss as well (``playground.core.inspect.diagnosis``).
    """
    g = np.asarray(g, np.float64)
    if g.size == 0:
        return "none", ""
    if not np.isfinite(g).all():
        return "overflow", "overflowed: the gradient reached infinity or NaN"
    first, last = float(g[0]), float(g[-1])
    if last <= 0:
        if float(g.max()) <= 0:
            return "none", "no gradient: the last prediction does not depend on these steps"
        return "none", "no gradient at the last step: the shares cannot be measured"
    ratio = first / last
    if ratio > EXPLODING:
        return (
            "growing",
            f"grows going back: the first step gets {share_text(ratio)} times the last step's gradient",
        )
    if float(g.max()) > EXPLODING:
        return "growing", f"large: gradients reach {pow10(math.floor(math.log10(g.max())))}"
    reach = gradient_reach(g, REACH_FRACTION)
    text = reach_sentence(reach, unit)
    if not reach.whole:
        text += f"; the first step gets {share_text(ratio)}"
    return "reach", text


VERDICT_STYLES = {  # the verdict line's colour, a Scheme field, per verdict
    "reach": "color: {text};",
    "growing": "color: {error};",
    "overflow": "color: {error};",
    "none": "color: {muted};",
}


class GradientThroughTimePlot(ProbeCard, SessionCard):
    """||dL/dh_t|| against t (log y) for one layer: the newest probe bold over faded earlier ones."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("gradient through time", session, parent)
        self.layer_choice = LayerChooser()
        self.layer_choice.currentIndexChanged.connect(self.redraw)
        self.add_header_widget(self.layer_choice)

        self.time_axis = TimeAxis("bottom")
        self.plot = make_plot("‖dL/dh_t‖ (log)", "input character / time step t", self.time_axis, log_y=True)
        self.plot_item = self.plot.getPlotItem()
        self.trail_curves: list[pg.PlotDataItem] = []
        for i in range(PROBE_TRAIL):
            # oldest first: the older a probe, the fainter its line
            alpha = int(35 + 120 * (i + 1) / PROBE_TRAIL)
            pen = pg.mkPen(QColor(70, 110, 150, alpha), width=1)
            curve = self.plot_item.plot(pen=pen, antialias=False, connect="finite")
            curve.setZValue(i)
            self.trail_curves.append(curve)
        self.curve = self.plot_item.plot(pen=pg.mkPen(VERMILLION, width=2), antialias=False, connect="finite")
        self.curve.setZValue(100)
        # A bidirectional model: each direction's own curve beside the red one (both together).
        self.direction_curves = [
            self.plot_item.plot(
                pen=pg.mkPen(colour, width=1.5, style=style), antialias=False, connect="finite"
            )
            for colour, style in ((BLUE, Qt.PenStyle.SolidLine), (ORANGE, Qt.PenStyle.DashLine))
        ]
        for curve in self.direction_curves:
            curve.setZValue(90)
        self.direction_legend = LegendStrip()
        self.direction_legend.set_entries(
            [
                ("both directions", VERMILLION, False),
                ("forward →", BLUE, False),
                ("← backward", ORANGE, True),
            ]
        )
        self.direction_legend.setVisible(False)
        self.hint = EmptyHint(self.plot_item)
        self.view_range = StepRange(self.plot_item, on_resume=self.redraw)
        self.floor = GRAD_FLOOR
        self._n_t = 0
        self.verdict_kind = "none"
        self.unit = "steps"  # what one time step is: "characters", "words" or "steps" (set_reach_context)
        self.init_grad: np.ndarray | None = None  # the top layer's curve at initialisation, if known
        self.needed: tuple[int, ...] = ()  # time steps the task's answer depends on (memory: the key)
        self.verdict = QLabel("")
        self.verdict.setFont(font(LABEL_PT, bold=True))
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.body_layout.addWidget(self.plot, 1)
        self.body_layout.addWidget(self.direction_legend)
        self.body_layout.addWidget(self.verdict)
        self._clear()
        self.show_tooltip_on(self.plot)
        self.set_explanation(GTT_EXPLANATION)

    def set_reach_context(
        self, unit: str = "steps", init_grad: np.ndarray | None = None, needed: tuple[int, ...] = ()
    ) -> None:
        """What the line under the plot quotes beside the reach: the unit of a time step ("characters"),
        the top layer's curve at initialisation, and the positions the answer needs."""
        needed = tuple(needed)
        if unit == self.unit and init_grad is self.init_grad and needed == self.needed:
            return  # unchanged (it is asked with every probe): no redraw
        self.unit, self.init_grad, self.needed = unit, init_grad, needed
        self.redraw()

    def summary(self) -> str:
        """How far back the last prediction's gradient reaches now."""
        probe = self.session.probe
        if probe is None:
            return ""
        g = np.asarray(
            probe.grad_norm[min(self.layer_choice.currentIndex(), len(probe.grad_norm) - 1)], float
        )
        if not len(g) or not np.isfinite(g).all() or g[-1] <= 0:
            return (
                "The gradient through time is not a finite number at every step: the weights have blown up."
            )
        found = gradient_reach(g, 1e-3)
        back = 0 if found is None else found.steps
        return (
            f"At step {self.session.probe_step:,} the last prediction's gradient keeps a thousandth of its size "
            f"{back} of {len(g) - 1} steps back; at the first step it is {g[0] / g[-1]:.2g} of the last."
        )

    def _draw(self) -> None:
        probe = self.session.probe
        if probe is None:
            self._clear()
            return
        layer = self.layer_choice.sync(probe.grad_norm.shape[0])
        newest = probe.grad_norm[layer]
        earlier = [
            (step, g) for step, g in self.session.probe_trail if g is not probe.grad_norm and layer < len(g)
        ][-len(self.trail_curves) :]
        per_dir = getattr(probe, "grad_norm_dirs", None)
        bidirectional = per_dir is not None and per_dir.shape[1] == 2 and layer < per_dir.shape[0]
        own = list(per_dir[layer]) if bidirectional else []
        self.floor = log_floor([newest, *own, *(g[layer] for _, g in earlier)])
        free = len(self.trail_curves) - len(earlier)
        drawn = [for_log_axis(newest, self.floor)]
        for i, curve in enumerate(self.trail_curves):  # the newest earlier probe on the darkest line
            if i < free:
                curve.setData([], [])
                continue
            g = earlier[i - free][1][layer]
            drawn.append(for_log_axis(g, self.floor))
            curve.setData(np.arange(len(g)), drawn[-1])
        self.curve.setData(np.arange(len(newest)), drawn[0])
        for d, curve in enumerate(self.direction_curves):
            if bidirectional:
                drawn.append(for_log_axis(per_dir[layer, d], self.floor))
                curve.setData(np.arange(len(newest)), drawn[-1])
            else:
                curve.setData([], [])
        self.direction_legend.setVisible(bidirectional)
        self.time_axis.set_labels(probe.labels[: len(newest)])
        if self._n_t != len(newest):  # a new sequence length: show all of it
            self._n_t = len(newest)
            self.view_range.reset()
        # whole half-decades, so the axes move only now and then (and never after the user zooms)
        self.view_range.update(np.arange(len(newest)), drawn, log_y=True, x_range=(-0.5, len(newest) - 0.5))
        self.hint.setVisible(False)

        kind, text = gradient_verdict(newest, self.unit)
        top = layer == probe.grad_norm.shape[0] - 1
        if kind == "reach" and top and (self.init_grad is not None or self.needed):
            text = reach_summary(newest, self.init_grad, self.needed, probe.labels, self.unit)
        if bidirectional:
            text += (
                " (bidirectional: the red line adds both directions; blue, the forward direction, whose "
                "gradient flows left from the last step; orange, the backward direction, whose gradient flows "
                "right from the first step, which it read last)"
            )
        clipped = np.isfinite(newest) & (newest <= 0)
        if clipped.any():
            text += f" ({int(clipped.sum())} zero values drawn at {self.floor:.0e})"
        if kind != self.verdict_kind:  # a new style sheet re-polishes the label: only on a change
            themed(self.verdict, VERDICT_STYLES[kind])
        self.verdict_kind = kind
        self.verdict.setText(text)
        self.set_title(f"gradient through time, step {self.session.probe_step}")

    def _clear(self) -> None:
        for curve in (*self.trail_curves, self.curve, *self.direction_curves):
            curve.setData([], [])
        self.direction_legend.setVisible(False)
        self.time_axis.set_labels(())
        self.hint.setVisible(True)
        self._n_t = 0
        self.view_range.reset()
        self.plot_item.setRange(xRange=(0, 1), yRange=(-4, 0), padding=0)  # 0.0001 to 1 until data comes
        self.verdict_kind = "none"
        self.verdict.setText("")
        self.set_title("gradient through time")


def layer_colour(i: int) -> str:
    return SERIES_COLOURS[i % len(SERIES_COLOURS)]


class GradNormPlot(SessionCard):
    """Gradient norm per training step: one line per layer group, and the total before and after clipping."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("gradient norm during training", session, parent)
        self.plot = make_plot("gradient norm (log)", "step", log_y=True)
        self.plot_item = self.plot.getPlotItem()
        self.legend = LegendStrip()
        # before clipping: grey and dashed, so where clipping cut it, the black line below it shows the cut
        self.before_curve = self._new_curve(pg.mkPen(BEFORE_CLIP, width=1, style=Qt.PenStyle.DashLine))
        self.after_curve = self._new_curve(pg.mkPen(scheme().text, width=1))
        self.layer_curves: list[pg.PlotDataItem] = []
        self._names: tuple[str, ...] | None = None
        self.hint = EmptyHint(self.plot_item)
        self.view_range = StepRange(self.plot_item, on_resume=self.redraw)
        self._clear()
        self.body_layout.addWidget(self.plot, 1)
        self.body_layout.addWidget(self.legend)
        self.show_tooltip_on(self.plot)
        self.set_explanation(NORM_EXPLANATION)
        self._sync_names(())

    def _new_curve(self, pen) -> LiveCurve:
        return LiveCurve(self.plot_item, pen)

    def _sync_names(self, names: tuple[str, ...]) -> None:
        """Curves and legend entries for the layer groups; only when the groups change, never per frame."""
        if names == self._names:
            return
        self._names = names
        while len(self.layer_curves) < len(names):
            curve = self._new_curve(pg.mkPen(layer_colour(len(self.layer_curves)), width=1))
            curve.setZValue(-1)  # the black totals stay on top
            self.layer_curves.append(curve)
        entries = [(name, layer_colour(i), False) for i, name in enumerate(names)]
        entries += [
            ("total, before clipping", BEFORE_CLIP, True),
            ("total, after clipping", scheme().text, False),
        ]
        self.legend.set_entries(entries)
        for i, curve in enumerate(self.layer_curves):
            curve.setVisible(i < len(names))
            if i >= len(names):
                curve.clear_points()

    def summary(self) -> str:
        """The latest gradient norm, before and after clipping."""
        x, y = self.session.grad.view()
        if not len(x) or y.ndim != 2 or y.shape[1] < 2:
            return ""
        before, after = float(y[-1][0]), float(y[-1][1])
        clip = f", {after:.3g} after clipping" if after < before * 0.999 else " (not clipped)"
        recent = y[-50:, 0]
        return f"Gradient norm {before:.3g} at step {int(x[-1]):,}{clip}; the largest of the last {len(recent)} steps {float(np.nanmax(recent)):.3g}."

    def _draw(self) -> None:
        s = self.session
        self._sync_names(s.layer_names)
        x, both = s.grad.view()
        lx, per_layer = s.layers.view()
        floor = GRAD_FLOOR
        self.before_curve.set_points(x, for_log_axis(both[:, 0], floor))
        self.after_curve.set_points(x, for_log_axis(both[:, 1], floor))
        n_groups = min(len(s.layer_names), per_layer.shape[1])
        for i, curve in enumerate(self.layer_curves[: len(s.layer_names)]):
            if i < n_groups:
                curve.set_points(lx, for_log_axis(per_layer[:, i], floor))
        self.view_range.update(x, [both[:, 0], both[:, 1], per_layer[:, :n_groups].ravel()], log_y=True)
        self._empty = len(x) == 0
        self.hint.setVisible(self._empty)

    def _clear(self) -> None:
        for curve in (self.before_curve, self.after_curve, *self.layer_curves):
            curve.clear_points()
        self.hint.setVisible(True)
        self._empty = True
        self.view_range.reset()
        self.plot_item.setRange(xRange=(0, 1), yRange=(-3, 1), padding=0)  # 0.001 to 10 until data comes
