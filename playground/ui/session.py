"""What the window shows, kept in bounded numpy buffers on the GUI side.

The worker thread sends small batches of step summaries; :class:`Session`
appends them here (cheap numpy writes, no painting). Plots read the buffers
as new data arrives, at most 25 times a second, whatever the training speed. The
buffers are bounded: when one fills up, every other point is dropped, so a run
of any length costs the same memory and the same time to draw.

No Qt in this module: it is plain data, testable without a window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from playground.app.progress import Progress

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

if TYPE_CHECKING:  # plain data here: no torch needed to show a window
    from playground.core.inspect.probes import Probe
    from playground.core.train.trainer import StepDetail, StepReport

MAX_POINTS = 20_000  # per curve; beyond this older points are thinned by half
PROBE_TRAIL = 12  # earlier gradient-through-time curves drawn faded behind the newest
GRAD_HISTORY = 400  # rows of the training-step x time-step gradient heatmap
TRAJECTORIES = 100  # top-layer hidden states of the probes kept for the trajectory scrub (thinned by half)


class Curve:
    """A growing (x, y) series that thins itself by half when full."""

    def __init__(self, capacity: int = MAX_POINTS, width: int = 1):
        self.capacity = capacity
        self.width = width
        self.x: np.ndarray | None = None  # made with the first points (the window paints before numpy loads)
        self.y: np.ndarray | None = None
        self.n = 0

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        if len(x) == 0:
            return
        y = y.reshape(len(x), -1)
        if self.x is None or self.y is None or y.shape[1] != self.y.shape[1]:
            if self.x is None:
                self.x = np.zeros(self.capacity, np.int64)
            self.y = np.zeros((self.capacity, y.shape[1]), np.float32)
            self.width, self.n = y.shape[1], 0
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
        if self.x is None or self.y is None:
            return np.zeros(0, np.int64), np.zeros((0, self.width), np.float32)
        return self.x[: self.n], self.y[: self.n]

    def clear(self) -> None:
        self.n = 0

    def truncate(self, last_x: int) -> None:
        """Forget every point after ``last_x`` (x only grows, so that is a tail)."""
        if self.x is not None:
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
    # (step, the probe's labels, top layer's hidden states (T, F) float32) per probe of one probe text
    trajectories: list = field(default_factory=list)
    steps: int = 0
    steps_per_s: float = 0.0
    lr: float = 0.0
    refused: int = 0
    last_refusal: str = ""
    last_refusal_step: int = 0  # the step count when the newest refused step came
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
            self._keep_trajectory(p.probe_step, p.probe)
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
            self.last_refusal_step = self.steps
        self.steps_per_s = p.steps_per_s
        self.lr = p.lr
        self.version += 1

    def _keep_trajectory(self, step: int, probe: Probe) -> None:
        """The probe's top-layer states, for the trajectory scrub; a new probe text starts it again."""
        hidden = np.asarray(probe.hidden)
        if hidden.ndim != 3 or hidden.shape[1] < 2:
            return
        kept = self.trajectories
        if kept and (kept[-1][1] != tuple(probe.labels) or kept[-1][2].shape != hidden.shape[1:]):
            kept.clear()
        if kept and kept[-1][0] == step:
            kept.pop()
        if len(kept) >= TRAJECTORIES:
            del kept[1:-1:2]  # every other one, the first and the newest kept
        kept.append((step, tuple(probe.labels), hidden[-1].astype(np.float32)))

    @property
    def steps_since_refusal(self) -> int | None:
        """Accepted steps since the newest refused one (None: none refused)."""
        return self.steps - self.last_refusal_step if self.refused else None

    def truncate(self, step: int) -> None:
        """Go back to ``step`` (after Undo): every curve and kept probe ends there."""
        for curve in (self.loss, self.val, self.grad, self.layers):
            curve.truncate(step)
        self.grad_history = [(s, g) for s, g in self.grad_history if s <= step]
        self.trajectories = [t for t in self.trajectories if t[0] <= step]
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
