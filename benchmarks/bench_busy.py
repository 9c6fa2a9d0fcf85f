"""Training on a busy machine: the default thread policy beside the best fixed thread count.

Starts ``--hogs`` CPU-bound programs (a Python busy loop each, as a browser tab or a build is), then
trains the knock-knock preset (an LSTM 128 with attention) for ``--seconds`` each, alternating:

- the command line (``rnn-playground train --data knock-knock --seconds S --json``) with the default
  policy (core/train/threads.py measures and picks), with ``RNN_PLAYGROUND_TORCH_THREADS=1`` and with
  ``=2`` (the fixed counts the default chooses between on two cores);
- the window (``rnn-playground gui --demo S --preset knock-knock --json``, offscreen, or under Xvfb
  with ``--xvfb``), the same three ways.

Prints steps/s for each, and each default's share of the best fixed count measured in the same run
(issue 27's target: at least 0.8). ``--hogs 0`` measures a quiet machine.

    python benchmarks/bench_busy.py                       # two hogs, 15 s each, 2 rounds
    python benchmarks/bench_busy.py --hogs 0 --rounds 3   # quiet
    python benchmarks/bench_busy.py --xvfb --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"default": None, "1 thread": "1", "2 threads": "2"}
HOG = "import time\nx = 0\nwhile True:\n    x += 1\n"


def _last_json(out: str) -> dict:
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON line in:\n{out[-2000:]}")


def _env(threads: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RNN_PLAYGROUND_TORCH_THREADS", None)
    if threads is not None:
        env["RNN_PLAYGROUND_TORCH_THREADS"] = threads
    return env


def run_cli(seconds: float, threads: str | None, tmp: Path) -> dict:
    cmd = [
        sys.executable, "-m", "playground", "train", "--data", "knock-knock", "--seconds", str(seconds),
        "--json", "--quiet", "--out", str(tmp / "bench-busy.safetensors"),
    ]  # fmt: skip
    out = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env=_env(threads), timeout=seconds + 180
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return _last_json(out.stdout)


def run_window(seconds: float, threads: str | None, xvfb: bool) -> dict:
    cmd = [sys.executable, "-m", "playground", "gui", "--demo", str(seconds), "--preset", "knock-knock", "--json"]
    env = _env(threads)
    if xvfb:
        if shutil.which("xvfb-run") is None:
            raise SystemExit("--xvfb needs xvfb-run (apt-get install xvfb)")
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24", *cmd]
        env.pop("QT_QPA_PLATFORM", None)
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("RNN_PLAYGROUND_TRAINING", None)  # the window's default: a training process
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=seconds + 180)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return _last_json(out.stdout)


def start_hogs(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n)]


def measure(seconds: float, rounds: int, hogs: int, xvfb: bool, window: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-busy-"))
    rates: dict[str, dict[str, list[float]]] = {"cli": {k: [] for k in SETTINGS}}
    if window:
        rates["window"] = {k: [] for k in SETTINGS}
    threads_chosen: list[int] = []
    running = start_hogs(hogs)
    try:
        for _ in range(rounds):
            for name, threads in SETTINGS.items():
                got = run_cli(seconds, threads, tmp)
                rates["cli"][name].append(got["steps_per_s"])
                if threads is None:
                    threads_chosen.append(got.get("threads", 0))
                if window:
                    rates["window"][name].append(run_window(seconds, threads, xvfb)["steps_per_s"])
    finally:
        for p in running:
            p.kill()
            p.wait()
    result: dict = {"hogs": hogs, "seconds": seconds, "rounds": rounds, "xvfb": xvfb, "cores": os.cpu_count()}
    for where, by in rates.items():
        med = {k: statistics.median(v) for k, v in by.items()}
        best = max(med["1 thread"], med["2 threads"])
        result[where] = {
            "steps_per_s": med,
            "rounds": by,
            "default_share_of_best_fixed": med["default"] / best if best else float("nan"),
        }
    result["cli_threads_chosen"] = threads_chosen
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--hogs", type=int, default=2, help="CPU-bound programs running beside (0: quiet)")
    p.add_argument("--xvfb", action="store_true", help="the window on a virtual X screen (xvfb-run)")
    p.add_argument("--no-window", action="store_true", help="the command line only")
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    a = p.parse_args()
    r = measure(a.seconds, a.rounds, a.hogs, a.xvfb, not a.no_window)
    print(f"{r['hogs']} CPU-bound programs beside, {r['cores']} cores, {a.seconds:g} s x {a.rounds} rounds")
    for where in ("cli", "window"):
        if where not in r:
            continue
        s = r[where]["steps_per_s"]
        share = r[where]["default_share_of_best_fixed"]
        print(
            f"{where:>6}: default {s['default']:6.1f}  1 thread {s['1 thread']:6.1f}  "
            f"2 threads {s['2 threads']:6.1f} steps/s   default / best fixed {share:.2f}"
        )
    if a.json:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
