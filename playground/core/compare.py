"""Compare mode: several architectures trained side by side on the same data, seed and batches.

One task is built and shared, and every trainer gets the same seed, so each draws the same
sequence of batches: a difference in the curves is a difference between the architectures, not
between their data. Trainers take turns one step at a time, so a stopped comparison is fair
too. No Qt: the window's worker drives ``step_round()`` in short slices.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from playground.core.config import ARCHS, SessionConfig
from playground.core.data import build_task
from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec
from playground.core.trainer import Trainer


@dataclass(frozen=True)
class CompareRow:
    """One architecture's numbers for the results table."""

    arch: str
    name: str  # e.g. "LSTM, 1 layer x 128"
    parameters: int
    steps: int
    train_loss: float  # mean of the last 20 steps' losses
    val_loss: float | None  # the newest validation loss
    steps_per_s: float
    gradient_reach: float | None  # ||dL/dh_0|| / ||dL/dh_T|| of the newest probe (top layer)
    accuracy: float | None = None  # memory and order: held-out accuracy (when finished)


class Comparison:
    """Two to four trainers on one task; ``step_round()`` gives each one optimizer step."""

    def __init__(self, session: SessionConfig, archs: list[str], steps: int):
        archs = list(dict.fromkeys(archs))  # in order, once each
        if not 2 <= len(archs) <= 4:
            raise PlaygroundError(f"choose two to four architectures to compare, not {len(archs)}")
        bad = [a for a in archs if a not in ARCHS]
        if bad:
            raise PlaygroundError(f"unknown architecture {bad[0]!r}: choose from {', '.join(ARCHS)}")
        if steps < 1:
            raise PlaygroundError(f"steps must be at least 1, got {steps}")
        self.session = session
        self.steps = steps
        self.task = build_task(session.data)
        self.trainers: dict[str, Trainer] = {}
        for arch in archs:
            model = dataclasses.replace(session.model, arch=arch)
            if arch not in ("rnn", "mlp"):
                model = dataclasses.replace(model, activation="tanh")
            if arch not in ("rnn", "lstm", "gru") and model.init == "identity":
                model = dataclasses.replace(model, init="default")
            if model.bidirectional and arch not in ("rnn", "lstm", "gru"):
                model = dataclasses.replace(model, bidirectional=False)
            try:
                self.trainers[arch] = Trainer(dataclasses.replace(session, model=model), task=self.task)
            except PlaygroundError as e:
                raise PlaygroundError(f"{arch}: {e}") from None
        self.seconds = dict.fromkeys(self.trainers, 0.0)
        self.probes: dict[str, np.ndarray] = {}  # arch -> newest top-layer ||dL/dh_t||
        self.refused = dict.fromkeys(self.trainers, 0)
        self._accuracy: dict[tuple[str, int], float] = {}

    @property
    def done(self) -> bool:
        return all(t.steps >= self.steps for t in self.trainers.values())

    @property
    def steps_taken(self) -> int:
        return min(t.steps for t in self.trainers.values())

    def step_round(self, probe: bool = False) -> None:
        """One optimizer step for every trainer that has steps left (a probe too, when asked)."""
        for arch, tr in self.trainers.items():
            if tr.steps >= self.steps:
                continue
            t0 = time.perf_counter()
            report = tr.step()
            self.seconds[arch] += time.perf_counter() - t0
            if report.refused:
                self.refused[arch] += 1
                if self.refused[arch] >= 20:
                    raise PlaygroundError(f"{arch}: 20 steps refused (NaN): lower the learning rate or clip")
            if probe:
                self.probe(arch)

    def probe(self, arch: str) -> None:
        self.probes[arch] = self.trainers[arch].probe().grad_norm[-1]

    def accuracy(self, arch: str) -> float | None:
        """Held-out accuracy of one model, for the classification lessons (memory, order); else None."""
        if not self.task.spec.has_accuracy:
            return None
        from playground.core.inference import model_fn

        tr = self.trainers[arch]
        key = (arch, tr.steps)
        if key not in self._accuracy:
            self._accuracy[key] = float(self.task.evaluate(model_fn(tr.model), tr.device)["accuracy"])
        return self._accuracy[key]

    def rows(self, with_accuracy: bool = False) -> list[CompareRow]:
        rows = []
        for arch, tr in self.trainers.items():
            losses = tr.history.losses
            g = self.probes.get(arch)
            reach = None
            if g is not None and len(g) > 1 and g[-1] > 0:
                reach = float(g[0] / g[-1])
            rows.append(
                CompareRow(
                    arch=arch,
                    name=tr.session.model.describe(),
                    parameters=tr.model.n_params(),
                    steps=tr.steps,
                    train_loss=float(np.mean(losses[-20:])) if len(losses) else float("nan"),
                    val_loss=tr.history.val_loss[-1] if tr.history.val_loss else None,
                    steps_per_s=tr.steps / self.seconds[arch] if self.seconds[arch] > 0 else 0.0,
                    gradient_reach=reach,
                    accuracy=self.accuracy(arch) if with_accuracy else None,
                )
            )
        return rows


class GapSweep:
    """The memory lesson: the same comparison at several gaps d, one after another.

    For each d in ``gaps`` a :class:`Comparison` trains every architecture ``steps`` steps on memory
    sequences with that gap; its held-out accuracies make one point per architecture of the
    accuracy-against-d plot.
    """

    def __init__(self, session: SessionConfig, archs: list[str], gaps: list[int], steps: int):
        if not kind_spec(session.data.kind).gap_sweep:
            raise PlaygroundError("the gap sweep is the memory lesson: choose the memory data first")
        gaps = sorted({int(g) for g in gaps})
        if not gaps or gaps[0] < 1:
            raise PlaygroundError("give one or more gaps of at least 1")
        self.session, self.archs, self.gaps, self.steps = session, list(archs), gaps, steps
        self.index = 0
        self.results: dict[str, list[tuple[int, float]]] = {a: [] for a in dict.fromkeys(archs)}
        self.current = self._comparison(gaps[0])

    def _comparison(self, gap: int) -> Comparison:
        data = dataclasses.replace(self.session.data, gap=gap)
        return Comparison(dataclasses.replace(self.session, data=data), self.archs, self.steps)

    @property
    def gap(self) -> int:
        return self.gaps[self.index]

    @property
    def done(self) -> bool:
        return self.index >= len(self.gaps)

    def step_round(self, probe: bool = False) -> None:
        """One round of the current gap's comparison; when it finishes, record and move to the next gap."""
        if self.done:
            return
        self.current.step_round(probe)
        if self.current.done:
            for arch in self.current.trainers:
                acc = self.current.accuracy(arch)
                self.results[arch].append((self.gap, float("nan") if acc is None else acc))
            self.index += 1
            if not self.done:
                self.current = self._comparison(self.gap)
