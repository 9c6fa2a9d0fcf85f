"""Building a data task in a background thread, so that a large file never blocks the window.

A :class:`TaskLoader` builds one task at a time in a plain Python thread. Requests made while
one builds replace each other: only the newest is built next, and only the newest request's
result comes back (through a queued Qt signal, in the GUI thread). An older build that
finishes late is dropped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal

from playground.core.config import DataConfig
from playground.core.data.series_io import likely_price_column
from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec


def reads_csv_columns(cfg: DataConfig) -> bool:
    """Whether ``cfg`` takes a column of a CSV file (whose header the panel lists)."""
    return "column" in kind_spec(cfg.kind).settings and cfg.source == "file" and bool(cfg.path)


@dataclasses.dataclass
class Loaded:
    """What one build gave: the config (its column filled in), the task or the error, the CSV's columns."""

    config: DataConfig
    task: Any = None
    error: str = ""
    columns: tuple[list[str], list[str]] | None = None  # (every column, the numeric ones) of a CSV


@dataclasses.dataclass(frozen=True)
class FromModelFile:
    """A request for the data an opened model file carries: its settings (``config``) are shown, but
    the data file they name is never read (a model file could name a FIFO or a private file)."""

    config: DataConfig
    path: str


@dataclasses.dataclass(frozen=True)
class Built:
    """A task built already (the training process's, for the model it built): adopted, not built again.
    ``task`` may be a playground.app.messages.TaskRef, opened here, in the loader's thread."""

    config: DataConfig
    task: Any


def load(what: DataConfig | FromModelFile | Built) -> Loaded:
    """Build the task of a config or of a model file (in the loader's thread); a refusal is returned, not raised."""
    if isinstance(what, Built):
        result = Loaded(what.config)
        load_task = getattr(what.task, "load", None)
        try:
            if reads_csv_columns(what.config):  # the file's columns, for the panel's list (not its task)
                from playground.core.data import series as series_data

                result.columns = series_data.csv_columns(what.config.path)
            result.task = load_task() if callable(load_task) else what.task
        except PlaygroundError as e:
            result.error = str(e)
        except Exception as e:  # a bug must not take the window down: say what happened
            result.error = f"unexpected error: {type(e).__name__}: {e}"
        return result
    if isinstance(what, FromModelFile):
        result = Loaded(what.config)
        if reads_csv_columns(what.config) and what.config.column:  # the columns the model learnt from
            from playground.core.data.series_io import split_inputs

            learnt = [what.config.column, *split_inputs(what.config.inputs)]
            result.columns = (learnt, learnt)
        try:
            from playground.core.train import checkpoint

            result.task = checkpoint.stored_task(what.path)
        except PlaygroundError as e:
            result.error = str(e)
        except Exception as e:  # a bug must not take the window down: say what happened
            result.error = f"unexpected error: {type(e).__name__}: {e}"
        return result
    cfg = what
    result = Loaded(cfg)
    try:
        if reads_csv_columns(cfg):
            from playground.core.data import series as series_data

            result.columns = series_data.csv_columns(cfg.path)
            numeric = result.columns[1]
            if cfg.column not in numeric:  # another file's column, or none yet: the likely one
                column = likely_price_column(numeric) if numeric else ""
                result.config = cfg = dataclasses.replace(cfg, column=column)
        from playground.core.data import build_task  # torch: loaded on first use, not at start-up

        result.task = build_task(cfg)
    except PlaygroundError as e:
        result.error = str(e)
    except Exception as e:  # a bug must not take the window down: say what happened
        result.error = f"unexpected error: {type(e).__name__}: {e}"
    return result


class _Relay(QObject):
    """Carries a result out of the builder thread. Parentless: it lives as long as that thread needs it."""

    done = Signal(int, object)  # the request's number, its Loaded


class _Queue:
    """The newest request not yet started, shared by the GUI thread and the builder thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next: tuple[int, DataConfig | FromModelFile] | None = None
        self.thread: threading.Thread | None = None

    def clear(self) -> None:
        with self.lock:
            self.next = None


def _run(queue: _Queue, relay: _Relay, build: Callable[[Any], Loaded]) -> None:
    """The builder thread: build the newest request until none is left. Touches no widget."""
    while True:
        with queue.lock:
            job, queue.next = queue.next, None
            if job is None:
                queue.thread = None
                return
        number, cfg = job
        result = build(cfg)
        with contextlib.suppress(RuntimeError):  # the relay is gone: the application is closing
            relay.done.emit(number, result)
        del result


class TaskLoader(QObject):
    """Builds tasks in the background; ``loaded`` comes back for the newest request only."""

    loaded = Signal(object, object)  # Loaded (its task or its error), the request's tag
    loading = Signal(bool)  # True when a build starts with none running, False when the newest is done

    def __init__(self, parent: QObject | None = None, build: Callable[[Any], Loaded] = load) -> None:
        super().__init__(parent)
        self._build = build
        self._queue = _Queue()
        self._relay = _Relay()
        self._relay.done.connect(self._arrived, Qt.ConnectionType.QueuedConnection)
        # Gone with its panel: the thread finishes the build it is in and starts no other.
        self.destroyed.connect(lambda *_, queue=self._queue: queue.clear())
        self._number = 0
        self._waiting: tuple[int, Any] | None = None  # (number, tag) of the newest request, None when idle

    @property
    def busy(self) -> bool:
        """True from a request until its result was delivered (or it was cancelled)."""
        return self._waiting is not None

    def request(self, cfg: DataConfig | FromModelFile, tag: Any = None) -> None:
        """Build ``cfg``'s task (or a model file's); any earlier request still building is forgotten."""
        was_busy = self.busy
        self._number += 1
        self._waiting = (self._number, tag)
        with self._queue.lock:
            self._queue.next = (self._number, cfg)
            if self._queue.thread is None:
                self._queue.thread = threading.Thread(
                    target=_run, args=(self._queue, self._relay, self._build), name="data-loader", daemon=True
                )
                self._queue.thread.start()
        if not was_busy:
            self.loading.emit(True)

    def cancel(self) -> None:
        """Forget the request in flight: its result is dropped when it comes."""
        self._queue.clear()
        if self._waiting is not None:
            self._waiting = None
            self.loading.emit(False)

    def wait_idle(self, timeout_s: float = 10) -> bool:
        """Run the event loop until the newest result is delivered; False if it took longer."""
        deadline = time.monotonic() + timeout_s
        while self.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
            if self.busy:
                time.sleep(0.002)  # lets the builder thread run
        return not self.busy

    def _arrived(self, number: int, result: Loaded) -> None:
        if not shiboken6.isValid(self) or self._waiting is None or number != self._waiting[0]:
            return  # an older request, or a cancelled one
        tag, self._waiting = self._waiting[1], None
        self.loading.emit(False)
        self.loaded.emit(result, tag)
