"""Inside the window: event-loop latency and plot frame rate while training flat out.

A QTimer asks to run every 10 ms on the window's thread; how late each tick comes is the
time a click or a key press would have waited. The frame rate counts redraws that found
new data. The same preset is also trained from a plain Trainer loop in this process, so
the last column says what share of training speed the window costs.

    python benchmarks/bench_window.py                     # LSTM on knock-knock, 5 s per run
    python benchmarks/bench_window.py --arch rnn --seconds 10 --json

Targets: p95 latency < 50 ms on CPU; frames/s near 30; window/CLI speed near 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.trainer import Trainer

PING_MS = 10


def preset(arch: str, data: str, hidden: int) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=hidden),
        data=DataConfig(kind=data),
        train=TrainConfig(lr=3e-3, batch_size=32, seq_len=64),
    )


def wait(app: QApplication, seconds: float, until=None) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.001)


def run_window(app: QApplication, config: SessionConfig, seconds: float) -> dict:
    from playground.ui.main_window import MainWindow

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat)
    w = MainWindow(config=config, settings=settings)
    w.ask_before_discard = False
    w.resize(1500, 950)
    w.show()
    wait(app, 30, until=lambda: bool(w.summary))
    w.play()
    wait(app, 30, until=lambda: w.session.steps > 5)

    gaps: list[float] = []
    last = [time.perf_counter()]

    def ping() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(PING_MS)
    timer.timeout.connect(ping)
    steps0, frames0 = w.session.steps, w.frames
    t0 = last[0] = time.perf_counter()
    timer.start()
    ev = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), ev.quit)
    ev.exec()
    timer.stop()
    elapsed = time.perf_counter() - t0
    steps = w.session.steps - steps0
    frames = w.frames - frames0
    w.pause()
    wait(app, 5, until=lambda: w.state.play == "paused")
    w.shutdown()
    w.close()
    late = (np.array(gaps) - PING_MS / 1000) * 1000
    return {
        "p50_ms": float(np.percentile(late, 50)),
        "p95_ms": float(np.percentile(late, 95)),
        "p99_ms": float(np.percentile(late, 99)),
        "max_ms": float(late.max()),
        "frames_per_s": frames / elapsed,
        "window_steps_per_s": steps / elapsed,
    }


def run_plain(config: SessionConfig, seconds: float) -> float:
    """Steps/s of the same preset from a plain loop (what `rnn-playground train` does)."""
    from playground.core.trainer import share_the_cpu

    share_the_cpu()  # the same torch thread count the window uses, so only the window differs
    tr = Trainer(config)
    for _ in range(5):
        tr.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tr.step(probe=(n % 10 == 0))
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="lstm", choices=["rnn", "lstm", "gru", "transformer", "mlp"])
    p.add_argument("--data", default="knock-knock", choices=["text", "knock-knock"])
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    a = p.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = preset(a.arch, a.data, a.hidden)
    win = run_window(app, config, a.seconds)
    plain = run_plain(config, a.seconds)
    win["plain_steps_per_s"] = plain
    win["window_share"] = win["window_steps_per_s"] / plain if plain else float("nan")

    print(f"{a.arch} on {a.data}, hidden {a.hidden}, {a.seconds:g} s each, {os.cpu_count()} CPUs")
    print(
        f"  event-loop lateness  p50 {win['p50_ms']:6.1f} ms   p95 {win['p95_ms']:6.1f} ms (target < 50)"
        f"   p99 {win['p99_ms']:6.1f} ms   max {win['max_ms']:6.1f} ms"
    )
    print(f"  plot frames          {win['frames_per_s']:6.1f} /s (timer asks for 30)")
    print(
        f"  training speed       window {win['window_steps_per_s']:7.1f} steps/s   plain loop "
        f"{plain:7.1f} steps/s   share {win['window_share']:.2f}"
    )
    if a.json:
        print(json.dumps(win))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
