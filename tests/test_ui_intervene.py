"""Ablation in the Neurons tab and the transplant in the time scrubber, through the real window (the
engine does the work in its process; core/inspect/intervene.py is tested in tests/test_intervene.py)."""

from __future__ import annotations

import dataclasses
import html
import pickle
import re

from playground.app import messages as m
from tests.test_ui_neurons import rank, trained


def inspect_text(qtbot, w, text: str) -> None:
    s = w.scrubber
    qtbot.waitUntil(s.inspect_button.isEnabled, timeout=15_000)  # (showing the tab inspects the probe text)
    s.text_edit.setText(text)
    s.inspect_button.click()
    qtbot.waitUntil(lambda: s.answer is not None and s.answer["text"] == text, timeout=15_000)
    s.slider.setValue(s.slider.maximum())


def test_ablate_fills_the_column_and_marks_what_beats_random(qtbot, open_window):
    w = trained(qtbot, open_window, steps=40)
    view = w.neurons_view
    assert not view.ablate_button.isEnabled()  # nothing ranked yet
    ranked = rank(qtbot, w)
    assert view.ablate_button.isEnabled() and view.table.horizontalHeaderItem(5).toolTip()
    with qtbot.waitSignal(
        w.answered, check_params_cb=lambda a: isinstance(a, m.AblatedUnits), timeout=30_000
    ) as got:
        view.ablate_button.click()
    a = got.args[0]
    assert not a.error and len(a.costs) == len(ranked.units) == 10 and len(a.random) == 10
    assert a.request.units == tuple(u[:3] for u in ranked.units) and a.request.mode == "zero"
    worst = max(r[0] for r in a.random)
    for row, (inside, outside) in enumerate(a.costs):
        cell = view.table.item(row, 5).text()
        numbers = [float(x) for x in re.findall(r"[+-]\d+\.\d+", cell)]
        assert numbers == [round(inside, 3), round(outside, 3)]
        assert cell.endswith("✓") == (inside > worst and inside > outside)
    status = view.status.text()
    assert "random units of layer" in status and f"{a.characters:,} characters" in status
    assert pickle.loads(pickle.dumps(a)) == a

    # a number track: nothing to split the loss by, so no Ablate
    view.track_box.setCurrentText("line-position")
    assert not rank(qtbot, w).error
    assert not view.ablate_button.isEnabled() and not view.table.item(0, 5).text()


def test_a_state_taken_in_the_scrubber_is_put_into_another_text(qtbot, open_window):
    w = trained(qtbot, open_window, steps=20)
    w.tabs.setCurrentIndex(w.scrubber_tab)
    s = w.scrubber
    qtbot.waitUntil(lambda: s.answer is not None, timeout=15_000)
    assert not s.put_button.isEnabled()
    inspect_text(qtbot, w, 'he said "the cat')
    s.take_button.click()
    # the scrubber's steps are the inputs: the last character is what the last step predicts
    assert s.put_button.isEnabled() and """after 'he said "the ca' (t = 14)""" in s.taken_label.text()

    inspect_text(qtbot, w, "then they left")
    with qtbot.waitSignal(
        w.answered, check_params_cb=lambda a: isinstance(a, m.Transplanted), timeout=15_000
    ) as got:
        s.put_button.click()
    a = got.args[0]
    assert not a.error and a.request.source == 'he said "the cat' and a.request.source_at == 15
    assert a.request.target == "then they left" and a.request.target_at == 13
    assert len(a.unpatched) == len(a.patched) == 60 and a.moved > 0
    shown = s.transplant_label.text()
    assert "Without" in shown and "With the state after" in shown and s.transplant_label.isVisible()

    # put back into the very text and step it was taken from: nothing moves, the same continuation
    inspect_text(qtbot, w, 'he said "the cat')
    with qtbot.waitSignal(
        w.answered, check_params_cb=lambda a: isinstance(a, m.Transplanted), timeout=15_000
    ) as got:
        s.put_button.click()
    same = got.args[0]
    assert same.moved == 0.0 and same.patched == same.unpatched
    assert "The same text" in s.transplant_label.text()


def test_the_scrubber_says_why_a_transplant_is_refused(qtbot, open_window):
    from tests.test_ui_neurons import config

    cfg = config("lstm")
    w = open_window(dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, arch="transformer")))
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps >= 3 and w.state.play == "paused", timeout=20_000)
    w.tabs.setCurrentIndex(w.scrubber_tab)
    s = w.scrubber
    inspect_text(qtbot, w, "the cat")
    s.take_button.click()
    with qtbot.waitSignal(
        w.answered, check_params_cb=lambda a: isinstance(a, m.Transplanted), timeout=15_000
    ):
        s.put_button.click()
    assert "carries no hidden state" in s.transplant_label.text() and s.transplant_label.isVisible()


def test_lessons_15_and_16_set_up_their_views_and_try_ablate_and_transplant(qtbot, open_window):
    """Lesson 15 opens the Neurons tab on the quotes preset and its Try this ranks by quotes and then
    ablates; lesson 16 opens the scrubber and its Try this carries he said, " into a plain sentence. (Whether
    their claims hold after the cards' 8,000 steps: tests/test_intervene_claims.py, -m lessons.)"""
    from window_helpers import arrived

    from playground.core.lessons import lesson
    from playground.core.presets import PRESETS, default_session

    w = open_window(default_session())
    card = lesson("ablation")
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        assert w.setup_lesson("ablation")
    assert w.config == PRESETS["quotes"][1] and w.tabs.currentIndex() == w.neurons_tab
    assert w.lesson_actions.outline is not None and w.lesson_actions.outline.target is w.neurons_view
    assert f"Lesson {card.number}" in w.banner.text()
    w.step(5)
    qtbot.waitUntil(lambda: w.session.steps >= 5 and w.state.play == "paused", timeout=30_000)
    view = w.neurons_view
    view.track_box.setCurrentText("word")  # Try this picks the card's track itself
    w.lessons_view.select("ablation")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.AblatedUnits), timeout=60_000) as got:
        w.lessons_view.try_button.click()
    a = got.args[0]
    assert not a.error and a.request.track == "quotes" and len(a.costs) == 10 and len(a.random) == 10
    assert view.track_box.currentText() == "quotes" and "random units of layer" in view.status.text()
    assert all(view.table.item(row, 5).text() for row in range(10))  # the held column, filled

    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        assert w.setup_lesson("transplant")
    assert w.tabs.currentIndex() == w.scrubber_tab and w.lesson_actions.outline.target is w.scrubber
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps >= 3 and w.state.play == "paused", timeout=30_000)
    w.lessons_view.select("transplant")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Transplanted), timeout=30_000) as got:
        w.lessons_view.try_button.click()
    t = got.args[0]
    assert not t.error and t.request.source == 'he said, "' and t.request.target == "the old miller carried a"
    assert len(t.patched) == len(t.unpatched) == 60 and t.moved > 0
    shown = html.unescape(w.scrubber.transplant_label.text())
    assert "Without" in shown and """With the state after 'he said, "'""" in shown
