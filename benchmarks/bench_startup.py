"""Start-up: seconds from launching `rnn-playground` to the first painted window, beside a bare Qt window.

Each run starts a fresh process (offscreen, with its own empty settings folder) and reads two
times it prints: the first fully painted main window, and the first model built (torch loaded,
the preset ready to train). The bare reference is a Python process that opens an empty
QMainWindow: the floor any PySide6 app pays. Runs alternate between the two; medians are shown.

    python benchmarks/bench_startup.py            # 5 runs each
    python benchmarks/bench_startup.py --runs 9 --json

Target: first paint under 1.5 s on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = r"""
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
t0 = float(os.environ["RNN_PLAYGROUND_STARTUP_T0"])
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setCentralWidget(QLabel("bare window"))
w.resize(1500, 950)
class Spy(QObject):
    done = False
    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            QTimer.singleShot(0, lambda: (print(f"first-paint {time.time() - t0:.3f}", flush=True), app.quit()))
        return False
spy = Spy(app)
app.installEventFilter(spy)
w.show()
app.exec()
"""


def run_once(cmd: list[str]) -> dict[str, float]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="rnn-startup-"),
        "RNN_PLAYGROUND_STARTUP_T0": repr(time.time()),
    }
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    times = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("first-paint", "model-ready"):
            times[name] = float(value)
    if "first-paint" not in times:
        raise SystemExit(f"no first paint reported by {' '.join(cmd)}:\n{out.stderr[-2000:]}")
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    a = p.parse_args()
    app_cmd = [sys.executable, "-m", "playground", "gui"]
    bare_cmd = [sys.executable, "-c", BARE]
    ours, bare = [], []
    for _ in range(a.runs):
        ours.append(run_once(app_cmd))
        bare.append(run_once(bare_cmd))
    paint = statistics.median(r["first-paint"] for r in ours)
    ready = statistics.median(r["model-ready"] for r in ours if "model-ready" in r)
    floor = statistics.median(r["first-paint"] for r in bare)
    print(f"start-up, median of {a.runs} runs, {os.cpu_count()} CPUs")
    print(
        f"  first painted window    {paint:6.2f} s   (target < 1.5 s; a bare PySide6 window: {floor:.2f} s)"
    )
    print(f"  first model ready       {ready:6.2f} s   (torch loaded in the training thread, preset built)")
    if a.json:
        print(json.dumps({"first_paint_s": paint, "model_ready_s": ready, "bare_window_s": floor}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
