"""Two dialog models side by side: the turn-marker language model and an encoder-decoder.

``DialogCompare`` sits under the chat on the prediction panel's dialog page. It says what each
model is, lets the user pick which one answers in the chat, asks for the encoder-decoder to be
trained (``train_requested``; the window runs it on the training worker's thread, never here) and
lists each turn with both models' replies, newest first.

The widget never touches a model: it emits signals and draws what it is given.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.ui.palettes import SPEAKER_COLOURS
from playground.ui.panels._common import error_label, note_label, set_error
from playground.ui.plots.theme import scheme, text_colour, themed

LM, SEQ2SEQ = "lm", "seq2seq"  # which model answers in the chat
MAX_ROWS = 20  # exchanges kept in the list (each is a turn row and a replies row)
DEFAULT_STEPS = 2000  # about two minutes on two CPU cores: enough to copy most names it never saw
NOT_TRAINED = "(not trained yet)"
NO_REPLY = "(no reply)"

DESCRIPTIONS = {
    LM: "Turn-marker language model: reads the whole dialog as one text and continues it.",
    SEQ2SEQ: "Encoder-decoder with attention: the encoder reads your turn, the decoder writes the reply, "
    "looking back at the characters it read (the map below).",
}
NAMES = {LM: "Language model", SEQ2SEQ: "Encoder-decoder"}
COLOURS = {LM: SPEAKER_COLOURS["language model"], SEQ2SEQ: SPEAKER_COLOURS["encoder-decoder"]}

TIPS = {
    LM: (
        "The model built on the Model panel. It learned the whole dialog as one stream of characters "
        "with a marker before each speaker's turn; to answer, it is given the dialog so far and the "
        "next speaker's marker, and it writes on until the end of the turn. Choose it to have it "
        "answer in the chat."
    ),
    SEQ2SEQ: (
        "A second model with two RNNs. The encoder reads the previous turn and yours (joined by a "
        "separator); the decoder starts from its last state and writes the reply character by "
        "character, and at every character it looks back over all the encoder's states (attention) "
        "and either writes a character of its own or copies the one it looks at, so it can answer "
        "with a name it never saw. It knows only the last two turns, not the whole dialog. "
        "Choose it to have it answer in the chat (train it first)."
    ),
    "steps": "How many training steps (batches of 32 turn-reply pairs) the encoder-decoder takes.",
    "train": (
        "Train the encoder-decoder on the knock-knock dialogs for the chosen number of steps. It "
        "trains beside the language model, on the training thread, so the window stays responsive; "
        "pressing again continues from where it stopped."
    ),
    "progress": "Training progress of the encoder-decoder: steps done and the latest loss.",
    "table": (
        "Each of your turns (grey) with both models' replies below it, newest first. Left: the "
        "turn-marker language model; right: the encoder-decoder. The model answering in the chat is "
        "marked 'answers in chat'."
    ),
}


class DialogCompare(QWidget):
    """What each dialog model is, which one answers, training the encoder-decoder, replies compared."""

    train_requested = Signal(int)  # steps to train the encoder-decoder for (on the worker's thread)
    use_changed = Signal(str)  # "lm" or "seq2seq": the model the chat should answer with

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ready = False
        self._training = False
        self._rows: list[tuple[str, str, str]] = []  # (turn, lm reply, encoder-decoder reply), newest first

        title = QLabel("Who answers in the chat")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        title.setToolTip("Two ways to model a dialog. Pick the one that answers your turns in the chat.")

        self.use_group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        self.descriptions: dict[str, QLabel] = {}
        choices = QVBoxLayout()
        choices.setSpacing(2)
        for kind in (LM, SEQ2SEQ):
            radio = QRadioButton(NAMES[kind])
            radio.setToolTip(TIPS[kind])
            themed(radio, lambda s, k=kind: f"QRadioButton {{ color: {text_colour(COLOURS[k], s)}; font-weight: bold; }}")
            self.use_group.addButton(radio)
            description = note_label(DESCRIPTIONS[kind])
            description.setToolTip(TIPS[kind])
            description.setContentsMargins(22, 0, 0, 4)  # under the radio's text, not its circle
            choices.addWidget(radio)
            choices.addWidget(description)
            self.radios[kind], self.descriptions[kind] = radio, description
        self.radios[LM].setChecked(True)

        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(10, 100_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.steps_spin.setSuffix(" steps")
        self.steps_spin.setToolTip(TIPS["steps"])
        self.train_button = QPushButton("Train encoder-decoder")
        self.train_button.setToolTip(TIPS["train"])
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("not trained yet")
        self.progress.setToolTip(TIPS["progress"])
        train_row = QHBoxLayout()
        train_row.addWidget(self.steps_spin)
        train_row.addWidget(self.train_button, 1)

        self.table = QTableWidget(0, 2)
        self.table.setToolTip(TIPS["table"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setMinimumHeight(140)
        self.error = error_label()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(title)
        layout.addLayout(choices)
        layout.addLayout(train_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)

        self.train_button.clicked.connect(self._on_train)
        self.use_group.buttonToggled.connect(self._on_use_toggled)
        self.set_ready(False)

    # -- public API ---------------------------------------------------------------------------
    def in_use(self) -> str:
        """The model answering in the chat: "lm" or "seq2seq"."""
        return SEQ2SEQ if self.radios[SEQ2SEQ].isChecked() else LM

    def set_in_use(self, kind: str) -> None:
        """Choose the answering model (emits use_changed when it changes); seq2seq needs set_ready."""
        if kind not in self.radios:
            raise ValueError(f"unknown dialog model {kind!r}")
        if kind == SEQ2SEQ and not self._ready:
            kind = LM
        self.radios[kind].setChecked(True)

    @Slot(bool)
    def set_ready(self, ready: bool) -> None:
        """Whether the encoder-decoder exists and can reply; if not, the language model answers."""
        self._ready = bool(ready)
        radio = self.radios[SEQ2SEQ]
        radio.setEnabled(self._ready)
        radio.setToolTip(TIPS[SEQ2SEQ] if self._ready else TIPS[SEQ2SEQ] + " Not trained yet.")
        if not self._ready:
            if radio.isChecked():
                self.radios[LM].setChecked(True)
            if not self._training:
                self.progress.setRange(0, 1)
                self.progress.setValue(0)
                self.progress.setFormat("not trained yet")
        self._update_headers()

    def is_ready(self) -> bool:
        return self._ready

    @Slot(int, int, float)
    def set_progress(self, steps: int, total: int, loss: float) -> None:
        """Training progress: ``steps`` of ``total`` done this run, the latest loss; done at total."""
        total = max(1, int(total))
        steps = max(0, min(int(steps), total))
        self.progress.setRange(0, total)
        self.progress.setValue(steps)
        loss_text = f"{loss:.3f}" if math.isfinite(loss) else "—"
        self.progress.setFormat(f"step {steps} of {total} · loss {loss_text}")
        self.set_training(steps < total)

    @Slot(bool)
    def set_training(self, training: bool) -> None:
        """While the encoder-decoder trains, the Train button waits (it is pressed once per run)."""
        self._training = bool(training)
        self.train_button.setEnabled(not self._training)
        self.train_button.setText("Training…" if self._training else "Train encoder-decoder")
        self.steps_spin.setEnabled(not self._training)

    def is_training(self) -> bool:
        return self._training

    def show_error(self, text: str) -> None:
        """A one-line problem (training failed, no dialogs); empty text hides it. Stops 'training'."""
        set_error(self.error, text)
        if text:
            self.set_training(False)

    def error_text(self) -> str:
        return self.error.text()

    @Slot(str, object, object)
    def show_replies(self, turn: str, lm_reply: str | None, s2s_reply: str | None) -> None:
        """Add a turn and both models' replies at the top (None: that model gave none)."""
        lm = NO_REPLY if lm_reply is None else (lm_reply or "(says nothing)")
        if s2s_reply is None:
            s2s = NOT_TRAINED if not self._ready else NO_REPLY
        else:
            s2s = s2s_reply or "(says nothing)"
        self._rows.insert(0, (turn, lm, s2s))
        del self._rows[MAX_ROWS:]
        self._redraw()

    def rows(self) -> list[tuple[str, str, str]]:
        """What the list shows: (turn, language model reply, encoder-decoder reply), newest first."""
        return list(self._rows)

    def clear(self) -> None:
        self._rows.clear()
        self._redraw()

    def steps(self) -> int:
        return self.steps_spin.value()

    # -- drawing ------------------------------------------------------------------------------
    def _update_headers(self) -> None:
        in_use = self.in_use()
        for col, kind in enumerate((LM, SEQ2SEQ)):
            # Two lines, so a narrow dock never cuts the "answers in chat" mark off.
            text = NAMES[kind] + ("\n(answers in chat)" if kind == in_use else "\n")
            item = QTableWidgetItem(text)
            item.setForeground(QBrush(QColor(text_colour(COLOURS[kind], scheme()))))
            font = item.font()
            font.setBold(kind == in_use)
            item.setFont(font)
            item.setToolTip(TIPS[kind])
            self.table.setHorizontalHeaderItem(col, item)

    def _redraw(self) -> None:
        """Two table rows per exchange: the turn across both columns, then the two replies."""
        table = self.table
        table.clearSpans()
        table.setRowCount(2 * len(self._rows))
        grey = self.palette().color(self.palette().ColorRole.PlaceholderText)
        for i, (turn, lm, s2s) in enumerate(self._rows):
            you = QTableWidgetItem(f"You: {turn}")
            you.setForeground(QBrush(grey))
            font = QFont(you.font())
            font.setItalic(True)
            you.setFont(font)
            you.setToolTip(f"Your turn: {turn}")
            table.setItem(2 * i, 0, you)
            table.setItem(2 * i, 1, QTableWidgetItem(""))
            table.setSpan(2 * i, 0, 1, 2)
            for col, (kind, text) in enumerate(((LM, lm), (SEQ2SEQ, s2s))):
                item = QTableWidgetItem(text)
                item.setForeground(QBrush(QColor(text_colour(COLOURS[kind], scheme()))))
                item.setToolTip(f"{NAMES[kind]}: {text}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                table.setItem(2 * i + 1, col, item)
        table.resizeRowsToContents()

    def resizeEvent(self, event) -> None:  # wrapped replies need new row heights at a new width
        super().resizeEvent(event)
        self.table.resizeRowsToContents()

    # -- reactions ------------------------------------------------------------------------------
    def _on_train(self) -> None:
        set_error(self.error, "")
        steps = self.steps_spin.value()
        self.set_training(True)
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.progress.setFormat(f"step 0 of {steps} · starting…")
        self.train_requested.emit(steps)

    def _on_use_toggled(self, button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        self._update_headers()
        self.use_changed.emit(self.in_use())
