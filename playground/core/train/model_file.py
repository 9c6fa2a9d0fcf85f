"""Reading a model file's framing as untrusted input: the safetensors layout, checked by hand before
a value is used, and the tensors read once, each straight into its own memory.

A safetensors file is an 8-byte little-endian header length, a JSON header (``__metadata__``, a
table of text, and one entry per tensor: dtype, shape, data offsets) and the tensors' bytes. Here:

* the header length is bounded (``MAX_HEADER``) before a byte of it is read, and any JSON (the
  header, and the JSON texts inside the metadata) is measured before it is parsed: how deep it
  nests and how many values it holds (``parse_json``), so neither a tensor shape nested 10,000
  deep nor a header padded with millions of empty lists costs more than a scan of its bytes;
* every entry's type is checked (``header_entries``): the metadata a table of text, each tensor a
  known dtype, a shape of whole numbers, offsets that tile the data exactly, and sizes that agree;
* the tensors are read with ``readinto`` into tensors allocated for them: the file's bytes are
  never held twice (a 2 GB model takes 2 GB to open, not 4), and ``describe`` reads only the few
  small tensors it shows.

What the values must be for an RNN Playground model (which tensors, which dtypes, how the parts
agree) is ``file_checks``' business; this module only makes sure the file is what it says it is.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import torch

from playground.core.errors import PlaygroundError

MAX_HEADER = 16 * 2**20  # bytes of JSON header: ours hold settings, a vocabulary, dialogs (a few MB at most)
MAX_JSON_DEPTH = 16  # our deepest JSON nests 5 levels (the optimizer's param_groups and their betas)
MAX_JSON_VALUES = 1_000_000  # values (containers, numbers, strings) in one JSON text of a model file
MAX_RANK = 8  # dimensions of a tensor

# safetensors dtype names: the torch dtype and bytes per element
DTYPES: dict[str, tuple[torch.dtype, int]] = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "F8_E4M3": (torch.float8_e4m3fn, 1),
    "F8_E5M2": (torch.float8_e5m2, 1),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U64": (torch.uint64, 8),
    "U32": (torch.uint32, 4),
    "U16": (torch.uint16, 2),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}
DTYPE_NAMES = {dtype: name for name, (dtype, _) in DTYPES.items()}

# A JSON string literal (escapes included): what lies outside them is the JSON's structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def kind_of(value: Any) -> str:
    """A JSON value's type, as a user reads it."""
    return {dict: "a table", list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
        type(value), "a number"
    )


def parse_json(raw: bytes | str, what: str) -> Any:
    """``raw`` parsed as JSON once its shape is known to be a model file's: nested at most
    MAX_JSON_DEPTH deep, at most MAX_JSON_VALUES values. ``what`` ("x.safetensors: its header")
    begins each one-line error. The scan strips string literals and counts brackets and commas in
    what is left: linear, and no Python object is made for a value before the count is known."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    skeleton = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    opening = (skeleton == ord("[")) | (skeleton == ord("{"))
    closing = (skeleton == ord("]")) | (skeleton == ord("}"))
    values = int(opening.sum()) + int((skeleton == ord(",")).sum())
    if values > MAX_JSON_VALUES or int(closing.sum()) > MAX_JSON_VALUES:
        raise PlaygroundError(f"{what} holds more than {MAX_JSON_VALUES:,} values: not one of ours")
    steps = opening[opening | closing].astype(np.int32) * 2 - 1  # +1 opening, -1 closing, in order
    if steps.size and int(np.cumsum(steps).max()) > MAX_JSON_DEPTH:
        raise PlaygroundError(f"{what} is nested too deep (more than {MAX_JSON_DEPTH} levels)")
    try:
        return json.loads(data)
    except RecursionError:  # not reached after the scan; kept so that no path can raise it
        raise PlaygroundError(f"{what} is nested too deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PlaygroundError(f"{what} is not valid JSON ({str(e)[:80]})") from None


@dataclass(frozen=True)
class Entry:
    """One tensor as the header describes it: dtype, shape and where its bytes are (from the data's start)."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def dtype_name(self) -> str:
        return DTYPE_NAMES[self.dtype]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def header_entries(header: Any, name: str, data_bytes: int) -> tuple[Any, dict[str, Entry]]:
    """The metadata (as found: its type is ``file_checks``' to judge) and every tensor's entry, each
    checked: a known dtype, a shape of whole numbers, offsets in order that tile ``data_bytes``
    exactly and hold dtype size x elements. One line naming the file otherwise."""

    def bad(what: str) -> PlaygroundError:
        return PlaygroundError(f"{name} is corrupted: {what}")

    if not isinstance(header, dict):
        raise bad(f"its header is {kind_of(header)}, not a table of tensors")
    entries: dict[str, Entry] = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        label = repr(key[:40])
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor {label} is not described by a dtype, a shape and offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise bad(f"tensor {label} has an unknown dtype {str(dtype)[:20]!r}")
        if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(_whole(n) for n in shape):
            raise bad(f"tensor {label} has a shape that is not up to {MAX_RANK} whole numbers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_whole(n) for n in offsets)):
            raise bad(f"tensor {label} has no valid offsets")
        begin, end = offsets
        numel = 1
        for n in shape:
            numel *= n
        torch_dtype, size = DTYPES[dtype]
        if end < begin or end - begin != numel * size:
            raise bad(f"tensor {label} holds {end - begin} bytes, not the {numel * size} its shape needs")
        entries[key] = Entry(torch_dtype, tuple(shape), begin, end)
    at = 0
    for key, entry in sorted(entries.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if entry.begin != at:
            what = "overlap" if entry.begin < at else "leave a gap"
            raise bad(f"its tensors' bytes {what} at tensor {key[:40]!r}")
        at = entry.end
    if at != data_bytes:
        if at > data_bytes:
            raise PlaygroundError(
                f"{name} is truncated: its tensors need {at} bytes after the header, the file has {data_bytes}"
            )
        raise bad(f"{data_bytes - at} bytes follow its last tensor")
    return header.get("__metadata__"), entries


def read_tensors(f: BinaryIO, start: int, entries: dict[str, Entry], name: str, keys: Iterable[str]) -> dict[str, torch.Tensor]:
    """The tensors named ``keys`` (each in ``entries``), read from the open file whose data begins at
    ``start``: each straight into a tensor of its own (on the CPU), one copy of its bytes."""
    out: dict[str, torch.Tensor] = {}
    for key in sorted(keys, key=lambda k: entries[k].begin):
        entry = entries[key]
        raw = torch.empty(entry.end - entry.begin, dtype=torch.uint8)
        if raw.numel():
            f.seek(start + entry.begin)
            try:
                got = f.readinto(memoryview(raw.numpy()))
            except OSError as e:
                raise PlaygroundError(f"cannot read {name}: {e.strerror or e}") from None
            if got != raw.numel():
                raise PlaygroundError(f"{name} is truncated: it changed while it was read")
        out[key] = raw.view(entry.dtype).reshape(entry.shape)
    return out


def header_length(first: bytes, name: str, file_size: int) -> int:
    """The header's length from the file's first bytes, bounded before it is read."""
    if len(first) < 8:
        raise PlaygroundError(f"{name} is truncated: {file_size} bytes is too short for a model file")
    (n,) = struct.unpack("<Q", first[:8])
    if first[8:9] != b"{":
        raise PlaygroundError(f"{name} is not an RNN Playground model file (no safetensors header)")
    if n > MAX_HEADER:
        raise PlaygroundError(
            f"{name} is not an RNN Playground model file: its header says {n:,} bytes, and ours hold at "
            f"most {MAX_HEADER // 2**20} MB"
        )
    if 8 + n > file_size:
        raise PlaygroundError(f"{name} is truncated: the header needs {n} bytes, only {file_size - 8} remain")
    return n
