"""DialogCompare: the two dialog models side by side (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QLabel, QProgressBar, QTableWidget, QWidget

from playground.ui.panels.seq2seq_chat import MAX_ROWS, NOT_TRAINED, DialogCompare


@pytest.fixture
def compare(qtbot) -> DialogCompare:
    widget = DialogCompare()
    qtbot.addWidget(widget)
    widget.resize(420, 520)
    widget.show()
    return widget


def table_text(table: QTableWidget) -> list[list[str]]:
    return [
        [table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_says_what_each_model_is_and_explains_every_control(compare):
    texts = " ".join(label.text() for label in compare.findChildren(QLabel))
    assert "Turn-marker language model: reads the whole dialog as one text and continues it" in texts
    assert "Encoder-decoder with attention: the encoder reads your turn, the decoder writes the reply" in texts
    kinds = (QAbstractButton, QAbstractSpinBox, QProgressBar, QTableWidget)
    controls = [
        w
        for w in compare.findChildren(QWidget)
        if isinstance(w, kinds) and not w.objectName().startswith("qt_")  # Qt's own parts (table corner)
    ]
    assert len(controls) >= 5
    for w in controls:
        assert w.toolTip(), f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r} has no tooltip"
    assert compare.train_button.text() == "Train encoder-decoder"


def test_train_button_asks_for_steps_and_progress_frees_it(qtbot, compare):
    compare.steps_spin.setValue(200)
    with qtbot.waitSignal(compare.train_requested, timeout=1000) as blocker:
        qtbot.mouseClick(compare.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [200]
    assert compare.is_training() and not compare.train_button.isEnabled()
    compare.set_progress(50, 200, 1.25)
    assert compare.progress.value() == 50 and compare.progress.maximum() == 200
    assert "step 50 of 200" in compare.progress.text() and "1.250" in compare.progress.text()
    assert compare.is_training()
    compare.set_progress(200, 200, float("nan"))
    assert not compare.is_training() and compare.train_button.isEnabled()
    assert "loss —" in compare.progress.text()


def test_an_error_stops_the_wait(qtbot, compare):
    qtbot.mouseClick(compare.train_button, Qt.MouseButton.LeftButton)
    compare.show_error("the encoder-decoder needs dialogs: choose the knock-knock data")
    assert compare.error.isVisible() and "needs dialogs" in compare.error_text()
    assert compare.train_button.isEnabled()
    with qtbot.waitSignal(compare.train_requested, timeout=1000):
        qtbot.mouseClick(compare.train_button, Qt.MouseButton.LeftButton)
    assert not compare.error.isVisible()  # a new run clears the old problem


def test_encoder_decoder_answers_only_once_ready(qtbot, compare):
    assert compare.in_use() == "lm" and not compare.radios["seq2seq"].isEnabled()
    compare.set_in_use("seq2seq")  # not trained yet: the language model keeps answering
    assert compare.in_use() == "lm"
    compare.set_ready(True)
    assert compare.radios["seq2seq"].isEnabled()
    with qtbot.waitSignal(compare.use_changed, timeout=1000) as blocker:
        compare.radios["seq2seq"].click()  # what a user's click does
    assert blocker.args == ["seq2seq"] and compare.in_use() == "seq2seq"
    header = compare.table.horizontalHeaderItem(1).text()
    assert "Encoder-decoder" in header and "answers in chat" in header
    assert "answers in chat" not in compare.table.horizontalHeaderItem(0).text()
    with qtbot.waitSignal(compare.use_changed, timeout=1000) as blocker:
        compare.set_ready(False)  # e.g. a new dialog corpus: the old encoder-decoder is gone
    assert blocker.args == ["lm"] and compare.in_use() == "lm"
    assert "answers in chat" in compare.table.horizontalHeaderItem(0).text()
    with pytest.raises(ValueError):
        compare.set_in_use("transformer")


def test_replies_side_by_side_newest_first_at_most_twenty(compare):
    compare.show_replies("Knock, knock!", "Who's there?", None)
    compare.set_ready(True)
    compare.show_replies("Walter.", "Walter who?", "Walter who?")
    rows = table_text(compare.table)
    assert rows == [
        ["You: Walter.", ""],
        ["Walter who?", "Walter who?"],
        ["You: Knock, knock!", ""],
        ["Who's there?", NOT_TRAINED],
    ]
    assert compare.table.columnSpan(0, 0) == 2  # the turn spans both columns
    assert compare.rows()[0] == ("Walter.", "Walter who?", "Walter who?")
    for i in range(30):
        compare.show_replies(f"Name{i}.", f"Name{i} who?", "" if i % 2 else f"Name{i} who?")
    assert len(compare.rows()) == MAX_ROWS and compare.table.rowCount() == 2 * MAX_ROWS
    assert compare.rows()[0] == ("Name29.", "Name29 who?", "(says nothing)")
    assert compare.rows()[-1][0] == "Name10."
    compare.clear()
    assert compare.rows() == [] and compare.table.rowCount() == 0


def test_long_replies_wrap_instead_of_being_cut(compare):
    long = "Walter wall carpet is what I sell. Can I come in and measure? " * 2
    compare.set_ready(True)
    compare.show_replies("Walter who?", long, long)
    one_line = compare.table.fontMetrics().height()
    assert compare.table.rowHeight(1) > 2 * one_line
    assert not compare.grab().isNull()
