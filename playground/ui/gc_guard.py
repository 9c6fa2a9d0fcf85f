"""Python's cyclic garbage collector runs only in the window's thread while a window is open.

A collection runs in whichever thread happens to allocate when a threshold is passed. If it finds a
cycle that holds a Qt object in a thread other than the window's, PySide destroys that object there:
its destructor takes Qt's lock on the object's connections, then waits for Python's interpreter
lock. The window's thread may hold that lock while it destroys another object and waits for the
same Qt lock. Both wait forever and the window freezes. The random presses found it
(tests/test_robustness.py under `-m fuzz`): a data preview's thread collected while the window's
thread deleted a menu. In the window's process, Python runs in the reader of the training process's
answers, in the data preview's thread and, with ``RNN_PLAYGROUND_TRAINING=thread``, in training.

So while a window is open, automatic collection is off. A timer in the window's thread collects as
Python would have: the youngest generation once its count passes its threshold, and each older one
once its own count passes its own. Reference counting, which frees almost everything, is unchanged.
When the last window has shut down, automatic collection comes back.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

CHECK_MS = 200  # how often the window's thread looks whether a collection is due

_owners: set[int] = set()  # the windows open now (their ids)
_timer: QTimer | None = None
_was_enabled = True


def collect_due() -> int:
    """Collect what Python's own thresholds say is due; the number of objects found unreachable."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    found = 0
    for generation in (2, 1, 0):  # the oldest due generation (a collection takes the younger ones with it)
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            found = gc.collect(generation)
            break
    return found


def hold(owner: QObject) -> None:
    """``owner`` (a window) is open: collect only in this thread until :func:`release` (called by
    its shutdown; its destruction releases it too)."""
    global _timer, _was_enabled
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return  # not the window's thread: nothing here would run the timer
    key = id(owner)
    if key in _owners:
        return
    if not _owners:
        _was_enabled = gc.isenabled()
        gc.disable()
        if _timer is None:
            _timer = QTimer(app)
            _timer.setInterval(CHECK_MS)
            _timer.timeout.connect(collect_due)
        _timer.start()
    _owners.add(key)
    owner.destroyed.connect(lambda *_: _release(key))


def release(owner: QObject) -> None:
    _release(id(owner))


def _release(key: int) -> None:
    if key not in _owners:
        return
    _owners.discard(key)
    if not _owners:
        if _timer is not None:
            _timer.stop()
        if _was_enabled:
            gc.enable()


def release_all() -> None:
    """Every window forgotten (tests: a window a test left open must not hold the next test)."""
    for key in list(_owners):
        _release(key)


def holding() -> bool:
    """Whether collection is held to the window's thread now."""
    return bool(_owners)
