"""Compare mode: several architectures trained side by side on the same data, seeds and batches.

One task is built and shared. Every architecture is trained once per seed s0, s0 + 1, ... (s0 the
session's seed); all runs of one seed draw the same sequence of batches, so within a seed a
difference in the curves is a difference between the architectures, not between their data, and
across seeds the spread shows how much of it is luck (the initial weights, the batches drawn).
Trainers take turns one step at a time, so a stopped comparison is fair too. No Qt: the window's
worker drives ``step_round()`` in short slices.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from playground.core.config import ARCHS, MAX_SEED, ModelConfig, SessionConfig
from playground.core.data import build_task
from playground.core.errors import PlaygroundError
from playground.core.inspect.reports import CompareRow
from playground.core.kinds import kind_spec
from playground.core.train.trainer import Trainer

MAX_SEEDS = 5  # runs per architecture a comparison offers
FIGURES = ("train_loss", "val_loss", "accuracy", "steps_per_s", "gradient_reach")


def _mean(values: list[float]) -> float | None:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def _geometric_mean(values: list[float]) -> float | None:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    return float(np.exp(np.log(v).mean())) if v.size else None


def _model_for(model: ModelConfig, arch: str) -> ModelConfig:
    """The session's model settings for another architecture (what it cannot take, left out)."""
    model = dataclasses.replace(model, arch=arch)
    if arch not in ("rnn", "mlp"):
        model = dataclasses.replace(model, activation="tanh")
    if arch not in ("rnn", "lstm", "gru") and model.init == "identity":
        model = dataclasses.replace(model, init="default")
    if model.bidirectional and arch not in ("rnn", "lstm", "gru"):
        model = dataclasses.replace(model, bidirectional=False)
    return model


class Comparison:
    """Two to four architectures, ``seeds`` runs each, on one task; ``step_round()`` gives every
    run one optimizer step. ``trainers`` holds each architecture's first seed's run (the one a user
    continues with); ``runs`` every run, by architecture and seed."""

    def __init__(self, session: SessionConfig, archs: list[str], steps: int, seeds: int = 1):
        archs = list(dict.fromkeys(archs))  # in order, once each
        if not 2 <= len(archs) <= 4:
            raise PlaygroundError(f"choose two to four architectures to compare, not {len(archs)}")
        bad = [a for a in archs if a not in ARCHS]
        if bad:
            raise PlaygroundError(f"unknown architecture {bad[0]!r}: choose from {', '.join(ARCHS)}")
        if steps < 1:
            raise PlaygroundError(f"steps must be at least 1, got {steps}")
        if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
            raise PlaygroundError(f"seeds per architecture must be 1 to {MAX_SEEDS}, got {seeds!r}")
        s0 = session.train.seed
        if s0 + seeds - 1 > MAX_SEED:
            raise PlaygroundError(f"seeds {s0} to {s0 + seeds - 1} run past the largest seed: lower the seed")
        self.session = session
        self.steps = steps
        self.seeds = tuple(range(s0, s0 + seeds))
        self.task = build_task(session.data)
        self.runs: dict[str, dict[int, Trainer]] = {}
        for arch in archs:
            model = _model_for(session.model, arch)
            self.runs[arch] = {}
            for seed in self.seeds:
                train = dataclasses.replace(session.train, seed=seed)
                try:
                    tr = Trainer(dataclasses.replace(session, model=model, train=train), task=self.task)
                except PlaygroundError as e:
                    raise PlaygroundError(f"{arch}: {e}") from None
                self.runs[arch][seed] = tr
        self.trainers: dict[str, Trainer] = {a: runs[self.seeds[0]] for a, runs in self.runs.items()}
        keys = [(a, s) for a in self.runs for s in self.seeds]
        self.seconds = dict.fromkeys(keys, 0.0)
        self.probes: dict[tuple[str, int], np.ndarray] = {}  # (arch, seed) -> newest top-layer ||dL/dh_t||
        self.refused = dict.fromkeys(keys, 0)
        self._evaluated: dict[tuple[str, int, int], dict] = {}

    @property
    def done(self) -> bool:
        return all(tr.steps >= self.steps for runs in self.runs.values() for tr in runs.values())

    @property
    def steps_taken(self) -> int:
        return min(tr.steps for runs in self.runs.values() for tr in runs.values())

    def step_round(self, probe: bool = False) -> None:
        """One optimizer step for every run that has steps left (a probe too, when asked): seed by
        seed, every architecture in turn."""
        for seed in self.seeds:
            for arch, runs in self.runs.items():
                tr = runs[seed]
                if tr.steps >= self.steps:
                    continue
                t0 = time.perf_counter()
                report = tr.step()
                self.seconds[arch, seed] += time.perf_counter() - t0
                if report.refused:
                    self.refused[arch, seed] += 1
                    if self.refused[arch, seed] >= 20:
                        raise PlaygroundError(
                            f"{arch} (seed {seed}): 20 steps refused (NaN): lower the learning rate or clip"
                        )
                if probe:
                    self.probe(arch, seed)

    def probe(self, arch: str, seed: int | None = None) -> None:
        """The newest gradient through time of one run (every seed's when ``seed`` is None)."""
        for s in self.seeds if seed is None else (seed,):
            self.probes[arch, s] = self.runs[arch][s].probe().grad_norm[-1]

    def probe_curve(self, arch: str) -> np.ndarray | None:
        """The architecture's newest ||dL/dh_t|| curve: the geometric mean over its probed seeds
        (NaN where a seed's is zero: a step the loss does not reach)."""
        curves = [self.probes[arch, s] for s in self.seeds if (arch, s) in self.probes]
        if not curves:
            return None
        n = min(len(c) for c in curves)
        stack = np.stack([np.asarray(c[:n], np.float64) for c in curves])
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(stack > 0, np.log(np.where(stack > 0, stack, 1.0)), np.nan)
        return np.exp(logs.mean(axis=0))

    def evaluation(self, arch: str, seed: int | None = None) -> dict | None:
        """Held-out results (accuracy, predictions, targets) of one run, for the classification
        lessons (memory, order); None for other data. Cached per step."""
        if not self.task.spec.has_accuracy:
            return None
        from playground.core.inference import model_fn

        seed = self.seeds[0] if seed is None else seed
        tr = self.runs[arch][seed]
        key = (arch, seed, tr.steps)
        if key not in self._evaluated:
            self._evaluated[key] = self.task.evaluate(model_fn(tr.model), tr.device)
        return self._evaluated[key]

    def accuracy(self, arch: str, seed: int | None = None) -> float | None:
        """Held-out accuracy of one run (the first seed's by default); None where the data has none."""
        found = self.evaluation(arch, seed)
        return None if found is None else float(found["accuracy"])

    def accuracies(self, arch: str) -> tuple[float, ...]:
        """Every seed's held-out accuracy (NaN where the data has none)."""
        return tuple(float("nan") if (a := self.accuracy(arch, s)) is None else a for s in self.seeds)

    def rows(self, with_accuracy: bool = False) -> list[CompareRow]:
        rows = []
        for arch, runs in self.runs.items():
            per: dict[str, list[float]] = {f: [] for f in FIGURES}
            for seed, tr in runs.items():
                losses = tr.history.losses
                per["train_loss"].append(float(np.mean(losses[-20:])) if len(losses) else float("nan"))
                per["val_loss"].append(tr.history.val_loss[-1] if tr.history.val_loss else float("nan"))
                seconds = self.seconds[arch, seed]
                per["steps_per_s"].append(tr.steps / seconds if seconds > 0 else 0.0)
                g = self.probes.get((arch, seed))
                reach = float(g[0] / g[-1]) if g is not None and len(g) > 1 and g[-1] > 0 else float("nan")
                per["gradient_reach"].append(reach)
                acc = self.accuracy(arch, seed) if with_accuracy else None
                per["accuracy"].append(float("nan") if acc is None else acc)
            first = self.trainers[arch]
            train_loss = _mean(per["train_loss"])
            rows.append(
                CompareRow(
                    arch=arch,
                    name=first.session.model.describe(),
                    parameters=first.model.n_params(),
                    steps=min(tr.steps for tr in runs.values()),
                    train_loss=float("nan") if train_loss is None else train_loss,
                    val_loss=_mean(per["val_loss"]),
                    steps_per_s=_mean(per["steps_per_s"]) or 0.0,
                    gradient_reach=_geometric_mean(per["gradient_reach"]),
                    accuracy=_mean(per["accuracy"]),
                    seeds=self.seeds,
                    per_seed={f: tuple(v) for f, v in per.items()},
                )
            )
        return rows

    def failing(self, arch: str, seed: int | None = None) -> tuple[np.ndarray, dict] | None:
        """The held-out examples one run answers wrong (their indices) and its evaluation; None where
        the data has no accuracy."""
        found = self.evaluation(arch, seed)
        if found is None:
            return None
        return np.flatnonzero(found["predictions"] != found["targets"]), found

    def keep_first_seed(self) -> None:
        """Forget every run but the first seed's (a finished gap of a sweep: its points are recorded)."""
        self.seeds = self.seeds[:1]
        self.runs = {a: {self.seeds[0]: runs[self.seeds[0]]} for a, runs in self.runs.items()}


class GapSweep:
    """The memory lesson: the same comparison at several gaps d, one after another.

    For each d in ``gaps`` a :class:`Comparison` trains every architecture ``steps`` steps per seed
    on memory sequences with that gap; its held-out accuracies make one point (a mean and a range
    over the seeds) per architecture of the accuracy-against-d plot. Each finished gap's comparison
    is kept, its first seed's runs only, so a point can be looked into afterwards.
    """

    def __init__(self, session: SessionConfig, archs: list[str], gaps: list[int], steps: int, seeds: int = 1):
        if not kind_spec(session.data.kind).gap_sweep:
            raise PlaygroundError("the gap sweep is the memory lesson: choose the memory data first")
        gaps = sorted({int(g) for g in gaps})
        if not gaps or gaps[0] < 1:
            raise PlaygroundError("give one or more gaps of at least 1")
        self.session, self.archs, self.gaps, self.steps = session, list(archs), gaps, steps
        self.n_seeds = seeds
        self.index = 0
        # arch -> (gap, every seed's accuracy) per finished gap
        self.results: dict[str, list[tuple[int, tuple[float, ...]]]] = {a: [] for a in dict.fromkeys(archs)}
        self.finished: dict[int, Comparison] = {}  # gap -> its comparison (first seed's runs kept)
        self.current = self._comparison(gaps[0])

    def _comparison(self, gap: int) -> Comparison:
        data = dataclasses.replace(self.session.data, gap=gap)
        return Comparison(dataclasses.replace(self.session, data=data), self.archs, self.steps, self.n_seeds)

    @property
    def gap(self) -> int:
        return self.gaps[self.index]

    @property
    def done(self) -> bool:
        return self.index >= len(self.gaps)

    def comparison_at(self, gap: int) -> Comparison | None:
        """The comparison of one gap: a finished one, or the one training now."""
        if gap in self.finished:
            return self.finished[gap]
        return self.current if not self.done and gap == self.gap else None

    def step_round(self, probe: bool = False) -> None:
        """One round of the current gap's comparison; when it finishes, record and move to the next gap."""
        if self.done:
            return
        self.current.step_round(probe)
        if self.current.done:
            cmp = self.current
            for arch in cmp.runs:
                self.results[arch].append((self.gap, cmp.accuracies(arch)))
            self.finished[self.gap] = cmp
            self.index += 1
            if not self.done:
                cmp.keep_first_seed()  # its other runs are done with: free them
                self.current = self._comparison(self.gap)
