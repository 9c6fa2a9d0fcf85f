"""Predict, then reveal: every card asks a question before Check, and the check's numbers on the live
model say which answer they support (playground.core.lessons.predictions, ui/lessons_view.py)."""

from __future__ import annotations

import dataclasses

import pytest
from window_helpers import answer_is, arrived

from playground.app import messages as m
from playground.core.config import SessionConfig
from playground.core.lessons import LESSONS, LessonCheck
from playground.core.lessons.predictions import PREDICTIONS, Measured, reveal
from playground.core.presets import PRESETS


def model(preset: str, **changes) -> SessionConfig:
    """A lesson's set-up, its model changed as the card's Try this changes it."""
    session = PRESETS[preset][1]
    return dataclasses.replace(session, model=dataclasses.replace(session.model, **changes))


LSTM = PRESETS["lesson-memory"][1]  # lessons 2 and 11 set up an LSTM
RNN = model("lesson-memory", arch="rnn", activation="tanh")  # lesson 2's Try this
VANISHING = PRESETS["lesson-vanishing"][1]
BIRNN = PRESETS["lesson-bidirectional"][1]
SPELL_RNN, SPELL_MLP = PRESETS["lesson-shapes"][1], model("lesson-shapes", arch="mlp")
EXPLODING, CLIPPING = PRESETS["lesson-exploding"][1], PRESETS["lesson-clipping"][1]
TRAINED = 2000  # the memory lessons' own steps (cards.py): past half of every card's


def measured(
    lesson_id: str,
    passed: bool,
    numbers: dict[str, float],
    session: SessionConfig | None = None,
    steps: int | None = TRAINED,
) -> Measured:
    found = LessonCheck(lesson_id, passed, "(the check's words)", numbers)
    return PREDICTIONS[lesson_id].measure(found, session, steps)


# -- the questions, as data ---------------------------------------------------------------------------------


def test_every_lesson_has_a_question_with_two_to_four_distinct_choices():
    assert set(PREDICTIONS) == {card.id for card in LESSONS}
    for card in LESSONS:
        pred = PREDICTIONS[card.id]
        assert pred.lesson == card.id
        assert pred.question.endswith("?") and len(pred.question) < 200, card.id
        assert 2 <= len(pred.choices) <= 4, card.id
        keys, labels = [c.key for c in pred.choices], [c.label for c in pred.choices]
        assert len(set(keys)) == len(keys) and len(set(labels)) == len(labels), card.id
        assert all(c.tip and len(c.label) <= 30 for c in pred.choices), card.id  # short beside a radio button
        assert pred.claim and set(pred.claim) <= set(keys), card.id


def test_a_check_that_measured_nothing_answers_no_question():
    for lesson_id, pred in PREDICTIONS.items():
        said = pred.measure(LessonCheck(lesson_id, False, "this check needs the memory data: press Set it up", {}))
        assert said.choice is None and "measured nothing" in said.detail, lesson_id


# -- what the numbers say: a passed and a failed check, lesson by lesson --------------------------------------


def test_long_context_on_the_vanilla_rnn():
    # seeds 1-4: at chance (the check passes: that is the claim); seed 0 found the key
    at_chance = measured("long-context", True, {"accuracy": 0.15, "chance": 0.148, "gap": 20}, RNN)
    assert at_chance == Measured("no", "15% right, chance 14.8%")
    assert measured("long-context", True, {"accuracy": 1.0, "chance": 0.148, "gap": 20}, RNN).choice == "yes"
    partway = measured("long-context", False, {"accuracy": 0.45, "chance": 0.148, "gap": 20}, RNN)
    assert partway.choice == "partly"
    # the set-up's LSTM passes its check, but the question is about a vanilla RNN: no answer yet
    lstm = measured("long-context", True, {"accuracy": 1.0, "chance": 0.148, "gap": 20}, LSTM)
    assert lstm.choice is None and "LSTM" in lstm.detail and "Try this" in lstm.detail
    wide = model("lesson-memory", arch="rnn", activation="tanh", hidden=128)  # the card's second button
    capacity = measured("long-context", False, {"accuracy": 0.73, "chance": 0.148, "gap": 20}, wide)
    assert capacity.choice is None and "128 units" in capacity.detail
    far = measured("long-context", False, {"accuracy": 0.9, "chance": 0.148, "gap": 40}, RNN)
    assert far.choice is None and "40" in far.detail
    # at chance after 12 steps proves nothing: the check says "Train first", and so does the reveal
    early = measured("long-context", False, {"accuracy": 0.15, "chance": 0.148, "gap": 20}, RNN, steps=12)
    assert early.choice is None and "too few" in early.detail
    unknown = measured("long-context", False, {"accuracy": 0.15, "chance": 0.148, "gap": 20}, RNN, steps=None)
    assert unknown.choice is None and "too few steps" in unknown.detail


def test_vanishing():
    stuck = measured("vanishing", True, {"share_at_needed": 8e-8, "accuracy": 0.15, "chance": 0.148}, VANISHING)
    assert stuck.choice == "none" and "8.0e-08" in stuck.detail
    # the one seed in five where the RNN found the key: the check does not pass, some gradient got there
    found = measured("vanishing", False, {"share_at_needed": 4e-3, "accuracy": 0.97, "chance": 0.148}, VANISHING)
    assert found.choice == "some"
    assert measured("vanishing", False, {"share_at_needed": float("nan")}, VANISHING).choice is None  # g[-1] was 0
    # the card's Try this: the LSTM passes its own check, and the question is about the vanilla RNN
    lstm = measured("vanishing", True, {"share_at_needed": 0.02, "accuracy": 1.0, "chance": 0.148}, LSTM)
    assert lstm.choice is None and "the LSTM" in lstm.detail


def test_exploding():
    blew = measured("exploding", True, {"peak": 3.9e4, "median": 9.6}, EXPLODING)  # 4,000× its median
    assert blew.choice == "spike" and "4062×" in blew.detail
    calm = measured("exploding", False, {"peak": 3.1, "median": 0.9}, EXPLODING)
    assert calm.choice == "steady"
    assert measured("exploding", False, {"peak": 40.0, "median": 1.2}, EXPLODING).choice == "bumps"
    assert measured("exploding", False, {"peak": 3.1, "median": 0.9}, EXPLODING, steps=20).choice is None
    nan_only = measured("exploding", True, {"peak": float("nan"), "median": float("nan")}, EXPLODING)
    assert nan_only.choice == "spike" and "NaN" in nan_only.detail  # every step refused: still exploding
    # the card's Try this clips: its check passes when the clipped spikes do no harm, another question
    clipped = measured("exploding", True, {"peak": 134.0, "median": 0.9}, CLIPPING)
    assert clipped.choice is None and "clips" in clipped.detail


def test_bidirectional():
    assert measured("bidirectional", True, {"accuracy": 1.0, "gap": 40}, BIRNN, steps=600).choice == "yes"
    stuck = measured("bidirectional", False, {"accuracy": 0.13, "gap": 40}, BIRNN, steps=600)
    assert stuck == Measured("no", "13% right at d = 40")
    early = measured("bidirectional", False, {"accuracy": 0.13, "gap": 40}, BIRNN, steps=12)  # a few steps in
    assert early.choice is None and "train on" in early.detail
    assert measured("bidirectional", False, {"accuracy": 0.6, "gap": 40}, BIRNN).choice == "partly"
    one_way = model("lesson-bidirectional", bidirectional=False)  # the card's Try this
    said = measured("bidirectional", True, {"accuracy": 0.13, "gap": 40}, one_way)
    assert said.choice is None and "the vanilla RNN, and the question" in said.detail


def test_shapes():
    assert measured("shapes", True, {"accuracy": 1.0, "chance": 1 / 16}, SPELL_RNN, steps=600).choice == "all"
    halfway = measured("shapes", False, {"accuracy": 7 / 16, "chance": 1 / 16}, SPELL_RNN, steps=600)
    assert halfway == Measured("some", "44% of the words written right")
    assert measured("shapes", False, {"accuracy": 1 / 16, "chance": 1 / 16}, SPELL_RNN, steps=600).choice == "few"
    assert measured("shapes", False, {"accuracy": 1 / 16, "chance": 1 / 16}, SPELL_RNN, steps=50).choice is None
    window = measured("shapes", True, {"accuracy": 5 / 16, "chance": 1 / 16}, SPELL_MLP)  # the card's Try this
    assert window.choice is None and "feed-forward" in window.detail


def test_the_other_lessons_map_their_numbers_too():
    order = PRESETS["lesson-order"][1]
    assert measured("order", True, {"accuracy": 1.0, "chance": 0.5}, order).choice == "apart"
    assert measured("order", False, {"accuracy": 0.52, "chance": 0.5}, order).choice == "coin"
    assert measured("order", True, {"accuracy": 0.5, "chance": 0.5}, model("lesson-order", arch="mlp")).choice is None
    assert measured("recurrent-vs-feedforward", True, {"prediction": 15.06, "average": 12.0}).choice == "up"
    assert measured("recurrent-vs-feedforward", False, {"prediction": 12.2, "average": 12.0}).choice == "average"
    assert measured("recurrent-vs-feedforward", False, {"prediction": 13.1, "average": 12.0}).choice is None
    assert measured("unrolled", True, {"steps": 24, "max_difference": 3e-7}).choice == "shared"
    assert measured("unrolled", False, {"steps": 24, "max_difference": 0.2}).choice is None
    assert measured("bptt", True, {"reach": 5, "length": 24, "first": 2e-9}).choice == "less"
    assert measured("bptt", True, {"reach": 23, "length": 24, "first": 0.8}).choice == "whole"
    eight = {"reach tanh+default": 10, "reach relu+default": 8, "reach tanh+identity": 21, "reach relu+identity": 21}
    assert measured("activations", True, eight).choice == "same"
    assert measured("activations", False, {**eight, "reach relu+default": 16}).choice == "further"
    assert measured("identity-init", True, {"identity": 63, "default": 7}).choice == "further"
    assert measured("identity-init", False, {"identity": 7, "default": 7}).choice == "same"
    assert measured("clipping", True, {"max_before": 134.0, "max_after": 1.0}, CLIPPING).choice == "calm"
    assert measured("clipping", False, {"max_before": 9e3, "max_after": 1.0}, CLIPPING).choice == "blows"
    unclipped = dataclasses.replace(CLIPPING, train=dataclasses.replace(CLIPPING.train, clip="off"))
    assert measured("clipping", True, {"max_before": 4e4, "median": 9.6}, unclipped).choice is None  # Try this
    keeps = {"holding": 3.0, "best_keep": 0.93, "accuracy": 1.0, "chance": 0.148}
    assert measured("gates", True, keeps, LSTM).choice == "most"
    assert measured("gates", False, {**keeps, "holding": 0.0, "best_keep": 0.004, "accuracy": 0.15}, LSTM).choice == "none"
    assert measured("gates", False, {**keeps, "holding": 0.0, "best_keep": 0.2, "accuracy": 0.5}, LSTM).choice == "little"
    good = {"mae": 0.74, "baseline_mae": 1.15}  # after the card's 400 steps
    assert measured("uses", True, {"hits": 5, "extra": 1, **good}).choice == "spikes"
    assert measured("uses", False, {"hits": 2, "extra": 9, **good}).choice == "muddled"
    assert measured("uses", False, {"hits": 0, "extra": 0, **good}).choice == "nothing"
    fresh = measured("uses", False, {"hits": 4, "extra": 0, "mae": 1.17, "baseline_mae": 1.15})
    assert fresh.choice is None and "not good yet" in fresh.detail  # a fresh model's errors follow the series
    jokes = measured("uses", True, {"answered": 1.0})  # the card's knock-knock set-up
    assert jokes.choice is None and "another of the card's uses" in jokes.detail


def test_reveal_in_one_line():
    pred = PREDICTIONS["long-context"]
    at_chance = Measured("no", "15% right, chance 14.8%")
    assert reveal(pred, "no", at_chance) == (
        "You predicted “No, it stays at chance”. Measured: “No, it stays at chance” (15% right, chance 14.8%). "
        "They match: well predicted."
    )
    other = reveal(pred, "yes", at_chance)
    assert "You predicted “Yes, like the LSTM”" in other and "Not what you expected" in other
    changed = reveal(pred, "yes", at_chance, now="no")
    assert "“Yes, like the LSTM” before the check (now: “No, it stays at chance”)" in changed
    unasked = reveal(pred, None, at_chance)
    assert unasked.startswith("Measured: “No, it stays at chance”") and "Next time, pick a prediction" in unasked
    open_ = reveal(pred, "yes", Measured(None, "the check measured nothing this time (its message is above)"))
    assert "No answer to your question yet: the check measured nothing" in open_
    assert "\n" not in changed + unasked + open_


# -- in the window ----------------------------------------------------------------------------------------


def test_the_card_keeps_a_prediction_and_reveals_it_beside_the_check(qtbot, tmp_path):
    """The view alone: a prediction, a check, a changed prediction, a check without one."""
    from PySide6.QtCore import QSettings

    from playground.ui.lessons_view import LessonsView

    path = str(tmp_path / "settings.ini")
    view = LessonsView(QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(view)
    view.select("long-context")
    assert view.question.text() == PREDICTIONS["long-context"].question
    shown = [b for b in view.choice_buttons if not b.isHidden()]
    assert [b.text() for b in shown] == ["Yes, like the LSTM", "No, it stays at chance", "Partly"]
    assert not any(b.isChecked() for b in shown) and all(b.toolTip() for b in shown)
    view.predict("yes")
    with qtbot.waitSignal(view.check_requested):
        view.check_button.click()
    at_chance = LessonCheck("long-context", True, "The vanilla RNN answers 15% at d = 20 …", {"accuracy": 0.15, "chance": 0.148, "gap": 20})
    view.show_check(at_chance, RNN)
    assert view.reveal_text() == (
        "You predicted “Yes, like the LSTM”. Measured: “No, it stays at chance” (15% right, chance 14.8%). "
        "Not what you expected: that difference is worth a look."
    )
    view.predict("no")  # changed after the check: the one before it stays on show
    assert view.predicted("long-context") == "no" and view.predicted_before_check("long-context") == "yes"
    assert "“Yes, like the LSTM” before the check (now: “No, it stays at chance”)" in view.reveal_text()
    assert view.before_note.text() == "Before your check you predicted “Yes, like the LSTM”."

    view.select("vanishing")  # no prediction: Check still works, and invites one
    view.check_button.click()
    view.show_check(LessonCheck("vanishing", True, "…", {"share_at_needed": 8e-8, "accuracy": 0.15, "chance": 0.148}), RNN)
    assert view.reveal_text().startswith("Measured: “Almost nothing” (8.0e-08")
    assert "Next time, pick a prediction before you press Check." in view.reveal_text()
    view.predict("none")  # chosen after seeing it: not a prediction that came before
    assert "You predicted" not in view.reveal_text() and view.predicted_before_check("vanishing") is None

    view.settings.sync()
    again = LessonsView(QSettings(path, QSettings.Format.IniFormat))  # a restart
    qtbot.addWidget(again)
    again.select("long-context")
    checked = [b.text() for b in again.choice_buttons if b.isChecked()]
    assert checked == ["No, it stays at chance"] and again.predicted_before_check("long-context") == "yes"
    assert again.before_note.text() == "Before your check you predicted “Yes, like the LSTM”."
    assert again.reveal_text() == ""  # no check of this model yet


def test_predict_set_up_and_check_lesson_4_in_the_window(qtbot, open_window):
    """As a learner would: pick an answer on lesson 4, Set it up, train a little, Check; the card says
    what was predicted and what was measured, and the answer is still there after a restart."""
    from PySide6.QtCore import QSettings

    from playground.core.presets import default_session
    from playground.ui.lessons_view import LessonsView

    w = open_window(default_session())
    w.show_lessons("unrolled")
    view = w.lessons_view
    one_per_step = next(b for b in view.choice_buttons if b.text() == "One per character")
    one_per_step.click()
    assert view.predicted("unrolled") == "each"
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        assert w.setup_lesson("unrolled")
    w.step(5)
    qtbot.waitUntil(lambda: w.session.steps >= 5 and w.state.play == "paused", timeout=30_000)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.LessonChecked), timeout=60_000) as got:
        view.check_button.click()
    found = got.args[0].check
    assert found.passed, found.text
    assert "Seen." in view.result_text()
    shown = view.reveal_text()
    assert shown.startswith("You predicted “One per character”. Measured: “One, used by every box” (all ")
    assert "h_t rebuilt from one W_hh" in shown and "Not what you expected" in shown
    assert view.reveal.isVisible()

    w.settings.sync()
    reopened = LessonsView(QSettings(w.settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(reopened)
    reopened.select("unrolled")
    assert [b.text() for b in reopened.choice_buttons if b.isChecked()] == ["One per character"]
    assert reopened.predicted_before_check("unrolled") == "each"


@pytest.mark.parametrize("lesson_id", ["order", "long-context", "shapes"])
def test_the_choices_can_be_reached_from_the_keyboard(qtbot, tmp_path, lesson_id):
    from PySide6.QtCore import QSettings, Qt

    from playground.ui.lessons_view import LessonsView

    view = LessonsView(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=5_000)  # (keys go to the active window's focus)
    view.select(lesson_id)
    last = ([view.try_button] + [b for b in view.more_buttons if b.isVisible()])[-1]
    last.setFocus()
    qtbot.keyClick(last, Qt.Key.Key_Tab)  # Tab leads from Try this (and its more buttons) to the choices
    first = view.choice_buttons[0]
    assert first.hasFocus()
    qtbot.keyClick(first, Qt.Key.Key_Space)
    assert view.predicted(lesson_id) == PREDICTIONS[lesson_id].choices[0].key
    qtbot.keyClick(first, Qt.Key.Key_Down)  # arrows move along the group
    assert view.predicted(lesson_id) == PREDICTIONS[lesson_id].choices[1].key


# -- real checks on real (fresh) models ----------------------------------------------------------------------


def _check(lesson_id: str, preset: str, steps: int = 0, **changes) -> tuple[LessonCheck, Measured]:
    """Run a lesson's own check on a model of ``preset`` trained ``steps``; what its numbers answer."""
    from playground.core import lessons
    from playground.core.lessons import LessonContext
    from playground.core.lessons.claims import lesson_session
    from playground.core.train.trainer import Trainer

    session = lesson_session(preset, 0, **changes)
    tr = Trainer(session)
    for _ in range(steps):
        tr.step()
    found = lessons.check(lesson_id, LessonContext(tr))
    return found, PREDICTIONS[lesson_id].measure(found, session, int(tr.steps))


@pytest.mark.parametrize(
    "lesson_id, preset",
    [("unrolled", "lesson-unrolled"), ("bptt", "lesson-unrolled"), ("activations", "lesson-vanishing"),
     ("identity-init", "lesson-identity"), ("vanishing", "lesson-vanishing")],
)
def test_the_claim_shows_on_a_fresh_model_where_it_needs_no_training(lesson_id, preset):
    found, said = _check(lesson_id, preset)
    assert said.choice in PREDICTIONS[lesson_id].claim, (found.text, said)


@pytest.mark.parametrize("lesson_id", ["long-context", "gates"])
def test_a_fresh_model_at_chance_answers_no_question_about_learning(lesson_id):
    """Lesson 2 on its vanilla RNN, lesson 11 on its LSTM, two steps in: too early to tell."""
    changes = {"arch": "rnn", "activation": "tanh"} if lesson_id == "long-context" else {}
    found, said = _check(lesson_id, "lesson-memory", steps=2, **changes)
    assert said.choice is None and "too few" in said.detail, (found.text, said)


def test_lessons_15_and_16_map_their_numbers():
    """Lesson 15: a unit that correlates is "needed" or "not alone" as the check measured; one that does not
    correlate yet answers nothing. Lesson 16: the share of capitals carried in picks the style, and a plain
    sentence that is not yet plain answers nothing. Both wait for half the card's 8,000 steps."""
    quotes = PRESETS["quotes"][1]
    spread = {"r": 0.88, "inside": 0.082, "outside": 0.084, "random_max": 0.39, "needed": 0.0}
    assert measured("ablation", True, spread, quotes, 8000).choice == "alone"
    assert measured("ablation", False, {**spread, "inside": 0.6, "needed": 1.0}, quotes, 8000).choice == "needed"
    assert measured("ablation", False, {**spread, "r": 0.7}, quotes, 8000).choice is None
    assert "too few" in measured("ablation", True, spread, quotes, 100).detail
    assert measured("transplant", True, {"patched": 1.0, "unpatched": 0.0}, quotes, 8000).choice == "quoted"
    assert measured("transplant", False, {"patched": 0.05, "unpatched": 0.0}, quotes, 8000).choice == "plain"
    assert measured("transplant", False, {"patched": 0.5, "unpatched": 0.1}, quotes, 8000).choice == "mixed"
    assert measured("transplant", False, {"patched": 1.0, "unpatched": 0.6}, quotes, 8000).choice is None
    assert measured("transplant", False, {"patched": 0.05, "unpatched": 0.0}, quotes, 100).choice is None
