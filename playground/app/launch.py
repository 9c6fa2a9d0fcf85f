"""Starting the training process early: before the window is built, so that the child's import of
torch runs beside the window's own start-up instead of after it.

This module imports nothing heavy (no numpy, no Qt, no torch): the command line calls
:func:`start_early` before it imports the window, and the first
:class:`~playground.app.process.EngineProcess` takes the process started here (:func:`take_early`).
The child runs :func:`child_main`, which loads the engine and, while no command is waiting, what
the first Build needs (playground.app.process.warm_up).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
import types
from typing import Any

_early: tuple[Any, Any, float] | None = None  # (the window's end of the pipe, the process, when started)


WINDOW_FIRST_S = 3.0  # the longest the training process waits for the window's first paint


def child_main(conn: Any) -> None:
    """The training process's entry point (small, so that pickling it loads nothing in the window).

    With no core free, it waits for the window's first command (the first Build, sent once the window
    has painted; at most ``WINDOW_FIRST_S``) before it loads anything: its imports (the engine, then
    torch) would take the CPU the window needs to paint. With a core free they run beside the window."""
    end_with_parent()
    if cores_taken():
        conn.poll(WINDOW_FIRST_S)
    from playground.app.process import serve

    serve(conn)


PARENT_CHECK_S = 1.0  # how often the training process looks whether the window's process is still there


def end_with_parent(check_s: float = PARENT_CHECK_S) -> None:
    """End this process within ``check_s`` once the process that started it is gone, whatever this
    one is doing: a window that crashed or was killed must not leave a training process behind,
    taking a core and holding the terminal's (or a CI log's) output open. The pipe's end tells the
    main loop too, but only between slices; a step of a huge model or a stuck import would not
    hear it. A thread looks at the parent's pid (Linux's parent-death signal would follow the
    thread that started the process, not the process)."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(check_s)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="window watch", daemon=True).start()


def cores_taken(loadavg: str = "/proc/loadavg") -> bool:
    """Whether the tasks running now besides this process, the window among them, are more than this
    machine's cores (Linux: the running count of ``/proc/loadavg``, a count at this instant, not an
    average; elsewhere: False): then the window's own start already waits for a core, and this
    process's imports would slow its first paint further. Measured (docs/benchmarks.md): beside two
    busy programs on two cores, waiting brought the first paint from 2.6 s to 0.8 s with the first
    model ready as soon; beside one, it cost the first model 0.8 s for 0.2 s of paint, so one busy
    program (the window and this process share the other core) does not count as taken."""
    from pathlib import Path

    try:
        running = int(Path(loadavg).read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return running - 1 > cores


@contextlib.contextmanager
def _main_hidden():
    """The child needs nothing from the program that opened the window, so spawn must not run that
    program's main module again there (a script without ``if __name__ == "__main__"`` would open a
    window, or start processes, in the child)."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def spawn() -> tuple[Any, Any, float]:
    """A fresh training process: (the window's end of the pipe, the process, time.monotonic() at start)."""
    ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt's threads
    conn, child = ctx.Pipe()
    process = ctx.Process(target=child_main, args=(child,), name="rnn-playground training", daemon=True)
    started = time.monotonic()
    with _main_hidden():
        process.start()
    child.close()
    return conn, process, started


def wants_process() -> bool:
    """Whether the window trains in a child process (``RNN_PLAYGROUND_TRAINING``, see
    playground.ui.worker.make_worker)."""
    return os.environ.get("RNN_PLAYGROUND_TRAINING", "process").strip().lower() != "thread"


def start_early() -> bool:
    """Start the training process now, for the window about to be built; True if one was started
    (or already waits). Never raises: the window starts its own process if this one failed."""
    global _early
    if _early is not None:
        return True
    if not wants_process():
        return False
    try:
        _early = spawn()
    except Exception:
        return False
    return True


def take_early() -> tuple[Any, Any, float] | None:
    """The process :func:`start_early` started, if it still runs (taken once)."""
    global _early
    early, _early = _early, None
    if early is not None and not early[1].is_alive():
        with contextlib.suppress(Exception):
            early[0].close()
        return None
    return early


def no_display() -> bool:
    """Linux without a display to open a window on (and no Qt platform chosen)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
