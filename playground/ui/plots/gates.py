"""LSTM and GRU gates on the probe sequence: their mean per time step, and one gate unit by unit."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.palettes import GATE_COLOURS
from playground.ui.plots.base import (
    DIVERGING,
    LABEL_PT,
    SEQUENTIAL,
    EmptyHint,
    LayerChooser,
    LegendStrip,
    ProbeCard,
    SessionCard,
    TimeAxis,
    finite_abs_max,
    font,
    image_rect,
    make_colour_bar,
    nice_ceiling,
    set_colour_bar_label,
    style_plot_item,
)
from playground.ui.plots.theme import scheme, themed
from playground.ui.session import Session

# name -> (what a student calls it, colour, line style)
GATES: dict[str, tuple[str, str, Qt.PenStyle]] = {
    "i": ("input gate i", GATE_COLOURS["i"], Qt.PenStyle.SolidLine),
    "f": ("forget gate f", GATE_COLOURS["f"], Qt.PenStyle.SolidLine),
    "g": ("candidate g", GATE_COLOURS["g"], Qt.PenStyle.SolidLine),
    "o": ("output gate o", GATE_COLOURS["o"], Qt.PenStyle.SolidLine),
    "c": ("cell state c (mean)", GATE_COLOURS["c"], Qt.PenStyle.DashLine),
    "r": ("reset gate r", GATE_COLOURS["r"], Qt.PenStyle.SolidLine),
    "z": ("update gate z", GATE_COLOURS["z"], Qt.PenStyle.SolidLine),
    "n": ("candidate n", GATE_COLOURS["n"], Qt.PenStyle.SolidLine),
}
SIGMOID_GATES = frozenset("ifo" + "rz")  # between 0 (closed) and 1 (open)
TANH_GATES = frozenset("gn")  # between -1 and 1
NO_GATES = "No gates: a vanilla RNN has none. Choose LSTM or GRU to see what they let through."

EXPLANATION = (
    "Gates are valves between 0 (closed) and 1 (open) that an LSTM or a GRU computes at every time step "
    "for every hidden unit. Top: each gate averaged over the hidden units, at each step of the probe text. "
    "Bottom: one gate (choose it) for every unit (rows) and time step (columns).\n"
    "LSTM: a forget gate f near 1 keeps the cell state c, which is how information and gradient survive "
    "long spans; the input gate i lets new information in; the output gate o decides what shows in h. "
    "GRU: an update gate z near 1 keeps the old state; the reset gate r decides how much of the past "
    "feeds the new candidate n. Candidates (g, n) lie between -1 and 1.\n"
    "Healthy: gates that react to the characters, forget or update gates often high.\n"
    "Trouble: a forget gate stuck near 0 wipes the memory at every step; gates stuck at exactly 0 or 1 "
    "(saturated) barely learn any more."
)


class GatesPlot(ProbeCard, SessionCard):
    """Mean gate activations per time step (lines) and one gate across units x time (heatmap)."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__("gates", session, parent)
        self.layer_choice = LayerChooser()
        self.layer_choice.currentIndexChanged.connect(self.redraw)
        self.add_header_widget(self.layer_choice)

        # One graphics layout for both plots, so their time axes have the same width and line up.
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(scheme().plot_bg)
        self.graphics.setMinimumSize(200, 240)
        self.time_axis = TimeAxis("bottom", caption=False)
        self.plot_item = self.graphics.addPlot(row=0, col=0, axisItems={"bottom": self.time_axis})
        style_plot_item(self.plot_item, "mean", "")
        self.time_axis.setStyle(showValues=False)  # the heatmap below labels the same time steps
        self.plot_item.setMouseEnabled(x=True, y=False)
        self.plot_item.addLine(y=0, pen=pg.mkPen("#909090", width=1, style=Qt.PenStyle.DotLine))
        self.y_limit = 1.0  # y range -limit..limit, fixed; grows only if the cell state leaves it
        self.plot_item.setYRange(-1.0, 1.0, padding=0.02)
        self.curves: dict[str, pg.PlotDataItem] = {}
        for key, (_name, colour, style) in GATES.items():
            curve = self.plot_item.plot(pen=pg.mkPen(colour, width=2, style=style), antialias=False)
            curve.setVisible(False)
            self.curves[key] = curve
        self._legend_keys: tuple[str, ...] | None = None
        self.hint = EmptyHint(self.plot_item)

        self.heat_axis = TimeAxis("bottom")
        self.heat_item = self.graphics.addPlot(row=1, col=0, axisItems={"bottom": self.heat_axis})
        style_plot_item(self.heat_item, "unit", "input character / time step t")
        self.heat_item.setXLink(self.plot_item)
        for item in (self.plot_item, self.heat_item):
            item.getAxis("left").setWidth(52)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heat_item.addItem(self.image)
        self.colour_bar = make_colour_bar(None, self.image, SEQUENTIAL, (0.0, 1.0), "0 closed, 1 open")
        self.graphics.addItem(self.colour_bar, row=1, col=1)
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)
        self.heat_hint = EmptyHint(self.heat_item)
        self.cell_level = 1.0  # colour levels for the cell state: +-level, grow only
        self._heat_shape: tuple[int, int] | None = None
        self._heat_gate: str | None = None
        self._bar_label = "0 closed, 1 open"

        self.legend = LegendStrip()
        chooser_row = QHBoxLayout()
        chooser_label = QLabel("heatmap below shows")
        chooser_label.setFont(font(LABEL_PT))
        themed(chooser_label, "color: {text};")
        self.gate_choice = QComboBox()
        self.gate_choice.setToolTip("which gate to show unit by unit")
        self.gate_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.gate_choice.currentIndexChanged.connect(self.redraw)
        chooser_row.addWidget(chooser_label)
        chooser_row.addWidget(self.gate_choice)
        chooser_row.addStretch(1)

        self.content = QWidget()
        content_layout = QVBoxLayout(self.content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(2)
        content_layout.addWidget(self.legend)
        content_layout.addLayout(chooser_row)
        content_layout.addWidget(self.graphics, 1)

        self.no_gates_label = QLabel(NO_GATES)
        self.no_gates_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_gates_label.setWordWrap(True)
        self.no_gates_label.setFont(font(LABEL_PT + 1))
        themed(self.no_gates_label, "color: {hint}; padding: 24px;")
        self.no_gates_label.setVisible(False)

        self.body_layout.addWidget(self.content, 1)
        self.body_layout.addWidget(self.no_gates_label, 1)
        self.show_tooltip_on(self.graphics)
        self.set_explanation(EXPLANATION)

    # -- helpers ----------------------------------------------------------------------
    def visible_gates(self) -> list[str]:
        return [k for k, c in self.curves.items() if c.isVisible()]

    def _sync_gates(self, keys: tuple[str, ...]) -> None:
        """Legend and heatmap chooser follow the gate family (LSTM or GRU); only when it changes."""
        if keys == self._legend_keys:
            return
        self._legend_keys = keys
        for key, curve in self.curves.items():
            curve.setVisible(key in keys)
            if key not in keys:
                curve.setData([], [])
        self.legend.set_entries(
            [(GATES[k][0], GATES[k][1], GATES[k][2] == Qt.PenStyle.DashLine) for k in keys if k in GATES]
        )
        current = self.gate_choice.currentData()
        self.gate_choice.blockSignals(True)
        self.gate_choice.clear()
        for key in keys:
            self.gate_choice.addItem(GATES.get(key, (key,))[0], key)
        default = "f" if "f" in keys else ("z" if "z" in keys else (keys[0] if keys else None))
        index = self.gate_choice.findData(current if current in keys else default)
        self.gate_choice.setCurrentIndex(max(index, 0))
        self.gate_choice.blockSignals(False)

    def _show_gates(self, has_gates: bool) -> None:
        self.content.setVisible(has_gates)
        self.layer_choice.setVisible(has_gates)
        self.no_gates_label.setVisible(not has_gates)

    def _heat_levels(self, key: str, data: np.ndarray) -> tuple[float, float]:
        if key in SIGMOID_GATES:
            return (0.0, 1.0)
        if key in TANH_GATES:
            return (-1.0, 1.0)
        self.cell_level = max(self.cell_level, nice_ceiling(finite_abs_max(data)))
        return (-self.cell_level, self.cell_level)

    # -- drawing ----------------------------------------------------------------------------
    def summary(self) -> str:
        """Each gate's mean over the probe sequence and the units."""
        probe = self.session.probe
        if probe is None:
            return ""
        keys = [k for k in probe.gates if k in GATES and k != "c"]
        if not keys:
            return "No gates: a vanilla RNN has none."
        layer = min(self.layer_choice.currentIndex(), probe.gates[keys[0]].shape[0] - 1)
        means = ", ".join(f"{GATES[k][0]} {float(np.mean(probe.gates[k][layer])):.2f}" for k in keys)
        return f"Gate means over the probe sequence at step {self.session.probe_step:,}, layer {layer + 1}: {means}."

    def _draw(self) -> None:
        probe = self.session.probe
        if probe is None:
            self._clear()
            return
        if not probe.gates:
            self._clear()
            self._show_gates(False)
            self.set_title("gates")
            return
        self._show_gates(True)
        keys = tuple(k for k in probe.gates if k in GATES)
        self._sync_gates(keys)
        first = probe.gates[keys[0]]
        layer = self.layer_choice.sync(first.shape[0])
        n_t = first.shape[1]
        t = np.arange(n_t)
        biggest = 1.0
        for key in keys:
            mean = probe.gates[key][layer].mean(axis=-1)  # (T,) average over hidden units
            self.curves[key].setData(t, mean)
            if key not in SIGMOID_GATES:
                biggest = max(biggest, finite_abs_max(mean))
        limit = nice_ceiling(biggest)
        if limit > self.y_limit:
            self.y_limit = limit
            self.plot_item.setYRange(-limit, limit, padding=0.02)
        labels = probe.labels[:n_t]
        self.time_axis.set_labels(labels)
        self.heat_axis.set_labels(labels)
        self.hint.setVisible(False)

        key = self.gate_choice.currentData() or keys[0]
        data = probe.gates[key][layer]  # (T, F)
        levels = self._heat_levels(key, data)
        if key != self._heat_gate:
            self._heat_gate = key
            self.colour_bar.setColorMap(SEQUENTIAL if key in SIGMOID_GATES else DIVERGING)
        self.image.setImage(np.ascontiguousarray(data.T), autoLevels=False, levels=levels)
        if tuple(self.colour_bar.levels()) != levels:  # axes redraw only when something moved
            self.colour_bar.setLevels(levels)
        label = _bar_label(key, levels)
        if label != self._bar_label:
            self._bar_label = label
            set_colour_bar_label(self.colour_bar, label)
        n_f = data.shape[1]
        if self._heat_shape != (n_t, n_f):  # a new sequence length or model: show all of it
            self._heat_shape = (n_t, n_f)
            self.image.setRect(image_rect(n_t, n_f))
            self.plot_item.setXRange(-0.5, n_t - 0.5, padding=0)
            self.heat_item.setYRange(-0.5, n_f - 0.5, padding=0)
        self.image.setVisible(True)
        self.heat_hint.setVisible(False)
        self.set_title(f"gates, layer {layer + 1}, step {self.session.probe_step}")

    def _clear(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self.image.clear()
        self.image.setVisible(False)
        self.time_axis.set_labels(())
        self.heat_axis.set_labels(())
        self.hint.setVisible(True)
        self.heat_hint.setVisible(True)
        self._heat_shape = None
        self._show_gates(True)
        self.set_title("gates")

    def reset(self, session: Session) -> None:
        super().reset(session)
        self.cell_level = 1.0
        self.y_limit = 1.0
        self.plot_item.setYRange(-1.0, 1.0, padding=0.02)


def _bar_label(key: str, levels: tuple[float, float]) -> str:
    if key in SIGMOID_GATES:
        return "0 closed, 1 open"
    if key in TANH_GATES:
        return "fixed ±1"
    return f"±{levels[1]:g}, grows only"
