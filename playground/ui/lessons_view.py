"""The Lessons dock: fourteen cards, each with Set it up, What to watch, Try this and a Check.

The cards are data (playground.core.lessons.cards); this widget only shows them and says what the
learner asked for through its signals. Which lessons were checked successfully is remembered in
the settings.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.lessons import LESSONS, Lesson, LessonCheck

PASS_COLOUR = "#1b6e3a"
NOT_YET_COLOUR = "#7a5200"
DIFFERS_COLOUR = "#1f4e8c"  # not seen, for a reason the check explains (blue: information, not a fault)


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.list = QListWidget()
        self.list.setToolTip("The lessons, in order. ✓: its check passed on your model.")
        self.list.setMaximumHeight(190)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        for item in LESSONS:
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
        self.try_button.clicked.connect(lambda: self.try_requested.emit(self.current().id, self.current().try_action))
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Measure the model in training and say in numbers whether the lesson shows.")
        self.check_button.clicked.connect(lambda: self.check_requested.emit(self.current().id))
        self.result = _wrapped()
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.seeds_button = QPushButton("Run 5 seeds")
        self.seeds_button.setToolTip(
            "This lesson's claim depends on luck: train it from scratch with five seeds in the background "
            "and show the spread (a minute or two; Play waits meanwhile)."
        )
        self.seeds_button.clicked.connect(lambda: self.seeds_requested.emit(self.current().id))
        self.seeds = _wrapped()
        self.seeds.setStyleSheet("color: #444;")
        body.addWidget(self.title)
        body.addWidget(self.text)
        body.addWidget(self.setup_button)
        body.addWidget(_heading("What to watch"))
        body.addWidget(self.watch)
        body.addWidget(_heading("Try this"))
        body.addWidget(self.try_button)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        body.addWidget(_heading("Check"))
        body.addLayout(row)
        body.addWidget(self.result)
        body.addWidget(self.seeds_button)
        body.addWidget(self.seeds)
        body.addStretch(1)
        layout.addWidget(card, 1)
        self.list.setCurrentRow(0)

    def sizeHint(self) -> QSize:
        return QSize(360, 700)

    # -- public ---------------------------------------------------------------------------------
    def current(self) -> Lesson:
        return LESSONS[max(0, self.list.currentRow())]

    def select(self, lesson_id: str) -> None:
        for row, item in enumerate(LESSONS):
            if item.id == lesson_id:
                self.list.setCurrentRow(row)
                return

    def done(self) -> set[str]:
        raw = self.settings.value("lessons_done", [])
        values = [raw] if isinstance(raw, str) else list(raw or [])
        return {v for v in values if isinstance(v, str)}

    def show_check(self, found: LessonCheck) -> None:
        """A check's result: its words on the card, and a ✓ in the list when it passed."""
        self._checks[found.lesson] = found
        if found.passed:
            self.settings.setValue("lessons_done", sorted(self.done() | {found.lesson}))
            self._refresh_items()
        if found.lesson == self.current().id:
            self._show_result(found)

    def forget_checks(self, again: bool = False) -> str | None:
        """The model or its settings changed: the checks' results are about what was before, so they
        go (the ✓ of a lesson once seen stays). Returns the card shown if it had a result; ``again``:
        it is being checked again."""
        shown = self.current().id if self.current().id in self._checks else None
        self._checks.clear()
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

    def result_text(self) -> str:
        return self.result.text()

    # -- drawing --------------------------------------------------------------------------------------
    def _item_text(self, item: Lesson) -> str:
        mark = "✓" if item.id in self.done() else "  "
        return f"{mark} {item.number:2d}. {item.title}"

    def _refresh_items(self) -> None:
        for row, item in enumerate(LESSONS):
            self.list.item(row).setText(self._item_text(item))

    def _show_card(self, row: int) -> None:
        if row < 0:
            return
        item = LESSONS[row]
        self.title.setText(f"{item.number}. {item.title}")
        self.text.setText(item.text)
        self.watch.setText(item.watch)
        self.try_button.setText(item.try_label)
        self.try_button.setToolTip(f"One click: {item.try_label.lower()}.")
        self.seeds_button.setVisible(bool(item.seeds))
        self.seeds_button.setText(f"Run {len(item.seeds)} seeds")
        self.seeds.setText(self._spreads.get(item.id, ""))
        found = self._checks.get(item.id)
        if found is not None:
            self._show_result(found)
        else:
            self.result.setText("<i>Set it up, train a little, then press Check.</i>")

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
        self.result.setText(f'<span style="color: {colour};">{body}</span>')


def _wrapped() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold; margin-top: 6px;")
    return label
