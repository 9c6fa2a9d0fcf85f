"""How much does Trainer.step() cost over the loop a practitioner would write?

    python benchmarks/bench_trainer.py [--device cpu|cuda|auto] [--steps N] [--archs rnn,lstm,gru] [--json]

For each architecture, on the character-level text task (bundled corpus,
hidden 128, 1 layer, embed 32; batch 32, seq_len 64, Adam lr 3e-3, clip by
norm 1.0), it times in the same process and with the same torch threads:

  bare     a bare PyTorch loop on the same model class and batch shape
           (zero_grad, forward, cross_entropy, backward, clip_grad_norm_,
           Adam step, loss.item()); by default it draws fresh random windows
           each step with the same cheap gather the task uses (--bare-batch
           fixed: one pre-sampled batch reused every step)
  off      Trainer.step(), probes off, validation off (val_every=0)
  probe10  Trainer.step(probe=True) on every 10th step, validation off
           (the window asks for a probe at most ~10 times a second)
  probe1   Trainer.step(probe=True) on every step (reference only)
  val50    Trainer.step() with the default validation (val_every=50), no probes

Every variant has its own model and optimizer and is warmed up first. The
timed blocks are interleaved: each repetition runs one block of every variant,
in an order rotated from repetition to repetition, so a noisy machine slows
all variants alike. Reported: the median steps/s over repetitions, and the
median of the per-repetition ratio to the bare loop's block of the same
repetition (paired, so slow drifts of the machine cancel).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data import build_task
from playground.core.errors import PlaygroundError
from playground.core.model.nets import SequenceModel
from playground.core.train.trainer import Trainer, pick_device

VARIANTS = ("bare", "off", "probe10", "probe1", "val50")
LABELS = {
    "bare": "bare torch loop",
    "off": "Trainer, probes off",
    "probe10": "Trainer, probe every 10th",
    "probe1": "Trainer, probe every step",
    "val50": "Trainer, val_every=50",
}
TARGETS = {"off": 0.95, "probe10": 0.85}  # ratio to the bare loop


def machine_info(device: torch.device) -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        name = "Apple MPS"
    else:
        name = f"CPU ({cpu or 'unknown'})"
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "device_name": name,
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _cpu_times() -> tuple[float, float, float] | None:
    """(busy, steal, ours) CPU-seconds so far: all CPUs from /proc/stat, this process from os.times."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (vals + [0] * 8)[:8]
    t = os.times()
    return (user + nice + system + irq + softirq) / tick, steal / tick, t.user + t.system


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def session_for(arch: str, val_every: int, device: str) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=128, layers=1, embed=32),
        data=DataConfig(kind="text", source="bundled"),
        train=TrainConfig(
            optimizer="adam",
            lr=3e-3,
            batch_size=32,
            seq_len=64,
            clip="norm",
            clip_value=1.0,
            val_every=val_every,
            device=device,
        ),
    )


@dataclass
class Variant:
    name: str
    block: int  # steps per timed block
    run: Callable[[int], None]  # run(n): n steps, ending with the host holding the loss
    rates: list[float] = field(default_factory=list)  # steps/s per repetition


def bare_variant(arch: str, task, device: torch.device, block: int, fixed_batch: bool) -> Variant:
    """The loop a practitioner would write, on the same model class."""
    s = session_for(arch, 0, str(device))
    torch.manual_seed(s.train.seed)
    model = SequenceModel(s.model, task.n_inputs, task.n_outputs, tokens=True, many_to_many=True).to(device)
    model.train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=s.train.lr)
    B, T = s.train.batch_size, s.train.seq_len
    data = torch.from_numpy(task.train_ids).to(device)
    offsets = torch.arange(T + 1, device=device)
    hi = len(task.train_ids) - T
    gen = torch.Generator().manual_seed(1)

    def sample():
        starts = torch.randint(hi, (B, 1), generator=gen).to(device, non_blocking=True)
        chunk = data[starts + offsets]
        return chunk[:, :-1], chunk[:, 1:]

    fixed = sample()

    def run(n: int) -> None:
        for _ in range(n):
            x, y = fixed if fixed_batch else sample()
            opt.zero_grad(set_to_none=True)
            out, _ = model(x)
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            loss.item()

    return Variant("bare", block, run)


def trainer_variant(name: str, arch: str, task, device: torch.device, block: int) -> Variant:
    val_every = 50 if name == "val50" else 0
    tr = Trainer(session_for(arch, val_every, str(device)), task=task, device=device)
    every = {"probe10": 10, "probe1": 1}.get(name, 0)
    count = [0]

    def run(n: int) -> None:
        step = tr.step
        for _ in range(n):
            count[0] += 1
            step(probe=bool(every) and count[0] % every == 0)

    v = Variant(name, block, run)
    v.trainer = tr  # type: ignore[attr-defined]
    return v


def round_up(n: int, k: int) -> int:
    return max(k, math.ceil(n / k) * k)


def bench_arch(arch, task, device, steps, reps, warmup, variants, fixed_batch, log) -> dict:
    vs: list[Variant] = []
    for name in variants:
        if name == "bare":
            vs.append(bare_variant(arch, task, device, steps, fixed_batch))
        elif name == "probe10":
            vs.append(trainer_variant(name, arch, task, device, round_up(steps, 10)))
        elif name == "probe1":
            vs.append(trainer_variant(name, arch, task, device, max(1, steps // 2)))
        elif name == "val50":
            # Any run of 50 consecutive steps holds exactly one validation: each block carries its share.
            vs.append(trainer_variant(name, arch, task, device, round_up(steps, 50)))
        else:
            vs.append(trainer_variant(name, arch, task, device, steps))
    for v in vs:  # warm up (allocator, oneDNN/cuDNN plans, the probe and val caches)
        v.run(warmup)
        tr = getattr(v, "trainer", None)
        if tr is not None:
            tr.probe()
            if v.name == "val50":
                tr.validate()  # fills the val-batch cache, as the app's first validation does
        _sync(device)
    for r in range(reps):
        k = r % len(vs)
        order = vs[k:] + vs[:k]
        if r % 2:
            order.reverse()
        for v in order:
            _sync(device)
            t0 = time.perf_counter()
            v.run(v.block)
            _sync(device)
            v.rates.append(v.block / (time.perf_counter() - t0))
        log(f"  {arch} rep {r + 1}/{reps}: " + "  ".join(f"{v.name} {v.rates[-1]:.1f}" for v in vs))
    by = {v.name: v for v in vs}
    out = {}
    base = by.get("bare")
    for v in vs:
        res = {
            "steps_per_s": statistics.median(v.rates),
            "rates": [round(x, 3) for x in v.rates],
            "block_steps": v.block,
        }
        if base is not None:
            ratios = [a / b for a, b in zip(v.rates, base.rates)]
            res["ratio"] = statistics.median(ratios)
            res["ratio_min"], res["ratio_max"] = min(ratios), max(ratios)
            res["ratio_of_medians"] = res["steps_per_s"] / statistics.median(base.rates)
        target = TARGETS.get(v.name)
        if target is not None and "ratio" in res:
            res["target"] = target
            res["pass"] = res["ratio"] >= target
        out[v.name] = res
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto", choices=("cpu", "cuda", "mps", "auto"))
    ap.add_argument("--steps", type=int, default=20, help="timed steps per block (default 20)")
    ap.add_argument("--reps", type=int, default=9, help="interleaved repetitions per variant (default 9)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps per variant first (default 10)")
    ap.add_argument("--archs", default="rnn,lstm,gru")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument(
        "--bare-batch",
        choices=("random", "fixed"),
        default="random",
        help="bare loop: fresh random windows each step (default) or one fixed batch",
    )
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = pick_device(args.device)
    except PlaygroundError as e:
        ap.error(str(e))
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    bad = [a for a in archs if a not in ("rnn", "lstm", "gru")] + [v for v in variants if v not in VARIANTS]
    if bad:
        ap.error(f"unknown arch or variant: {', '.join(bad)}")
    if "bare" in variants:  # the reference goes first in the table
        variants.remove("bare")
        variants.insert(0, "bare")

    info = machine_info(device)
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if args.json else (lambda s: print(s, flush=True))
    print(f"machine: {info['platform']}, {info['cpu_count']} CPUs ({info['cpu'] or '?'})")
    print(
        f"torch {info['torch']}, {info['torch_threads']} threads, device {info['device']} "
        f"({info['device_name']}), python {info['python']}, {info['date']}"
    )
    bare_how = (
        "a fixed pre-sampled batch"
        if args.bare_batch == "fixed"
        else "fresh random windows per step (same randint + gather as the task)"
    )
    print(
        "task: bundled text, hidden 128 x 1 layer, embed 32; batch 32, seq_len 64, Adam 3e-3, clip norm 1.0"
    )
    print(f"bare loop data: {bare_how}")
    print(
        f"timing: {args.reps} interleaved reps, block {args.steps} steps "
        f"(probe10 {round_up(args.steps, 10)}, probe1 {max(1, args.steps // 2)}, "
        f"val50 {round_up(args.steps, 50)}), warm-up {args.warmup}; "
        "ratio = median of per-rep ratios to bare",
        flush=True,
    )

    task = build_task(DataConfig(kind="text", source="bundled"))
    if hasattr(os, "getloadavg"):
        print("load average before the run: " + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    cpu0 = _cpu_times()
    t_start = time.perf_counter()
    results = {}
    for arch in archs:
        results[arch] = bench_arch(
            arch, task, device, args.steps, args.reps, args.warmup, variants, args.bare_batch == "fixed", log
        )
    elapsed = time.perf_counter() - t_start
    cpu1 = _cpu_times()
    others = steal = None
    if cpu0 and cpu1 and elapsed > 0:
        # CPUs kept busy by other processes while we ran (tests, builds): the main source of noise.
        others = max(0.0, ((cpu1[0] - cpu0[0]) - (cpu1[2] - cpu0[2])) / elapsed)
        steal = (cpu1[1] - cpu0[1]) / elapsed
    print()
    head = f"{'arch':<5} {'variant':<26} {'steps/s':>8} {'ratio':>6} {'(min-max)':>12} {'target':>7}  verdict"
    print(head)
    print("-" * len(head))
    for arch, res in results.items():
        for name, r in res.items():
            ratio = r.get("ratio")
            rng = f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f}" if ratio is not None and name != "bare" else ""
            tgt = f">={r['target']:.2f}" if "target" in r else ""
            verdict = ("ok" if r["pass"] else "BELOW") if "pass" in r else ""
            rs = f"{ratio:.3f}" if ratio is not None else "-"
            print(
                f"{arch:<5} {LABELS[name]:<26} {r['steps_per_s']:>8.2f} {rs:>6} {rng:>12} {tgt:>7}  {verdict}"
            )
    print()
    tail = f"elapsed {elapsed:.0f}s"
    if others is not None:
        tail += (
            f"; other processes kept {others:.2f} of {info['cpu_count']} CPUs busy meanwhile"
            f", host steal {steal:.2f} CPUs"
        )
    print(tail)
    if others is not None and others > 0.1 * (info["cpu_count"] or 1):
        print(
            "warning: the machine was shared during the run; ratios within ~0.05 of 1 are noise "
            "(see the min-max column); rerun on an idle machine for a clean figure"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "config": {
                        "task": "text/bundled",
                        "hidden": 128,
                        "layers": 1,
                        "embed": 32,
                        "batch": 32,
                        "seq_len": 64,
                        "optimizer": "adam",
                        "lr": 3e-3,
                        "clip": "norm",
                        "clip_value": 1.0,
                        "steps": args.steps,
                        "reps": args.reps,
                        "warmup": args.warmup,
                        "bare_batch": args.bare_batch,
                    },
                    "targets": TARGETS,
                    "results": results,
                    "elapsed_s": round(elapsed, 1),
                    "other_cpus_busy": None if others is None else round(others, 3),
                    "steal_cpus": None if steal is None else round(steal, 3),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
