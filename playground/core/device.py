"""Where training runs: the device (CUDA, then Apple's MPS, else the CPU) and how many CPU threads it
may take beside a window."""

from __future__ import annotations

import os
import sys

import torch

from playground.core.errors import PlaygroundError


def share_the_cpu(same_process: bool = True) -> None:
    """Leave a window a core while training runs beside it: torch's own threads get all cores but one.

    ``same_process`` (training in a thread of the window's process): Python also hands the
    interpreter between threads every millisecond instead of every five. In a process of its own
    (the window's default) training needs no such hand-over; one core less for torch still pays
    there: measured on two cores, a second torch thread trained no faster beside the window's drawing
    and tripled the window's lateness (docs/benchmarks.md).
    """
    cores = os.cpu_count() or 1
    keep = int(os.environ.get("RNN_PLAYGROUND_TORCH_THREADS", "0") or 0)  # for measuring the policy
    torch.set_num_threads(keep if keep > 0 else max(1, min(torch.get_num_threads(), cores - 1)))
    if same_process:
        sys.setswitchinterval(0.001)


def pick_device(name: str = "auto") -> torch.device:
    """CUDA when available, then Apple MPS, else CPU; an explicit choice must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PlaygroundError(
            "device cuda was asked for, but torch sees no CUDA GPU: use --device cpu or auto"
        )
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise PlaygroundError(
                "device mps was asked for, but this machine has no Apple GPU: use cpu or auto"
            )
    if name not in ("cpu", "cuda", "mps"):
        raise PlaygroundError(f"unknown device {name!r}: choose auto, cpu, cuda or mps")
    return torch.device(name)
