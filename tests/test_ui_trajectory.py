"""The hidden-state trajectory card (issue 13): each probe's top-layer states on two principal
components, a point per character coloured by time, the slider walking back through the probes kept
over training, and the axes kept aligned from one probe to the next."""

from __future__ import annotations

import numpy as np

from playground.app.progress import LayerGroups, Progress
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.inspect.trajectory import project
from playground.core.train.trainer import Trainer
from playground.ui.plots.trajectory import TrajectoryPlot
from playground.ui.session import TRAJECTORIES, Session

TEXT = "the cat sat on the mat. the dog ate the log. " * 30


def _trained(steps: int) -> tuple[Session, Trainer]:
    trainer = Trainer(SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=4, seq_len=24, lr=1e-2, val_every=0),
    ))
    session = Session()
    groups = LayerGroups(trainer.param_names)
    for _ in range(steps):
        session.add(Progress.from_reports([trainer.step(probe=True)], groups, 10.0))
    return session, trainer


def test_each_probe_is_a_path_of_its_characters_and_the_slider_walks_back(qtbot):
    session, trainer = _trained(6)
    plot = TrajectoryPlot(session)
    qtbot.addWidget(plot)
    plot.refresh()
    probe = session.probe
    top = np.asarray(probe.hidden)[-1]
    x, y = plot.points.getData()
    assert len(x) == top.shape[0] == len(probe.labels)
    expected = project(session.trajectories[0][2])  # the chain of aligned fits ends at the newest
    for _, hidden in [(s, h) for s, _, h in session.trajectories[1:]]:
        expected = project(hidden, expected)
    assert np.allclose(np.stack([x, y], 1), expected.points, atol=1e-5)
    assert plot.slider.maximum() == len(session.trajectories) - 1 == 5 and plot.slider.value() == 5
    assert "components hold" in plot.title_label.text() and "%" in plot.title_label.text()
    assert plot._tip(0, 0, 0) == f"t = 1: {probe.labels[0]!r}"
    plot.slider.setValue(0)  # the first probe kept
    first = plot.projections()[0][1]
    assert np.allclose(np.stack(plot.points.getData(), 1), first.points, atol=1e-5)
    assert plot.step_label.text().startswith(f"step {session.trajectories[0][0]:,} (1 of 6)")
    # a new probe does not pull the slider back to the end once the user moved it
    session.add(Progress.from_reports([trainer.step(probe=True)], LayerGroups(trainer.param_names), 10.0))
    plot.refresh()
    assert plot.slider.value() == 0 and plot.slider.maximum() == 6


def test_kept_probes_are_bounded_cut_by_undo_and_started_again_by_a_new_probe_text():
    session, trainer = _trained(3)
    steps = [s for s, _, _ in session.trajectories]
    session.truncate(steps[1])
    assert [s for s, _, _ in session.trajectories] == steps[:2]
    for i in range(TRAJECTORIES + 20):  # the same probe, later steps: thinned by half, ends kept
        probe = session.probe
        session._keep_trajectory(1000 + i, probe)
    kept = [s for s, _, _ in session.trajectories]
    assert len(kept) <= TRAJECTORIES and kept[0] == steps[0] and kept[-1] == 1000 + TRAJECTORIES + 19
    trainer.set_probe_text("a dog sat on the log. the cat ate the mat.")
    session.add(Progress.from_reports([trainer.step(probe=True)], LayerGroups(trainer.param_names), 10.0))
    assert len(session.trajectories) == 1 and session.trajectories[0][1] == tuple(session.probe.labels)


def test_the_window_has_a_trajectory_tab_that_draws_the_probes_while_shown(qtbot, open_window):
    from test_ui_window import make_config

    w = open_window(make_config("lstm", "text"))
    w.tabs.setCurrentIndex(w.extra_tabs["trajectory"])
    assert w.tabs.tabText(w.tabs.currentIndex()) == "Trajectory" and w.trajectory_plot.isVisible()
    w.step(5)
    qtbot.waitUntil(lambda: w.session.steps == 5 and w.state.play == "paused", timeout=15_000)
    qtbot.waitUntil(lambda: len(w.trajectory_plot.points.getData()[0]) > 0, timeout=10_000)
    assert len(w.trajectory_plot.points.getData()[0]) == len(w.session.probe.labels)
    w.reset()
    qtbot.waitUntil(lambda: w.trajectory_plot.session is w.session and w.session.steps == 0, timeout=15_000)
    assert len(w.trajectory_plot.points.getData()[0]) == 0
