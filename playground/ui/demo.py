"""The timed demo (`rnn-playground gui --demo SECONDS`): train, show a view, save a PNG, exit.

A ``Demo`` walks the window through named steps, each one what a user would do with the mouse:
press Play (or set a lesson up and press its card's steps), wait, open a tab, check, take the
picture. Every wait is one ``_when``: ask a question every few milliseconds until it holds or
its time is up, then go on. The exit status is ``Demo.status`` (2: the PNG could not be written,
or the lesson could not be set up).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from playground.core.presets import DEFAULT_PRESET

VIEWS = ("training", "step", "scrubber", "history", "compare", "chat", "neurons", "trajectory", "export")
# what the compare view runs when the preset's data kind names no comparison of its own
DEFAULT_COMPARISON = (("rnn", "lstm", "gru", "transformer"), 300, ())
# what the compare view runs for a classic task (a kind with a length T): its frontier, lengths, seeds
# a cell and steps a seed, with the preset's model and training settings
DEMO_FRONTIER = ("10, 20", 3, 4000)
# the turns of the chat view's joke: a name in no joke it learned from, then a punchline that the
# reply copies (the attention map shows how)
CHAT_TURNS = ("Knock, knock!", "Rosalind.", "Rosalind here, I lost my keys!", "Knock, knock!", "Rosalind.")


def time_cpu() -> float:
    return time.process_time()


class DemoMeter:
    """What a demo measures: steps trained, frames drawn, and how late a 10 ms timer's ticks come
    (the time a click would have waited), from Play to the end of the demo."""

    PING_MS = 10

    def __init__(self, window) -> None:
        self.window = window
        self.gaps: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(self.PING_MS)
        self._timer.timeout.connect(self._ping)
        self._clock = time.perf_counter
        self._t0 = self._last = self._cpu0 = 0.0
        self._steps0 = self._frames0 = 0
        self.result: dict = {}

    def start(self) -> None:
        self._t0 = self._last = self._clock()
        self._cpu0 = time_cpu()
        self._steps0, self._frames0 = self.window.session.steps, self.window.frames
        self._timer.start()

    def _ping(self) -> None:
        now = self._clock()
        self.gaps.append(now - self._last)
        self._last = now

    def stop(self) -> dict:
        import numpy as np

        if self.result or not self._t0:
            return self.result
        self._timer.stop()
        elapsed = max(self._clock() - self._t0, 1e-9)
        steps = self.window.session.steps - self._steps0
        late = np.maximum(np.asarray(self.gaps or [0.0]) * 1000 - self.PING_MS, 0.0)
        self.result = {
            "steps": int(steps),
            "seconds": round(elapsed, 2),
            "steps_per_s": round(steps / elapsed, 2),
            "frames_per_s": round((self.window.frames - self._frames0) / elapsed, 2),
            "latency_p50_ms": round(float(np.percentile(late, 50)), 2),
            "latency_p95_ms": round(float(np.percentile(late, 95)), 2),
            "latency_p99_ms": round(float(np.percentile(late, 99)), 2),
            "latency_max_ms": round(float(late.max()), 2),
            # CPU the window's own process used (its share of one core): with training in a process
            # of its own, what the window takes from training's cores
            "window_cpu_share": round((time_cpu() - self._cpu0) / elapsed, 3),
            "training": type(self.window.worker_thread).__name__,
            "platform": QApplication.platformName(),
        }
        return self.result


def demo_window(preset: str = DEFAULT_PRESET, data: Any = None, settings: QSettings | None = None):
    """The window a demo drives: ``preset``'s session (its model learning from ``data``, a DataConfig,
    when given), 1600 x 1000, shown. It never reads or writes the user's remembered settings: without
    ``settings``, a fresh file in a temporary folder."""
    from playground.core.presets import PRESETS
    from playground.ui.main_window import MainWindow

    if settings is None:
        folder = Path(tempfile.mkdtemp(prefix="rnn-playground-demo-"))
        settings = QSettings(str(folder / "demo.ini"), QSettings.Format.IniFormat)
    config = PRESETS[preset][1]
    if data is not None:
        config = dataclasses.replace(config, data=data)
    window = MainWindow(config=config, settings=settings)
    window.ask_before_discard = False
    window.resize(1600, 1000)
    window.show()
    return window


class Demo(QObject):
    """One timed demo on ``window``: ``run()`` it, and it exits the event loop with ``status`` set."""

    def __init__(
        self,
        window,
        seconds: float,
        screenshot: str | None = None,
        preset: str = DEFAULT_PRESET,
        view: str = "training",
        report_json: bool = False,
        lesson: str | None = None,
        data: Any = None,
        meter: DemoMeter | None = None,
    ) -> None:
        super().__init__()
        self.window = window
        self.seconds = seconds
        self.screenshot = screenshot
        self.preset = preset
        self.view = view
        self.report_json = report_json
        self.lesson = lesson
        self.data = data
        self.meter = meter if meter is not None else DemoMeter(window)
        self.status = 0  # the exit status: 2 when the PNG could not be written or the lesson set up
        self.card = None  # the lesson's card, once it is set up
        self._turns = iter(CHAT_TURNS)

    # -- waiting -------------------------------------------------------------------------------

    @staticmethod
    def _after(ms: int, step: Callable[[], None]) -> None:
        QTimer.singleShot(ms, step)

    def _when(
        self,
        ready: Callable[[], bool],
        then: Callable[[], None],
        *,
        seconds: float | None = None,
        every_ms: int = 200,
        first_ms: int | None = None,
        then_ms: int | None = None,
    ) -> None:
        """Run ``then`` (``then_ms`` later, when given) once ``ready()`` holds or ``seconds`` have passed
        (never, without them): asking now, or first after ``first_ms``, then every ``every_ms``."""
        deadline = None if seconds is None else time.perf_counter() + seconds

        def poll() -> None:
            if ready() or (deadline is not None and time.perf_counter() > deadline):
                if then_ms is None:
                    then()
                else:
                    self._after(then_ms, then)
            else:
                self._after(every_ms, poll)

        if first_ms is None:
            poll()
        else:
            self._after(first_ms, poll)

    # -- the steps -----------------------------------------------------------------------------

    def run(self) -> int:
        """The window shows its model, then the demo starts; returns the exit status when it quits."""
        if self.window.summary:
            self._after(0, self.start)
        else:
            self.window.model_ready.connect(self.start, Qt.ConnectionType.SingleShotConnection)
        app = QApplication.instance()
        app.exec()
        # Quitting closed the window, and a last window closed posts one more Quit: dropped, so that a
        # demo run in a process that goes on (a test) leaves no Quit to end its next event loop at once
        QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)
        return self.status

    def start(self) -> None:
        """The model is there: a lesson is set up, the compare view runs, or Play is pressed."""
        if self.lesson is not None:
            self.start_lesson()
        elif self.view == "compare":
            self.run_comparison()
        else:
            self.train_preset()

    def train_preset(self) -> None:
        """Play: the preset trains for the demo's seconds, its plots moving, then ``finish``."""
        self.window.play()
        self.meter.start()
        self._after(int(self.seconds * 1000), self.finish)

    def finish(self) -> None:
        """Pause, the Predict panel answers the demo's question, and the chosen view opens."""
        window, view = self.window, self.view
        self.meter.stop()
        window.pause()
        window.ask_demo_question()
        if self.data is not None:  # the user's own file: show what the Data panel made of it
            window.data_dock.raise_()
        if view == "step":  # one more step, laid open in the step debugger
            window.step(1)
            window.tabs.setCurrentIndex(window.step_tab)
        elif view == "scrubber":  # showing the tab inspects the probe text; then scrub to its middle
            window.tabs.setCurrentIndex(window.scrubber_tab)
            window.scrubber.request()
            self._after(1500, self.scrub)
        elif view == "history":
            window.tabs.setCurrentIndex(window.history_tab)
        elif view == "trajectory":
            window.tabs.setCurrentIndex(window.extra_tabs["trajectory"])
        elif view == "neurons":
            self.rank_neurons()
            return
        elif view == "chat":
            self.chat_with_both()
            return
        elif view == "export":
            self.export_then_shoot()
            return
        self._after(2500 if view == "scrubber" else 1200, self.shoot)

    def scrub(self) -> None:
        """The time scrubber's slider moves two thirds along the probe text."""
        slider = self.window.scrubber.slider
        slider.setValue(slider.maximum() * 2 // 3)

    def rank_neurons(self) -> None:
        """The Neurons tab ranks its units by the quotes track, samples with the top one clamped."""
        neurons = self.window.neurons_view
        self.window.tabs.setCurrentIndex(self.window.neurons_tab)
        neurons.track_box.setCurrentText("quotes")
        neurons.rank()
        self._after(1500, neurons.sample_clamped)
        self._after(4000, self.shoot)

    def chat_with_both(self) -> None:
        """The encoder-decoder trains beside the language model; when it is ready, jokes are told."""
        from playground.ui.panels.seq2seq_chat import DEFAULT_STEPS

        compare = self.window.prediction_panel.dialog_compare
        compare.train_requested.emit(DEFAULT_STEPS)
        self._when(compare.is_ready, self.tell_jokes)

    def tell_jokes(self) -> None:
        """A new joke, answered by the language model where it has attention, else the encoder-decoder."""
        panel = self.window.prediction_panel
        panel.dialog_compare.set_in_use("lm" if self.window.config.model.attention else "seq2seq")
        panel.new_joke()
        self._after(100, self.say_next)

    def say_next(self) -> None:
        """The next turn typed into the chat and sent (a new joke at each "Knock, knock!"), or the picture."""
        panel = self.window.prediction_panel
        turn = next(self._turns, None)
        if turn is None:
            self._after(500, self.shoot)
            return
        if turn == "Knock, knock!":
            panel.new_joke()
        panel.chat_edit.setText(turn)
        panel.send_button.click()
        self._after(700, self.say_next)

    def export_then_shoot(self) -> None:
        """File > Export as PyTorch Script: the model saved, then its script (30 s at most), the picture."""
        folder = Path(tempfile.mkdtemp(prefix="rnn-playground-export-"))
        script = folder / f"{self.preset.replace('-', '_')}.py"
        self.window.files.export_script_to(str(script), str(folder / f"{self.preset}.safetensors"))
        self._when(script.exists, self.shoot, seconds=30, every_ms=100, then_ms=300)

    def run_comparison(self) -> None:
        """The Compare tab runs the preset's comparison (memory: the gap sweep) until done or time is up."""
        from playground.core.kinds import kind_spec
        from playground.ui.compare_view import spec_has_span

        window = self.window
        if spec_has_span(window.config.data.kind):
            self.run_frontier()
            return
        archs, steps, gaps = kind_spec(window.config.data.kind).demo_comparison or DEFAULT_COMPARISON
        view = window.compare_view
        window.tabs.setCurrentIndex(window.compare_tab)
        for arch, box in view.checks.items():
            box.setChecked(arch in archs)
        view.steps.setValue(steps)
        if gaps:
            view.sweep_check.setChecked(True)
            view.gaps_edit.setText(", ".join(str(g) for g in gaps))
        view.run_button.click()
        self._when(self._comparison_done, self.show_comparison, seconds=self.seconds, first_ms=500)

    def run_frontier(self) -> None:
        """A classic task: the Compare tab's frontier (``DEMO_FRONTIER``) until it is done or time is up."""
        lengths, seeds, steps = DEMO_FRONTIER
        window = self.window
        panel = window.compare_view.frontier
        window.tabs.setCurrentIndex(window.compare_tab)
        panel.lengths_edit.setText(lengths)
        panel.seeds_spin.setValue(seeds)
        panel.steps_spin.setValue(steps)
        panel.run_button.click()

        def done() -> bool:
            return panel.answer is not None and not panel.running

        self._when(done, self.show_frontier, seconds=self.seconds, first_ms=500)

    def show_frontier(self) -> None:
        """The Compare tab scrolled to its frontier grid, then the picture."""
        from PySide6.QtWidgets import QScrollArea

        panel = self.window.compare_view.frontier
        area = panel.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
            area.ensureWidgetVisible(panel, 0, 0)
        self._after(300, self.shoot)

    def _comparison_done(self) -> bool:
        answer = self.window.compare_view.answer
        return answer is not None and not answer["running"]

    def show_comparison(self) -> None:
        """The comparison's table with its first row selected, then the picture."""
        view = self.window.compare_view
        if view.answer is not None and view.answer.get("rows"):
            view.table.selectRow(0)
        self._after(300, self.shoot)

    def start_lesson(self) -> None:
        """The lesson's card's Set it up: its session is built (the picture at once if it cannot be)."""
        from playground.core.lessons import lesson as card_of

        self.card = card_of(self.lesson)
        if not self.window.setup_lesson(self.lesson):
            self.status = 2
            self._after(0, self.shoot)
            return
        self.window.answered.connect(self._lesson_built)

    def _lesson_built(self, answer) -> None:
        from playground.app.messages import ModelArrived

        # the lesson's own model (not the preset's, still on its way)
        if isinstance(answer, ModelArrived) and answer.generation == self.window.state.generation:
            self.window.answered.disconnect(self._lesson_built)
            self.train_lesson()

    def train_lesson(self) -> None:
        """Step x N, the card's own N as its check expects (the demo's seconds at most), or no steps."""
        steps = self.card.steps
        if not steps:
            self._after(300, self.check_lesson)
            return
        self.window.step(steps)
        self.meter.start()

        def trained() -> bool:
            s = self.window.session
            return s.steps + s.refused >= steps and self.window.state.play == "paused"

        self._when(trained, self.check_lesson, seconds=self.seconds, first_ms=200)

    def check_lesson(self) -> None:
        """Training paused, the card's Check is pressed."""
        self.meter.stop()
        self.window.pause()
        self.window.answered.connect(self._lesson_checked)
        self._after(300, self.window.lessons_view.check_button.click)

    def _lesson_checked(self, answer) -> None:
        from playground.app.messages import LessonChecked

        if isinstance(answer, LessonChecked):
            self.window.answered.disconnect(self._lesson_checked)
            self.show_lesson(answer.check)

    def show_lesson(self, check) -> None:
        """The verdict printed, the card's view outlined, the card shown, its forecast or comparison tried."""
        window, card = self.window, self.card
        verdict = "seen" if check.passed else "not yet"
        print(f"lesson {card.id} after {window.session.steps} steps: {verdict}: {check.text}")
        window.lesson_actions.open_view(card)  # the view it shows, outlined, under the card
        window.ask_demo_question()  # the Predict panel answers, as after any demo
        window.show_lessons(card.id)
        if card.try_action == "forecast":
            window.lesson_actions.try_action(card.id, card.try_action)
        elif card.try_action.startswith("compare:"):  # the comparison the card offers, run to the end
            window.lesson_actions.try_action(card.id, card.try_action)
            self._when(self._comparison_done, self.show_lesson_comparison, seconds=self.seconds, every_ms=300)
            return
        elif card.try_action.startswith(("ablate:", "transplant:")):  # lessons 15 and 16: the try, answered
            window.lesson_actions.try_action(card.id, card.try_action)
            self._when(self._intervention_done, self.shoot, seconds=self.seconds, then_ms=800)
            return
        self._after(1500, self.shoot)

    def _intervention_done(self) -> bool:
        """The card's ablation (the Neurons tab's held column) or transplant (the scrubber's two texts) is in."""
        if self.card.try_action.startswith("ablate:"):
            return self.window.neurons_view.ablated is not None
        return self.window.scrubber.transplanted is not None

    def show_lesson_comparison(self) -> None:
        """The card again, beside the comparison it ran, then the picture."""
        self.window.show_lessons(self.card.id)
        self._after(500, self.shoot)

    def picture(self):
        """The window as drawn; for the export view with its File menu open at the export entry."""
        window = self.window
        pixmap = window.grab()
        if self.view == "export":
            from PySide6.QtGui import QPainter

            # a menu is a window of its own: it is drawn onto the picture where it opens
            bar = window.menuBar()
            menu = bar.actions()[0].menu()
            menu.setActiveAction(window.export_script_action)
            menu.adjustSize()
            painter = QPainter(pixmap)
            painter.drawPixmap(
                bar.mapTo(window, bar.actionGeometry(bar.actions()[0]).bottomLeft()), menu.grab()
            )
            painter.end()
        return pixmap

    def shoot(self) -> None:
        """The picture saved (exit status 2 if it cannot be), training stopped, the JSON line, quit."""
        self.window.redraw_now()
        if self.screenshot:
            path = Path(self.screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self.picture().save(str(path)):
                print(f"rnn-playground: error: cannot write {path}", file=sys.stderr)
                self.status = 2
        self.window.shutdown()
        if self.report_json:
            from playground.core.lessons import lesson as card_of

            shown = (
                {"lesson": self.lesson, "preset": card_of(self.lesson).preset}
                if self.lesson
                else {"preset": self.preset}
            )
            print(json.dumps({**shown, "view": self.view, **self.meter.stop()}), flush=True)
        QApplication.instance().quit()
