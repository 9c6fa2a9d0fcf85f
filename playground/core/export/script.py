"""Export a model file as one readable PyTorch script (``rnn-playground export MODEL --script OUT.py``).

The script needs torch, numpy and safetensors, never this package: a config dict with the model's
settings, the model class (``nets.SequenceModel``'s parameter names), its kind's data and batches,
the training step and the kind's prediction. It reads the app's model files and writes files the
app opens. ``export_template`` holds the parts every script has (and the spell lesson's data); the
other kinds' data parts are in token_data.py, series.py and quotes.py. Each draws its training batches as
``core/data`` draws them: ``tests/test_export.py`` checks that a script trains as the app does.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import torch

from playground.core.errors import PlaygroundError
from playground.core.export import template as T
from playground.core.export.corpus import CORPUS
from playground.core.export.quotes import quotes_data
from playground.core.export.scale import DISTRIBUTED
from playground.core.export.series import SERIES_DATA
from playground.core.export.token_data import CLASSIFY_DATA, DIALOG_DATA, MEMORY_DATA, ORDER_DATA, TEXT_DATA

_LINE = 110  # the script's longest line


def _parts() -> dict[str, str]:
    """The data parts a kind's ``ScriptSpec.parts`` names, by name."""
    return {
        "TEXT_DATA": TEXT_DATA,
        "DIALOG_DATA": DIALOG_DATA,
        "SERIES_DATA": SERIES_DATA,
        "CLASSIFY_DATA": CLASSIFY_DATA,
        "MEMORY_DATA": MEMORY_DATA,
        "ORDER_DATA": ORDER_DATA,
        "SPELL_DATA": T.SPELL_DATA,
        "QUOTES_DATA": quotes_data(_render_names),
    }


# The usage lines of the script's docstring, per command ({s}: the script's name).
_USAGE = {
    "sample": """    python {s} sample --prompt "{q}" --length 200 --greedy
        continue the prompt one character at a time, always the likeliest (or draw them:
        --temperature 0.8 --top-k 10 --seed 1): the same text as `rnn-playground sample`""",
    "reply": """    python {s} reply --turn "Knock, knock!" [--history TURN ...]
        the next turn of the dialog, as the app's chat answers it""",
    "forecast": """    python {s} forecast --horizon 10
        the next values after the series the model file carries, each prediction fed back as
        the newest input: the same numbers as `rnn-playground forecast`""",
    "classify": """    python {s} classify --text "{q}"
        every answer (class) for the sequence with its probability, likeliest first; the first
        line is what `rnn-playground sample MODEL --prompt ...` answers""",
    "write": """    python {s} write --letter g
        the word the model writes from its first letter (one letter per step, up to the end
        mark), then each step's letter with its probability""",
}

# Comments beside CONFIG's entries: by (section, key), else by key.
_NOTES = {
    "weights": "the model file, from this script's folder: --weights' default",
    "tokens": "tokens (ids) in; False: one number per step",
    "many_to_many": "an output at every step; False: one at the end",
    "bag_of_words": "feed-forward only: read the mean of the inputs, not a window",
    "arch": "rnn, lstm, gru, transformer or mlp (feed-forward)",
    "hidden": "units per layer and direction",
    "bidirectional": "also read backwards (kinds with one output at the end)",
    "activation": "vanilla RNN and feed-forward: tanh or relu",
    "init": "how the app initialised the weights (loaded here)",
    "embed": "width of a token's learned vector",
    ("model", "window"): "feed-forward: the inputs it sees at once",
    "attention": "RNN, LSTM, GRU: the readout also attends over the states so far",
    "optimizer": "sgd, adam, adamw or rmsprop",
    "seq_len": "characters per training window (text and dialogs)",
    "clip": "gradient clipping: norm, value or off",
    "clip_value": "the largest total norm (or element) let through",
    "tbptt": "truncated backprop through time: steps back; 0: all",
    "val_every": "the app's validation interval (train here reports held-out loss at the end)",
    ("train", "seed"): "the app's seed for the first weights and batches",
    "device": "the app's device setting (here: train --device)",
    "source": "bundled, file, inline (pasted) or generator",
    ("data", "window"): "past values per prediction",
    ("data", "seed"): "the data generator's seed",
    "made_up_jokes": "made-up jokes mixed into the bundled ones; 0: none",
    "column": "train --data CSV: a header name or a number from 1; '': guess",
    "inputs": "columns seen beside it (A,B)",
    "gap": "digits between the key and the question",
    "keys": "how many keys (A, B, ...)",
    "bundled_file": "in the app's resources, where it is installed: train's default",
}


def _py(value: Any) -> str:
    """A plain value as Python source: its ``repr`` (str, int, bool, None, a finite float), a list or
    tuple of such values, or ``float('inf')``-style for an infinite or NaN float. Text from a file (a
    column name, a path) reaches the script only this way: ``repr`` escapes quotes, backslashes,
    line breaks and lone surrogates, so no file name is ever read as code."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_py(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    raise TypeError(f"not a plain value for a script: {type(value).__name__}")


def _doc(text: str) -> str:
    """The app's own words (a model's description, a kind's demo question) for the script's docstring,
    which argparse prints as --help, formatting ``%(prog)s``: ``%`` doubled. Values from a file never
    go there; a backslash, a pair of quotes or a control character here would be a bug of the app."""
    if "\\" in text or '""' in text or not text.isprintable():
        raise ValueError(f"not docstring text: {text!r}")
    return text.replace("%", "%%")


def _render_dict(d: dict[str, Any], indent: int, section: str = "") -> list[str]:
    """A dict as Python source, an entry a line with its note; nested dicts likewise."""
    pad, lines = " " * indent, []
    for key, value in d.items():
        if isinstance(value, dict):
            lines += [f"{pad}{_py(key)}: {{", *_render_dict(value, indent + 4, key), f"{pad}}},"]
            continue
        line = f"{pad}{_py(key)}: {_py(value)},"
        note = _NOTES.get((section, key), _NOTES.get(key, ""))
        lines.append(f"{line}  # {note}" if note and len(line) + len(note) + 4 <= _LINE else line)
    return lines


def _render_names(names: dict[str, Any]) -> str:
    """Module constants as source; a long tuple wrapped over lines of at most _LINE characters."""
    out = []
    for name, value in names.items():
        text = f"{name} = {_py(value)}"
        if len(text) <= _LINE or not isinstance(value, tuple):
            out.append(text)
            continue
        out.append(f"{name} = (")
        line = "   "
        for item in value:
            piece = f" {_py(item)},"
            if len(line) + len(piece) > _LINE:
                out, line = [*out, line], "   "
            line += piece
        out += [line, ")"]
    return "\n".join(out)


def _constants(carried: tuple[str, ...], keys: int) -> dict[str, str]:
    """The lists a kind's data is made from, as source: the made-up jokes' words, the order lesson's
    words and templates, what a memory sequence looks like."""
    from playground.core.data import jokes, order

    words = (
        "LETTERS",
        "ONSETS",
        "VOWELS",
        "CODAS",
        "WORDS",
        "PUNCHLINES",
        "LAUGHS",
        "ENDINGS",
        "ENDING_P",
        "CASE_P",
    )
    sentences = ("NOUNS", "VERBS", "POSITIVE", "NEGATIVE", "PAD", "TEMPLATES", "VOCAB", "MAX_WORDS")
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[keys - 1]
    return {
        "JOKE_WORDS": _render_names({k: getattr(jokes, k) for k in words}) if "JOKE_WORDS" in carried else "",
        "ORDER_WORDS": _render_names({k: getattr(order, k) for k in sentences})
        if "ORDER_WORDS" in carried
        else "",
        "MEMORY_HINT": _py(f"use keys A to {last}, digits 0-9 and ?, e.g. A 3 9 1 4 ?"),
    }


def _weights_entry(model_path: Path, script_path: Path) -> str:
    """Where the script finds its model file: the path from the script's folder, with / between
    folders, so a script and its weights moved together still meet, and the sender's own folders
    (above the two) are not written into the script."""
    target = os.path.abspath(model_path)
    try:
        return Path(os.path.relpath(target, os.path.abspath(script_path.parent))).as_posix()
    except ValueError:  # another drive (Windows): no path joins them; the name, to be found beside it
        return model_path.name


def render(trainer, model_path: Path, script_path: Path) -> str:
    """The script's text for the model a loaded ``trainer`` holds (read from ``model_path``), to be
    written to ``script_path``. Every value from the file (settings, names) is in CONFIG as a
    ``repr``; the docstring holds none of them, and names the script as argparse's ``%(prog)s``."""
    from playground.core import paths
    from playground.core.bounds import BOUNDS
    from playground.core.config import ARCH_NAMES, to_dict
    from playground.core.kinds import KINDS, kind_spec

    session, task = trainer.session, trainer.task
    kind, spec = session.data.kind, kind_spec(session.data.kind)
    if spec.script is None:  # the registry says how each kind's script is made (KindSpec.script)
        covered = ", ".join(k.name for k in KINDS.values() if k.script is not None)
        raise PlaygroundError(
            f"{model_path.name} is a {spec.noun} model: export as a PyTorch script covers {covered} models"
        )
    how = spec.script
    data_parts = tuple(_parts()[name] for name in how.parts)
    corpus_stdlib = ("codecs", "hashlib", "mmap") if "TEXT_DATA" in how.parts else ()
    if corpus_stdlib:  # a text of any size through a memory map
        data_parts = (CORPUS, *data_parts)
    data_class, uses, data_file, stdlib, fields, carried, bundled = (
        how.data_class,
        how.commands,
        how.data_file,
        how.stdlib,
        how.fields,
        how.carried,
        how.bundled,
    )
    data = {k: getattr(session.data, k) for k in fields}
    if bundled:
        data["bundled_file"] = getattr(paths, bundled)().relative_to(paths.resources_dir()).as_posix()
    config = {
        "weights": _weights_entry(model_path, script_path),
        "kind": kind,
        "tokens": bool(task.tokens),
        "many_to_many": bool(task.many_to_many),
        "bag_of_words": bool(task.mlp_bag_of_words),
        "model": to_dict(session.model),
        "train": to_dict(session.train),
        "data": data,
    }
    indent = {"initial_indent": " " * 8, "subsequent_indent": " " * 8}
    note = '\n        The data is made as the app makes it, from CONFIG["data"].'
    if data_file:
        note = f"--data FILE: {data_file} to train on; without it, the data the model was trained on "
        note = "\n" + textwrap.fill(
            note + "(inside its file, pasted into its settings, or bundled)", 100, **indent
        )
    title = (
        f"{spec.noun.capitalize()}: an RNN Playground model ({session.model.describe()}) as a PyTorch script."
    )
    if len(title) > _LINE - 3:
        title = f"{spec.noun.capitalize()}: an RNN Playground {ARCH_NAMES[session.model.arch]} as a PyTorch script."
    title = _doc(title)
    fill = {
        "TITLE": title,
        "STEPS": f"{trainer.steps:,}",
        "USAGE": "\n".join(_USAGE[u].format(s="%(prog)s", q=_doc(spec.demo_question)) for u in uses),
        "SCRIPT": "%(prog)s",
        "DATA_USAGE": " [--data FILE]" if data_file else "",
        "DATA_NOTE": note,
        "STDLIB": "\n".join(
            f"import {m}" for m in sorted({"argparse", "contextlib", "json", "math", "os", "sys", "time", *stdlib, *corpus_stdlib})
        ),
        "CONFIG": "CONFIG = {\n" + "\n".join(_render_dict(config, 4)) + "\n}",
        "DATA_CLASS": data_class,
        "DATA_ARG": "args.data" if data_file else "None",
        "DATA_OPTION": f'\n    p.add_argument("--data", help={_py(data_file + " to train on")})'
        if data_file
        else "",
        "MAX_BATCH": f"{int(BOUNDS['train.batch_size'].hi):_}",
        "ADD_COMMANDS": "\n".join(f"    add_{u}(sub)" for u in uses),
        **_constants(carried, session.data.keys),
    }
    uses_text = [getattr(T, u.upper()) for u in uses]
    text = "\n".join([T.HEAD, T.MODEL, T.FILES, *data_parts, DISTRIBUTED, T.TRAIN, *uses_text, T.MAIN])
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fill[m.group(1)], text)  # one pass: values stay as they are


def export_script(model_path: str | Path, out_path: str | Path) -> Path:
    """Write the PyTorch script for the model file ``model_path`` to ``out_path`` (atomically); the
    path written. One-line PlaygroundErrors for a file that is not a model of ours, an
    encoder-decoder, or a place that cannot be written."""
    from playground.core.train import checkpoint

    model_path, out_path = Path(model_path), Path(out_path)
    meta, _ = checkpoint.read(model_path)  # framing, format, size: refused before anything is built
    if meta.get("model") == "seq2seq":
        raise PlaygroundError(
            f"{model_path.name} is an encoder-decoder: export as a PyTorch script covers the models "
            "of one network (RNN, LSTM, GRU, Transformer, feed-forward), not the encoder-decoder"
        )
    if out_path.is_dir():
        raise PlaygroundError(f"cannot write {out_path}: it is a folder; give a file name such as model.py")
    if out_path.exists() and out_path.resolve() == model_path.resolve():
        raise PlaygroundError(f"{out_path.name} is the model file itself: give the script another name")
    rng = torch.get_rng_state()  # loading sets the global generator to the file's: put it back after
    try:
        trainer = checkpoint.load(model_path, device="cpu")
    finally:
        torch.set_rng_state(rng)
    checkpoint.write_atomic(out_path, render(trainer, model_path, out_path).encode("utf-8"))
    return out_path
