"""The exported script's training speed: its step beside a bare PyTorch loop, in float32, with --bf16
and with --compile; then one process beside two under torchrun.

Part 1 (one process, ``--threads`` torch threads): a text GRU (hidden 128, embed 32, batch 32 x 64
characters, Adam, clip by norm 1) is exported and the script loaded as a module. "ours" is the
script's own ``sample_batch`` + ``train_step`` (what ``train`` runs); "bare" is the loop a practitioner
writes on the same model class: a random gather, forward, cross-entropy, backward,
``clip_grad_norm_``, ``step``, both on one model and optimizer. Each variant (fp32, bf16 autocast,
torch.compile) is warmed up (a compile's time is reported apart), then blocks of ours and bare
alternate; medians of steps/s.

Part 2: ``train --steps N`` of the same script as one process (1 and 2 threads) and under
``torchrun --standalone --nproc_per_node 2`` (1 thread each), same global batch; the steps/s the
script prints at the end (rank 0's clock, from the first step to the last).

    python benchmarks/bench_script.py                 # about 5 minutes on 2 cores (compile: ~1)
    python benchmarks/bench_script.py --skip-compile --steps 40 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "the", "dog", "ate", "his", "log", "while", "birds", "sang", "in", "trees", "over", "hills"]


def make_script(folder: Path) -> Path:
    import numpy as np

    from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
    from playground.core.export import export_script
    from playground.core.train import checkpoint
    from playground.core.train.trainer import Trainer

    rng = np.random.default_rng(0)
    text = " ".join(WORDS[i] for i in rng.integers(len(WORDS), size=40_000)) + "\n"
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=128, embed=32),
        data=DataConfig(kind="text", source="inline", text=text),
        train=TrainConfig(batch_size=32, seq_len=64, device="cpu", optimizer="adam", clip="norm", clip_value=1.0),
    )
    trainer = Trainer(session)
    trainer.step()
    model = checkpoint.save(trainer, folder / "model.safetensors")
    return export_script(model, folder / "model.py")


def timed(step, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - t0)


def part_one(script: Path, steps: int, reps: int, variants: list[str]) -> dict:
    import torch
    import torch.nn.functional as F

    ns = runpy.run_path(str(script), run_name="bench")
    _, settings, tensors = ns["read_model_file"](script.parent / "model.safetensors")
    t = ns["CONFIG"]["train"]
    data = ns["TextData"](settings, tensors, None)
    results = {}
    for variant in variants:
        cast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if variant == "bf16" else contextlib.nullcontext
        loops = {}
        # one model and optimizer for both loops: two compiled copies alternating would each lose
        # what the other's calls left warm (measured: 0.77x apart alternated, equal run alone)
        net = ns["build_model"](settings, tensors, "model")
        model = torch.compile(net) if variant == "compile" else net
        params = list(net.parameters())
        opt = ns["make_optimizer"](params, t)
        for who in ("ours", "bare"):
            gen = torch.Generator().manual_seed(1)
            train_ids = data.train
            if who == "ours":
                def step(model=model, opt=opt, params=params, gen=gen, cast=cast):
                    x, y = data.sample_batch(32, 64, gen)
                    ns["train_step"](model, data, opt, params, x, y, t, None, cast)
            else:
                def step(model=model, opt=opt, params=params, gen=gen, cast=cast, train_ids=train_ids):
                    starts = torch.randint(len(train_ids) - 64, (32, 1), generator=gen)
                    chunk = train_ids[starts + torch.arange(65)]
                    opt.zero_grad(set_to_none=True)
                    with cast():
                        out = model(chunk[:, :-1])[0]
                        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), chunk[:, 1:].reshape(-1))
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                    opt.step()
                    loss.item()
            t0 = time.perf_counter()
            step()
            step()
            loops[who] = (step, time.perf_counter() - t0)
        rates = {"ours": [], "bare": []}
        for rep in range(reps):
            order = ("ours", "bare") if rep % 2 == 0 else ("bare", "ours")
            for who in order:
                rates[who].append(timed(loops[who][0], steps))
        ratios = [a / b for a, b in zip(rates["ours"], rates["bare"])]
        results[variant] = {
            "ours_steps_s": round(statistics.median(rates["ours"]), 2),
            "bare_steps_s": round(statistics.median(rates["bare"]), 2),
            "ratio": round(statistics.median(ratios), 3),
            "warmup_s": round(loops["ours"][1], 1),
        }
    return results


def part_two(script: Path, steps: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    runs = {
        "1 process, 1 thread": ([sys.executable, "-I", str(script)], "1"),
        "1 process, 2 threads": ([sys.executable, "-I", str(script)], "2"),
        "2 processes (torchrun), 1 thread each": (
            [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)], "1"),
    }
    out = {}
    for name, (head, threads) in runs.items():
        argv = [*head, "train", "--steps", str(steps), "--batch-size", "32", "--out", str(script.parent / "p2")]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=script.parent,
                              env={**env, "OMP_NUM_THREADS": threads}, timeout=1200)
        found = re.search(r"steps in ([\d.]+) s: ([\d.]+) steps/s", done.stdout)
        if done.returncode or not found:
            raise SystemExit(f"{name}: {done.stderr[-2000:]}")
        out[name] = {"steps_s": float(found.group(2)), "sequences_s": round(32 * float(found.group(2)), 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="steps per timed block (default: 30)")
    parser.add_argument("--reps", type=int, default=5, help="blocks of each loop (default: 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in part 1 (default: 1)")
    parser.add_argument("--ddp-steps", type=int, default=200, help="steps of each part 2 run (default: 200)")
    parser.add_argument("--skip-compile", action="store_true", help="fp32 and bf16 only")
    parser.add_argument("--json", action="store_true", help="a JSON line at the end")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-script-") as tmp:
        script = make_script(Path(tmp))
        variants = ["fp32", "bf16"] + ([] if args.skip_compile else ["compile"])
        one = part_one(script, args.steps, args.reps, variants)
        print(f"GRU 128, batch 32 x 64, Adam, clip norm 1; {args.threads} thread(s); median of {args.reps} blocks "
              f"of {args.steps} steps")
        print(f"{'variant':10} {'ours steps/s':>13} {'bare steps/s':>13} {'ours/bare':>10} {'vs fp32':>8} {'warm-up s':>10}")
        for variant, r in one.items():
            speed = r["ours_steps_s"] / one["fp32"]["ours_steps_s"]
            print(f"{variant:10} {r['ours_steps_s']:13.2f} {r['bare_steps_s']:13.2f} {r['ratio']:10.3f} "
                  f"{speed:8.2f} {r['warmup_s']:10.1f}")
        two = part_two(script, args.ddp_steps)
        print(f"\ntrain --steps {args.ddp_steps} --batch-size 32 (global), rank 0's clock")
        base = two["1 process, 1 thread"]["steps_s"]
        for name, r in two.items():
            print(f"{name:40} {r['steps_s']:8.2f} steps/s {r['sequences_s']:9.1f} sequences/s {r['steps_s'] / base:6.2f}x")
        if args.json:
            print(json.dumps({"part1": one, "part2": two}))


if __name__ == "__main__":
    main()
