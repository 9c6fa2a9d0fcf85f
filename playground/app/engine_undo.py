"""The engine's ways back: Undo, the roll-back to the last sane loss, and the rescue from NaN weights.

Three kinds of earlier state are kept while the model trains, each for its own way back:

* the undo ring (``Engine.ring``, core/train/trainer.py's UndoRing): one state per stepped step and one per
  Play, exact to the bit, which Undo pops;
* :class:`Rescues`: a few healthy copies taken every couple of seconds of Play, with the loss the weights
  had then. Weights that went NaN go back to the newest (:func:`roll_back_nan`); a fix for a blow-up
  (clipping, a lower learning rate) goes back to the newest whose loss was near the best seen
  (:func:`roll_back_sane`), so that the fix is not tried on weights that have already blown up;
* the best validation's weights, which the stop rule's patience goes back to (``Engine.check_stop``).

Going back forgets what the checks counted on the steps after it (:func:`forget_steps_after`) and answers
``Undone`` with the steps the ring still holds. Each runs between training slices (the engine dispatches
here), in the main model's own random stream, so that training on after it is what it was then.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from playground.app import messages as m

if TYPE_CHECKING:
    from playground.app.engine import Engine
    from playground.app.jobs import RandomState
    from playground.core.train.trainer import Trainer, TrainerSnapshot

RESCUE_KEEP = 6  # healthy copies kept for "roll back to the last sane loss"
SANE_FACTOR = 1.5  # a kept state is sane when its loss is at most this times the best loss seen


class Rescues:
    """The healthy copies kept for a rescue: (state, the loss its weights had just reached; None before the
    first step), newest last, at most ``keep``; ``t`` is when the newest was taken."""

    def __init__(self, keep: int = RESCUE_KEEP):
        self.kept: deque[tuple[TrainerSnapshot, float | None]] = deque(maxlen=keep)
        self.t = 0.0

    def __len__(self) -> int:
        return len(self.kept)

    def clear(self) -> None:
        self.kept.clear()
        self.t = 0.0

    def keep(self, trainer: Trainer, random: RandomState, now: float) -> None:
        """A copy of ``trainer`` as it is, taken in its own random stream (``random``) at time ``now``."""
        losses = trainer.history.losses
        loss = float(np.median(losses[-10:])) if len(losses) else None
        with random.active():
            snap = trainer.snapshot()
        self.kept.append((snap, loss))
        self.t = now

    def newest(self) -> TrainerSnapshot | None:
        return self.kept[-1][0] if self.kept else None

    def sane(self) -> TrainerSnapshot | None:
        """The newest copy whose loss was finite and near the best loss seen (before a blow-up); a copy taken
        before the first step is sane."""
        finite = [loss for _, loss in self.kept if loss is not None and np.isfinite(loss)]
        best = min(finite) if finite else float("inf")
        for snap, loss in reversed(self.kept):
            if loss is None or (np.isfinite(loss) and loss <= SANE_FACTOR * best + 1e-9):
                return snap
        return None


def undo_steps(e: Engine) -> tuple[int, ...]:
    """The steps Undo can go back to, oldest first."""
    return () if e.undo_ring is None else tuple(e.undo_ring.steps())


def forget_steps_after(e: Engine, step: int) -> None:
    """Training went back to ``step``: the steps after it, and the refusals, are no longer the model's."""
    kept = [g for g in e.recent_grads if g[0] <= step]
    e.recent_grads.clear()
    e.recent_grads.extend(kept)
    e.refused_steps = [s for s in e.refused_steps if s <= step]
    e.watch_stop()  # the best validation so far may be one of the steps forgotten


def undo(e: Engine, n: int) -> None:
    """Go back ``n`` entries of the undo ring: weights and optimizer exact, the settings on screen kept."""
    e.pause_training()
    tr = e.trainer
    if tr is None or n < 1:
        return
    step = None
    with e.main_random.active(), e.recording_why("undo"):  # the snapshot's random state becomes the model's
        for _ in range(n):
            back = e.ring.pop(tr, keep_live_settings=True)
            if back is None:
                break
            step = back
    if step is None:
        e.fail("nothing to undo: Step or Play first")
        return
    forget_steps_after(e, step)
    e.answer(m.Undone(e.generation, step, undo_steps(e)))
    e.probe_now()


def roll_back_nan(e: Engine) -> None:
    """The weights themselves went NaN or infinite: go back to the last healthy copy."""
    tr = e.live
    snap = e.rescues.newest()
    if snap is None:
        e.flush(force=True)
        e.fail("the weights became NaN and there is no earlier healthy state to go back to: Reset")
        return
    with e.main_random.active(), e.recording_why("nan rescue"):
        tr.restore(snap, keep_live_settings=True)
    e.flush(force=True)  # (the blow-up happened under these settings: the checks still count it)
    e.answer(m.Undone(e.generation, tr.steps, undo_steps(e), rescued=True))


def roll_back_sane(e: Engine, say_if_none: bool = False) -> None:
    """Before a fix (clipping, a lower learning rate) is tried: back to the last sane state, so the fix is
    not applied to weights that have already blown up. ``say_if_none``: say so when none was kept."""
    e.pause_training()
    tr = e.trainer
    if tr is None:
        return
    snap = e.rescues.sane()
    if snap is None or snap.step >= tr.steps:
        if say_if_none:
            e.fail("no earlier state with a sane loss was kept: Reset for a fresh model")
        return
    with e.main_random.active(), e.recording_why("roll back"):
        tr.restore(snap, keep_live_settings=True)
    e.ring.clear()
    e.refused_run = 0
    forget_steps_after(e, tr.steps)
    e.answer(m.Undone(e.generation, tr.steps, undo_steps(e), rescued=False))
    e.probe_now()
