"""Where training runs: the device (CUDA, then Apple's MPS, else the CPU) and how many CPU threads it
may take (beside a window, or on the command line)."""

from __future__ import annotations

import os
import sys

import torch

from playground.core.errors import PlaygroundError
from playground.core.train.threads import ThreadTuner, tuner_for

ALL_CORES_UP_TO = 2  # beside a window, torch takes every core of a machine this small


def share_the_cpu(same_process: bool = True, beside_window: bool = True) -> ThreadTuner | None:
    """How many threads torch may take, and the tuner that picks among them while training.

    The most it may take: beside a window in a process of its own (the window's default), on up to
    ``ALL_CORES_UP_TO`` cores, all of them. The window draws for about a fifth of one core
    (docs/benchmarks.md); leaving it a whole core of two would halve training to spare that fifth:
    measured on two cores, two torch threads beside the window train at 0.8-0.9 of the command
    line's speed, one thread at 0.6-0.7. On more cores, all but one: one core of many is a small
    price for a window that never waits for a torch thread. ``same_process`` (training in a thread
    of the window's process): all cores but one whatever their number, since the window's drawing
    and training also share the interpreter there; and Python hands the interpreter between threads
    every millisecond instead of every five. On the command line (``beside_window=False``): all.

    That is the most, not the count: the cores a machine has are not the cores that are free, so a
    ThreadTuner (core/train/threads.py) measures the steps at 1 ... most threads and keeps the fastest,
    re-checking while training. It is returned for the training loop to feed; None when there is
    nothing to choose (one core) or ``RNN_PLAYGROUND_TORCH_THREADS`` fixes the count. An
    ``OMP_NUM_THREADS`` of the user's caps the most.
    """
    cores = os.cpu_count() or 1
    if same_process:
        sys.setswitchinterval(0.001)
    fixed = int(os.environ.get("RNN_PLAYGROUND_TORCH_THREADS", "0") or 0)  # for measuring the policy
    if fixed > 0:
        torch.set_num_threads(fixed)
        return None
    if not beside_window:
        want = cores
    else:
        want = cores if cores <= ALL_CORES_UP_TO and not same_process else cores - 1
    ceiling = _users_thread_cap() or cores
    most = max(1, min(ceiling, want))
    tuner = tuner_for(most)
    if tuner is None:
        torch.set_num_threads(most)
    return tuner


def _users_thread_cap() -> int:
    """OMP_NUM_THREADS as the user set it (0 when unset or not a number)."""
    try:
        return max(0, int(os.environ.get("OMP_NUM_THREADS", "0") or 0))
    except ValueError:
        return 0


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
