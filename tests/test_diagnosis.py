"""Gradient diagnosis: the rules (no Qt), and the banner with one-click fixes in the real window."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.inspect.diagnosis import diagnose

RNN = ModelConfig(arch="rnn", hidden=16)
NO_CLIP = TrainConfig(clip="off")


def test_healthy_run_has_no_diagnosis():
    rng = np.random.default_rng(0)
    losses = np.linspace(3, 1, 300) + rng.normal(0, 0.05, 300)
    grads = 1 + rng.random(300)
    assert diagnose(RNN, NO_CLIP, losses, grads, probe_grad=np.geomspace(0.01, 1, 50)) is None


def test_refused_steps_are_reported_as_rolled_back_with_fixes():
    d = diagnose(
        RNN, NO_CLIP, np.ones(5), np.ones(5), refused=3, last_refusal="step refused: the loss is NaN; x"
    )
    assert d.kind == "nan"
    assert "3 steps produced NaN (the loss is NaN) and were refused: they did not change the weights" in d.message
    assert d.fixes == ("clip", "lower_lr", "lstm", "gru")
    clipped = diagnose(RNN, TrainConfig(clip="norm"), np.ones(5), np.ones(5), refused=1)
    assert "clip" not in clipped.fixes and "1 step produced" in clipped.message


def test_gradient_spike_is_exploding():
    grads = np.ones(100)
    grads[-3] = 500.0
    d = diagnose(ModelConfig(arch="lstm"), NO_CLIP, np.ones(100), grads)
    assert d.kind == "exploding" and "500" in d.message and "clipping is off" in d.message
    assert d.fixes == ("clip", "lower_lr")  # an LSTM is not told to become an LSTM


def _spiked(n: int = 120, at: int = 100, norm: float = 500.0, typical: float = 0.4):
    """Gradient norms about ``typical`` with one spike at index ``at``; the norms clipping at 1 lets through."""
    rng = np.random.default_rng(1)
    raw = typical * (0.8 + 0.4 * rng.random(n))
    raw[at] = norm
    return raw, np.minimum(raw, 1.0)


def test_a_clipped_spike_that_did_no_harm_is_no_verdict():
    raw, applied = _spiked()
    losses = np.linspace(2.0, 0.5, 120)  # falling on, through the spike
    for clipped in (applied, None):  # given, or worked out from the settings (norm 1)
        assert diagnose(RNN, TrainConfig(), losses, raw, grad_norms_clipped=clipped) is None
    # an unclipped update far above its usual size but below norm 1 (a model whose gradients are tiny)
    small, _ = _spiked(norm=0.3, typical=0.001)
    assert diagnose(RNN, NO_CLIP, losses, small) is None
    # clipping at a norm far above the spike holds nothing down: the whole update went through
    loose = TrainConfig(clip="norm", clip_value=1000.0)
    d = diagnose(RNN, loose, losses, raw, grad_norms_clipped=raw)
    assert d.kind == "exploding" and "clipping at norm 1000 let 500 of it into the update" in d.message


def test_a_clipped_spike_after_which_the_loss_jumped_is_exploding():
    raw, applied = _spiked()
    losses = np.concatenate([np.linspace(2.0, 0.5, 81), np.full(20, 0.5), np.full(19, 1.6)])  # 1.6 after it
    d = diagnose(RNN, TrainConfig(), losses, raw, grad_norms_clipped=applied)
    assert d is not None and d.kind == "exploding"
    assert "at step 101 the gradient norm reached 500" in d.message
    assert "clipping at norm 1 cut the update to 1" in d.message
    assert "yet the loss jumped from 0.5 before it to 1.6 after it. That update set the model back." in d.message
    # too soon to tell: fewer than JUDGE_AFTER steps after the clipped spike
    assert diagnose(RNN, TrainConfig(), losses[:103], raw[:103], grad_norms_clipped=applied[:103]) is None


def test_evidence_from_before_a_change_of_settings_is_not_judged_again():
    raw, _ = _spiked(n=110, at=100)
    losses = np.linspace(2.0, 0.5, 110)
    steps = np.arange(1, 111)
    assert diagnose(RNN, NO_CLIP, losses, raw, steps=steps).kind == "exploding"
    # "Clip at norm 1" was pressed at step 105: the spike at step 101 was trained under other settings
    clipped = TrainConfig(clip="norm")
    assert diagnose(RNN, clipped, losses, raw, grad_norms_clipped=raw, steps=steps, since_step=105) is None
    # the loss blowing up is judged on steps after the change too
    blown = np.concatenate([np.linspace(3, 1, 100), np.full(20, 6.0)])
    assert diagnose(RNN, TrainConfig(), blown, np.ones(120)).kind == "exploding"
    assert diagnose(RNN, TrainConfig(), blown, np.ones(120), since_step=115) is None


def test_refused_steps_after_a_spike_that_went_through_say_what_the_weights_took():
    raw, _ = _spiked(n=60, at=59, norm=1.07e7, typical=2.5e3)
    d = diagnose(RNN, NO_CLIP, np.full(60, 4.0), raw, refused=12, last_refusal="step refused: the loss is NaN; x")
    assert d.kind == "nan"
    assert d.message.startswith(
        "Exploding: 12 steps produced NaN (the loss is NaN) and were refused: they did not change the weights."
    )
    assert "Before that, at step 60 the gradient norm reached 1.07e+07" in d.message
    assert "clipping is off, so all of it went into the update: the weights already took that step." in d.message
    assert "as they were before" not in d.message


def test_loss_blowing_up_is_exploding():
    losses = np.concatenate([np.linspace(3, 1, 100), np.full(20, 6.0)])
    d = diagnose(RNN, TrainConfig(), losses, np.ones(120))
    assert d.kind == "exploding" and "blowing up" in d.message


def test_vanishing_probe_offers_relu_identity_and_gates():
    """A stuck loss and a gradient that does not reach the start: vanishing, with the fixes that apply."""
    g = np.geomspace(1e-12, 1.0, 60)
    stuck = 2.08 + 0.01 * np.random.default_rng(0).standard_normal(300)
    d = diagnose(RNN, TrainConfig(), stuck, np.ones(300), probe_grad=g)
    assert d.kind == "vanishing" and "10⁻¹²" in d.message and "after 300 steps the loss is 2.08" in d.message
    assert d.fixes == ("relu_identity", "lstm", "gru")
    already = ModelConfig(arch="rnn", activation="relu", init="identity")
    assert diagnose(already, TrainConfig(), stuck, np.ones(300), probe_grad=g).fixes == ("lstm", "gru")
    assert diagnose(ModelConfig(arch="gru"), TrainConfig(), stuck, np.ones(300), probe_grad=g).fixes == ()
    assert (
        diagnose(ModelConfig(arch="transformer"), TrainConfig(), stuck, np.ones(300), probe_grad=g) is None
    )  # no recurrence: no gradient through time to vanish
    # the same gradient with a loss that fell: the model learned; a small far gradient is no verdict
    assert diagnose(RNN, TrainConfig(), np.linspace(2.1, 0.1, 300), np.ones(300), probe_grad=g) is None
    # too few steps to call anything stuck
    assert diagnose(RNN, TrainConfig(), np.ones(10), np.ones(10), probe_grad=g) is None


TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30


@pytest.fixture
def exploding_window(open_window):
    """A planted exploding run: ReLU, identity init, a huge learning rate, no clipping."""
    return open_window(
        SessionConfig(
            model=ModelConfig(arch="rnn", hidden=32, embed=8, activation="relu", init="identity"),
            data=DataConfig(kind="text", source="inline", text=TEXT),
            train=TrainConfig(lr=100.0, optimizer="sgd", clip="off", batch_size=8, seq_len=32, val_every=0),
        )
    )


def test_exploding_run_shows_the_banner_and_its_fixes_change_the_settings(qtbot, exploding_window):
    w = exploding_window
    w.play()
    qtbot.waitUntil(
        lambda: w.diagnosis is not None and w.diagnosis.kind in ("nan", "exploding"), timeout=20_000
    )
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    assert w.banner.isVisible()
    assert set(w.banner.fix_buttons) >= {"clip", "lower_lr", "lstm", "gru"}
    trainer = w.worker_thread.worker.trainer
    assert trainer.weights_finite()  # NaN never reached the weights (refused, or rolled back)

    w.banner.fix_buttons["clip"].click()
    assert w.config.train.clip == "norm" and w.config.train.clip_value == 1.0
    qtbot.waitUntil(lambda: trainer.session.train.clip == "norm", timeout=5_000)
    assert "Applied: Clip gradients at norm 1" in w.banner.text()

    w.controller.diagnose(force=True)  # still in trouble? the banner comes back with what is left to try
    if w.diagnosis is not None:
        assert "clip" not in w.banner.fix_buttons
    w.apply_fix("lower_lr")
    assert w.config.train.lr == pytest.approx(10.0)
    qtbot.waitUntil(lambda: trainer.lr == pytest.approx(10.0), timeout=5_000)

    w.apply_fix("gru")  # a new model: a GRU with the same data
    qtbot.waitUntil(lambda: bool(w.summary) and w.summary["model"].startswith("GRU"), timeout=10_000)
    assert w.config.model.arch == "gru" and w.model_panel.config().arch == "gru"
    steps = w.session.steps
    w.step(1)  # the app is still usable
    qtbot.waitUntil(lambda: w.session.steps == steps + 1, timeout=10_000)


def test_a_fix_is_judged_only_on_steps_trained_after_it(qtbot, exploding_window):
    """A batch of refused steps that was in flight when the fix was clicked does not bring the banner
    back; refused steps trained after the fix do."""
    from playground.app import messages as m
    from playground.app.progress import Progress

    w = exploding_window
    w.play()
    qtbot.waitUntil(lambda: w.diagnosis is not None and w.diagnosis.kind in ("nan", "exploding"), timeout=20_000)
    w.pause()
    ctl = w.controller
    names = w.session.layer_names if hasattr(w.session, "layer_names") else ()
    late = Progress(
        steps=np.zeros(0, np.int64), loss=np.zeros(0, np.float32), grad_norm=np.zeros(0, np.float32),
        grad_norm_clipped=np.zeros(0, np.float32), layer_norms=np.zeros((0, len(names)), np.float32),
        layer_names=tuple(names), refused=("the loss is NaN",) * 4,
    )
    blocked: list[bool] = []
    # hold the worker's answers back: the barrier's answer cannot overtake the late batch
    ctl.worker_thread.worker.answer.disconnect(ctl.on_answer)
    try:
        w.apply_fix("clip")
        ctl.on_answer(m.ProgressBatch(w.state.generation, late))  # trained before the fix
        ctl.diagnose(force=True)
        blocked.append(w.diagnosis is None and "Applied: Clip gradients" in w.banner.text())
    finally:
        ctl.worker_thread.worker.answer.connect(ctl.on_answer)
    assert blocked == [True]
    assert w.session.refused == 0
    # the barrier's own answer was lost with the disconnection: a second fix sends a fresh one
    w.apply_fix("lower_lr")
    qtbot.waitUntil(lambda: ctl._barrier == 0, timeout=10_000)
    ctl.on_answer(m.ProgressBatch(w.state.generation, late))  # trained after the fix: it counts
    assert w.session.refused == 4
    assert w.diagnosis is not None and w.diagnosis.kind == "nan"
    assert "Applied" not in w.banner.text()


def test_dismissed_diagnosis_stays_dismissed_for_this_model(qtbot, exploding_window):
    w = exploding_window
    w.play()
    qtbot.waitUntil(lambda: w.diagnosis is not None, timeout=20_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    kind = w.diagnosis.kind
    w.banner.findChildren(type(w.banner.fix_buttons["clip"]))[0].click()  # the close button comes first
    assert not w.banner.isVisible()
    assert kind in w.state.dismissed
    w.state.set_diagnosis(None)
    w.controller.diagnose(force=True)
    assert w.diagnosis is None or w.diagnosis.kind != kind


def test_undo_fix_takes_the_blown_up_weights_back(qtbot, exploding_window):
    import torch

    w = exploding_window
    trainer = w.worker_thread.worker.trainer
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    w.play()
    qtbot.waitUntil(lambda: w.diagnosis is not None and "undo" in w.banner.fix_buttons, timeout=20_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    assert w.session.steps > 0
    w.banner.fix_buttons["undo"].click()
    qtbot.waitUntil(lambda: trainer.steps == 0 and w.session.steps == 0, timeout=5_000)
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_a_blown_up_model_says_so_when_asked_for_text():
    import torch

    from playground.core import inference
    from playground.core.errors import PlaygroundError
    from playground.core.train.trainer import Trainer

    tr = Trainer(
        SessionConfig(
            model=ModelConfig(arch="rnn", hidden=8, embed=4),
            data=DataConfig(kind="text", source="inline", text=TEXT),
            train=TrainConfig(seq_len=16, batch_size=4),
        )
    )
    with torch.no_grad():
        tr.model.head.weight.fill_(float("inf"))
    for ask in (
        lambda: inference.sample(tr.model, tr.task, "the ", 10, 0.8, 0, seed=0),
        lambda: inference.top_next(tr.model, tr.task, "the ", 5),
    ):
        with pytest.raises(PlaygroundError, match="NaN or infinite: its weights have blown up"):
            ask()


def test_a_noisy_loss_with_lucky_batches_is_not_blowing_up():
    rng = np.random.default_rng(0)
    losses = 0.4 + 0.3 * rng.random(3000)  # a series: batch losses between 0.4 and 0.7 ...
    losses[::97] = 0.05  # ... and now and then a lucky batch far below
    assert diagnose(ModelConfig(arch="gru"), TrainConfig(), losses, np.ones(3000)) is None


def test_overfitting_is_said_when_validation_rises_while_training_falls():
    train = np.linspace(3.0, 0.3, 1000)
    val_steps = np.arange(50, 1001, 50)
    val = np.concatenate([np.linspace(2.5, 1.4, 5), np.linspace(1.45, 2.4, 15)])
    d = diagnose(
        ModelConfig(arch="lstm"), TrainConfig(), train, np.ones(1000), val_steps=val_steps, val_losses=val
    )
    assert d.kind == "overfitting" and "best at step 250" in d.message and d.fixes == ("dropout",)
    # still improving on held-out data: nothing to say
    falling = np.linspace(2.5, 1.2, 20)
    assert (
        diagnose(
            ModelConfig(arch="lstm"),
            TrainConfig(),
            train,
            np.ones(1000),
            val_steps=val_steps,
            val_losses=falling,
        )
        is None
    )
    # one noisy validation point above the best is not overfitting
    wobble = falling.copy()
    wobble[-1] = 2.0
    assert (
        diagnose(
            ModelConfig(arch="lstm"),
            TrainConfig(),
            train,
            np.ones(1000),
            val_steps=val_steps,
            val_losses=wobble,
        )
        is None
    )
