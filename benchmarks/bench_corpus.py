"""A text larger than memory through an exported script: peak memory beside the text's size.

Generates a text (2 GB by default, less where the disk has not room for it and its ids: ``df``),
made of words drawn at random so that no two megabytes repeat, exports a small GRU text model, and
runs the script's ``train --data TEXT --steps N`` twice in fresh processes: the first encodes the
text to its map of ids (vectorised, a few MB at a time), the second finds the map and only trains.
Beside them the same script trains on the model's own small text (no --data): what torch, the
model and the script take on their own. Peak RSS is each process's own (``resource.getrusage`` of
the finished child, ru_maxrss). This process imports neither numpy nor torch (the text and the
model are made in children of their own): a child's ru_maxrss starts from its parent's size at the
fork, which would otherwise hide the figure under the parent's few hundred MB.

    python benchmarks/bench_corpus.py              # 2 GB: about a minute of writing and encoding
    python benchmarks/bench_corpus.py --gb 0.5 --steps 20 --json
    python benchmarks/bench_corpus.py --app    # and the app's train on the text and on 40 MB of it

Target (issue 34): peak RSS under 300 MB while training on a 2 GB text.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "the", "dog", "ate", "his", "log", "while", "birds", "sang", "in", "trees", "over", "hills", "rivers", "ran", "past", "old", "towns,", "new", "roads;", "people", "said:", "yes!", "no?", "maybe.", "then", "night", "came"]


def make_text(path: Path, size: int, seed: int = 0) -> None:
    """``size`` bytes of lines of random words, written a block at a time (memory stays small)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    words = np.array([w + " " for w in WORDS])
    written = 0
    with open(path, "w", encoding="ascii", newline="\n") as f:
        while written < size:
            picks = words[rng.integers(len(words), size=200_000)]
            block = "".join(picks).replace("  ", " ")
            block = "\n".join(block[i : i + 80] for i in range(0, len(block), 80)) + "\n"
            block = block[: size - written]
            f.write(block)
            written += len(block)


def run(argv: list[str], cwd: Path) -> dict:
    """One fresh process: its seconds, peak RSS (MB) and output."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RNN_PLAYGROUND_TORCH_THREADS": "1", "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, _, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out, err = proc.stdout.read(), proc.stderr.read()
    if "error" in err:
        raise SystemExit(f"{argv}: {err.strip()}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "out": out}


def make_model(folder: Path) -> None:
    """A GRU text model on the first 100 kB of the text, exported as model.py (run in a child)."""
    from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
    from playground.core.export import export_script
    from playground.core.train import checkpoint
    from playground.core.train.trainer import Trainer

    sample = (folder / "big.txt").open(encoding="ascii").read(100_000)
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=128, embed=32),
        data=DataConfig(kind="text", source="inline", text=sample),
        train=TrainConfig(batch_size=32, seq_len=64, device="cpu"),
    )
    trainer = Trainer(session)
    trainer.step()
    export_script(checkpoint.save(trainer, folder / "model.safetensors"), folder / "model.py")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child-text":
        return make_text(Path(sys.argv[2]), int(sys.argv[3]))
    if len(sys.argv) == 3 and sys.argv[1] == "--child-model":
        return make_model(Path(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0, help="size of the text (default: 2)")
    parser.add_argument("--steps", type=int, default=10, help="training steps (default: 10)")
    parser.add_argument("--folder", default=None, help="where to write the text (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="a JSON line at the end")
    parser.add_argument("--app", action="store_true", help="also the app's `train --data text --file` on the "
                        "text (through its map) and on its first 40 MB (read whole)")
    args = parser.parse_args()

    folder = Path(args.folder or tempfile.mkdtemp(prefix="bench-corpus-"))
    free = shutil.disk_usage(folder).free
    size = int(args.gb * 2**30)
    note = ""
    if 2.2 * size > free - 2**30:  # the text, its ids (one byte a character) and a spare gigabyte
        size = int((free - 2**30) / 2.2)
        note = f" (the disk has {free / 2**30:.1f} GB free: the largest that fits)"
    py, me = sys.executable, str(Path(__file__).resolve())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        text_path = folder / "big.txt"
        t0 = time.perf_counter()
        subprocess.run([py, me, "--child-text", str(text_path), str(size)], check=True, env=env)
        made = time.perf_counter() - t0
        subprocess.run([py, me, "--child-model", str(folder)], check=True, env=env)
        script = str(folder / "model.py")
        steps = ["--steps", str(args.steps)]
        floor = run([py, "-I", "-c", "import numpy, torch, safetensors"], folder)
        small = run([py, "-I", script, "train", *steps, "--out", "small"], folder)
        first = run([py, "-I", script, "train", *steps, "--data", str(text_path), "--out", "big1"], folder)
        again = run([py, "-I", script, "train", *steps, "--data", str(text_path), "--out", "big2"], folder)
        rows = {
            "import torch, numpy only": floor,
            "own small text (no --data)": small,
            "--data, first run (encodes)": first,
            "--data, map reused": again,
        }
        if args.app:  # the app's own train on the same text, and on a smaller one read whole
            mid = folder / "mid.txt"
            with open(text_path, "rb") as src, open(mid, "wb") as dst:  # its first 40 MB, 1 MB at a time
                for _ in range(40):
                    dst.write(src.read(2**20))
            app = [py, "-m", "playground", "train", "--data", "text", "--arch", "gru", "--hidden", "128",
                   "--embed", "32", *steps, "--file"]
            rows["app: 40 MB text, in memory"] = run([*app, str(mid), "--out", "app-mid"], folder)
            rows["app: --file big.txt, first run"] = run([*app, str(text_path), "--out", "app1"], folder)
            rows["app: --file big.txt, map reused"] = run([*app, str(text_path), "--out", "app2"], folder)
        print(f"text: {size / 2**30:.2f} GB ({size:,} bytes){note}; written in {made:.1f} s; {args.steps} steps, "
              f"batch 32 x 64, GRU 128")
        print(f"{'run':34} {'seconds':>8} {'peak RSS MB':>12}")
        for name, r in rows.items():
            print(f"{name:34} {r['seconds']:8.1f} {r['peak_rss_mb']:12.1f}")
        ids = next(p for p in folder.glob("big.txt.ids-*") if p.suffix != ".json")
        print(f"ids file: {ids.stat().st_size / 2**30:.2f} GB; peak RSS over the small text's: "
              f"+{first['peak_rss_mb'] - small['peak_rss_mb']:.1f} MB (encoding), "
              f"+{again['peak_rss_mb'] - small['peak_rss_mb']:.1f} MB (training)")
        if args.json:
            print(json.dumps({"bytes": size, "note": note.strip(), "steps": args.steps,
                              **{k: {kk: v for kk, v in r.items() if kk != "out"} for k, r in rows.items()}}))
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    return None


if __name__ == "__main__":
    main()
