"""Training that stops itself, in the window (issue 30): the Training panel's "Stop after N
validations" pauses Play once the validation loss has not improved for N validations and brings back
the best validation's weights, as Undo does; "Stop at val. loss" pauses at the first validation that
low. Both said in the banner. Thread mode: the test reads the model in training directly."""

from __future__ import annotations

from window_helpers import answer_is

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30


def plateau(val_every: int = 10) -> SessionConfig:
    """A short pasted text learned by heart: its held-out part stops improving within a few hundred steps."""
    return SessionConfig(
        model=ModelConfig(arch="lstm", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=16, seq_len=32, lr=0.03, val_every=val_every),
    )


def test_patience_pauses_play_and_brings_back_the_best_weights(qtbot, open_window):
    w = open_window(plateau())
    trainer = w.worker_thread.worker.trainer
    w.controls.patience.setValue(3)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.TrainingStopped), timeout=120_000) as got:
        w.play()
    stopped = got.args[0]
    qtbot.waitUntil(lambda: w.state.play == "paused" and w.session.steps == stopped.best_step, timeout=10_000)
    assert stopped.by == "patience" and stopped.step == stopped.best_step + 30, stopped
    assert trainer.steps == stopped.best_step  # the best validation's weights, in the model
    vals = list(trainer.history.val_loss)
    assert vals and min(vals) == vals[-1] == stopped.best_val_loss
    banner = w.banner.text()
    assert banner.startswith(f"Training stopped at step {stopped.step:,}") and "kept the best weights" in banner
    assert all(s <= stopped.best_step for s in w.state.undo_steps)  # Undo never goes forward past it
    w.step(2)  # and it trains on from there
    qtbot.waitUntil(lambda: w.session.steps == stopped.best_step + 2 and w.state.play == "paused", timeout=10_000)


def test_a_target_validation_loss_pauses_where_it_is_reached(qtbot, open_window):
    w = open_window(plateau())
    trainer = w.worker_thread.worker.trainer
    w.controls.stop_loss.setValue(0.5)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.TrainingStopped), timeout=120_000) as got:
        w.play()
    stopped = got.args[0]
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    assert stopped.by == "val_loss" and stopped.best_val_loss <= 0.5 and stopped.step % 10 == 0, stopped
    assert trainer.steps == stopped.step == w.session.steps
    assert all(v > 0.5 for v in trainer.history.val_loss[:-1])  # the first validation that low
    assert "reached the target 0.5" in w.banner.text()


def test_a_model_that_never_validates_says_why_it_cannot_stop_itself(qtbot, open_window):
    w = open_window(plateau(val_every=0))
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Failed), timeout=10_000):
        w.controls.patience.setValue(3)
    assert "never validates" in w.banner.text()
    w.step(5)  # training goes on as before
    qtbot.waitUntil(lambda: w.session.steps == 5 and w.state.play == "paused", timeout=10_000)
