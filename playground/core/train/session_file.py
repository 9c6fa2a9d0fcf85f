"""A session file: how a model got where it is, as data that a replay can check step by step.

A session file is a model file (``checkpoint``: safetensors, the settings as JSON metadata, every
tensor checked before it is read) under its own format name, ``rnn-playground-session``, with two
things more:

* ``recording`` in the metadata, one JSON text: the starting settings (the SessionConfig), the
  seeds, a SHA-256 of the data (the bytes of the text or CSV file, or of the bundled file, or of the
  text pasted; a generated data set's settings), and every action in order: ``train`` (N steps at T
  threads), ``set`` (a live setting changed), ``rewind`` (back to the state of an earlier moment:
  Undo, a roll-back, the stop rule's best weights), ``reset`` (a new model from new settings),
  ``fix`` (a fix applied from the diagnosis banner; its effects follow as their own actions) and
  ``clamp`` (text sampled with a unit pinned, and what it wrote);
* ``session/losses``, a float64 tensor: the loss of every recorded step, in order (a refused step's
  NaN or infinity included).

Its tensors are the final state (weights, optimizer, loss history, random streams): opening a session
file in the window restores where it ended, and ``replay`` checks that re-running its actions from
the start gives the same losses and the same weights, bit for bit. Nothing is unpickled; a file is
written through a temporary file, so a failed save leaves the previous one as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from playground.core import paths
from playground.core.config import LIVE_TRAIN_SETTINGS, DataConfig, SessionConfig
from playground.core.errors import PlaygroundError
from playground.core.files import last_read_sha256, open_bounded
from playground.core.kinds import kind_spec
from playground.core.train import checkpoint
from playground.core.train.file_checks import MAX_STEPS
from playground.core.train.model_file import kind_of, parse_json
from playground.core.train.trainer import Trainer

SUFFIX = ".session"
RECORDING_VERSION = 1
MAX_THREADS = 1024  # a thread count a session may ask a replay for
MAX_HASHED_BYTES = 4 * 2**30  # a data file larger than this is not hashed (nor trained on: the readers refuse far less)
FIXES = ("clip", "lower_lr", "relu_identity", "lstm", "gru", "undo", "dropout")  # diagnosis.FIX_TEXT's keys
WHY = ("undo", "roll back", "nan rescue", "patience", "failed step", "restore")
_HEX = re.compile(r"[0-9a-f]{64}")


# -- the data's fingerprint ------------------------------------------------------------------------------
def _hash_file(path: Path, fresh: bool) -> str:
    """The file's SHA-256: of the bytes the model's data was built from when this process read them
    (``files.last_read_sha256``; a window reads a data file once), else (or ``fresh``) read now."""
    known = None if fresh else last_read_sha256(path)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open_bounded(path, MAX_HASHED_BYTES, "data file") as (f, _size):
        for chunk in iter(lambda: f.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_fingerprint(data: DataConfig, fresh: bool = False) -> dict[str, str]:
    """What the data was, as a SHA-256: of the file's bytes (a text, dialog or CSV file the user named,
    or the app's bundled file), of the text or values pasted, or of a generated data set's settings
    (all that makes it: the same settings and seed make the same data). ``fresh``: read the file now,
    whatever was read before (a replay checks the file as it is)."""
    spec = kind_spec(data.kind)
    if data.source == "file":
        return {"source": "file", "file": str(Path(data.path)), "sha256": _hash_file(Path(data.path), fresh)}
    bundled = spec.script.bundled if spec.script is not None else None
    if data.source == "bundled" and bundled:
        path = getattr(paths, bundled)()
        return {"source": "bundled", "file": Path(path).name, "sha256": _hash_file(path, fresh)}
    if data.source == "inline":
        raw = data.text.encode("utf-8") if spec.tokens else json.dumps(list(data.values)).encode()
        return {"source": "inline", "sha256": hashlib.sha256(raw).hexdigest()}
    settings = json.dumps(SessionConfig(data=data).to_dict()["data"], sort_keys=True).encode()
    return {"source": data.source, "sha256": hashlib.sha256(settings).hexdigest()}


def check_data(found: dict[str, str], data: DataConfig) -> None:
    """Refuse, in one line naming the file and the hashes, data that is no longer what was recorded."""
    now = data_fingerprint(data, fresh=True)
    if now["sha256"] == found["sha256"]:
        return
    where = found.get("file") or f"the {found['source']} data"
    raise PlaygroundError(
        f"{where} changed since the session was recorded: its SHA-256 is now {now['sha256'][:16]}..., "
        f"the session recorded {found['sha256'][:16]}...; a replay needs the data it was recorded on"
    )


# -- recording ------------------------------------------------------------------------------------------
def _start(session: SessionConfig) -> dict[str, Any]:
    return {
        "session": session.to_dict(),
        "seeds": {"train": session.train.seed, "data": session.data.seed},
        "data": data_fingerprint(session.data),
    }


class Recorder:
    """Every action done to a trainer, in order, and the loss of every step. A Trainer with
    ``recorder`` set reports its steps, changes of settings and restores here itself; the engine
    adds resets, fixes and clamps. ``why(...)`` names the rewinds made inside it."""

    def __init__(self, session: SessionConfig, start: dict[str, Any] | None = None) -> None:
        self.start = start if start is not None else _start(session)  # (a session opened: as it was recorded)
        self.actions: list[dict[str, Any]] = []
        self.losses: list[float] = []
        self._why = "restore"

    # the Trainer's calls
    def stepped(self, loss: float, threads: int) -> None:
        last = self.actions[-1] if self.actions else None
        if last is not None and last["do"] == "train" and last["threads"] == threads:
            last["steps"] += 1
        else:
            self.actions.append({"do": "train", "steps": 1, "threads": int(threads)})
        self.losses.append(float(loss))

    def changed(self, changes: dict[str, Any]) -> None:
        self.actions.append({"do": "set", "changes": dict(changes)})

    def rewound(self, moment: int, keep_settings: bool) -> None:
        self.actions.append({"do": "rewind", "to": int(moment), "keep_settings": bool(keep_settings), "why": self._why})

    # the engine's (and the command line's)
    @contextlib.contextmanager
    def why(self, reason: str) -> Iterator[None]:
        """Rewinds made inside are recorded as done for ``reason`` (one of WHY)."""
        before, self._why = self._why, reason
        try:
            yield
        finally:
            self._why = before

    def reset(self, session: SessionConfig) -> None:
        """A new model from ``session`` (Reset, or new settings): the actions after it train that one."""
        self.actions.append({"do": "reset", **_start(session)})

    def fix(self, fix: str) -> None:
        self.actions.append({"do": "fix", "fix": fix})

    def clamp(self, request: dict[str, Any], free: str, clamped: str) -> None:
        self.actions.append({"do": "clamp", **request, "free": free, "clamped": clamped})

    @property
    def steps(self) -> int:
        return len(self.losses)

    def recording(self, trainer: Trainer) -> dict[str, Any]:
        return {
            "version": RECORDING_VERSION,
            "start": self.start,
            "actions": self.actions,
            "end": {
                "steps": trainer.steps,
                "moment": trainer.moment,
                "device": str(trainer.device),
                "torch": torch.__version__,
            },
        }


def save_session(trainer: Trainer, path: str | Path) -> Path:
    """Write the session file (atomically; ``.session`` added when missing): the trainer's end state
    and what its recorder holds."""
    recorder = trainer.recorder
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    if recorder is None:
        raise PlaygroundError(
            f"cannot save {path.name}: this model was not trained from its start here (it was opened from a "
            "model file or taken from a comparison); Reset to record a session"
        )
    checkpoint.check_finite_weights(trainer, path)
    blob = checkpoint.file_bytes(
        trainer,
        checkpoint.SESSION_FORMAT,
        {"recording": json.dumps(recorder.recording(trainer), allow_nan=False)},
        {"session/losses": torch.tensor(recorder.losses, dtype=torch.float64)},
    )
    checkpoint.write_atomic(path, blob)
    return path


# -- reading ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recording:
    """A session file's recording, checked: its start, its actions, its end, its losses."""

    start: dict[str, Any]
    session: SessionConfig
    actions: tuple[dict[str, Any], ...]
    end: dict[str, Any]
    losses: torch.Tensor  # float64, one per recorded step

    def as_json(self) -> dict[str, Any]:
        return {"version": RECORDING_VERSION, "start": self.start, "actions": list(self.actions), "end": self.end}


def _whole(v: Any, lo: int = 0, hi: int = MAX_STEPS) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _keys(d: Any, need: set[str], what: str, bad: Any, optional: set[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise bad(f"{what} is {kind_of(d)}, not a table")
    if not need <= set(d) <= need | optional:
        missing, extra = sorted(need - set(d)), sorted(set(d) - need - optional)
        raise bad(f"{what} " + (f"lacks {', '.join(missing)}" if missing else f"has unknown {str(extra[0])[:30]!r}"))
    return d


def _session(d: Any, what: str, bad: Any) -> SessionConfig:
    if not isinstance(d, dict):
        raise bad(f"{what} is {kind_of(d)}, not a table of settings")
    try:
        session = SessionConfig.from_dict(d)
        session.model.validate()
        session.data.validate()
        session.train.validate()
        return session
    except PlaygroundError as e:
        raise bad(f"{what}: {e}") from None
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        raise bad(f"{what} cannot be read ({e})") from None


def _start_checked(d: Any, what: str, bad: Any) -> SessionConfig:
    _keys(d, {"session", "seeds", "data"}, what, bad)
    session = _session(d["session"], f"{what}'s settings", bad)
    seeds = _keys(d["seeds"], {"train", "data"}, f"{what}'s seeds", bad)
    if seeds != {"train": session.train.seed, "data": session.data.seed}:
        raise bad(f"{what}'s seeds are not its settings' seeds")
    fp = _keys(d["data"], {"source", "sha256"}, f"{what}'s data", bad, {"file"})
    if not isinstance(fp["sha256"], str) or not _HEX.fullmatch(fp["sha256"]):
        raise bad(f"{what}'s data hash is not a SHA-256 in hex")
    if fp["source"] != session.data.source or not isinstance(fp.get("file", ""), str):
        raise bad(f"{what}'s data does not match its settings")
    return session


def _action_checked(i: int, a: Any, bad: Any) -> None:
    what = f"action {i + 1}"
    do = a.get("do") if isinstance(a, dict) else None
    if do == "train":
        _keys(a, {"do", "steps", "threads"}, what, bad)
        if not _whole(a["steps"], 1) or not _whole(a["threads"], 1, MAX_THREADS):
            raise bad(f"{what} trains a step count or thread count out of range")
    elif do == "set":
        _keys(a, {"do", "changes"}, what, bad)
        changes = a["changes"]
        if not isinstance(changes, dict) or not changes or not set(changes) <= set(LIVE_TRAIN_SETTINGS):
            raise bad(f"{what} changes settings that cannot change during training")
        if not all(v is None or isinstance(v, (str, bool)) or _number(v) for v in changes.values()):
            raise bad(f"{what} sets a value that is not a number or a word")
    elif do == "rewind":
        _keys(a, {"do", "to", "keep_settings", "why"}, what, bad)
        if not _whole(a["to"]) or not isinstance(a["keep_settings"], bool) or a["why"] not in WHY:
            raise bad(f"{what} rewinds to a moment that is not one")
    elif do == "reset":
        _keys(a, {"do", "session", "seeds", "data"}, what, bad)
        _start_checked({k: a[k] for k in ("session", "seeds", "data")}, what, bad)
    elif do == "fix":
        _keys(a, {"do", "fix"}, what, bad)
        if a["fix"] not in FIXES:
            raise bad(f"{what} applies an unknown fix")
    elif do == "clamp":
        need = {"do", "layer", "unit", "value", "prompt", "length", "temperature", "seed", "free", "clamped"}
        _keys(a, need, what, bad)
        if not (_whole(a["layer"], 0, 64) and _whole(a["unit"], 0, 2**20) and _whole(a["length"], 1, 100_000)):
            raise bad(f"{what} pins a unit or writes a length out of range")
        if not (_number(a["value"]) and _number(a["temperature"]) and _whole(a["seed"], 0, 2**63 - 1)):
            raise bad(f"{what} has a value, temperature or seed that is not a number")
        if not all(isinstance(a[k], str) for k in ("prompt", "free", "clamped")):
            raise bad(f"{what} has a prompt or text that is not text")
    else:
        raise bad(f"{what} is not an action a session records")


def read_recording(meta: dict[str, str], tensors: dict[str, torch.Tensor], name: str) -> Recording:
    """The recording of a session file's checked parts, judged whole before any value is used."""

    def bad(what: str) -> PlaygroundError:
        return PlaygroundError(f"{name} is corrupted: {what}")

    text = meta.get("recording")
    if not isinstance(text, str):
        raise bad("its recording is missing")
    rec = _keys(parse_json(text, f"{name} is corrupted: its recording"), {"version", "start", "actions", "end"}, "its recording", bad)
    if not _whole(rec["version"]) or rec["version"] > RECORDING_VERSION:
        raise PlaygroundError(f"{name} was recorded by a newer RNN Playground: update the app to replay it")
    session = _start_checked(rec["start"], "its start", bad)
    actions = rec["actions"]
    if not isinstance(actions, list):
        raise bad(f"its actions are {kind_of(actions)}, not a list")
    for i, a in enumerate(actions):
        _action_checked(i, a, bad)
    end = _keys(rec["end"], {"steps", "moment", "device", "torch"}, "its end", bad)
    if not (_whole(end["steps"]) and _whole(end["moment"]) and all(isinstance(end[k], str) for k in ("device", "torch"))):
        raise bad("its end is not a step count, a moment, a device and a version")
    losses = tensors.get("session/losses")
    if losses is None:
        raise bad("its recorded losses are missing")
    trained = sum(a["steps"] for a in actions if a["do"] == "train")
    if trained != losses.shape[0]:
        raise bad(f"its actions train {trained} steps, and it holds the losses of {losses.shape[0]}")
    return Recording(rec["start"], session, tuple(actions), end, losses)


def read_session(path: str | Path) -> tuple[dict[str, str], dict[str, torch.Tensor], Recording]:
    """A session file's metadata, tensors and recording, each checked; one line naming the file otherwise."""
    name = Path(path).name
    meta, _entries, tensors = checkpoint.read_parts(path, formats=(checkpoint.SESSION_FORMAT,))
    return meta, tensors, read_recording(meta, tensors, name)


def is_session(path: str | Path) -> bool:
    """Whether the window's Open should read ``path`` as a session (by its name: .session)."""
    return Path(path).suffix == SUFFIX


def open_session(path: str | Path, device: str | torch.device | None = None) -> Trainer:
    """The trainer where a session ended (weights, optimizer, losses, random streams), its recorder
    holding the session so far: training on records after it, and a save holds the whole."""
    name = Path(path).name
    meta, entries, tensors = checkpoint.read_parts(path, formats=(checkpoint.SESSION_FORMAT,))
    rec = read_recording(meta, tensors, name)
    trainer = checkpoint.from_parts(name, meta, entries, tensors, device)
    if trainer.steps != rec.end["steps"]:
        raise PlaygroundError(f"{name} is corrupted: it ends at step {trainer.steps}, its recording at {rec.end['steps']}")
    recorder = Recorder(rec.session, rec.start)
    recorder.actions = [dict(a) for a in rec.actions]
    recorder.losses = [float(v) for v in rec.losses.tolist()]
    trainer.moment = rec.end["moment"]
    trainer.recorder = recorder
    return trainer

