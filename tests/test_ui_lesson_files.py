"""A teacher's lesson file in the window: opened (File > Open Lesson, or dropped), listed after the built-in
cards, set up with its own settings, its question answered, trained, checked in its own words beside the
prediction, and its Try this pressed. A broken file is one line in the banner and changes nothing."""

from __future__ import annotations

from window_helpers import answer_is

from playground.app import messages as m
from playground.core.lessons import LESSONS
from tests.test_lesson_files import TEACHER, swap


def test_a_teachers_lesson_is_set_up_tried_and_checked(qtbot, open_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from playground.core.presets import default_session

    w = open_window(default_session())
    view = w.lessons_view
    path = tmp_path / "gru.toml"
    path.write_text(TEACHER.replace("steps = 200", "steps = 60"), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    assert "TOML" in w.open_lesson_action.toolTip()
    w.open_lesson_action.trigger()
    card = view.current()
    # numbered after the highest built-in card (19), listed after them all
    n = len(view.cards)
    assert (card.id, card.number, card.source) == ("gru-memory", 20, "gru.toml") and n == len(LESSONS) + 1
    assert view.list.item(n - 1).text().endswith("20. A GRU remembers a key") and view.title.text().startswith(
        "20."
    )
    assert view.question.text().startswith("After 200 steps") and view.choice_buttons[0].text() == "Yes"
    assert not view.seeds_button.isVisible()

    view.setup_button.click()
    qtbot.waitUntil(
        lambda: w.state.has_model and w.config.model.arch == "gru" and bool(w.summary), timeout=20_000
    )
    assert w.config.model.hidden == 32 and w.config.data.gap == 10 and w.config.data.kind == "memory"
    view.predict("yes")
    w.step(60)
    qtbot.waitUntil(lambda: w.session.steps >= 60 and w.state.play == "paused", timeout=60_000)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.LessonChecked), timeout=30_000) as got:
        view.check_button.click()
    found = got.args[0].check
    loss = found.numbers["train_loss"]
    said = f"The training loss is {loss:.4g}"
    assert said in view.result_text() and found.passed == (loss < 1.9)
    assert "You predicted “Yes”" in view.reveal_text()
    assert (
        "Measured" in view.reveal_text() or "measured" in view.reveal_text()
    ) and f"train_loss {loss:.4g}" in view.reveal_text()

    view.try_button.click()  # Try this: a vanilla RNN, a new model
    qtbot.waitUntil(lambda: w.config.model.arch == "rnn" and w.state.has_model, timeout=20_000)
    assert w.config.data.gap == 10  # the lesson's data stays


def test_a_broken_lesson_file_is_one_line_and_changes_nothing(qtbot, open_window, tmp_path):
    from playground.core.presets import default_session

    w = open_window(default_session())
    view = w.lessons_view
    before = (len(view.cards), view.current().id, w.config)
    bad = tmp_path / "bad.toml"
    bad.write_text(swap("below = 1.9", "below = -5"), encoding="utf-8")
    w.data_drop.take_file(str(bad))  # as a drop does
    shown = w.banner.label.text()
    assert "bad.toml line 26: [check] below" in shown and "\n" not in shown
    assert (len(view.cards), view.current().id, w.config) == before
    # a file that takes a built-in lesson's id is refused too
    clash = tmp_path / "clash.toml"
    clash.write_text(swap('id = "gru-memory"', 'id = "vanishing"'), encoding="utf-8")
    assert not w.lesson_actions.open_lesson_file(str(clash))
    assert len(view.cards) == len(LESSONS)
