"""Compare mode: two to four architectures on the same data, seed and batches, side by side.

The user ticks architectures and a number of steps and presses Run; the worker trains them in
turn in the background thread (the main model waits, untouched) and sends curves a few times a
second. The view overlays their loss curves and their newest gradients through time, and fills
a results table; "Continue with" makes one of them the model of the main view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.config import ARCH_NAMES, ARCHS
from playground.core.kinds import KINDS
from playground.ui.plots.base import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    VERMILLION,
    EmptyHint,
    LegendStrip,
    make_plot,
    pow10,
)

ARCH_COLOURS = {"rnn": VERMILLION, "lstm": BLUE, "gru": GREEN, "transformer": ORANGE, "mlp": PURPLE}
COLUMNS = (
    "architecture",
    "parameters",
    "steps",
    "train loss",
    "val loss",
    "accuracy",
    "steps/s",
    "gradient reach",
)
DEFAULT_GAPS = "2, 5, 10, 20, 40"
EXPLANATION = (
    "Train several architectures on the same data, from the same seed, on the very same batches, and "
    "compare. Left: their loss curves. Right: each one's newest gradient through time, ||dL/dh_t|| "
    "against t (log): the flatter, the further back its error reaches. 'Gradient reach' in the table is "
    "||dL/dh_0|| / ||dL/dh_T||: 10⁻⁶ means the first step gets a millionth of the last one's gradient."
)


class CompareView(QWidget):
    run_requested = Signal(object)  # {"archs": [...], "steps": int}
    stop_requested = Signal()
    adopt_requested = Signal(str)  # arch

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.answer: dict | None = None
        self.checks: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare:"))
        for arch in ARCHS:
            box = QCheckBox(ARCH_NAMES[arch])
            box.setChecked(arch in ("rnn", "lstm", "gru", "transformer"))
            box.setToolTip(f"Train a {ARCH_NAMES[arch]} with the same data, seed and batches.")
            box.toggled.connect(self._sync_buttons)
            self.checks[arch] = box
            row.addWidget(box)
        self.steps = QSpinBox()
        self.steps.setRange(10, 100_000)
        self.steps.setValue(300)
        self.steps.setSuffix(" steps each")
        self.steps.setToolTip("How many optimizer steps each architecture gets.")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip(
            "Train the ticked architectures in the background, taking turns a step at a time. The model in "
            "the main view waits and is not changed."
        )
        self.run_button.clicked.connect(self._on_run)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        row.addStretch(1)
        row.addWidget(self.steps)
        row.addWidget(self.run_button)

        # the memory lesson: the same comparison at several gaps d, accuracy against d
        self.sweep_check = QCheckBox("Sweep the gap d:")
        self.sweep_check.setToolTip(
            "The memory lesson: train every ticked architecture at each gap d in turn and plot held-out "
            "accuracy against d. A vanilla RNN falls to chance as d grows; an LSTM or GRU keeps answering."
        )
        self.gaps_edit = QLineEdit(DEFAULT_GAPS)
        self.gaps_edit.setToolTip("The gaps d to try, separated by commas.")
        self.sweep_row = QWidget()
        sweep = QHBoxLayout(self.sweep_row)
        sweep.setContentsMargins(0, 0, 0, 0)
        sweep.addWidget(self.sweep_check)
        sweep.addWidget(self.gaps_edit, 1)
        self.sweep_row.setVisible(False)
        self.accuracy_plot = make_plot("held-out accuracy", "gap d (steps to remember across)")
        self.accuracy_plot.setToolTip(
            "Each point: one architecture trained at one gap d, its accuracy on held-out sequences. "
            "The dashed line is chance."
        )
        self.accuracy_plot.getPlotItem().setYRange(0, 1.02, padding=0)
        self.chance_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#808080", style=Qt.PenStyle.DashLine))
        self.accuracy_plot.addItem(self.chance_line)
        self.accuracy_curves: dict[str, pg.PlotDataItem] = {}
        self.accuracy_plot.setVisible(False)
        self._kind = ""

        self.loss_plot = make_plot("training loss", "step")
        self.loss_plot.setToolTip(EXPLANATION)
        self.gtt_plot = make_plot("‖dL/dh_t‖ (log)", "time step t", log_y=True)
        self.gtt_plot.setToolTip(EXPLANATION)
        self.legend = LegendStrip()
        self.loss_curves: dict[str, pg.PlotDataItem] = {}
        self.gtt_curves: dict[str, pg.PlotDataItem] = {}
        self.hints = [
            EmptyHint(p.getPlotItem(), "tick two to four and press Run")
            for p in (self.loss_plot, self.gtt_plot)
        ]

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(170)
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self.adopt_button = QPushButton("Continue with the selected model")
        self.adopt_button.setToolTip(
            "Make the selected architecture, as trained here, the model of the main view (the current one is "
            "replaced; save it first if you want to keep it)."
        )
        self.adopt_button.clicked.connect(self._on_adopt)
        self.status = QLabel()
        self.status.setWordWrap(True)

        plots = QGridLayout()
        self.loss_title = QLabel("<b>loss, same batches</b>")
        self.gtt_title = QLabel("<b>newest gradient through time</b>")
        self.accuracy_title = QLabel("<b>accuracy against the gap d</b>")
        self.accuracy_title.setVisible(False)
        plots.addWidget(self.loss_title, 0, 0)
        plots.addWidget(self.gtt_title, 0, 1)
        plots.addWidget(self.accuracy_title, 0, 2)
        plots.addWidget(self.loss_plot, 1, 0)
        plots.addWidget(self.gtt_plot, 1, 1)
        plots.addWidget(self.accuracy_plot, 1, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.adopt_button)
        layout = QVBoxLayout(self)
        intro = QLabel(EXPLANATION)
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #505050;")
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.sweep_row)
        layout.addWidget(self.progress)
        layout.addLayout(plots, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self.running = False
        self._sync_buttons()

    # -- user actions ------------------------------------------------------------------------
    def chosen(self) -> list[str]:
        return [a for a, box in self.checks.items() if box.isChecked()]

    def set_data_kind(self, kind: str) -> None:
        """The memory lesson offers the gap sweep (the registry's ``gap_sweep``)."""
        self._kind = kind
        sweep = self._gap_sweep()
        self.sweep_row.setVisible(sweep)
        if not sweep:
            self.sweep_check.setChecked(False)

    def _gap_sweep(self) -> bool:
        spec = KINDS.get(self._kind)
        return spec is not None and spec.gap_sweep

    def gaps(self) -> list[int] | None:
        """The gaps typed in, or None when they are not whole numbers of at least 1."""
        try:
            gaps = [int(g) for g in self.gaps_edit.text().replace(";", ",").split(",") if g.strip()]
        except ValueError:
            return None
        return gaps if gaps and min(gaps) >= 1 else None

    def _on_run(self) -> None:
        if self.running:
            self.stop_requested.emit()
            return
        request = {"archs": self.chosen(), "steps": self.steps.value()}
        if self.sweep_check.isChecked() and self._gap_sweep():
            gaps = self.gaps()
            if gaps is None:
                self.status.setText(
                    "<span style='color:#a12a00'>gaps: whole numbers of 1 or more, like 2, 5, 10</span>"
                )
                return
            request["gaps"] = gaps
        self.run_requested.emit(request)

    def selected_arch(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self.answer is None:
            return None
        return self.answer["rows"][rows[0].row()].arch

    def _on_adopt(self) -> None:
        arch = self.selected_arch()
        if arch is not None:
            self.adopt_requested.emit(arch)

    def _sync_buttons(self) -> None:
        n = len(self.chosen())
        self.run_button.setText("Stop" if self.running else "Run")
        self.run_button.setEnabled(self.running or 2 <= n <= 4)
        if not self.running and not 2 <= n <= 4:
            self.status.setText("Tick two to four architectures.")
        self.adopt_button.setEnabled(not self.running and self.selected_arch() is not None)

    # -- answers from the worker ------------------------------------------------------------------
    def show_answer(self, answer: dict) -> None:
        if "error" in answer:
            self.running = False
            self.status.setText(f"<span style='color:#a12a00'>{answer['error']}</span>")
            self._sync_buttons()
            return
        self.answer = answer
        self.running = bool(answer["running"])
        self.progress.setMaximum(answer["steps"])
        self.progress.setValue(answer["steps_taken"])
        self.progress.setFormat(f"{answer['steps_taken']} of {answer['steps']} steps each")
        for h in self.hints:
            h.setVisible(False)
        curves = answer["curves"]
        for arch in list(self.loss_curves):
            if arch not in curves:
                self.loss_curves.pop(arch).setData([], [])
                self.gtt_curves.pop(arch).setData([], [])
        for arch, c in curves.items():
            if arch not in self.loss_curves:
                pen = pg.mkPen(ARCH_COLOURS[arch], width=1.5)
                self.loss_curves[arch] = self.loss_plot.plot(pen=pen)
                self.gtt_curves[arch] = self.gtt_plot.plot(
                    pen=pg.mkPen(ARCH_COLOURS[arch], width=2), connect="finite"
                )
            loss = c["loss"]
            self.loss_curves[arch].setData(np.arange(1, len(loss) + 1), loss)
            g = c["probe"]
            if g is not None:
                g = np.asarray(g, np.float64)
                # a zero (a step the loss does not reach, as in a bag of words) is a gap, not 10^-30
                self.gtt_curves[arch].setData(np.arange(len(g)), np.where(g > 0, g, np.nan))
        self.legend.set_entries([(ARCH_NAMES[a], ARCH_COLOURS[a], False) for a in curves])
        self._show_sweep(answer)
        self._fill_table(answer["rows"])
        kind = "done" if not self.running else "training"
        self.status.setText(
            f"{kind}: same data ({answer['kind']}), same seed, same batches. "
            + ("Select a row to continue with that model." if not self.running else "")
        )
        self._sync_buttons()

    def _show_sweep(self, answer: dict) -> None:
        sweep = answer.get("sweep")
        self.accuracy_plot.setVisible(sweep is not None)
        self.accuracy_title.setVisible(sweep is not None)
        gap = answer.get("gap") or (answer.get("gaps") or [None])[-1]
        at = f" (gap d = {gap})" if sweep is not None and gap is not None else ""
        self.loss_title.setText(f"<b>loss, same batches{at}</b>")
        self.gtt_title.setText(f"<b>newest gradient through time{at}</b>")
        if sweep is None:
            return
        for arch, points in sweep.items():
            if arch not in self.accuracy_curves:
                colour = ARCH_COLOURS[arch]
                self.accuracy_curves[arch] = self.accuracy_plot.plot(
                    pen=pg.mkPen(colour, width=2),
                    symbol="o",
                    symbolSize=7,
                    symbolBrush=colour,
                    symbolPen=None,
                )
            xs = [g for g, _ in points]
            ys = [a for _, a in points]
            self.accuracy_curves[arch].setData(xs, ys)
        for arch in list(self.accuracy_curves):
            if arch not in sweep:
                self.accuracy_curves.pop(arch).setData([], [])
        gaps = answer.get("gaps") or []
        if gaps:
            self.accuracy_plot.getPlotItem().setXRange(0, max(gaps) * 1.05, padding=0)
        chance = answer.get("chance")
        if chance is not None:
            self.chance_line.setPos(chance)
        if answer.get("gap") is not None:
            self.progress.setFormat(
                f"gap d = {answer['gap']}: {answer['steps_taken']} of {answer['steps']} steps each"
            )

    def _fill_table(self, rows) -> None:
        selected = self.selected_arch()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = (
                r.name,
                f"{r.parameters:,}",
                f"{r.steps:,}",
                _num(r.train_loss),
                _num(r.val_loss),
                "-" if r.accuracy is None else f"{r.accuracy:.1%}",
                f"{r.steps_per_s:,.0f}",
                "-" if r.gradient_reach is None else _reach(r.gradient_reach),
            )
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setForeground(pg.mkColor(ARCH_COLOURS[r.arch]))
                else:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
            if r.arch == selected:
                self.table.selectRow(i)
        self.table.resizeColumnsToContents()

    def clear(self) -> None:
        self.answer = None
        self.running = False
        self.table.setRowCount(0)
        for c in (*self.loss_curves.values(), *self.gtt_curves.values(), *self.accuracy_curves.values()):
            c.setData([], [])
        for h in self.hints:
            h.setVisible(True)
        self.progress.setValue(0)
        self._sync_buttons()


def _num(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.3f}"


def _reach(r: float) -> str:
    if r <= 0:
        return "0"
    k = math.floor(math.log10(r))
    return pow10(k) if abs(k) >= 2 else f"{r:.2g}"
