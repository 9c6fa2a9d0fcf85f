"""The Lessons dock: the lesson cards, each with Set it up, What to watch, Try this, a prediction
and a Check.

The cards are data (playground.core.lessons.cards), and so are their questions
(playground.core.lessons.predictions); this widget only shows them and says what the learner asked
for through its signals. The settings remember which lessons were checked successfully, the learner's
prediction on each card, and the prediction that stood before its first check that answered it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.config import SessionConfig
from playground.core.errors import PlaygroundError
from playground.core.lessons import LESSONS, Lesson, LessonCheck
from playground.core.lessons import lesson as lessons_lesson
from playground.core.lessons.predictions import PREDICTIONS, Measured, Prediction, prediction_of, reveal
from playground.ui.plots.theme import scheme, themed

PASS_COLOUR = "#1b6e3a"
NOT_YET_COLOUR = "#7a5200"
DIFFERS_COLOUR = "#1f4e8c"  # not seen, for a reason the check explains (blue: information, not a fault)
REVEAL_COLOUR = "#4a3b6b"  # the prediction beside the measurement (apart from the blue of "Why it differs")
# The same four in the dark theme: lighter, for the dark background (each 4.5:1 or more on it).
DARK_COLOURS = {PASS_COLOUR: "#7fd6a0", NOT_YET_COLOUR: "#f0c766", DIFFERS_COLOUR: "#93c2f0", REVEAL_COLOUR: "#c8b6ec"}


def _in_theme(colour: str) -> str:
    return DARK_COLOURS.get(colour, colour) if scheme().is_dark else colour
MAX_MORE = 3  # more buttons a card can show beside Try this (lesson 14: its three other uses)
PREDICTED = "lesson_predictions/"  # + lesson id: the learner's choice on that card (a Choice key)
PREDICTED_BEFORE = "lesson_predictions_before_check/"  # + lesson id: the choice at its first answered check
MAX_CHOICES = 3  # a card's choices (the built-ins' two or three; a lesson file's 2 or 3)


class LessonsView(QWidget):
    setup_requested = Signal(str)  # lesson id
    try_requested = Signal(str, str)  # lesson id, action id (Lesson.try_action)
    check_requested = Signal(str)  # lesson id
    seeds_requested = Signal(str)  # lesson id: run its claim over its seeds

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._checks: dict[str, LessonCheck] = {}
        self._spreads: dict[str, str] = {}  # lesson id -> the newest words about its spread over seeds
        self._measured: dict[str, Measured] = {}  # lesson id -> what its check's numbers say to its question
        self._at_press: dict[str, str | None] = {}  # lesson id -> its prediction when Check was pressed
        self._said: dict[str, str | None] = {}  # lesson id -> the prediction that stood at its shown check
        self._filling = False  # the card is being drawn: a radio button set now is not the learner's choice
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.list = QListWidget()
        self.list.setToolTip("The lessons, in order. ✓: its check passed on your model.")
        self.list.setMaximumHeight(190)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.cards: list[Lesson] = list(LESSONS)  # the built-in lessons, then the lesson files opened
        for item in self.cards:
            self.list.addItem(QListWidgetItem(self._item_text(item)))
        self.list.currentRowChanged.connect(self._show_card)
        layout.addWidget(self.list)

        card = QFrame()
        card.setFrameShape(QFrame.Shape.StyledPanel)
        body = QVBoxLayout(card)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 13pt;")
        self.title.setWordWrap(True)
        self.text = _wrapped()
        self.setup_button = QPushButton("Set it up")
        self.setup_button.setToolTip(
            "Load this lesson's own data, model and settings, and open the view that shows it "
            "(asks first if there is unsaved training)."
        )
        self.setup_button.clicked.connect(lambda: self.setup_requested.emit(self.current().id))
        self.watch = _wrapped()
        self.try_button = QPushButton()
        self.try_button.clicked.connect(
            lambda: self.try_requested.emit(self.current().id, self.current().try_action)
        )
        # the card's more buttons (Lesson.more): a setting its claim depends on, or its other set-ups
        self.more_buttons: list[QPushButton] = []
        for i in range(MAX_MORE):
            button = QPushButton()
            button.clicked.connect(lambda _=False, i=i: self._more_pressed(i))
            self.more_buttons.append(button)
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip(
            "Measure the model in training, say in numbers whether the lesson shows, and set your "
            "prediction beside it."
        )
        self.check_button.clicked.connect(self._check_pressed)
        self.result = _wrapped()
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.result.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the keyboard reaches what Check said
        self.question = _wrapped()
        self.question.setToolTip(
            "Pick what you expect before you press Check: your answer is kept, and Check sets it beside "
            "what it measures on your model."
        )
        self.choice_group = QButtonGroup(self)
        self.choice_buttons: list[QRadioButton] = []
        choices = QVBoxLayout()
        choices.setContentsMargins(6, 0, 0, 0)
        choices.setSpacing(2)
        for i in range(MAX_CHOICES):
            button = QRadioButton()
            self.choice_group.addButton(button, i)
            self.choice_buttons.append(button)
            choices.addWidget(button)
        self.choice_group.idToggled.connect(self._choice_toggled)
        self.before_note = _wrapped()
        themed(self.before_note, "color: {muted};")
        self.reveal = _wrapped()
        self.reveal.setTextFormat(Qt.TextFormat.PlainText)
        themed(self.reveal, lambda s: f"color: {_in_theme(REVEAL_COLOUR)};")
        self.reveal.setToolTip("Your prediction beside what Check measured on the model in training.")
        self.seeds_button = QPushButton("Run 5 seeds")
        self.seeds_button.setToolTip(
            "This lesson's claim depends on luck: train it from scratch with five seeds in the background "
            "and show the spread (a minute or two; Play waits meanwhile)."
        )
        self.seeds_button.clicked.connect(lambda: self.seeds_requested.emit(self.current().id))
        self.seeds = _wrapped()
        themed(self.seeds, "color: {muted};")
        body.addWidget(self.title)
        body.addWidget(self.text)
        body.addWidget(self.setup_button)
        body.addWidget(_heading("What to watch"))
        body.addWidget(self.watch)
        body.addWidget(_heading("Try this"))
        body.addWidget(self.try_button)
        for button in self.more_buttons:
            body.addWidget(button)
        body.addWidget(_heading("Predict first"))
        body.addWidget(self.question)
        body.addLayout(choices)
        body.addWidget(self.before_note)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        body.addWidget(_heading("Check"))
        body.addLayout(row)
        body.addWidget(self.result)
        body.addWidget(self.reveal)
        body.addWidget(self.seeds_button)
        body.addWidget(self.seeds)
        body.addStretch(1)
        layout.addWidget(card, 1)
        self.list.setCurrentRow(0)

    def sizeHint(self) -> QSize:
        return QSize(360, 700)

    # -- public ---------------------------------------------------------------------------------
    def current(self) -> Lesson:
        return self.cards[max(0, self.list.currentRow())]

    def card(self, lesson_id: str) -> Lesson:
        """The card ``lesson_id`` (a built-in one or one read from a lesson file)."""
        for item in self.cards:
            if item.id == lesson_id:
                return item
        return lessons_lesson(lesson_id)  # (a one-line error naming the ids)

    def add_lesson(self, card: Lesson) -> None:
        """A lesson read from a file: listed after the built-in ones (replacing one opened before with the same
        id, a teacher's edited file) and shown. A built-in id is refused in one line."""
        if any(x.id == card.id and x.builtin for x in self.cards):
            raise PlaygroundError(f"{card.source}: id {card.id!r} is a built-in lesson's: give the lesson its own id")
        for row, item in enumerate(self.cards):
            if item.id == card.id:
                self.cards[row] = card
                self._checks.pop(card.id, None)
                self.list.item(row).setText(self._item_text(card))
                self.list.setCurrentRow(row)
                self._show_card(row)
                return
        self.cards.append(card)
        self.list.addItem(QListWidgetItem(self._item_text(card)))
        self.list.setCurrentRow(len(self.cards) - 1)

    def _pred(self, lesson_id: str) -> Prediction | None:
        """The question a card asks before its check: a built-in card's, or a lesson file's own."""
        found = PREDICTIONS.get(lesson_id)
        if found is not None:
            return found
        card = next((x for x in self.cards if x.id == lesson_id), None)
        return prediction_of(card) if card is not None and card.question is not None else None

    def select(self, lesson_id: str) -> None:
        for row, item in enumerate(self.cards):
            if item.id == lesson_id:
                self.list.setCurrentRow(row)
                return

    def done(self) -> set[str]:
        raw = self.settings.value("lessons_done", [])
        values = [raw] if isinstance(raw, str) else list(raw or [])
        return {v for v in values if isinstance(v, str)}

    def show_check(
        self, found: LessonCheck, session: SessionConfig | None = None, steps: int | None = None
    ) -> None:
        """A check's result: its words on the card, a ✓ in the list when it passed, and the learner's
        prediction beside what it measured (``session``: the measured model's settings, ``steps``: the
        steps it has trained, where known). The first check whose numbers answer the question keeps the
        prediction that stood before it."""
        self._checks[found.lesson] = found
        if found.passed:
            self.settings.setValue("lessons_done", sorted(self.done() | {found.lesson}))
            self._refresh_items()
        pred = self._pred(found.lesson)
        at_press = self._at_press.pop(found.lesson, self.predicted(found.lesson))
        if pred is not None:
            measured = pred.measure(found, session, steps)
            self._measured[found.lesson] = measured
            self._said[found.lesson] = at_press
            if measured.choice is not None and at_press and self.predicted_before_check(found.lesson) is None:
                self.settings.setValue(PREDICTED_BEFORE + found.lesson, at_press)
        if found.lesson == self.current().id:
            self._show_result(found)
            self._show_prediction(self.current())

    # -- predictions ------------------------------------------------------------------------------
    def predicted(self, lesson_id: str) -> str | None:
        """The learner's prediction on a card now (a Choice key), or None."""
        return self._stored(PREDICTED + lesson_id, lesson_id)

    def predicted_before_check(self, lesson_id: str) -> str | None:
        """The prediction that stood when a check first answered the card's question, or None."""
        return self._stored(PREDICTED_BEFORE + lesson_id, lesson_id)

    def predict(self, key: str) -> None:
        """Choose a prediction on the card shown, as clicking its radio button does."""
        pred = self._pred(self.current().id)
        keys = [c.key for c in pred.choices] if pred is not None else []
        if key not in keys:
            raise ValueError(f"no choice {key!r} on this card: {', '.join(keys)}")
        self.choice_buttons[keys.index(key)].click()

    def current_prediction_keys(self) -> list[str]:
        """The choices of the card shown (Choice keys), in order; [] for a card without a question."""
        pred = self._pred(self.current().id)
        return [c.key for c in pred.choices] if pred is not None else []

    def reveal_text(self) -> str:
        return self.reveal.text()

    def _stored(self, name: str, lesson_id: str) -> str | None:
        """A choice key kept in the settings; None where there is none, or it is not one of the card's."""
        value = self.settings.value(name, "")
        pred = self._pred(lesson_id)
        if not isinstance(value, str) or pred is None or pred.choice(value) is None:
            return None
        return value

    def _check_pressed(self) -> None:
        lesson_id = self.current().id
        self._at_press[lesson_id] = self.predicted(lesson_id)
        self.check_requested.emit(lesson_id)

    def _choice_toggled(self, index: int, checked: bool) -> None:
        pred = self._pred(self.current().id)
        if self._filling or not checked or pred is None or index >= len(pred.choices):
            return
        self.settings.setValue(PREDICTED + pred.lesson, pred.choices[index].key)
        self._show_prediction(self.current())

    def forget_checks(self, again: bool = False) -> str | None:
        """The model or its settings changed: the checks' results are about what was before, so they
        go (the ✓ of a lesson once seen stays). Returns the card shown if it had a result; ``again``:
        it is being checked again."""
        shown = self.current().id if self.current().id in self._checks else None
        self._checks.clear()
        self._measured.clear()
        self._said.clear()
        self.reveal.clear()
        self.reveal.hide()
        if shown is not None:
            self.result.setText(
                "<i>The settings changed: checking again…</i>"
                if again
                else "<i>A new model: set it up, train a little, then press Check.</i>"
            )
        return shown

    def show_seed_spread(self, lesson_id: str, text: str) -> None:
        self._spreads[lesson_id] = text
        if lesson_id == self.current().id:
            self.seeds.setText(text)

    def report_note(self) -> dict | None:
        """The card shown, for File > Export Report: its title, question, the prediction made before its
        check, what the check measured and said (core/export/report.py's LessonNote fields); None when the
        card was neither predicted on nor checked."""
        card = self.current()
        found = self._checks.get(card.id)
        pred = self._pred(card.id)
        said = self._said.get(card.id, self.predicted(card.id)) if pred is not None else None
        if found is None and said is None:
            return None
        measured = self._measured.get(card.id)
        chosen = pred.choice(said) if pred is not None else None
        found_choice = pred.choice(measured.choice) if pred is not None and measured is not None else None
        return {
            "title": f"{card.number}. {card.title}",
            "question": pred.question if pred is not None else "",
            "predicted": chosen.label if chosen is not None else "",
            "measured": (
                f"{found_choice.label} ({measured.detail})" if found_choice and measured else measured.detail
            )
            if measured is not None
            else "",
            "result": (found.text + (f" {found.differs}" if found.differs else ""))
            if found is not None
            else "",
            "passed": found.passed if found is not None else None,
        }

    def result_text(self) -> str:
        return self.result.text()

    # -- drawing --------------------------------------------------------------------------------------
    def _item_text(self, item: Lesson) -> str:
        mark = "✓" if item.id in self.done() else "  "
        return f"{mark} {item.number:2d}. {item.title}"

    def _refresh_items(self) -> None:
        for row, item in enumerate(self.cards):
            self.list.item(row).setText(self._item_text(item))

    def _more_pressed(self, i: int) -> None:
        card = self.current()
        if i < len(card.more):
            self.try_requested.emit(card.id, card.more[i][1])

    def _show_card(self, row: int) -> None:
        if row < 0:
            return
        item = self.cards[row]
        self.title.setText(f"{item.number}. {item.title}")
        self.text.setText(item.text)
        self.watch.setText(item.watch)
        self.try_button.setText(item.try_label)
        self.try_button.setToolTip(f"One click: {item.try_label.lower()}.")
        for i, button in enumerate(self.more_buttons):
            if i < len(item.more):
                label, action = item.more[i]
                button.setText(label)
                verb = action.partition(":")[0]
                button.setToolTip(
                    f"{label}: loads that set-up (asks first if there is unsaved training); train, then Check."
                    if verb == "preset"
                    else f"One click: {label.lower()}, a new model; train the card's steps, then Check."
                )
            button.setVisible(i < len(item.more))
        self.seeds_button.setVisible(bool(item.seeds) and item.builtin)
        self.seeds_button.setText(f"Run {len(item.seeds)} seeds")
        self.seeds.setText(self._spreads.get(item.id, ""))
        found = self._checks.get(item.id)
        if found is not None:
            self._show_result(found)
        else:
            self.result.setText("<i>Set it up, train a little, then press Check.</i>")
        self._fill_choices(self._pred(item.id))
        self._show_prediction(item)

    def _fill_choices(self, pred: Prediction | None) -> None:
        """The card's question and its choices, the learner's own one ticked."""
        self._filling = True
        try:
            self.question.setText(pred.question if pred is not None else "")
            chosen = self.predicted(pred.lesson) if pred is not None else None
            self.choice_group.setExclusive(False)  # (so that no button is ticked where none was chosen)
            for i, button in enumerate(self.choice_buttons):
                choice = pred.choices[i] if pred is not None and i < len(pred.choices) else None
                button.setVisible(choice is not None)
                button.setText(choice.label if choice is not None else "")
                button.setToolTip(choice.tip if choice is not None else "")
                button.setChecked(choice is not None and choice.key == chosen)
            self.choice_group.setExclusive(True)
        finally:
            self._filling = False

    def _show_prediction(self, item: Lesson) -> None:
        """Under the choices, the prediction kept from before the check where it has changed since; under
        the result, the prediction beside what was measured."""
        pred = self._pred(item.id)
        before, now = self.predicted_before_check(item.id), self.predicted(item.id)
        if pred is None:
            self.before_note.clear()
            self.reveal.clear()
            return
        kept = pred.choice(before)
        self.before_note.setText(
            f"Before your check you predicted “{kept.label}”." if kept is not None and before != now else ""
        )
        self.before_note.setVisible(bool(self.before_note.text()))
        measured = self._measured.get(item.id) if item.id in self._checks else None
        # the prediction kept from before a check, else the one at this check (one chosen after it does not count)
        said = before if before is not None else self._said.get(item.id)
        self.reveal.setText(reveal(pred, said, measured, now) if measured is not None else "")
        self.reveal.setVisible(measured is not None)

    def _show_result(self, found: LessonCheck) -> None:
        if found.passed:
            colour, head, why = PASS_COLOUR, "Seen.", ""
        elif found.differs:  # the run differs from the card's claim, and the check says why
            colour, head, why = DIFFERS_COLOUR, "Why it differs:", f" {html.escape(found.differs)}"
        else:
            colour, head, why = NOT_YET_COLOUR, "Not yet.", ""
        if why:
            body = f"{html.escape(found.text)}<br><b>{head}</b>{why}"
        else:
            body = f"<b>{head}</b> {html.escape(found.text)}"
        self.result.setText(f'<span style="color: {_in_theme(colour)};">{body}</span>')
        from playground.ui.accessible import announce

        plain = f"{head} {found.text}" + (f" {found.differs}" if why else "")
        announce(self.result, f"Check: {plain}")  # read out; and Tab reaches the result (its focus policy)


def _wrapped() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold; margin-top: 6px;")
    return label
