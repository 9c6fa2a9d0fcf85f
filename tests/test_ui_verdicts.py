"""The window's verdicts in the cases the audit found wrong: a blow-up and its fixes, and the bundled
text models, which are healthy and must get no pathology banner."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from window_helpers import answer_is, arrived

from playground.app import messages as m
from playground.core import paths
from playground.core.presets import PRESETS, default_session

PATHOLOGIES = ("nan", "exploding", "vanishing", "overfitting")


def blow_up(qtbot, w) -> None:
    """Play the exploding lesson until the banner names the blow-up, then pause."""
    w.play()
    qtbot.waitUntil(
        lambda: w.diagnosis is not None and w.diagnosis.kind in ("nan", "exploding"), timeout=60_000
    )
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    qtbot.wait(200)


def weights_norm(w) -> float:
    model = w.worker_thread.worker.trainer.model
    return float(torch.sqrt(sum((p.detach().double() ** 2).sum() for p in model.parameters())))


def test_clipping_after_a_blow_up_first_goes_back_to_a_sane_state(qtbot, open_window):
    w = open_window(PRESETS["lesson-exploding"][1])
    start_norm = weights_norm(w)
    blow_up(qtbot, w)
    assert "clip" in w.banner.fix_buttons
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Undone), timeout=10_000) as got:
        w.banner.fix_buttons["clip"].click()
    back_to = got.args[0].step
    trainer = w.worker_thread.worker.trainer
    assert trainer.steps == back_to and w.session.steps == back_to
    # the clip setting travels as its own (live) command, after the roll-back: wait for it
    qtbot.waitUntil(lambda: trainer.session.train.clip == "norm", timeout=5_000)
    assert trainer.session.train.clip == "norm" and trainer.session.train.clip_value == 1.0
    assert trainer.weights_finite() and weights_norm(w) < 10 * start_norm  # not the blown-up weights
    assert w.diagnosis is None and "Applied: Clip" in w.banner.text()
    # Play again: clipped, it trains without NaN, and the red banner does not come back
    w.play()
    qtbot.waitUntil(lambda: w.session.steps >= back_to + 60, timeout=60_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    _, loss = w.session.loss.view()
    assert np.all(np.isfinite(loss[:, 0]))
    w.controller.diagnose(force=True)
    assert w.diagnosis is None or w.diagnosis.kind not in ("nan", "exploding"), w.diagnosis


def test_go_back_before_the_blow_up_lands_on_sane_weights(qtbot, open_window):
    w = open_window(PRESETS["lesson-exploding"][1])
    start_norm = weights_norm(w)
    blow_up(qtbot, w)
    assert "undo" in w.banner.fix_buttons
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Undone), timeout=10_000):
        w.banner.fix_buttons["undo"].click()
    trainer = w.worker_thread.worker.trainer
    assert trainer.weights_finite() and weights_norm(w) < 10 * start_norm
    losses = trainer.history.losses
    assert len(losses) == 0 or np.all(np.isfinite(losses))


def test_the_banner_clears_once_the_cause_is_gone(qtbot, open_window):
    w = open_window(PRESETS["lesson-clipping"][1])
    w.session.refused = 3  # as if three steps had gone NaN a while ago
    w.session.last_refusal = "step refused: the loss is NaN"
    w.controller.diagnose(force=True)
    assert w.diagnosis is not None and w.diagnosis.kind == "nan" and w.banner.shows_diagnosis()
    w.play()  # clipped: healthy steps follow
    qtbot.waitUntil(lambda: w.session.steps >= 130, timeout=60_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    w.controller.diagnose(force=True)
    assert w.diagnosis is None and not w.banner.shows_diagnosis()


@pytest.mark.parametrize("name", ["text-rnn", "text-lstm", "text-gru"])
def test_bundled_text_models_get_no_pathology_banner(qtbot, open_window, name):
    w = open_window(default_session())
    path = paths.models_dir() / f"{name}.safetensors"
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("opened"), timeout=30_000):
        w.open_path(str(path))
    # the probe and the reach context come after the model: let them arrive, then judge
    qtbot.waitUntil(lambda: w.session.probe is not None and w.controller.reach_init is not None, timeout=20_000)
    qtbot.wait(200)
    w.controller.diagnose(force=True)
    assert w.diagnosis is None or w.diagnosis.kind not in PATHOLOGIES, w.diagnosis.message
    assert not w.banner.shows_diagnosis()
    w.tabs.setCurrentIndex(w.training_tab)
    w.redraw_now()
    text = w.gradient_plot.verdict.text().lower()
    assert "reaches" in text and "vanish" not in text  # the measure, never a verdict, under the plot


def test_prediction_panel_clears_when_its_model_is_replaced(qtbot, open_window, tmp_path):
    w = open_window(PRESETS["text"][1])
    panel = w.prediction_panel
    panel.prompt_edit.setText("The ")
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=20_000):
        panel.complete_button.click()
    assert panel.output_view.toPlainText().startswith("The ")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.ModelArrived), timeout=30_000):
        w.open_path(str(paths.models_dir() / "text-gru.safetensors"))
    assert panel.output_view.toPlainText() == ""


def check_lesson(qtbot, w, lesson_id: str):
    """A lesson's check, as its card's Check button sends it; the LessonCheck it answered."""
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.LessonChecked), timeout=60_000) as got:
        w.lesson_actions.check(lesson_id)
    return got.args[0].check


def test_after_clip_at_norm_1_no_verdict_or_check_quotes_the_blow_up(qtbot, open_window):
    """Lesson 7's own Try this ("Clip at norm 1") after its blow-up: the verdict goes, and lesson 7's and
    lesson 10's checks read only the steps trained since, never the blow-up's numbers."""
    w = open_window(PRESETS["lesson-exploding"][1])
    w.lessons_view.select("exploding")
    blow_up(qtbot, w)
    before = check_lesson(qtbot, w, "exploding")
    assert before.passed and (before.numbers or "refused" in before.text), before.text
    assert before.text in w.lessons_view.result_text()
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Undone), timeout=10_000) as got:
        w.lesson_actions.try_action("exploding", "fix:clip")
    assert before.text not in w.lessons_view.result_text()  # at once: the card's result was about the blow-up
    back_to = got.args[0].step
    trainer = w.worker_thread.worker.trainer
    qtbot.waitUntil(lambda: trainer.session.train.clip == "norm" and w.controller._barrier == 0, timeout=10_000)
    assert w.diagnosis is None
    # the card on show was checked again, on the steps trained since the fix (none yet)
    qtbot.waitUntil(lambda: "Press Play and let it train a little first." in w.lessons_view.result_text(), timeout=10_000)
    after = check_lesson(qtbot, w, "exploding")  # nothing trained since the fix: nothing to quote
    assert after.text == "Press Play and let it train a little first.", after.text
    w.step(30)
    qtbot.waitUntil(lambda: w.session.steps >= back_to + 30 and w.state.play == "paused", timeout=60_000)
    clipped = check_lesson(qtbot, w, "clipping")
    assert clipped.numbers["max_after"] <= 1.0 + 1e-6, clipped.text  # what the plot shows: the limit
    assert "and at most 1 after" in clipped.text
    again = check_lesson(qtbot, w, "exploding")
    if before.numbers:  # the peak and the median it quotes are the new steps', not the blow-up's
        assert again.numbers["peak"] != before.numbers["peak"], again.text
    assert "refused" not in again.text
    w.controller.diagnose(force=True)
    assert w.diagnosis is None or w.diagnosis.kind not in ("nan", "exploding"), w.diagnosis.message


def test_a_change_of_settings_takes_the_old_verdict_down(qtbot, open_window):
    """The learner turns clipping on by hand after a blow-up: the verdict about the unclipped steps
    goes at once, and judged again on the settings in force it does not come back."""
    w = open_window(PRESETS["lesson-exploding"][1])
    blow_up(qtbot, w)
    assert w.banner.shows_diagnosis()
    w.controls.clip.setCurrentIndex(w.controls.clip.findData("norm"))
    assert w.config.train.clip == "norm"
    assert w.diagnosis is None and not w.banner.shows_diagnosis()
    qtbot.waitUntil(lambda: w.controller._barrier == 0, timeout=10_000)  # the worker has the new setting
    w.controller.diagnose(force=True)
    assert w.diagnosis is None, w.diagnosis.message
