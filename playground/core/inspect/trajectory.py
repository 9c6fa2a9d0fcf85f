"""Hidden-state trajectories: the probe sequence's hidden states (T, H) projected on their first two
principal components (numpy SVD), so that the path a network's state takes through its space can be
drawn in 2D, one point per time step.

A principal component's sign is arbitrary, and two components of almost the same variance can swap
places between two fits; a time-lapse over training would then flip and jump. ``project`` therefore
aligns each new fit with the previous one: it pairs the new components with the previous ones by the
largest |cosine| and turns a component round when it points against its partner. What stays is the
shape, not the accident of the fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

from playground.core.errors import PlaygroundError


@dataclass(frozen=True)
class Projection:
    points: np.ndarray  # (T, k): each time step's state on the components
    components: np.ndarray  # (k, H): unit vectors in the hidden space, the axes of ``points``
    mean: np.ndarray  # (H,): the states' mean, subtracted before projecting
    explained: np.ndarray  # (k,): share of the states' variance along each component


def project(states: np.ndarray, previous: Projection | None = None, k: int = 2) -> Projection:
    """Project ``states`` (T, H) on their first ``k`` principal components, aligned with ``previous``
    (a projection of the same model's states, e.g. a probe taken a few steps earlier) when given."""
    x = np.asarray(states, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise PlaygroundError(f"a trajectory needs hidden states of shape (steps >= 2, units), got {x.shape}")
    if not np.isfinite(x).all():
        raise PlaygroundError("the hidden states hold NaN or infinite values: there is no trajectory to draw")
    mean = x.mean(axis=0)
    centred = x - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(k, vt.shape[0])
    comps = vt[:k].copy()
    var = s**2
    explained = var[:k] / var.sum() if var.sum() > 0 else np.zeros(k)
    if previous is not None and previous.components.shape == comps.shape:
        comps, explained = _align(comps, explained, previous.components)
    else:  # a first fit: the largest loading of each component positive (a fixed, documented choice)
        for i, c in enumerate(comps):
            if c[np.argmax(np.abs(c))] < 0:
                comps[i] = -c
    return Projection(centred @ comps.T, comps, mean, explained)


def _align(comps: np.ndarray, explained: np.ndarray, prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorder and turn round ``comps`` (k, H) to follow ``prev`` (k, H) as closely as they can."""
    cos = comps @ prev.T  # (k new, k previous)
    k = len(comps)
    best = max(permutations(range(k)), key=lambda order: sum(abs(cos[order[j], j]) for j in range(k)))
    out = np.stack([comps[best[j]] * (1.0 if cos[best[j], j] >= 0 else -1.0) for j in range(k)])
    return out, explained[list(best)]
