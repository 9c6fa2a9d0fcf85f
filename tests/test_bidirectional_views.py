"""Bidirectional models (lesson 12): both directions in the probe, the time scrubber and the gradient plot."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from playground.app.progress import LayerGroups, Progress
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.train.trainer import Trainer
from playground.ui.plots.base import BLUE
from playground.ui.scrubber import BACKWARD_COLOUR


def memory_trainer(bidirectional: bool) -> Trainer:
    cfg = SessionConfig(
        model=ModelConfig(arch="gru", hidden=8, embed=6, bidirectional=bidirectional),
        data=DataConfig(kind="memory", gap=5),
        train=TrainConfig(batch_size=8, lr=1e-2, val_every=0),
    )
    t = Trainer(cfg, device="cpu")
    t.step()
    return t


@pytest.fixture(scope="module")
def both():
    return {bidir: memory_trainer(bidir) for bidir in (True, False)}


def test_the_probe_keeps_each_directions_gradient(both):
    probe = both[True].probe()
    assert probe.grad_norm_dirs.shape == (1, 2, probe.grad_norm.shape[1])
    np.testing.assert_allclose(np.sqrt((probe.grad_norm_dirs**2).sum(axis=1)), probe.grad_norm, rtol=1e-5)
    # the forward half is read at the last step, the backward half at the first
    fwd, bwd = probe.grad_norm_dirs[0]
    assert fwd[-1] > fwd[0] and bwd[0] > bwd[-1]
    single = both[False].probe()
    assert single.grad_norm_dirs.shape == (1, 1, single.grad_norm.shape[1])
    np.testing.assert_allclose(single.grad_norm_dirs[0, 0], single.grad_norm[0], rtol=1e-6)


def _answer(t: Trainer) -> dict:
    return {
        "probe": t.probe(),
        "connectivity": t.connectivity()[1],
        "terms": t.recurrence_terms_all(0),
        "layer": 0,
    }


def test_the_scrubber_shows_both_directions_in_two_colours(qtbot, both):
    from playground.ui.scrubber import TimeScrubber

    s = TimeScrubber()
    qtbot.addWidget(s)
    s.show()
    a = _answer(both[True])
    s.show_answer(a)
    s.slider.setValue(2)
    h = a["probe"].hidden[0, 2]
    np.testing.assert_allclose(s.h_bars.opts["height"], h)
    brushes = s.h_bars.opts["brushes"]
    assert [b.color() for b in brushes] == [QColor(BLUE)] * 8 + [QColor(BACKWARD_COLOUR)] * 8
    assert s.h_legend.isVisible() and s.h_legend.entries == ["forward → (units 1–8)", "← backward (units 9–16)"]
    assert "backward half steps" in s.h_caption.text() and "forward direction" in s.equation_label.text()

    s.show_answer(_answer(both[False]))  # one direction: one colour, no legend
    assert s.h_bars.opts["brushes"] is None and not s.h_legend.isVisible()


def test_the_gradient_plot_draws_each_direction(qtbot, both):
    from playground.ui.plots.gradients import GradientThroughTimePlot
    from playground.ui.session import Session

    t = both[True]
    session = Session()
    session.add(Progress.from_reports([t.step(probe=True)], LayerGroups(t.param_names), 1.0))
    plot = GradientThroughTimePlot(session)
    qtbot.addWidget(plot)
    plot.show()
    plot.refresh()
    probe = session.probe
    for d, curve in enumerate(plot.direction_curves):
        np.testing.assert_allclose(
            curve.getOriginalDataset()[1], np.maximum(probe.grad_norm_dirs[0, d], plot.floor), rtol=1e-6
        )
    assert plot.direction_legend.isVisible() and "bidirectional" in plot.verdict.text()
    np.testing.assert_allclose(
        plot.curve.getOriginalDataset()[1], np.maximum(probe.grad_norm[0], plot.floor), rtol=1e-6
    )
