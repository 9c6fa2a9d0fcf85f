"""The step debugger: the last Step, laid open.

After Step (or the last step of Step ×N) the worker sends a :class:`StepDetail`:
the batch as characters or values, what the model predicted, the loss at each
time step, how far this step's error reached back through time, and how far
each weight tensor moved. This view shows all of it for one sequence of the
batch at a time. Nothing here trains or touches the model.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.ui.palettes import RIGHT_BG, RIGHT_MARK, WRONG_BG, WRONG_MARK
from playground.ui.plots.base import (
    BLUE,
    VERMILLION,
    EmptyHint,
    LogAxis,
    TimeAxis,
    make_plot,
    set_axis_label,
    style_axis,
)
from playground.ui.plots.theme import scheme
from playground.ui.session import Session

TABLE_EXPLANATION = (
    "One sequence of the batch this step trained on. Each column is a time step: the input the model "
    "read, the target it should have predicted next, what it did predict (marked \u2713 on blue when right, \u2717 on orange when "
    "wrong) and the probability it gave the right answer. The loss of the step is the average, over "
    "every sequence and time step, of -log p(target).\n"
    "Use the arrows beside 'sequence' to look at other sequences of the same batch."
)
LOSS_EXPLANATION = (
    "The loss at each time step of this step's batch (averaged over the sequences). Early time steps "
    "have seen little context, so their loss is usually higher; their mean is the step's loss."
)
GTT_EXPLANATION = (
    "||dL/dh_t|| for this step's batch: how strongly this step's error reached back to the hidden "
    "state at each time step (log axis). A steep fall towards t = 0 is a vanishing gradient: the early "
    "part of each sequence barely changed the weights in this update."
)
UPDATE_EXPLANATION = (
    "How far this step moved each weight tensor, relative to its size: ||Δθ|| / ||θ||. Around 10⁻³ is "
    "typical for Adam; much larger means the learning rate is high for this tensor, much smaller means "
    "it is barely learning. Refused steps (NaN) move nothing."
)
RIGHT = QColor(RIGHT_BG)
WRONG = QColor(WRONG_BG)
CELL_TEXT = QColor("#1a1a1a")  # on the pale cell colours, in the light and the dark theme


class StepDebugger(QWidget):
    """The batch, predictions, per-step loss, gradient through time and update sizes of the last Step."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._drawn: int | None = None

        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.sequence = QSpinBox()
        self.sequence.setRange(1, 1)
        self.sequence.setPrefix("sequence ")
        self.sequence.setToolTip("Which sequence of the batch to show (the numbers below cover the batch).")
        self.sequence.valueChanged.connect(self._draw_table)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setToolTip(TABLE_EXPLANATION)
        self.table.setMinimumHeight(150)
        self.table.horizontalHeader().setDefaultSectionSize(34)
        self.table.verticalHeader().setDefaultSectionSize(24)

        self.loss_axis = TimeAxis("bottom")
        self.loss_plot = make_plot("loss at t", "input / time step t", bottom_axis=self.loss_axis)
        self.loss_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=BLUE, pen=None)
        self.loss_plot.addItem(self.loss_bars)
        self.loss_plot.setToolTip(LOSS_EXPLANATION)

        self.gtt_axis = TimeAxis("bottom")
        self.gtt_plot = make_plot("‖dL/dh_t‖ (log)", "input / time step t", self.gtt_axis, log_y=True)
        self.gtt_curve = self.gtt_plot.plot(pen=pg.mkPen(VERMILLION, width=2), symbol="o", symbolSize=4)
        self.gtt_plot.setToolTip(GTT_EXPLANATION)

        self.update_axis = NameAxis("left")
        self.update_plot = pg.PlotWidget(axisItems={"left": self.update_axis, "bottom": LogAxis("bottom")})
        self.update_plot.setBackground(scheme().plot_bg)
        item = self.update_plot.getPlotItem()
        for name in ("left", "bottom"):
            style_axis(item.getAxis(name))
        set_axis_label(item, "bottom", "‖Δθ‖ / ‖θ‖ (log)")
        item.setMenuEnabled(False)
        item.getAxis("bottom").setLogMode(True)  # the bars are drawn in log10 units already
        self.update_bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[], brush=BLUE, pen=None)
        item.addItem(self.update_bars)
        self.update_plot.setToolTip(UPDATE_EXPLANATION)
        self.empty_hints = [
            EmptyHint(p.getPlotItem(), "press Step to see one step laid open")
            for p in (self.loss_plot, self.gtt_plot, self.update_plot)
        ]

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.sequence)
        grid = QGridLayout()
        grid.addWidget(_titled("loss at each time step", self.loss_plot), 0, 0)
        grid.addWidget(_titled("gradient through time, this step", self.gtt_plot), 0, 1)
        grid.addWidget(_titled("size of the update, per weight tensor", self.update_plot), 0, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(grid, 1)
        self._clear()

    # -- session -------------------------------------------------------------------------
    def reset(self, session: Session) -> None:
        self.session = session
        self._drawn = None
        self._clear()

    def refresh(self) -> None:
        if self._drawn == self.session.detail_version:
            return
        self._drawn = self.session.detail_version
        if self.session.detail is None:
            self._clear()
        else:
            self._draw()

    # -- drawing ---------------------------------------------------------------------------
    def _clear(self) -> None:
        self.header.setText(
            "<b>Step debugger.</b> Press <b>Step</b> (S): this view shows that one optimizer step whole: "
            "the batch, what the model predicted, the loss at each time step, the gradient through time "
            "and how far each weight tensor moved. <b>Undo</b> (Ctrl+Z) takes the step back."
        )
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.loss_bars.setOpts(x=[], height=[])
        self.gtt_curve.setData([], [])
        self.update_bars.setOpts(x0=[], y=[], width=[])
        for h in self.empty_hints:
            h.setVisible(True)

    def _draw(self) -> None:
        d, r = self.session.detail, self.session.detail_report
        assert d is not None and r is not None
        for h in self.empty_hints:
            h.setVisible(False)
        state = (
            f"<span style='color:{scheme().error}'><b>refused</b>: " + html.escape(r.message) + "</span>"
            if r.refused
            else f"loss <b>{r.loss:.4f}</b>"
        )
        clip = (
            f"gradient norm {r.grad_norm:.3g} → {r.grad_norm_clipped:.3g} after clipping"
            if r.grad_norm_clipped < r.grad_norm * 0.999
            else f"gradient norm {r.grad_norm:.3g} (not clipped)"
        )
        self.header.setText(
            f"<b>Step {r.step:,}</b>: {state} (mean over the batch), {clip}, learning rate {r.lr:g}."
        )
        n_seq = len(d.inputs)
        self.sequence.blockSignals(True)
        self.sequence.setRange(1, max(1, n_seq))
        self.sequence.setSuffix(f" of {n_seq} shown")
        self.sequence.blockSignals(False)
        self._draw_table()

        labels = tuple(d.inputs[0]) if d.inputs else ()
        n_t = len(d.loss_per_step)
        x = np.arange(n_t)
        self.loss_bars.setOpts(x=x, height=d.loss_per_step, width=0.8)
        if n_t == 1 and labels:  # one prediction (a series, the adding problem): its bar stands after the inputs
            self.loss_axis.set_labels((_one_output(d.kind),), inputs=labels)
        else:
            self.loss_axis.set_labels(labels[:n_t])
        self.loss_plot.getPlotItem().setRange(
            xRange=(-0.6, n_t - 0.4), yRange=(0, float(np.nanmax(d.loss_per_step)) * 1.1 or 1.0), padding=0
        )
        g = np.asarray(d.grad_through_time, np.float64)
        self.gtt_curve.setData(np.arange(len(g)), np.maximum(g, 1e-30))
        self.gtt_axis.set_labels(labels[: len(g)])
        pos = g[np.isfinite(g) & (g > 0)]
        if pos.size:  # whole decades, at least one, so the log axis always has labelled ticks
            lo, hi = np.floor(np.log10(pos.min())), np.ceil(np.log10(pos.max()))
            if hi - lo < 1:
                lo -= 1
            self.gtt_plot.getPlotItem().setRange(xRange=(-0.5, len(g) - 0.5), yRange=(lo, hi), padding=0.02)

        names = list(r.param_names)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(d.param_norms > 0, d.update_norms / d.param_norms, 0.0)
        shown = np.maximum(rel, 1e-12)
        self.update_axis.set_names(names)
        # log-x: bars start at 1e-12 so a zero update is a bar of no length
        self.update_bars.setOpts(
            x0=np.full(len(names), -12.0), y=np.arange(len(names)), width=np.log10(shown) + 12, height=0.7
        )
        item = self.update_plot.getPlotItem()
        lo = float(np.floor(np.log10(shown[rel > 0].min()))) - 0.5 if (rel > 0).any() else -6
        hi = float(np.ceil(np.log10(shown.max()))) + 0.2
        item.setRange(xRange=(max(lo, -12), hi), yRange=(-0.6, len(names) - 0.4), padding=0)
        self.update_plot.setToolTip(
            UPDATE_EXPLANATION
            + "\n\n"
            + "\n".join(
                f"{n}: ||Δθ|| {u:.3g}, ||θ|| {p:.3g}"
                for n, u, p in zip(names, d.update_norms, d.param_norms, strict=False)
            )
        )

    def _draw_table(self) -> None:
        d = self.session.detail
        if d is None or not d.inputs:
            return
        i = min(self.sequence.value() - 1, len(d.inputs) - 1)
        inputs, targets, preds = d.inputs[i], d.targets[i], d.predictions[i]
        series = len(targets) == 1 and len(inputs) > 1
        rows = ["input", "target", "predicted"] + ([] if d.target_prob is None else ["p(target)"])
        n_t = len(inputs)
        self.table.clear()
        self.table.setRowCount(len(rows))
        self.table.setColumnCount(n_t + (1 if series else 0))
        self.table.setVerticalHeaderLabels(rows)
        heads = [str(t) for t in range(n_t)] + ([_one_output(d.kind)] if series else [])
        self.table.setHorizontalHeaderLabels(heads)
        for t, s in enumerate(inputs):
            self.table.setItem(0, t, _cell(s))
        offset = n_t if series else 0  # a series predicts one value after its window
        for t, (want, got) in enumerate(zip(targets, preds, strict=False)):
            right = want == got
            self.table.setItem(1, offset + t, _cell(want))
            if series:
                self.table.setItem(2, offset + t, _cell(got))
            else:  # a mark beside the colour: right and wrong never rest on colour alone
                mark = RIGHT_MARK if right else WRONG_MARK
                self.table.setItem(2, offset + t, _cell(got, RIGHT if right else WRONG, mark))
            if d.target_prob is not None:
                p = float(d.target_prob[i, t])
                self.table.setItem(3, offset + t, _cell(f"{p:.2f}", _prob_colour(p)))
        if series:
            err = _series_error(targets[0], preds[0])
            if err is not None:
                self.table.item(2, offset).setToolTip(f"error {err:+.3g}")
        self.table.resizeColumnsToContents()
        # as tall as its rows (and the scroll bar): the plots below get the rest
        bar = self.table.horizontalScrollBar().sizeHint().height()
        rows_h = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(self.table.horizontalHeader().height() + rows_h + bar + 6)


def _cell(text: str, colour: QColor | None = None, mark: str = "") -> QTableWidgetItem:
    shown = {"\n": "↵", " ": "␣", "\t": "⇥"}.get(text, text)
    item = QTableWidgetItem(f"{shown} {mark}" if mark else shown)
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    if colour is not None:
        item.setBackground(QBrush(colour))
        item.setForeground(QBrush(CELL_TEXT))
    tip = {RIGHT_MARK: " (right)", WRONG_MARK: " (wrong)"}.get(mark, "")
    item.setToolTip(repr(text) + tip)
    return item


def _prob_colour(p: float) -> QColor:
    """White for a confident right answer's complement: the lower p(target), the warmer the cell."""
    p = min(max(p, 0.0), 1.0)
    return QColor(int(251 - (251 - 216) * p), int(224 + (240 - 224) * p), int(216 + (228 - 216) * p))


def _series_error(target: str, predicted: str) -> float | None:
    try:
        return float(predicted) - float(target)
    except ValueError:
        return None


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    v = QVBoxLayout(box)
    v.setContentsMargins(0, 0, 0, 0)
    label = QLabel(f"<b>{html.escape(title)}</b>")
    v.addWidget(label)
    v.addWidget(widget, 1)
    return box


class NameAxis(pg.AxisItem):
    """A left axis that labels row i with the i-th parameter tensor's name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.names: list[str] = []

    def set_names(self, names: list[str]) -> None:
        if names != self.names:
            self.names = names
            self.picture = None
            self.update()

    def tickValues(self, minVal, maxVal, size):
        return [(1, list(range(len(self.names))))]

    def tickStrings(self, values, scale, spacing):
        return [self.names[int(v)] if 0 <= int(v) < len(self.names) else "" for v in values]


def _one_output(kind: str) -> str:
    """The column of a kind's one output after its inputs: a series' next value, the adding problem's answer."""
    from playground.core.kinds import KINDS

    spec = KINDS.get(kind)
    return "next" if spec is None or spec.prediction_page == "forecast" else "answer"
