"""What one batch of training steps sends to the window: :class:`Progress`, small and immutable.

Made in the training thread from the trainer's step reports, read by the window's Session. Plain
numpy and numbers: no Qt, and no torch needed to read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np


if TYPE_CHECKING:
    from playground.core.inspect.probes import Probe
    from playground.core.train.trainer import StepDetail, StepReport


@dataclass(frozen=True)
class Progress:
    """A batch of step summaries, sent from the worker at most ~30 times a second."""

    steps: np.ndarray  # (n,) step numbers
    loss: np.ndarray  # (n,)
    grad_norm: np.ndarray  # (n,) before clipping
    grad_norm_clipped: np.ndarray  # (n,)
    layer_norms: np.ndarray  # (n, n_groups) gradient norm per layer group, before clipping
    layer_names: tuple[str, ...]
    val_steps: tuple[int, ...] = ()
    val_loss: tuple[float, ...] = ()
    probe: Probe | None = None
    probe_step: int = 0
    refused: tuple[str, ...] = ()  # messages of refused steps
    steps_per_s: float = 0.0
    lr: float = 0.0
    detail: StepDetail | None = None  # the last step of a Step press, laid open
    detail_report: StepReport | None = None  # that step's report (its probe and detail dropped)
    undo_steps: tuple[int, ...] | None = None  # steps Undo can go back to (None: unchanged)

    @staticmethod
    def from_reports(reports: list[StepReport], groups: LayerGroups, steps_per_s: float) -> Progress:
        ok = [r for r in reports if not r.refused]
        probe_r = next((r for r in reversed(reports) if r.probe is not None), None)
        detail_r = next((r for r in reversed(reports) if r.detail is not None), None)
        return Progress(
            steps=np.array([r.step for r in ok], np.int64),
            loss=np.array([r.loss for r in ok], np.float32),
            grad_norm=np.array([r.grad_norm for r in ok], np.float32),
            grad_norm_clipped=np.array([r.grad_norm_clipped for r in ok], np.float32),
            layer_norms=(
                np.stack([groups.reduce(r.param_grad_norms) for r in ok]).astype(np.float32)
                if ok
                else np.zeros((0, len(groups.names)), np.float32)
            ),
            layer_names=groups.names,
            val_steps=tuple(r.step for r in reports if r.val_loss is not None),
            val_loss=tuple(float(r.val_loss) for r in reports if r.val_loss is not None),
            probe=probe_r.probe if probe_r else None,
            probe_step=probe_r.step if probe_r else 0,
            refused=tuple(r.message for r in reports if r.refused),
            steps_per_s=steps_per_s,
            lr=reports[-1].lr if reports else 0.0,
            detail=detail_r.detail if detail_r else None,
            detail_report=replace(detail_r, probe=None, detail=None) if detail_r else None,
        )


class LayerGroups:
    """Parameter tensors grouped the way a learner thinks of them: input, each recurrent layer, output."""

    def __init__(self, param_names: tuple[str, ...]):
        keys: list[str] = []
        index: list[int] = []
        for name in param_names:
            key = _group_of(name)
            if key not in keys:
                keys.append(key)
            index.append(keys.index(key))
        self.names = tuple(keys)
        self._index = np.array(index, np.int64)

    def reduce(self, per_param: np.ndarray) -> np.ndarray:
        sq = np.zeros(len(self.names), np.float64)
        np.add.at(sq, self._index, per_param.astype(np.float64) ** 2)
        return np.sqrt(sq)


def _group_of(name: str) -> str:
    if name.startswith(("embed", "in_proj", "pos")):
        return "input"
    if name.startswith(("head", "norm")):
        return "output"
    m = re.search(r"_l(\d+)", name)  # torch RNN names: weight_hh_l0, bias_ih_l1_reverse
    if m:
        return f"layer {int(m.group(1)) + 1}"
    m = re.match(r"core\.(\d+)", name)  # Transformer / feed-forward layers
    if m:
        return f"layer {int(m.group(1)) + 1}"
    return "other"
