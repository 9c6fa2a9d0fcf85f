"""The installed Qt binding must not corrupt Python's reference counts when signals fire.

PySide6 6.12.0 drops a reference to True on every emit; on Python before 3.12 the
app then aborts after a few thousand training snapshots. pyproject.toml excludes
that version; this test catches any other release with the same fault.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    value = Signal(object)
    text = Signal(str)


def test_signals_keep_reference_counts():
    e = _Emitter()
    got: list[object] = []
    e.value.connect(got.append)
    e.text.connect(got.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(200):
        e.value.emit(i)
        e.text.emit("x")
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert len(got) == 400
    assert abs(after[0] - before[0]) < 50 and abs(after[1] - before[1]) < 50, (before, after)
