"""The Neurons tab through the real window: rank, look at a unit, pin it, stale answers, refusals."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TEXT = 'he said "the cat sat on the mat" and she said "no, the dog did". then they left.\n' * 40


def config(arch: str = "lstm") -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=16, embed=8, window=8),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=20),
    )


def is_ranked(a) -> bool:
    return isinstance(a, m.RankedUnits)


def rank(qtbot, w) -> m.RankedUnits:
    with qtbot.waitSignal(w.answered, check_params_cb=is_ranked, timeout=20_000) as blocker:
        w.neurons_view.rank_button.click()
    return blocker.args[0]


def trained(qtbot, open_window, arch: str = "lstm", steps: int = 30):
    w = open_window(config(arch))
    w.tabs.setCurrentIndex(w.neurons_tab)
    if steps:
        w.step(steps)
        qtbot.waitUntil(lambda: w.session.steps >= steps and w.state.play == "paused", timeout=20_000)
    return w


def test_rank_select_and_clamp(qtbot, open_window):
    w = trained(qtbot, open_window)
    view = w.neurons_view
    assert view.track_box.currentText() == "quotes"
    a = rank(qtbot, w)
    assert not a.error
    assert view.table.rowCount() == 10
    rs = [float(view.table.item(row, 3).text()) for row in range(10)]
    assert all(np.isfinite(rs))
    assert [abs(r) for r in rs] == sorted((abs(r) for r in rs), reverse=True)
    accs = [float(view.table.item(row, 4).text()) for row in range(10)]
    assert all(0.5 <= acc <= 1.0 for acc in accs)
    assert view.table.horizontalHeaderItem(3).toolTip() and view.table.horizontalHeaderItem(4).toolTip()

    # the top unit is selected: its text is coloured a character at a time, the sign sets the colour
    view.table.selectRow(2)
    acts = a.activations[2]
    assert len(view.colours) == len(a.text) == len(acts) <= 2_000
    assert view.html.count('<span style="background:#') >= len(a.text)
    hi, lo = int(np.argmax(acts)), int(np.argmin(acts))
    assert acts[hi] > 0 > acts[lo]  # a tanh unit of a trained LSTM goes both ways over this text
    from playground.ui.palettes import signed_tint

    # the strongest positive is the palette's orange end at 0.6, the strongest negative its blue side
    assert view.colours[hi] == signed_tint(1.0) and view.colours[lo] != signed_tint(0.0)
    assert int(view.colours[lo][5:7], 16) > int(view.colours[lo][1:3], 16)  # bluer than red
    assert "layer" in view.unit_label.text()

    # pin it hard: the two texts are shown, and an extreme pin changes what is written
    view.value_box.setValue(-40.0 if a.units[2][3] > 0 else 40.0)
    view.temperature_box.setValue(0.0)
    view.prompt_edit.setText("he said ")
    with qtbot.waitSignal(
        w.answered, check_params_cb=lambda x: isinstance(x, m.ClampSampled), timeout=20_000
    ):
        view.clamp_button.click()
    assert view.clamped is not None and not view.clamped.error
    assert view.free_text.toPlainText() and view.pinned_text.toPlainText()
    assert view.free_text.toPlainText() != view.pinned_text.toPlainText()
    # what crosses the process boundary pickles
    for msg in (m.RankUnits("quotes"), m.ClampSample(0, 1, 4.0), a, view.clamped):
        assert pickle.loads(pickle.dumps(msg)) is not None


def test_regex_track_and_own_text(qtbot, open_window):
    w = trained(qtbot, open_window, steps=10)
    view = w.neurons_view
    assert not view.regex_edit.isEnabled()
    view.track_box.setCurrentText("regex")
    assert view.regex_edit.isEnabled()
    view.regex_edit.setText("[aeiou]")
    view.own_text.setChecked(True)
    view.text_edit.setPlainText("the cat sat on the mat and the dog sat on the log")
    a = rank(qtbot, w)
    assert not a.error and a.track == "regex:[aeiou]"
    assert a.text.startswith("the cat sat")
    view.regex_edit.setText("[")  # a pattern that does not compile: said in the tab's status line
    rank(qtbot, w)
    assert "bad regular expression" in view.status.text()


def test_a_stale_ranking_after_reset_is_dropped(qtbot, open_window):
    w = trained(qtbot, open_window, steps=10)
    old = w.worker_thread.worker.trainer
    dropped = w.controller.dropped
    w.neurons_view.rank_button.click()  # answered by the old model, after the window moved on
    w.reset()
    qtbot.waitUntil(lambda: w.worker_thread.worker.trainer is not old and bool(w.summary), timeout=10_000)
    qtbot.waitUntil(lambda: w.controller.dropped > dropped, timeout=10_000)
    qtbot.wait(200)
    assert w.neurons_view.table.rowCount() == 0 and w.neurons_view.answer is None
    a = rank(qtbot, w)  # the new model ranks as usual
    assert a.generation == w.state.generation and w.neurons_view.table.rowCount() == 10


def test_a_transformer_is_refused_in_words(qtbot, open_window):
    w = trained(qtbot, open_window, arch="transformer", steps=0)
    a = rank(qtbot, w)
    assert a.error
    text = w.neurons_view.status.text()
    assert "Cannot rank" in text and "no recurrent hidden units" in text and "LSTM" in text
    assert w.neurons_view.table.rowCount() == 0 and not w.neurons_view.clamp_button.isEnabled()


def test_live_refresh_ranks_while_training(qtbot, open_window):
    w = trained(qtbot, open_window, steps=0)
    view = w.neurons_view
    view.timer.setInterval(200)
    view.live.setChecked(True)
    w.play()
    try:
        with qtbot.waitSignal(w.answered, check_params_cb=is_ranked, timeout=20_000):
            pass
    finally:
        w.pause()
    assert view.table.rowCount() == 10


def test_a_units_r_is_kept_at_each_ranking_and_drawn_over_training(qtbot, open_window):
    """Ranked at two steps, the selected unit's r appears at both, equal to what each ranking gave it
    (the answer carries every unit's r, so a unit out of the top ten at one step still has a point)."""
    w = trained(qtbot, open_window, steps=10)
    view = w.neurons_view
    first = rank(qtbot, w)
    w.step(20)
    qtbot.waitUntil(lambda: w.session.steps >= 30 and w.state.play == "paused", timeout=20_000)
    second = rank(qtbot, w)
    assert first.step == 10 and second.step == 30 and len(first.unit_keys) == 32  # LSTM 16: 16 h + 16 c
    key = second.units[0][:3]
    view.table.selectRow(0)
    steps, rs = view.r_over_training(key)
    index = first.unit_keys.index(key)
    assert steps == [10, 30]
    assert rs == pytest.approx([float(first.every_r[index]), second.units[0][3]], abs=1e-6)
    x, y = view.r_curve.getData()
    assert list(x) == [10, 30] and np.allclose(y, rs)
    assert "2)" in view.r_plot.getPlotItem().titleLabel.text
    w.reset()  # a new model: its units are other units
    qtbot.waitUntil(lambda: view.answer is None, timeout=15_000)
    assert view.r_history == {} and len(view.r_curve.getData()[0] or []) == 0


@pytest.mark.lessons
def test_the_tab_finds_the_quote_unit_of_the_quotes_preset(qtbot, open_window):
    """The first-run path of the README: the quotes preset (an LSTM 64), Play for 6,000 steps (about
    90 s in the window on this CPU), the Neurons tab's Rank on its default track: the top unit follows
    "inside a quotation" with |r| >= 0.8 (the CLI's lessons test checks seeds 0-2 and the clamp)."""
    from playground.core.presets import PRESETS

    w = open_window(PRESETS["quotes"][1])
    w.tabs.setCurrentIndex(w.neurons_tab)
    w.toggle_play()
    qtbot.waitUntil(lambda: w.session.steps >= 6000, timeout=600_000)
    w.toggle_play()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=20_000)
    a = rank(qtbot, w)
    assert not a.error and a.track == "quotes"
    assert abs(a.units[0][3]) >= 0.8, a.units[:3]
    assert w.neurons_view.table.item(0, 3).text() == f"{a.units[0][3]:+.3f}"
