"""Reading a file the user named, with the checks done before a byte is read.

A path typed by a user or stored in a settings file may name anything: a folder, a FIFO that
blocks forever, /dev/zero that never ends, a sparse file of 20 GB, a symlink loop. ``read_bounded``
looks first (``os.stat``, following links) and reads only a regular file no larger than the limit
given, then checks the size of what it opened once more (the file may have changed in between).
``open_bounded`` does the same checks and hands over the open file, for a reader that reads it in
parts (a model file: its header first, then each tensor straight into its own memory).

Symbolic links: a link is followed (saving through one updates its target), but a file reached
through a link must belong to the user who opens it (``own_links``, asked for by model files): a
link planted in a shared folder and pointing to someone else's readable file is refused with the
target named, never opened as if it were the file the link is called. The target itself, named
directly, opens as usual. Every refusal is one line naming the file and the reason. No Qt, no torch.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from playground.core.errors import PlaygroundError

MB = 2**20


def _size_text(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / MB:.0f} MB" if n >= MB else f"{n:,} bytes"


def check_regular(
    path: str | Path, what: str = "file", missing: str = "", own_links: bool = False
) -> os.stat_result:
    """The file's stat if it is a regular file that exists; else a one-line error, nothing read.
    ``missing``: the message for a file that is not there ("{path}" is filled in). ``own_links``:
    a symbolic link must lead to a file of the user's own (see the module's notes)."""
    p = Path(path)
    name = p.name or str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise PlaygroundError((missing or f"no such {what}: {{path}}").format(path=p)) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise PlaygroundError(
                f"{name} is a symbolic link that loops back on itself: give the file itself"
            ) from None
        raise PlaygroundError(f"cannot open {name}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise PlaygroundError(f"{name} is a folder, not a {what}: give the file inside it")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise PlaygroundError(f"{name} is {kind}, not a {what}: give an ordinary file")
    if own_links:
        check_link_owner(p, st, what)
    return st


def check_link_owner(path: Path, st: os.stat_result, what: str = "file") -> None:
    """Refuse a symbolic link (the name given) that leads to a file of another user; one line naming
    the file it leads to. Not on systems without user ids (Windows)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None or not path.is_symlink():
        return
    if st.st_uid != getuid():
        target = os.path.realpath(path)
        raise PlaygroundError(
            f"{path.name} is a symbolic link to {target}, a {what} of another user: it is not opened "
            "through a link; give that file's own path to open it"
        )


def _too_big(name: str, what: str, limit: int) -> str:
    return f"{name} is {{size}}: {what}s up to {_size_text(limit)} are supported"


@contextlib.contextmanager
def open_bounded(
    path: str | Path, limit: int, what: str = "file", missing: str = "", own_links: bool = False
) -> Iterator[tuple[BinaryIO, int]]:
    """The open file and its size, for a regular file of at most ``limit`` bytes (checked before it is
    opened and again on what was opened); a one-line error otherwise. The caller reads in parts."""
    p = Path(path)
    name = p.name or str(p)
    st = check_regular(p, what, missing, own_links)
    if st.st_size > limit:
        raise PlaygroundError(_too_big(name, what, limit).format(size=_size_text(st.st_size)))
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, opening does not wait
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise PlaygroundError(f"cannot open {name}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        opened = os.fstat(f.fileno())
        if not stat.S_ISREG(opened.st_mode) or (own_links and opened.st_uid != st.st_uid):
            raise PlaygroundError(f"{name} changed while it was opened: give an ordinary file")
        if opened.st_size > limit:
            raise PlaygroundError(_too_big(name, what, limit).format(size=_size_text(opened.st_size)))
        yield f, opened.st_size


def read_bounded(path: str | Path, limit: int, what: str = "file", missing: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a one-line error otherwise.

    The size is checked before reading (a 20 GB file is refused without reading it) and again
    while reading, so a file that grows meanwhile is still cut off at the limit.
    """
    p = Path(path)
    name = p.name or str(p)
    too_big = _too_big(name, what, limit)
    with open_bounded(p, limit, what, missing) as (f, _size):
        try:
            # read what the file holds (one byte more shows that it grew), never ``limit`` at once:
            # a read of n bytes sets n bytes aside before it reads
            size = os.fstat(f.fileno()).st_size
            data = f.read(min(limit, size) + 1)
            if len(data) > size and len(data) <= limit:  # it grew since: read on, up to the limit
                data += f.read(limit + 1 - len(data))
        except OSError as e:
            raise PlaygroundError(f"cannot read {name}: {e.strerror or e}") from None
    if len(data) > limit:
        raise PlaygroundError(too_big.format(size=f"more than {_size_text(limit)}"))
    with _last_reads_lock:  # a session's data hash is of these very bytes (no second read)
        _last_reads[os.path.abspath(p)] = hashlib.sha256(data).hexdigest()
        while len(_last_reads) > 16:
            del _last_reads[next(iter(_last_reads))]
    return data


_last_reads: dict[str, str] = {}  # absolute path -> SHA-256 of what read_bounded last read there
_last_reads_lock = threading.Lock()  # (the data preview reads on a thread of its own)


def last_read_sha256(path: str | Path) -> str | None:
    """The SHA-256 of the bytes ``read_bounded`` last read from ``path`` in this process (None: not
    read): a session records the data a model was built from, without opening the file again."""
    with _last_reads_lock:
        return _last_reads.get(os.path.abspath(path))


# -- writing: one atomic write for every file the app saves ---------------------------------------------

TMP_SUFFIX = ".tmp"
LEFTOVER_AGE_S = 60.0  # a temporary file of ours older than this is from a save that never finished


def _through_link(path: Path, verb: str) -> Path:
    """Saving over a symbolic link writes to the file it points to (the link stays a link); a link
    that loops is refused."""
    if not path.is_symlink():
        return path
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise PlaygroundError(
                f"cannot {verb} {path.name}: it is a symbolic link that loops back on itself"
            ) from None
    return Path(os.path.realpath(path))  # a dangling link: the file it names is created


def _remove_leftovers(path: Path, folder: Path, suffix: str) -> None:
    """Remove temporary files an interrupted save of this file left beside it (ours only: the same
    name, our prefix and suffix, and older than a minute, so a save running now is left alone)."""
    import time

    now = time.time()
    for leftover in folder.glob(f".{path.name}.*{suffix}"):
        try:
            if (
                leftover.is_file()
                and not leftover.is_symlink()
                and now - leftover.stat().st_mtime > LEFTOVER_AGE_S
            ):
                leftover.unlink()
        except OSError:
            pass  # not ours to fight over: the save goes on


def file_mode(path: Path) -> int:
    """Keep an overwritten file's permissions; a new file gets the usual ones (0666 less the umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path: Path, verb: str = "save", suffix: str = TMP_SUFFIX) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write; when the block ends without an error it is
    renamed over ``path``, so a failed save (a full disk, a read-only folder, an exporter that
    raised) leaves any previous file as it was. ``suffix``: the temporary file's ending (an image
    exporter picks its format by it). A save through a symbolic link writes the file it points to.
    Model files, exported scripts and the window's plot exports all save through here."""
    path = _through_link(Path(path), verb)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise PlaygroundError(f"cannot {verb} {path.name}: the folder {folder} does not exist")
    _remove_leftovers(path, folder, suffix)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=folder)
        os.close(fd)
        yield Path(tmp)
        os.chmod(tmp, file_mode(path))  # mkstemp makes 0600; a saved file is an ordinary file
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        reason = e.strerror or str(e)
        raise PlaygroundError(
            f"cannot {verb} {path.name}: {reason}; the previous file is unchanged"
        ) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
