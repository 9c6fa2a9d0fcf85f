"""Training in a child process (the window's default): the same typed messages across a pipe, a save
on quit through the process, a crashed process that leaves the window standing, and no process left
behind. The rest of the window's tests run training in a thread (conftest), where they can read the
model directly; these run the path users get."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from window_helpers import arrived

from playground.app import messages as m
from playground.app.process import EngineProcess, ProcessLost
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30
ROOT = Path(__file__).resolve().parents[1]


def config() -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


@pytest.fixture
def process_window(open_window, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_TRAINING", "process")

    def make():
        w = open_window(config())
        assert type(w.worker_thread).__name__ == "TrainingProcess"
        return w

    return make


def _wait_for(answers: list, done, timeout_s: float = 60) -> None:
    """Until an answer satisfies ``done`` (the reader thread appends them) or the time is up."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and not any(done(a) for a in answers):
        time.sleep(0.05)


def test_engine_process_answers_typed_messages_and_ends_when_asked():
    answers: list = []
    proc = EngineProcess(answers.append)
    try:
        proc.send(m.Build(config(), 1))
        proc.send(m.Step(5))
        _wait_for(answers, lambda a: isinstance(a, m.PlayState) and a.state == "paused")
        arrived = [a for a in answers if isinstance(a, m.ModelArrived)]
        assert arrived and arrived[0].generation == 1 and arrived[0].summary["session"] == config()
        steps = [int(s) for a in answers if isinstance(a, m.ProgressBatch) for s in a.progress.steps]
        assert steps[-1] == 5
    finally:
        assert proc.close(30.0), "the process did not end when asked"  # wide: a loaded machine is slow to exit
    assert not proc.alive and proc.process.exitcode == 0
    assert not any(isinstance(a, ProcessLost) for a in answers)  # asked to end: not reported as lost


def test_every_presets_data_crosses_the_pipe():
    """A model's summary carries its task to the window: every preset's must pickle (a module or a
    lambda inside a task once broke the first-run window's process and no test saw it)."""
    import pickle

    from playground.core.data import build_task
    from playground.core.presets import PRESETS

    for name, (_, session) in PRESETS.items():
        task = build_task(session.data)
        assert type(pickle.loads(pickle.dumps(task))) is type(task), name


def test_the_first_run_model_answers_a_chat_with_its_attention_across_the_pipe():
    from playground.core.presets import default_session

    answers: list = []
    proc = EngineProcess(answers.append)
    try:
        proc.send(m.Build(default_session(), 1))
        proc.send(m.Step(2))
        proc.send(m.Predict(m.Reply("Gertrude.", ("Knock, knock!", "Who's there?"))))
        _wait_for(answers, lambda a: isinstance(a, m.Predicted))
        assert not any(isinstance(a, (ProcessLost, m.Failed)) for a in answers), answers
        arrived = [a for a in answers if isinstance(a, m.ModelArrived)]
        assert arrived and arrived[0].summary["session"] == default_session()
        predicted = next(a for a in answers if isinstance(a, m.Predicted))
        assert not predicted.error and isinstance(predicted.result, m.ReplyAnswer), predicted.error
        assert predicted.result.lm_attention is not None and predicted.result.lm_attention.weights.ndim == 2
    finally:
        assert proc.close(30.0)


def test_window_trains_steps_and_undoes_through_the_process(qtbot, process_window):
    w = process_window()
    with qtbot.waitSignal(
        w.answered,
        check_params_cb=lambda a: isinstance(a, m.PlayState) and a.state == "paused",
        timeout=20_000,
    ):
        w.controller.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3, timeout=10_000)
    w.controller.play(True)
    qtbot.waitUntil(lambda: w.session.steps >= 10, timeout=20_000)
    w.controller.play(False)
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    before = w.session.steps
    with qtbot.waitSignal(
        w.answered, check_params_cb=lambda a: isinstance(a, m.Undone), timeout=10_000
    ) as got:
        w.controller.undo(1)
    assert got.args[0].step < before


def test_an_answer_from_a_replaced_model_is_dropped_across_the_pipe(qtbot, process_window):
    w = process_window()
    panel = w.prediction_panel
    shown = []
    w.answered.connect(lambda a: isinstance(a, m.Predicted) and shown.append(a))
    panel.prompt_edit.setText("the ")
    dropped = w.controller.dropped
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        panel.complete_button.click()
        w.reset()
    qtbot.waitUntil(lambda: w.controller.dropped > dropped, timeout=10_000)
    assert shown == [] and panel.output_view.toPlainText() == ""


def test_quit_with_save_writes_the_model_through_the_process(qtbot, process_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from playground.core.train import checkpoint

    w = process_window()
    with qtbot.waitSignal(
        w.answered,
        check_params_cb=lambda a: isinstance(a, m.PlayState) and a.state == "paused",
        timeout=20_000,
    ):
        w.controller.step(4)
    qtbot.waitUntil(lambda: w.session.steps == 4, timeout=10_000)
    target = tmp_path / "quit.safetensors"
    w.state.set_file(str(target), True)
    w.ask_before_discard = True
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    assert w.close()
    assert checkpoint.load(str(target)).steps == 4
    assert not w.worker_thread.running()


def test_a_crashed_training_process_leaves_the_window_and_a_fresh_process(qtbot, process_window):
    w = process_window()
    old = w.worker_thread.worker.process.process
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, ProcessLost), timeout=10_000):
        os.kill(old.pid, signal.SIGKILL)
    assert "Training stopped: its process ended unexpectedly (signal 9)" in w.controller.last_error
    assert w.banner.isVisible() and "Press Reset" in w.banner.label.text()
    assert not w.state.has_model and w.state.play == "paused" and not w.dirty
    qtbot.waitUntil(w.worker_thread.running, timeout=10_000)
    assert w.worker_thread.worker.process.process.pid != old.pid
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        w.reset()  # the settings survived: the same model again, in the new process
    assert w.state.has_model and w.state.config == config()


def test_a_script_without_a_main_guard_is_not_run_again_in_the_training_process(tmp_path):
    marker = tmp_path / "runs.txt"
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            from pathlib import Path
            with open({str(marker)!r}, "a") as f:
                f.write("ran\\n")
            from playground.app import messages as m
            from playground.app.process import EngineProcess
            got = []
            p = EngineProcess(got.append)
            p.send(m.ProbeNow())  # nothing to probe: the process answers nothing and stays up
            time.sleep(1.0)
            print("alive", p.alive)
            print("closed", p.close(5.0))
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "alive True" in out.stdout and "closed True" in out.stdout
    assert marker.read_text() == "ran\n"  # once: the child did not import the script


def test_the_window_trains_in_a_thread_when_no_process_can_start(qtbot, open_window, monkeypatch, capsys):
    import playground.app.process as process

    def refuse(*_a, **_k):
        raise OSError("no processes left")

    monkeypatch.setenv("RNN_PLAYGROUND_TRAINING", "process")
    monkeypatch.setattr(process.EngineProcess, "__init__", refuse)
    w = open_window(config())
    assert type(w.worker_thread).__name__ == "WorkerThread" and w.state.has_model
    assert "training runs in a thread: its process did not start (no processes left)" in capsys.readouterr().err


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for init to reap it counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_window_leaves_no_training_process_behind_even_a_stuck_one(tmp_path):
    """The window's process is killed (a crash, kill -9): its training process ends within seconds,
    even one stuck in work that never reads the pipe (here: asleep). A process left behind holds a
    core and the terminal's output; in CI it held the log open until the run timed out."""
    (tmp_path / "stuck.py").write_text(
        "import time\n"
        "from playground.app import launch\n"
        "def main():\n"
        "    launch.end_with_parent(0.2)\n"
        "    time.sleep(600)\n"
    )
    script = tmp_path / "window.py"
    script.write_text(
        textwrap.dedent(
            """
            import multiprocessing, sys, time
            from playground.app import launch
            import stuck
            if __name__ == "__main__":
                conn, training, _ = launch.spawn()
                other = multiprocessing.get_context("spawn").Process(target=stuck.main, daemon=True)
                other.start()
                print(training.pid, other.pid, flush=True)
                time.sleep(600)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    window = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        pids = [int(p) for p in window.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        time.sleep(0.5)
    finally:
        window.kill()
        window.wait(10)
    end = time.monotonic() + 20
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]
