"""Every benchmark in one command: each figure beside its reference and its target.

Runs, one after another in fresh processes (so none disturbs another):

* bench_trainer.py: Trainer steps/s against a bare PyTorch loop (RNN, LSTM, GRU; probes off and on)
  on the CPU, and on CUDA too when torch sees a GPU;
* bench_window.py: event-loop latency (p50, p95, p99) and plot frame rate while training flat out,
  and the share of training speed the window costs against a plain loop;
* bench_startup.py: seconds from launch to each start-up phase, beside a bare Qt window;
* bench_memory.py: resident memory after 20,000 steps against after 2,000.

    python benchmarks/run_all.py                   # about 12 minutes on a 2-core CPU
    python benchmarks/run_all.py --quick           # fewer repetitions and steps, about 6 minutes
    python benchmarks/run_all.py --markdown docs/benchmarks.md   # also write the table there
                                                   # (the notes below the table are kept)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_json(script: str, *args: str) -> dict:
    """Run one benchmark script with --json; its last stdout line is the result."""
    cmd = [sys.executable, str(HERE / script), *args, "--json"]
    print(f"$ {' '.join(Path(c).name if c.endswith('.py') else c for c in cmd[1:])}", file=sys.stderr)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"{script} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cuda_available() -> bool:
    probe = "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions: a rough figure in minutes")
    p.add_argument("--markdown", metavar="PATH", help="also write the results as a Markdown file")
    a = p.parse_args()

    rows: list[tuple[str, str, str, str, str]] = []  # figure, ours, reference, target, verdict

    def verdict(ok: bool | None) -> str:
        return "-" if ok is None else ("ok" if ok else "MISSED")

    reps = ["--reps", "5"] if a.quick else []
    devices = ["cpu"] + (["cuda"] if cuda_available() else [])
    for device in devices:
        tr = run_json("bench_trainer.py", "--device", device, *reps)
        for arch, res in tr["results"].items():
            bare = res["bare"]["steps_per_s"]
            for variant, label in (("off", "probes off"), ("probe10", "probe every 10th step")):
                r = res[variant]
                rows.append(
                    (
                        f"{device}: {arch.upper()} Trainer, {label}",
                        f"{r['steps_per_s']:.1f} steps/s ({r['ratio']:.2f}×)",
                        f"bare torch {bare:.1f} steps/s",
                        f"≥ {r['target']:.2f}× bare",
                        verdict(r["pass"]),
                    )
                )

    # the window against the command line, alternating: single rounds move by +-15% on a shared machine
    win = run_json("bench_window.py", "--seconds", "10" if a.quick else "20", "--rounds", "3" if a.quick else "5")
    rows.append(
        (
            "window: event-loop lateness p50 / p95 / p99",
            f"{win['p50_ms']:.1f} / {win['p95_ms']:.1f} / {win['p99_ms']:.1f} ms",
            "a 10 ms QTimer ping while `gui --demo` trains an LSTM 128 flat out",
            "p95 < 50 ms",
            verdict(win["p95_ms"] < 50),
        )
    )
    rows.append(
        (
            "window: plot frames per second",
            f"{win['frames_per_s']:.1f}",
            "frames follow the data, at most 25 a second",
            "≥ 20",
            verdict(win["frames_per_s"] >= 20),
        )
    )
    rows.append(
        (
            "window: training speed against the command line",
            f"{win['window_steps_per_s']:.1f} steps/s ({win['window_share']:.2f}×)",
            f"`train --data knock-knock --arch lstm` {win['plain_steps_per_s']:.1f} steps/s "
            f"(medians of {win['rounds']} rounds; rounds {min(win['shares']):.2f}-{max(win['shares']):.2f}×)",
            "≥ 0.75×",
            verdict(win["window_share"] >= 0.75),
        )
    )
    st = run_json("bench_startup.py", "--runs", "3" if a.quick else "5")
    rows.append(
        (
            "start-up: launch to first painted window",
            f"{st['first_paint_s']:.2f} s",
            f"bare PySide6 window {st['bare_window_s']:.2f} s ({st['first_paint_s'] / st['bare_window_s']:.1f}×)",
            "≤ 3× bare, < 0.8 s quiet",
            verdict(st["first_paint_s"] <= 3 * st["bare_window_s"]),
        )
    )
    rows.append(
        (
            "start-up: launch to first model ready",
            f"{st['model_ready_s']:.2f} s",
            "the training process up, torch loaded, preset built",
            "< 2.5 s",
            verdict(st["model_ready_s"] < 2.5),
        )
    )
    mem = run_json("bench_memory.py", "--steps", "6000" if a.quick else "20000")
    rows.append(
        (
            f"memory: RSS growth, step {mem['early_step']:,} to {mem['steps']:,}",
            f"{mem['growth_mb']:+.1f} MB ({mem['rss_late_mb']:.0f} MB in all)",
            f"loss curve {mem['loss_points']:,} points, heatmap {mem['gradient_heatmap_rows']} rows",
            "bounded (< 50 MB)",
            verdict(mem["growth_mb"] < 50),
        )
    )

    machine = tr.get("machine", {})
    when = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    head = (
        f"{platform.platform()}, {os.cpu_count()} CPUs ({machine.get('cpu', '?')}), Python "
        f"{platform.python_version()}, torch {machine.get('torch', '?')}, devices: {', '.join(devices)}; {when}"
    )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print(head)
    for r in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if a.markdown:
        lines = [
            "| figure | ours | reference (same run) | target | |",
            "|---|---|---|---|---|",
            *(f"| {' | '.join(r)} |" for r in rows),
        ]
        cmd = "python benchmarks/run_all.py" + (" --quick" if a.quick else "")
        write_table(
            Path(a.markdown),
            "# Benchmarks\n\n"
            f"Made by `{cmd} --markdown {a.markdown}`.\n\n"
            f"Machine: {head}.\n\n" + "\n".join(lines) + "\n",
        )
    return 0


KEPT = "<!-- run_all.py writes the table above this line and keeps everything below it -->"


def write_table(path: Path, table: str) -> None:
    """The table at the top of ``path``; what follows the KEPT line (notes, measurements written by
    hand) stays as it is. Written to a temporary file first: a failed write loses nothing."""
    rest = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if KEPT in old:
            rest = old[old.index(KEPT) + len(KEPT) :]
        elif old.strip():
            rest = "\n\n" + old  # an older file without the line: nothing of it is lost
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(table + "\n" + KEPT + rest, encoding="utf-8")
    tmp.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
