"""What the window shows, kept in bounded numpy buffers on the GUI side.

The worker thread sends small batches of step summaries; :class:`Session`
appends them here (cheap numpy writes, no painting). Plots read the buffers
from a timer, at most ~30 times a second, whatever the training speed. The
buffers are bounded: when one fills up, every other point is dropped, so a run
of any length costs the same memory and the same time to draw.

No Qt in this module: it is plain data, testable without a window.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # plain data here: no torch needed to show a window
    from playground.core.probes import Probe
    from playground.core.trainer import StepDetail, StepReport

MAX_POINTS = 20_000  # per curve; beyond this older points are thinned by half
PROBE_TRAIL = 12  # earlier gradient-through-time curves drawn faded behind the newest
GRAD_HISTORY = 400  # rows of the training-step x time-step gradient heatmap


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


class Curve:
    """A growing (x, y) series that thins itself by half when full."""

    def __init__(self, capacity: int = MAX_POINTS, width: int = 1):
        self.capacity = capacity
        self.x = np.zeros(capacity, np.int64)
        self.y = np.zeros((capacity, width), np.float32)
        self.n = 0

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        if len(x) == 0:
            return
        y = y.reshape(len(x), -1)
        if y.shape[1] != self.y.shape[1]:
            self.y = np.zeros((self.capacity, y.shape[1]), np.float32)
            self.n = 0
        while self.n + len(x) > self.capacity:
            keep = self.n // 2
            self.x[:keep] = self.x[: self.n : 2][:keep]
            self.y[:keep] = self.y[: self.n : 2][:keep]
            self.n = keep
            if len(x) > self.capacity // 2:
                x, y = x[-self.capacity // 2 :], y[-self.capacity // 2 :]
        self.x[self.n : self.n + len(x)] = x
        self.y[self.n : self.n + len(x)] = y
        self.n += len(x)

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]

    def clear(self) -> None:
        self.n = 0

    def truncate(self, last_x: int) -> None:
        """Forget every point after ``last_x`` (x only grows, so that is a tail)."""
        self.n = int(np.searchsorted(self.x[: self.n], last_x, side="right"))


@dataclass
class Session:
    """Everything the plots draw; one per model. ``version`` changes whenever something new arrives."""

    loss: Curve = field(default_factory=Curve)
    val: Curve = field(default_factory=lambda: Curve(4096))
    grad: Curve = field(default_factory=lambda: Curve(width=2))  # before, after clipping
    layers: Curve = field(default_factory=lambda: Curve(width=1))
    layer_names: tuple[str, ...] = ()
    probe: Probe | None = None
    probe_step: int = 0
    probe_trail: deque = field(default_factory=lambda: deque(maxlen=PROBE_TRAIL))  # (step, grad_norm (L, T))
    # (step, top layer ||dL/dh_t|| (T,)) per probe; thinned by half when full, so the start stays
    grad_history: list = field(default_factory=list)
    steps: int = 0
    steps_per_s: float = 0.0
    lr: float = 0.0
    refused: int = 0
    last_refusal: str = ""
    detail: StepDetail | None = None
    detail_report: StepReport | None = None
    detail_version: int = 0  # changes when a new step detail arrives (the step debugger redraws then)
    undo_steps: tuple[int, ...] = ()
    version: int = 0  # changes whenever anything arrives
    probe_version: int = 0  # changes only when a new probe arrives (the probe plots redraw then)

    def add(self, p: Progress) -> None:
        self.loss.extend(p.steps, p.loss)
        self.grad.extend(p.steps, np.stack([p.grad_norm, p.grad_norm_clipped], axis=1))
        if p.layer_names != self.layer_names:
            self.layers = Curve(width=len(p.layer_names))
            self.layer_names = p.layer_names
        self.layers.extend(p.steps, p.layer_norms)
        if p.val_steps:
            self.val.extend(np.array(p.val_steps, np.int64), np.array(p.val_loss, np.float32))
        if p.probe is not None:
            self.probe, self.probe_step = p.probe, p.probe_step
            self.probe_trail.append((p.probe_step, p.probe.grad_norm))
            if self.grad_history and self.grad_history[-1][0] == p.probe_step:
                self.grad_history.pop()  # the same step probed again (a new probe text): keep the newest
            if len(self.grad_history) >= GRAD_HISTORY:
                self.grad_history = self.grad_history[::2]
            self.grad_history.append((p.probe_step, p.probe.grad_norm[-1]))
            self.probe_version += 1
        if p.detail is not None:
            self.detail, self.detail_report = p.detail, p.detail_report
            self.detail_version += 1
        if p.undo_steps is not None:
            self.undo_steps = p.undo_steps
        if len(p.steps):
            self.steps = int(p.steps[-1])
        self.refused += len(p.refused)
        if p.refused:
            self.last_refusal = p.refused[-1]
        self.steps_per_s = p.steps_per_s
        self.lr = p.lr
        self.version += 1

    def truncate(self, step: int) -> None:
        """Go back to ``step`` (after Undo): every curve and kept probe ends there."""
        for curve in (self.loss, self.val, self.grad, self.layers):
            curve.truncate(step)
        self.grad_history = [(s, g) for s, g in self.grad_history if s <= step]
        kept = [(s, g) for s, g in self.probe_trail if s <= step]
        self.probe_trail.clear()
        self.probe_trail.extend(kept)
        self.steps = step
        self.version += 1

    def load_history(self, train_loss: np.ndarray, val_steps: list[int], val_loss: list[float]) -> None:
        """Restore curves from a model file (gradients are not stored, only the losses)."""
        self.loss.extend(
            np.arange(1, len(train_loss) + 1, dtype=np.int64), np.asarray(train_loss, np.float32)
        )
        if val_steps:
            self.val.extend(np.array(val_steps, np.int64), np.array(val_loss, np.float32))
        self.steps = len(train_loss)
        self.version += 1
