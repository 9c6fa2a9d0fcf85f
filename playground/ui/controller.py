"""Between the widgets, the state and the training thread: intents in, typed commands out,
typed answers back into the state and the widgets.

Every answer from the worker passes :meth:`Controller.on_answer`, which drops, in this one place,
answers from a model older than the one the window shows (a Reset, an Open or an Adopt replaced
it). The widgets never talk to the worker and never call each other.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from playground.app import messages as m
from playground.app.process import ProcessLost
from playground.app.state import AppState
from playground.core.config import ARCH_NAMES, DataConfig, ModelConfig, SessionConfig
from playground.core.errors import PlaygroundError
from playground.ui.session import Session
from playground.ui.worker import make_worker

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

DIAGNOSE_S = 0.5  # the diagnosis looks at the curves at most this often


class Controller(QObject):
    command = Signal(object)  # to the worker (queued across threads)
    answered = Signal(object)  # every answer the window accepted (tests and the demo wait on it)
    model_ready = Signal()  # a model was built, opened or adopted

    def __init__(self, window: MainWindow, state: AppState) -> None:
        super().__init__(window)
        self.w = window
        self.state = state
        self.session = Session()
        self.last_error = ""
        self.dropped = 0  # stale answers dropped (tests read it)
        self._diagnosed_at = 0.0
        self._barrier = 0  # a fix's Barrier token while steps from before the fix may still arrive
        self.since_step = 0  # the settings in force since this step: only later steps are evidence of exploding
        self.reach_init = None  # the probe's top-layer gradient curve at initialisation
        self._after_save: Callable[[str], object] | None = None  # what waits for the next Saved
        self.chance_loss: float | None = None  # the loss of a model that learned nothing
        self.needed: tuple[int, ...] = ()  # probe positions the task's answer depends on
        self._needed_for: tuple[Any, tuple[int, ...]] | None = None  # (probe labels, needed) from the engine
        self.worker_thread = make_worker(self)
        self.command.connect(self.worker_thread.worker.command)
        self.worker_thread.worker.answer.connect(self.on_answer)

    def send(self, cmd: Any) -> None:
        if isinstance(cmd, m.Unroll) and self.w._pages["unrolled"].built:
            self.w.unrolled_view.asked()  # (not "nothing to unroll" while the picture is on its way)
        self.command.emit(cmd)

    # -- answers --------------------------------------------------------------------------------
    @Slot(object)
    def on_answer(self, a: m.Answer) -> None:
        st, w = self.state, self.w
        if isinstance(a, m.ModelArrived):
            if st.model_arrived(a.generation, dict(a.summary)):
                self._show_arrived(a)
                self.answered.emit(a)
            else:
                self.dropped += 1
            return
        if isinstance(a, m.Saved):  # the file was written whichever model it held
            self._on_saved(a)
            self.answered.emit(a)
            return
        if isinstance(a, (m.ReportWritten, m.SessionSaved)):  # File > Export Report, Save Session: whichever model
            w.files.written(a)
            self.answered.emit(a)
            return
        if isinstance(a, ProcessLost):  # whatever model it held is gone
            self._on_process_lost(a)
            self.answered.emit(a)
            return
        if isinstance(a, m.DataPreviewed):  # about the data panel's settings, whichever model trains
            w.data_panel.previewed(a)
            self.answered.emit(a)
            return
        if isinstance(a, m.Exported):  # the script was written (or not) whichever model trains now
            w.files.exported(a)
            self.answered.emit(a)
            return
        if isinstance(a, m.Passed):  # whichever model: a fix's barrier never stays up
            if a.token == self._barrier:  # what arrives from here was trained after the fix
                self._barrier = 0
                self._forget_refusals()
                if st.accepts(a.generation) and st.has_model:  # (not a model replaced since)
                    self.since_step = self.session.steps
                    self.diagnose(force=True)  # judged again, on the settings in force
            return
        if not st.accepts(a.generation):
            self.dropped += 1
            return
        match a:
            case m.ProgressBatch():
                if st.has_model:
                    if self._barrier and a.progress.refused:  # trained before the fix: not its verdict
                        a = dataclasses.replace(a, progress=dataclasses.replace(a.progress, refused=()))
                    self.session.add(a.progress)  # numbers only; drawing waits for the frame timer
                    if len(a.progress.steps):  # a step after the file's: the title says so
                        st.step_arrived(int(a.progress.steps[-1]))
                    w.frame_timer.data_arrived()
                    if a.progress.probe is not None:
                        self._update_reach_context()
                    if a.progress.undo_steps is not None:
                        st.set_undo(a.progress.undo_steps)
                    if a.progress.refused and not self._barrier:
                        self.diagnose(force=True)
            case m.ReachContext():
                self.reach_init, self.chance_loss = a.init_grad, a.chance_loss
                self._needed_for = (a.labels, a.needed) if a.needed is not None else None
                self._update_reach_context()
            case m.PlayState():
                self._on_play_state(a.state)
            case m.Loading():
                st.set_loading(a.what)
            case m.Failed() | m.JobRefused():
                st.set_loading("")
                self._after_save = None  # (a failed save: nothing waits for it any more)
                self.report(a.message)
            case m.SettingRefused():
                st.config = dataclasses.replace(st.config, train=a.train)
                w.controls.set_config(a.train)  # the controls show what training actually uses
                self.report(a.message)
            case m.Undone():
                self._on_undone(a)
            case m.TrainingStopped():  # the stop rule held (the steps after a best were undone first)
                w.banner.show_message(f"Training {a.message[0].lower()}{a.message[1:]}.", "info")
            case m.Predicted():
                w.prediction_panel.show_answer(a)
            case m.Inspected():
                w.scrubber.show_answer(a.as_dict())
            case m.RankedUnits() | m.ClampSampled() | m.AblatedUnits():
                w.neurons_view.show_answer(a)
            case m.Transplanted():
                w.scrubber.show_transplant(a)
            case m.Compared():
                w.compare_view.show_answer(a.as_dict())
            case m.FrontierProgress():
                w.compare_view.frontier.show_progress(a)
            case m.ComparedExample():
                self._on_compared_example(a)
            case m.Seq2SeqProgress():
                self._on_seq2seq(a)
            case m.LessonChecked():
                # (the settings and steps of the model it measured: the same generation)
                w.lessons_view.show_check(a.check, st.config, self.session.steps)
            case m.SeedSpread():
                done = f" ({a.done} of {a.total} seeds)" if a.done < a.total else ""
                text = f"Could not run the seeds: {a.error}" if a.error else a.text + done
                w.lessons_view.show_seed_spread(a.lesson, text)
            case m.UnrolledAnswer():
                w.unrolled_stale = False
                if a.error:
                    w.unrolled_view.clear()
                    self.report(a.error)
                else:
                    w.unrolled_view.show(a.unrolled)
        self.answered.emit(a)

    def _on_process_lost(self, a: ProcessLost) -> None:
        st = self.state
        st.play = "paused"
        st.set_loading("")
        self._barrier = 0  # its answer died with the process
        st.next_generation(replaces_now=True)  # the window forgets the lost model; settings stay
        st.set_file(st.path, False)  # nothing left to save: quitting does not offer to
        self.worker_thread.restart()  # a fresh process, ready for Reset or Open
        self.w.data_panel.ask_again()  # a preview the lost process was building
        self.report(a.message)

    def report(self, message: str) -> None:
        self.last_error = message
        self.w.banner.show_message(message, "error")

    def _on_play_state(self, play: str) -> None:
        w = self.w
        if play == "paused" and self.state.play != "paused":
            w.scrubber.stale = w.unrolled_stale = True
            if w.tabs.currentIndex() == w.scrubber_tab and self.state.has_model:
                w.scrubber.request()
            if w.tabs.currentIndex() == w.unrolled_tab and self.state.has_model:
                self.send(m.Unroll())
        self.state.play = play

    def _show_arrived(self, a: m.ModelArrived) -> None:
        st, w = self.state, self.w
        st.set_loading("")
        summary = dict(a.summary)
        if a.how != "built":  # opened, adopted or kept: settings, history and plots come with it
            w.prediction_panel.clear_answers()  # they came from the model this one replaces
            st.config = summary["session"]
            self._fresh_session()
            losses, val_steps, val_loss = a.history
            self.session.load_history(losses, val_steps, val_loss)
            # an opened file's data is the one it carries: its preview came with it (no file is read)
            w.show_config(st.config, preview=summary["preview"] if a.how == "opened" else None)
        w.model_shown(summary)
        w.lessons_view.forget_checks()  # they were about the model this one replaces
        if a.how == "opened" and a.path is not None and a.path.endswith(".session"):
            st.set_file(None, True)  # a session's end state: Save asks where its model file goes
            w.banner.show_message(
                f"Opened the session {Path(a.path).name}: {summary['steps']} steps trained. What you do now "
                "is recorded after it (File > Save Session...).",
                "info",
            )
        elif a.how == "opened":
            st.set_file(a.path, st.changed_since_save, int(summary["steps"]))  # a Step sent before it arrived trains it on
            w.files.remember(a.path)
            w.banner.show_message(f"Opened {Path(a.path).name}: {summary['steps']} steps trained.", "info")
        elif a.how == "adopted":
            st.set_file(None, True)
            w.banner.show_message(
                f"Continuing with the compared {summary['model']}: {summary['steps']} steps trained.", "info"
            )
            w.tabs.setCurrentIndex(w.training_tab)
        elif a.how == "frontier":  # a frontier cell's run (ui/frontier_view.py asked, and says which)
            st.set_file(None, True)
            w.compare_view.frontier.show_opened(w, summary)
        elif a.how == "kept":  # a Reset or new settings failed (the error follows): the model before it
            st.set_file(None, True)  # its file was let go with the Reset; quitting offers to save it
        self.model_ready.emit()

    def _fresh_session(self) -> None:
        self.session = Session()
        self.since_step = 0
        self.w.session_replaced(self.session)

    def _on_saved(self, a: m.Saved) -> None:
        st, w = self.state, self.w
        w.files.remember(a.path)
        w.statusBar().showMessage(f"saved {a.path}", 5000)
        then, self._after_save = self._after_save, None
        if then is not None:
            then(a.path)
        if not st.accepts(a.generation) or not st.has_model:  # written for a model being replaced
            return
        st.file_saved(a.path, a.steps if a.steps >= 0 else None)

    def _on_undone(self, a: m.Undone) -> None:
        if not self.state.has_model:
            return
        self.session.truncate(int(a.step))
        self.session.undo_steps = tuple(a.undo_steps)
        self.state.set_undo(self.session.undo_steps)
        self.w.scrubber.stale = True
        self.w.statusBar().showMessage(f"went back to step {a.step:,}", 4000)
        if not a.rescued:  # the verdict is judged again on the curves as they are now
            self._clear_diagnosis()
            self.diagnose(force=True)
            self._check_again()
        if a.rescued:  # the weights went NaN: the worker restored the last healthy copy
            self.state.set_diagnosis(None)
            self.diagnose(force=True)
            self.w.banner.label.setText(
                self.w.banner.label.text()
                + f" The weights themselves had become NaN, so training went back to step {a.step:,}, "
                "the last healthy state, and paused."
            )

    def _on_seq2seq(self, a: m.Seq2SeqProgress) -> None:
        compare = self.w.prediction_panel.dialog_compare
        if a.error:
            compare.show_error(a.error)
            return
        compare.set_progress(a.steps, a.total, a.loss)
        if a.done:
            compare.set_ready(True)

    # -- training commands ----------------------------------------------------------------------
    def play(self, on: bool = True) -> None:
        if on and self.state.has_model:
            self.state.mark_trained()
            self.send(m.Play())
        elif not on:
            self.send(m.Pause())
            if self.state.play == "playing":
                self.state.play = "paused"  # at once: a Step may follow before the worker answers

    def step(self, n: int = 1) -> None:
        if self.state.playing or not self.state.has_model:
            return
        self.state.mark_trained()
        self.send(m.Step(int(n)))

    def undo(self, n: int = 1) -> None:
        if self.state.has_model and self.session.undo_steps:
            self.state.mark_trained()  # the weights are no longer those of the last save
            self.send(m.Undo(int(n)))

    def stop_rule_changed(self, patience: int, at_val_loss: float | None) -> None:
        """The Training panel's stop rule: the engine watches it from the next validation on."""
        self.send(m.SetStopRule(int(patience), at_val_loss))

    def live_changed(self, changes: dict) -> None:
        st = self.state
        st.config = dataclasses.replace(st.config, train=dataclasses.replace(st.config.train, **changes))
        self.send(m.UpdateTrain(dict(changes)))
        if st.has_model:
            self._judge_afresh()
            self._clear_diagnosis()

    def _judge_afresh(self) -> None:
        """The settings changed: the verdicts are judged again, on the steps trained from here on (the
        steps in flight, trained before the change, arrive before the Barrier's answer), and so is the
        lesson check on show."""
        self._forget_refusals()
        self._barrier = int(time.monotonic_ns())
        self.send(m.Barrier(self._barrier))
        self._check_again()

    def _check_again(self) -> None:
        """Lesson checks quote the steps of the settings they were made under: the card on show is
        checked again (after the change, commands being taken in order), the others' results go."""
        shown = self.w.lessons_view.forget_checks(again=self.state.has_model)
        if shown is not None and self.state.has_model:
            self.send(m.CheckLesson(shown))

    def _clear_diagnosis(self) -> None:
        if self.state.diagnosis is not None:
            self.state.set_diagnosis(None)
            if self.w.banner.shows_diagnosis():
                self.w.banner.hide()

    def build(self, config: SessionConfig) -> None:
        """Forget the current model at once and ask for a fresh one with ``config``."""
        self.send(m.Pause())
        st = self.state
        st.config = config
        st.play = "paused"
        generation = st.next_generation(replaces_now=True)
        self._fresh_session()
        st.set_file(None, False)
        self.send(m.Build(config, generation))

    def open_path(self, path: str) -> None:
        st = self.state
        st.changed_since_save = False  # set again by a Play, Step or Undo sent after this open
        if st.generation == 0:  # opened before the first model was asked for: build it first,
            self.build(st.config)  # so the opened one is the newer and stays
        self.send(m.Open(path, st.next_generation(replaces_now=False)))

    def save_session_to(self, path: str) -> None:
        """File > Save Session: every action since the model was built, and where it ended
        (``SessionSaved`` answers; a failure is said in the banner)."""
        self.send(m.SaveSession(path))

    def save_to(self, path: str, then: Callable[[str], object] | None = None) -> None:
        """Save; ``then(path written)`` runs once the file is written (not after a failed save)."""
        self.state.changed_since_save = False  # set again by a Play, Step or Undo sent after this save
        self._after_save = then
        self.send(m.Save(path))

    def export_script(self, model: str, script: str) -> None:
        """Write the saved model file ``model`` as a PyTorch script (in the training process, where
        torch is; ``Exported`` answers)."""
        self.send(m.ExportScript(model, script))

    def adopt(self, arch: str) -> None:
        self.send(m.Adopt(arch, self.state.next_generation(replaces_now=False)))

    def compare(self, request: dict, config: SessionConfig) -> None:
        self.play(False)
        gaps = tuple(request.get("gaps") or ())
        seeds = int(request.get("seeds", 1))
        self.send(m.Compare(config, tuple(request["archs"]), int(request["steps"]), gaps, seeds))

    def connect_compare(self, view) -> None:
        """The Compare view's Stop, and its sweep's clicked points, go to the worker."""
        view.stop_requested.connect(lambda: self.send(m.StopCompare()))
        view.example_requested.connect(self.inspect_compared)
        view.frontier.stop_requested.connect(lambda: self.send(m.StopCompare()))
        view.frontier.run_requested.connect(self.frontier)

    def frontier(self, request: dict) -> None:
        """The frontier of the panels' classic task, with their model size and training settings."""
        self.play(False)
        try:
            config = self.panel_config()
        except PlaygroundError as e:
            self.w.compare_view.frontier.show_refusal(str(e))
            return
        data, model, train = config.data, config.model, config.train
        clip = train.clip_value if train.clip == "norm" else 0.0
        self.send(m.RunFrontier(
            data.kind, tuple(request["lengths"]), tuple(request["archs"]), int(request["seeds"]),
            int(request["steps"]), hidden=model.hidden, lr=train.lr, batch_size=train.batch_size, clip=clip,
        ))

    def inspect_compared(self, request: dict) -> None:
        """A held-out sequence a compared model gets wrong, for the scrubber (``ComparedExample``)."""
        gap = request.get("gap")
        gap = None if gap is None else int(gap)
        self.send(m.InspectCompared(str(request["arch"]), gap, int(request.get("nth", 0))))

    def _on_compared_example(self, a: m.ComparedExample) -> None:
        w = self.w
        seen = a.inspected
        if seen is None or seen.error:
            text = a.message or f"could not look inside that sequence: {seen.error}"
            w.compare_view.show_note(text)
            w.statusBar().showMessage(text, 10_000)
            return
        example = {
            "arch": a.arch,
            "name": ARCH_NAMES.get(a.arch, a.arch),
            "gap": a.gap,
            "seed": a.seed,
            "index": a.index,
            "text": a.text,
            "right": a.right,
            "answered": a.answered,
            "wrong": a.wrong,
            "total": a.total,
            "inspected": seen.as_dict(),
        }
        w.scrubber.show_example(example)  # before the tab shows: showing it must not inspect anew
        w.tabs.setCurrentIndex(w.scrubber_tab)
        where = "" if a.gap is None else f" at d = {a.gap}"
        note = f"{example['name']}{where} answers {a.answered} to {a.text!r} (right: {a.right})"
        note += ": see 'Inside a sequence'"
        w.compare_view.show_note(note)
        w.statusBar().showMessage(note, 10_000)

    def predict(self, request: m.PredictRequest) -> None:
        if self.state.has_model:
            self.send(m.Predict(request))

    def inspect(self, request: dict) -> None:
        if self.state.has_model:
            self.send(m.Inspect(str(request.get("text") or ""), int(request.get("layer", 0))))
        else:
            self.w.scrubber.clear()

    def train_seq2seq(self, steps: int) -> None:
        if not self.state.has_model:
            self.w.prediction_panel.dialog_compare.show_error("no model yet: wait until it is built")
            return
        self.play(False)
        self.send(m.TrainSeq2Seq(int(steps)))

    # -- diagnosis ---------------------------------------------------------------------------------
    def _update_reach_context(self) -> None:
        """What the gradient plot quotes beside its reach: the unit, the curve at init, needed positions."""
        preview = self.state.summary.get("preview")
        probe = self.session.probe
        if preview is None:
            return
        known = self._needed_for
        if probe is not None and known is not None and known[0] == tuple(probe.labels):
            needed: tuple[int, ...] = known[1]  # the engine's answer (the window holds no task to ask)
        else:
            needed = ()  # no probe yet, or a newer probe text's answer is on its way (ReachContext)
        self.needed = needed
        self.w.gradient_plot.set_reach_context(preview.step_unit, self._init_curve(), needed)

    def _init_curve(self):
        """The curve at initialisation, if it was made for the newest probe's text (else None: a newer
        one is on its way)."""
        probe, init = self.session.probe, self.reach_init
        if init is None or probe is None or len(init) != probe.grad_norm.shape[-1]:
            return None
        return init

    def diagnose(self, force: bool = False) -> None:
        """Look for exploding or vanishing gradients (twice a second at most) and say so in the banner."""
        from playground.core.inspect.diagnosis import diagnose

        now = time.perf_counter()
        if self._barrier or (not force and now - self._diagnosed_at < DIAGNOSE_S):
            return  # (a fix is judged only on steps trained after it)
        self._diagnosed_at = now
        s, st = self.session, self.state
        steps, loss = s.loss.view()
        _, grad = s.grad.view()
        val_x, val_y = s.val.view()
        preview = st.summary.get("preview")
        found = diagnose(
            st.config.model,
            st.config.train,
            loss[:, 0],
            grad[:, 0],
            refused=s.refused,
            last_refusal=s.last_refusal,
            probe_grad=None if s.probe is None else s.probe.grad_norm[-1],
            val_steps=val_x,
            val_losses=val_y[:, 0],
            probe_grad_init=self._init_curve(),
            needed_positions=self.needed,
            labels=None if s.probe is None else s.probe.labels,
            unit=preview.step_unit if preview is not None else "steps",
            chance_loss=self.chance_loss,
            steps_since_refusal=s.steps_since_refusal,
            grad_norms_clipped=grad[:, 1],
            steps=steps,
            since_step=self.since_step,
            fresh_share=preview.fresh_share if preview is not None else 0.0,
        )
        if found is None:
            if st.diagnosis is not None:  # the cause is gone: so is the banner
                st.set_diagnosis(None)
                if self.w.banner.shows_diagnosis():
                    self.w.banner.hide()
            return
        if found.kind in st.dismissed:
            return
        old = st.diagnosis
        if old is not None and found.kind == old.kind and found.message == old.message:
            return
        if found.kind in ("nan", "exploding"):  # back to the last state with a sane loss
            found = dataclasses.replace(found, fixes=(*found.fixes, "undo"))
        st.set_diagnosis(found)
        self.w.banner.show_diagnosis(found)

    def apply_fix(self, fix: str) -> None:
        """One click from the diagnosis banner: change the setting that addresses the trouble."""
        from playground.core.inspect.diagnosis import FIX_TEXT

        w, st = self.w, self.state
        if fix in FIX_TEXT:
            self.send(m.FixApplied(fix))  # a session records the fix, then what it does
        if (
            fix in ("clip", "lower_lr")
            and st.diagnosis is not None
            and st.diagnosis.kind in ("nan", "exploding")
        ):
            self.send(m.RollBack())  # the fix applies to weights from before the blow-up
        if fix == "clip":
            w.controls.clip_value.setValue(1.0)
            w.controls.clip.setCurrentIndex(w.controls.clip.findData("norm"))
        elif fix == "lower_lr":
            w.controls.lr.setValue(max(w.controls.lr.minimum(), st.config.train.lr / 10))
        elif fix == "undo":
            if st.diagnosis is not None and st.diagnosis.kind in ("nan", "exploding"):
                st.mark_trained()
                self.send(m.RollBack(say_if_none=True))  # back before the blow-up, not one Play back
            else:
                self.undo(1)
        elif fix in ("relu_identity", "lstm", "gru", "dropout"):
            model = st.config.model
            if fix == "dropout":
                model = dataclasses.replace(model, layers=max(2, model.layers), dropout=0.3)
            elif fix == "relu_identity":
                model = dataclasses.replace(model, activation="relu", init="identity")
            else:
                model = dataclasses.replace(model, arch=fix, activation="tanh")
            w.model_panel.set_config(model)
            self.model_changed(w.model_panel.config())
            if st.config.model != w.model_panel.config():
                return  # the user kept the current model
        else:
            return
        # judged afresh: steps from before the fix (a batch in flight when it was clicked) do not count
        self._judge_afresh()
        st.set_diagnosis(None)
        w.banner.show_message(f"Applied: {FIX_TEXT[fix]}. Press Play to see whether it helps.", "info")

    def _forget_refusals(self) -> None:
        s = self.session
        s.refused, s.last_refusal, s.last_refusal_step = 0, "", 0

    # -- settings from the panels ----------------------------------------------------------------
    def panel_config(self) -> SessionConfig:
        w = self.w
        return SessionConfig(
            model=w.model_panel.config(),
            data=w.data_panel.config(),
            train=w.controls.config(self.state.config.train),
        )

    def model_changed(self, model: ModelConfig) -> None:
        self._settings_changed(dataclasses.replace(self.state.config, model=model))

    def data_changed(self, data: DataConfig) -> None:
        w = self.w
        w.model_panel.set_data_kind(data.kind)
        try:
            model = w.model_panel.config()
        except PlaygroundError:
            model = self.state.config.model
        self._settings_changed(dataclasses.replace(self.state.config, data=data, model=model))

    def _settings_changed(self, config: SessionConfig) -> None:
        st, w = self.state, self.w
        if config == st.config:
            return
        if not w.may_discard("Change the model or data?"):
            w.show_config(st.config)  # the panels go back to what is actually training
            return
        w.rebuild(dataclasses.replace(config, train=w.controls.config(st.config.train)))
