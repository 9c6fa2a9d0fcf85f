"""The engine's jobs: long work done in slices, one at a time (see playground.app.engine).

Each job has its own copy of torch's global random state (:class:`RandomState`), swapped in for its
slices, so what one job draws never changes another's. No Qt here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from playground.app import engine_undo
from playground.app import messages as m
from playground.core.errors import error_text

if TYPE_CHECKING:
    import torch

    from playground.app.engine import Engine
    from playground.core.kinds import Task

PROBE_S = 0.2  # while playing, at most this often a step also runs the probe (5 a second)
PROBE_SHARE = 0.025  # ... and the probes take at most about this share of training time (docs/benchmarks.md)
REFUSED_PAUSE = 5  # refused (NaN) steps in a row that pause Play
RESCUE_S = 2.0  # while playing, a copy of a healthy state at most this old (NaN rescue, roll back)


class RandomState:
    """A job's own copy of torch's global random state (CPU, and CUDA when the job trains there)."""

    def __init__(self) -> None:
        self.cpu: torch.Tensor | None = None
        self.cuda: torch.Tensor | None = None
        self._depth = 0

    @contextlib.contextmanager
    def active(self, cuda: bool = False) -> Iterator[None]:
        """Inside: torch's global generator is this job's; outside, it is left as it was. Re-entrant."""
        if self._depth:
            yield
            return
        import torch

        self._depth += 1
        outer_cpu = torch.get_rng_state()
        outer_cuda = torch.cuda.get_rng_state() if cuda else None
        if self.cpu is not None:
            torch.set_rng_state(self.cpu)
        if cuda and self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda)
        try:
            yield
        finally:
            self._depth -= 1
            self.cpu = torch.get_rng_state()
            torch.set_rng_state(outer_cpu)
            if outer_cuda is not None:  # (it is, exactly when ``cuda``)
                self.cuda = torch.cuda.get_rng_state()
                torch.cuda.set_rng_state(outer_cuda)


class Job:
    """Long work in slices. ``run(deadline)`` works until then and says whether it has finished."""

    name = "work"

    def __init__(self) -> None:
        self.random = RandomState()

    def run(self, deadline: float) -> bool:  # pragma: no cover - every job overrides it
        raise NotImplementedError

    def stop(self) -> None:
        """End at the next check (the user's Pause or Stop); the job says so in its own answer."""


class TrainJob(Job):
    """Play (budget -1) or Step (budget n) on the main model."""

    name = "training"

    def __init__(self, engine: Engine, budget: int) -> None:
        super().__init__()
        self.engine = engine
        self.budget = budget
        self.random = engine.main_random  # the main model's stream, whichever job ran before
        self.rate_t0, self.rate_steps = time.perf_counter(), 0

    def stop(self) -> None:
        self.budget = 0

    def run(self, deadline: float) -> bool:
        e = self.engine
        tr = e.trainer
        if tr is None or self.budget == 0:
            return True
        pushed = False  # a snapshot is in the undo ring for a step that has not finished
        try:
            while self.budget != 0 and time.perf_counter() < deadline and not e.interrupted():
                now = time.perf_counter()
                last_of_budget = self.budget == 1
                # not while the thread tuner tries another count: a probe there would be timed at
                # a count that is not kept, and probes would then come far apart
                trying = e.thread_tuner is not None and e.thread_tuner.in_trial
                want_probe = last_of_budget or (now - e.last_probe >= e.probe_every and not trying)
                stepping = self.budget > 0
                if stepping:  # each stepped step can be undone; playing keeps one state per Play
                    e.ring.push(tr)
                    pushed = True
                if now - e.rescues.t > RESCUE_S and e.refused_run == 0:
                    e.rescues.keep(tr, e.main_random, now)
                t_step = time.perf_counter()
                report = tr.step(probe=want_probe, detail=stepping and last_of_budget)
                took = time.perf_counter() - t_step
                e.time_step(took, want_probe)
                if e.thread_tuner is not None:  # a probe, a validation or a step's detail is more than a step
                    plain = not want_probe and report.val_loss is None and not (stepping and last_of_budget)
                    e.thread_tuner.step_took(took, comparable=plain)
                pushed = False
                if report.refused:
                    e.refused_steps.append(report.step)
                    e.refused_run += 1
                    if not tr.weights_finite():
                        e.pending.append(report)
                        engine_undo.roll_back_nan(e)
                        self.budget = 0
                        return True
                    if e.refused_run >= REFUSED_PAUSE and self.budget < 0:
                        self.budget = 0  # the diagnosis banner says why and offers fixes
                else:
                    e.refused_run = 0
                    e.recent_grads.append((report.step, report.grad_norm, report.grad_norm_clipped))
                if want_probe:
                    e.last_probe = time.perf_counter()
                e.pending.append(report)
                self.rate_steps += 1
                if self.budget > 0:
                    self.budget -= 1
                if not report.refused and e.check_stop(report):  # the stop rule held: training pauses
                    self.budget = 0
        except Exception as exc:
            # A failed step (out of GPU memory) leaves no trace, not even an Undo entry that would go
            # back to where training already is: a Step's own, or a Play's that took no step.
            if pushed or (self.budget < 0 and self.rate_steps == 0):
                with e.recording_why("failed step"):
                    e.ring.pop(tr)
            self.budget = 0
            e.flush(force=True)
            e.fail(exc)
            return True
        if e.interrupted():
            self.budget = 0
        elapsed = time.perf_counter() - self.rate_t0
        if elapsed > 0.25:
            e.rate = self.rate_steps / elapsed
        done = self.budget == 0
        e.flush(force=done)
        return done


class CompareJob(Job):
    """A comparison (or the memory lesson's sweep over gaps): every model one step per round."""

    name = "comparison"

    def __init__(self, engine: Engine, cmd: m.Compare) -> None:
        super().__init__()
        from playground.core.train.compare import Comparison, GapSweep

        self.engine = engine
        self.generation = engine.generation  # its answers belong to the window's view of that model
        self.stopped = False
        self.last_emit = self.last_probe = 0.0
        with self.random.active():  # building the models seeds torch: in this job's stream only
            seeds = int(cmd.seeds)
            if cmd.gaps:
                archs, gaps = list(cmd.archs), list(cmd.gaps)
                self.sweep: Any = GapSweep(cmd.session, archs, gaps, int(cmd.steps), seeds)
                self.comparison = self.sweep.current
            else:
                self.sweep = None
                self.comparison = Comparison(cmd.session, list(cmd.archs), int(cmd.steps), seeds)
            for arch in self.comparison.runs:
                self.comparison.probe(arch)  # the untrained models' gradients through time, at step 0

    def stop(self) -> None:
        self.stopped = True

    def comparison_at(self, gap: int | None) -> Any:
        """The comparison of one gap of the sweep (a finished one, or the current), or with ``gap``
        None the current comparison; None when there is none."""
        if gap is None:
            return self.comparison
        return None if self.sweep is None else self.sweep.comparison_at(int(gap))

    def run(self, deadline: float) -> bool:
        e = self.engine
        if self.stopped or e.interrupted():
            self.emit(running=False)
            return True
        cmp = self.comparison
        runner = self.sweep if self.sweep is not None else cmp
        try:
            while not runner.done and time.perf_counter() < deadline and not e.interrupted():
                want_probe = time.perf_counter() - self.last_probe > 0.3
                runner.step_round(probe=want_probe)
                if want_probe:
                    self.last_probe = time.perf_counter()
                if self.sweep is not None and self.sweep.current is not cmp:  # the next gap began
                    self.comparison = cmp = self.sweep.current
        except Exception as exc:
            e.fail(exc)
            self.emit(running=False)
            return True
        if runner.done:
            for arch, runs in cmp.runs.items():
                for tr in runs.values():
                    tr.validate()
                cmp.probe(arch)
            self.emit(running=False)
            return True
        if time.perf_counter() - self.last_emit > 0.25:
            self.emit(running=True)
        return False

    def emit(self, running: bool) -> None:
        cmp, sweep = self.comparison, self.sweep
        self.last_emit = time.perf_counter()
        curves: dict[str, m.ComparedCurve] = {}
        for arch, runs in cmp.runs.items():
            losses = tuple(tr.history.losses.copy() for tr in runs.values())  # one per seed, in order
            first = cmp.trainers[arch]
            curves[arch] = m.ComparedCurve(
                losses=losses,
                loss=losses[0],  # the first seed's (the model "continue with" takes)
                val_steps=list(first.history.val_steps),
                val_loss=list(first.history.val_loss),
                probe=cmp.probe_curve(arch),  # geometric mean over the seeds
            )
        self.engine.answer(
            m.Compared(
                self.generation,
                running=running,
                curves=curves,
                rows=tuple(cmp.rows(with_accuracy=cmp.done)),
                sweep=None if sweep is None else {a: list(v) for a, v in sweep.results.items()},
                seeds=cmp.seeds,
                gap=None if sweep is None or sweep.done else sweep.gap,
                gaps=None if sweep is None else tuple(sweep.gaps),
                steps_taken=cmp.steps_taken,
                steps=cmp.steps,
                kind=cmp.task.kind,
                chance=_chance(cmp.task),
            )
        )


class FrontierJob(Job):
    """The frontier of a classic task: one cell (an architecture at a length T) at a time, each of
    its seeds trained until it solves or its steps run out; an answer when a seed or a cell is done."""

    name = "frontier"

    def __init__(self, engine: Engine, cmd: m.RunFrontier) -> None:
        super().__init__()
        from playground.core.train.frontier import FrontierPlan

        self.engine = engine
        self.generation = engine.generation
        self.stopped = False
        self.plan = FrontierPlan(
            kind=cmd.kind, lengths=tuple(cmd.lengths), archs=tuple(cmd.archs), seeds=int(cmd.seeds),
            steps=int(cmd.steps), check_every=int(cmd.check_every), hidden=int(cmd.hidden), lr=float(cmd.lr),
            batch_size=int(cmd.batch_size), clip=float(cmd.clip),
        ).validate()
        self.todo = [(arch, length) for length in self.plan.lengths for arch in self.plan.archs]
        self.cells: list[dict[str, Any]] = []
        self.current: Any = None
        self.seeds_done = -1
        # each finished cell's kept run (CellRun.kept), by (arch, length): the window can open it (once)
        self.runs: dict[tuple[str, int], Any] = {}

    def stop(self) -> None:
        self.stopped = True

    def run(self, deadline: float) -> bool:
        from playground.core.train.frontier import CellRun

        e = self.engine
        if self.stopped or e.interrupted():
            self.emit(running=False)
            return True
        try:
            with self.random.active():  # building and training the runs seeds torch: this job's stream only
                while time.perf_counter() < deadline and not e.interrupted():
                    if self.current is None:
                        if not self.todo:
                            break
                        self.current = CellRun(self.plan, *self.todo.pop(0))
                    if self.current.advance(deadline):
                        cur = self.current
                        self.cells.append({**cur.cell().as_dict(), "opens_seed": cur.kept_seed})
                        self.runs[cur.arch, cur.length] = cur.kept
                        self.current = None
                        self.emit(running=bool(self.todo))
                    elif len(self.current.seen) != self.seeds_done:
                        self.seeds_done = len(self.current.seen)
                        self.emit(running=True)
        except Exception as exc:
            e.fail(exc)
            self.emit(running=False, error=error_text(exc))
            return True
        return self.current is None and not self.todo

    def emit(self, running: bool, error: str = "") -> None:
        cur = self.current
        self.engine.answer(
            m.FrontierProgress(
                self.generation,
                running=running and not self.stopped,
                lengths=self.plan.lengths,
                archs=self.plan.archs,
                cells=tuple(self.cells),
                current=None if cur is None else (cur.arch, cur.length),
                current_seeds_done=0 if cur is None else len(cur.seen),
                error=error,
            )
        )


def _chance(task: Task) -> float | None:
    """The accuracy of a model that guesses (None where the data has no accuracy to judge)."""
    if not task.spec.has_accuracy:
        return None
    chance = getattr(task, "chance", None)  # memory, order, spell and the classics' own
    return None if chance is None else float(chance)


class Seq2SeqJob(Job):
    """Train the encoder-decoder beside the dialog language model."""

    name = "encoder-decoder training"

    def __init__(self, engine: Engine, steps: int) -> None:
        super().__init__()
        self.engine = engine
        self.left = self.total = int(steps)
        self.random = engine.s2s_random

    def stop(self) -> None:
        self.left = 0

    def run(self, deadline: float) -> bool:
        e = self.engine
        s2s = e.seq2seq
        if s2s is None or self.left <= 0:
            return True
        loss = float("nan")
        try:
            while self.left > 0 and time.perf_counter() < deadline and not e.interrupted():
                loss = s2s.step()
                self.left -= 1
        except Exception as exc:
            self.left = 0
            e.answer(m.Seq2SeqProgress(e.generation, error=error_text(exc)))
            return True
        done = self.left == 0
        e.answer(m.Seq2SeqProgress(e.generation, self.total - self.left, self.total, loss, done))
        return done or e.interrupted()


class SeedsJob(Job):
    """A lesson's claim over several seeds, one seed per slice (each seed trains from scratch)."""

    name = "run over seeds"

    def __init__(self, engine: Engine, lesson: str, seeds: tuple[int, ...]) -> None:
        super().__init__()
        from playground.core.lessons import seed_claim

        found = seed_claim(lesson)
        if found is None:
            raise ValueError(f"lesson {lesson!r} does not depend on the seed")
        self.engine, self.lesson, self.seeds = engine, lesson, list(seeds)
        self.claim, self.describe = found
        self.results: list[Any] = []
        self.generation = engine.generation
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    def run(self, deadline: float) -> bool:
        e = self.engine
        if self.stopped or e.interrupted() or len(self.results) == len(self.seeds):
            return True
        seed = self.seeds[len(self.results)]
        try:
            self.results.append(self.claim(seed))
        except Exception as exc:
            e.answer(m.SeedSpread(self.generation, self.lesson, len(self.results), len(self.seeds), "", error_text(exc)))
            return True
        text = self.describe(self.results)
        e.answer(m.SeedSpread(self.generation, self.lesson, len(self.results), len(self.seeds), text))
        return len(self.results) == len(self.seeds)
