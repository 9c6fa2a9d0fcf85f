"""How much memory a run would need, estimated before anything is allocated, and the memory there is.

A setting that fits every ceiling on its own can still ask for too much together (hidden 4096,
batch 8192 and sequences of 4096 steps: hundreds of GB). ``check_fits`` estimates the weights, the
optimizer's state and the activations one training step keeps for the backward pass, compares
them with the memory this computer has free, and refuses with both numbers in one line. The
estimate errs high (it counts every gate's activations three times), so what it lets through fits.
No Qt, no torch.
"""

from __future__ import annotations

import os

from playground.core.config import ModelConfig, TrainConfig
from playground.core.errors import PlaygroundError

GATES = {"rnn": 1, "lstm": 4, "gru": 3, "transformer": 8, "mlp": 1}
FLOAT = 4  # bytes per float32
SAFETY = 0.8  # at most this share of the free memory


def parameters(model: ModelConfig, n_inputs: int, n_outputs: int, tokens: bool = True) -> int:
    """About how many weights the model has (an upper estimate)."""
    h, e, d, g = model.hidden, model.embed, model.directions, GATES[model.arch]
    in_size = e if tokens else n_inputs
    total = n_inputs * e if tokens else 0
    if model.arch == "mlp":
        total += model.window * in_size * h + (model.layers - 1) * h * h
    elif model.arch == "transformer":
        total += in_size * h + model.layers * 12 * h * h
    else:
        for layer in range(model.layers):
            size = in_size if layer == 0 else h * d
            total += d * g * h * (size + h + 2)
        if model.attention:  # query, key (64 wide), value, and a head twice as wide
            total += 2 * (h + 1) * 64 + (h + 1) * h + h * n_outputs
    return total + h * d * n_outputs + n_outputs


def step_bytes(model: ModelConfig, train: TrainConfig, n_inputs: int, n_outputs: int, steps: int, tokens: bool = True) -> int:
    """Weights, gradients and Adam's two moments, plus one step's activations over ``steps`` time steps."""
    weights = parameters(model, n_inputs, n_outputs, tokens) * FLOAT * 4
    per_step = model.hidden * model.directions * GATES[model.arch] * model.layers + n_outputs + model.embed
    if model.arch == "mlp":
        per_step += model.window * model.embed
    if model.attention and model.recurrent:  # scores and weights over the steps so far, and the context
        per_step += 2 * steps + 3 * model.hidden
    return weights + 3 * train.batch_size * steps * per_step * FLOAT


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read()
    except (OSError, ValueError):
        return None


def _field(text: str | None, name: str) -> int | None:
    """A "Name:  123 kB" line of /proc/meminfo or /proc/self/status, in bytes."""
    for line in (text or "").splitlines():
        if line.startswith(name + ":"):
            try:
                return int(line.split()[1]) * 1024
            except (ValueError, IndexError):
                return None
    return None


def _cgroup_room() -> int | None:
    """What this process's cgroup (v2) still lets it have: memory.max less memory.current."""
    limit, used = _read("/sys/fs/cgroup/memory.max"), _read("/sys/fs/cgroup/memory.current")
    try:
        if limit is None or used is None or limit.strip() == "max":
            return None
        return max(0, int(limit) - int(used))
    except ValueError:
        return None


def _address_space_room() -> int | None:
    """What a limit on this process's address space (ulimit -v, RLIMIT_AS) leaves of it."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, AttributeError):
        return None
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = _field(_read("/proc/self/status"), "VmSize") or 0
    return max(0, soft - used)


def free_memory() -> int | None:
    """Bytes of memory this process can have now: the least of what the machine has available
    (Linux: MemAvailable), what its cgroup allows and what its address-space limit leaves; else the
    physical memory, else None."""
    found = [_field(_read("/proc/meminfo"), "MemAvailable"), _cgroup_room(), _address_space_room()]
    known = [n for n in found if n is not None]
    if known:
        return min(known)
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_fits(model: ModelConfig, train: TrainConfig, n_inputs: int, n_outputs: int, steps: int, tokens: bool = True) -> int:
    """The estimate in bytes; a one-line error when it is more than this computer has free."""
    need = step_bytes(model, train, n_inputs, n_outputs, steps, tokens)
    free = free_memory()
    if free is not None and need > SAFETY * free:
        raise PlaygroundError(
            f"this {model.describe()} model with batch size {train.batch_size:,} over {steps:,} steps would need "
            f"about {_gb(need)} of "
            f"memory and {_gb(free)} is free: lower the batch size, the sequence length or the hidden size"
        )
    return need


# One evaluation batch holds at most this many time steps (rows x window): held-out sets of any size
# are evaluated a slice at a time, in memory that does not grow with the series.
EVAL_STEPS = 1 << 16


def eval_rows(steps_per_row: int) -> int:
    """Rows of ``steps_per_row`` time steps each that one evaluation batch may hold (at least one)."""
    return max(1, EVAL_STEPS // max(1, int(steps_per_row)))


def window_bytes(rows: int, window: int, features: int) -> int:
    """A series cut into ``rows`` windows of ``window`` values with ``features`` each: the float32
    windows kept, and the float64 and float32 copies made while they are encoded."""
    return rows * window * (features * FLOAT + 2 * 8 + FLOAT)


def check_windows(points: int, window: int, features: int = 1) -> int:
    """The windows' estimate in bytes; a one-line error when it is more than this computer has free."""
    need = window_bytes(max(0, points - window), window, features)
    free = free_memory()
    if free is not None and need > SAFETY * free:
        raise PlaygroundError(
            f"a series of {points:,} points cut into windows of {window:,} values would need about "
            f"{_gb(need)} of memory and {_gb(free)} is free: lower the window or the series length"
        )
    return need
