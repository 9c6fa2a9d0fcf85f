"""Start-up: each phase from launching `rnn-playground` to the first model ready, beside a bare Qt window.

Each run starts a fresh process (with its own empty settings folder) and reads the times it prints,
in seconds since launch:

    imported       the window's modules are imported (window process)
    window-built   the main window is constructed, not yet shown
    first-paint    the main window is fully painted for the first time
    process-up     the training process is running and ready for commands (child process)
    process-warm   it has loaded what the first Build needs (torch, the first optimizer's set-up)
    task-built     the first model's data is built (in the training process)
    model-built    the first model is built and sent to the window (training process)
    model-ready    the window has it, ready to train

The reference is a bare PySide6 window: a Python process that opens an empty QMainWindow, the floor
any PySide6 app pays, run alternately with the app in the same session (a busy machine slows both).
With ``--baseline DIR`` a second checkout of the app (say the commit before a change, from
``git archive``) runs in the same rounds, so that before and after are measured side by side.

    python benchmarks/bench_startup.py                      # offscreen, 5 rounds
    python benchmarks/bench_startup.py --xvfb --runs 7      # under a virtual X server (Xvfb)
    python benchmarks/bench_startup.py --baseline /tmp/base --json

Targets (issue 27): first paint at most 3x the bare window and under 0.8 s on a quiet 2-core
machine; first model ready under 2.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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
            import resource
            u = resource.getrusage(resource.RUSAGE_SELF)
            QTimer.singleShot(0, lambda: (print(f"first-paint {time.time() - t0:.3f}", flush=True),
                                          print(f"first-paint-cpu {u.ru_utime + u.ru_stime:.3f}", flush=True), app.quit()))
        return False
spy = Spy(app)
app.installEventFilter(spy)
w.show()
app.exec()
"""

PHASES = (
    "imported",
    "window-built",
    "first-paint",
    "process-up",
    "process-warm",
    "task-built",
    "model-built",
    "model-ready",
)
# Not a time since launch: the CPU seconds the window's process used until its first paint (user and
# system). A busy machine stretches the wall clock; the CPU it takes to paint stays about the same.
CPU = "first-paint-cpu"


def run_once(cmd: list[str], env_extra: dict[str, str], cwd: Path, last: str) -> dict[str, float]:
    """One launch; the phases it printed (seconds since launch). ``last``: the phase it must reach."""
    home = tempfile.mkdtemp(prefix="rnn-startup-")
    env = {
        **os.environ,
        **env_extra,
        "XDG_CONFIG_HOME": home,
        "RNN_PLAYGROUND_STARTUP_T0": repr(time.time()),
    }
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180, cwd=cwd)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    times: dict[str, float] = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(" ")
        if (name in PHASES or name == CPU) and name not in times:
            with contextlib.suppress(ValueError):
                times[name] = float(value)
    if last not in times:
        raise SystemExit(f"no {last} reported by {' '.join(cmd)} in {cwd}:\n{out.stdout[-1000:]}\n{out.stderr[-2000:]}")
    return times


@contextlib.contextmanager
def xvfb():
    """A virtual X server for the whole run (started once, so its start is in no run's time)."""
    if not shutil.which("Xvfb"):
        raise SystemExit("Xvfb is not installed (apt-get install xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as f:
            display = f.readline().strip()
        if not display:
            raise SystemExit("Xvfb did not start")
        yield {"DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb"}
    finally:
        server.terminate()
        server.wait(10)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def median(rows: list[dict[str, float]], phase: str) -> float | None:
    values = [r[phase] for r in rows if phase in r]
    return statistics.median(values) if values else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="rounds (each: the bare window, the app, the baseline)")
    p.add_argument("--xvfb", action="store_true", help="under a virtual X server instead of offscreen")
    p.add_argument("--baseline", type=Path, help="another checkout of the app, run in the same rounds")
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    a = p.parse_args()

    candidates = {"bare": ([sys.executable, "-c", BARE], ROOT, "first-paint")}
    candidates["app"] = ([sys.executable, "-m", "playground", "gui"], ROOT, "model-ready")
    if a.baseline is not None:
        candidates["baseline"] = ([sys.executable, "-m", "playground", "gui"], a.baseline.resolve(), "model-ready")
    # What a user launches has its bytecode compiled (pip compiles a wheel's modules when it installs
    # them; a checkout writes its caches on the first launch). Without this, a shell with
    # PYTHONDONTWRITEBYTECODE=1 (this machine's) would compile every module of the app at each launch
    # (0.27 s of CPU measured) while the bare window's PySide6 comes compiled.
    for _cmd, cwd, _last in candidates.values():
        if (cwd / "playground").is_dir():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(cwd / "playground")], check=True)
    loads = [load_average()]
    results: dict[str, list[dict[str, float]]] = {name: [] for name in candidates}
    with xvfb() if a.xvfb else contextlib.nullcontext({"QT_QPA_PLATFORM": "offscreen"}) as env:
        for _ in range(a.runs):
            for name, (cmd, cwd, last) in candidates.items():
                results[name].append(run_once(cmd, env, cwd, last))
            loads.append(load_average())

    platform = "xvfb" if a.xvfb else "offscreen"
    floor = median(results["bare"], "first-paint")
    print(f"start-up ({platform}), median of {a.runs} rounds, {os.cpu_count()} CPUs, load average {loads[0]} .. {loads[-1]}")
    print(f"  bare PySide6 window, first paint   {floor:6.2f} s")
    names = [n for n in candidates if n != "bare"]
    print(f"  {'phase (s since launch)':<34}" + "".join(f"{n:>10}" for n in names))
    summary: dict[str, dict[str, float | None]] = {}
    for phase in PHASES:
        row = {n: median(results[n], phase) for n in names}
        summary[phase] = row
        cells = "".join(f"{v:10.2f}" if v is not None else f"{'-':>10}" for v in row.values())
        print(f"  {phase:<34}{cells}")
    ratios = {n: (summary["first-paint"][n] or 0) / floor for n in names}
    print(f"  {'first paint / bare window':<34}" + "".join(f"{ratios[n]:9.1f}x" for n in names))
    cpu_floor = median(results["bare"], CPU)
    cpu = {n: median(results[n], CPU) for n in names}
    cpu_ratios = {n: (cpu[n] / cpu_floor if cpu[n] and cpu_floor else None) for n in names}
    if cpu_floor:
        print(f"  {'CPU s to first paint (bare ' + format(cpu_floor, '.2f') + ')':<34}"
              + "".join(f"{v:10.2f}" if v else f"{'-':>10}" for v in cpu.values()))
        print(f"  {'  the same / bare window':<34}"
              + "".join(f"{v:9.1f}x" if v else f"{'-':>10}" for v in cpu_ratios.values()))
    print("  targets: first paint <= 3x the bare window (< 0.8 s quiet), model ready < 2.5 s (quiet)")
    if a.json:
        print(
            json.dumps(
                {
                    "platform": platform,
                    "runs": a.runs,
                    "load": loads,
                    "bare_window_s": floor,
                    "phases": summary,
                    "paint_ratio": ratios,
                    "bare_window_cpu_s": cpu_floor,
                    "first_paint_cpu_s": cpu,
                    "paint_cpu_ratio": cpu_ratios,
                    # the old keys, as benchmarks/run_all.py reads them
                    "first_paint_s": summary["first-paint"]["app"],
                    "model_ready_s": summary["model-ready"]["app"],
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
