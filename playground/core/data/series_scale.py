"""How a series is scaled for the model: the target relative to its last value, other columns z-scored.

Both are fitted on the training part and stored with the model as JSON, so predictions decode to
the same units later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from playground.core.errors import PlaygroundError

# ---------------------------------------------------------------- normalization


@dataclass(frozen=True)
class Normalizer:
    """Windows relative to their last value, divided by ``scale``; the model predicts the scaled change.

    ``scale`` is the RMS of the training part's first differences, so a typical step is about 1.
    Stored with the model as JSON so predictions decode to the same units later.
    """

    scale: float

    @classmethod
    def fit(cls, train_values: np.ndarray) -> Normalizer:
        """The scale from a training series: RMS step size, or 1.0 where that is 0 or undefined."""
        values = np.asarray(train_values, dtype=np.float64)
        if values.size < 2:
            return cls(1.0)
        scale = float(np.sqrt(np.mean(np.diff(values) ** 2)))
        return cls(scale if math.isfinite(scale) and scale > 0 else 1.0)

    def encode_windows(self, windows: np.ndarray) -> np.ndarray:
        """(M, W) raw windows -> (M, W) each relative to its row's last value, over ``scale``."""
        w = np.asarray(windows, dtype=np.float64)
        return (w - w[..., -1:]) / self.scale

    def encode_delta(self, last: np.ndarray | float, target: np.ndarray | float) -> np.ndarray | float:
        """The training target: the change from ``last`` to ``target``, over ``scale``."""
        d = (np.asarray(target, dtype=np.float64) - np.asarray(last, dtype=np.float64)) / self.scale
        return float(d) if d.ndim == 0 else d

    def decode_delta(self, last: np.ndarray | float, delta_rel: Any) -> np.ndarray | float:
        """A predicted scaled change back to raw units: ``last + delta_rel * scale``."""
        if isinstance(delta_rel, torch.Tensor):
            delta_rel = delta_rel.detach().cpu().double().numpy()
        if np.ndim(last) == 0 and np.ndim(delta_rel) == 0:
            return float(last) + float(delta_rel) * self.scale
        return np.asarray(last, dtype=np.float64) + np.asarray(delta_rel, dtype=np.float64) * self.scale

    def to_dict(self) -> dict[str, Any]:
        return {"method": "relative-to-last", "scale": float(self.scale)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalizer:
        """Rebuild from a model file, refusing a missing or unusable scale."""
        if not isinstance(d, dict):
            raise PlaygroundError(f"series normalizer must be a mapping, got {type(d).__name__}")
        method = d.get("method", "relative-to-last")
        if method != "relative-to-last":
            raise PlaygroundError(
                f"unknown series normalization {method!r}: this version reads relative-to-last"
            )
        scale = d.get("scale")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, (int, float))
            or not math.isfinite(scale)
            or scale <= 0
        ):
            raise PlaygroundError(f"series normalizer scale must be a finite number above 0, got {scale!r}")
        return cls(float(scale))


@dataclass(frozen=True)
class InputScale:
    """An input column seen beside the target, as (value - mean) / std of the training part.

    Unlike the target it keeps its level: a volume or a temperature means something by its size.
    """

    name: str
    mean: float
    std: float

    @classmethod
    def fit(cls, name: str, train_values: np.ndarray) -> InputScale:
        v = np.asarray(train_values, dtype=np.float64)
        mean = float(np.mean(v)) if v.size else 0.0
        std = float(np.std(v)) if v.size > 1 else 0.0
        return cls(name, mean, std if math.isfinite(std) and std > 0 else 1.0)

    def encode(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, d: Any) -> InputScale:
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            raise PlaygroundError("series input scale must be a mapping with a column name")
        mean, std = d.get("mean"), d.get("std")
        for what, v in (("mean", mean), ("std", std)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise PlaygroundError(f"series input {what} must be a finite number, got {v!r}")
        if std <= 0:
            raise PlaygroundError(f"series input std must be above 0, got {std!r}")
        return cls(d["name"], float(mean), float(std))
