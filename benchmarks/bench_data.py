"""Data files: seconds from a CSV or a text file to a task ready to train, beside the reader's own time.

Generates, in a temporary folder, CSV files of 10 rows, 10 MB and 50 MB (a date column and five number
columns: open, high, low, close, volume) and texts of 1 kB and 40 MB. Each file is then made ready to
train in a fresh process, as the training process does it: ``build_task`` of the DataConfig the window
or ``train --file`` gives (column "close", window 8 so that 10 rows make a task; the whole text), which reads, checks and parses the file and
cuts the task's windows or ids. torch and the playground are imported before the clock starts; pandas
is not (a first CSV pays for it). Beside it, in its own fresh process, the bare reader on the same file:
``pandas.read_csv(path)`` for a CSV, ``Path.read_text()`` for a text. Peak RSS is each process's own
(VmHWM; torch included in ours). Runs alternate; medians are shown.

    python benchmarks/bench_data.py              # 3 runs each, about a minute on 2 cores
    python benchmarks/bench_data.py --runs 5 --json
    python benchmarks/bench_data.py --before /tmp/old   # also an older checkout, once per file

Targets (issue 27): a 10 MB CSV ready at most 1.0 s after a 10-row one; a 50 MB one at most 4 s after,
its peak memory under 1.5 GB; a 40 MB text at most 1.5 s after a 1 kB one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

MB = 10**6
CSV_SIZES = {"csv 10 rows": 0, "csv 10 MB": 10 * MB, "csv 50 MB": 50 * MB}
TEXT_SIZES = {"text 1 kB": 1000, "text 40 MB": 40 * MB}

OURS = r"""
import json, sys, time
def peak_mb():  # this process's own peak (ru_maxrss would count the parent's, from before the exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
import torch  # noqa: F401  (the training process has it loaded before it builds a task)
from playground.core.config import DataConfig
from playground.core.data import build_task
import playground.core.data.series, playground.core.data.text  # noqa: F401
kind, path = sys.argv[1], sys.argv[2]
cfg = DataConfig(kind="prices", source="file", path=path, column="close", window=8) if kind == "csv" else \
      DataConfig(kind="text", source="file", path=path)
t0 = time.perf_counter()
task = build_task(cfg)
took = time.perf_counter() - t0
size = len(task.values) if kind == "csv" else len(task.train_ids) + len(task.val_ids)
print(json.dumps({"seconds": took, "rss_mb": peak_mb(), "size": size}))
"""

BARE = r"""
import json, sys, time
def peak_mb():  # this process's own peak (ru_maxrss would count the parent's, from before the exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
from pathlib import Path
kind, path = sys.argv[1], sys.argv[2]
if kind == "csv":
    import pandas
    t0 = time.perf_counter()
    size = len(pandas.read_csv(path))
else:
    t0 = time.perf_counter()
    size = len(Path(path).read_text(encoding="utf-8"))
took = time.perf_counter() - t0
print(json.dumps({"seconds": took, "rss_mb": peak_mb(), "size": size}))
"""


def _csv_lines(n: int, rng: np.random.Generator) -> str:
    days = (np.datetime64("0001-01-01") + np.arange(n)).astype(str)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    cols = [close + rng.normal(0, 0.5, n), close + 1, close - 1, close, rng.integers(1000, 99999, n)]
    lines = days.astype(object)
    for c in cols:
        lines = lines + "," + np.char.mod("%.3f" if c.dtype.kind == "f" else "%d", c).astype(object)
    return "\n".join(lines.tolist()) + "\n"


def write_csv(path: Path, size: int, rows: int = 0) -> int:
    """A daily CSV (dates from 0001-01-01) of about ``size`` bytes, or of ``rows`` rows; returns its rows."""
    header = "date,open,high,low,close,volume\n"
    if rows:
        body = _csv_lines(rows, np.random.default_rng(27))
    else:  # some rows too many, then cut at the last line that fits
        per_row = len(_csv_lines(5000, np.random.default_rng(0))) / 5000
        body = _csv_lines(int(1.2 * size / per_row), np.random.default_rng(27))
        body = body[: body.rindex("\n", 0, size - len(header)) + 1]
    path.write_text(header + body, encoding="utf-8")
    return body.count("\n")


def write_text(path: Path, size: int) -> None:
    """English-like text of ``size`` bytes: the bundled corpus repeated, a few wide characters in it."""
    root = Path(__file__).resolve().parents[1]
    corpus = (root / "resources" / "text").glob("*.txt")
    seed = "".join(p.read_text(encoding="utf-8") for p in sorted(corpus)) or "the cat sat on the mat. "
    seed += " caf\u00e9 \u2192 na\u00efve \u2014 "  # a few characters past ASCII
    text = (seed * (size // len(seed.encode()) + 1)).encode()[:size].decode("utf-8", "ignore")
    path.write_text(text, encoding="utf-8")


def run(code: str, kind: str, path: Path, tree: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    out = subprocess.run(
        [sys.executable, "-c", code, kind, str(path)], capture_output=True, text=True, timeout=600, env=env, cwd=tree or None
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} {path.name}: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    p.add_argument(
        "--before",
        metavar="DIR",
        default="",
        help="an older checkout (git archive COMMIT | tar -x -C DIR) timed once on the same files, the 50 MB CSV left out",
    )
    a = p.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="rnn-bench-data-") as folder:
        files: dict[str, tuple[str, Path]] = {}
        for name, size in CSV_SIZES.items():
            path = Path(folder) / (name.replace(" ", "_") + ".csv")
            write_csv(path, size, rows=10 if size == 0 else 0)
            files[name] = ("csv", path)
        for name, size in TEXT_SIZES.items():
            path = Path(folder) / (name.replace(" ", "_") + ".txt")
            write_text(path, size)
            files[name] = ("text", path)
        results: dict[str, dict[str, list]] = {n: {"ours": [], "bare": []} for n in files}
        for _ in range(a.runs):
            for name, (kind, path) in files.items():
                results[name]["ours"].append(run(OURS, kind, path))
                results[name]["bare"].append(run(BARE, kind, path))
        sizes = {n: path.stat().st_size for n, (_, path) in files.items()}
        before = {
            n: run(OURS, kind, path, tree=str(Path(a.before).resolve()))
            for n, (kind, path) in files.items()
            if a.before and n != "csv 50 MB"
        }
    load_after = os.getloadavg()[0]

    def med(name: str, who: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name][who])

    summary = {
        n: {
            "bytes": sizes[n],
            "ours_s": med(n, "ours", "seconds"),
            "ours_rss_mb": max(r["rss_mb"] for r in results[n]["ours"]),
            "bare_s": med(n, "bare", "seconds"),
            "bare_rss_mb": max(r["rss_mb"] for r in results[n]["bare"]),
        }
        for n in files
    }
    print(f"data files ready to train, median of {a.runs} fresh processes each, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before, {load_after:.1f} after")  # fmt: skip
    print(f"{'file':<12} {'size':>11} {'ours':>8} {'peak RSS':>9} {'bare reader':>12} {'its RSS':>8}")
    for n, s in summary.items():
        print(f"{n:<12} {s['bytes']:>11,} {s['ours_s']:>7.2f}s {s['ours_rss_mb']:>7.0f}MB "
              f"{s['bare_s']:>11.2f}s {s['bare_rss_mb']:>6.0f}MB")  # fmt: skip
    for n, b in before.items():
        print(f"before ({a.before}): {n}: {b['seconds']:.2f} s, peak RSS {b['rss_mb']:.0f} MB")
    checks = [
        ("csv 10 MB after csv 10 rows", summary["csv 10 MB"]["ours_s"] - summary["csv 10 rows"]["ours_s"], 1.0),
        ("csv 50 MB after csv 10 rows", summary["csv 50 MB"]["ours_s"] - summary["csv 10 rows"]["ours_s"], 4.0),
        ("text 40 MB after text 1 kB", summary["text 40 MB"]["ours_s"] - summary["text 1 kB"]["ours_s"], 1.5),
    ]
    rss = summary["csv 50 MB"]["ours_rss_mb"]
    for label, extra, target in checks:
        print(f"{label}: +{extra:.2f} s (target <= {target:.1f} s) {'ok' if extra <= target else 'MISSED'}")
    print(f"csv 50 MB peak RSS: {rss:.0f} MB (target < 1536 MB) {'ok' if rss < 1536 else 'MISSED'}")
    if a.json:
        print(json.dumps({"files": summary, "load": [load_before, load_after], "before": before,
                          "extra_s": {label: extra for label, extra, _ in checks}}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
