"""Compare mode: two to four architectures on the same data, seeds and batches, side by side.

The user ticks architectures, a number of steps and of seeds, and presses Run; the worker trains
each architecture once per seed, in turn, in the background (the main model waits, untouched) and
sends curves a few times a second. The view draws each architecture's mean loss over its seeds as a
line with the range of its seeds as a band, their newest gradients through time, and a results
table of means ± spreads; "Continue with" makes one of them (its first seed's run) the model of the
main view. In the memory lesson's gap sweep, a click on a point opens a held-out sequence that model
gets wrong in the scrubber.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
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
from playground.ui.compare_bands import Band, smooth, smoothing_window
from playground.ui.frontier_view import FrontierPanel
from playground.ui.palettes import ARCH_COLOURS  # the five architectures' colours, everywhere
from playground.ui.plots.base import (
    EmptyHint,
    LegendStrip,
    make_plot,
    pow10,
)
from playground.ui.plots.theme import scheme, themed

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
SPREAD = "± is half the range over the seeds, (highest − lowest) / 2: mean ± spread covers every seed."
HEADER_TIPS = {
    "train loss": f"Mean over the seeds of each run's last 20 training losses. {SPREAD}",
    "val loss": f"Mean over the seeds of each run's newest validation loss. {SPREAD}",
    "accuracy": f"Memory and order: held-out accuracy, the mean over the seeds. {SPREAD}",
    "steps/s": f"Training speed, the mean over the seeds. {SPREAD}",
    "gradient reach": "||dL/dh_0|| / ||dL/dh_T|| of the newest probe: the geometric mean over the seeds "
    "(reach spans powers of ten).",
    "steps": "Optimizer steps every seed's run has taken.",
}
DEFAULT_GAPS = "2, 5, 10, 20, 40"
TABLE_HEIGHT = 170  # pixels at most for the results table (four rows)
NAME_WIDTH = 170  # pixels the architecture column keeps when the table is short of room (names wrap)
MAX_SEEDS = 5  # playground.core.train.compare.MAX_SEEDS (importing it here would load torch)
QUICK_SEEDS = 3  # the default for the quick classification lessons (memory, order, spell)
EXPLANATION = (
    "Train several architectures on the same data and on the very same batches, once per seed, and "
    "compare. Left: their loss curves, the mean over the seeds as a line and the range from the best "
    "seed to the worst as a band. Right: each one's newest gradient through time, ||dL/dh_t|| "
    "against t (log): the flatter, the further back its error reaches. 'Gradient reach' in the table is "
    "||dL/dh_0|| / ||dL/dh_T||: 10⁻⁶ means the first step gets a millionth of the last one's gradient."
)
SEEDS_TIP = (
    "Train every architecture this many times, from the seeds s, s + 1, ... (s: the training seed). One "
    "run can be luck: another seed gives other initial weights and other batches, and can swap which "
    "architecture looks better. The line is the mean over the seeds, the band runs from the lowest to "
    "the highest; the runs of one seed share their batches across the architectures."
)



def spec_has_span(kind: str) -> bool:
    """A kind with a length T (the classics): the Compare tab offers its frontier."""
    spec = KINDS.get(kind)
    return spec is not None and "span" in spec.settings

class CompareView(QWidget):
    run_requested = Signal(object)  # {"archs": [...], "steps": int, "seeds": int, "gaps": [...]}
    stop_requested = Signal()
    adopt_requested = Signal(str)  # arch
    example_requested = Signal(object)  # {"arch": str, "gap": int, "nth": int}: a failing sequence

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
        self.steps.setToolTip("How many optimizer steps each architecture gets (each seed's run).")
        self.seeds = QSpinBox()
        self.seeds.setRange(1, MAX_SEEDS)
        self.seeds.setValue(1)
        self.seeds.setPrefix("× ")
        self.seeds.setSuffix(" seeds")
        self.seeds.setToolTip(SEEDS_TIP)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip(
            "Train the ticked architectures in the background, taking turns a step at a time. The model in "
            "the main view waits and is not changed."
        )
        self.run_button.clicked.connect(self._on_run)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        row.addStretch(1)
        how = QHBoxLayout()  # how long, how often, Run, and how far it has come

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
        how.addWidget(self.steps)
        how.addWidget(self.seeds)
        how.addWidget(self.run_button)
        how.addWidget(self.progress, 1)
        self.accuracy_plot = make_plot("held-out accuracy", "gap d (steps to remember across)")
        self.accuracy_plot.setToolTip(
            "Each point: one architecture trained at one gap d, its accuracy on held-out sequences, the "
            "mean over the seeds; the band runs from the lowest seed to the highest. The dashed line is "
            "chance. Click a point to open a held-out sequence that model (its first seed) gets wrong in "
            "'Inside a sequence'."
        )
        self.accuracy_plot.getPlotItem().setYRange(0, 1.02, padding=0)
        self.chance_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#8c8c8c", style=Qt.PenStyle.DashLine))
        self.accuracy_plot.addItem(self.chance_line)
        self.accuracy_bands: dict[str, Band] = {}
        self.accuracy_plot.setVisible(False)
        self._kind = ""
        self._example: tuple[str, int, int] | None = None  # the last point clicked, and how often

        self.loss_plot = make_plot("training loss", "step")
        self.loss_plot.setToolTip(EXPLANATION)
        self.gtt_plot = make_plot("‖dL/dh_t‖ (log)", "time step t", log_y=True)
        self.gtt_plot.setToolTip(EXPLANATION)
        self.legend = LegendStrip()
        self.loss_bands: dict[str, Band] = {}
        self.gtt_curves: dict[str, pg.PlotDataItem] = {}
        self.hints = [
            EmptyHint(p.getPlotItem(), "tick two to four and press Run")
            for p in (self.loss_plot, self.gtt_plot)
        ]

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Comparison results, one row per architecture")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for j, title in enumerate(COLUMNS):
            if title in HEADER_TIPS:
                self.table.horizontalHeaderItem(j).setToolTip(HEADER_TIPS[title])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(TABLE_HEIGHT)
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
        for title in (self.loss_title, self.gtt_title, self.accuracy_title):
            title.setWordWrap(True)  # a long title takes two lines, never the plots' width
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
        themed(intro, "color: {muted};")
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addLayout(how)
        layout.addWidget(self.sweep_row)
        layout.addLayout(plots, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self.frontier = FrontierPanel()  # the classics: architectures x lengths T, shown for their kinds
        self.frontier.setVisible(False)
        layout.addWidget(self.frontier)
        self.running = False
        self._sync_buttons()

    # -- user actions ------------------------------------------------------------------------
    def chosen(self) -> list[str]:
        return [a for a, box in self.checks.items() if box.isChecked()]

    def set_data_kind(self, kind: str) -> None:
        """The memory lesson offers the gap sweep (the registry's ``gap_sweep``); a quick lesson (one
        with held-out accuracy) runs three seeds by default, the others one."""
        if kind != self._kind:
            spec = KINDS.get(kind)
            self.seeds.setValue(QUICK_SEEDS if spec is not None and spec.has_accuracy else 1)
        self._kind = kind
        self.frontier.setVisible(spec_has_span(kind))
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
        request = {"archs": self.chosen(), "steps": self.steps.value(), "seeds": self.seeds.value()}
        if self.sweep_check.isChecked() and self._gap_sweep():
            gaps = self.gaps()
            if gaps is None:
                self.status.setText(
                    f"<span style='color:{scheme().error}'>gaps: whole numbers of 1 or more, like 2, 5, 10</span>"
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

    def open_example(self, arch: str, gap: int) -> None:
        """A point of the gap sweep was clicked: ask for a held-out sequence the first seed's ``arch``
        gets wrong at ``gap`` (the next one each time the same point is clicked again)."""
        last = self._example
        nth = last[2] + 1 if last is not None and last[:2] == (arch, gap) else 0
        self._example = (arch, int(gap), nth)
        name = ARCH_NAMES[arch]
        self.status.setText(f"Looking for a held-out sequence the {name} gets wrong at d = {gap}…")
        self.example_requested.emit({"arch": arch, "gap": int(gap), "nth": nth})

    def show_note(self, text: str) -> None:
        """A word from the worker about a clicked point (none of its sequences fails, say)."""
        self.status.setText(text)

    def _on_points_clicked(self, arch: str, points) -> None:
        if len(points):
            gap = round(points[0].pos().x())
            QTimer.singleShot(0, lambda: self.open_example(arch, gap))  # after the click is handled

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
            self.status.setText(f"<span style='color:{scheme().error}'>{answer['error']}</span>")
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
        for arch in list(self.loss_bands):
            if arch not in curves:
                self.loss_bands.pop(arch).remove()
                self.gtt_curves.pop(arch).setData([], [])
        n_seeds, window = 1, 1
        for arch, c in curves.items():
            if arch not in self.loss_bands:
                self.loss_bands[arch] = Band(self.loss_plot, ARCH_COLOURS[arch], ARCH_NAMES[arch])
                self.gtt_curves[arch] = self.gtt_plot.plot(
                    pen=pg.mkPen(ARCH_COLOURS[arch], width=2), connect="finite", name=ARCH_NAMES[arch]
                )
            losses = c.get("losses") or (c["loss"],)  # one per seed
            n_seeds, n = len(losses), min(len(loss) for loss in losses)
            window = smoothing_window(n)
            self.loss_bands[arch].set(np.arange(1, n + 1), [smooth(loss[:n], window) for loss in losses])
            g = c["probe"]
            if g is not None:
                g = np.asarray(g, np.float64)
                # a zero (a step the loss does not reach, as in a bag of words) is a gap, not 10^-30
                self.gtt_curves[arch].setData(np.arange(len(g)), np.where(g > 0, g, np.nan))
        self.legend.set_entries([(_with_seeds(a, n_seeds), ARCH_COLOURS[a], False) for a in curves])
        self._show_sweep(answer, window)
        self._fill_table(answer["rows"])
        kind = "done" if not self.running else "training"
        seeds = answer.get("seeds") or []
        said = "same seed, same batches"
        if len(seeds) > 1:
            said = f"seeds {seeds[0]}–{seeds[-1]}, same batches per seed"
        self.status.setText(
            f"{kind}: same data ({answer['kind']}), {said}. "
            + ("Select a row to continue with that model (its first seed's run)." if not self.running else "")
        )

        self._sync_buttons()

    def _show_sweep(self, answer: dict, window: int = 1) -> None:
        sweep = answer.get("sweep")
        self.accuracy_plot.setVisible(sweep is not None)
        self.accuracy_title.setVisible(sweep is not None)
        gap = answer.get("gap") or (answer.get("gaps") or [None])[-1]
        at = f" (d = {gap})" if sweep is not None and gap is not None else ""
        n = len(answer.get("seeds") or ()) or 1
        over = f", {n} seeds" if n > 1 else ", same batches"
        smoothed = f", {window}-step mean" if window > 1 else ""
        self.loss_title.setText(f"<b>loss{over}{smoothed}{at}</b>")
        self.gtt_title.setText(f"<b>newest gradient through time{at}</b>")
        if sweep is None:
            return
        for arch, points in sweep.items():
            if arch not in self.accuracy_bands:
                found = Band(self.accuracy_plot, ARCH_COLOURS[arch], ARCH_NAMES[arch], width=2, symbol=True)
                found.line.sigPointsClicked.connect(
                    lambda _item, pts, _ev, a=arch: self._on_points_clicked(a, pts)
                )
                self.accuracy_bands[arch] = found
            xs = [g for g, _ in points]
            per_seed = [np.atleast_1d(np.asarray(a, np.float64)) for _, a in points]  # (gap) -> seeds
            n = min((len(a) for a in per_seed), default=0)
            self.accuracy_bands[arch].set(xs, [np.array([a[s] for a in per_seed]) for s in range(n)])
        for arch in list(self.accuracy_bands):
            if arch not in sweep:
                self.accuracy_bands.pop(arch).remove()
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
                _pm(r, "train_loss", r.train_loss, _num),
                _pm(r, "val_loss", r.val_loss, _num),
                _pm(r, "accuracy", r.accuracy, lambda v: f"{100 * v:.1f}", unit="%"),
                _pm(r, "steps_per_s", r.steps_per_s, lambda v: f"{v:,.0f}"),
                "-" if r.gradient_reach is None else _reach(r.gradient_reach),
            )
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setForeground(pg.mkColor(ARCH_COLOURS[r.arch]))
                    item.setToolTip(f"{r.name}: {len(r.seeds) or 1} seed(s), {', '.join(map(str, r.seeds))}")
                else:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
            if r.arch == selected:
                self.table.selectRow(i)
        self.table.resizeColumnsToContents()
        # as tall as its rows (up to TABLE_HEIGHT): two rows leave the room to the plots
        rows_h = sum(self.table.rowHeight(i) for i in range(len(rows)))
        frame = 2 * self.table.frameWidth() + self.table.horizontalHeader().height()
        self.table.setMaximumHeight(min(TABLE_HEIGHT, frame + rows_h + 4))
        # too wide for the view: the architecture column gives way first (down to NAME_WIDTH, wrapped)
        excess = sum(self.table.columnWidth(j) for j in range(len(COLUMNS))) - self.table.viewport().width()
        if excess > 0:
            self.table.setColumnWidth(0, max(NAME_WIDTH, self.table.columnWidth(0) - excess))

    def clear(self) -> None:
        self.answer = None
        self.running = False
        self._example = None
        self.table.setRowCount(0)
        self.table.setMaximumHeight(TABLE_HEIGHT)
        for c in self.gtt_curves.values():
            c.setData([], [])
        for b in (*self.loss_bands.values(), *self.accuracy_bands.values()):
            b.clear()
        for h in self.hints:
            h.setVisible(True)
        self.progress.setValue(0)
        self._sync_buttons()
        self.frontier.stop_showing()


def _with_seeds(arch: str, n: int) -> str:
    return f"{ARCH_NAMES[arch]} ({n} seed{'s' if n != 1 else ''})"


def _pm(row, figure: str, mean: float | None, fmt, unit: str = "") -> str:
    """A table cell: the mean over the seeds ± the spread (half their range); the mean alone for one seed."""
    if mean is None or not math.isfinite(mean):
        return "-"
    spread = row.spread(figure) if len(row.seeds) > 1 else None
    if spread is None:
        return fmt(mean) + unit
    return f"{fmt(mean)}\u2009±\u2009{fmt(spread)}{unit}"  # thin spaces: the table stays narrow


def _num(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.3f}"


def _reach(r: float) -> str:
    if r <= 0:
        return "0"
    k = math.floor(math.log10(r))
    return pow10(k) if abs(k) >= 2 else f"{r:.2g}"
