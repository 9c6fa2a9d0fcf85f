"""The training engine: owns the model, takes typed commands, runs one job at a time, answers.

The worker (playground.ui.worker) is a thin Qt shell around an :class:`Engine`: it hands each
command to :meth:`Engine.handle` and calls :meth:`Engine.tick` from a timer while there is work.
Tests drive the same engine directly, without a thread, which makes them deterministic.

A *job* is long work done in slices of ~20 ms: training the main model (Play or Step), a
comparison, the encoder-decoder. One runs at a time. A job asked for while another runs is
refused with a reason (Play during a comparison), or the other is paused first (a comparison
pauses Play), never interleaved. Each job draws from its own copy of torch's global random state,
swapped in for its slices, so what one job draws never changes another's: Undo stays bit-exact
whatever ran in between.

No Qt here: interruption comes from the ``interrupted`` callable the worker passes in (its
thread's ``isInterruptionRequested``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.app import messages as m
from playground.app.progress import LayerGroups, Progress
from playground.core.errors import PlaygroundError

if TYPE_CHECKING:  # torch loads with the first model, after the window is on screen
    from playground.core.trainer import StepReport, Trainer, TrainerSnapshot, UndoRing

SLICE_S = 0.02  # work this long, then let the thread's event loop breathe
EMIT_S = 1 / 30  # at most this often a progress batch goes to the window
PROBE_S = 0.1  # while playing, at most this often a step also runs the probe
UNDO_DEPTH = 20  # earlier states kept for Undo (weights and optimizer, a copy each)
RESCUE_S = 2.0  # while playing, a copy of a healthy state at most this old (NaN rescue, roll back)
RESCUE_KEEP = 6  # healthy copies kept for "roll back to the last sane loss"
REFUSED_PAUSE = 5  # refused (NaN) steps in a row that pause Play
SANE_FACTOR = 1.5  # a kept state is sane when its loss is at most this times the best loss seen


def _message(exc: BaseException) -> str:
    if isinstance(exc, PlaygroundError):
        return str(exc)
    traceback.print_exc()
    return f"unexpected error: {type(exc).__name__}: {exc}"


class RandomState:
    """A job's own copy of torch's global random state (CPU, and CUDA when the job trains there)."""

    def __init__(self) -> None:
        self.cpu = None
        self.cuda = None
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
            if cuda:
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
                want_probe = last_of_budget or now - e.last_probe >= e.probe_every
                stepping = self.budget > 0
                if stepping:  # each stepped step can be undone; playing keeps one state per Play
                    e.undo_ring.push(tr)
                    pushed = True
                if now - e.rescue_t > RESCUE_S and e.refused_run == 0:
                    e.keep_rescue(now)
                report = tr.step(probe=want_probe, detail=stepping and last_of_budget)
                pushed = False
                if report.refused:
                    e.refused_run += 1
                    if not tr.weights_finite():
                        e.pending.append(report)
                        e.roll_back_nan()
                        self.budget = 0
                        return True
                    if e.refused_run >= REFUSED_PAUSE and self.budget < 0:
                        self.budget = 0  # the diagnosis banner says why and offers fixes
                else:
                    e.refused_run = 0
                if want_probe:
                    e.last_probe = time.perf_counter()
                e.pending.append(report)
                self.rate_steps += 1
                if self.budget > 0:
                    self.budget -= 1
        except Exception as exc:
            # A failed step (out of GPU memory) leaves no trace, not even an Undo entry that would go
            # back to where training already is: a Step's own, or a Play's that took no step.
            if pushed or (self.budget < 0 and self.rate_steps == 0):
                e.undo_ring.pop(tr)
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
        from playground.core.compare import Comparison, GapSweep

        self.engine = engine
        self.generation = engine.generation  # its answers belong to the window's view of that model
        self.stopped = False
        self.last_emit = self.last_probe = 0.0
        with self.random.active():  # building the models seeds torch: in this job's stream only
            if cmd.gaps:
                self.sweep: Any = GapSweep(cmd.session, list(cmd.archs), list(cmd.gaps), int(cmd.steps))
                self.comparison = self.sweep.current
            else:
                self.sweep = None
                self.comparison = Comparison(cmd.session, list(cmd.archs), int(cmd.steps))
            for arch in self.comparison.trainers:
                self.comparison.probe(arch)  # the untrained models' gradients through time, at step 0

    def stop(self) -> None:
        self.stopped = True

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
            for arch in cmp.trainers:
                cmp.trainers[arch].validate()
                cmp.probe(arch)
            self.emit(running=False)
            return True
        if time.perf_counter() - self.last_emit > 0.25:
            self.emit(running=True)
        return False

    def emit(self, running: bool) -> None:
        cmp, sweep = self.comparison, self.sweep
        self.last_emit = time.perf_counter()
        curves = {
            arch: {
                "loss": tr.history.losses.copy(),
                "val_steps": list(tr.history.val_steps),
                "val_loss": list(tr.history.val_loss),
                "probe": None if arch not in cmp.probes else cmp.probes[arch].copy(),
            }
            for arch, tr in cmp.trainers.items()
        }
        self.engine.answer(
            m.Compared(
                self.generation,
                running=running,
                curves=curves,
                rows=tuple(cmp.rows(with_accuracy=cmp.done)),
                sweep=None if sweep is None else {a: list(v) for a, v in sweep.results.items()},
                gap=None if sweep is None or sweep.done else sweep.gap,
                gaps=None if sweep is None else tuple(sweep.gaps),
                steps_taken=cmp.steps_taken,
                steps=cmp.steps,
                kind=cmp.task.kind,
                chance=cmp.task.chance if cmp.task.spec.has_accuracy else None,
            )
        )


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
            e.answer(m.Seq2SeqProgress(e.generation, error=_message(exc)))
            return True
        done = self.left == 0
        e.answer(m.Seq2SeqProgress(e.generation, self.total - self.left, self.total, loss, done))
        return done or e.interrupted()


class Engine:
    """The model in training and everything done to it; see the module docstring."""

    def __init__(self, answer: Callable[[m.Answer], None], interrupted: Callable[[], bool] = lambda: False):
        self.answer = answer
        self.interrupted = interrupted
        self.trainer: Trainer | None = None
        self.generation = 0  # of the model in training: the window drops answers older than its own
        self.groups: LayerGroups | None = None
        self.undo_ring: UndoRing | None = None  # made with the first model (it needs torch)
        self.job: Job | None = None
        self.pending: list[StepReport] = []
        self.last_emit = self.last_probe = 0.0
        self.probe_every = PROBE_S
        self.rate = 0.0
        self.rescues: deque[tuple[TrainerSnapshot, float]] = deque(maxlen=RESCUE_KEEP)  # (state, its loss)
        self.rescue_t = 0.0
        self.refused_run = 0  # refused steps in a row
        self.main_random = RandomState()
        self.s2s_random = RandomState()
        self.comparison = None  # the newest comparison (kept after it ends: "continue with" one)
        self.compare_random: RandomState | None = None  # its random stream, for "continue with"
        self.seq2seq = None  # playground.core.seq2seq.Seq2SeqTrainer for the dialog data, when trained
        self._s2s_task = None

    # -- the job loop ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job is not None

    @property
    def play_state(self) -> str:
        if isinstance(self.job, TrainJob):
            return "playing" if self.job.budget < 0 else "stepping"
        return "paused"

    def tick(self, seconds: float = SLICE_S) -> bool:
        """Run the current job for about ``seconds``; True while there is more to do."""
        job = self.job
        if job is None:
            return False
        cuda = self.trainer is not None and self.trainer.device.type == "cuda"
        with job.random.active(cuda=cuda):
            finished = job.run(time.perf_counter() + seconds)
        if finished and self.job is job:
            self.job = None
            if isinstance(job, TrainJob):
                self.answer(m.PlayState(self.generation, "paused"))
        return self.job is not None

    def run_until_idle(self, timeout_s: float = 600.0) -> None:
        """Finish the current job right here (tests, the command line)."""
        end = time.perf_counter() + timeout_s
        while self.tick() and time.perf_counter() < end:
            pass

    def _start(self, job: Job) -> None:
        self.job = job
        if isinstance(job, TrainJob):
            self.answer(m.PlayState(self.generation, self.play_state))

    def _pause_training(self) -> None:
        if isinstance(self.job, TrainJob):
            self.job.stop()
            self.job = None
            self.flush(force=True)
            self.answer(m.PlayState(self.generation, "paused"))

    def _refuse_if_busy(self, wanted: str) -> bool:
        """True (and an answer saying why) when another job than training runs."""
        if self.job is None or isinstance(self.job, TrainJob):
            return False
        self.answer(
            m.JobRefused(
                self.generation,
                f"{wanted} waits: the {self.job.name} is running. Stop it, or wait until it is done.",
            )
        )
        return True

    # -- commands ----------------------------------------------------------------------------------
    def handle(self, cmd: Any) -> None:
        """Carry out one command from the window (see playground.app.messages)."""
        match cmd:
            case m.Build():
                self._build(cmd)
            case m.Open():
                self._open(cmd)
            case m.Adopt():
                self._adopt(cmd)
            case m.Save():
                self._save(cmd.path)
            case m.Play():
                if self.trainer is not None and self.job is None:
                    with self.main_random.active():  # Undo after Play goes back to where Play started
                        self.undo_ring.push(self.trainer)
                    self._start(TrainJob(self, -1))
                elif self.trainer is not None:
                    self._refuse_if_busy("Play")
            case m.Pause():
                self._pause_training()
            case m.Step():
                wanted = self.trainer is not None and cmd.n > 0
                if wanted and not self._refuse_if_busy("Step") and self.job is None:
                    self._start(TrainJob(self, int(cmd.n)))
            case m.Undo():
                self._undo(int(cmd.n))
            case m.RollBack():
                self._roll_back_sane()
            case m.UpdateTrain():
                self._update_train(dict(cmd.changes))
            case m.SetProbeText():
                if self.trainer is not None:
                    try:
                        self.trainer.set_probe_text(cmd.text or None)
                    except PlaygroundError as exc:
                        self.fail(exc)
                        return
                    self.probe_now()
                    self.send_reach_context()
            case m.ProbeNow():
                self.probe_now()
            case m.Predict():
                self._predict(cmd.request)
            case m.Inspect():
                self._inspect(cmd)
            case m.Compare():
                self._compare(cmd)
            case m.StopCompare():
                if isinstance(self.job, CompareJob):
                    self.job.stop()
            case m.TrainSeq2Seq():
                self._train_seq2seq(int(cmd.steps))
            case _:
                raise TypeError(f"not a command: {cmd!r}")

    def fail(self, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else _message(exc)
        self.answer(m.Failed(self.generation, text))

    # -- models ------------------------------------------------------------------------------------
    def _build(self, cmd: m.Build) -> None:
        """A fresh model (Reset, new settings); the task (maybe a large file) is read here, not in the
        window. On failure the old trainer stays."""
        self._pause_training()
        self.answer(m.Loading(cmd.generation, f"building {cmd.config.model.describe()}"))
        random = RandomState()
        try:
            from playground.core.trainer import Trainer, share_the_cpu

            share_the_cpu()
            with random.active():  # the model's seed sets its own stream, not the window's
                trainer = Trainer(cmd.config)
        except Exception as exc:
            self.fail(exc)
            return
        self._install(trainer, cmd.generation, random)
        self.answer(m.ModelArrived(self.generation, "built", self.summary()))
        self.probe_now()
        self.send_reach_context()

    def _open(self, cmd: m.Open) -> None:
        self._pause_training()
        random = RandomState()
        try:
            from playground.core import checkpoint

            with random.active():
                trainer = checkpoint.load(cmd.path)
        except Exception as exc:
            self.fail(exc)
            return
        self._install(trainer, cmd.generation, random)
        self.answer(
            m.ModelArrived(self.generation, "opened", self.summary(), str(Path(cmd.path)), self._history())
        )
        self.probe_now()
        self.send_reach_context()

    def _adopt(self, cmd: m.Adopt) -> None:
        cmp = self.comparison
        if cmp is None or cmd.arch not in cmp.trainers:
            self.fail("nothing to continue with: run a comparison first")
            return
        random = RandomState()
        if isinstance(self.job, CompareJob):
            self.job.stop()
            self.job.emit(running=False)
            random.cpu = self.job.random.cpu
            self.job = None
        elif self.compare_random is not None:
            random.cpu = self.compare_random.cpu
        self._pause_training()
        self._install(cmp.trainers[cmd.arch], cmd.generation, random)
        self.answer(m.ModelArrived(self.generation, "adopted", self.summary(), None, self._history()))
        self.probe_now()
        self.send_reach_context()

    def _install(self, trainer: Trainer, generation: int, random: RandomState) -> None:
        from playground.core.trainer import UndoRing

        if isinstance(self.job, CompareJob):  # the window it reported to shows another model now
            self.job.stop()
            self.job.emit(running=False)
            self.job = None
        self.trainer = trainer
        self.generation = generation
        self.groups = LayerGroups(trainer.param_names)
        self.pending.clear()
        if self.undo_ring is None:
            self.undo_ring = UndoRing(UNDO_DEPTH)
        self.undo_ring.clear()
        if self.seq2seq is not None and self._s2s_task is not trainer.task:
            self.seq2seq = None  # it belongs to the old dialogs
            if isinstance(self.job, Seq2SeqJob):
                self.job = None
        self.rescues.clear()
        self.rescue_t, self.refused_run = 0.0, 0
        self.main_random = random  # as the model's build left it: seeded with the model

    def summary(self) -> dict[str, Any]:
        tr = self.trainer
        assert tr is not None
        s = tr.summary()
        s["session"] = tr.session
        s["task"] = tr.task
        return s

    def _history(self) -> tuple[Any, Any, Any]:
        h = self.trainer.history
        return h.losses.copy(), list(h.val_steps), list(h.val_loss)

    def _save(self, path: str) -> None:
        if self.trainer is None:
            self.fail("nothing to save yet")
            return
        try:
            from playground.core import checkpoint

            written = checkpoint.save(self.trainer, path)
        except Exception as exc:
            self.fail(exc)
            return
        self.answer(m.Saved(self.generation, str(written)))

    def _update_train(self, changes: dict) -> None:
        if self.trainer is not None:
            try:
                self.trainer.update_train(**changes)
            except PlaygroundError as exc:
                self.fail(exc)

    # -- undo and rescue ------------------------------------------------------------------------
    def undo_steps(self) -> tuple[int, ...]:
        return () if self.undo_ring is None else tuple(self.undo_ring.steps())

    def _undo(self, n: int) -> None:
        """Go back n entries of the undo ring; weights and optimizer exact, settings on screen kept."""
        self._pause_training()
        tr = self.trainer
        if tr is None or n < 1:
            return
        step = None
        with self.main_random.active():  # the snapshot's random state becomes the main model's
            for _ in range(n):
                back = self.undo_ring.pop(tr, keep_live_settings=True)
                if back is None:
                    break
                step = back
        if step is None:
            self.fail("nothing to undo: Step or Play first")
            return
        self.answer(m.Undone(self.generation, step, self.undo_steps()))
        self.probe_now()

    def keep_rescue(self, now: float) -> None:
        tr = self.trainer
        losses = tr.history.losses
        loss = float(np.median(losses[-10:])) if len(losses) else float("inf")
        with self.main_random.active():
            snap = tr.snapshot()
        self.rescues.append((snap, loss))
        self.rescue_t = now

    def roll_back_nan(self) -> None:
        """The weights themselves went NaN or infinite: go back to the last healthy copy."""
        tr = self.trainer
        if not self.rescues:
            self.flush(force=True)
            self.fail("the weights became NaN and there is no earlier healthy state to go back to: Reset")
            return
        snap, _ = self.rescues[-1]
        with self.main_random.active():
            tr.restore(snap, keep_live_settings=True)
        self.flush(force=True)
        self.answer(m.Undone(self.generation, tr.steps, self.undo_steps(), rescued=True))

    def sane_rescue(self) -> TrainerSnapshot | None:
        """The newest kept state whose loss was finite and near the best loss seen (before a blow-up)."""
        if not self.rescues:
            return None
        finite = [loss for _, loss in self.rescues if np.isfinite(loss)]
        if not finite:
            return None
        best = min(finite)
        for snap, loss in reversed(self.rescues):
            if np.isfinite(loss) and loss <= SANE_FACTOR * best + 1e-9:
                return snap
        return None

    def _roll_back_sane(self) -> None:
        """Before a fix (clipping, a lower learning rate) is tried: back to the last sane state, so the
        fix is not applied to weights that have already blown up."""
        self._pause_training()
        tr = self.trainer
        if tr is None:
            return
        snap = self.sane_rescue()
        if snap is None or snap.step >= tr.steps:
            return
        with self.main_random.active():
            tr.restore(snap, keep_live_settings=True)
        self.undo_ring.clear()
        self.refused_run = 0
        self.answer(m.Undone(self.generation, tr.steps, self.undo_steps(), rescued=False))
        self.probe_now()

    def send_reach_context(self) -> None:
        """The probe sequence's gradient curve at initialisation, and the chance loss (see ReachContext)."""
        from playground.core import reach

        tr = self.trainer
        if tr is None:
            return
        try:
            init = reach.probe_at_init(tr).grad_norm[-1].copy()
        except Exception:  # the verdicts then go without it; never a reason to stop training
            init = None
        self.answer(m.ReachContext(self.generation, init, reach.chance_loss(tr.task)))

    # -- progress -------------------------------------------------------------------------------
    def flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.pending or (not force and now - self.last_emit < EMIT_S):
            return
        p = Progress.from_reports(self.pending, self.groups, self.rate)
        self.answer(m.ProgressBatch(self.generation, dataclasses.replace(p, undo_steps=self.undo_steps())))
        self.pending = []
        self.last_emit = now

    def probe_now(self) -> None:
        if self.trainer is None:
            return
        try:
            probe = self.trainer.probe()
        except Exception as exc:
            self.fail(exc)
            return
        self._emit_probe(probe)

    def _emit_probe(self, probe: Any) -> None:
        p = Progress.from_reports([], self.groups, self.rate)
        p = dataclasses.replace(
            p, probe=probe, probe_step=self.trainer.steps, lr=self.trainer.lr, undo_steps=self.undo_steps()
        )
        self.answer(m.ProgressBatch(self.generation, p))

    # -- questions to the model -----------------------------------------------------------------
    def _predict(self, req: m.PredictRequest) -> None:
        """Answer a prediction request between training slices (the model is never shared)."""
        tr = self.trainer
        if tr is None:
            return
        from playground.core import anomalies, inference

        result: dict[str, Any] = {}
        error = ""
        try:
            match req:
                case m.SampleText():
                    result["text"] = inference.sample(
                        tr.model, tr.task, req.prompt, req.length, req.temperature, req.top_k, seed=req.seed
                    )
                    result["next"] = inference.top_next(tr.model, tr.task, req.prompt, req.k)
                case m.NextChars():
                    result["next"] = inference.top_next(tr.model, tr.task, req.prompt, req.k)
                case m.Reply():
                    lm = inference.reply(tr.model, tr.task, req.turn, list(req.history))
                    s2s = None
                    if self.seq2seq is not None:
                        s2s = self.seq2seq.reply(req.turn, list(req.history))
                    use_s2s = req.model == "seq2seq" and s2s is not None
                    result.update(lm_reply=lm, s2s_reply=s2s, reply=s2s if use_s2s else lm)
                case m.Classify():
                    result["classes"] = inference.classify(tr.model, tr.task, req.text)
                    try:  # what the data's own rule says, so the user sees right or wrong
                        result["rule"] = tr.task.answer_for(tr.task.tokenize(req.text))
                    except PlaygroundError:
                        result["rule"] = None
                case m.Forecast():
                    # The forecast first: it refuses, in words, a model that is not a series model.
                    result["forecast"] = inference.forecast(tr.model, tr.task, req.horizon)
                    result.update(inference.evaluate(tr.model, tr.task))
                    result["values"] = tr.task.values
                    result["split"] = tr.task.split
                    threshold = anomalies.DEFAULT_THRESHOLD if req.threshold is None else req.threshold
                    result["anomalies"] = anomalies.anomalies(tr.model, tr.task, threshold)
                case _:
                    raise TypeError(f"not a prediction request: {req!r}")
        except TypeError:
            raise
        except Exception as exc:
            error = str(exc) if isinstance(exc, PlaygroundError) else f"{type(exc).__name__}: {exc}"
        self.answer(m.Predicted(self.generation, req, tr.steps, error, result))

    def _inspect(self, cmd: m.Inspect) -> None:
        """A typed text (or the probe text): its probe, connectivity, and each step's recurrence terms."""
        tr = self.trainer
        if tr is None:
            return
        text, layer = cmd.text or None, int(cmd.layer)
        try:
            tr.set_probe_text(text)
            probe = tr.probe()
            labels, conn = tr.connectivity()
            terms = None
            if tr.model.recurrent:
                layer = min(layer, probe.hidden.shape[0] - 1)
                terms = tr.recurrence_terms_all(layer)
        except Exception as exc:
            error = str(exc) if isinstance(exc, PlaygroundError) else f"{type(exc).__name__}: {exc}"
            self.answer(m.Inspected(self.generation, cmd.text or "", layer, error=error))
            return
        self.answer(
            m.Inspected(self.generation, cmd.text or "", layer, tr.steps, probe, tuple(labels), conn, terms)
        )
        self._emit_probe(probe)  # the live plots show the same text from now on
        self.send_reach_context()

    # -- comparisons and the encoder-decoder -------------------------------------------------------
    def _compare(self, cmd: m.Compare) -> None:
        if self.job is not None and not isinstance(self.job, (TrainJob, CompareJob)):
            self._refuse_if_busy("The comparison")
            return
        self._pause_training()  # the main model waits; it is not changed
        if isinstance(self.job, CompareJob):
            self.job.stop()
            self.job = None
        try:
            job = CompareJob(self, cmd)
        except Exception as exc:
            self.fail(exc)
            self.answer(m.Compared(self.generation, running=False, error=_message(exc)))
            return
        self.comparison = job.comparison
        self.compare_random = job.random
        self._start(job)
        job.emit(running=True)

    def _train_seq2seq(self, steps: int) -> None:
        tr = self.trainer
        from playground.core.seq2seq import Seq2SeqConfig, Seq2SeqTrainer

        if tr is None or not tr.task.spec.supports_seq2seq:
            self.answer(
                m.Seq2SeqProgress(
                    self.generation, error="the encoder-decoder answers knock-knock dialogs: choose them first"
                )
            )
            return
        if self.job is not None and not isinstance(self.job, (TrainJob, Seq2SeqJob)):
            self._refuse_if_busy("Training the encoder-decoder")
            return
        self._pause_training()  # the main model waits
        try:
            if self.seq2seq is None or self._s2s_task is not tr.task:
                with self.s2s_random.active():
                    self.seq2seq = Seq2SeqTrainer(Seq2SeqConfig(seed=tr.session.train.seed), task=tr.task)
                self._s2s_task = tr.task
        except Exception as exc:
            self.answer(m.Seq2SeqProgress(self.generation, error=_message(exc)))
            return
        self._start(Seq2SeqJob(self, steps))

    # -- synchronous use (tests) ------------------------------------------------------------------
    def run_steps(self, n: int) -> list[StepReport]:
        """Take n steps right here, in the calling thread, emitting progress as usual."""
        assert self.trainer is not None
        with self.main_random.active():
            reports = [self.trainer.step(probe=(i == n - 1)) for i in range(n)]
        self.pending.extend(reports)
        self.flush(force=True)
        return reports
