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
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.app import engine_files, engine_side, engine_undo, questions
from playground.app import messages as m
from playground.app.jobs import (
    PROBE_S,
    PROBE_SHARE,
    CompareJob,
    FrontierJob,
    Job,
    RandomState,
    Seq2SeqJob,
    TrainJob,
)
from playground.app.previews import PreviewBuilder, csv_columns_of
from playground.app.progress import LayerGroups, Progress
from playground.core.errors import PlaygroundError, error_text

if TYPE_CHECKING:  # torch loads with the first model (in the training process: warm_up)
    from playground.core.inspect.probes import Probe
    from playground.core.kinds import Task
    from playground.core.train.seq2seq import Seq2SeqTrainer
    from playground.core.train.threads import ThreadTuner
    from playground.core.train.trainer import StepReport, Trainer, UndoRing

SLICE_S = 0.02  # work this long, then let the thread's event loop breathe
EMIT_S = 0.033  # a progress batch goes to the window about this often (30 a second, over the frame rate)
UNDO_DEPTH = 20  # earlier states kept for Undo (weights and optimizer, a copy each)
RECENT_STEPS = 2000  # gradient norms kept for the lessons' checks


class Engine:
    """The model in training and everything done to it; see the module docstring."""

    def __init__(
        self,
        answer: Callable[[m.Answer], None],
        interrupted: Callable[[], bool] = lambda: False,
        same_process: bool = True,
    ):
        self.answer = answer
        self.interrupted = interrupted
        self.same_process = same_process  # as the window: see playground.core.train.device.share_the_cpu
        self.trainer: Trainer | None = None
        self.generation = 0  # of the model in training: the window drops answers older than its own
        self.groups: LayerGroups | None = None
        self.undo_ring: UndoRing | None = None  # made with the first model (it needs torch)
        self.job: Job | None = None
        self.pending: list[StepReport] = []
        self.last_emit = self.last_probe = 0.0
        self.probe_every = PROBE_S
        self.step_s = self.probe_s = 0.0  # running averages: a step, and what a probe adds to one
        self.rate = 0.0
        self.rescues = engine_undo.Rescues()  # healthy copies for a roll-back (see engine_undo)
        self.refused_run = 0  # refused steps in a row
        self.main_random = RandomState()
        self.s2s_random = RandomState()
        # (step, gradient norm before and after clipping) of the steps taken under the settings in force:
        # a fix, a change of settings, an Undo or a roll-back starts them again (the checks quote them)
        self.recent_grads: deque[tuple[int, float, float]] = deque(maxlen=RECENT_STEPS)
        self.stop_rule: tuple[int, float | None] = (0, None)  # SetStopRule: patience, target val loss
        self.early_stop: Any = None  # playground.core.train.stopping.EarlyStop on the current model
        self.refused_steps: list[
            int
        ] = []  # the step count at each refused step since then (the checks count them)
        self.compare_job: CompareJob | None = None  # the newest comparison (kept after it ends)
        self.compare_random: RandomState | None = None  # its random stream, for "continue with"
        self.frontier_job: FrontierJob | None = None  # the newest frontier (its cells' runs kept after it ends)
        self.seq2seq: Seq2SeqTrainer | None = None  # for the dialog data, when trained
        self.s2s_task: Task | None = None
        self.thread_tuner: ThreadTuner | None = None  # torch's thread count, measured while training
        # the data panel's previews, built beside training; the newest task is kept for the next Build
        self.previews = PreviewBuilder(self.answer, lambda: self.generation)
        self.data_columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # the model's CSV's, if read

    @property
    def ring(self) -> UndoRing:
        """The undo ring (made with the first model: every command that uses it comes with one)."""
        assert self.undo_ring is not None, "no model yet: no undo ring"
        return self.undo_ring

    @property
    def live(self) -> Trainer:
        """The model in training, where one is certain to be (a step, a probe, a rescue)."""
        assert self.trainer is not None, "no model yet"
        return self.trainer

    def time_step(self, seconds: float, probed: bool) -> None:
        """Learn what a step and a probe cost; probe no more often than PROBE_SHARE of the time allows.

        A probe re-runs the probe sequence step by step with autograd: for a small model it costs
        several training steps, so while playing flat out the live plots refresh a little less often
        instead of halving the training speed."""
        if probed:
            if not self.step_s:  # the first step of a model (slow: lazy set-up) tells nothing yet
                return
            extra = max(0.0, seconds - self.step_s)
            self.probe_s = extra if not self.probe_s else 0.5 * self.probe_s + 0.5 * extra
        else:
            self.step_s = seconds if not self.step_s else 0.9 * self.step_s + 0.1 * seconds
        self.probe_every = max(PROBE_S, self.probe_s / PROBE_SHARE)

    @property
    def comparison(self) -> Any:
        """The comparison on the Compare view (a sweep's newest gap): what "continue with" takes."""
        return None if self.compare_job is None else self.compare_job.comparison

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

    def start_job(self, job: Job) -> None:
        self.job = job
        if isinstance(job, TrainJob):
            self.answer(m.PlayState(self.generation, self.play_state))

    def pause_training(self) -> None:
        if isinstance(self.job, TrainJob):
            self.job.stop()
            self.job = None
            self.flush(force=True)
            self.answer(m.PlayState(self.generation, "paused"))

    def refuse_if_busy(self, wanted: str) -> bool:
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
                engine_files.save(self, cmd.path)
            case m.ExportReport():
                engine_files.export_report(self, cmd)
            case m.SaveSession():
                engine_files.save_session(self, cmd.path)
            case m.FixApplied():
                if self.trainer is not None and self.trainer.recorder is not None:
                    self.trainer.recorder.fix(
                        cmd.fix
                    )  # what it does follows: a roll-back, a setting, a reset
            case m.Play():
                if self.trainer is not None and self.job is None:
                    with self.main_random.active():  # Undo after Play goes back to where Play started
                        self.ring.push(self.trainer)
                    self.start_job(TrainJob(self, -1))
                elif self.trainer is not None:
                    self.refuse_if_busy("Play")
            case m.Pause():
                self.pause_training()
            case m.Step():
                wanted = self.trainer is not None and cmd.n > 0
                if wanted and not self.refuse_if_busy("Step") and self.job is None:
                    self.start_job(TrainJob(self, int(cmd.n)))
            case m.Undo():
                engine_undo.undo(self, int(cmd.n))
            case m.RollBack():
                engine_undo.roll_back_sane(self, cmd.say_if_none)
            case m.UpdateTrain():
                self._update_train(dict(cmd.changes))
            case m.SetStopRule():
                self.stop_rule = (int(cmd.patience), cmd.at_val_loss)
                self.watch_stop(say=True)
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
            case m.Barrier():
                self.flush(force=True)
                self.answer(m.Passed(self.generation, cmd.token))
            case m.Predict():
                self._predict(cmd.request)
            case m.Inspect():
                self._inspect(cmd)
            case m.Compare():
                engine_side.compare(self, cmd)
            case m.StopCompare():
                if isinstance(self.job, (CompareJob, FrontierJob)):
                    self.job.stop()
            case m.RunFrontier():
                engine_side.frontier(self, cmd)
            case m.OpenFrontierCell():
                engine_side.open_frontier_cell(self, cmd)
            case m.InspectCompared():
                engine_side.inspect_compared(self, cmd)
            case m.Unroll():
                self._unroll()
            case m.RunSeeds():
                engine_side.run_seeds(self, cmd)
            case m.CheckLesson():
                self._check_lesson(cmd.lesson, cmd.card)
            case m.TrainSeq2Seq():
                engine_side.train_seq2seq(self, int(cmd.steps))
            case m.PreviewData():
                self.previews.request(cmd)
            case m.ExportScript():
                engine_files.export_script(self, cmd)
            case m.RankUnits() if self.trainer is not None:  # between training slices, as Predict
                self.answer(questions.rank_units(self.trainer, cmd, self.generation))
            case m.ClampSample() if self.trainer is not None:
                clamped = questions.clamp_sample(self.trainer, cmd, self.generation)
                self.answer(clamped)
                if not clamped.error and self.trainer.recorder is not None:  # a session replays it
                    self.trainer.recorder.clamp(dataclasses.asdict(cmd), clamped.free, clamped.clamped)
            case m.AblateUnits() if self.trainer is not None:  # read-only: nothing for a session to record
                self.answer(questions.ablate_units(self.trainer, cmd, self.generation))
            case m.Transplant() if self.trainer is not None:
                self.answer(questions.transplant(self.trainer, cmd, self.generation))
            case m.RankUnits() | m.ClampSample() | m.AblateUnits() | m.Transplant():
                pass
            case _:
                raise TypeError(f"not a command: {cmd!r}")

    def fail(self, exc: BaseException | str, generation: int | None = None) -> None:
        """Say what failed, for the model of ``generation`` (default: the one in training): a Build
        or an Open that failed answers under the generation of the command that asked, which the
        window is waiting for (answers older than it are dropped there)."""
        text = exc if isinstance(exc, str) else error_text(exc)
        self.answer(m.Failed(self.generation if generation is None else generation, text))

    def _keep_after_failed_build(self, generation: int, exc: BaseException) -> None:
        """A Build failed: the model before it stays. The window forgot it when it asked for the new
        one (Reset, new settings), so it comes back under the asking generation, with its settings,
        history and plots (``how="kept"``), and then the error."""
        if self.trainer is not None:
            self.generation = generation
            self.answer(m.ModelArrived(generation, "kept", self.summary(), None, self.history()))
        self.fail(exc, generation)

    # -- models ------------------------------------------------------------------------------------
    def _build(self, cmd: m.Build) -> None:
        """A fresh model (Reset, new settings); the task (maybe a large file) is read here, not in the
        window. On failure the old trainer stays."""
        self.pause_training()
        self.answer(m.Loading(cmd.generation, f"building {cmd.config.model.describe()}"))
        random = RandomState()
        kept = self.previews.take(cmd.config.data)  # the data panel's preview built it: not read again
        try:
            from playground.core.data.csv_table import read_once
            from playground.core.train.trainer import Trainer

            # the model's seed sets its own stream, not the window's; a CSV is read once for its
            # series and the columns the data panel lists
            with random.active(), read_once():
                trainer = Trainer(cmd.config, task=None if kept is None else kept.task)
                columns = kept.columns if kept is not None else csv_columns_of(cmd.config.data)
        except Exception as exc:
            self._keep_after_failed_build(cmd.generation, exc)
            return
        trainer.recorder = self._recorder_for(cmd.config)
        self.install(trainer, cmd.generation, random)
        self.data_columns = columns
        self.answer(m.ModelArrived(self.generation, "built", self.summary()))
        self.probe_now()
        self.send_reach_context()

    def _recorder_for(self, config: Any) -> Any:
        """The session's recorder for a model built from ``config``: the one recording so far, told of
        a reset, or a new one (after a model opened from a model file, whose past is not known)."""
        from playground.core.train.session_file import Recorder

        recorder = self.trainer.recorder if self.trainer is not None else None
        try:
            if recorder is None:
                return Recorder(config)
            recorder.reset(config)
            return recorder
        except PlaygroundError:  # the data cannot be hashed now: this model trains unrecorded
            return None

    def recording_why(self, reason: str) -> Any:
        """Rewinds made inside are recorded (if this model is) as done for ``reason``."""
        rec = self.trainer.recorder if self.trainer is not None else None
        return rec.why(reason) if rec is not None else contextlib.nullcontext()

    def _open(self, cmd: m.Open) -> None:
        self.pause_training()
        random = RandomState()
        try:
            from playground.core.train import checkpoint
            from playground.core.train.session_file import is_session, open_session

            with random.active():  # a session file: its end state, its recording going on
                trainer = open_session(cmd.path) if is_session(cmd.path) else checkpoint.load(cmd.path)
        except Exception as exc:  # the model in training stays, and the window still shows it
            self.fail(exc, cmd.generation)
            return
        self.install(trainer, cmd.generation, random)
        self.answer(
            m.ModelArrived(self.generation, "opened", self.summary(), str(Path(cmd.path)), self.history())
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
        self.pause_training()
        cmp.trainers[cmd.arch].recorder = None  # its past is the comparison's: no session records it
        self.install(cmp.trainers[cmd.arch], cmd.generation, random)
        self.answer(m.ModelArrived(self.generation, "adopted", self.summary(), None, self.history()))
        self.probe_now()
        self.send_reach_context()

    def install(self, trainer: Trainer, generation: int, random: RandomState) -> None:
        from playground.core.train.device import share_the_cpu
        from playground.core.train.trainer import UndoRing

        if isinstance(self.job, (CompareJob, FrontierJob)):  # the window it reported to shows another model now
            self.job.stop()
            self.job.emit(running=False)
            self.job = None
        self.trainer = trainer
        self.generation = generation
        self.data_columns = None  # (a Build sets them: an opened model's data file is never read)
        self.groups = LayerGroups(trainer.param_names)
        self.pending.clear()
        if self.undo_ring is None:
            self.undo_ring = UndoRing(UNDO_DEPTH)
        self.undo_ring.clear()
        if self.seq2seq is not None and self.s2s_task is not trainer.task:
            self.seq2seq = None  # it belongs to the old dialogs
            if isinstance(self.job, Seq2SeqJob):
                self.job = None
        self.rescues.clear()
        self.refused_run = 0
        self.recent_grads.clear()
        self.refused_steps.clear()
        self.main_random = random  # as the model's build left it: seeded with the model
        # A new model measures its own best thread count (another size may want another).
        self.thread_tuner = share_the_cpu(same_process=self.same_process)
        self.watch_stop()  # a new model: its own best validation loss

    def watch_stop(self, say: bool = False) -> None:
        """(Re)start watching the stop rule on the current model: from here on, its validations.
        ``say``: the rule was just set, and a model that does not validate is told so."""
        from playground.core.train.stopping import EarlyStop

        patience, at = self.stop_rule
        self.early_stop = None
        if self.trainer is None or (not patience and at is None):
            return
        try:
            self.early_stop = EarlyStop(self.trainer, patience, at)
        except PlaygroundError as exc:  # validation is off: say so once, training goes on
            if say:
                self.fail(exc)

    def check_stop(self, report: Any) -> bool:
        """After a step of Play or Step: whether the stop rule ends training here. After patience ran
        out the trainer holds the best validation's weights, and the window is told to go back there."""
        stop = self.early_stop
        if stop is None or report.val_loss is None or self.trainer is None:
            return False
        with (
            self.main_random.active(),
            self.recording_why("patience"),
        ):  # the best copy's random streams come back
            stopped = stop.add(report)
        if stopped is None:
            return False
        self.flush(force=True)  # the steps up to the stop reach the window first
        if stopped.by == "patience":
            tr = self.trainer
            self.ring.forget_after(tr.steps)
            engine_undo.forget_steps_after(self, tr.steps)  # (and training on from here watches afresh)
            self.answer(m.Undone(self.generation, tr.steps, engine_undo.undo_steps(self)))
            self.probe_now()
        else:
            self.watch_stop()  # training on from here watches afresh
        self.answer(
            m.TrainingStopped(
                self.generation,
                stopped.by,
                stopped.step,
                stopped.best_step,
                stopped.best_val_loss,
                stopped.message,
            )
        )
        return True

    def summary(self) -> m.ModelSummary:
        from playground.core.data.preview import data_preview

        tr = self.trainer
        assert tr is not None
        s = tr.summary()
        return m.ModelSummary(
            model=s["model"],
            parameters=s["parameters"],
            device=s["device"],
            steps=s["steps"],
            data=s["data"],
            session=tr.session,
            preview=data_preview(tr.task, tr.session.data, self.data_columns),
        )

    def history(self) -> m.History:
        assert self.trainer is not None
        h = self.trainer.history
        return h.losses.copy(), list(h.val_steps), list(h.val_loss)

    def _update_train(self, changes: dict) -> None:
        if self.trainer is not None:
            before = self.trainer.session.train
            try:
                self.trainer.update_train(**changes)
            except PlaygroundError as exc:  # the trainer keeps its settings: the window shows them again
                self.answer(m.SettingRefused(self.generation, str(exc), self.trainer.session.train))
                return
            if self.trainer.session.train != before:  # the checks judge the new settings on their own steps
                self.recent_grads.clear()
                self.refused_steps.clear()

    def send_reach_context(self) -> None:
        """The probe sequence's gradient curve at initialisation, and the chance loss (see ReachContext)."""
        from playground.core.inspect import reach

        tr = self.trainer
        if tr is None:
            return
        needed = labels = None
        try:
            probe = tr.probe_at_init()
            init = probe.grad_norm[-1].copy()
            labels = tuple(probe.labels)
            needed = reach.needed_positions(tr.task, labels)
        except Exception:  # the verdicts then go without it; never a reason to stop training
            init = None
        self.answer(m.ReachContext(self.generation, init, reach.chance_loss(tr.task), needed, labels))

    # -- progress -------------------------------------------------------------------------------
    def flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        # due when the next step would end later than EMIT_S after the last batch: batches come
        # every EMIT_S on average, not every whole number of steps after it
        if not self.pending or (not force and now + 0.5 * self.step_s - self.last_emit < EMIT_S):
            return
        assert self.groups is not None  # reports come from a model, and its groups with it
        p = Progress.from_reports(self.pending, self.groups, self.rate)
        undo = engine_undo.undo_steps(self)
        self.answer(m.ProgressBatch(self.generation, dataclasses.replace(p, undo_steps=undo)))
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

    def _emit_probe(self, probe: Probe) -> None:
        tr = self.live
        assert self.groups is not None  # made with the model
        p = Progress.from_reports([], self.groups, self.rate)
        undo = engine_undo.undo_steps(self)
        p = dataclasses.replace(p, probe=probe, probe_step=tr.steps, lr=tr.lr, undo_steps=undo)
        self.answer(m.ProgressBatch(self.generation, p))

    # -- questions to the model (playground/app/questions.py answers them) ------------------------------
    def _predict(self, req: m.PredictRequest) -> None:
        """Answer a prediction request between training slices (the model is never shared)."""
        if self.trainer is not None:
            self.answer(questions.predict(self.trainer, self.seq2seq, req, self.generation))

    def _inspect(self, cmd: m.Inspect) -> None:
        if self.trainer is None:
            return
        answer = questions.inspect(self.trainer, cmd, self.generation)
        self.answer(answer)
        if not answer.error and answer.probe is not None:
            self._emit_probe(answer.probe)  # the live plots show the same text from now on
            self.send_reach_context()

    def _unroll(self) -> None:
        if self.trainer is not None:
            self.answer(questions.unroll(self.trainer, self.generation))

    def _check_lesson(self, lesson_id: str, card: Any = None) -> None:
        if self.trainer is None:
            return
        grads = np.array([g[1:] for g in self.recent_grads], dtype=np.float64).reshape(-1, 2)
        import torch

        # a check only measures; it must not move the model's stream (a session's replay depends on it)
        with self.main_random.active(), torch.random.fork_rng(devices=[]):
            found = questions.check_lesson(self.trainer, lesson_id, grads, len(self.refused_steps), card)
        self.answer(m.LessonChecked(self.generation, found))
