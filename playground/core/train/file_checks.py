"""What a model file holds, checked against what it must be before anything is built from it.

One schema, judged in this order (every refusal is one line naming the file; nothing is converted):

1. the tensors the header lists, before a byte of them is read (``check_entries``): only names an
   RNN Playground writes, each in the dtype and rank it is written in (weights float32 of rank 1
   or 2, a step counter a float32 number, random states of the generator's exact length...), and
   the parts that must agree do (input columns and dates as long as the series);
2. the vocabulary (``checked_vocab``): distinct entries, in the order the app builds it (sorted,
   for characters), a dialog's turn markers present, the text the file carries inside it, and the
   embedding's and output layer's rows (``check_vocab_sizes``);
3. the optimizer (``optimizer_state``): its hyper-parameters within their documented ranges
   (``OPTIMIZER_RANGES``), its state's shapes and dtypes against each parameter, finite values,
   squared averages not negative and moments that squared averages can have produced;
4. once the model is built from the settings, every weight against the shape it declares
   (``check_tensor_kinds``).

``checkpoint`` reads and writes the file (``model_file`` its framing); this module only judges what
is in it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec

MAX_TOKEN = 64  # the longest word a word vocabulary (the order lesson's) may hold
MAX_STEPS = 2**53  # a step count beyond this is not a count of ours

# Every tensor a model file of ours holds: (name pattern, dtype, ranks). Anything else is refused.
TENSORS: tuple[tuple[re.Pattern[str], torch.dtype, tuple[int, ...]], ...] = tuple(
    (re.compile(pattern), dtype, ranks)
    for pattern, dtype, ranks in (
        (r"model/[A-Za-z0-9_.]{1,200}", torch.float32, (1, 2)),
        (r"optim/\d{1,6}/step", torch.float32, (0,)),
        (r"optim/\d{1,6}/(exp_avg|exp_avg_sq|max_exp_avg_sq|square_avg|grad_avg|momentum_buffer)", torch.float32, (1, 2)),
        (r"history/train_loss", torch.float32, (1,)),
        (r"history/val_steps", torch.int64, (1,)),
        (r"history/val_loss", torch.float64, (1,)),
        (r"rng/batches", torch.uint8, (1,)),
        (r"rng/torch", torch.uint8, (1,)),
        (r"data/series", torch.float64, (1,)),
        (r"data/inputs", torch.float64, (2,)),
        (r"data/dates", torch.int64, (1,)),
        (r"data/text", torch.uint8, (1,)),
        (r"session/losses", torch.float64, (1,)),  # a session file's recorded losses (session_file.py)
    )
)
# Optimizer state that is a running average of squares: never negative.
SQUARES = frozenset({"exp_avg_sq", "max_exp_avg_sq", "square_avg"})

MAX_LR = 10.0  # a learning rate above this sends any of our models to NaN in a step or two
MAX_WEIGHT_DECAY = 10.0
# The documented range of each optimizer hyper-parameter a file may set (torch's own, and a bound
# where torch has none); a value outside is refused, never clipped. Names this torch version's
# optimizers do not use are ignored; a flag in ``MUST_BE_OFF`` set to true is refused.
OPTIMIZER_RANGES: dict[str, tuple[Any, str]] = {
    "lr": (lambda v: 0 < v <= MAX_LR, f"in (0, {MAX_LR:g}]"),
    "eps": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "betas": (lambda v: 0 <= v < 1, "in [0, 1)"),  # each of the two
    "momentum": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "alpha": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "dampening": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "weight_decay": (lambda v: 0 <= v <= MAX_WEIGHT_DECAY, f"in [0, {MAX_WEIGHT_DECAY:g}]"),
}
MUST_BE_OFF = frozenset({"maximize"})  # a model file that asks to climb its loss is not ours


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def check_entries(name: str, entries: dict[str, Any]) -> None:
    """The tensors a header lists (``model_file.Entry``: dtype, shape), judged before any is read:
    names we write, each in the dtype and rank we write it in, random states of the length this
    torch's generator has, history and data parts that agree in length."""

    def bad(what: str) -> PlaygroundError:
        return PlaygroundError(f"{name} is corrupted: {what}")

    for key, entry in entries.items():
        rule = next((r for r in TENSORS if r[0].fullmatch(key)), None)
        if rule is None:
            raise bad(f"it holds a tensor {key[:40]!r} that RNN Playground never writes")
        _, dtype, ranks = rule
        if entry.dtype != dtype or len(entry.shape) not in ranks:
            rank = " or ".join(f"{r}-D" for r in ranks)
            raise bad(
                f"{key} is {_dtype(entry.dtype)} {len(entry.shape)}-D {tuple(entry.shape)}, not {_dtype(dtype)} {rank}"
            )
    for key, state in (("rng/batches", torch.Generator().get_state()), ("rng/torch", torch.get_rng_state())):
        if key in entries and entries[key].shape != tuple(state.shape):
            raise bad(f"its random state {key} holds {entries[key].shape[0]} bytes, not {state.numel()}")
    steps, losses = entries.get("history/val_steps"), entries.get("history/val_loss")
    if (steps is None) != (losses is None) or (steps is not None and steps.shape != losses.shape):
        raise bad("its validation history has steps and losses of different lengths")
    series = entries.get("data/series")
    for key in ("data/inputs", "data/dates"):
        if key in entries and (series is None or entries[key].shape[0] != series.shape[0]):
            rows = "no series" if series is None else f"a series of {series.shape[0]}"
            raise bad(f"its {key.split('/')[1]} have {entries[key].shape[0]} rows beside {rows}")


def check_vocab_sizes(name: str, entries: dict[str, Any], task_state: dict[str, Any], kind: str) -> None:
    """A token model's embedding has one row per vocabulary entry, and a character model's output
    layer one per character (a classifier's one per class): a vocabulary longer or shorter than the
    weights is refused before anything is built."""
    vocab, classes = task_state.get("vocab"), task_state.get("classes")
    rows = {k: e.shape[0] for k, e in entries.items() if k in ("model/embed.weight", "model/head.weight")}
    wants = {}
    if isinstance(vocab, list):
        wants["model/embed.weight"] = (len(vocab), "vocabulary entries")
        if kind_spec(kind).reopens_from_vocab:  # characters in, the next character out
            wants["model/head.weight"] = (len(vocab), "vocabulary entries")
    if isinstance(classes, list):
        wants["model/head.weight"] = (len(classes), "classes")
    for key, (n, what) in wants.items():
        if key in rows and rows[key] != n:
            layer = "embedding" if "embed" in key else "output layer"
            raise PlaygroundError(
                f"{name} is corrupted: its {layer} has {rows[key]} rows for {n} {what}"
            )


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
            group[key] = _in_range(key, _same_kind(value, mine[key], key, bad), bad)
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
            if value.numel() != 1 or value.dtype != torch.float32:
                raise bad("a step count that is not one float32 number")
            _check_step(float(value), idx, bad)
            value = value.reshape(())
        elif value.shape != param.shape or value.dtype != param.dtype:
            raise bad(
                f"{field} of parameter {idx} is {value.dtype} {tuple(value.shape)}, not {param.dtype} {tuple(param.shape)}"
            )
        if not bool(torch.isfinite(value).all()):
            raise bad(f"{field} of parameter {idx} holds NaN or infinite values")
        if field in SQUARES and bool((value < 0).any()):
            raise bad(f"{field} of parameter {idx} holds negative values (an average of squares)")
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
            if field == "step":
                _check_step(value, idx, bad)
            state.setdefault(idx, {})[field] = float(value)
    for idx, fields in state.items():
        group = next(g for g in groups if idx in g["params"])
        missing = _state_keys(optimizer, group) - set(fields)
        if missing:
            raise bad(f"{', '.join(sorted(missing))} of parameter {idx} missing")
        _check_moments(group, fields, idx, bad)
    return {"state": state, "param_groups": groups}


def check_optimizer_settings(name: str, meta: dict[str, Any]) -> None:
    """The optimizer's hyper-parameters as a file gives them, judged without building an optimizer
    (``info``): each one ``OPTIMIZER_RANGES`` knows, a number (or two) in its range."""

    def bad(what: str) -> PlaygroundError:
        return PlaygroundError(f"{name} is corrupted: its optimizer state does not fit ({what})")

    groups = meta.get("param_groups")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise bad("settings missing or not tables")
    for group in groups:
        for key, value in group.items():
            if key in MUST_BE_OFF:
                _in_range(key, _same_kind(value, False, key, bad), bad)
            elif key in OPTIMIZER_RANGES:
                _in_range(key, _same_kind(value, (0.0, 0.0) if key == "betas" else 0.0, key, bad), bad)


def _in_range(key: str, value: Any, bad) -> Any:
    """An optimizer hyper-parameter within its documented range (``OPTIMIZER_RANGES``)."""
    if key in MUST_BE_OFF and value is True:
        raise bad(f"setting {key} is on: a model of ours never climbs its loss")
    rule = OPTIMIZER_RANGES.get(key)
    if rule is not None:
        ok, text = rule
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if not ok(v):
                raise bad(f"setting {key} = {str(value)[:40]}: it must be {text}")
    return value


def _check_step(value: float, idx: int, bad) -> None:
    """An optimizer's step count: a whole number from 0 (torch divides by 1 - beta ** step)."""
    if not (0 <= value <= MAX_STEPS and float(value).is_integer()):
        raise bad(f"the step count of parameter {idx} is {value:g}, not a whole number from 0")


# A running average of gradients cannot be large beside the running average of their squares:
# with m = (1 - b1) sum b1^k g_k and v = (1 - b2) sum b2^k g_k^2, Cauchy-Schwarz gives
# m^2 <= (1 - b1)^2 / ((1 - b2) (1 - b1^2 / b2)) v whenever b1^2 < b2 (Adam's 0.9 and 0.999: |m| <=
# 7.3 sqrt(v)); RMSprop's centred average likewise has grad_avg^2 <= square_avg. Moments beyond that
# were not made by training (they would send the next step's update to 1e30). SLACK covers rounding.
SLACK = 1.01
CHUNK = 2**20


def _check_moments(group: dict[str, Any], fields: dict[str, Any], idx: int, bad) -> None:
    pairs = []
    if "exp_avg" in fields and "exp_avg_sq" in fields and "betas" in group:
        b1, b2 = (float(b) for b in group["betas"])
        if b2 > 0 and b1 * b1 < b2:
            pairs.append(("exp_avg", "exp_avg_sq", (1 - b1) / math.sqrt((1 - b2) * (1 - b1 * b1 / b2))))
    if "grad_avg" in fields and "square_avg" in fields:
        pairs.append(("grad_avg", "square_avg", 1.0))
    for first, squares, ratio in pairs:
        # a million values at a time: a large model's moments are judged without copies of their size
        for m, v in zip(fields[first].reshape(-1).split(CHUNK), fields[squares].reshape(-1).split(CHUNK)):
            if bool((m.abs() > v.sqrt().mul_(SLACK * ratio).add_(1e-30)).any()):
                raise bad(f"{first} of parameter {idx} is too large for its {squares}: not made by training")


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
    characters = kind_spec(kind).reopens_from_vocab
    longest = 1 if characters else MAX_TOKEN
    if (
        not isinstance(vocab, list)
        or not 2 <= len(vocab) <= MAX_VOCAB
        or not all(isinstance(t, str) and 1 <= len(t) <= longest for t in vocab)
        or len(set(vocab)) != len(vocab)
    ):
        what = "single characters" if characters else f"words of up to {MAX_TOKEN} characters"
        raise PlaygroundError(f"{name} is corrupted: its vocabulary is not a list of 2 to {MAX_VOCAB} different {what}")
    try:  # a lone surrogate (JSON can escape one) is no character: it cannot be shown, printed or saved
        "".join(vocab).encode("utf-8")
    except UnicodeEncodeError as e:
        code = ord("".join(vocab)[e.start])
        raise PlaygroundError(
            f"{name} is corrupted: its vocabulary holds U+{code:04X}, a lone surrogate, which is not a character"
        ) from None
    if characters and vocab != sorted(vocab):  # the app builds it sorted: another order decodes wrongly
        raise PlaygroundError(f"{name} is corrupted: its vocabulary is not in the order the app writes (sorted)")
    if kind == "knock-knock":
        from playground.core.data.dialogs import END_OF_TURN, MARKERS

        if not {*MARKERS, END_OF_TURN} <= set(vocab):
            raise PlaygroundError(f"{name} is corrupted: its dialog vocabulary lacks the turn markers")
    return vocab


def check_vocab_covers(name: str, vocab: list[str] | None, text: str | None, what: str) -> None:
    """The text a model file carries (its training text, or text pasted into its settings) uses only
    characters of its vocabulary: otherwise the vocabulary was changed after training."""
    if not vocab or not text:
        return
    from playground.core.data.text import text_vocab

    missing = [ch for ch in text_vocab(text) if ch not in set(vocab)]
    if missing:
        shown = ", ".join(repr(c) for c in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise PlaygroundError(f"{name} is corrupted: its vocabulary lacks characters of {what} ({shown})")
