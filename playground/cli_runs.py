"""The command line's commands on what training left behind: `forecast` and `info` (a saved model),
`export` (a model as one PyTorch script), `replay` (re-run a session file and compare), `report` (a
session as one HTML page) and `frontier` (which architectures solve a classic task at each length).
Their options are ``cli_args.py``'s; nothing here imports torch until a command runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from playground.core.errors import PlaygroundError
from playground.core.shown import printable
from playground.core.train.out_path import check_out


def cmd_frontier(a: argparse.Namespace) -> int:
    """Each architecture at each length T: the seeds that solved and the sequences they needed."""
    from playground.core.train import frontier as F

    plan = F.FrontierPlan(
        kind=a.data,
        lengths=F.lengths_from(a.lengths),
        archs=F.archs_from(a.arch),
        seeds=a.seeds,
        steps=a.steps,
        check_every=a.check_every,
        hidden=a.hidden,
        lr=a.lr,
        batch_size=a.batch_size,
        clip=a.clip,
    ).validate()
    import torch

    from playground.core.train.device import share_the_cpu

    threads_before = torch.get_num_threads()
    share_the_cpu(same_process=False, beside_window=False)  # the command line's threads (or the fixed count)
    try:
        _frontier_cells(a, F, plan)
    finally:
        torch.set_num_threads(threads_before)  # as it was (the tests run this command in-process)
    return 0


def _frontier_cells(a: argparse.Namespace, F: Any, plan: Any) -> None:
    if not a.json:
        print(F.describe(plan))
        print(F.TABLE_HEADER, flush=True)
    for cell in F.run(plan):
        print(json.dumps(cell.as_dict()) if a.json else F.table_row(cell), flush=True)


def cmd_replay(a: argparse.Namespace) -> int:
    """Re-run a session file and compare (core/train/replay.py): exit 0 identical, 1 a difference."""
    from playground.core.train.replay import mismatch_line, replay

    result = replay(a.session)
    if a.json:
        print(json.dumps(result))
    elif result["identical"]:
        print(
            f"{printable(a.session)}: {result['steps']} steps replayed on the CPU ({result['actions']} actions): "
            f"every loss identical, {result['weights_compared']} weight tensors equal"
        )
    if not result["identical"]:
        print(f"rnn-playground: {printable(Path(a.session).name)}: {mismatch_line(result)}", file=sys.stderr)
        return 1
    return 0


def cmd_report(a: argparse.Namespace) -> int:
    """A session as one HTML page (core/export/report.py), made from its replay."""
    from playground.core.export.report import write_report

    out = check_out(a.out, suffix=".html")
    target, run = write_report(a.session, out)
    same = "identical" if run.replay.get("identical") else "DIFFERENT (see the page)"
    print(
        f"wrote {printable(str(target))}: {run.replay.get('steps', 0):,} steps replayed ({same}), "
        f"{len(run.verdicts)} verdict{'s' if len(run.verdicts) != 1 else ''} on the way"
    )
    return 0


def cmd_forecast(a: argparse.Namespace) -> int:
    from playground.core import inference
    from playground.core.train import checkpoint

    trainer = checkpoint.load(a.model, device="cpu")
    task = trainer.task
    page = task.spec.prediction_page
    if page != "forecast":
        what = "answers sequences" if page == "classify" else "predicts characters"
        raise PlaygroundError(f"{Path(a.model).name} {what}: use `rnn-playground sample`")
    values = inference.forecast(trainer.model, task, a.horizon)
    ev = inference.evaluate(trainer.model, task)
    result = {
        "forecast": [float(v) for v in values],
        "mae": ev["mae"],
        "rmse": ev["rmse"],
        "baseline_mae": ev["baseline_mae"],
        "baseline_rmse": ev["baseline_rmse"],
        "last_value": float(task.values[-1]),
    }
    n = len(task.values)
    dates = [task.dates.label(n + i) for i in range(len(values))] if task.dates is not None else None
    if dates:
        result["dates"] = dates
    if task.input_scales:
        result["inputs_held"] = task.held_inputs()
    if a.json:
        print(json.dumps(result))
    else:
        shown = [f"{v:.4g}" for v in values]
        if dates:
            shown = [f"{d} {v}" for d, v in zip(dates, shown)]
        print("forecast: " + ", ".join(shown))
        if task.input_scales:
            held = ", ".join(f"{k} = {v:.4g}" for k, v in result["inputs_held"].items())
            print(f"(the inputs are not forecast: they stay at their last values, {held})")
        print(
            f"held-out MAE {ev['mae']:.4g} (last-value baseline {ev['baseline_mae']:.4g}), RMSE {ev['rmse']:.4g}"
        )
    return 0


def cmd_info(a: argparse.Namespace) -> int:
    import dataclasses

    from playground.core.config import DataConfig
    from playground.core.kinds import KINDS
    from playground.core.train import checkpoint

    info = checkpoint.describe(a.model)
    if a.json:
        print(json.dumps(info))
        return 0
    p = printable
    m = info["model"]
    print(f"{p(info['file'])}: RNN Playground model, format {p(info['format_version'], 20)}")
    print(
        f"  model: {m['arch']} x{m['layers']} hidden {m['hidden']}"
        + (" bidirectional" if m["bidirectional"] else "")
        + (" with attention" if m.get("attention") else "")
        + f", {info['parameters']:,} parameters"
    )
    data = info["data"]
    spec = KINDS.get(data.get("kind"))
    details = (
        spec.describe({**dataclasses.asdict(DataConfig()), **data})
        if spec is not None
        else data.get("source")
    )
    print(f"  data: {p(data.get('kind'), 40)} ({p(details)})")
    print(f"  trained: {p(info['steps'], 40)} steps on {p(info['trained_on'], 40)}")
    if info["last_train_loss"] is not None:
        print(
            f"  last loss: {info['last_train_loss']:.4f}"
            + (f", validation {info['last_val_loss']:.4f}" if info["last_val_loss"] is not None else "")
        )
    return 0


def cmd_export(a: argparse.Namespace) -> int:
    """The model as one PyTorch script (core/export/script.py): torch, numpy and safetensors, no playground."""
    from playground.core.export import export_script

    out = export_script(a.model, a.script)
    print(f"wrote {out}: a PyTorch script for {Path(a.model).name} (run `python {out} --help`)")
    return 0
