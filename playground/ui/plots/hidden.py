"""The hidden state h_t of one layer as a heatmap: time steps across, hidden units up."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.ui.plots.base import (
    DIVERGING,
    EmptyHint,
    LayerChooser,
    ProbeCard,
    SessionCard,
    TimeAxis,
    finite_abs_max,
    image_rect,
    make_colour_bar,
    make_plot,
    nice_ceiling,
    pow10,
    set_colour_bar_label,
)
from playground.ui.session import Session

EXPLANATION = (
    "Each column is one time step of the probe text (its character is under the axis), each row is one "
    "hidden unit, and the colour is that unit's value h_t: blue negative, white near zero, orange positive. "
    "The colour scale is fixed (-1 to 1 for tanh units), so a colour means the same on every frame.\n"
    "Healthy: a varied pattern that changes with the characters, and some units that keep their colour "
    "over several steps (that is memory).\n"
    "Trouble: almost all white means the signal died away (dead units). Almost all deep red and blue means "
    "the units are saturated at -1 or +1, where tanh passes almost no gradient back.\n"
    "Try: another layer, another weight initialisation, or watch how the pattern changes while training."
)
BOUNDED_LABEL = "h_t (fixed ±1)"


class HiddenStatePlot(ProbeCard, SessionCard):
    """Heatmap of ``probe.hidden[layer]`` (T, F) drawn as units (rows) by time steps (columns)."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("hidden state h_t", session, parent)
        self.layer_choice = LayerChooser()
        self.layer_choice.currentIndexChanged.connect(self.redraw)
        self.add_header_widget(self.layer_choice)

        self.time_axis = TimeAxis("bottom")
        self.plot = make_plot("hidden unit", "input character / time step t", bottom_axis=self.time_axis)
        self.plot_item = self.plot.getPlotItem()
        self.plot_item.setMouseEnabled(x=True, y=True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(DIVERGING)
        self.plot_item.addItem(self.image)
        self.level = 1.0  # symmetric colour levels +-level; only ever grow (no flicker)
        self.colour_bar = make_colour_bar(self.plot_item, self.image, DIVERGING, (-1.0, 1.0), BOUNDED_LABEL)
        self.hint = EmptyHint(self.plot_item)
        self._shape: tuple[int, int] | None = None
        self.body_layout.addWidget(self.plot)
        self.show_tooltip_on(self.plot)
        self.set_explanation(EXPLANATION)

    def levels(self) -> tuple[float, float]:
        return (-self.level, self.level)

    def summary(self) -> str:
        """How large the hidden state is over the probe sequence, and how many units saturate."""
        probe = self.session.probe
        if probe is None:
            return ""
        layer = min(self.layer_choice.currentIndex(), probe.hidden.shape[0] - 1)
        h = np.abs(np.asarray(probe.hidden[layer], float))
        if not np.isfinite(h).all():
            return "The hidden state holds values that are not finite numbers: the weights have blown up."
        stuck = int((h.mean(axis=0) > 0.95).sum())
        return (
            f"Hidden state h_t of layer {layer + 1} over {h.shape[0]} steps at step {self.session.probe_step:,}: "
            f"mean size {float(h.mean()):.2f}, largest {float(h.max()):.3g}; {stuck} of {h.shape[1]} units near ±1 "
            "(saturated) on average."
        )

    def _draw(self) -> None:
        probe = self.session.probe
        if probe is None:
            self._clear()
            return
        layer = self.layer_choice.sync(probe.hidden.shape[0])
        h = probe.hidden[layer]  # (T, F)
        grown = nice_ceiling(finite_abs_max(h))
        if grown > self.level:
            self.level = grown
            if self.level >= 1e4:  # blown up: a short label, the bar is small
                set_colour_bar_label(self.colour_bar, f"h_t (±{pow10(round(math.log10(self.level)))})")
            else:
                set_colour_bar_label(self.colour_bar, f"h_t (±{self.level:g}, grows only)")
        data = np.ascontiguousarray(h.T)  # (F, T): rows are units, columns are time steps
        self.image.setImage(data, autoLevels=False, levels=self.levels())
        if tuple(self.colour_bar.levels()) != self.levels():  # axes redraw only when something moved
            self.colour_bar.setLevels(self.levels())
        n_t, n_f = h.shape
        if self._shape != (n_t, n_f):  # a new sequence length or model: show all of it
            self._shape = (n_t, n_f)
            self.image.setRect(image_rect(n_t, n_f))
            self.plot_item.setRange(xRange=(-0.5, n_t - 0.5), yRange=(-0.5, n_f - 0.5), padding=0)
        self.time_axis.set_labels(probe.labels[:n_t])
        self.image.setVisible(True)
        self.hint.setVisible(False)
        self.set_title(f"hidden state h_t, layer {layer + 1}, step {self.session.probe_step}")

    def _clear(self) -> None:
        self.image.clear()
        self.image.setVisible(False)
        self.time_axis.set_labels(())
        self.hint.setVisible(True)
        self._shape = None
        self.set_title("hidden state h_t")

    def reset(self, session: Session) -> None:
        super().reset(session)
        self.level = 1.0
        self.colour_bar.setLevels(self.levels())
        set_colour_bar_label(self.colour_bar, BOUNDED_LABEL)
