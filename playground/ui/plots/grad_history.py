"""Gradients through time over training: one row per probe, colour = log10 ||dL/dh_t||.

The gradient-through-time card shows the newest probe; this one stacks every probe of the run,
oldest at the bottom, so a learner sees vanishing or exploding gradients *develop*: a dark band
creeping in from the left is a gradient that reaches less and less far back.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.ui.palettes import SEQUENTIAL
from playground.ui.plots.base import (
    EmptyHint,
    ProbeCard,
    SessionCard,
    TimeAxis,
    image_rect,
    make_colour_bar,
    make_plot,
    pow10,
    set_axis_label,
    set_colour_bar_label,
    style_axis,
)
from playground.ui.session import Session

EXPLANATION = (
    "Each row is one look inside the model during training (a probe), the oldest at the bottom and the "
    "newest at the top; the step it was taken at is on the left axis. Each column is a time step of the "
    "probe text. The colour is log10 ||dL/dh_t||: how strongly the error of the last prediction reaches "
    "back to time step t, bright for strong, dark for faint.\n"
    "Healthy: rows bright across most of the width: the error reaches far back, so the model can learn "
    "from early characters.\n"
    "Vanishing: the left part of each row is dark, several decades below the right end. Watch whether "
    "the dark band grows or shrinks as training goes on.\n"
    "Exploding: rows turn bright yellow from the left and the colour scale stretches upwards.\n"
    "Try: a vanilla RNN against an LSTM on the same text, or identity init with ReLU."
)
CMAP = SEQUENTIAL  # cividis: the order of sizes reads in lightness
FLOOR_DECADES = 12  # colours span at most this many decades below the largest value


class StepAxis(pg.AxisItem):
    """Left axis of the heatmap: row i is labelled with the training step of probe i."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps: list[int] = []

    def set_steps(self, steps: list[int]) -> None:
        if steps != self.steps:
            self.steps = steps
            self.picture = None
            self.update()

    def tickValues(self, minVal, maxVal, size):
        n = len(self.steps)
        if n == 0:
            return []
        lo, hi = max(0, math.ceil(minVal)), min(n - 1, math.floor(maxVal))
        if hi < lo:
            return []
        every = max(1, math.ceil((hi - lo + 1) / max(2, int(size // 28))))
        return [(every, list(range(lo, hi + 1, every)))]

    def tickStrings(self, values, scale, spacing):
        return [f"{self.steps[int(v)]:,}" if 0 <= int(v) < len(self.steps) else "" for v in values]


class GradHistoryPlot(ProbeCard, SessionCard):
    """Heatmap of the top layer's ||dL/dh_t|| for every probe kept in ``session.grad_history``."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("gradient through time, over training", session, parent)
        self.time_axis = TimeAxis("bottom")
        self.step_axis = StepAxis("left")
        self.plot = make_plot("training step", "input character / time step t", bottom_axis=self.time_axis)
        self.plot_item = self.plot.getPlotItem()
        self.plot_item.setAxisItems({"left": self.step_axis})
        style_axis(self.step_axis)
        set_axis_label(self.plot_item, "left", "training step")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(CMAP)
        self.plot_item.addItem(self.image)
        self.levels = (-4.0, 0.0)  # log10 levels, whole decades; they only ever widen
        self.colour_bar = make_colour_bar(self.plot_item, self.image, CMAP, self.levels, "log10 ‖dL/dh_t‖")
        self.hint = EmptyHint(self.plot_item)
        self._shape: tuple[int, int] | None = None
        self.body_layout.addWidget(self.plot)
        self.show_tooltip_on(self.plot)
        self.set_explanation(EXPLANATION)

    def matrix(self) -> tuple[list[int], np.ndarray]:
        """(steps, rows): log10 of each kept probe's gradient, NaN where a row is shorter."""
        rows = list(self.session.grad_history)
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        n_t = max(len(g) for _, g in rows)
        out = np.full((len(rows), n_t), np.nan, np.float32)
        for i, (_, g) in enumerate(rows):
            g = np.asarray(g, np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[i, : len(g)] = np.where(g > 0, np.log10(g), np.nan)
        return [s for s, _ in rows], out

    def _draw(self) -> None:
        steps, data = self.matrix()
        if not steps:
            self._clear()
            return
        finite = data[np.isfinite(data)]
        if finite.size:
            hi = math.ceil(float(finite.max()))
            lo = max(math.floor(float(finite.min())), hi - FLOOR_DECADES)
            new = (min(self.levels[0], lo), max(self.levels[1], hi))
            if new[1] - new[0] > FLOOR_DECADES:
                new = (new[1] - FLOOR_DECADES, new[1])
            if new != self.levels:
                self.levels = new
                self.colour_bar.setLevels(new)
                set_colour_bar_label(
                    self.colour_bar, f"log10 ‖dL/dh_t‖ ({pow10(int(new[0]))} to {pow10(int(new[1]))})"
                )
        shown = np.where(np.isfinite(data), data, self.levels[0]).astype(np.float32)
        self.image.setImage(shown, autoLevels=False, levels=self.levels)
        n_rows, n_t = data.shape
        if self._shape != (n_rows, n_t):
            self._shape = (n_rows, n_t)
            self.image.setRect(image_rect(n_t, n_rows))
            self.plot_item.setRange(xRange=(-0.5, n_t - 0.5), yRange=(-0.5, n_rows - 0.5), padding=0)
        self.step_axis.set_steps(steps)
        probe = self.session.probe
        if probe is not None:
            self.time_axis.set_labels(probe.labels[:n_t])
        self.image.setVisible(True)
        self.hint.setVisible(False)
        self.set_title(f"gradient through time, over training: {len(steps)} probes to step {steps[-1]:,}")

    def _clear(self) -> None:
        self.image.clear()
        self.image.setVisible(False)
        self.time_axis.set_labels(())
        self.step_axis.set_steps([])
        self.hint.setVisible(True)
        self._shape = None
        self.set_title("gradient through time, over training")

    def reset(self, session: Session) -> None:
        super().reset(session)
        self.levels = (-4.0, 0.0)
        self.colour_bar.setLevels(self.levels)
        set_colour_bar_label(self.colour_bar, "log10 ‖dL/dh_t‖")
