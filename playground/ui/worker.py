"""The training worker: a QObject that lives in its own QThread and owns the Trainer.

The window never touches the model. It sends commands (queued signals to the
slots below) and receives small immutable snapshots (:class:`Progress`) at
most ~30 times a second. The worker trains in short slices (~20 ms) and
returns to its thread's event loop between slices, so a Pause, a new learning
rate or a Stop is handled within one slice, and the window's thread never waits
for a training step.

Tests can drive the same worker synchronously on the main thread
(``build()`` then ``run_steps(n)``), which makes them deterministic.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from playground.core.config import SessionConfig
from playground.core.errors import PlaygroundError
from playground.ui.session import LayerGroups, Progress

if TYPE_CHECKING:  # torch loads in the training thread, after the window is on screen
    from playground.core.trainer import StepReport, Trainer, UndoRing


SLICE_S = 0.02  # train this long, then let the thread's event loop breathe
EMIT_S = 1 / 30  # at most this often a Progress goes to the window
PROBE_S = 0.1  # at most this often a step also runs the probe
UNDO_DEPTH = 20  # earlier states kept for Undo (weights and optimizer, a copy each)
RESCUE_S = 2.0  # while playing, a copy of the last healthy state at most this old (NaN rescue)
REFUSED_PAUSE = 5  # refused (NaN) steps in a row that pause Play


class TrainingWorker(QObject):
    progress = Signal(object)  # Progress
    state_changed = Signal(str)  # "playing", "paused", "stepping"
    built = Signal(object)  # the new Trainer's summary dict (plus "task" info)
    failed = Signal(str)  # one-line message for the window
    saved = Signal(str)  # path written
    opened = Signal(object)  # dict: session, history, summary for a model file just opened
    stopped = Signal()
    predicted = Signal(object)  # dict: the request's "kind" plus its answer
    undone = Signal(object)  # dict: "step" gone back to, "undo_steps" left
    inspected = Signal(object)  # dict: a typed text's probe, connectivity and recurrence terms
    compared = Signal(object)  # dict: a comparison's curves and table (see _compare_state)
    adopted = Signal(object)  # like opened: a compared model now trains in the main view
    seq2seq_progress = Signal(object)  # dict: steps, total, loss, done, error (encoder-decoder training)

    def __init__(self) -> None:
        super().__init__()
        self.trainer: Trainer | None = None
        self.builds = 0  # build commands handled, failed ones too (the window tells stale answers by it)
        self._groups: LayerGroups | None = None
        self._budget = 0  # steps still to take; -1 = until paused
        self._pending: list[StepReport] = []
        self._last_emit = 0.0
        self._last_probe = 0.0
        self._rate_t0 = 0.0
        self._rate_steps = 0
        self._rate = 0.0
        self._timer: QTimer | None = None
        self._stopping = False
        self.undo_ring: UndoRing | None = None  # made with the first model (it needs torch)
        self._rescue = None  # TrainerSnapshot: the newest state known to have finite weights
        self._rescue_t = 0.0
        self._refused_run = 0  # refused steps in a row
        self.comparison = None  # playground.core.compare.Comparison while one runs or is shown
        self.sweep = None  # playground.core.compare.GapSweep: the memory lesson's comparisons over d
        self._compare_running = False
        self._compare_timer: QTimer | None = None
        self._compare_emit = 0.0
        self._compare_probe = 0.0
        self.seq2seq = None  # playground.core.seq2seq.Seq2SeqTrainer for the dialog data, when trained
        self._s2s_left = 0
        self._s2s_total = 0
        self._s2s_timer: QTimer | None = None
        self._s2s_task = None  # the dialog task it was trained on

    # -- helpers ---------------------------------------------------------------
    def _ensure_timer(self) -> QTimer:
        if self._timer is None:  # created lazily so it belongs to the worker's thread
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.setInterval(0)
            self._timer.timeout.connect(self._slice)
        return self._timer

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, PlaygroundError):
            self.failed.emit(str(exc))
        else:
            traceback.print_exc()
            self.failed.emit(f"unexpected error: {type(exc).__name__}: {exc}")

    def _set_budget(self, n: int) -> None:
        self._budget = n
        self._rate_t0, self._rate_steps = time.perf_counter(), 0
        if n == 0:
            self.state_changed.emit("paused")
        else:
            self.state_changed.emit("playing" if n < 0 else "stepping")
            self._ensure_timer().start()

    # -- commands (slots, run in the worker's thread) --------------------------------
    @Slot(object)
    def build(self, session: SessionConfig) -> None:
        """A fresh model (Reset, or new settings). On failure the old trainer stays."""
        self.builds += 1
        self._set_budget(0)
        try:
            from playground.core.trainer import Trainer
            from playground.ui.main_window import share_the_cpu

            share_the_cpu()
            trainer = Trainer(session)
        except Exception as e:
            self._fail(e)
            return
        self._install(trainer)
        self.built.emit(self._summary())

    def _install(self, trainer: Trainer) -> None:
        from playground.core.trainer import UndoRing

        self.trainer = trainer
        self._groups = LayerGroups(trainer.param_names)
        self._pending.clear()
        if self.undo_ring is None:
            self.undo_ring = UndoRing(UNDO_DEPTH)
        if self.seq2seq is not None and self._s2s_task is not trainer.task:
            self.seq2seq, self._s2s_left = None, 0  # it belongs to the old dialogs
        self.undo_ring.clear()
        self._rescue, self._refused_run = None, 0

    def _summary(self) -> dict:
        tr = self.trainer
        assert tr is not None
        s = tr.summary()
        s["session"] = tr.session
        s["task"] = tr.task
        s["builds"] = self.builds
        return s

    @Slot()
    def play(self) -> None:
        if self.trainer is not None and self._budget == 0:
            self.undo_ring.push(self.trainer)  # Undo after Play goes back to where Play started
            self._set_budget(-1)

    @Slot()
    def pause(self) -> None:
        self._set_budget(0)
        self._flush(force=True)

    @Slot(int)
    def step(self, n: int = 1) -> None:
        """Exactly n optimizer steps, then pause (refused steps count: each press is one try)."""
        if self.trainer is not None and n > 0:
            self._set_budget(n)

    @Slot(int)
    def undo(self, n: int = 1) -> None:
        """Go back n entries of the undo ring (each a Step, or a whole Play), weights and optimizer exact."""
        self._set_budget(0)
        self._flush(force=True)
        tr = self.trainer
        if tr is None or n < 1:
            return
        step = None
        for _ in range(n):  # the weights go back; the settings on screen stay what they are
            back = self.undo_ring.pop(tr, keep_live_settings=True)
            if back is None:
                break
            step = back
        if step is None:
            self.failed.emit("nothing to undo: Step or Play first")
            return
        self.undone.emit({"step": step, "undo_steps": self._undo_steps()})
        self._probe_now()

    @Slot(object)
    def inspect(self, request: dict) -> None:
        """A typed text (or the probe text): its probe, connectivity, and each step's recurrence terms."""
        tr = self.trainer
        if tr is None:
            return
        text = request.get("text") or None
        layer = int(request.get("layer", 0))
        answer: dict = {"text": text or "", "layer": layer}
        try:
            tr.set_probe_text(text)
            probe = tr.probe()
            labels, conn = tr.connectivity()
            answer.update(probe=probe, labels=labels, connectivity=conn, step=tr.steps)
            if tr.model.recurrent:
                layer = min(layer, probe.hidden.shape[0] - 1)
                answer["layer"] = layer
                answer["terms"] = tr.recurrence_terms_all(layer)
        except PlaygroundError as e:
            answer["error"] = str(e)
        except Exception as e:
            answer["error"] = f"{type(e).__name__}: {e}"
        self.inspected.emit(answer)
        if "probe" in answer:  # the live plots show the same text from now on
            self._emit_probe(answer["probe"])

    @Slot(object)
    def update_train(self, changes: dict) -> None:
        """Live settings (learning rate, batch size, sequence length, clipping), applied between steps."""
        if self.trainer is not None:
            try:
                self.trainer.update_train(**changes)
            except PlaygroundError as e:
                self._fail(e)

    @Slot(str)
    def set_probe_text(self, text: str) -> None:
        if self.trainer is not None:
            try:
                self.trainer.set_probe_text(text or None)
                self._probe_now()
            except PlaygroundError as e:
                self._fail(e)

    @Slot(str)
    def save(self, path: str) -> None:
        if self.trainer is None:
            self.failed.emit("nothing to save yet")
            return
        try:
            from playground.core import checkpoint

            written = checkpoint.save(self.trainer, path)
        except Exception as e:
            self._fail(e)
            return
        self.saved.emit(str(written))

    @Slot(str)
    def open(self, path: str) -> None:
        """Open a model file; on any failure the current work stays as it was."""
        self._set_budget(0)
        try:
            from playground.core import checkpoint

            trainer = checkpoint.load(path)
        except Exception as e:
            self._fail(e)
            return
        self._install(trainer)
        s = self._summary()
        s["path"] = str(Path(path))
        s["history"] = (
            trainer.history.losses.copy(),
            list(trainer.history.val_steps),
            list(trainer.history.val_loss),
        )
        self.opened.emit(s)
        self._probe_now()

    @Slot(object)
    def predict(self, request: dict) -> None:
        """Answer a prediction request between training slices (the model is never shared).

        request["kind"]: "sample" (prompt, length, temperature, top_k, seed), "next" (prompt, k),
        "reply" (turn, history), "forecast" (horizon, threshold: also scores anomalies). The answer dict
        repeats the request.
        """
        tr = self.trainer
        if tr is None:
            return
        from playground.core import anomalies, inference

        kind = request.get("kind")
        answer = dict(request)
        try:
            if kind == "sample":
                answer["text"] = inference.sample(
                    tr.model,
                    tr.task,
                    request.get("prompt", ""),
                    int(request.get("length", 120)),
                    float(request.get("temperature", 1.0)),
                    int(request.get("top_k", 0)),
                    seed=request.get("seed", 0),
                )
                answer["next"] = inference.top_next(
                    tr.model, tr.task, request.get("prompt", ""), int(request.get("k", 5))
                )
            elif kind == "next":
                answer["next"] = inference.top_next(
                    tr.model, tr.task, request.get("prompt", ""), int(request.get("k", 5))
                )
            elif kind == "reply":
                lm = inference.reply(tr.model, tr.task, request["turn"], request.get("history", []))
                s2s = None
                if self.seq2seq is not None:
                    s2s = self.seq2seq.reply(request["turn"], list(request.get("history", [])))
                answer["lm_reply"], answer["s2s_reply"] = lm, s2s
                use_s2s = request.get("model") == "seq2seq" and s2s is not None
                answer["reply"] = s2s if use_s2s else lm
            elif kind == "classify":
                answer["classes"] = inference.classify(tr.model, tr.task, request["text"])
                try:  # what the data's own rule says, so the user sees right or wrong
                    answer["rule"] = tr.task.answer_for(tr.task.tokenize(request["text"]))
                except PlaygroundError:
                    answer["rule"] = None
            elif kind == "forecast":
                # First the forecast: it refuses, in words, a model that is not a series model (one
                # opened while the request was on its way).
                answer["forecast"] = inference.forecast(tr.model, tr.task, int(request.get("horizon", 20)))
                answer.update(inference.evaluate(tr.model, tr.task))
                answer["values"] = tr.task.values
                answer["split"] = tr.task.split
                threshold = request.get("threshold", anomalies.DEFAULT_THRESHOLD)
                answer["anomalies"] = anomalies.anomalies(tr.model, tr.task, threshold)
            else:
                raise PlaygroundError(f"unknown prediction request {kind!r}")
        except Exception as e:
            answer["error"] = str(e) if isinstance(e, PlaygroundError) else f"{type(e).__name__}: {e}"
        answer["step"] = tr.steps
        self.predicted.emit(answer)

    @Slot()
    def probe(self) -> None:
        self._probe_now()

    @Slot()
    def stop(self) -> None:
        self._stopping = True
        self._budget = 0
        self._compare_running = False
        if self._timer is not None:
            self._timer.stop()
        self.stopped.emit()

    def _undo_steps(self) -> tuple[int, ...]:
        return () if self.undo_ring is None else tuple(self.undo_ring.steps())

    # -- the encoder-decoder for dialogs ------------------------------------------------------------
    @Slot(int)
    def train_seq2seq(self, steps: int) -> None:
        """Train (or train on) an encoder-decoder on the current dialog data, in slices like Play."""
        from playground.core.seq2seq import Seq2SeqConfig, Seq2SeqTrainer

        tr = self.trainer
        if tr is None or tr.task.kind != "knock-knock":
            self.seq2seq_progress.emit(
                {"error": "the encoder-decoder answers knock-knock dialogs: choose them first"}
            )
            return
        self._set_budget(0)  # the main model waits
        try:
            if self.seq2seq is None or self._s2s_task is not tr.task:
                self.seq2seq = Seq2SeqTrainer(Seq2SeqConfig(seed=tr.session.train.seed), task=tr.task)
                self._s2s_task = tr.task
        except Exception as e:
            self.seq2seq_progress.emit({"error": str(e)})
            return
        self._s2s_left, self._s2s_total = int(steps), int(steps)
        if self._s2s_timer is None:
            self._s2s_timer = QTimer(self)
            self._s2s_timer.setSingleShot(True)
            self._s2s_timer.setInterval(0)
            self._s2s_timer.timeout.connect(self._s2s_slice)
        self._s2s_timer.start()

    def _s2s_slice(self) -> None:
        s2s = self.seq2seq
        if s2s is None or self._s2s_left <= 0 or self._stopping:
            return
        t_end = time.perf_counter() + SLICE_S
        loss = float("nan")
        try:
            while self._s2s_left > 0 and time.perf_counter() < t_end:
                loss = s2s.step()
                self._s2s_left -= 1
        except Exception as e:
            self._s2s_left = 0
            self.seq2seq_progress.emit(
                {"error": str(e) if isinstance(e, PlaygroundError) else f"{type(e).__name__}: {e}"}
            )
            return
        done = self._s2s_left == 0
        self.seq2seq_progress.emit(
            {"steps": self._s2s_total - self._s2s_left, "total": self._s2s_total, "loss": loss, "done": done}
        )
        if not done:
            self._s2s_timer.start()

    # -- compare mode ------------------------------------------------------------------------
    @Slot(object)
    def compare(self, request: dict) -> None:
        """Train request["archs"] on request["session"]'s data, same seed and batches, request["steps"] each."""
        from playground.core.compare import Comparison, GapSweep

        self._set_budget(0)  # the main model waits; it is not changed
        try:
            self.sweep = None
            if request.get("gaps"):
                self.sweep = GapSweep(
                    request["session"], list(request["archs"]), list(request["gaps"]), int(request["steps"])
                )
                self.comparison = self.sweep.current
            else:
                self.comparison = Comparison(
                    request["session"], list(request["archs"]), int(request["steps"])
                )
        except Exception as e:
            self._fail(e)
            self.compared.emit({"error": str(e), "running": False})
            return
        self._compare_running = True
        self._compare_emit = self._compare_probe = 0.0
        if self._compare_timer is None:
            self._compare_timer = QTimer(self)
            self._compare_timer.setSingleShot(True)
            self._compare_timer.setInterval(0)
            self._compare_timer.timeout.connect(self._compare_slice)
        for arch in self.comparison.trainers:
            self.comparison.probe(arch)  # the untrained models' gradients through time, at step 0
        self._emit_compare()
        self._compare_timer.start()

    @Slot()
    def stop_compare(self) -> None:
        if self._compare_running:
            self._compare_running = False
            self._emit_compare()

    @Slot(str)
    def adopt(self, arch: str) -> None:
        """Carry on with one compared model in the main view (the current main model is replaced)."""
        cmp = self.comparison
        if cmp is None or arch not in cmp.trainers:
            self.failed.emit("nothing to continue with: run a comparison first")
            return
        self._compare_running = False
        self._install(cmp.trainers[arch])
        s = self._summary()
        s["path"] = None
        s["history"] = (
            self.trainer.history.losses.copy(),
            list(self.trainer.history.val_steps),
            list(self.trainer.history.val_loss),
        )
        self.adopted.emit(s)
        self._probe_now()

    def _compare_slice(self) -> None:
        cmp = self.comparison
        if cmp is None or not self._compare_running or self._stopping:
            return
        t_end = time.perf_counter() + SLICE_S
        runner = self.sweep if self.sweep is not None else cmp
        try:
            while not runner.done and time.perf_counter() < t_end:
                now = time.perf_counter()
                want_probe = now - self._compare_probe > 0.3
                runner.step_round(probe=want_probe)
                if want_probe:
                    self._compare_probe = time.perf_counter()
                if self.sweep is not None and self.sweep.current is not cmp:  # the next gap began
                    self.comparison = cmp = self.sweep.current
        except Exception as e:
            self._compare_running = False
            self._fail(e)
            self._emit_compare()
            return
        if runner.done:
            for arch in cmp.trainers:
                cmp.trainers[arch].validate()
                cmp.probe(arch)
            self._compare_running = False
            self._emit_compare()
            return
        if time.perf_counter() - self._compare_emit > 0.25:
            self._emit_compare()
        self._compare_timer.start()

    def _emit_compare(self) -> None:
        cmp = self.comparison
        if cmp is None:
            return
        self._compare_emit = time.perf_counter()
        curves = {
            arch: {
                "loss": tr.history.losses.copy(),
                "val_steps": list(tr.history.val_steps),
                "val_loss": list(tr.history.val_loss),
                "probe": None if arch not in cmp.probes else cmp.probes[arch].copy(),
            }
            for arch, tr in cmp.trainers.items()
        }
        sweep = self.sweep
        self.compared.emit(
            {
                "curves": curves,
                "rows": cmp.rows(with_accuracy=cmp.done),
                "sweep": None if sweep is None else {a: list(v) for a, v in sweep.results.items()},
                "gap": None if sweep is None or sweep.done else sweep.gap,
                "gaps": None if sweep is None else list(sweep.gaps),
                "running": self._compare_running,
                "steps_taken": cmp.steps_taken,
                "steps": cmp.steps,
                "kind": cmp.task.kind,
                "chance": getattr(cmp.task, "chance", None),
            }
        )

    # -- the training loop -------------------------------------------------------------
    def _probe_now(self) -> None:
        if self.trainer is None:
            return
        try:
            probe = self.trainer.probe()
        except Exception as e:
            self._fail(e)
            return
        self._emit_probe(probe)

    def _emit_probe(self, probe) -> None:
        assert self._groups is not None and self.trainer is not None
        p = Progress.from_reports([], self._groups, self._rate)
        self.progress.emit(
            dataclasses.replace(
                p,
                probe=probe,
                probe_step=self.trainer.steps,
                lr=self.trainer.lr,
                undo_steps=self._undo_steps(),
            )
        )

    def _slice(self) -> None:
        """Train for ~SLICE_S, then hand back to the event loop (and come back if there is more to do)."""
        tr = self.trainer
        if tr is None or self._budget == 0 or self._stopping:
            return
        t_end = time.perf_counter() + SLICE_S
        pushed = False  # a snapshot is in the undo ring for a step that has not finished
        try:
            while self._budget != 0 and time.perf_counter() < t_end:
                now = time.perf_counter()
                last_of_budget = self._budget == 1
                want_probe = last_of_budget or now - self._last_probe >= PROBE_S
                stepping = self._budget > 0
                if stepping:  # each stepped step can be undone; playing keeps one state per Play
                    self.undo_ring.push(tr)
                    pushed = True
                if now - self._rescue_t > RESCUE_S and self._refused_run == 0:
                    self._rescue, self._rescue_t = tr.snapshot(), now
                report = tr.step(probe=want_probe, detail=stepping and last_of_budget)
                pushed = False
                if report.refused:
                    self._refused_run += 1
                    if not tr.weights_finite():
                        self._roll_back(report)
                    if self._refused_run >= REFUSED_PAUSE and self._budget < 0:
                        self._budget = 0  # paused below; the diagnosis banner says why and offers fixes
                else:
                    self._refused_run = 0
                if want_probe:
                    self._last_probe = time.perf_counter()
                self._pending.append(report)
                self._rate_steps += 1
                if self._budget > 0:
                    self._budget -= 1
        except Exception as e:
            # A step that failed (out of GPU memory) leaves no trace, not even an Undo entry that
            # would go back to where training already is: a Step's own, or a Play's that took no step.
            if pushed or (self._budget < 0 and self._rate_steps == 0):
                self.undo_ring.pop(tr)
            self._budget = 0
            self._flush(force=True)
            self._fail(e)
            self.state_changed.emit("paused")
            return
        elapsed = time.perf_counter() - self._rate_t0
        if elapsed > 0.25:
            self._rate = self._rate_steps / elapsed
        done = self._budget == 0
        self._flush(force=done)
        if done:
            self.state_changed.emit("paused")
        else:
            self._ensure_timer().start()

    def _roll_back(self, report: StepReport) -> None:
        """The weights themselves went NaN or infinite: go back to the last healthy copy."""
        tr = self.trainer
        assert tr is not None
        if self._rescue is None:
            self.failed.emit(
                "the weights became NaN and there is no earlier healthy state to go back to: Reset"
            )
            self._budget = 0
            return
        tr.restore(self._rescue, keep_live_settings=True)
        self._budget = 0
        self._pending.append(report)
        self._flush(force=True)
        self.undone.emit({"step": tr.steps, "undo_steps": self._undo_steps(), "rescued": True})

    def _flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self._pending or (not force and now - self._last_emit < EMIT_S):
            return
        assert self._groups is not None
        p = Progress.from_reports(self._pending, self._groups, self._rate)
        self.progress.emit(dataclasses.replace(p, undo_steps=self._undo_steps()))
        self._pending = []
        self._last_emit = now

    # -- synchronous use (tests, the command line) --------------------------------------------
    def run_steps(self, n: int) -> list[StepReport]:
        """Take n steps right here, in the calling thread, emitting progress as usual."""
        assert self.trainer is not None
        reports = [self.trainer.step(probe=(i == n - 1)) for i in range(n)]
        self._pending.extend(reports)
        self._flush(force=True)
        return reports


class WorkerThread(QObject):
    """Owns the QThread and the worker; stops both cleanly (within a second) on close."""

    instances: ClassVar[weakref.WeakSet[WorkerThread]] = weakref.WeakSet()  # tests check none is left running

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        WorkerThread.instances.add(self)
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def restart(self) -> None:
        """Run the same worker (and its model) again after a shutdown."""
        self.worker._stopping = False
        if not self.thread.isRunning():
            self.thread.start()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        if not self.thread.isRunning():
            return True
        self.worker._stopping = True  # seen by a slice in progress at its next check
        self.worker._budget = 0
        self.worker._compare_running = False
        self.thread.quit()
        ok = self.thread.wait(timeout_ms)
        if not ok:  # a single step longer than a second (a huge model): wait for it, never kill
            ok = self.thread.wait(10_000)
        return ok
