"""Anomalies in a series: planted spikes are found, the threshold filters, bad thresholds are refused."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data.series import generate
from playground.core.errors import PlaygroundError
from playground.core.inference import evaluate
from playground.core.inspect import anomalies as anomalies_module
from playground.core.inspect.anomalies import anomalies, flag, robust_scale
from playground.core.train.trainer import Trainer

NOISE = 0.5
SPIKES = (90, 210, 330, 450, 570)  # the last one in the held-out tail (split 540)
JUMP = 8 * NOISE  # one point pushed 8 noise levels up or down


def spiked_values() -> tuple[float, ...]:
    """A sine (amplitude 10, period 40) with N(0, 0.5) noise and five one-point spikes, alternately up and down."""
    smooth = generate(
        DataConfig(kind="prices", generator="sine", length=600, amplitude=10, period=40, noise=NOISE, seed=1)
    )
    values = smooth.copy()
    for k, i in enumerate(SPIKES):
        values[i] += JUMP if k % 2 == 0 else -JUMP
    return tuple(float(v) for v in values)


@pytest.fixture(scope="module")
def trained() -> Trainer:
    """A small GRU trained for 300 steps on the spiked series (about 2 s on one CPU thread)."""
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=32, window=16),
        data=DataConfig(kind="prices", source="inline", values=spiked_values(), window=16),
        train=TrainConfig(lr=1e-2, batch_size=64, seed=0, val_every=0, device="cpu"),
    )
    tr = Trainer(session)
    for _ in range(300):
        tr.step()
    return tr


def test_planted_spikes_are_flagged_and_little_else(trained):
    found = anomalies(trained.model, trained.task)
    n, w = len(trained.task.values), trained.task.window
    np.testing.assert_array_equal(found["index"], np.arange(w, n))
    for key in ("predicted", "error", "score"):
        assert found[key].shape == (n - w,) and np.isfinite(found[key]).all()
    assert found["threshold"] == 4.0
    # the usual error is about the noise level: the spikes did not inflate it
    assert NOISE < found["scale"] < 2 * NOISE
    flagged = set(found["flagged"].tolist())
    assert set(SPIKES) <= flagged, (found["flagged"], found["score"][np.array(SPIKES) - w])
    assert len(flagged - set(SPIKES)) <= 3, found["flagged"]
    # each spike is reported once, at itself, even where its echo (the next point) is over the threshold too
    assert not flagged & {i + 1 for i in SPIKES}
    assert set(found["above"].tolist()) >= flagged


def test_predictions_match_evaluate_on_the_held_out_tail(trained, monkeypatch):
    found = anomalies(trained.model, trained.task)
    ev = evaluate(trained.model, trained.task)
    tail = found["index"] >= trained.task.split
    np.testing.assert_array_equal(found["index"][tail], ev["target_index"])
    np.testing.assert_allclose(found["predicted"][tail], ev["predictions"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(found["error"][tail], np.abs(ev["predictions"] - ev["targets"]), atol=1e-6)
    # chunked forward passes give the same answer as one
    monkeypatch.setattr(anomalies_module, "CHUNK", 7)
    chunked = anomalies(trained.model, trained.task)
    np.testing.assert_allclose(chunked["predicted"], found["predicted"], rtol=1e-6, atol=1e-6)


def test_a_higher_threshold_flags_fewer(trained):
    low = anomalies(trained.model, trained.task, 2.5)
    default = anomalies(trained.model, trained.task)
    high = anomalies(trained.model, trained.task, 20.0)
    assert len(low["above"]) > len(default["above"]) > len(high["above"]) == 0
    assert set(default["above"].tolist()) <= set(low["above"].tolist())
    np.testing.assert_array_equal(low["score"], high["score"])  # the threshold only filters


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "four", None, True])
def test_bad_thresholds_are_refused(trained, bad):
    with pytest.raises(PlaygroundError, match="threshold must be a"):
        anomalies(trained.model, trained.task, bad)
    with pytest.raises(PlaygroundError, match="threshold"):
        flag(np.arange(3), np.zeros(3), bad)


def test_other_data_kinds_are_refused():
    with pytest.raises(PlaygroundError, match="number series .* not in text data"):
        anomalies(None, SimpleNamespace(kind="text", vocab=["a", "b"]))


def test_runs_over_the_threshold_count_once_at_their_first_point():
    index = np.arange(10, 20)
    score = np.array([0, 5, 6, 0, 0, 9, 0, 4.5, 4.2, 4.1])
    flagged, above = flag(index, score, 4.0)
    np.testing.assert_array_equal(flagged, [11, 15, 17])
    np.testing.assert_array_equal(above, [11, 12, 15, 17, 18, 19])


def test_robust_scale_ignores_outliers_and_has_a_floor():
    rng = np.random.default_rng(0)
    e = rng.normal(0.3, 2.0, 5000)
    centre, scale = robust_scale(np.concatenate([e, [1e6] * 20]))
    assert abs(centre - 0.3) < 0.15 and abs(scale - 2.0) < 0.1
    assert robust_scale(np.zeros(10), floor=1e-9) == (0.0, 1e-9)
