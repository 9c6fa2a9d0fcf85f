"""The live plot cards: what a student sees, drawn from a Session fed by a real (tiny) Trainer."""

from __future__ import annotations

import copy
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from playground.app.progress import LayerGroups, Progress
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.inspect.probes import Probe
from playground.core.train.trainer import Trainer
from playground.ui.plots import (
    GatesPlot,
    GradientThroughTimePlot,
    GradNormPlot,
    HiddenStatePlot,
    LossPlot,
    PlotCard,
    TimeAxis,
)
from playground.ui.plots.gates import NO_GATES
from playground.ui.plots.gradients import gradient_verdict
from playground.ui.session import Session

TEXT = "the cat sat on the mat. " * 50
ALL_PLOTS = (LossPlot, HiddenStatePlot, GradientThroughTimePlot, GradNormPlot, GatesPlot)


def _session_for(arch: str, steps: int, seq_len: int = 24, **model) -> tuple[Session, Trainer]:
    cfg = SessionConfig(
        model=ModelConfig(arch=arch, embed=8, **model),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=4, seq_len=seq_len, val_every=5),
    )
    trainer = Trainer(cfg)
    reports = [trainer.step(probe=True) for _ in range(steps)]
    session = Session()
    session.add(Progress.from_reports(reports, LayerGroups(trainer.param_names), 10.0))
    return session, trainer


@pytest.fixture(scope="module")
def lstm() -> tuple[Session, Trainer]:
    """A two-layer LSTM after 10 steps, each with a probe: the session a window would hold."""
    return _session_for("lstm", 10, hidden=16, layers=2)


@pytest.fixture(scope="module")
def vanilla_rnn() -> Session:
    """An untrained vanilla tanh RNN on 60 steps: its gradient vanishes long before t = 0."""
    cfg = SessionConfig(
        model=ModelConfig(arch="rnn", hidden=32, layers=1, embed=8, activation="tanh"),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=4, seq_len=60),
    )
    trainer = Trainer(cfg)
    session = Session()
    session.add(Progress.from_reports([trainer.step(probe=True)], LayerGroups(trainer.param_names), 1.0))
    return session


@pytest.fixture
def show(qtbot):
    """Show a card at 600x400 and draw it once; the cards stay referenced until the test is over."""
    kept = []

    def _show(widget):
        qtbot.addWidget(widget)  # pytest-qt keeps only a weak reference
        widget.resize(600, 400)
        widget.show()
        widget.refresh()
        kept.append(widget)
        return widget

    yield _show
    for widget in kept:
        widget.close()  # hidden first: a card the garbage collector frees is never one being painted
    kept.clear()


def _with_probe(session: Session, probe: Probe, step: int = 1) -> None:
    """A new probe and nothing else (as after 'set probe text'): what Session.add does with one."""
    session.probe, session.probe_step = probe, step
    session.probe_trail.append((step, probe.grad_norm))
    session.version += 1
    session.probe_version += 1


def _drawables(plot) -> tuple[list, list]:
    """The pyqtgraph curves and images a card keeps (attributes, lists and dicts of them)."""
    found = []
    for value in vars(plot).values():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        found += list(items)
    return [v for v in found if isinstance(v, pg.PlotDataItem | pg.PlotCurveItem)], [
        v for v in found if isinstance(v, pg.ImageItem)
    ]


def _distinct_colours(image: QImage, step: int = 3) -> int:
    return len(
        {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}
    )


# -- loss -------------------------------------------------------------------------------------------


def test_loss_plot_draws_the_session_losses(show, lstm):
    session, _ = lstm
    plot = show(LossPlot(session))
    x, y = plot.train_curve.getData()
    sx, sy = session.loss.view()
    np.testing.assert_array_equal(x, sx)
    np.testing.assert_allclose(y, sy[:, 0])
    vx, vy = plot.val_curve.getData()
    np.testing.assert_array_equal(vx, [5, 10])  # val_every=5
    np.testing.assert_allclose(vy, session.val.view()[1][:, 0])
    assert not plot.hint.isVisible()
    assert plot.plot_item.getAxis("left").labelText == "loss (nats)"
    assert plot.plot_item.getAxis("bottom").labelText == "step"
    plot.set_loss_label("loss (MSE)")
    assert plot.plot_item.getAxis("left").labelText == "loss (MSE)"
    assert [label.text for _, label in plot.legend.items] == ["training loss", "validation loss"]


def test_loss_plot_log_toggle(show, lstm):
    session, _ = lstm
    plot = show(LossPlot(session))
    assert not plot.log_checkbox.isChecked()  # linear by default
    plot.log_checkbox.setChecked(True)
    _, y = plot.train_curve.getData()
    np.testing.assert_allclose(y, np.log10(session.loss.view()[1][:, 0]), rtol=1e-5)


def test_loss_plot_handles_20000_points(show):
    session = Session()
    n = 20_000
    steps = np.arange(1, n + 1)
    loss = (3 * np.exp(-steps / 4000) + 0.1 * np.random.default_rng(0).random(n)).astype(np.float32)
    session.add(
        Progress(
            steps=steps,
            loss=loss,
            grad_norm=loss,
            grad_norm_clipped=loss,
            layer_norms=loss[:, None],
            layer_names=("layer 1",),
        )
    )
    plot = show(LossPlot(session))
    t0 = time.perf_counter()
    plot.grab()  # paint once with all points
    assert time.perf_counter() - t0 < 2.0
    x, _ = plot.train_curve.getData()
    assert len(x) < n  # peak downsampling: about one point per pixel column is drawn
    assert plot.train_curve.getOriginalDataset()[0].size == n


# -- hidden state -------------------------------------------------------------------------------


def test_hidden_state_heatmap_shows_units_by_time(show, lstm):
    session, _ = lstm
    probe = session.probe
    plot = show(HiddenStatePlot(session))
    np.testing.assert_array_equal(plot.image.image, probe.hidden[0].T)  # rows: units, columns: time
    assert tuple(float(v) for v in plot.image.getLevels()) == (-1.0, 1.0)
    assert tuple(plot.colour_bar.levels()) == (-1.0, 1.0)
    assert plot.layer_choice.count() == 2
    assert plot.layer_choice.itemText(1) == "layer 2"
    assert plot.title_label.text() == "hidden state h_t, layer 1, step 10"
    assert plot.time_axis.labels == probe.labels

    plot.layer_choice.setCurrentIndex(1)  # redraws at once, without new data
    np.testing.assert_array_equal(plot.image.image, probe.hidden[1].T)
    assert "layer 2" in plot.title_label.text()


def test_hidden_levels_grow_for_unbounded_activations_and_never_shrink(show):
    session = Session()
    plot = show(HiddenStatePlot(session))
    t, f = 30, 8
    big = np.full((1, t, f), 3.2, np.float32)
    _with_probe(session, Probe(labels=tuple("x" * t), hidden=big, grad_norm=np.ones((1, t), np.float32)))
    plot.refresh()
    assert tuple(float(v) for v in plot.image.getLevels()) == (-5.0, 5.0)
    assert "±5" in plot.colour_bar.getAxis("left").labelText
    small = np.full((1, t, f), 0.5, np.float32)
    _with_probe(session, Probe(labels=tuple("x" * t), hidden=small, grad_norm=np.ones((1, t), np.float32)))
    plot.refresh()
    assert tuple(float(v) for v in plot.image.getLevels()) == (-5.0, 5.0)  # no flicker back


def test_probe_length_and_layer_count_may_change(show, lstm):
    session = copy.deepcopy(lstm[0])  # the shared LSTM session stays as it was
    plots = [show(cls(session)) for cls in ALL_PLOTS]
    gru_session, _ = _session_for("gru", 1, hidden=12, layers=1, seq_len=40)
    _with_probe(session, gru_session.probe, step=11)
    for plot in plots:
        plot.refresh()
    hidden, gtt, gates = plots[1], plots[2], plots[4]
    assert hidden.layer_choice.count() == 1
    assert hidden.image.image.shape == (12, 40)
    assert len(gtt.curve.getOriginalDataset()[1]) == 40
    assert sorted(gates.visible_gates()) == ["n", "r", "z"]
    assert gates.gate_choice.count() == 3


# -- gradients ------------------------------------------------------------------------------------


def test_gradient_through_time_draws_newest_probe_over_earlier_ones(show, lstm):
    session, _ = lstm
    plot = show(GradientThroughTimePlot(session))
    g = session.probe.grad_norm[0]
    _, y = plot.curve.getOriginalDataset()
    np.testing.assert_allclose(y, np.maximum(g, plot.floor), rtol=1e-6)
    drawn = [
        c
        for c in plot.trail_curves
        if c.getOriginalDataset()[0] is not None and len(c.getOriginalDataset()[0])
    ]
    assert len(drawn) == len(session.probe_trail) - 1  # every earlier probe, faded
    assert plot.plot_item.getAxis("left").logMode
    assert plot.time_axis.labels == session.probe.labels
    assert plot.verdict_kind == "reach" and plot.verdict.text().startswith("reaches ")


def test_vanilla_rnn_gradient_is_measured_not_judged(show, vanilla_rnn):
    """The plot says how far back the gradient reaches; whether that is vanishing is the banner's verdict."""
    plot = show(GradientThroughTimePlot(vanilla_rnn))
    g = vanilla_rnn.probe.grad_norm[0]
    assert g[0] / g[-1] < 1e-6  # the premise: an untrained tanh RNN over 60 steps
    _, y = plot.curve.getOriginalDataset()
    np.testing.assert_allclose(y, np.maximum(g, plot.floor), rtol=1e-6)
    assert plot.verdict_kind == "reach"
    text = plot.verdict.text()
    assert "vanishing" not in text
    assert (
        text.startswith("reaches ") and " steps back at 10⁻³ of the last step; the first step gets " in text
    )
    back = int(text.split()[1])
    assert 0 < back < 59 and g[len(g) - 1 - back] / g[-1] >= 1e-3 > g[: len(g) - 1 - back].max() / g[-1]

    plot.set_reach_context(unit="characters", init_grad=g, needed=(0,))  # the window's context
    text = plot.verdict.text()
    assert text.startswith(
        f"Reaches {back} characters back at 10⁻³ of the last step (at initialisation: {back})."
    )
    assert "At 't', 59 characters back: " in text


def test_zero_gradients_are_floored_and_said_so(show):
    session = Session()
    plot = show(GradientThroughTimePlot(session))
    g = np.array([[0.0, 0.0, 1e-3, 1e-2, 0.1]], np.float32)
    _with_probe(session, Probe(labels=tuple("abcde"), hidden=np.zeros((1, 5, 2), np.float32), grad_norm=g))
    plot.refresh()
    _, y = plot.curve.getOriginalDataset()
    assert np.all(np.isfinite(y)) and np.all(y > 0)
    assert y[0] == plot.floor == 1e-12
    assert "2 zero values drawn at 1e-12" in plot.verdict.text()


def test_gradient_verdicts_measure_the_reach_and_never_say_vanishing():
    kind, text = gradient_verdict(np.array([1e-9, 1e-4, 1.0]))
    assert (
        kind == "reach" and text == "reaches 0 steps back at 10⁻³ of the last step; the first step gets 10⁻⁹"
    )
    kind, text = gradient_verdict(np.array([1e-9, 2e-3, 0.5, 1.0]), unit="characters")
    assert text == "reaches 2 characters back at 10⁻³ of the last step; the first step gets 10⁻⁹"
    assert gradient_verdict(np.array([1e-9, 1e-3, 1.0]), unit="words")[1].startswith("reaches 1 word back")
    kind, text = gradient_verdict(np.array([0.5, 0.8, 1.0]))
    assert kind == "reach" and text == "reaches the start, 2 steps back, at 10⁻³ of the last step"
    assert gradient_verdict(np.array([1e5, 10.0, 1.0]))[0] == "growing"
    assert gradient_verdict(np.array([2e3, 2e3, 2e3]))[0] == "growing"
    assert gradient_verdict(np.array([1.0, np.inf, 1.0]))[0] == "overflow"
    assert gradient_verdict(np.zeros(4))[0] == "none"
    assert gradient_verdict(np.array([0.5, 0.0]))[0] == "none"


def test_grad_norm_plot_has_a_line_per_layer_group_and_the_totals(show, lstm):
    session, _ = lstm
    plot = show(GradNormPlot(session))
    assert session.layer_names == ("input", "layer 1", "layer 2", "output")
    _, both = session.grad.view()
    np.testing.assert_allclose(plot.before_curve.getOriginalDataset()[1], both[:, 0], rtol=1e-6)
    np.testing.assert_allclose(plot.after_curve.getOriginalDataset()[1], both[:, 1], rtol=1e-6)
    _, per_layer = session.layers.view()
    for i, curve in enumerate(plot.layer_curves):
        assert curve.isVisible()
        np.testing.assert_allclose(
            curve.getOriginalDataset()[1], np.maximum(per_layer[:, i], 1e-12), rtol=1e-6
        )
    assert plot.legend.entries == [*session.layer_names, "total, before clipping", "total, after clipping"]
    assert plot.plot_item.getAxis("left").logMode


# -- gates ------------------------------------------------------------------------------------------


def test_gates_plot_shows_five_lstm_lines_and_a_heatmap(show, lstm):
    session, _ = lstm
    plot = show(GatesPlot(session))
    gates = session.probe.gates
    assert plot.visible_gates() == ["i", "f", "g", "o", "c"]
    for key in plot.visible_gates():
        np.testing.assert_allclose(plot.curves[key].getData()[1], gates[key][0].mean(axis=-1), rtol=1e-6)
    assert plot.legend.entries == [
        "input gate i",
        "forget gate f",
        "candidate g",
        "output gate o",
        "cell state c (mean)",
    ]
    assert plot.content.isVisible() and not plot.no_gates_label.isVisible()
    assert plot.gate_choice.currentData() == "f"  # the forget gate first: the one that keeps memory
    np.testing.assert_array_equal(plot.image.image, gates["f"][0].T)
    assert tuple(float(v) for v in plot.image.getLevels()) == (0.0, 1.0)
    plot.gate_choice.setCurrentIndex(plot.gate_choice.findData("g"))
    np.testing.assert_array_equal(plot.image.image, gates["g"][0].T)
    assert tuple(float(v) for v in plot.image.getLevels()) == (-1.0, 1.0)
    assert tuple(plot.plot_item.viewRange()[1]) == pytest.approx((-1.04, 1.04), abs=0.01)


def test_gates_plot_says_a_vanilla_rnn_has_none(show, vanilla_rnn, lstm):
    plot = show(GatesPlot(vanilla_rnn))
    assert plot.no_gates_label.isVisible()
    assert plot.no_gates_label.text() == NO_GATES
    assert not plot.content.isVisible()
    plot.reset(lstm[0])  # an LSTM again: the plot comes back
    plot.refresh()
    assert plot.content.isVisible() and not plot.no_gates_label.isVisible()
    assert len(plot.visible_gates()) == 5


# -- what every card does ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_PLOTS)
def test_refresh_is_free_when_nothing_changed(show, lstm, monkeypatch, cls):
    session, _ = lstm
    plot = show(cls(session))
    calls = []
    curves, images = _drawables(plot)
    assert curves or images
    for obj in curves:
        monkeypatch.setattr(obj, "setData", lambda *a, **k: calls.append("setData"))
    for obj in images:
        monkeypatch.setattr(obj, "setImage", lambda *a, **k: calls.append("setImage"))
    plot.refresh()
    plot.refresh()
    assert calls == []
    session.version += 1  # something new arrived (the data itself is the same)
    plot.refresh()
    if cls in (HiddenStatePlot, GradientThroughTimePlot, GatesPlot):
        assert calls == []  # steps without a new probe: the probe plots stay as they are
        session.probe_version += 1
        plot.refresh()
        session.probe_version -= 1
    assert calls
    session.version -= 1


@pytest.mark.parametrize("cls", ALL_PLOTS)
def test_reset_clears_and_an_empty_session_asks_for_play(show, lstm, cls):
    session, _ = lstm
    plot = show(cls(session))
    fresh = Session()
    plot.reset(fresh)
    assert plot.session is fresh
    hint = plot.hint
    assert hint.isVisible() and hint.text() == "press Play or Step to see this"
    for curve in _drawables(plot)[0]:
        x, _ = curve.getData()
        assert x is None or len(x) == 0
    if hasattr(plot, "image"):
        assert plot.image.image is None
    plot.refresh()  # an empty session draws nothing and keeps the hint
    assert hint.isVisible()


def test_card_explains_itself(show, lstm):
    plot = show(HiddenStatePlot(lstm[0]))
    assert isinstance(plot, PlotCard)
    assert not plot.explanation_label.isVisible()
    plot.help_button.click()
    assert plot.explanation_label.isVisible()
    assert "hidden unit" in plot.explanation_label.text()
    assert "hidden unit" in plot.plot.toolTip()  # the same words as a tooltip on the plot
    plot.set_explanation("something else")
    assert "something else" in plot.plot.toolTip()
    plot.help_button.click()
    assert not plot.explanation_label.isVisible()


def test_time_axis_thins_labels_and_shows_the_index_under_each():
    axis = TimeAxis("bottom")
    axis.set_labels([chr(ord("a") + i % 26) for i in range(300)])
    levels = axis.tickValues(-0.5, 299.5, 2000)
    major = levels[0][1]
    assert 2 <= len(major) <= 40
    strings = axis.tickStrings(major, 1.0, levels[0][0])
    assert strings[0] == "a\n0"
    assert strings[1] == f"{chr(ord('a') + int(major[1]) % 26)}\n{int(major[1])}"
    few = TimeAxis("bottom")
    few.set_labels("hello")
    assert few.tickValues(-0.5, 4.5, 600)[0][1] == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("cls", ALL_PLOTS)
def test_cards_render_to_a_picture_that_is_not_blank(show, qtbot, lstm, tmp_path, cls):
    session, _ = lstm
    plot = show(cls(session))
    qtbot.wait(10)
    path = tmp_path / f"{cls.__name__}.png"
    assert plot.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 600 and image.height() >= 400
    assert _distinct_colours(image) > 20  # lines, text and heatmaps, not an empty white card


def test_live_view_follows_in_round_steps_until_the_user_zooms(show, lstm):
    session = copy.deepcopy(lstm[0])
    plot = show(LossPlot(session))
    (x0, x1), (y0, y1) = plot.plot_item.viewRange()
    x, y = session.loss.view()
    assert x0 <= x[0] and x1 >= x[-1] and x1 <= 2 * max(x[-1], 10)  # all steps, a little room to grow
    assert y0 <= y.min() and y1 >= y.max()
    before = plot.plot_item.viewRange()
    plot.view_range.vb.sigRangeChangedManually.emit([True, True])  # the user zooms or pans
    session.loss.extend(np.array([500]), np.array([0.01], np.float32))
    session.version += 1
    plot.refresh()
    assert plot.plot_item.viewRange() == before  # the user's view is left alone
    plot.plot_item.autoBtn.clicked.emit(plot.plot_item.autoBtn)  # "A": follow the data again
    assert plot.plot_item.viewRange()[0][1] >= 500
