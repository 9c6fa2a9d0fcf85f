"""Where training runs: the device (CUDA, then Apple's MPS, else the CPU) and how many CPU threads it
may take beside a window."""

from __future__ import annotations

import os
import sys

import torch

from playground.core.errors import PlaygroundError

ALL_CORES_UP_TO = 2  # beside a window, torch takes every core of a machine this small


def share_the_cpu(same_process: bool = True) -> None:
    """How many threads torch takes beside a window.

    In a process of its own (the window's default), on up to ``ALL_CORES_UP_TO`` cores: all of
    them. The window draws for about a fifth of one core (docs/benchmarks.md); leaving it a whole
    core of two would halve training to spare that fifth: measured on two cores, two torch threads
    beside the window train at 0.8-0.9 of the command line's speed, one thread at 0.6-0.7. On more
    cores, all but one: one core of many is a small price for a window that never waits for a
    torch thread, and for torch threads that are never stalled by the window's.

    ``same_process`` (training in a thread of the window's process): all cores but one whatever
    their number, since the window's drawing and training also share the interpreter there; and
    Python hands the interpreter between threads every millisecond instead of every five.
    """
    cores = os.cpu_count() or 1
    keep = int(os.environ.get("RNN_PLAYGROUND_TORCH_THREADS", "0") or 0)  # for measuring the policy
    if keep <= 0:
        want = cores if cores <= ALL_CORES_UP_TO and not same_process else cores - 1
        keep = max(1, min(torch.get_num_threads(), want))  # an OMP_NUM_THREADS of the user's still holds
    torch.set_num_threads(keep)
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
