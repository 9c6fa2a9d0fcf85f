"""Training and validation loss over the steps of a run."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QWidget

from playground.ui.palettes import LOSS_COLOURS
from playground.ui.plots.base import (
    ORANGE,
    EmptyHint,
    SessionCard,
    StepRange,
    add_legend,
    make_plot,
    set_axis_label,
)
from playground.ui.plots.live_curve import LiveCurve
from playground.ui.session import Session

EXPLANATION = (
    "The loss after every training step (blue line) and on held-out validation data every few steps "
    "(orange dots). x: training step. y: loss, lower is better. For text it is measured in nats: "
    "ln(number of different characters) is pure guessing, 0 would be always certain and right.\n"
    "Healthy: both fall quickly at first, then flatten out, with the orange dots close to the blue line.\n"
    "Trouble: a flat line means nothing is being learned (try a larger learning rate). Sudden spikes or "
    "a jump up mean exploding gradients (lower the learning rate or turn on clipping). Orange rising "
    "while blue keeps falling means the model memorises its training data (overfitting).\n"
    "Tick 'log scale' to see the small improvements late in training."
)


class LossPlot(SessionCard):
    """Training loss per step (thin blue) and validation loss (orange, with dots)."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("loss", session, parent)
        self.log_checkbox = QCheckBox("log scale")
        self.log_checkbox.setToolTip("show the loss on a logarithmic axis")
        self.log_checkbox.toggled.connect(self._on_log_toggled)
        self.add_header_widget(self.log_checkbox)

        self.plot = make_plot("loss (nats)", "step")
        self.plot_item = self.plot.getPlotItem()
        self.legend = add_legend(self.plot_item)
        self.train_curve = LiveCurve(
            self.plot_item, pg.mkPen(LOSS_COLOURS["training"], width=1), name="training loss"
        )
        self.val_curve = self.plot_item.plot(
            name="validation loss",
            pen=pg.mkPen(LOSS_COLOURS["validation"], width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=ORANGE,
            symbolPen=None,
            antialias=False,
        )
        self.val_curve.setClipToView(True)
        # a loss to beat (the classics: predicting the mean, chance), dashed, named in the legend
        dashed = pg.mkPen("#606060", width=1, style=Qt.PenStyle.DashLine)
        self.reference_line = pg.InfiniteLine(angle=0, pen=dashed)
        self.reference_line.setVisible(False)
        self.plot_item.addItem(self.reference_line, ignoreBounds=True)
        self.reference_sample = pg.PlotDataItem(pen=dashed)  # the legend's swatch: never drawn on the plot
        self.reference_name = ""
        self.reference: tuple[float, str] | None = None
        self._val_shown: tuple = ()  # (count, last step, log scale) of the validation points drawn
        self.hint = EmptyHint(self.plot_item)
        self.view_range = StepRange(self.plot_item, on_resume=self.redraw)
        self.body_layout.addWidget(self.plot)
        self.show_tooltip_on(self.plot)
        self.set_explanation(EXPLANATION)

    def set_loss_label(self, text: str) -> None:
        """'loss (nats)' for text, 'loss (MSE)' for prices."""
        set_axis_label(self.plot_item, "left", text)

    def set_reference(self, reference: tuple[float, str] | None) -> None:
        """A dashed horizontal line at a loss to beat, named in the legend ("predict the mean: 0.167");
        None: no line."""
        self.reference = reference
        if self.reference_name:
            self.legend.removeItem(self.reference_name)
            self.reference_name = ""
        if reference is None:
            self.reference_line.setVisible(False)
            return
        value, label = reference
        self._place_reference()
        self.reference_name = f"{label}: {value:.3g}"
        self.legend.addItem(self.reference_sample, self.reference_name)
        self.reference_line.setToolTip(
            f"{label}: a loss of {value:.4g}, what a model that learnt nothing useful scores"
        )
        self.reference_line.setVisible(True)

    def _place_reference(self) -> None:
        if self.reference is not None:  # on a log axis the line sits at log10 of the loss
            value = self.reference[0]
            self.reference_line.setValue(
                np.log10(max(value, 1e-12)) if self.log_checkbox.isChecked() else value
            )

    def _on_log_toggled(self, on: bool) -> None:
        self.plot_item.setLogMode(x=False, y=on)
        self._place_reference()
        self.view_range.reset()
        self.redraw()

    def summary(self) -> str:
        """The latest loss, where it is heading, and the latest validation loss."""
        x, y = self.session.loss.view()
        if not len(x):
            return ""
        y = y.reshape(len(x), -1)[:, 0]
        ok = np.isfinite(y)
        if not ok.any():
            return ""
        x, y = x[ok], y[ok]
        n = min(len(y), 50)
        k, start = max(1, n // 5), len(y) - n
        now, before = float(np.mean(y[len(y) - k :])), float(np.mean(y[start : start + k]))
        trend = "falling" if now < before * 0.98 else "rising" if now > before * 1.02 else "flat"
        vx, vy = self.session.val.view()
        val = f"; validation loss {float(vy.reshape(-1)[-1]):.4g} at step {int(vx[-1]):,}" if len(vx) else ""
        return (
            f"Training loss {float(y[-1]):.4g} at step {int(x[-1]):,}, {trend} over the last {n} steps{val}."
        )

    def _draw(self) -> None:
        x, y = self.session.loss.view()
        vx, vy = self.session.val.view()
        y, vy = y[:, 0], vy[:, 0]
        if self.log_checkbox.isChecked():  # a loss of exactly 0 (MSE) must not break the log axis
            y, vy = np.maximum(y, 1e-12), np.maximum(vy, 1e-12)
        self.train_curve.set_points(x, y)
        shown = (len(vx), int(vx[-1]) if len(vx) else -1, bool(self.log_checkbox.isChecked()))
        if shown != self._val_shown:  # validation points come every few dozen steps, not every frame
            self.val_curve.setData(vx, vy)
            self._val_shown = shown
        ys = [y, vy] if self.reference is None else [y, vy, np.array([self.reference[0]])]  # the line in view
        self.view_range.update(x if len(x) else vx, ys, log_y=self.log_checkbox.isChecked())
        self.hint.setVisible(len(x) == 0 and len(vx) == 0)

    def _clear(self) -> None:
        self.train_curve.clear_points()
        self.val_curve.setData([], [])
        self._val_shown = ()
        self.hint.setVisible(True)
        self.view_range.reset()
