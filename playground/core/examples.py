"""The example models shipped in ``models/``, with a title and a one-line description each.

Titles and descriptions come from ``models/index.json`` (file name -> title,
description), in the order the index lists them; a model file the index does
not name still shows, titled after its file name and described from its
settings. An index entry whose file is missing is skipped, and so is a file
that cannot be opened. Qt-free: the window and the command line both use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core import paths
from playground.core.config import ARCH_NAMES
from playground.core.errors import PlaygroundError
from playground.core.train import checkpoint

INDEX_NAME = "index.json"
_FIELDS = ("title", "description")


@dataclass(frozen=True)
class Example:
    """One shipped model: where it is, what to call it, and what it does."""

    path: Path
    title: str
    description: str  # one line
    kind: str  # data kind: text, knock-knock or prices
    arch: str  # rnn, lstm, gru, transformer or mlp


def index_path(folder: Path | None = None) -> Path:
    return (folder or paths.models_dir()) / INDEX_NAME


def read_index(folder: Path | None = None) -> dict[str, dict[str, str]]:
    """The index's entries, checked: file name -> {"title", "description"}. No index gives {}.

    Raises PlaygroundError naming what is wrong with a malformed index.
    """
    path = index_path(folder)
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PlaygroundError(f"{path.name} cannot be read: {e}") from None
    if not isinstance(raw, dict):
        raise PlaygroundError(f"{path.name} must map file names to entries, got {type(raw).__name__}")
    entries: dict[str, dict[str, str]] = {}
    for name, entry in raw.items():
        if Path(name).name != name or not name.endswith(checkpoint.SUFFIX):
            raise PlaygroundError(f"{path.name}: {name!r} is not a plain {checkpoint.SUFFIX} file name")
        if not isinstance(entry, dict) or set(entry) != set(_FIELDS):
            raise PlaygroundError(f"{path.name}: the entry for {name} needs exactly: {', '.join(_FIELDS)}")
        for key in _FIELDS:
            value = entry[key]
            if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
                raise PlaygroundError(f"{path.name}: {name} needs a {key} of one non-empty line")
        entries[name] = {key: entry[key].strip() for key in _FIELDS}
    return entries


def title_from_name(path: Path) -> str:
    """'text-lstm.safetensors' -> 'Text lstm'."""
    words = path.stem.replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or path.stem
    return text[:1].upper() + text[1:]


def describe_line(info: dict[str, Any]) -> str:
    """One line from checkpoint.describe(): the network, its data and how far it got."""
    m = info["model"]
    net = ARCH_NAMES.get(m.get("arch"), str(m.get("arch")))
    layers = m.get("layers", 1)
    line = f"{net}, {layers} layer{'s' if layers != 1 else ''} x {m.get('hidden')}"
    line += f", trained {info['steps']} steps on {info['data'].get('kind', '?')} data"
    if info.get("last_val_loss") is not None:
        line += f" (validation loss {info['last_val_loss']:.3f})"
    return line


def list_examples(folder: Path | None = None) -> list[Example]:
    """The shipped models that open: indexed ones first, in index order, then the rest by name."""
    folder = folder or paths.models_dir()
    try:
        index = read_index(folder)
    except PlaygroundError:
        index = {}  # a broken index costs the titles, not the examples
    files = {p.name: p for p in folder.glob(f"*{checkpoint.SUFFIX}") if p.is_file()}
    order = [n for n in index if n in files] + sorted(n for n in files if n not in index)
    out: list[Example] = []
    for name in order:
        path = files[name]
        try:
            info = checkpoint.describe(path)
            kind, arch = str(info["data"]["kind"]), str(info["model"]["arch"])
        except (PlaygroundError, KeyError, TypeError):
            continue
        entry = index.get(name)
        if entry is None:
            entry = {"title": title_from_name(path), "description": describe_line(info)}
        out.append(Example(path, entry["title"], entry["description"], kind, arch))
    return out
