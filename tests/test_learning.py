"""The models learn what the product promises, on the bundled data, on a CPU, in seconds."""

from __future__ import annotations

import time

import pytest

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.train.trainer import Trainer


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru", "transformer", "mlp"])
def test_linear_trend_forecasts_next_value(arch):
    # 10, 11, 12, 13, 14 -> 15: the model sees each window relative to its last value, so "+1" is all it needs.
    session = SessionConfig(
        model=ModelConfig(arch=arch, hidden=16, window=3),
        data=DataConfig(
            kind="prices", source="inline", values=(10, 11, 12, 13, 14), window=3, val_fraction=0.2
        ),
        train=TrainConfig(batch_size=4, lr=1e-2, val_every=0),
    )
    trainer = Trainer(session)
    for _ in range(200):
        trainer.step()
    nxt = inference.forecast(trainer.model, trainer.task, horizon=3)
    assert abs(nxt[0] - 15.0) < 0.5
    assert abs(nxt[2] - 17.0) < 1.5  # fed back twice, still on the line


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_noisy_sine_beats_last_value_baseline(arch):
    session = SessionConfig(
        model=ModelConfig(arch=arch, hidden=32),
        data=DataConfig(
            kind="prices", source="generator", generator="sine", noise=1.0, amplitude=10, window=16
        ),
        train=TrainConfig(batch_size=32, lr=3e-3, val_every=0),
    )
    trainer = Trainer(session)
    for _ in range(300):
        trainer.step()
    ev = inference.evaluate(trainer.model, trainer.task)
    assert ev["mae"] < 0.9 * ev["baseline_mae"], ev
    assert ev["rmse"] < ev["baseline_rmse"]


@pytest.mark.lessons  # about 20 s: the first-run preset's own answer is checked in test_ui_window
def test_knock_knock_answers_whos_there():
    """On the bundled jokes alone (no made-up ones) the model learns them, names included, by heart."""
    session = SessionConfig(
        model=ModelConfig(arch="lstm", hidden=128),
        data=DataConfig(kind="knock-knock", made_up_jokes=0),
        train=TrainConfig(batch_size=32, seq_len=64, lr=3e-3, val_every=0),
    )
    trainer = Trainer(session, device="cpu")
    t0 = time.perf_counter()
    answer = ""
    # Usually learned within 100-200 steps (a few seconds); the brief allows about two minutes.
    while time.perf_counter() - t0 < 120:
        for _ in range(50):
            trainer.step()
        answer = inference.reply(trainer.model, trainer.task, "Knock, knock!")
        if answer == "Who's there?" and trainer.steps >= 300:
            break
    assert answer == "Who's there?"
    # A name from the corpus gets "<name> who?" once the jokes are learned.
    for _ in range(300):
        trainer.step()
    assert (
        inference.reply(trainer.model, trainer.task, "Walter.", ["Knock, knock!", "Who's there?"])
        == "Walter who?"
    )
    assert inference.reply(trainer.model, trainer.task, "Knock, knock!") == "Who's there?"


def test_text_validation_loss_falls_well_below_unigram_entropy():
    session = SessionConfig(
        model=ModelConfig(arch="lstm", hidden=128),
        data=DataConfig(kind="text"),
        train=TrainConfig(batch_size=32, seq_len=64, lr=3e-3, val_every=100, val_batches=8),
    )
    trainer = Trainer(session, device="cpu")
    entropy = trainer.task.unigram_entropy()
    first = trainer.validate()
    for _ in range(300):
        trainer.step()
    val = trainer.validate()
    assert first > entropy  # an untrained model is worse than letter frequencies
    assert val < 0.8 * entropy, (val, entropy)
    # ...and it writes words it has seen, not noise.
    text = inference.sample(trainer.model, trainer.task, "The ", length=200, temperature=0.5, seed=1)
    assert text.count(" the ") + text.count(" and ") >= 2, text
