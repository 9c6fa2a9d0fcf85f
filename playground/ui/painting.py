"""One way to paint a widget: a QPainter that is ended however the painting ends.

A painter left active by an exception (the traceback keeps it alive) makes Qt end the backing store's
paint with it still open, then destroy a device that is being painted: the process crashes. Found by
the random-press test (tests/test_robustness.py), where a paint that raised took the window down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtGui import QPaintDevice, QPainter


@contextmanager
def painter(device: QPaintDevice) -> Iterator[QPainter]:
    p = QPainter(device)
    try:
        yield p
    finally:
        if p.isActive():
            p.end()
