"""The network unrolled (lessons 4 and 5): backpropagation through time's terms, and the view that draws them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.inspect.unroll import MAX_STEPS, unroll
from playground.core.train.trainer import Trainer

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30


def trainer(arch: str, kind: str = "text", seq_len: int = 20, steps: int = 3, **model) -> Trainer:
    data = {
        "text": DataConfig(kind="text", source="inline", text=TEXT),
        "memory": DataConfig(kind="memory", gap=6),
        "prices": DataConfig(kind="prices", source="generator", generator="sine", length=200, window=8),
    }[kind]
    cfg = SessionConfig(
        model=ModelConfig(arch=arch, hidden=12, embed=6, **model),
        data=data,
        train=TrainConfig(batch_size=4, seq_len=seq_len, lr=1e-2, val_every=0, seed=1),
    )
    t = Trainer(cfg, device="cpu")
    for _ in range(steps):
        t.step()
    return t


def fused_w_hh_grad(t: Trainer, layer: int, scope: str) -> torch.Tensor:
    """dL/dW_hh from torch's own fused layer: what training computes, independent of the cells."""
    x, y, _ = t._probe_sequence()
    t.model.eval()
    try:
        out, _ = t.model(x)
        last = t.model.many_to_many and scope == "last"
        loss = t.task.loss(out[:, -1:], y[:, -1:]) if last else t.task.loss(out, y)
        (g,) = torch.autograd.grad(loss, getattr(t.model.core, f"weight_hh_l{layer}"))
    finally:
        t.model.train()
    return g


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("kind", ["text", "memory"])
@pytest.mark.parametrize("scope", ["last", "mean"])
def test_the_steps_terms_add_up_to_the_real_gradient_of_w_hh(arch, kind, scope):
    t = trainer(arch, kind)
    u = unroll(t, loss_scope=scope)
    real = fused_w_hh_grad(t, 0, scope).numpy()
    assert u.w_hh_grad.shape == real.shape
    np.testing.assert_allclose(u.w_hh_grad, real, atol=1e-5, rtol=1e-4)
    assert u.w_hh_norm == pytest.approx(float(np.linalg.norm(real)), rel=1e-4, abs=1e-6)
    assert u.w_hh_share[0] == 0  # h before the first step is zero: it adds nothing
    assert (u.w_hh_share >= 0).all() and u.w_hh_share.sum() >= u.w_hh_norm * (1 - 1e-5)  # triangle inequality
    assert u.hidden.shape == (len(u.labels), 12) and u.arch == arch


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_every_layer_and_direction_of_a_deep_bidirectional_model_adds_up(arch):
    t = trainer(arch, "memory", layers=2, bidirectional=True)
    for layer in (0, 1):
        u = unroll(t, layer)
        np.testing.assert_allclose(
            u.w_hh_grad, fused_w_hh_grad(t, layer, "last").numpy(), atol=1e-5, rtol=1e-4
        )
        assert u.bidirectional and u.layer == layer and u.n_layers == 2
        assert u.hidden.shape[1] == 12  # the forward direction only


def test_each_steps_share_is_its_own_copy_of_w_hh_gradient():
    """A vanilla RNN re-run by hand with one copy of W_hh per step: each copy's gradient is one step's term."""
    t = trainer("rnn", "text", seq_len=12)
    u = unroll(t)
    m, core = t.model, t.model.core
    x, y, _ = t._probe_sequence()
    with torch.no_grad():
        e = m.encode(x)[0]  # (T, E)
    copies = [core.weight_hh_l0.detach().clone().requires_grad_(True) for _ in range(e.shape[0])]
    h = torch.zeros(core.hidden_size)
    hs = []
    for s, w in enumerate(copies):
        h = torch.tanh(core.weight_ih_l0 @ e[s] + core.bias_ih_l0 + w @ h + core.bias_hh_l0)
        hs.append(h)
    out = m.head(torch.stack(hs)[None])  # (1, T, V)
    t.task.loss(out[:, -1:], y[:, -1:]).backward()
    shares = np.array([float(w.grad.norm()) for w in copies])
    np.testing.assert_allclose(u.w_hh_share, shares, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(u.w_hh_grad, sum(w.grad for w in copies).numpy(), atol=1e-6)


def test_loss_at_every_step_for_text_and_only_at_the_end_for_many_to_one():
    text = unroll(trainer("gru", "text"))
    assert text.many_to_many and np.isfinite(text.step_loss).all()
    assert text.loss == pytest.approx(float(text.step_loss[-1]), rel=1e-5)  # L: the last prediction's loss
    mean = unroll(trainer("gru", "text"), loss_scope="mean")
    assert mean.loss == pytest.approx(float(np.mean(mean.step_loss)), rel=1e-5)

    for kind in ("memory", "prices"):
        t = trainer("lstm", kind)
        u = unroll(t)
        assert not u.many_to_many and len(u.step_loss) == len(u.labels) > 1
        assert np.isnan(u.step_loss[:-1]).all() and np.isfinite(u.step_loss[-1])
        assert u.step_loss[-1] == pytest.approx(t.probe().loss, rel=1e-5)
        assert "one answer" in u.loss_words


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_the_gradient_per_step_is_the_probes(arch):
    t = trainer(arch, "text", layers=2)
    u = unroll(t)
    probe = t.probe()
    np.testing.assert_allclose(u.grad_h, probe.grad_norm[-1], rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(u.hidden, probe.hidden[-1], atol=1e-6)
    assert u.labels == probe.labels


def test_a_long_probe_is_cut_and_a_model_without_recurrence_says_so():
    t = trainer("rnn", "text", seq_len=150, steps=1)
    u = unroll(t)
    assert u.n_steps == MAX_STEPS and u.probe_steps == 150
    for arch in ("transformer", "mlp"):
        u = unroll(trainer(arch, "text", steps=1))
        assert not u.recurrent and u.hidden.size == 0
        assert "no recurrence to unroll" in u.shared


# -- the view -------------------------------------------------------------------------------------


@pytest.fixture
def view(qtbot):
    from playground.ui.unrolled_view import UnrolledView

    v = UnrolledView()
    qtbot.addWidget(v)
    v.resize(1100, 560)
    v.show()
    return v


def _colours_in(image, rect) -> set[int]:
    return {
        image.pixel(x, y)
        for x in range(rect.left() + 2, rect.right() - 2, 2)
        for y in range(rect.top() + 2, rect.bottom() - 2, 2)
    }


def test_the_view_draws_a_box_per_step_and_a_click_selects_it(qtbot, view):
    u = unroll(trainer("lstm", "text", seq_len=14))
    view.show(u)
    qtbot.waitExposed(view)
    assert list(view.visible_steps()) == list(range(14))
    image = view.grab().toImage()
    white = QColor("white").rgb()
    for t in (0, 7, 13):
        rect = view.step_rect(t)
        assert rect is not None and rect.width() > 20 and rect.height() > 30
        colours = _colours_in(image, rect)
        assert len(colours) > 5 and colours != {white}  # h_t drawn as a strip of many colours
    assert "one matrix" in view.caption.text() and "L = " in view.caption.text()

    with qtbot.waitSignal(view.step_clicked, timeout=1000) as signal:
        QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=view.canvas.box(9).center().toPoint())
    assert signal.args == [9] and view.selected_step() == 9


def test_a_long_sequence_shows_a_window_that_scrolls(qtbot, view):
    u = unroll(trainer("gru", "text", seq_len=90, steps=1))
    view.show(u)
    shown = view.visible_steps()
    assert 8 <= len(shown) <= 24 and view.scroll.isVisible()
    # it opens at the end, where the error starts and the steps hold most of dL/dW_hh (lesson 5)
    assert shown[-1] == 89 and view.scroll.value() == view.scroll.maximum()
    view.scroll.setValue(0)
    assert view.visible_steps()[0] == 0
    start = list(view.visible_steps())
    assert u.w_hh_share[list(shown)].sum() > 3 * u.w_hh_share[start].sum()
    view.show(unroll(trainer("gru", "text", seq_len=90, steps=2)))  # the next probe keeps the place
    assert view.visible_steps()[0] == 0
    view.scroll.setValue(view.scroll.maximum())
    assert view.visible_steps()[-1] == 89 and view.step_rect(0) is None
    with qtbot.waitSignal(view.step_clicked, timeout=1000) as signal:
        QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=view.canvas.box(85).center().toPoint())
    assert signal.args == [85]
    view.select_step(3)  # the scrubber's step: scrolled into view, no signal
    assert 3 in view.visible_steps() and view.selected_step() == 3


def test_a_model_without_recurrence_gets_a_message_and_clear_forgets(qtbot, view):
    view.show(unroll(trainer("transformer", "text", steps=1)))
    assert view.message.isVisible() and not view.canvas.isVisible()
    assert "Transformer has no recurrence" in view.message.text()
    clicked = []
    view.step_clicked.connect(clicked.append)
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    assert clicked == []
    view.show(unroll(trainer("rnn", "memory", steps=1)))
    assert view.canvas.isVisible() and view.step_rect(0) is not None
    view.clear()
    assert view.unrolled is None and view.step_rect(0) is None and "Nothing to unroll" in view.message.text()


def test_a_canvas_that_widens_before_its_scroll_bar_hears_never_draws_past_the_end(qtbot, view):
    """Found by the random-press test (seed 1): a narrow view opened a 30-step probe at its last
    steps; the canvas then widened (more steps fit) before the view's resize reached the scroll bar,
    and the paint read a step past the end, raised, and left its painter open: the window crashed."""
    u = unroll(trainer("gru", "text", seq_len=30, steps=1))
    view.resize(400, 560)
    view.show(u)
    narrow = view.visible_steps()
    assert narrow[-1] == 29 and narrow[0] > 0
    view.canvas.resize(1100, view.canvas.height())  # the canvas alone: the view has not been told
    with qtbot.capture_exceptions() as raised:
        image = view.canvas.grab().toImage()
    assert not raised
    wide = view.visible_steps()
    assert len(wide) > len(narrow) and wide[-1] == 29 and wide[0] >= 0
    assert not image.isNull() and view.canvas.box(29) is not None and view.canvas.box(30) is None


def test_the_view_says_it_is_unrolling_while_the_picture_is_on_its_way(qtbot, open_window):
    """Opened on a trained model, the Unrolled tab said "Nothing to unroll yet: train a step" until the picture
    came (seconds on a busy machine): a false sentence. It says the picture is on its way, then shows it."""
    from playground.core.presets import PRESETS
    from playground.ui.unrolled_view import ASKED_TEXT, EMPTY_TEXT

    w = open_window(PRESETS["adding"][1])
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=20_000)
    w.tabs.setCurrentIndex(w.unrolled_tab)
    view = w.unrolled_view
    assert view.message.text() == ASKED_TEXT or view.unrolled is not None  # (never the empty text meanwhile)
    qtbot.waitUntil(lambda: view.unrolled is not None, timeout=20_000)
    assert not view.message.isVisible() and view.message.text() != EMPTY_TEXT

