"""The window's process holds no data and no torch (issue 26): the training process builds every task
(the model's and the data panel's previews) and sends a small preview of it; File > Export as
PyTorch Script loads the model there too. And a data file is read once per change of the data: the
preview's task is the one the next model trains on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter with training in its own process, as the app runs: the default
# knock-knock session, a few steps, the chat, the data preview, a data setting changed (a new
# preview, then a new model on it), the model exported as a script, the Unrolled view, a comparison. It prints whether torch was ever
# imported in this process (and where first), and whether any task object ever reached it.
SCRIPT = r"""
import os, sys, tempfile, time, traceback
from pathlib import Path

first_torch = []


class WatchTorch:
    def find_spec(self, name, path=None, target=None):
        if (name == "torch" or name.startswith("torch.")) and not first_torch:
            first_torch.append("".join(traceback.format_stack(limit=12)))
        return None


sys.meta_path.insert(0, WatchTorch())

import multiprocessing.connection as mpc

tasks_seen = []


def _tasks_in(obj, depth=0, seen=None):
    # every object reachable from an answer (dataclass fields, mappings, sequences, attributes)
    seen = set() if seen is None else seen
    if depth > 8 or id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return
    seen.add(id(obj))
    if hasattr(obj, "sample_batch") and type(obj).__module__.startswith("playground.core.data"):
        tasks_seen.append(type(obj).__name__)
        return
    if isinstance(obj, dict):
        items = list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif hasattr(obj, "__dict__"):
        items = list(vars(obj).values())
    else:
        items = [getattr(obj, s) for s in getattr(type(obj), "__slots__", ()) if hasattr(obj, s)]
    for item in items:
        _tasks_in(item, depth + 1, seen)


_recv = mpc.Connection.recv


def recv(self):
    answer = _recv(self)
    _tasks_in(answer)
    return answer


mpc.Connection.recv = recv

import pickle

_loads = pickle.loads


def loads(data, *args, **kwargs):  # anything else unpickled here (a blob inside an answer)
    obj = _loads(data, *args, **kwargs)
    _tasks_in(obj)
    return obj


pickle.loads = loads

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication([])
from playground.app import messages as m
from playground.ui.main_window import MainWindow

home = Path(tempfile.mkdtemp())
w = MainWindow(settings=QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat))
w.ask_before_discard = False
w.show()
answers = []
w.answered.connect(answers.append)


def wait(what, cond, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return
        time.sleep(0.005)
    print(f"timed out: {what}", flush=True)
    w.shutdown()
    sys.exit(3)


wait("the first model", lambda: bool(w.summary))
print("training:", type(w.worker_thread).__name__, w.summary["preview"].kind)
w.step(3)
wait("3 steps", lambda: w.session.steps >= 3 and w.state.play == "paused")
w.prediction_panel.ask_natural_question()
wait("the chat's reply", lambda: any(isinstance(a, m.Predicted) and a.result is not None for a in answers))
w.data_dock.show()
w.data_dock.raise_()
panel = w.data_panel
wait("the data preview", lambda: panel.preview() is not None and panel.dialog_list.count() > 50)
print("preview:", panel.preview().kind, panel.preview().made_up)
jokes = panel.made_up_spin.value() + 500
panel.made_up_spin.setValue(jokes)  # a new preview, built in the training process, then a new model
wait("the new preview", lambda: not panel.busy and panel.preview().made_up == jokes)
wait("the model on it", lambda: bool(w.summary) and w.summary["preview"].made_up == jokes)
print("new preview:", panel.preview().made_up == jokes, f"{jokes:,} made-up jokes" in panel.summary_label.text())
previewed = [a for a in answers if isinstance(a, m.DataPreviewed)]
print("previewed:", len(previewed), previewed[-1].error == "")
script = home / "jokes.py"
w.files.export_script_to(str(script), str(home / "jokes.safetensors"))
wait("the script", lambda: any(isinstance(a, m.Exported) for a in answers))
print("exported:", script.exists(), "exported" in w.statusBar().currentMessage())
w.tabs.setCurrentIndex(w.unrolled_tab)  # the recurrence unrolled, and a short comparison: numbers only
wait("the unrolled view", lambda: any(isinstance(a, m.UnrolledAnswer) for a in answers))
w.tabs.setCurrentIndex(w.compare_tab)
for arch, box in w.compare_view.checks.items():
    box.setChecked(arch in ("rnn", "gru"))
w.compare_view.steps.setValue(20)
w.compare_view.run_button.click()
wait("the comparison", lambda: any(isinstance(a, m.Compared) and not a.running and a.rows for a in answers))
print("views:", w.unrolled_view.unrolled is not None, len(w.compare_view.answer["rows"]))
print("torch:", "torch" in sys.modules)
print("tasks:", len(tasks_seen))
modules = ("text", "dialogs", "series", "memory", "order", "spell", "classify", "quotes")
print("task modules:", sorted(n for n in modules if f"playground.core.data.{n}" in sys.modules))
if first_torch:
    print("first torch import:", first_torch[0].replace("\n", " | "))
w.shutdown()
"""


def test_the_window_process_never_imports_torch_nor_receives_a_task(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    env["RNN_PLAYGROUND_TRAINING"] = "process"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)], capture_output=True, text=True, timeout=400, cwd=ROOT, env=env
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert lines["training"] == "TrainingProcess knock-knock", out.stdout
    assert lines["new preview"] == "True True", out.stdout
    assert lines["previewed"].endswith(" True"), out.stdout
    assert lines["exported"] == "True True", out.stdout + out.stderr[-2000:]
    assert lines["views"] == "True 2", out.stdout
    assert lines["tasks"] == "0", out.stdout  # no task object ever reached the window's process
    assert lines["task modules"] == "[]", out.stdout  # (unpickling one would have imported its class)
    assert lines["torch"] == "False", lines.get("first torch import", out.stdout)


def _csv(path: Path, n: int = 150) -> Path:
    rows = [f"2024-{1 + i // 28 % 12:02d}-{1 + i % 28:02d},{100 + (i * 7) % 13},{1000 + i}" for i in range(n)]
    path.write_text("day,close,volume\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_csv_file_is_opened_once_per_change_of_the_data(qtbot, open_window, tmp_path, monkeypatch):
    """Choosing a CSV in the data panel: the training side reads it once (its columns, its series and
    the model's task from one read); another window length: once more. (The window trains in a thread
    here, so every open of the process is counted.)"""
    path = _csv(tmp_path / "rows.csv")
    w = open_window(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=8),
            data=DataConfig(kind="prices", source="generator"),
            train=TrainConfig(batch_size=4, val_every=0),
        )
    )
    panel = w.data_panel
    assert panel.wait_idle(20)
    opened: list[str] = []
    real_open = os.open

    def counting_open(p, *args, **kwargs):
        opened.append(str(p))
        return real_open(p, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    monkeypatch.setattr(panel, "_ask_open_path", lambda caption, filter: str(path))

    def trains_on(window: int) -> bool:
        shown = w.summary.get("preview") if w.summary else None
        return (
            w.config.data.path == str(path)
            and w.config.data.window == window
            and shown is not None
            and shown.length == 150
            and shown.window == window
        )

    panel.file_button.click()
    qtbot.waitUntil(lambda: trains_on(w.config.data.window), timeout=30_000)
    assert w.config.data.column == "close"  # the likely column, picked where the file was read
    combo = panel.column_combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["close", "volume"]
    assert opened.count(str(path)) == 1, opened
    assert w.worker_thread.worker.trainer.task.values[0] == 100.0

    window = w.config.data.window + 3
    panel.window_spin.setValue(window)
    qtbot.waitUntil(lambda: trains_on(window), timeout=30_000)
    assert opened.count(str(path)) == 2, opened
