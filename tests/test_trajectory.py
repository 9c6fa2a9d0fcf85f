"""Hidden-state trajectories (core/inspect/trajectory.py): the projection is PCA, and it keeps its orientation
between two probes of the same model a step apart (issue 13), whatever SVD's signs and order do."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from playground.core.errors import PlaygroundError
from playground.core.inspect.trajectory import project


def test_the_projection_is_the_first_principal_components():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 6, 80)
    basis = np.linalg.qr(rng.normal(size=(16, 16)))[0][:, :2]
    states = np.stack([3 * np.cos(t), np.sin(t)], axis=1) @ basis.T + 0.01 * rng.normal(size=(80, 16))
    p = project(states)
    assert p.points.shape == (80, 2) and p.components.shape == (2, 16)
    assert np.allclose(np.abs(p.components @ basis), np.eye(2), atol=0.02)
    assert p.explained[0] > p.explained[1] > 0.05 and p.explained.sum() > 0.99
    assert np.allclose(p.points, (states - states.mean(0)) @ p.components.T)


def test_orientation_follows_the_previous_fit_whatever_the_signs_and_order():
    """SVD's signs and the order of two near-equal components are accidents: a new fit takes the
    signs and the order of the previous one, so the picture does not flip or swap between refreshes."""
    rng = np.random.default_rng(1)
    states = rng.normal(size=(60, 8)) * np.array([3.0, 2.9, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1])
    fit = project(states)
    flipped = dataclasses.replace(fit, components=fit.components * [[-1.0], [1.0]])
    again = project(states, previous=flipped)
    assert np.allclose(again.components, flipped.components)
    assert np.allclose(again.points, fit.points * [-1, 1])
    swapped = dataclasses.replace(fit, components=fit.components[[1, 0]], explained=fit.explained[[1, 0]])
    again = project(states, previous=swapped)
    assert np.allclose(again.components, swapped.components) and np.allclose(again.explained, swapped.explained)
    assert np.allclose(again.points, fit.points[:, [1, 0]])
    assert np.allclose(project(states).components, fit.components)  # without a previous fit: the same choice


def test_two_probes_of_a_model_a_step_apart_keep_their_orientation():
    from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
    from playground.core.train.trainer import Trainer

    text = "the cat sat on the mat. the dog ate the log. a bird sang in the tree.\n" * 20
    tr = Trainer(SessionConfig(
        model=ModelConfig(arch="gru", hidden=24, embed=8),
        data=DataConfig(kind="text", source="inline", text=text),
        train=TrainConfig(batch_size=8, seq_len=32, lr=1e-2, device="cpu", val_every=0),
    ))
    for _ in range(30):
        tr.step()
    before = tr.probe()
    tr.step()
    after = tr.probe()
    h0, h1 = _top_states(before), _top_states(after)
    p0 = project(h0)
    p1 = project(h1, previous=p0)
    # a step changes the states a little: the aligned paths stay close, axis by axis
    for j in range(2):
        assert np.corrcoef(p0.points[:, j], p1.points[:, j])[0, 1] > 0.9
    flipped = p0.points * [-1, 1]
    assert np.abs(p1.points - p0.points).mean() < np.abs(p1.points - flipped).mean()


def _top_states(probe) -> np.ndarray:
    return np.asarray(probe.hidden)[-1]  # (T, F): the top layer's state at each step of the probe


def test_bad_states_are_one_line():
    with pytest.raises(PlaygroundError, match="shape"):
        project(np.zeros((1, 4)))
    with pytest.raises(PlaygroundError, match="NaN"):
        project(np.array([[0.0, np.nan], [1.0, 2.0]]))
