"""A trainer's state between two steps, and the ring of them Undo goes back through (no UI).

``Trainer.snapshot()`` takes a :class:`TrainerSnapshot` (weights, optimizer state, losses, the batch
and dropout generators, the live settings), every tensor cloned to the CPU; ``Trainer.restore()``
puts it back, bit for bit. :class:`UndoRing` keeps the newest few.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from playground.core.config import SessionConfig
from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.core.train.trainer import Trainer

__all__ = ["TrainerSnapshot", "UndoRing", "clone_tensors"]


def clone_tensors(tree: Any, device: torch.device | None) -> Any:
    """A deep copy of a (nested dict/list) optimizer state whose tensors are fresh clones."""
    if isinstance(tree, torch.Tensor):
        t = tree.detach()
        return t.to(device, copy=True) if device is not None else t.clone()
    if isinstance(tree, dict):
        return {k: clone_tensors(v, device) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(clone_tensors(v, device) for v in tree)
    return copy.deepcopy(tree)


@dataclass(frozen=True)
class TrainerSnapshot:
    """A trainer's state between two steps, on the CPU: what undo goes back to."""

    step: int
    param_names: tuple[str, ...]
    weights: dict[str, torch.Tensor]  # the model's state_dict, cloned
    optimizer: dict[str, Any]  # the optimizer's state_dict, every tensor cloned
    optimizer_kind: str  # its class name: a snapshot only fits an optimizer of the same kind
    train_loss: np.ndarray
    val_steps: tuple[int, ...]
    val_loss: tuple[float, ...]
    batch_rng: torch.Tensor  # the batch generator: the same batches come again
    torch_rng: torch.Tensor  # torch's global CPU generator: the same dropout masks
    device_rng: torch.Tensor | None  # CUDA's (or MPS's) generator, when training there
    session: SessionConfig  # the live settings (learning rate, clipping, ...) at that step
    moment: int = -1  # the trainer's moment when it was taken (Trainer.moment; a session's rewinds name it)

    @property
    def nbytes(self) -> int:
        """Memory held by the tensors of this snapshot."""
        tensors = [*self.weights.values()]

        def walk(v: Any) -> None:
            if isinstance(v, torch.Tensor):
                tensors.append(v)
            elif isinstance(v, dict):
                for w in v.values():
                    walk(w)
            elif isinstance(v, (list, tuple)):
                for w in v:
                    walk(w)

        walk(self.optimizer)
        return sum(t.numel() * t.element_size() for t in tensors) + self.train_loss.nbytes


class UndoRing:
    """The last ``depth`` snapshots of a trainer, newest last; older ones fall off the end."""

    def __init__(self, depth: int = 20) -> None:
        if depth < 1:
            raise PlaygroundError(f"undo depth must be at least 1, got {depth}")
        self.depth = depth
        self._snaps: deque[TrainerSnapshot] = deque(maxlen=depth)

    def push(self, trainer: Trainer) -> None:
        """Remember the trainer as it is now (call before the step that may be undone)."""
        self._snaps.append(trainer.snapshot())

    def pop(self, trainer: Trainer, keep_live_settings: bool = False) -> int | None:
        """Restore the newest snapshot and forget it; the step it went back to, or None if empty."""
        if not self._snaps:
            return None
        snap = self._snaps.pop()
        trainer.restore(snap, keep_live_settings)
        return snap.step

    def steps(self) -> list[int]:
        """The step numbers undo can go back to, newest last."""
        return [s.step for s in self._snaps]

    def clear(self) -> None:
        self._snaps.clear()

    def forget_after(self, step: int) -> None:
        """Drop the snapshots of steps after ``step`` (training went back there by another path)."""
        kept = [s for s in self._snaps if s.step <= step]
        self._snaps.clear()
        self._snaps.extend(kept)

    def __len__(self) -> int:
        return len(self._snaps)
