"""Training that stops itself: after a number of validations without a better validation loss
(``patience``), or once the validation loss reaches a target. The best weights seen are kept.

``EarlyStop`` reads the reports ``Trainer.step`` returns (a validation loss every ``val_every``
steps). When patience runs out it puts the trainer back to the step of the best validation loss
(weights, optimizer, history and random streams, as Undo does) and says so; a target reached stops
where it is. No Qt; the command line uses it (``train --patience N --stop-at-val-loss X``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.core.errors import PlaygroundError


@dataclass(frozen=True)
class Stopped:
    """Why training stopped itself, and what was kept."""

    by: str  # "patience" or "val_loss"
    step: int  # the step at which the condition held
    best_step: int  # the step whose weights the trainer holds now
    best_val_loss: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"by": self.by, "step": self.step, "best_step": self.best_step, "best_val_loss": self.best_val_loss}


class EarlyStop:
    """Watch the validation losses of ``trainer``'s steps; ``add`` returns a :class:`Stopped` once a
    condition holds (and the trainer holds the weights kept), else None."""

    def __init__(self, trainer: Any, patience: int = 0, at_val_loss: float | None = None) -> None:
        if (patience or at_val_loss is not None) and not trainer.session.train.val_every:
            raise PlaygroundError(
                "stopping by itself needs validation losses, and this model never validates (its validation "
                "interval is 0, as in the lessons' set-ups; on the command line: --val-every N)"
            )
        self.trainer = trainer
        self.patience = int(patience)
        self.at_val_loss = at_val_loss
        self.best: float | None = None
        self.best_step = trainer.steps
        self._best_snapshot = None
        self.since_best = 0  # validations since the best one

    @property
    def active(self) -> bool:
        return bool(self.patience) or self.at_val_loss is not None

    def add(self, report: Any) -> Stopped | None:
        val = report.val_loss
        if not self.active or val is None or val != val:  # no validation this step (or NaN)
            return None
        tr = self.trainer
        if self.best is None or val < self.best:
            self.best, self.best_step, self.since_best = float(val), tr.steps, 0
            if self.patience:  # only patience goes back: a copy of the best so far
                self._best_snapshot = tr.snapshot()
        else:
            self.since_best += 1
        if self.at_val_loss is not None and val <= self.at_val_loss:
            return Stopped(
                "val_loss",
                tr.steps,
                tr.steps,
                float(val),
                f"stopped at step {tr.steps:,}: the validation loss {val:.4f} reached the target "
                f"{self.at_val_loss:g}",
            )
        if self.patience and self.since_best >= self.patience:
            at = tr.steps
            assert self.best is not None and self._best_snapshot is not None
            tr.restore(self._best_snapshot)
            return Stopped(
                "patience",
                at,
                self.best_step,
                self.best,
                f"stopped at step {at:,}: no better validation loss in {self.patience} validations; kept "
                f"the best weights, from step {self.best_step:,} (validation loss {self.best:.4f})",
            )
        return None
