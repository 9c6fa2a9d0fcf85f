"""Curated starting points: each preset is a whole session (model, data, training) with one line
saying what it shows. The window opens ``default_session()``; ``gui --demo --preset NAME`` and the
lessons open the others. Plain configuration: no Qt, no torch.
"""

from __future__ import annotations

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

DEFAULT_PRESET = "knock-knock"  # the preset named after what a newcomer sees first


def default_session() -> SessionConfig:
    """The first thing a newcomer sees: an LSTM learning knock-knock jokes (answers within a minute)."""
    return SessionConfig(
        model=ModelConfig(arch="lstm", hidden=128),
        data=DataConfig(kind="knock-knock"),
        train=TrainConfig(lr=3e-3, batch_size=32, seq_len=64),
    )


def _spiked_series() -> tuple[float, ...]:
    """A seasonal series with five planted one-point spikes (the anomalies preset), made without numpy."""
    import math
    import random

    rng = random.Random(1)
    values = [100 + 0.05 * i + 8 * math.sin(2 * math.pi * i / 40) + rng.gauss(0, 0.5) for i in range(500)]
    for i, jump in ((90, 6), (170, -6), (260, 6), (340, -6), (470, 6)):
        values[i] += jump
    return tuple(round(v, 3) for v in values)


PRESETS: dict[str, tuple[str, SessionConfig]] = {
    DEFAULT_PRESET: ("An LSTM learning knock-knock jokes", default_session()),
    "text": (
        "A GRU learning to write English, one character at a time",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=128),
            data=DataConfig(kind="text"),
            train=TrainConfig(lr=3e-3, batch_size=32, seq_len=64),
        ),
    ),
    "prices": (
        "A GRU forecasting a trend with seasons and noise",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=64),
            data=DataConfig(kind="prices", source="generator", generator="trend-seasonal", window=24),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
    "vanishing": (
        "A vanilla tanh RNN on long sequences: the gradient through time vanishes",
        SessionConfig(
            model=ModelConfig(arch="rnn", hidden=128, activation="tanh"),
            data=DataConfig(kind="text"),
            train=TrainConfig(lr=1e-3, batch_size=32, seq_len=100),
        ),
    ),
    "exploding": (
        "A vanilla ReLU RNN with identity init, plain SGD and no clipping: the gradient explodes",
        SessionConfig(
            model=ModelConfig(arch="rnn", hidden=128, activation="relu", init="identity"),
            data=DataConfig(kind="text"),
            train=TrainConfig(lr=0.01, optimizer="sgd", clip="off", batch_size=32, seq_len=64),
        ),
    ),
    "anomalies": (
        "A GRU on a seasonal series with five planted spikes: the forecast errors find them",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=32),
            data=DataConfig(kind="prices", source="inline", values=_spiked_series(), window=24),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
    "memory": (
        "The memory lesson: answer with a key seen d steps earlier",
        SessionConfig(
            model=ModelConfig(arch="lstm", hidden=32),
            data=DataConfig(kind="memory", source="generator", gap=20),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
    "order": (
        "The word-order lesson: the same words in another order flip the meaning",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=32),
            data=DataConfig(kind="order", source="generator"),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
}
