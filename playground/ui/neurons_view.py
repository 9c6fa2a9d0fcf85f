"""The Neurons tab: which hidden unit follows a property of the text, and what it does when pinned.

The ranking (``playground.core.inspect.neurons``) and the clamped sampling (``playground.core.inspect.clamp``) run in
the engine, between training slices: the tab sends ``RankUnits`` and ``ClampSample`` and shows the
answers the controller routes to :meth:`NeuronsView.show_answer` (stale ones never get here).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.app import messages as m
from playground.ui.pages import NEURONS_TIP
from playground.ui.palettes import signed_tint, track_tint
from playground.ui.plots.base import make_plot
from playground.ui.plots.theme import BLUE, themed

TRACK_NAMES = ("quotes", "brackets", "line-position", "word", "digit", "vowel", "regex")
LINE = 48  # characters per shown line (they fit the panel of a 1600-pixel window)
STRONGEST = 0.6  # the deepest tint, so that the letters stay readable on it
REFRESH_MS = 3_000  # "refresh while training": at most one ranking this often
PENDING_S = 60.0  # a ranking not answered in this long (dropped with an old model) no longer blocks refreshes
HEADERS = ("layer", "unit", "state", "r", "accuracy", "held: in / out")
HEADER_TIPS = (
    "The recurrent layer, from 0 (the one reading the characters).",
    "The unit in its layer, from 0 (as `rnn-playground neurons` and `sample --clamp` number them).",
    "h: the hidden state (what the next step and the next layer read); c: an LSTM's cell state.",
    "Pearson correlation between the unit's activation after each character and the track: +1 or -1 "
    "when the unit follows the track exactly (up to scale), 0 when it ignores it. Sorted by |r|.",
    "Yes/no tracks only: the share of characters classified right by the best single threshold on the "
    "unit (above it = 1, or below it = 1). 0.5 to 1; compare with always guessing the commoner answer.",
    "After Ablate: how much worse the model predicts the next character (nats per character) with the unit held "
    "at zero (or its mean) at every step, where the track holds and where it does not. ✓: more, inside, than "
    "any of ten random units of the same layer, and more inside than outside: the model needs the unit for "
    "this. A unit can follow the track closely (high r) and still not be needed: others carry it too.",
)
ABLATE_TIP = (
    "Does the model need the unit, or does it only correlate? Hold each listed unit at zero (or at its mean "
    "over the text) at every step while the model reads 5,000 characters, and measure how much worse it "
    "predicts inside and outside the track, beside ten units of the same layer drawn at random (yes/no "
    "tracks only; in the training process, between training slices)."
)
CLAMP_TIP = (
    "The value the unit's hidden state h is pinned to at every step, prompt included. h of an LSTM or GRU "
    "stays between -1 and +1 and the unit is one voice among many: a value well beyond its range (±4, the "
    "sign of r: 'on') is needed for the effect to show. Only h is pinned; for a c row, the h of the same "
    "unit is."
)
HELP = (
    "In 2015 Andrej Karpathy trained a character-level LSTM on Tolstoy and the Linux source and looked at "
    "single cells one at a time. One of them switched on at an opening quotation mark and stayed on until "
    "the closing one: a quote detector nobody had asked for, learned because it predicts the next "
    "character better. Find one here: choose the 'quotes' preset, press Play for about 90 seconds, choose "
    "the track 'quotes' and press Rank. The table lists the ten units whose activation follows 'inside a "
    "quotation' most closely; select one to see its activation over the text (orange positive, blue "
    "negative) with the track underneath (purple where it is 1). A correlation is not proof: how do you "
    "know it is a quote neuron? Pin it. 'Sample with and without' writes from the same prompt and seed "
    "twice, once free and once with the unit held at a strong value; if the pinned text opens or closes "
    "quotations differently, the unit is part of how the network keeps track of them."
)
R_PLOT_TIP = (
    "How closely the selected unit has followed the track at each ranking of this model so far: rank "
    "again as training goes on, or tick 'refresh while training', to see a unit grow into its role."
)


def _colour(v: float) -> str:
    """Near white at 0, orange towards +1, blue towards -1 (the diverging palette, at most STRONGEST of
    the way to its ends): told apart with the common colour-vision deficiencies."""
    return signed_tint(v, STRONGEST)


def _shown(ch: str) -> str:
    return {"\n": "↵", "\t": "→", " ": "\u00a0"}.get(ch, ch)


def activation_html(text: str, acts: np.ndarray, track: np.ndarray) -> tuple[str, list[str]]:
    """The text coloured by ``acts`` a character at a time, lines of ``LINE``, each with the track under it
    (green cells, darker for more). Also each character's background colour (what the tests read)."""
    scale = float(np.max(np.abs(acts))) if len(acts) else 1.0
    scale = scale if scale > 0 else 1.0
    top = float(np.max(track)) if len(track) and np.max(track) > 0 else 1.0
    colours = [_colour(float(a) / scale) for a in acts]
    rows = []
    for start in range(0, len(text), LINE):
        chars = "".join(
            f'<span style="background:{colours[i]}">{html.escape(_shown(text[i]))}</span>'
            for i in range(start, min(start + LINE, len(text)))
        )
        cells = []
        for i in range(start, min(start + LINE, len(text))):
            g = max(0.0, float(track[i]) / top)
            cells.append(f'<span style="background:{track_tint(g)}">\u00a0</span>' if g > 0 else "\u00a0")
        rows.append(chars + "<br>" + "".join(cells))
    return '<pre style="line-height:120%">' + "<br>".join(rows) + "</pre>", colours


class NeuronsView(QWidget):
    request = Signal(object)  # a RankUnits or ClampSample command

    def __init__(self, is_playing: Callable[[], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.r_history: dict[tuple[str, str], dict[int, dict]] = {}  # (track, text) -> step -> unit -> r
        self._asked: tuple[str, str] = ("", "")  # the track and text of the newest ranking asked for
        self.is_playing = is_playing
        self.answer: m.RankedUnits | None = None
        self.ablated: m.AblatedUnits | None = None
        self.clamped: m.ClampSampled | None = None
        self.pending_since: float | None = None
        self.colours: list[str] = []
        self.html = ""
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)

        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel("<b>Find the neuron</b>: which hidden unit follows a property of the text?")
        head.addWidget(title, 1)
        self.help_button = QToolButton()
        self.help_button.setText("?")
        self.help_button.setCheckable(True)
        self.help_button.setToolTip("The quote neuron: what this tab is for")
        head.addWidget(self.help_button)
        outer.addLayout(head)
        self.help_label = QLabel(HELP)
        self.help_label.setWordWrap(True)
        themed(
            self.help_label,
            "background: {explanation_bg}; color: {text}; border-left: 3px solid #0072B2; padding: 6px;",
        )
        self.help_label.setVisible(False)
        self.help_button.toggled.connect(self.help_label.setVisible)
        outer.addWidget(self.help_label)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Track:"))
        self.track_box = QComboBox()
        self.track_box.addItems(TRACK_NAMES)
        self.track_box.setToolTip(
            "quotes: 1 inside a double-quoted passage; brackets: how many ( [ { are open; line-position: "
            "characters since the newline; word: letters, digits, apostrophes; digit; vowel; regex: 1 on "
            "characters inside a match of your pattern"
        )
        controls.addWidget(self.track_box)
        self.regex_edit = QLineEdit("[A-Z]")
        self.regex_edit.setPlaceholderText("regular expression")
        self.regex_edit.setToolTip("A Python regular expression: the track is 1 on the characters it matches")
        self.regex_edit.setMaximumWidth(180)
        controls.addWidget(self.regex_edit)
        self.own_text = QCheckBox("read my text")
        self.own_text.setToolTip("Off: the model's held-out text. On: the text in the box below.")
        controls.addWidget(self.own_text)
        self.rank_button = QPushButton("Rank")
        self.rank_button.setToolTip(
            "Rank every unit of every layer by |r| with the track (in the training process)"
        )
        controls.addWidget(self.rank_button)
        self.live = QCheckBox("refresh while training")
        self.live.setToolTip(
            f"Off by default. On: while training plays, rank again every {REFRESH_MS // 1000} s (between "
            "training slices, which slows training a little) and watch the unit form."
        )
        controls.addWidget(self.live)
        self.ablate_button = QPushButton("Ablate")
        self.ablate_button.setToolTip(ABLATE_TIP)
        self.ablate_button.setEnabled(False)
        controls.addWidget(self.ablate_button)
        self.ablate_mode = QComboBox()
        self.ablate_mode.addItem("at zero", "zero")
        self.ablate_mode.addItem("at its mean", "mean")
        self.ablate_mode.setToolTip(
            "Hold each unit at 0, or at its mean over the text (which removes what the unit says about this "
            "character without moving the layer to a state it never visits)"
        )
        controls.addWidget(self.ablate_mode)
        controls.addStretch(1)
        outer.addLayout(controls)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("Paste a text to read (tick 'read my text')")
        self.text_edit.setAccessibleName("Your text to read")
        self.text_edit.setMaximumHeight(60)
        self.text_edit.setVisible(False)
        self.own_text.toggled.connect(self.text_edit.setVisible)
        outer.addWidget(self.text_edit)
        self.status = QLabel("Press Rank to rank the model's units.")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        for i, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(i).setToolTip(tip)
        self.table.setToolTip("The ten units that follow the track most closely; select one to see it")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(340)
        self.table.itemSelectionChanged.connect(self._on_select)
        split.addWidget(self.table)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.unit_label = QLabel("")
        rl.addWidget(self.unit_label)
        self.text_view = QTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.text_view.setFont(mono)
        self.text_view.setToolTip(
            "The unit's activation after each character: orange positive, blue negative, white near 0 "
            "(scaled to the unit's largest). Under each line, the track: purple where it is above 0. "
            "↵ is a line break. The first 2,000 characters read."
        )
        rl.addWidget(self.text_view, 1)
        self.r_plot = make_plot("r", "training step")
        self.r_plot.setFixedHeight(130)
        self.r_plot.setToolTip(R_PLOT_TIP)
        self.r_plot.getPlotItem().setYRange(-1, 1)
        self.r_curve = self.r_plot.plot(
            [], [], pen=pg.mkPen(BLUE, width=2), symbol="o", symbolSize=5, symbolBrush=BLUE
        )
        rl.addWidget(self.r_plot)
        split.addWidget(right)
        split.setSizes([360, 900])
        outer.addWidget(split, 3)

        clamp_row = QHBoxLayout()
        clamp_row.addWidget(QLabel("Pin the selected unit to"))
        self.value_box = QDoubleSpinBox()
        self.value_box.setRange(-50.0, 50.0)
        self.value_box.setSingleStep(0.5)
        self.value_box.setValue(4.0)
        self.value_box.setToolTip(CLAMP_TIP)
        clamp_row.addWidget(self.value_box)
        clamp_row.addWidget(QLabel("prompt"))
        self.prompt_edit = QLineEdit("")
        self.prompt_edit.setPlaceholderText("(empty: from the start)")
        self.prompt_edit.setAccessibleName("Prompt for the two samples")
        self.prompt_edit.setMaximumWidth(200)
        clamp_row.addWidget(self.prompt_edit)
        clamp_row.addWidget(QLabel("temperature"))
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setRange(0.0, 3.0)
        self.temperature_box.setSingleStep(0.1)
        self.temperature_box.setValue(0.7)
        self.temperature_box.setToolTip(
            "0 writes the likeliest character each time; both texts use the same seed"
        )
        clamp_row.addWidget(self.temperature_box)
        self.clamp_button = QPushButton("Sample with and without")
        self.clamp_button.setToolTip(
            "Write 200 characters from the prompt twice, same seed: free, then pinned"
        )
        self.clamp_button.setEnabled(False)
        clamp_row.addWidget(self.clamp_button)
        clamp_row.addStretch(1)
        outer.addLayout(clamp_row)
        texts = QGridLayout()
        self.free_label = QLabel("Free")
        self.pinned_label = QLabel("Pinned")
        self.free_text = QPlainTextEdit()
        self.pinned_text = QPlainTextEdit()
        for col, (label, box) in enumerate(
            ((self.free_label, self.free_text), (self.pinned_label, self.pinned_text))
        ):
            box.setReadOnly(True)
            box.setFont(mono)
            box.setAccessibleName(f"{label.text()} sample")
            texts.addWidget(label, 0, col)
            texts.addWidget(box, 1, col)
        outer.addLayout(texts, 2)

        self.track_box.currentTextChanged.connect(lambda t: self.regex_edit.setEnabled(t == "regex"))
        self.regex_edit.setEnabled(False)
        self.rank_button.clicked.connect(self.rank)
        self.clamp_button.clicked.connect(self.sample_clamped)
        self.ablate_button.clicked.connect(self.ablate)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._refresh)
        self.timer.start()

    # -- asking --------------------------------------------------------------------------------------
    def track_name(self) -> str:
        name = self.track_box.currentText()
        return "regex:" + self.regex_edit.text() if name == "regex" else name

    def rank(self) -> None:
        text = self.text_edit.toPlainText() if self.own_text.isChecked() else ""
        if self.own_text.isChecked() and not text.strip():
            self.status.setText("Paste a text in the box first (or untick 'read my text').")
            return
        self.pending_since = time.monotonic()
        self.status.setText("ranking…")
        self._asked = (self.track_name(), text)
        self.request.emit(m.RankUnits(self.track_name(), text))

    def ablate(self) -> None:
        """Hold each unit of the shown ranking (its track, its text) and measure what it costs."""
        if self.answer is None or not self.answer.units:
            return
        units = tuple((layer, unit, kind) for layer, unit, kind, _r, _acc in self.answer.units)
        self.ablated = None
        self.status.setText("ablating: each unit held in turn while the model reads 5,000 characters…")
        self.ablate_button.setEnabled(False)
        self.request.emit(
            m.AblateUnits(self.answer.track, units, self._asked[1], self.ablate_mode.currentData())
        )

    def _refresh(self) -> None:
        busy = self.pending_since is not None and time.monotonic() - self.pending_since < PENDING_S
        if self.live.isChecked() and self.is_playing() and not busy:
            self.rank()

    def selected_unit(self) -> tuple[int, int, str, float, float | None] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.answer is None:
            return None
        return self.answer.units[rows[0].row()]

    def sample_clamped(self) -> None:
        unit = self.selected_unit()
        if unit is None:
            return
        self.free_text.setPlainText("")
        self.pinned_text.setPlainText("writing…")
        layer, index = unit[0], unit[1]
        cmd = m.ClampSample(
            layer, index, self.value_box.value(), self.prompt_edit.text(), 200, self.temperature_box.value()
        )
        self.request.emit(cmd)

    # -- answers -------------------------------------------------------------------------------------
    def model_changed(self) -> None:
        """A new model: what was shown belonged to the old one."""
        self.answer = None
        self.ablated = None
        self.ablate_button.setEnabled(False)
        self.pending_since = None
        self.r_history.clear()
        self.r_curve.setData([], [])
        self.table.setRowCount(0)
        self.text_view.clear()
        self.unit_label.setText("")
        self.free_text.clear()
        self.pinned_text.clear()
        self.clamp_button.setEnabled(False)
        self.status.setText("Press Rank to rank the model's units.")

    def show_answer(self, a: Any) -> None:
        if isinstance(a, m.ClampSampled):
            self._show_clamped(a)
            return
        if isinstance(a, m.AblatedUnits):
            self._show_ablated(a)
            return
        self.pending_since = None
        if a.error:
            self.status.setText(f"Cannot rank: {a.error}")
            return
        before = self.selected_unit()
        self.answer = a
        if a.every_r is not None:  # r of every unit at this step: what the r-over-training plot reads
            kept = self.r_history.setdefault(self._asked, {})
            kept[a.step] = dict(zip(a.unit_keys, np.asarray(a.every_r, dtype=float).tolist()))
        self.table.blockSignals(True)
        self.table.setRowCount(len(a.units))
        for row, (layer, unit, kind, r, acc) in enumerate(a.units):
            cells = (str(layer), str(unit), kind, f"{r:+.3f}", "—" if acc is None else f"{acc:.3f}", "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        keys = [u[:3] for u in a.units]
        row = keys.index(before[:3]) if before is not None and before[:3] in keys else 0
        self.status.setText(
            f"{a.track}: {a.n_units} units ranked over {a.characters:,} characters at step {a.step:,} "
            f"({a.seconds:.2f} s). Select a row to see the unit."
        )
        self.ablated = None
        self.ablate_button.setEnabled(bool(a.units) and a.accuracy_known)
        if a.units:
            self.table.selectRow(row)
            self._on_select()

    def _show_ablated(self, a: m.AblatedUnits) -> None:
        self.ablate_button.setEnabled(self.answer is not None)
        if a.error:
            self.status.setText(f"Cannot ablate: {a.error}")
            return
        shown = tuple(u[:3] for u in self.answer.units) if self.answer is not None else ()
        if a.request.units != shown:  # a newer ranking is shown: this one's costs belong to the old rows
            return
        self.ablated = a
        worst = a.random_max_inside
        needed = 0
        for row, (inside, outside) in enumerate(a.costs):
            beats = worst is not None and inside > worst and inside > outside
            needed += beats
            item = QTableWidgetItem(f"{inside:+.3f} / {outside:+.3f}" + (" ✓" if beats else ""))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if beats:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, len(HEADERS) - 1, item)
        mean = float(np.mean([r[0] for r in a.random])) if a.random else 0.0
        how = "at zero" if a.request.mode == "zero" else "at its mean"
        self.status.setText(
            f"Each unit held {how} over {a.characters:,} characters ({a.inside_characters:,} inside the track): "
            f"the rise of the loss inside / outside, in nats per character (base {a.base[0]:.3f} / {a.base[1]:.3f}). "
            f"{len(a.random)} random units of layer {a.request.units[0][0]}: inside at most {worst:+.3f}, "
            f"mean {mean:+.3f}. "
            + (
                f"✓ on {needed} of {len(a.costs)}: the model needs {'that unit' if needed == 1 else 'those units'} "
                "inside the track more than any random unit, and more than outside."
                if needed
                else "None of them costs more inside than the costliest random unit and more than outside: the "
                "model does not need any one of them alone. The memory may be spread over several (carry them "
                "together in the scrubber, or with `rnn-playground patch --units`)."
            )
            if worst is not None
            else f"Each unit held {how} over {a.characters:,} characters: no random units to compare with."
        )

    def _on_select(self) -> None:
        unit = self.selected_unit()
        if unit is None or self.answer is None:
            return
        row = self.table.selectionModel().selectedRows()[0].row()
        layer, index, kind, r, _ = unit
        a = self.answer
        self.html, self.colours = activation_html(a.text, a.activations[row], a.track_values)
        self.text_view.setHtml(self.html)
        on = np.flatnonzero(np.asarray(a.track_values) > 0)
        if on.size:  # start the view a line above the first place the track is on (a quotation...)
            rows = max(1, -(-len(a.text) // LINE))
            share = max(0, int(on[0]) // LINE - 1) / rows
            bar = self.text_view.verticalScrollBar()
            QTimer.singleShot(0, lambda: bar.setValue(round(share * (bar.maximum() + bar.pageStep()))))
        self.unit_label.setText(
            f"layer {layer}, unit {index} ({kind}): r = {r:+.3f} with {a.track} — "
            f"first {len(a.text):,} characters"
        )
        self.value_box.setValue(4.0 if r >= 0 else -4.0)  # the unit's 'on' side, strongly
        self._draw_r((layer, index, kind))
        self.clamp_button.setEnabled(True)

    def r_over_training(self, key: tuple[int, int, str]) -> tuple[list[int], list[float]]:
        """(steps, r) of unit ``key`` in every ranking of this model with the same track and text."""
        kept = self.r_history.get(self._asked, {})
        steps = sorted(s for s in kept if key in kept[s])
        return steps, [kept[s][key] for s in steps]

    def _draw_r(self, key: tuple[int, int, str]) -> None:
        steps, rs = self.r_over_training(key)
        self.r_curve.setData(steps, rs)
        self.r_plot.getPlotItem().setXRange(0, max(steps, default=1) * 1.05, padding=0)  # from the start
        self.r_plot.getPlotItem().setTitle(
            f"r of unit {key[0]}:{key[1]} ({key[2]}) at each ranking so far ({len(steps)})", size="9pt"
        )

    def _show_clamped(self, a: m.ClampSampled) -> None:
        self.clamped = a
        if a.error:
            self.free_text.clear()
            self.pinned_text.clear()
            self.status.setText(f"Cannot sample with the unit pinned: {a.error}")
            return
        req = a.request
        self.free_label.setText(
            f"Free (prompt {req.prompt!r}, temperature {req.temperature:g}, seed {req.seed})"
        )
        self.pinned_label.setText(f"Layer {req.layer}, unit {req.unit} pinned to {req.value:+g} (same seed)")
        self.free_text.setPlainText(req.prompt + a.free)
        self.pinned_text.setPlainText(req.prompt + a.clamped)
        if a.free == a.clamped:
            self.pinned_label.setText(self.pinned_label.text() + ": the same text, try a stronger value")


def make_neurons_view(w: Any) -> NeuronsView:
    """The view for window ``w`` (playground.ui.pages makes it when its tab is first shown): its
    commands go to the controller, a new model clears it."""
    view = NeuronsView(lambda: w.state.playing)
    view.request.connect(lambda cmd: w.state.has_model and w.controller.send(cmd))
    w.controller.model_ready.connect(view.model_changed)
    return view


__all__ = ["NEURONS_TIP", "NeuronsView", "activation_html", "make_neurons_view"]
