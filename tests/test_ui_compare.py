"""The Compare view over several seeds, through the real window: a band per architecture, the
number of seeds in the legend, mean ± spread in the table, and the memory sweep's points opening a
held-out sequence the model gets wrong in the scrubber."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig


def memory_config(arch: str = "lstm") -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=8, embed=4),
        data=DataConfig(kind="memory", source="generator", gap=3, keys=4),
        train=TrainConfig(batch_size=8, lr=1e-2, val_every=0, seed=3),
    )


def is_example(a) -> bool:
    return isinstance(a, m.ComparedExample)


def run(qtbot, view, archs, steps: int, gaps: str | None = None) -> None:
    for arch, box in view.checks.items():
        box.setChecked(arch in archs)
    view.steps.setValue(steps)
    if gaps is not None:
        view.sweep_check.setChecked(True)
        view.gaps_edit.setText(gaps)
    view.run_button.click()
    qtbot.waitUntil(lambda: view.answer is not None and not view.answer["running"], timeout=60_000)


def test_three_seeds_draw_a_band_per_architecture_and_mean_plus_minus_spread(qtbot, open_window):
    w = open_window(memory_config())
    view = w.compare_view
    w.tabs.setCurrentIndex(w.compare_tab)
    assert view.seeds.value() == 3  # the default for a quick lesson
    assert "luck" in view.seeds.toolTip()
    run(qtbot, view, ("rnn", "lstm", "gru"), 12)
    assert view.answer["seeds"] == [3, 4, 5]
    assert set(view.loss_bands) == {"rnn", "lstm", "gru"}
    for b in view.loss_bands.values():
        assert b.seeds == 3 and b.fill.isVisible()
        assert b.fill.curves == [b.lower, b.upper]
        _, lo = b.lower.getData()
        x, hi = b.upper.getData()
        _, mean = b.line.getData()
        assert len(x) == 12 and np.all(hi >= lo) and np.any(hi > lo)
        assert np.all(lo <= mean + 1e-12) and np.all(mean <= hi + 1e-12)
    assert all("3 seeds" in entry for entry in view.legend.entries) and len(view.legend.entries) == 3
    assert "LSTM&nbsp;(3&nbsp;seeds)" in view.legend.text()  # spaces that never break
    rows = view.answer["rows"]
    for i, r in enumerate(rows):
        assert "±" in view.table.item(i, 3).text() and "±" in view.table.item(i, 5).text()
        assert view.table.item(i, 3).text() == f"{r.train_loss:.3f}\u2009±\u2009{r.spread('train_loss'):.3f}"
    header = view.table.horizontalHeaderItem(3).toolTip()
    assert "half the range" in header
    # continue with: the first seed's run
    view.table.selectRow(1)
    view.adopt_button.click()
    qtbot.waitUntil(lambda: w.config.model.arch == "lstm" and w.session.steps == 12, timeout=10_000)
    assert w.config.train.seed == 3


def test_a_sweep_point_opens_a_failing_sequence_in_the_scrubber(qtbot, open_window):
    w = open_window(memory_config())
    view = w.compare_view
    w.tabs.setCurrentIndex(w.compare_tab)
    view.seeds.setValue(2)
    run(qtbot, view, ("rnn", "gru"), 4, gaps="2, 3")
    bands = view.accuracy_bands
    assert set(bands) == {"rnn", "gru"} and all(b.fill.isVisible() for b in bands.values())
    for b in bands.values():
        x, hi = b.upper.getData()
        _, lo = b.lower.getData()
        assert list(x) == [2, 3] and np.all(hi >= lo)
    with qtbot.waitSignal(w.answered, check_params_cb=is_example, timeout=10_000) as got:
        view.open_example("rnn", 2)  # what a click on the RNN's point at d = 2 calls
    example = got.args[0]
    assert example.inspected is not None and example.right != example.answered
    s = w.scrubber
    assert w.tabs.currentIndex() == w.scrubber_tab
    assert s.text_edit.text() == example.text and s.source_label.isVisible()
    key = example.text.split()[0]
    assert key in "ABCD" and f"the key is <b>{key}</b>" in s.source_label.text()
    assert s.answer["probe"].labels == tuple(example.text.split())
    assert s.slider.maximum() == len(example.text.split()) - 1 == s.slider.value()
    assert f">{key}</span>" in s.connect_label.text()  # the shaded sequence, key first
    assert "its answer after the last step" in s.topk_label.text()
    # nothing of the main model's replaced it when the tab showed
    qtbot.wait(300)
    assert s.source_label.isVisible() and s.text_edit.text() == example.text

    # a real click on the GRU's point at d = 3 asks for that one
    w.tabs.setCurrentIndex(w.compare_tab)
    qtbot.waitUntil(lambda: view.accuracy_plot.isVisible(), timeout=5_000)
    plot = view.accuracy_plot
    xs, ys = bands["gru"].line.getData()
    vb = plot.getPlotItem().getViewBox()
    at = plot.mapFromScene(vb.mapViewToScene(QPointF(float(xs[1]), float(ys[1]))))
    with qtbot.waitSignal(w.answered, check_params_cb=is_example, timeout=10_000) as got:
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=at)
    clicked = got.args[0]
    assert (clicked.arch, clicked.gap) == ("gru", 3) and clicked.inspected is not None
    assert w.tabs.currentIndex() == w.scrubber_tab and s.text_edit.text() == clicked.text

    # a model that answers every held-out sequence right: the view and the status bar say so
    engine = w.worker_thread.worker.engine
    ev = engine.compare_job.sweep.comparison_at(3).evaluation("gru")
    ev["predictions"] = ev["targets"].copy()
    w.tabs.setCurrentIndex(w.compare_tab)
    with qtbot.waitSignal(w.answered, check_params_cb=is_example, timeout=10_000):
        view.open_example("gru", 3)
    assert "none fails" in view.status.text() and "none fails" in w.statusBar().currentMessage()
    assert w.tabs.currentIndex() == w.compare_tab
