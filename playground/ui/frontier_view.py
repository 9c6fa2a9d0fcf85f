"""The frontier in the Compare tab: a grid of architectures x lengths T of a classic task (adding,
temporal order, copy) that fills in while it runs, each cell "seeds solved / seeds" and the median
training sequences the solving seeds needed. The work is the engine's (``RunFrontier``, answered by
``FrontierProgress``); this widget only asks and shows. A finished cell opens its run (double-click,
Enter, or "Open the cell's run"): the seed it kept becomes the window's model, with its loss curve
(``OpenFrontierCell``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.bounds import BOUNDS
from playground.core.config import SPAN_BOUND
from playground.ui.panels._common import int_spin

ARCHS = ("rnn", "lstm", "gru", "irnn")
DEFAULT_LENGTHS = "10, 20, 50"
SOLVED, PARTLY, NONE = QColor("#cdebc5"), QColor("#fbeec1"), QColor("#f6d0cb")
TIP = (
    "For each architecture (rows) and length T (columns): train each seed until it solves the task by "
    "the paper's criterion (adding: at most 1 of 2,560 held-out sums off by more than 0.04) or its steps "
    "run out. A cell shows the seeds that solved and the median training sequences they needed. "
    "`rnn-playground frontier` runs the same grid on the command line."
)

OPEN_TIP = (
    "A finished cell opens its run as the window's model, loss curve and weights: the first seed that "
    "solved, else the first seed. Double-click it, or select it and press Enter or this button."
)


def cell_text(cell: Mapping[str, Any]) -> str:
    """'2/3 · 104k': the seeds that solved and the median sequences the solving seeds needed."""
    solved = sorted(int(s) for s in cell.get("solved_at", ()) if s is not None)
    text = f"{cell['solved_seeds']}/{cell['seeds']}"
    if solved:
        median = solved[len(solved) // 2]
        text += f" · {median / 1000:.0f}k" if median >= 1000 else f" · {median}"
    return text


def cell_tip(cell: Mapping[str, Any]) -> str:
    """A finished cell's tooltip: its seeds, the sequences each saw, and the run it opens."""
    seed = cell.get("opens_seed")
    opens = "" if seed is None else f". Double-click (or Enter) opens seed {seed}'s run as the window's model"
    return (
        f"{cell['arch']} at T = {cell['length']}: {cell['solved_seeds']} of {cell['seeds']} seeds solved; "
        f"sequences seen per seed: {', '.join(f'{s:,}' for s in cell['sequences_seen'])}{opens}"
    )


def parse_lengths(text: str) -> tuple[int, ...]:
    """'10, 20, 50' as lengths, each within the bound; a ValueError in words otherwise."""
    out = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not SPAN_BOUND.contains(int(part)):
            raise ValueError(
                f"lengths are whole numbers, each {SPAN_BOUND.range_text()}: {part[:20]!r} is not"
            )
        out.append(int(part))
    if not out:
        raise ValueError("give one or more lengths T, separated by commas")
    return tuple(dict.fromkeys(out))


class FrontierPanel(QWidget):
    """The lengths, seeds and steps to run, Run and Stop, and the grid."""

    run_requested = Signal(object)  # {"lengths": (...), "archs": (...), "seeds": int, "steps": int}
    stop_requested = Signal()
    open_requested = Signal(object)  # a finished cell's dict (arch, length, opens_seed, solved_at, ...)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(TIP)
        self.lengths_edit = QLineEdit(DEFAULT_LENGTHS)
        self.lengths_edit.setToolTip("The lengths T to try, separated by commas (4 to 1,000 each).")
        self.seeds_spin = int_spin(*BOUNDS["frontier.seeds"].window_range(), "Seeds per cell (0, 1, 2, ...).")
        self.seeds_spin.setValue(3)
        self.steps_spin = int_spin(
            *BOUNDS["run.steps"].window_range(), "At most this many steps a seed.", step=500
        )
        self.steps_spin.setValue(2000)
        self.run_button = QPushButton("Run frontier")
        self.run_button.setToolTip(TIP)
        self.stop_button = QPushButton("Stop")
        self.run_button.clicked.connect(self._on_run)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.open_button = QPushButton("Open the cell's run")
        self.open_button.setToolTip(OPEN_TIP)
        self.open_button.clicked.connect(self._on_open)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.grid = QTableWidget(0, 0)
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.setMinimumHeight(140)
        self.grid.setToolTip(
            "The learnability frontier: a row per architecture, a column per length T. Dark: every seed solved "
            "it (the sequences it needed); light: none; between: some; outlined: running. " + OPEN_TIP
        )
        self.grid.cellActivated.connect(lambda r, c: self._on_open())  # double-click or Enter
        self.grid.itemSelectionChanged.connect(self._sync)
        self.opened: set[tuple[str, int]] = set()  # cells whose run the window took (each opens once)
        self.opening: dict[str, Any] = {}  # the cell whose run was asked for last
        row = QHBoxLayout()
        for label, widget in (
            ("Frontier over T =", self.lengths_edit),
            ("seeds", self.seeds_spin),
            ("steps", self.steps_spin),
        ):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.run_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.grid)
        layout.addWidget(self.note)
        self.running = False
        self.answer: Any = None
        self._sync()

    def _sync(self) -> None:
        self.run_button.setEnabled(not self.running)
        self.stop_button.setEnabled(self.running)
        self.open_button.setEnabled(self.selected_cell() is not None)

    def finished_cell(self, row: int, column: int) -> dict[str, Any] | None:
        """The finished cell at (row, column) of the grid the newest answer drew, or None."""
        answer = self.answer
        if answer is None or not 0 <= row < len(answer.archs) or not 0 <= column < len(answer.lengths):
            return None
        arch, length = answer.archs[row], answer.lengths[column]
        return next((dict(c) for c in answer.cells if c["arch"] == arch and c["length"] == length), None)

    def selected_cell(self) -> dict[str, Any] | None:
        """The finished cell selected in the grid whose run has not been opened yet, or None."""
        cell = self.finished_cell(self.grid.currentRow(), self.grid.currentColumn())
        if cell is None or not self.grid.selectedItems() or (cell["arch"], cell["length"]) in self.opened:
            return None
        return cell

    def _on_open(self) -> None:
        """The selected cell's run, asked for; a cell still training or opened already says why not."""
        cell = self.finished_cell(self.grid.currentRow(), self.grid.currentColumn())
        if cell is None:
            self.note.setText("Only a finished cell has a run to open: wait for it, or pick a filled-in cell.")
            return
        if (cell["arch"], cell["length"]) in self.opened:
            self.note.setText(
                f"The run of {cell['arch']} at T = {cell['length']} is open in the window already (a cell opens "
                "once: run the frontier again to open it anew)."
            )
            return
        self.open_requested.emit(cell)

    def ask_to_open(self, w: Any, cell: Mapping[str, Any]) -> None:
        """The window ``w`` asks the engine for ``cell``'s run (``OpenFrontierCell``), once unsaved
        training may go; ``show_opened`` follows when it arrives."""
        from playground.app import messages as m

        if not w.may_discard("Open the frontier cell's run?"):
            return
        self.opening = dict(cell)
        generation = w.controller.state.next_generation(replaces_now=False)
        w.controller.send(m.OpenFrontierCell(str(cell["arch"]), int(cell["length"]), generation))

    def show_opened(self, w: Any, summary: Mapping[str, Any]) -> None:
        """The run the cell kept is the window's model now: which seed, and whether it solved, in the banner."""
        cell = self.opening
        seed = summary["session"].train.seed
        at = next((s for s in cell.get("solved_at", ()) if s is not None), None)  # the kept seed's, if any
        how = f"solved after {at:,} training sequences" if at is not None else "did not solve in its steps"
        where = f"{cell['arch']} at T = {cell['length']}, seed {seed}" if cell else f"seed {seed}"
        w.banner.show_message(f"Opened the frontier's run of {where} ({how}): {summary['steps']} steps trained.", "info")
        if cell:
            self.stop_showing()  # a frontier still running stopped with the old model
            self.mark_opened(cell)
        w.tabs.setCurrentIndex(w.training_tab)

    def mark_opened(self, cell: Mapping[str, Any]) -> None:
        """The window took ``cell``'s run: said in its tooltip, and the cell cannot open it again."""
        self.opened.add((cell["arch"], int(cell["length"])))
        answer = self.answer
        if answer is not None and cell["arch"] in answer.archs and cell["length"] in answer.lengths:
            item = self._item(list(answer.archs).index(cell["arch"]), list(answer.lengths).index(cell["length"]))
            item.setToolTip(item.toolTip() + " (its run is open in the window)")
        self._sync()

    def _on_run(self) -> None:
        try:
            lengths = parse_lengths(self.lengths_edit.text())
        except ValueError as e:
            self.note.setText(f"<span style='color:#b00020'>{e}</span>")
            return
        self.prepare(ARCHS, lengths)
        self.opened.clear()  # a new frontier: new runs to open
        self.answer = None
        self.running = True
        self._sync()
        self.run_requested.emit(
            {
                "lengths": lengths,
                "archs": ARCHS,
                "seeds": self.seeds_spin.value(),
                "steps": self.steps_spin.value(),
            }
        )

    def prepare(self, archs: Sequence[str], lengths: Sequence[int]) -> None:
        """An empty grid: a row per architecture, a column per length."""
        self.grid.clear()
        self.grid.setRowCount(len(archs))
        self.grid.setColumnCount(len(lengths))
        self.grid.setVerticalHeaderLabels(list(archs))
        self.grid.setHorizontalHeaderLabels([f"T = {t}" for t in lengths])
        for r in range(len(archs)):
            for c in range(len(lengths)):
                self.grid.setItem(r, c, QTableWidgetItem(""))
        self.note.setText("")

    def stop_showing(self) -> None:
        """Another model is on screen: a frontier still running was stopped with the old one."""
        if self.running:
            self.running = False
            self._sync()
            self.note.setText("stopped: the window shows another model now")

    def show_refusal(self, text: str) -> None:
        """The frontier could not start (a setting in the panels): said under the grid."""
        self.running = False
        self._sync()
        self.note.setText(f"<span style='color:#b00020'>{text}</span>")

    def show_progress(self, answer: Any) -> None:
        """A ``FrontierProgress``: its finished cells filled in, the one in training marked."""
        self.answer = answer
        self.running = bool(answer.running)
        self._sync()
        if answer.error:
            self.note.setText(f"<span style='color:#b00020'>{answer.error}</span>")
            return
        archs, lengths = list(answer.archs), list(answer.lengths)
        if self.grid.rowCount() != len(archs) or self.grid.columnCount() != len(lengths):
            self.prepare(archs, lengths)
        for cell in answer.cells:
            item = self._item(archs.index(cell["arch"]), lengths.index(cell["length"]))
            item.setText(cell_text(cell))
            share = cell["solved_seeds"] / max(1, cell["seeds"])
            item.setBackground(SOLVED if share == 1 else PARTLY if share > 0 else NONE)
            item.setToolTip(cell_tip(cell) + (" (its run is open in the window)" if (
                cell["arch"], cell["length"]) in self.opened else ""))
        if answer.current is not None:
            arch, length = answer.current
            self._item(archs.index(arch), lengths.index(length)).setText(
                f"training… ({answer.current_seeds_done} seeds done)"
            )
        done = len(answer.cells)
        self.note.setText(
            f"{done} of {len(archs) * len(lengths)} cells"
            + (" so far" if self.running else (" (stopped)" if done < len(archs) * len(lengths) else ""))
        )

    def _item(self, r: int, c: int) -> QTableWidgetItem:
        item = self.grid.item(r, c)
        if item is None:
            item = QTableWidgetItem("")
            self.grid.setItem(r, c, item)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        return item
