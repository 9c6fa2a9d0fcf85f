"""Your own data by drag and drop or paste (issue 14): a text, a dialog and a CSV file dropped on the
window (real QDropEvents) become the Data panel's data and the model trains on them; a model file
opens; pasted dialogs and text are recognised; a file that is none of ours is one line in the banner."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from test_ui_window import make_config
from window_helpers import answer_is

from playground.app import messages as m
from playground.core.data.recognise import looks_like_dialogs, recognise_file

DIALOGS = "\n\n".join(f"Knock, knock!\nWho's there?\n{n}.\n{n} who?\n{n} is here!" for n in ("Ada", "Bo", "Cy", "Di"))
PROSE = (
    "It was a bright cold day in April, and the clocks were striking thirteen. The hallway smelt of "
    "boiled cabbage and old rag mats.\n\nAt one end of it a coloured poster, too large for indoor "
    "display, had been tacked to the wall. It depicted simply an enormous face.\n"
) * 8
CSV = "date,open,close\n" + "".join(f"2024-02-{i + 1:02d},{99 + i},{100 + i * 0.7 + (i % 4)}\n" for i in range(28))


def _drop(w, path) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPoint(w.width() // 2, w.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, enter)
    drop = QDropEvent(pos.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, drop)
    return enter.isAccepted() and drop.isAccepted()


def _trains_on(qtbot, w, kind: str, source: str) -> None:
    qtbot.waitUntil(lambda: w.config.data.kind == kind and w.config.data.source == source, timeout=15_000)
    qtbot.waitUntil(lambda: bool(w.summary) and w.summary.get("steps", 1) == 0, timeout=20_000)
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3, timeout=20_000)


def test_dropped_text_dialogs_and_csv_become_the_data_and_train(qtbot, open_window, tmp_path):
    w = open_window(make_config("gru", "text"))
    for name, content, kind, words in (
        ("story.txt", PROSE, "text", "plain text"),
        ("jokes.txt", DIALOGS, "knock-knock", "dialogs (4 blocks"),
        ("prices.csv", CSV, "prices", "CSV"),
    ):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert _drop(w, path)
        _trains_on(qtbot, w, kind, "file")
        assert w.config.data.path == str(path) and w.data_panel.config().kind == kind
        assert words in w.data_drop.said and "Data panel" in w.data_drop.said
        assert w.banner.isVisible() and w.banner.text() == w.data_drop.said
    assert w.config.model.arch == "gru"


def test_a_dropped_model_opens_and_a_foreign_file_is_one_line(qtbot, open_window, tmp_path):
    w = open_window(make_config("gru", "knock-knock"))
    w.step(2)
    qtbot.waitUntil(lambda: w.session.steps == 2 and w.state.play == "paused", timeout=15_000)
    model = tmp_path / "kk.safetensors"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=10_000):
        w.save_to(str(model))
    w2 = open_window(make_config("rnn", "text"))
    assert _drop(w2, model)
    qtbot.waitUntil(lambda: w2.path == str(model), timeout=15_000)
    assert w2.config.data.kind == "knock-knock"
    blob = tmp_path / "photo.png"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    before = w2.config
    assert _drop(w2, blob)
    qtbot.waitUntil(lambda: w2.banner.isVisible(), timeout=5_000)
    assert "binary" in w2.banner.text() and "\n" not in w2.banner.text().strip()
    assert w2.config == before


def test_pasted_dialogs_and_text_are_recognised(qtbot, open_window):
    w = open_window(make_config("gru", "text"))
    QGuiApplication.clipboard().setText(DIALOGS)
    found = w.data_drop.paste()
    assert found is not None and found.config.kind == "knock-knock"
    _trains_on(qtbot, w, "knock-knock", "inline")
    assert w.config.data.text == DIALOGS
    QGuiApplication.clipboard().setText(PROSE)
    assert w.data_drop.paste().config.kind == "text"
    _trains_on(qtbot, w, "text", "inline")
    QGuiApplication.clipboard().setText("   ")
    assert w.data_drop.paste() is None
    qtbot.waitUntil(lambda: w.banner.isVisible() and "clipboard" in w.banner.text(), timeout=5_000)
    assert w.paste_data_action.shortcut().toString() == "Ctrl+Shift+V"


def test_recognising_looks_at_content_not_only_the_name(tmp_path):
    csv_as_txt = tmp_path / "numbers.txt"
    csv_as_txt.write_text(CSV, encoding="utf-8")
    assert recognise_file(csv_as_txt).config.kind == "prices"
    prose_with_blank_lines = PROSE.replace(". ", ".\n\n")  # short paragraphs, but sentences, not turns
    ok, why = looks_like_dialogs(prose_with_blank_lines)
    assert not ok and "look like turns" in why
    ok, why = looks_like_dialogs(DIALOGS)
    assert ok and "4 blocks" in why
