"""Start the application: the plain window, or a timed demo that writes a screenshot (its steps:
``ui/demo.py``)."""

from __future__ import annotations

import os
import sys
from typing import Any

from PySide6.QtCore import QTimer
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
                QTimer.singleShot(0, lambda: (_say(f"first-paint {time.time() - t0:.3f}"), _say_cpu()))
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


def _say_cpu() -> None:
    """The CPU seconds this process has used so far (user and system): unlike the wall clock, about
    the same on a busy machine as on a quiet one."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    _say(f"first-paint-cpu {usage.ru_utime + usage.ru_stime:.3f}")


def _say(line: str) -> None:
    """A start-up phase on stdout in one write: the training process reports into the same pipe."""
    sys.stdout.flush()
    os.write(1, (line + "\n").encode())


def _phase_reporter(t0: float):
    import time

    def phase(what: str) -> None:
        _say(f"{what} {time.time() - t0:.3f}")

    return phase


def main(
    demo: float | None = None,
    screenshot: str | None = None,
    preset: str = DEFAULT_PRESET,
    view: str = "training",
    report_json: bool = False,
    lesson: str | None = None,
    data: Any = None,
    theme: str | None = None,
) -> int:
    """Open the window. With ``demo``, train ``preset`` for that many seconds, show ``view``, save a PNG.
    ``data`` (a DataConfig): the preset's model learns from it instead of the preset's data.
    ``theme`` ("system", "light", "dark"): for this run; without it, the one View > Theme remembered
    (a demo, which never reads the remembered settings: the system's)."""
    if _no_display():
        if demo is None:
            print(
                "rnn-playground: error: no display to open the window on (DISPLAY is not set); "
                "use `rnn-playground gui --demo SECONDS --screenshot out.png` or xvfb-run",
                file=sys.stderr,
            )
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a demo can draw without a screen
    from playground.app.qt_libs import check_before_window

    missing = check_before_window()  # Qt would abort the process without them: say what to install
    if missing:
        print(f"rnn-playground: error: {missing}", file=sys.stderr)
        return 2
    t0 = os.environ.get("RNN_PLAYGROUND_STARTUP_T0")  # benchmarks/bench_startup.py: report the phases
    phase = _phase_reporter(float(t0)) if t0 and demo is None else (lambda what: None)
    app = _app()
    from playground.ui.plots.theme import apply_theme

    if demo is None:
        from PySide6.QtCore import QSettings

        remembered = QSettings("RNN Playground", "RNN Playground").value("theme", "system")
        apply_theme(theme or (remembered if remembered in ("system", "light", "dark") else "system"), app)
        from playground.ui.main_window import MainWindow

        phase("imported")
        window = MainWindow()
        phase("window-built")
        window.show()
        if t0:
            _report_first_paint(app, window, float(t0))
        return app.exec()

    apply_theme(theme or "system", app)
    from playground.ui.demo import Demo, demo_window

    window = demo_window(preset, data)
    return Demo(
        window,
        demo,
        screenshot=screenshot,
        preset=preset,
        view=view,
        report_json=report_json,
        lesson=lesson,
        data=data,
    ).run()
