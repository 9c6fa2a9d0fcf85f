"""While a window is open, Python's cyclic collector runs only in the window's thread.

A collection in another thread that met a Qt object deadlocked the window (found by the random
presses: a data preview's thread collected while the window's thread deleted a menu; see
playground/ui/gc_guard.py). Here a thread makes cyclic garbage while the window runs, and every
collection must happen in the window's thread, and still free the garbage."""

from __future__ import annotations

import gc
import threading
import weakref

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.ui import gc_guard


def config() -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text="the cat sat on the mat. " * 40),
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collections_happen_in_the_window_thread_and_still_free_cycles(qtbot, open_window):
    was_enabled = gc.isenabled()
    w = open_window(config())
    assert gc_guard.holding() and not gc.isenabled()
    where: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            where.append(threading.get_ident())

    last: list[weakref.ref] = []

    def make_garbage() -> None:  # as a preview's or a reader's thread allocates
        for i in range(60_000):
            c = Cycle()
            if i % 10_000 == 0:
                last.append(weakref.ref(c))
            del c

    gc.callbacks.append(seen)
    try:
        maker = threading.Thread(target=make_garbage)
        maker.start()
        while maker.is_alive():
            qtbot.wait(50)  # the window's event loop runs: its timer collects
        maker.join()
        qtbot.wait(3 * gc_guard.CHECK_MS)
        qtbot.waitUntil(lambda: all(r() is None for r in last), timeout=5_000)  # the cycles were freed
    finally:
        gc.callbacks.remove(seen)
    main = threading.main_thread().ident
    assert where and set(where) == {main}, (len(where), set(where), main)

    w.shutdown()  # the last window: automatic collection as before
    assert not gc_guard.holding() and gc.isenabled() == was_enabled


def test_without_the_guard_a_thread_collects(qtbot):
    """The look-alike: with no window holding it, a thread that allocates collects itself (so the
    test above would see it)."""
    assert not gc_guard.holding() and gc.isenabled()
    where: list[int] = []
    gc.callbacks.append(lambda phase, info: phase == "start" and where.append(threading.get_ident()))
    try:
        t = threading.Thread(target=lambda: [Cycle() for _ in range(60_000)])
        t.start()
        t.join()
    finally:
        gc.callbacks.pop()
    assert set(where) - {threading.main_thread().ident}
