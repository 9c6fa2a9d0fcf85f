"""Where `train --out` will save, judged before the first step: a long run is never trained to be lost
at the save. Refused, each in one line: an empty name, a folder (``.``, ``..``, ``/``, a name ending
in a slash, an existing folder), a name longer than the file system allows, a symbolic link that
loops or points into a missing folder, a place under /proc or /sys, and a folder where a file cannot
be made (tried: a temporary file is created and removed, which also catches read-only mounts and
root's view of permissions)."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from playground.core.errors import PlaygroundError
from playground.core.shown import cut

SUFFIX = ".safetensors"
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def _shown(path: str) -> str:
    return cut(os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8"), 80)


def _limit(folder: str, name: str, default: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError):
        return default


def check_out(raw: str | os.PathLike, suffix: str = SUFFIX, flag: str = "--out") -> Path:
    """The file a save to ``raw`` writes (``suffix`` added when missing), or a one-line error;
    ``flag`` names the option in the message for an empty name (``--record`` saves a session)."""
    text = os.fspath(raw)
    if not text.strip():
        example = "model.safetensors" if suffix == SUFFIX else f"run{suffix}"
        raise PlaygroundError(f"{flag} is empty: give a file name such as {example}")
    shown = _shown(text)
    name = os.path.basename(text)
    if name in ("", ".", "..") or os.path.isdir(text):
        raise PlaygroundError(f"cannot save to {shown}: it is a folder; give a file name")
    path = Path(text) if text.endswith(suffix) else Path(text + suffix)
    folder = str(path.parent) or "."
    longest = _limit(folder, "PC_NAME_MAX", 255) if os.path.isdir(folder) else 255
    if len(os.fsencode(path.name)) > longest:
        raise PlaygroundError(
            f"cannot save to {shown}: the name is {len(os.fsencode(path.name)):,} bytes long and this "
            f"file system allows {longest:,}"
        )
    if len(os.fsencode(os.path.abspath(path))) >= _limit(folder if os.path.isdir(folder) else ".", "PC_PATH_MAX", 4096):
        raise PlaygroundError(f"cannot save to {shown}: the path is longer than this file system allows")
    if os.path.isdir(path):
        raise PlaygroundError(f"cannot save to {_shown(str(path))}: it is a folder; give a file name")
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise PlaygroundError(f"cannot save to {shown}: it is a symbolic link that loops") from None
        target = Path(os.path.realpath(path))  # a save writes through the link
        if not target.parent.is_dir():
            raise PlaygroundError(
                f"cannot save to {shown}: it is a symbolic link into {_shown(str(target.parent))}, "
                "a folder that does not exist"
            )
        path, folder = target, str(target.parent)
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise PlaygroundError(f"cannot save to {shown}: the folder {_shown(folder)} {what}")
    real = os.path.realpath(folder)
    for system in SYSTEM_FOLDERS:
        if real == system or real.startswith(system + os.sep):
            raise PlaygroundError(f"cannot save to {shown}: {system} is the system's, not a place for files")
    try:  # the real question: can a file be made there?
        fd, probe = tempfile.mkstemp(prefix=".rnn-playground-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise PlaygroundError(
            f"cannot save to {shown}: the folder {_shown(folder)} is not writable ({e.strerror or e})"
        ) from None
    return path
