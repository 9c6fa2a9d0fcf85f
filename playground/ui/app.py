"""Start the application: the plain window, or a timed demo that writes a screenshot."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from playground.app.launch import no_display
from playground.core.presets import DEFAULT_PRESET


def _no_display() -> bool:
    return no_display()


def _app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("RNN Playground")
    app.setOrganizationName("RNN Playground")
    return app


def _report_first_paint(app, window, t0: float) -> None:
    """For benchmarks/bench_startup.py: print the seconds from launch (t0, epoch) to the first
    fully painted window, then the seconds until the first model is built, and quit."""
    import time

    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, obj, event):
            if not self.done and event.type() == QEvent.Type.Paint and obj.window() is window:
                self.done = True
                # the rest of this frame is painted before the queued call runs
                QTimer.singleShot(0, lambda: _say(f"first-paint {time.time() - t0:.3f}"))
            return False

    spy = FirstPaint(app)
    app.installEventFilter(spy)

    def built() -> None:
        _say(f"model-ready {time.time() - t0:.3f}")
        QTimer.singleShot(0, app.quit)

    if window.summary:
        built()
    else:
        window.model_ready.connect(built)


def _say(line: str) -> None:
    """A start-up phase on stdout in one write: the training process reports into the same pipe."""
    sys.stdout.flush()
    os.write(1, (line + "\n").encode())


def _phase_reporter(t0: float):
    import time

    def phase(what: str) -> None:
        _say(f"{what} {time.time() - t0:.3f}")

    return phase


VIEWS = ("training", "step", "scrubber", "history", "compare", "chat", "neurons", "trajectory")
# what the compare view runs when the preset's data kind names no comparison of its own
DEFAULT_COMPARISON = (("rnn", "lstm", "gru", "transformer"), 300, ())


def time_cpu() -> float:
    import time

    return time.process_time()


class DemoMeter:
    """What a demo measures: steps trained, frames drawn, and how late a 10 ms timer's ticks come
    (the time a click would have waited), from Play to the end of the demo."""

    PING_MS = 10

    def __init__(self, window) -> None:
        import time

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


def main(
    demo: float | None = None,
    screenshot: str | None = None,
    preset: str = DEFAULT_PRESET,
    view: str = "training",
    report_json: bool = False,
    lesson: str | None = None,
    data: Any = None,
) -> int:
    """Open the window. With ``demo``, train ``preset`` for that many seconds, show ``view``, save a PNG.
    ``data`` (a DataConfig): the preset's model learns from it instead of the preset's data."""
    if _no_display():
        if demo is None:
            print(
                "rnn-playground: error: no display to open the window on (DISPLAY is not set); "
                "use `rnn-playground gui --demo SECONDS --screenshot out.png` or xvfb-run",
                file=sys.stderr,
            )
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a demo can draw without a screen
    t0 = os.environ.get("RNN_PLAYGROUND_STARTUP_T0")  # benchmarks/bench_startup.py: report the phases
    phase = _phase_reporter(float(t0)) if t0 and demo is None else (lambda what: None)
    app = _app()
    from playground.core.presets import PRESETS
    from playground.ui.main_window import MainWindow

    if demo is None:
        phase("imported")
        window = MainWindow()
        phase("window-built")
        window.show()
        if t0:
            _report_first_paint(app, window, float(t0))
        return app.exec()

    import tempfile
    import time

    from PySide6.QtCore import QSettings

    # A demo never reads or writes the user's remembered settings.
    settings = QSettings(
        str(Path(tempfile.mkdtemp(prefix="rnn-playground-demo-")) / "demo.ini"), QSettings.Format.IniFormat
    )
    config = PRESETS[preset][1]
    if data is not None:
        import dataclasses

        config = dataclasses.replace(config, data=data)
    window = MainWindow(config=config, settings=settings)
    window.ask_before_discard = False
    window.resize(1600, 1000)
    window.show()
    status = {"code": 0}
    meter = DemoMeter(window)

    def finish() -> None:
        meter.stop()
        window.pause()
        window.ask_demo_question()
        if data is not None:  # the user's own file: show what the Data panel made of it
            window.data_dock.raise_()
        if view == "step":  # one more step, laid open in the step debugger
            window.step(1)
            window.tabs.setCurrentIndex(window.step_tab)
        elif view == "scrubber":  # showing the tab inspects the probe text; then scrub to its middle
            window.tabs.setCurrentIndex(window.scrubber_tab)
            window.scrubber.request()
            QTimer.singleShot(
                1500, lambda: window.scrubber.slider.setValue(window.scrubber.slider.maximum() * 2 // 3)
            )
        elif view == "history":
            window.tabs.setCurrentIndex(window.history_tab)
        elif view == "trajectory":
            window.tabs.setCurrentIndex(window.extra_tabs["trajectory"])
        elif view == "neurons":  # rank the units by the quotes track; the top one is selected
            window.tabs.setCurrentIndex(window.neurons_tab)
            window.neurons_view.track_box.setCurrentText("quotes")
            window.neurons_view.rank()
            QTimer.singleShot(1500, window.neurons_view.sample_clamped)
            QTimer.singleShot(4000, shoot)
            return
        elif view == "chat":  # train the encoder-decoder beside the language model, then tell jokes
            chat_with_both()
            return
        elif view == "export":  # File > Export as PyTorch Script: the model saved, then its script
            export_then_shoot()
            return
        QTimer.singleShot(2500 if view == "scrubber" else 1200, shoot)

    def chat_with_both() -> None:
        panel = window.prediction_panel
        compare = panel.dialog_compare
        from playground.ui.panels.seq2seq_chat import DEFAULT_STEPS

        compare.train_requested.emit(DEFAULT_STEPS)
        # a name in no joke it learned from, then a punchline: the reply copies it, the map shows how
        turns = iter(
            ["Knock, knock!", "Rosalind.", "Rosalind here, I lost my keys!", "Knock, knock!", "Rosalind."]
        )

        def wait_ready() -> None:
            if compare.is_ready():
                # the language model answers where it has attention (the map shows where it looked)
                compare.set_in_use("lm" if window.config.model.attention else "seq2seq")
                panel.new_joke()
                QTimer.singleShot(100, say_next)
            else:
                QTimer.singleShot(200, wait_ready)

        def say_next() -> None:
            turn = next(turns, None)
            if turn is None:
                QTimer.singleShot(500, shoot)
                return
            if turn == "Knock, knock!":
                panel.new_joke()
            panel.chat_edit.setText(turn)
            panel.send_button.click()
            QTimer.singleShot(700, say_next)

        wait_ready()

    def export_then_shoot() -> None:
        folder = Path(tempfile.mkdtemp(prefix="rnn-playground-export-"))
        script = folder / f"{preset.replace('-', '_')}.py"
        window.files.export_script_to(str(script), str(folder / f"{preset}.safetensors"))
        deadline = time.perf_counter() + 30

        def wait() -> None:
            if script.exists() or time.perf_counter() > deadline:
                QTimer.singleShot(300, shoot)
            else:
                QTimer.singleShot(100, wait)

        wait()

    def picture():
        """The window as drawn; for the export view with its File menu open at the export entry
        (a menu is a window of its own, so it is drawn onto the picture where it opens)."""
        pixmap = window.grab()
        if view == "export":
            from PySide6.QtGui import QPainter

            bar = window.menuBar()
            menu = bar.actions()[0].menu()
            menu.setActiveAction(window.export_script_action)
            menu.adjustSize()
            painter = QPainter(pixmap)
            painter.drawPixmap(bar.mapTo(window, bar.actionGeometry(bar.actions()[0]).bottomLeft()), menu.grab())
            painter.end()
        return pixmap

    def shoot() -> None:
        window.redraw_now()
        if screenshot:
            path = Path(screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not picture().save(str(path)):
                print(f"rnn-playground: error: cannot write {path}", file=sys.stderr)
                status["code"] = 2
        window.shutdown()
        if report_json:
            import json

            from playground.core.lessons import lesson as lesson_card

            shown = {"lesson": lesson, "preset": lesson_card(lesson).preset} if lesson else {"preset": preset}
            print(json.dumps({**shown, "view": view, **meter.stop()}), flush=True)
        app.quit()

    def start_lesson() -> None:
        """Set the lesson up as its card's button does, train it (if it trains), check it, shoot."""
        from playground.app.messages import LessonChecked
        from playground.core.lessons import lesson as card_of

        card = card_of(lesson)
        if not window.setup_lesson(lesson):
            status["code"] = 2
            QTimer.singleShot(0, shoot)
            return

        def built(answer) -> None:
            from playground.app.messages import ModelArrived

            if isinstance(answer, ModelArrived) and answer.generation == window.state.generation:
                window.answered.disconnect(
                    built
                )  # the lesson's own model (not the preset's, still on its way)
                train()

        def train() -> None:
            """The card's own number of steps (Step x N), as the lesson's check expects; ``demo`` seconds
            at most."""
            if not card.steps:
                QTimer.singleShot(300, check)
                return
            window.step(card.steps)
            meter.start()
            deadline = time.perf_counter() + demo

            def wait() -> None:
                s = window.session
                trained = s.steps + s.refused >= card.steps and window.state.play == "paused"
                if trained or time.perf_counter() > deadline:
                    check()
                else:
                    QTimer.singleShot(200, wait)

            QTimer.singleShot(200, wait)

        def check() -> None:
            meter.stop()
            window.pause()
            window.answered.connect(checked)
            QTimer.singleShot(300, window.lessons_view.check_button.click)

        def checked(answer) -> None:
            if isinstance(answer, LessonChecked):
                window.answered.disconnect(checked)
                print(
                    f"lesson {card.id} after {window.session.steps} steps: {'seen' if answer.check.passed else 'not yet'}: {answer.check.text}"
                )
                window.lesson_actions.open_view(card)  # the view it shows, outlined, under the card
                window.ask_demo_question()  # the Predict panel answers, as after any demo
                window.show_lessons(card.id)
                if card.try_action == "forecast":
                    window.lesson_actions.try_action(card.id, card.try_action)
                elif card.try_action.startswith("compare:"):  # the comparison the card offers, run to the end
                    window.lesson_actions.try_action(card.id, card.try_action)
                    wait_for_comparison(time.perf_counter() + demo)
                    return
                QTimer.singleShot(1500, shoot)

        def wait_for_comparison(deadline: float) -> None:
            answer = window.compare_view.answer
            if (answer is not None and not answer["running"]) or time.perf_counter() > deadline:
                window.show_lessons(card.id)
                QTimer.singleShot(500, shoot)
            else:
                QTimer.singleShot(300, lambda: wait_for_comparison(deadline))

        window.answered.connect(built)

    def start() -> None:
        if lesson is not None:
            start_lesson()
            return
        if view == "compare":
            start_comparison()
            return
        window.play()
        meter.start()
        QTimer.singleShot(int(demo * 1000), finish)

    def start_comparison() -> None:
        """Run the preset's comparison (or the memory lesson's gap sweep) and shoot when it is done."""
        from playground.core.kinds import kind_spec

        archs, steps, gaps = kind_spec(window.config.data.kind).demo_comparison or DEFAULT_COMPARISON
        view_ = window.compare_view
        window.tabs.setCurrentIndex(window.compare_tab)
        for arch, box in view_.checks.items():
            box.setChecked(arch in archs)
        view_.steps.setValue(steps)
        if gaps:
            view_.sweep_check.setChecked(True)
            view_.gaps_edit.setText(", ".join(str(g) for g in gaps))
        view_.run_button.click()
        deadline = time.perf_counter() + demo

        def check() -> None:
            answer = view_.answer
            if (answer is not None and not answer["running"]) or time.perf_counter() > deadline:
                if answer is not None and answer.get("rows"):
                    view_.table.selectRow(0)
                QTimer.singleShot(300, shoot)
            else:
                QTimer.singleShot(200, check)

        QTimer.singleShot(500, check)

    if window.summary:
        QTimer.singleShot(0, start)
    else:
        window.model_ready.connect(start, Qt.ConnectionType.SingleShotConnection)
    app.exec()
    return status["code"]
