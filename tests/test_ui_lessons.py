"""The lessons in the real window (offscreen): each card sets its lesson up, opens and outlines its
view, and its check reads the live model and answers in numbers.

The fast tests train a few steps; whether each lesson's *claim* holds after real training, over 5
seeds, is tested in tests/test_lesson_claims.py and, through this window, by the `lessons`-marked
tests here (pytest -m lessons)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from window_helpers import arrived

from playground.app import messages as m
from playground.core import lessons
from playground.core.lessons import LESSONS, lesson, setup_of
from playground.core.presets import PRESETS

IDS = [x.id for x in LESSONS]


def test_every_card_names_a_preset_a_view_and_an_action():
    assert [x.number for x in LESSONS] == list(range(1, 20))
    for card in LESSONS:
        assert card.preset in PRESETS, card.id
        assert 80 <= len(card.text) <= 600, card.id  # two to four sentences
        assert card.watch and card.try_label and card.try_action, card.id


def test_lessons_command_lists_them_as_json():
    out = subprocess.run(
        [sys.executable, "-m", "playground", "lessons", "--json"], capture_output=True, text=True, check=True
    )
    import json

    rows = json.loads(out.stdout)["lessons"]
    assert [(r["id"], r["title"]) for r in rows] == [(x.id, x.title) for x in LESSONS]


def check_in_window(qtbot, w, lesson_id: str) -> m.LessonChecked:
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.LessonChecked), timeout=60_000) as got:
        w.lessons_view.check_button.click()
    return got.args[0]


@pytest.mark.parametrize("lesson_id", IDS)
def test_set_up_each_lesson_and_check_it(qtbot, open_window, lesson_id):
    from playground.core.presets import default_session

    w = open_window(default_session())
    card = lesson(lesson_id)
    w.show_lessons(lesson_id)
    assert w.lessons_view.current().id == lesson_id
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        assert w.setup_lesson(lesson_id)
    assert w.config == setup_of(card)  # the lesson's own data, model and settings (its preset, its [setup.*])
    assert w.model_panel.config() == w.config.model and w.data_panel.config() == w.config.data
    outline = w.lesson_actions.outline
    assert outline is not None and outline.isVisible()  # the part of the view it shows, outlined
    assert outline.target is w.lesson_actions.target(card.outline)
    assert f"Lesson {card.number}" in w.banner.text()
    if card.steps:
        n = min(card.steps, 12)
        w.step(n)
        # refused (NaN) steps count as tries but not as steps: the exploding lessons may refuse some
        qtbot.waitUntil(
            lambda: (w.session.steps + w.session.refused) >= n and w.state.play == "paused", timeout=30_000
        )
    answer = check_in_window(qtbot, w, lesson_id)
    found = answer.check
    assert found.lesson == lesson_id and found.text
    assert answer.generation == w.state.generation
    shown = w.lessons_view.result_text()
    assert ("Seen." if found.passed else "Not yet.") in shown
    assert any(ch.isdigit() for ch in found.text), found.text  # it says what it measured, in numbers


def test_setting_up_a_lesson_over_unsaved_training_asks_first(qtbot, open_window, monkeypatch):
    from playground.core.presets import default_session

    w = open_window(default_session())
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=20_000)
    w.ask_before_discard = True
    asked = []
    monkeypatch.setattr(
        type(w), "may_discard", lambda self, question: asked.append(question) or False, raising=True
    )
    assert not w.setup_lesson("order")
    w.ask_before_discard = False  # closing at the end asks nothing
    assert asked and "lesson 1" in asked[0].lower()
    assert w.config == default_session() and w.session.steps == 3  # nothing changed


def test_a_passed_check_is_remembered(qtbot, open_window):
    """Lesson 13 from the text preset: set up, train the card's steps, check: the vanilla RNN writes
    the words from their first letter, and the card is ticked."""
    w = open_window(PRESETS["text"][1])
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        w.setup_lesson("shapes")
    assert w.config.data.kind == "spell" and w.shapes_view.highlighted() == "one-to-many"
    steps = lessons.lesson("shapes").steps
    w.step(steps)
    qtbot.waitUntil(lambda: w.session.steps >= steps and w.state.play == "paused", timeout=60_000)
    answer = check_in_window(qtbot, w, "shapes")
    assert answer.check.passed, answer.check.text
    assert "writes 16 of 16 words" in answer.check.text
    assert "shapes" in w.lessons_view.done()
    assert w.lessons_view.list.item(12).text().startswith("✓")


def test_help_lessons_brings_the_dock_forward(qtbot, open_window):
    from playground.core.presets import default_session

    w = open_window(default_session())
    w.prediction_dock.raise_()
    w.lessons_action.trigger()
    qtbot.waitUntil(lambda: not w.lessons_dock.visibleRegion().isEmpty(), timeout=5_000)


@pytest.mark.lessons
@pytest.mark.parametrize("lesson_id", IDS)
def test_each_lesson_shows_what_it_claims_in_the_window(qtbot, open_window, lesson_id):
    """Set up as a learner would, train the card's steps with Step x N, press Check: it has seen it.

    The set-up's own seed; the spread over 5 seeds is tests/test_lesson_claims.py's."""
    from playground.core.presets import default_session

    w = open_window(default_session())
    card = lesson(lesson_id)
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        assert w.setup_lesson(lesson_id)
    if card.steps:
        w.step(card.steps)
        qtbot.waitUntil(
            lambda: (w.session.steps + w.session.refused) >= card.steps and w.state.play == "paused",
            timeout=300_000,
        )
    found = check_in_window(qtbot, w, lesson_id).check
    assert found.passed, found.text
    # Then the card's own "Try this", and the card's steps again where it made a new model or changed a
    # setting: the check ends in a pass or says in a sentence why this run differs, never a bare "Not yet".
    verb = card.try_action.partition(":")[0]
    steps_before = w.session.steps
    w.lessons_view.select(lesson_id)
    if verb in ("arch", "init", "activation", "bidirectional", "restart"):
        with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
            w.lessons_view.try_button.click()
    elif verb == "compare":  # the comparison runs to its end; the main model waits, unchanged
        done = lambda a: isinstance(a, m.Compared) and not a.running  # noqa: E731
        with qtbot.waitSignal(w.answered, check_params_cb=done, timeout=300_000):
            w.lessons_view.try_button.click()
    elif verb == "fix":  # a fix rolls back before a blow-up; the card on show is checked again after it
        with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.LessonChecked), timeout=30_000):
            w.lessons_view.try_button.click()
    elif verb == "forecast":
        with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=30_000):
            w.lessons_view.try_button.click()
    else:
        w.lessons_view.try_button.click()
    if verb == "step":
        qtbot.waitUntil(lambda: w.session.steps == steps_before + 1 and w.state.play == "paused", timeout=30_000)
    elif verb not in ("compare", "forecast", "ablate", "transplant") and card.steps:  # (those change no model)
        start = w.session.steps + w.session.refused
        w.step(card.steps)
        qtbot.waitUntil(
            lambda: (w.session.steps + w.session.refused) >= start + card.steps and w.state.play == "paused",
            timeout=300_000,
        )
    tried = check_in_window(qtbot, w, lesson_id).check
    assert tried.passed or tried.differs, (card.try_action, tried.text)
    shown = w.lessons_view.result_text()
    assert "Not yet." not in shown and ("Seen." in shown or "Why it differs:" in shown), shown


def test_a_cards_more_buttons_set_up_its_other_uses_and_settings(qtbot, open_window):
    """Lesson 14's other uses are a button each: autocomplete loads the text preset, and Check then
    measures autocomplete; lesson 2's second button makes the vanilla RNN with 128 units."""
    from playground.core.presets import default_session
    from playground.ui.lessons_view import MAX_MORE

    assert max(len(card.more) for card in LESSONS) <= MAX_MORE
    w = open_window(default_session())
    view = w.lessons_view
    view.select("uses")
    shown = [b for b in view.more_buttons if not b.isHidden()]
    assert [b.text() for b in shown] == [label for label, _ in lesson("uses").more]
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        shown[0].click()  # Set up autocomplete (text)
    assert w.config == PRESETS["text"][1] and w.lesson_actions.current == "uses"
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=30_000)
    found = check_in_window(qtbot, w, "uses").check
    assert found.text.startswith("Autocomplete") and "nats per character" in found.text, found.text
    view.select("long-context")
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        assert w.setup_lesson("long-context")
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        next(b for b in view.more_buttons if not b.isHidden()).click()
    assert (w.config.model.arch, w.config.model.hidden) == ("rnn", 128)
    assert [b.isHidden() for b in view.more_buttons] == [False, True, True]


@pytest.mark.lessons
def test_lesson_3s_sweep_shows_where_the_window_runs_out(qtbot, open_window):
    """Lesson 3's second button in the real window: it sets up the memory task with a GRU and runs the
    Compare tab's gap sweep, GRU against the feed-forward network with a window of 16 inputs; the
    sweep's points show the feed-forward network right while the key is inside its window and at
    chance once it is not, the GRU right at every gap. Then Check on the set-up model, trained."""
    from playground.core.presets import default_session

    w = open_window(default_session())
    view = w.lessons_view
    view.select("recurrent-vs-feedforward")
    button = next(b for b in view.more_buttons if not b.isHidden())
    done = lambda a: isinstance(a, m.Compared) and not a.running and a.sweep  # noqa: E731
    with qtbot.waitSignal(w.answered, check_params_cb=done, timeout=300_000) as got:
        button.click()
    assert w.config == PRESETS["lesson-window"][1] and w.tabs.currentIndex() == w.compare_tab
    sweep = {arch: {gap: float(sum(a) / len(a)) for gap, a in rows} for arch, rows in got.args[0].sweep.items()}
    assert set(sweep) == {"gru", "mlp"} and sorted(sweep["mlp"]) == [4, 8, 12, 16, 20], sweep
    assert all(sweep["gru"][g] >= 0.9 for g in sweep["gru"]), sweep
    assert all(sweep["mlp"][g] >= 0.9 for g in (4, 8, 12)) and all(sweep["mlp"][g] <= 0.225 for g in (16, 20)), sweep
    card = lesson("recurrent-vs-feedforward")
    w.step(2000)
    qtbot.waitUntil(lambda: w.session.steps >= 2000 and w.state.play == "paused", timeout=300_000)
    found = check_in_window(qtbot, w, card.id).check
    assert found.passed and "past any fixed window" in found.text, found.text
