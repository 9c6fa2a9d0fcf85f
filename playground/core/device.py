"""Where training runs: the device (CUDA, then Apple's MPS, else the CPU) and how many CPU threads it
may take beside a window."""

from __future__ import annotations

import os
import sys

import torch

from playground.core.errors import PlaygroundError


def share_the_cpu() -> None:
    """Leave a window's thread a core and the GIL often enough to stay responsive while training runs.

    Training and drawing share one Python process: torch's own threads get all cores but one,
    and Python hands the interpreter between threads every millisecond instead of every five.
    """
    cores = os.cpu_count() or 1
    keep = int(os.environ.get("RNN_PLAYGROUND_TORCH_THREADS", "0") or 0)  # for measuring the policy
    torch.set_num_threads(keep if keep > 0 else max(1, min(torch.get_num_threads(), cores - 1)))
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
