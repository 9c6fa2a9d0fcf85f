"""Reading a file the user named, with the checks done before a byte is read.

A path typed by a user or stored in a settings file may name anything: a folder, a FIFO that
blocks forever, /dev/zero that never ends, a sparse file of 20 GB, a symlink loop. ``read_bounded``
looks first (``os.stat``, following links) and reads only a regular file no larger than the limit
given, then checks the size of what it opened once more (the file may have changed in between).
Every refusal is one line naming the file and the reason. No Qt, no torch.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from playground.core.errors import PlaygroundError

MB = 2**20


def _size_text(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / MB:.0f} MB" if n >= MB else f"{n:,} bytes"


def check_regular(path: str | Path, what: str = "file", missing: str = "") -> os.stat_result:
    """The file's stat if it is a regular file that exists; else a one-line error, nothing read.
    ``missing``: the message for a file that is not there ("{path}" is filled in)."""
    p = Path(path)
    name = p.name or str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise PlaygroundError((missing or f"no such {what}: {{path}}").format(path=p)) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise PlaygroundError(f"{name} is a symbolic link that loops back on itself: give the file itself") from None
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
    return st


def read_bounded(path: str | Path, limit: int, what: str = "file", missing: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a one-line error otherwise.

    The size is checked before reading (a 20 GB file is refused without reading it) and again
    while reading, so a file that grows meanwhile is still cut off at the limit.
    """
    p = Path(path)
    name = p.name or str(p)
    st = check_regular(p, what, missing)
    too_big = f"{name} is {{size}}: {what}s up to {_size_text(limit)} are supported"
    if st.st_size > limit:
        raise PlaygroundError(too_big.format(size=_size_text(st.st_size)))
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, opening does not wait
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise PlaygroundError(f"cannot open {name}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise PlaygroundError(f"{name} changed while it was opened: give an ordinary file")
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
    return data
