"""What a model file holds, checked against what it must be before anything is built from it: the
optimizer's state (keys, each tensor's shape and dtype against its parameter, finite scalars, no
machine flags taken from a file), each stored tensor's dtype and shape, the data it carries and its
vocabulary. Every refusal is one line naming the file. ``checkpoint`` reads and writes the file; this
module only judges what is in it."""

from __future__ import annotations

import math
from typing import Any

import torch

from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec

MAX_TOKEN = 64  # the longest word a word vocabulary (the order lesson's) may hold


# How the optimizer runs on this machine: never taken from a file (capturable=True on a CPU fails
# at the first step; fused or foreach change the code path)
MACHINE_FLAGS = frozenset({"capturable", "foreach", "fused", "differentiable", "params"})


def _state_keys(optimizer, group: dict[str, Any]) -> set[str]:
    """The state each parameter has after a step of ``optimizer`` (all of it must come back)."""
    kind = type(optimizer).__name__
    if kind in ("Adam", "AdamW"):
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group.get("amsgrad") else set())
    if kind == "RMSprop":
        keys = {"step", "square_avg"}
        keys |= {"momentum_buffer"} if group.get("momentum", 0) > 0 else set()
        return keys | ({"grad_avg"} if group.get("centered") else set())
    if kind == "SGD":
        return {"momentum_buffer"}
    return set()


def optimizer_state(name: str, optimizer, tensors: dict[str, torch.Tensor], meta: dict) -> dict[str, Any]:
    """The optimizer's saved state, checked against the freshly built optimizer before torch sees it:
    its settings' types, each state tensor's shape and dtype against its parameter's, finite values,
    every key a step needs; the machine-dependent flags stay this machine's."""

    def bad(what: str) -> PlaygroundError:
        return PlaygroundError(f"{name} is corrupted: its optimizer state does not fit ({what})")

    own = optimizer.state_dict()
    saved_groups = meta.get("param_groups")
    if not isinstance(saved_groups, list) or len(saved_groups) != len(own["param_groups"]):
        raise bad("settings missing or of another optimizer")
    groups = []
    for saved, mine in zip(saved_groups, own["param_groups"]):
        if not isinstance(saved, dict):
            raise bad("settings are not a table")
        group = dict(mine)
        for key, value in saved.items():
            if key in MACHINE_FLAGS or key not in mine:
                continue
            group[key] = _same_kind(value, mine[key], key, bad)
        groups.append(group)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if not key.startswith("optim/"):
            continue
        _, idx_text, field = key.split("/", 2)
        idx = int(idx_text) if idx_text.isdigit() else -1
        if not 0 <= idx < len(params):
            raise bad(f"state for a parameter {idx_text[:20]!r} the model does not have")
        param = params[idx]
        if field == "step":
            if value.numel() != 1 or value.dtype.is_complex:
                raise bad("a step count that is not one number")
            value = value.reshape(()).to(torch.float32)
        elif value.shape != param.shape or value.dtype != param.dtype:
            raise bad(
                f"{field} of parameter {idx} is {value.dtype} {tuple(value.shape)}, not {param.dtype} {tuple(param.shape)}"
            )
        if not bool(torch.isfinite(value).all()):
            raise bad(f"{field} of parameter {idx} holds NaN or infinite values")
        state.setdefault(idx, {})[field] = value
    scalars = meta.get("scalars", {})
    if not isinstance(scalars, dict):
        raise bad("scalars are not a table")
    for idx_text, values in scalars.items():
        idx = int(idx_text) if isinstance(idx_text, str) and idx_text.isdigit() else -1
        if not 0 <= idx < len(params) or not isinstance(values, dict):
            raise bad(f"scalars for a parameter {str(idx_text)[:20]!r} the model does not have")
        for field, value in values.items():
            if value is None and field == "momentum_buffer":  # SGD without momentum keeps None
                state.setdefault(idx, {})[field] = None
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise bad(f"{str(field)[:30]} of parameter {idx} is not a finite number")
            state.setdefault(idx, {})[field] = float(value)
    for idx, fields in state.items():
        group = next(g for g in groups if idx in g["params"])
        missing = _state_keys(optimizer, group) - set(fields)
        if missing:
            raise bad(f"{', '.join(sorted(missing))} of parameter {idx} missing")
    return {"state": state, "param_groups": groups}


def _same_kind(value: Any, mine: Any, key: str, bad) -> Any:
    """An optimizer setting from a file, of the type and shape of this optimizer's own."""
    if isinstance(mine, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(mine, (int, float)):
        if (
            not isinstance(value, bool)
            and isinstance(value, (int, float))
            and math.isfinite(value)
            and value >= 0
        ):
            return value
    elif isinstance(mine, (tuple, list)):
        if (
            isinstance(value, (list, tuple))
            and len(value) == len(mine)
            and all(
                not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in value
            )
        ):
            return tuple(value) if isinstance(mine, tuple) else list(value)
    elif (mine is None or isinstance(mine, str)) and (
        value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))
    ):
        return mine  # options of this torch version that are text or unset: keep ours
    raise bad(f"setting {str(key)[:30]} is {str(value)[:30]!r}")


def check_tensor_kinds(name: str, model, tensors: dict[str, torch.Tensor]) -> None:
    """Each stored tensor's dtype and shape against what it must be: a weight stored as integers or
    booleans (or relabelled I32 in the header, same size) is refused, never converted to garbage."""
    expected = model.state_dict()
    for key, value in tensors.items():
        if key.startswith("model/") and key[len("model/") :] in expected:
            want = expected[key[len("model/") :]]
            if value.dtype != want.dtype or value.shape != want.shape:
                raise PlaygroundError(
                    f"{name} is corrupted: weight {key[len('model/') :]} is {str(value.dtype).removeprefix('torch.')} "
                    f"{tuple(value.shape)}, not {str(want.dtype).removeprefix('torch.')} {tuple(want.shape)}"
                )
    wanted = {
        "history/train_loss": "floating",
        "history/val_loss": "floating",
        "history/val_steps": torch.int64,
        "rng/batches": torch.uint8,
        "rng/torch": torch.uint8,
    }
    for key, kind in wanted.items():
        value = tensors.get(key)
        if value is None:
            continue
        ok = value.dim() == 1 and (value.dtype.is_floating_point if kind == "floating" else value.dtype == kind)
        if not ok:
            raise PlaygroundError(
                f"{name} is corrupted: {key} is {str(value.dtype).removeprefix('torch.')} {tuple(value.shape)}"
            )


def stored_data(tensors: dict[str, torch.Tensor], name: str) -> Any:
    """What a model file carries of its data, checked: a price model's raw series (a numpy array) or
    the text of the file a text or dialog model was trained on (a str); None when it carries neither.
    A series with input columns or dates comes as a mapping: values, inputs (n, k), dates (n,)."""
    from playground.core.data.text import MAX_TEXT_BYTES, decode_text_bytes

    series = tensors.get("data/series")
    if series is not None:
        if series.dtype != torch.float64 or series.dim() != 1:
            raise PlaygroundError(
                f"{name} is corrupted: its series is {series.dtype} {tuple(series.shape)}, not a float64 vector"
            )
        inputs, dates = tensors.get("data/inputs"), tensors.get("data/dates")
        if inputs is None and dates is None:
            return series.numpy()
        parts = {"values": series.numpy()}
        if inputs is not None:
            if inputs.dtype != torch.float64 or inputs.dim() != 2 or inputs.shape[0] != series.shape[0]:
                raise PlaygroundError(
                    f"{name} is corrupted: its input columns are {inputs.dtype} {tuple(inputs.shape)}, "
                    f"not float64 with {series.shape[0]} rows"
                )
            parts["inputs"] = inputs.numpy()
        if dates is not None:
            if dates.dtype != torch.int64 or dates.shape != series.shape:
                raise PlaygroundError(
                    f"{name} is corrupted: its dates are {dates.dtype} {tuple(dates.shape)}, "
                    f"not int64 with {series.shape[0]} entries"
                )
            parts["dates"] = dates.numpy()
        return parts
    text = tensors.get("data/text")
    if text is not None:
        if text.dtype != torch.uint8 or text.dim() != 1 or not 0 < text.numel() <= MAX_TEXT_BYTES:
            raise PlaygroundError(
                f"{name} is corrupted: its training text is {text.dtype} {tuple(text.shape)}, not UTF-8 bytes"
            )
        return decode_text_bytes(text.numpy().tobytes(), f"the training text inside {name}")
    return None


def checked_vocab(name: str, task_state: dict[str, Any], kind: str) -> list[str] | None:
    """The stored vocabulary, if any: 2 to MAX_VOCAB different entries, single characters for the
    character kinds (text, dialogs), words of at most MAX_TOKEN characters for the others."""
    from playground.core.data.text import MAX_VOCAB

    vocab = task_state.get("vocab")
    if vocab is None:
        return None
    characters = kind_spec(kind).vocab_only is not None
    longest = 1 if characters else MAX_TOKEN
    if (
        not isinstance(vocab, list)
        or not 2 <= len(vocab) <= MAX_VOCAB
        or not all(isinstance(t, str) and 1 <= len(t) <= longest for t in vocab)
        or len(set(vocab)) != len(vocab)
    ):
        what = "single characters" if characters else f"words of up to {MAX_TOKEN} characters"
        raise PlaygroundError(f"{name} is corrupted: its vocabulary is not a list of 2 to {MAX_VOCAB} different {what}")
    return vocab
