"""Memory of a long run: the window's resident memory after 20,000 training steps, beside after 2,000.

The real window (offscreen) trains a small model flat out. Everything the window keeps grows
with the run only up to a bound: loss and gradient curves are thinned by half when they reach
20,000 points, the gradient-over-training heatmap keeps at most 400 probes, the faded
gradient-through-time curves 12, Undo 20 states. This prints the resident memory (RSS) at both
points, of the window's process and of its training process (Linux; elsewhere the window's only),
and the size of each buffer.

    python benchmarks/bench_memory.py                  # 20,000 steps, a few minutes on 2 cores
    python benchmarks/bench_memory.py --steps 5000 --json

Target: bounded: the two processes' RSS together grows by less than 50 MB from step 2,000 to step
20,000.
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

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TARGET_MB = 50.0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now (Linux /proc; elsewhere this process's peak from getrusage,
    and 0 for another process)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return 0.0
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    a = p.parse_args()

    from playground.ui.main_window import MainWindow
    from playground.ui.worker import TrainingProcess

    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = SessionConfig(
        model=ModelConfig(arch="gru", hidden=32, embed=16),
        data=DataConfig(kind="text"),
        train=TrainConfig(lr=3e-3, batch_size=16, seq_len=32),
    )
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat)
    w = MainWindow(config=config, settings=settings)
    w.ask_before_discard = False
    w.resize(1500, 950)
    w.show()

    def run_until(cond, timeout: float) -> None:
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    run_until(lambda: bool(w.summary), 60)
    w.play()
    early_at = min(2_000, a.steps // 10)
    run_until(lambda: w.session.steps >= early_at, 600)
    # the training process (playground.app.process), unless training runs in a thread of the window
    training = w.worker_thread
    child = training.worker.process.process.pid if isinstance(training, TrainingProcess) else None

    def both() -> tuple[float, float]:
        return rss_mb(), (rss_mb(child) if child else 0.0)

    early_window, early_training = both()
    early = early_window + early_training
    t0 = time.perf_counter()
    run_until(lambda: w.session.steps >= a.steps, 3600)
    w.pause()
    run_until(lambda: w.state.play == "paused", 10)
    late_window, late_training = both()
    late = late_window + late_training
    s = w.session
    buffers = {
        "loss_points": int(s.loss.n),
        "gradient_points": int(s.grad.n),
        "gradient_heatmap_rows": len(s.grad_history),
        "faded_probes": len(s.probe_trail),
        "undo_states": len(s.undo_steps),  # as the training process reports them
    }
    steps = s.steps
    w.shutdown()
    w.close()
    result = {
        "steps": steps,
        "rss_early_mb": early,
        "rss_late_mb": late,
        "growth_mb": late - early,
        "window_mb": [early_window, late_window],
        "training_mb": [early_training, late_training],
        "early_step": early_at,
        "seconds": time.perf_counter() - t0,
        **buffers,
    }
    print(f"memory over a run of {steps:,} steps (GRU 32 on text, the window offscreen)")
    print(
        f"  resident memory    step {early_at:,}: {early:7.1f} MB   step {steps:,}: {late:7.1f} MB   "
        f"growth {late - early:+.1f} MB (target < {TARGET_MB:.0f} MB)"
    )
    print(
        f"    of which         window {early_window:.1f} -> {late_window:.1f} MB, "
        f"training process {early_training:.1f} -> {late_training:.1f} MB"
    )
    print(
        f"  kept in the window loss curve {buffers['loss_points']:,} points (max 20,000), gradient "
        f"heatmap {buffers['gradient_heatmap_rows']} rows (max 400), faded probes "
        f"{buffers['faded_probes']} (max 12), undo {buffers['undo_states']} states (max 20)"
    )
    if a.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
