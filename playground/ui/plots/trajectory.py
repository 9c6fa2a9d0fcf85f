"""The hidden state's path through time: each probe's top-layer states h_1 ... h_T projected on their
first two principal components (core/inspect/trajectory.py), drawn as a path whose points go from dark to
light with the time step, the character under the mouse. A slider scrubs back through the probes kept
over training; each projection is aligned with the one before it, so the picture does not flip or
swap its axes from one probe to the next and the shape can be watched forming."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from playground.core.inspect.trajectory import Projection, project
from playground.ui.pages import TRAJECTORY_TIP  # noqa: F401  (re-exported)
from playground.ui.palettes import SEQUENTIAL
from playground.ui.plots.base import EmptyHint, ProbeCard, SessionCard, make_plot
from playground.ui.session import Session

EXPLANATION = (
    "Every point is the network's hidden state after reading one character of the probe text, squeezed "
    "from its many units onto the two directions along which the states differ most (principal "
    "components; the share of the variation each one holds is in the title). Dark points come first, "
    "light ones last; rest the mouse on a point to see its character.\n"
    "What to look for: at the start of training the path is a tangle near the middle. As the network "
    "learns, states that mean the same thing move together: the ends of words, spaces, the inside of a "
    "quotation gather in their own regions, and the path jumps between them. Move the slider to go back "
    "through the probes taken during training and watch the shape form; the axes are kept aligned from "
    "one probe to the next, so what moves is the network, not the picture.\n"
    "Two directions hold only part of the variation: points that overlap here can still be far apart in "
    "the full space."
)
CMAP = SEQUENTIAL  # cividis: early steps dark, late ones light


class TrajectoryPlot(ProbeCard, SessionCard):
    """The newest probe's trajectory, or an earlier one's (the slider)."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("hidden-state trajectory", session, parent)
        self.plot = make_plot("component 2", "component 1")
        self.plot_item = self.plot.getPlotItem()
        self.plot_item.setAspectLocked(False)
        self.path = pg.PlotDataItem(pen=pg.mkPen("#b0b0b0", width=1))
        self.points = pg.ScatterPlotItem(
            size=8, pen=pg.mkPen("#404040", width=0.5), hoverable=True, tip=self._tip
        )
        self.plot_item.addItem(self.path)
        self.plot_item.addItem(self.points)
        self.hint = EmptyHint(self.plot_item)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Go back through the probes taken during training (right: the newest)")
        self.slider.valueChanged.connect(self._on_slider)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(150)
        row = QHBoxLayout()
        row.addWidget(QLabel("probe"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        self.body_layout.addWidget(self.plot, 1)
        self.body_layout.addLayout(row)
        self.show_tooltip_on(self.plot)
        self.set_explanation(EXPLANATION)
        self._fits: list[tuple[int, Projection]] = []  # (step, aligned projection) per kept probe
        self._labels: tuple[str, ...] = ()
        self._follow = True  # the slider stays on the newest probe unless moved back
        self._clear()

    # -- data ------------------------------------------------------------------------------------
    def _update_fits(self) -> None:
        """Project the kept probes not projected yet, each aligned with the one before it."""
        kept = self.session.trajectories
        steps = [s for s, _, _ in kept]
        fitted = [s for s, _ in self._fits]
        if not kept or fitted != steps[: len(fitted)] or (kept[0][1] != self._labels):
            self._fits = []  # thinned, truncated (Undo) or a new probe text: fit again from the start
        self._labels = kept[0][1] if kept else ()
        for step, _, hidden in kept[len(self._fits) :]:
            previous = self._fits[-1][1] if self._fits else None
            self._fits.append((step, project(hidden, previous)))

    def projections(self) -> list[tuple[int, Projection]]:
        """(step, projection) of every kept probe, oldest first (what the slider walks)."""
        self._update_fits()
        return list(self._fits)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self) -> None:
        self._update_fits()
        if not self._fits:
            self._clear()
            return
        n = len(self._fits)
        self.slider.blockSignals(True)
        self.slider.setRange(0, n - 1)
        if self._follow:
            self.slider.setValue(n - 1)
        self.slider.blockSignals(False)
        self._show(self.slider.value())

    def _show(self, index: int) -> None:
        step, fit = self._fits[index]
        xy = fit.points
        t = len(xy)
        colours = CMAP.map(np.linspace(0.0, 1.0, t), mode="qcolor")
        self.path.setData(xy[:, 0], xy[:, 1])
        self.points.setData(
            x=xy[:, 0], y=xy[:, 1], brush=[pg.mkBrush(c) for c in colours], data=list(range(t))
        )
        shares = " / ".join(f"{100 * v:.0f}%" for v in fit.explained)
        self.set_title(f"hidden-state trajectory, top layer (components hold {shares})")
        self.step_label.setText(f"step {step:,} ({index + 1} of {len(self._fits)})")
        self.hint.setVisible(False)

    def _tip(self, x: float, y: float, data: int) -> str:
        labels = self._labels
        ch = labels[data] if 0 <= data < len(labels) else "?"
        return f"t = {data + 1}: {ch!r}"

    def _on_slider(self, value: int) -> None:
        self._follow = value >= self.slider.maximum()
        if 0 <= value < len(self._fits):
            self._show(value)

    def _clear(self) -> None:
        self._fits = []
        self._follow = True
        self.path.setData([], [])
        self.points.setData([], [])
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.step_label.setText("")
        self.set_title("hidden-state trajectory")
        self.hint.setVisible(True)


def make_trajectory_plot(w) -> TrajectoryPlot:
    """The card for window ``w`` (playground.ui.pages makes it when its tab is first shown): drawn
    with the other plots (only while shown), reset with them."""
    plot = TrajectoryPlot(w.session)
    w.plots.append(plot)
    w._drawn_version = -1  # drawn at the next frame
    return plot
