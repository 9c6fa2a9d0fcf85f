"""One safetensors file per trained model: data, never code.

The file holds the weights, the optimizer's tensors, the loss history and, in
its JSON metadata, the three configs, the vocabulary or normalizer, the step
count and the optimizer's settings: everything needed to reopen the session
and train on from where it stopped. Nothing is ever unpickled, so a file from a
stranger cannot run code. Saving writes a temporary file beside the target
and renames it over the old one only once it is complete.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save as st_save

import playground
from playground.core.config import SessionConfig
from playground.core.data import build_task, vocab_only_task
from playground.core.errors import PlaygroundError
from playground.core.files import atomic_write, open_bounded
from playground.core.kinds import kind_spec
from playground.core.train.file_checks import (
    MAX_STEPS,
    check_entries,
    check_optimizer_settings,
    check_tensor_kinds,
    check_vocab_covers,
    check_vocab_sizes,
    checked_vocab,
    optimizer_state,
    stored_data,
)
from playground.core.train.model_file import (
    MAX_HEADER,
    Entry,
    header_entries,
    header_length,
    kind_of,
    parse_json,
    read_tensors,
)
from playground.core.train.trainer import Trainer

FORMAT = "rnn-playground-model"
SESSION_FORMAT = "rnn-playground-session"  # a session file (session_file.py): a model file and its recording
KNOWN_FORMATS = {FORMAT: "model file", SESSION_FORMAT: "session file"}
FORMAT_VERSION = 1
SUFFIX = ".safetensors"
MAX_MODEL_BYTES = 2 * 2**30  # a model file larger than this is refused before it is read
def training_tensors(model, optimizer, history, batch_gen) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """What any trainer's file holds, as tensors: weights, optimizer state, loss history, batch RNG.

    Returns (tensors, optimizer metadata for the JSON header). Shared by model files and the
    encoder-decoder's files, so both resume the same way.
    """
    out: dict[str, torch.Tensor] = {}
    for name, t in model.state_dict().items():
        out[f"model/{name}"] = t.detach().cpu().contiguous().clone()
    opt_state = optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in opt_state["state"].items():
        for key, value in st.items():
            if isinstance(value, torch.Tensor):
                out[f"optim/{idx}/{key}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars.setdefault(str(idx), {})[key] = value
    out["history/train_loss"] = torch.from_numpy(history.losses.copy())
    out["history/val_steps"] = torch.tensor(history.val_steps, dtype=torch.int64)
    out["history/val_loss"] = torch.tensor(history.val_loss, dtype=torch.float64)  # exact Python floats
    # The batch sampler's random state: a resumed CPU run draws the same batches as an uninterrupted one.
    out["rng/batches"] = batch_gen.get_state().clone()
    return out, {"param_groups": opt_state["param_groups"], "scalars": scalars}


def restore_training(
    name: str, model, optimizer, history, batch_gen, tensors: dict[str, torch.Tensor], optim_meta: dict
) -> None:
    """Put what ``training_tensors`` wrote back into a freshly built trainer; one-line errors."""
    check_tensor_kinds(name, model, tensors)
    state = {k[len("model/") :]: v for k, v in tensors.items() if k.startswith("model/")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise PlaygroundError(
            f"{name} is corrupted: its weights do not fit its settings ({str(e).splitlines()[0]})"
        ) from None
    state = optimizer_state(name, optimizer, tensors, optim_meta)  # judged whole, one line naming the file
    try:
        optimizer.load_state_dict(state)
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        raise PlaygroundError(f"{name} is corrupted: its optimizer state does not fit ({e})") from None
    if "rng/batches" in tensors:
        batch_gen.set_state(tensors["rng/batches"])
    try:
        history.set(
            tensors["history/train_loss"].numpy(),
            tensors["history/val_steps"].tolist(),
            tensors["history/val_loss"].tolist(),
        )
    except KeyError as e:
        raise PlaygroundError(f"{name} is corrupted: its loss history is missing ({e})") from None


def write_atomic(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` so that a failed save (a full disk, a read-only folder) leaves any
    previous file as it was (``files.atomic_write``)."""
    with atomic_write(Path(path)) as tmp, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_TRUNC), "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())


def _tensors(trainer: Trainer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    out, optim_meta = training_tensors(trainer.model, trainer.optimizer, trainer.history, trainer.batch_gen)
    out["rng/torch"] = torch.get_rng_state().clone()  # dropout masks continue as they would have
    values = getattr(trainer.task, "values", None)
    if values is not None:  # a series is small: keep it so forecasts work without the CSV
        out["data/series"] = torch.from_numpy(np.asarray(values, dtype=np.float64).copy())
        inputs, dates = getattr(trainer.task, "inputs", None), getattr(trainer.task, "dates", None)
        if inputs is not None:  # the other columns the model sees, and the file's dates
            out["data/inputs"] = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float64))
        if dates is not None:
            out["data/dates"] = torch.from_numpy(np.asarray(dates.ordinals, dtype=np.int64).copy())
    text = getattr(trainer.task, "source_text", None)
    if text:  # a text or dialog file's text: the model trains on without the file
        out["data/text"] = torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8)
    return out, optim_meta


def _named(name: str, e: PlaygroundError) -> PlaygroundError:
    """A settings error as one line that names the file once."""
    text = str(e)
    return PlaygroundError(text if text.startswith(name) else f"{name} cannot be opened: {text}")


def check_writable(path: str | Path) -> Path:
    """The file a save would write (the suffix added), checked before any work is done: its folder
    exists and can be written to, and the path is not a folder. A one-line error otherwise."""
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise PlaygroundError(f"cannot save to {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise PlaygroundError(f"cannot save to {path}: {folder} is not a folder")
    if path.is_dir():
        raise PlaygroundError(f"cannot save to {path}: it is a folder; give a file name")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PlaygroundError(f"cannot save to {path}: the folder {folder} is not writable")
    return path


def check_finite_weights(trainer: Trainer, path: Path) -> None:
    """A model whose weights went NaN or infinite is never saved: a resumed run that diverged must
    not write over the finite model it started from (nor leave a useless new file)."""
    if all(bool(torch.isfinite(p).all()) for p in trainer.model.parameters()):
        return
    kept = "the previous file is unchanged" if path.exists() else "nothing was saved"
    raise PlaygroundError(
        f"cannot save {path.name}: training ended with NaN or infinite weights; {kept} "
        "(lower the learning rate or turn on clipping)"
    )


def save(trainer: Trainer, path: str | Path) -> Path:
    """Write the model file atomically: a failed save leaves any previous file intact, and weights
    that are not finite are not saved at all."""
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    check_finite_weights(trainer, path)
    write_atomic(path, file_bytes(trainer))
    return path


def file_bytes(
    trainer: Trainer,
    file_format: str = FORMAT,
    extra_meta: dict[str, str] | None = None,
    extra_tensors: dict[str, torch.Tensor] | None = None,
) -> bytes:
    """A model file's bytes: the trainer's state as tensors, its settings as JSON metadata. A session
    file (``session_file``) is the same file under its own format name, with its recording beside."""
    tensors, optim_meta = _tensors(trainer)
    tensors.update(extra_tensors or {})
    meta = {
        "format": file_format,
        "format_version": str(FORMAT_VERSION),
        "app_version": playground.__version__,
        "session": json.dumps(trainer.session.to_dict()),
        "task": json.dumps(trainer.task.state_dict()),
        "optimizer": json.dumps(optim_meta),
        "steps": str(trainer.steps),
        "trained_on": str(trainer.device),
        **(extra_meta or {}),
    }
    return _canonical(st_save(tensors, metadata=meta))


def _canonical(blob: bytes) -> bytes:
    """Sort the header's metadata: safetensors writes it in a random order, so equal models
    would otherwise give different bytes. Tensor entries and data are kept as they are."""
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", None)
    if meta is not None:
        header = {"__metadata__": dict(sorted(meta.items())), **header}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # safetensors aligns the data that follows to 8 bytes
    return struct.pack("<Q", len(text)) + text + blob[8 + n :]


def _not_a_pickle(first: bytes, name: str, size: int) -> None:
    """Refuse, by its first bytes, an empty file or a pickle (or a torch .pt zip) before anything else."""
    if size == 0:
        raise PlaygroundError(f"{name} is empty: not a model file")
    # A safetensors header length can begin with the same two bytes as a pickle (80 04 = 1152
    # bytes), so only bytes that do not start a safetensors header are taken for a pickle.
    looks_safetensors = first[8:9] == b"{" and struct.unpack("<Q", first[:8])[0] <= MAX_HEADER
    pickle_start = first[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
    if not looks_safetensors and (pickle_start or first[:4] == b"PK\x03\x04"):
        raise PlaygroundError(
            f"{name} is a Python pickle (or a torch .pt file), not an RNN Playground model: "
            "pickles can run code, so they are never opened"
        )


def _checked_meta(meta: Any, name: str, formats: tuple[str, ...] = (FORMAT,)) -> dict[str, str]:
    """The header's metadata, judged before any value of it is used: a table of text (safetensors
    allows nothing else), our format, a format version that is a whole number this app reads."""
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise PlaygroundError(f"{name} is corrupted: its metadata is {kind_of(meta)}, not a table of text")
    for key, value in meta.items():
        if not isinstance(value, str):
            raise PlaygroundError(f"{name} is corrupted: its metadata entry {key[:40]!r} is {kind_of(value)}, not text")
    if meta.get("format") not in formats:
        if meta.get("format") in KNOWN_FORMATS:  # a session where a model is wanted, or the other way
            wanted = " or ".join(KNOWN_FORMATS[f] for f in formats)
            raise PlaygroundError(f"{name} is an RNN Playground {KNOWN_FORMATS[meta['format']]}, not {wanted}")
        raise PlaygroundError(
            f"{name} is a safetensors file from another program, not an RNN Playground model"
        )
    text = meta.get("format_version", "0")
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise PlaygroundError(f"{name} is corrupted: its format version {text[:20]!r} is not a whole number")
    version = int(text)
    if version > FORMAT_VERSION:
        raise PlaygroundError(
            f"{name} was written by a newer RNN Playground (model format {version}; this version reads "
            f"up to {FORMAT_VERSION}): update the app to open it"
        )
    return meta


def read_parts(
    path: str | Path,
    keys: Iterable[str] | None = None,
    check_meta: Callable[[dict[str, str]], None] | None = None,
    formats: tuple[str, ...] = (FORMAT,),
) -> tuple[dict[str, str], dict[str, Entry], dict[str, torch.Tensor]]:
    """Metadata, every tensor's header entry, and the tensors named ``keys`` (all: None), on the CPU.

    Everything the header says is checked before a tensor's byte is read: framing, the metadata's
    types (and ``check_meta``'s rule, such as which model the file must hold), each tensor's name,
    dtype, rank and offsets (``file_checks.check_entries``). The tensors are then read once, each
    into its own memory: a file is never held twice. No code runs.
    """
    path = Path(path)
    name = path.name
    # a regular file of a bounded size, checked before a byte is read (a FIFO, /dev/zero, a sparse
    # 20 GB file or a symlink loop is refused at once; so is a link to another user's file)
    with open_bounded(path, MAX_MODEL_BYTES, "model file", own_links=True) as (f, size):
        first = f.read(9)
        _not_a_pickle(first, name, size)
        n = header_length(first, name, size)
        f.seek(8)
        raw = f.read(n)
        if len(raw) != n:
            raise PlaygroundError(f"{name} is truncated: it changed while it was read")
        header = parse_json(raw, f"{name} is corrupted: its header")
        del raw
        meta, entries = header_entries(header, name, size - 8 - n)
        meta = _checked_meta(meta, name, formats)
        if check_meta is not None:
            check_meta(meta)
        check_entries(name, entries)
        wanted = entries.keys() if keys is None else [k for k in keys if k in entries]
        tensors = read_tensors(f, 8 + n, entries, name, wanted)
    return meta, entries, tensors


def read(
    path: str | Path, check_meta: Callable[[dict[str, str]], None] | None = None
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Metadata and tensors (on the CPU) of a model file, checked (``read_parts``); no code runs."""
    meta, _entries, tensors = read_parts(path, check_meta=check_meta)
    return meta, tensors


def load(
    path: str | Path, device: str | torch.device | None = None, data_file: str | Path | None = None
) -> Trainer:
    """Reopen a model file as a Trainer ready to predict and to train on where it stopped.

    A model file carries its data (a price series, or the text of the file a text or dialog model
    was trained on); the data file its settings name is never read. A text or dialog model saved
    before its text travelled with it still predicts; ``data_file`` names its data again (a file the
    user gives, checked against the model's vocabulary) so that it trains on.
    """
    try:
        return _load(path, device, data_file)
    except PlaygroundError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, RuntimeError) as e:
        # Anything a hand-made or damaged file can still trip over ends here, named.
        raise PlaygroundError(f"{Path(path).name} is corrupted: {type(e).__name__}: {e}") from None


def _json_field(meta: dict[str, Any], field: str, name: str) -> dict[str, Any]:
    """One of the metadata's JSON tables, or a one-line error: missing, not a table, not JSON, or
    nested deeper than any file of ours (json would otherwise recurse until Python gives up)."""
    text = meta.get(field)
    if not isinstance(text, str):
        raise PlaygroundError(f"{name} is corrupted: its {field} metadata is missing")
    value = parse_json(text, f"{name} is corrupted: its {field} metadata")
    if not isinstance(value, dict):
        raise PlaygroundError(f"{name} is corrupted: its {field} metadata is not a table")
    return value


def _steps(meta: dict[str, Any], name: str) -> int:
    text = meta.get("steps")
    if not isinstance(text, str) or not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 30:
        raise PlaygroundError(f"{name} is corrupted: its step count is missing or not a number")
    steps = int(text)
    if not 0 <= steps <= MAX_STEPS:
        raise PlaygroundError(f"{name} is corrupted: its step count {steps} is out of range")
    return steps


def _task_inside(name: str, session: SessionConfig, task_state: dict[str, Any], stored: Any) -> Any:
    """The task a model file describes, built from what it carries; the data file its settings
    name is never read (it could name /dev/zero, a FIFO, or someone's private file)."""
    spec = kind_spec(session.data.kind)
    vocab = checked_vocab(name, task_state, session.data.kind)
    # text the file carries (its data file's, or pasted into its settings) must fit its vocabulary
    carried = stored if isinstance(stored, str) else session.data.text if session.data.source == "inline" else None
    check_vocab_covers(name, vocab, carried, "the text inside it")
    if session.data.source == "file" and stored is None:
        if not spec.reopens_from_vocab:  # every series model of ours carries its series
            raise PlaygroundError(
                f"{name} is corrupted: its series is not inside it, and a model file is never allowed to "
                f"open the data file its settings name ({Path(session.data.path).name or 'none'})"
            )
        if not isinstance(vocab, list):
            raise PlaygroundError(f"{name} is corrupted: its vocabulary is missing")
        # a file from before the text travelled inside it: it samples; training needs the data again
        return vocab_only_task(session.data.kind, vocab)
    try:
        return build_task(session.data, saved=task_state, series=stored)
    except PlaygroundError as e:
        # the app's own data (bundled), changed by another version of the app: the model samples
        if session.data.source == "bundled" and isinstance(vocab, list) and spec.reopens_from_vocab:
            return vocab_only_task(session.data.kind, vocab)
        raise _named(name, e) from None


def _settings(meta: dict[str, Any], name: str, *fields: str) -> tuple[Any, ...]:
    """The session, the task state and the other JSON ``fields`` of the metadata, checked; one line
    naming the file otherwise."""
    try:
        session = SessionConfig.from_dict(_json_field(meta, "session", name))
        return (session, *(_json_field(meta, f, name) for f in ("task", *fields)))
    except PlaygroundError as e:  # before ValueError, which it subclasses
        raise _named(name, e) from None
    except (KeyError, ValueError, TypeError) as e:
        raise PlaygroundError(f"{name} is corrupted: its settings cannot be read ({e})") from None


def _load(path: str | Path, device: str | torch.device | None, data_file: str | Path | None = None) -> Trainer:
    return from_parts(Path(path).name, *read_parts(path), device, data_file)


def from_parts(
    name: str,
    meta: dict[str, Any],
    entries: dict[str, Entry],
    tensors: dict[str, torch.Tensor],
    device: str | torch.device | None = None,
    data_file: str | Path | None = None,
) -> Trainer:
    """The Trainer a model file's checked parts (``read_parts``) describe; see ``load``."""
    session, task_state, optim_meta = _settings(meta, name, "optimizer")
    steps = _steps(meta, name)
    checked_vocab(name, task_state, session.data.kind)
    check_vocab_sizes(name, entries, task_state, session.data.kind)

    spec = kind_spec(session.data.kind)
    if data_file is not None:  # the user names the data again: only theirs is read, never the file's
        if not spec.reopens_from_vocab:
            raise PlaygroundError(
                f"{name} is a {spec.noun} model: it carries its own data, so no data file is given to train it on"
            )
        checked_vocab(name, task_state, session.data.kind)
        session = replace(session, data=replace(session.data, source="file", path=str(data_file), text=""))
        task = build_task(session.data, saved=task_state)
    else:
        task = _task_inside(name, session, task_state, stored_data(tensors, name))

    trainer = Trainer(session, task=task, device=device)
    restore_training(
        name, trainer.model, trainer.optimizer, trainer.history, trainer.batch_gen, tensors, optim_meta
    )
    trainer.steps = steps
    if "rng/torch" in tensors:
        torch.set_rng_state(tensors["rng/torch"])
    return trainer


def stored_task(path: str | Path) -> Any:
    """The data task a model file carries, without its model (the window's data preview of an opened
    model): built as ``load`` builds it, so the data file its settings name is never read."""
    name = Path(path).name
    meta, tensors = read(path)
    session, task_state = _settings(meta, name)
    return _task_inside(name, session, task_state, stored_data(tensors, name))


SHOWN = ("history/train_loss", "history/val_loss")  # the tensors `info` reads; the others it only counts


def describe(path: str | Path) -> dict[str, Any]:
    """What `rnn-playground info` prints: the settings and progress, read without building a model.

    The whole header is checked as ``load`` checks it (every tensor's name, dtype and rank, the
    vocabulary against the embedding), but only the loss history is read: a 2 GB model is
    described in the memory its header takes."""
    name = Path(path).name
    meta, entries, tensors = read_parts(path, keys=SHOWN)
    n_params = sum(math.prod(e.shape) for k, e in entries.items() if k.startswith("model/"))
    task = _json_field(meta, "task", name)
    try:  # the settings checked as a model's are, then shown as they would be used
        session = SessionConfig.from_dict(_json_field(meta, "session", name)).to_dict()
    except PlaygroundError as e:
        raise _named(name, e) from None
    kind = session["data"]["kind"]
    vocab = checked_vocab(name, task, kind)
    check_vocab_sizes(name, entries, task, kind)
    if session["data"]["source"] == "inline":
        check_vocab_covers(name, vocab, session["data"]["text"], "the text inside it")
    check_optimizer_settings(name, _json_field(meta, "optimizer", name))  # its state is load's to judge
    steps = _steps(meta, name)
    try:  # a header that passed read() can still lack our settings: say so, do not crash
        losses = tensors["history/train_loss"]
        val = tensors["history/val_loss"]
        return {
            "file": str(path),
            "format_version": int(meta["format_version"]),
            "app_version": meta.get("app_version", "?"),
            "steps": steps,
            "trained_on": meta.get("trained_on", "?"),
            "parameters": int(n_params),
            "model": session["model"],
            "data": {k: v for k, v in session["data"].items() if v not in ("", [], None)},
            "train": session["train"],
            "vocab_size": len(vocab) if vocab else None,
            "last_train_loss": float(losses[-1]) if len(losses) else None,
            "last_val_loss": float(val[-1]) if len(val) else None,
        }
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        raise PlaygroundError(f"{name} is corrupted: its settings cannot be read ({e})") from None
