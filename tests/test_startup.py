"""Start-up (issue 27, "quick to open"): the training process starts before the window is shown and
loads torch meanwhile; the window shows the first model without importing torch; the first model's
data is built once; tabs nobody opened are made when first shown. The figures themselves are
benchmarks/bench_startup.py's; the one timed test here has a very wide margin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
TEXT = "the cat sat on the mat. the dog sat on the log. " * 20


def config() -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


def _run(code: str, timeout: float = 180) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_the_training_process_starts_before_the_window_is_first_shown(qtbot, open_window, monkeypatch):
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QMainWindow

    monkeypatch.setenv("RNN_PLAYGROUND_TRAINING", "process")
    shown: list[float] = []

    class FirstShow(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Show and isinstance(obj, QMainWindow) and not shown:
                shown.append(time.monotonic())
            return False

    spy = FirstShow()
    QApplication.instance().installEventFilter(spy)
    try:
        w = open_window(config())
    finally:
        QApplication.instance().removeEventFilter(spy)
    process = w.worker_thread.worker.process
    assert shown and process.started < shown[0], "the training process started only after the window showed"
    assert w.summary["steps"] == 0 and w.summary["preview"].kind == "text"


def test_the_window_takes_the_process_the_command_line_started_early(open_window, monkeypatch):
    from playground.app import launch

    monkeypatch.setenv("RNN_PLAYGROUND_TRAINING", "process")
    assert launch.start_early()
    early = launch._early[1]
    w = open_window(config())
    assert w.worker_thread.worker.process.process is early
    assert launch._early is None  # taken once: the next window starts its own


def test_no_early_process_when_training_runs_in_a_thread(monkeypatch):
    from playground.app import launch

    monkeypatch.setenv("RNN_PLAYGROUND_TRAINING", "thread")
    assert not launch.start_early()
    assert launch.take_early() is None


def test_the_first_model_reaches_the_window_without_torch_with_a_preview_of_its_data():
    out = _run(
        """
        import sys, time
        from playground.app import messages as m
        from playground.app.process import EngineProcess
        from playground.core.presets import default_session

        answers = []
        proc = EngineProcess(answers.append)
        proc.send(m.Build(default_session(), 1))
        end = time.monotonic() + 150
        while time.monotonic() < end and not any(isinstance(a, m.ModelArrived) for a in answers):
            time.sleep(0.05)
        arrived = next(a for a in answers if isinstance(a, m.ModelArrived))
        seen = arrived.summary["preview"]
        print("torch:", "torch" in sys.modules)
        print("kind:", seen.kind, seen.step_unit, type(seen).__name__, seen.mode)
        print("dialogs:", seen.dialogs_total > 50, seen.dialogs[0][0], seen.made_up > 0, seen.fresh_share > 0)
        assert proc.close(60.0)
        """
    )
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["torch"] == "False"  # the window's process has not loaded torch for it
    assert lines["kind"] == "knock-knock characters DataPreview dialogs"
    assert lines["dialogs"] == "True Knock, knock! True True"


def test_the_first_optimizer_skips_dynamo_until_the_warming_ends():
    out = _run(
        """
        import sys
        import torch
        from playground.app import process

        deferred = process.defer_dynamo()
        print("deferred", len(deferred) > 0)
        opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
        opt.zero_grad()
        print("dynamo after the first optimizer", "torch._dynamo" in sys.modules)
        process._deferred = deferred
        process.finish_warming()
        print("dynamo after warming", "torch._dynamo" in sys.modules)
        print("wrappers back", all("__dynamo_disable" not in f.__dict__ for f in deferred))
        w = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.Adam([w], lr=0.1)
        (w * w).sum().backward()
        opt.step()
        print("steps", bool((w < 1).all()))
        """
    )
    assert out.splitlines() == [
        "deferred True",
        "dynamo after the first optimizer False",
        "dynamo after warming True",
        "wrappers back True",
        "steps True",
    ]


def test_a_shutdown_during_the_warming_ends_the_process_without_a_model():
    from playground.app.process import EngineProcess

    answers: list = []
    proc = EngineProcess(answers.append)
    assert proc.close(60.0), "the process did not end when asked"
    assert proc.process.exitcode == 0 and answers == []


def test_the_data_preview_shows_the_models_own_task(qtbot, open_window):
    w = open_window(config())
    panel = w.data_panel
    qtbot.waitUntil(lambda: panel.preview() is not None, timeout=20_000)
    assert panel.preview() is w.summary["preview"]  # built once, by the training side, not again
    assert w.worker_thread.worker.engine.previews.built == 0


def test_tabs_nobody_opened_are_made_when_first_shown(qtbot, open_window):
    w = open_window(config())
    assert not w._pages["compare"].built and not w._pages["neurons"].built
    w.tabs.setCurrentIndex(w.compare_tab)
    assert w._pages["compare"].built
    assert w.compare_view.isVisible()
    w.tabs.setCurrentIndex(w.extra_tabs["trajectory"])
    assert w._pages["trajectory"].built and w.trajectory_plot in w.plots
    assert w.neurons_view is w._pages["neurons"].widget  # asked for: made, not shown


@pytest.mark.parametrize("platform", ["offscreen"])
def test_the_first_model_is_ready_soon_after_launch(tmp_path, platform):
    """Very wide margin (a loaded 2-core machine): the real figures are bench_startup.py's."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": platform,
        "XDG_CONFIG_HOME": str(tmp_path),
        "RNN_PLAYGROUND_STARTUP_T0": repr(time.time()),
    }
    env.pop("RNN_PLAYGROUND_TRAINING", None)
    out = subprocess.run(
        [sys.executable, "-m", "playground", "gui"], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )
    phases = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(" ")
        phases.setdefault(name, float(value))
    assert {"first-paint", "process-up", "model-ready"} <= phases.keys(), out.stdout + out.stderr[-2000:]
    assert phases["model-ready"] < 30.0
    assert phases["process-up"] < phases["model-ready"]


def test_the_engine_says_which_probe_positions_matter_so_the_window_need_not_open_the_task():
    from playground.app import messages as m
    from playground.app.engine import Engine
    from playground.core.inspect import reach
    from playground.core.presets import PRESETS

    answers: list = []
    engine = Engine(answers.append)
    engine.handle(m.Build(PRESETS["memory"][1], 1))
    context = next(a for a in answers if isinstance(a, m.ReachContext))
    assert context.needed and context.labels
    assert context.needed == reach.needed_positions(engine.trainer.task, list(context.labels))


def test_the_answers_of_training_unpickle_in_the_window_without_torch(tmp_path):
    """A step's progress (with its probe and, for a Step press, the step laid open), a model, a reach
    context: everything the training process sends as the window trains opens in a process that has
    never imported torch (their records live in core/inspect/reports.py)."""
    import pickle
    import subprocess
    import sys

    from playground.app import messages as m
    from playground.app.engine import Engine
    from playground.core.presets import default_session

    answers: list = []
    engine = Engine(answers.append, same_process=False)
    engine.handle(m.Build(default_session(), 1))
    engine.handle(m.Step(2))
    engine.run_until_idle()
    batches = [a for a in answers if isinstance(a, m.ProgressBatch)]
    assert any(b.progress.probe is not None for b in batches)
    assert any(b.progress.detail is not None and b.progress.detail_report is not None for b in batches)
    kinds = set()
    engine.handle(m.PreviewData(DataConfig(kind="prices", source="generator"), 1))
    assert engine.previews.wait_idle()
    for i, a in enumerate(answers):
        (tmp_path / f"{i}.pickle").write_bytes(pickle.dumps(a))
        kinds.add(type(a).__name__)
    assert {"ModelArrived", "ProgressBatch", "PlayState", "DataPreviewed"} <= kinds
    code = (
        "import pickle, sys, pathlib\n"
        f"for p in sorted(pathlib.Path({str(tmp_path)!r}).glob('*.pickle')):\n"
        "    pickle.loads(p.read_bytes())\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_the_first_paint_waits_for_neither_numpy_nor_pyqtgraph_and_the_plots_follow(tmp_path):
    """Issue 27: the window paints before numpy, pyqtgraph and torch load in its process; the live
    plots take their places right after, and the first model is asked for once it has painted."""
    out = _run(
        f"""
        import os, sys
        os.environ["RNN_PLAYGROUND_TRAINING"] = "process"  # as the window trains outside tests
        os.environ["XDG_CONFIG_HOME"] = {str(tmp_path)!r}
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from playground.ui.main_window import MainWindow
        w = MainWindow()
        seen = {{}}
        class Spy(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint and not seen:
                    seen.update({{m: m in sys.modules for m in ("numpy", "pyqtgraph", "torch")}})
                    seen["plots made"] = w._live.built
                    seen["model asked for"] = w.state.generation > 0
                return False
        spy = Spy()
        app.installEventFilter(spy)
        w.show()
        def ready():
            seen["shown"] = [p.isVisible() for p in w.plots], w.tabs.currentIndex() == w.training_tab
            QTimer.singleShot(0, app.quit)
        w.model_ready.connect(ready)
        QTimer.singleShot(120_000, app.quit)
        app.exec()
        print("shown:", *seen.pop("shown"))
        for k, v in seen.items():
            print(f"{{k}}: {{v}}")
        print("plots:", [type(p).__name__ for p in w.plots])
        print("loss label:", w.loss_plot.plot_item.getAxis("left").labelText)
        print("ready:", bool(w.summary))
        w.ask_before_discard = False
        w.close()
        """
    )
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert lines["numpy"] == lines["pyqtgraph"] == lines["torch"] == "False", out
    assert lines["plots made"] == "False" and lines["model asked for"] == "False", out
    assert lines["plots"] == "['LossPlot', 'GradNormPlot', 'GradientThroughTimePlot', 'HiddenStatePlot', 'GatesPlot']"
    assert lines["shown"] == "[True, True, True, True, True] True", out  # in their places, not hidden
    assert lines["ready"] == "True"
    assert "loss" in lines["loss label"].lower(), out


def test_a_plot_read_before_the_first_paint_is_made_at_once(qtbot):
    from playground.ui.main_window import MainWindow

    w = MainWindow(config())
    qtbot.addWidget(w)
    w.ask_before_discard = False
    assert not w._live.built
    plot = w.loss_plot  # read before any paint: made now, in its place in the grid
    assert w._live.built and plot in w.plots and len(w.plots) == 5
    assert plot.parent() is not None and all(p.parent() is plot.parent() for p in w.plots)


@pytest.mark.parametrize(
    "line, cores, taken",
    [
        ("0.50 0.40 0.30 2/300 999", 2, False),  # the window and this process: a core each
        ("2.90 2.10 2.00 3/300 999", 2, False),  # one busy program: they share the other core
        ("5.90 5.10 4.00 4/300 999", 2, True),  # two busy programs beside them
        ("5.90 5.10 4.00 4/300 999", 8, False),  # the same on eight cores
        ("garbage", 2, False),  # unreadable: never wait
    ],
)
def test_the_training_process_sees_whether_a_core_is_free(tmp_path, monkeypatch, line, cores, taken):
    from playground.app import launch

    path = tmp_path / "loadavg"
    path.write_text(line + "\n")
    monkeypatch.setattr(launch.os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert launch.cores_taken(str(path)) is taken
    assert launch.cores_taken(str(tmp_path / "missing")) is False


def test_with_no_core_free_the_training_process_loads_nothing_until_the_window_asks():
    out = _run(
        """
        import multiprocessing, sys, threading, time
        from playground.app import launch
        from playground.app.process import Shutdown
        launch.cores_taken = lambda loadavg="": True
        window, child = multiprocessing.Pipe()
        t = threading.Thread(target=launch.child_main, args=(child,))
        t.start()
        time.sleep(0.5)
        print("engine before:", "playground.app.engine" in sys.modules)
        window.send(Shutdown())
        t.join(60)
        print("engine after:", "playground.app.engine" in sys.modules, "ended:", not t.is_alive())
        """
    )
    assert "engine before: False" in out and "engine after: True ended: True" in out, out
