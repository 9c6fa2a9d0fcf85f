"""Asking for the data panel's preview off the window's thread, so that a large file never blocks it.

A :class:`PreviewLoader` numbers its requests; only the newest request's answer comes back (through
``loaded``, in the GUI thread), an older one that arrives late is dropped. Where the answers come
from:

- in the window, the training process: the loader sends ``PreviewData(config, number)`` through the
  controller, the engine builds the task there (playground.app.previews) and answers
  ``DataPreviewed``, which the controller hands to :meth:`PreviewLoader.arrived`. The window's
  process never reads the data nor imports torch for it;
- for a panel on its own (tests, a tool), a plain Python thread of this process builds the same
  preview (``build``: :func:`load`), one at a time, the newest request next.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal

from playground.app import messages as m
from playground.app.previews import reads_csv_columns
from playground.core.config import DataConfig

__all__ = ["PreviewLoader", "load", "reads_csv_columns"]


def load(cfg: DataConfig) -> m.DataPreviewed:
    """A panel of its own: ``cfg``'s preview built here (in the loader's thread); a refusal is in the answer."""
    from playground.app.previews import build_preview  # (torch, with the task: this process's, here)

    return build_preview(cfg).answer(0)


class _Relay(QObject):
    """Carries a result out of the builder thread. Parentless: it lives as long as that thread needs it."""

    done = Signal(int, object)  # the request's number, its DataPreviewed


class _Queue:
    """The newest request not yet started, shared by the GUI thread and the builder thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next: tuple[int, DataConfig] | None = None
        self.thread: threading.Thread | None = None

    def clear(self) -> None:
        with self.lock:
            self.next = None


def _run(queue: _Queue, relay: _Relay, build: Callable[[DataConfig], Any]) -> None:
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


class PreviewLoader(QObject):
    """Previews built off the GUI thread; ``loaded`` comes back for the newest request only."""

    loaded = Signal(object, object)  # DataPreviewed (its preview or its error), the request's tag
    loading = Signal(bool)  # True when a request starts with none running, False when the newest is done

    def __init__(self, parent: QObject | None = None, build: Callable[[DataConfig], Any] = load) -> None:
        super().__init__(parent)
        self._build = build
        self._send: Callable[[m.PreviewData], object] | None = None  # set: the training process builds
        self._queue = _Queue()
        self._relay = _Relay()
        self._relay.done.connect(self._arrived, Qt.ConnectionType.QueuedConnection)
        # Gone with its panel: the thread finishes the build it is in and starts no other.
        self.destroyed.connect(lambda *_, queue=self._queue: queue.clear())
        self._number = 0
        self._waiting: tuple[int, Any, DataConfig] | None = None  # (number, tag, config) of the newest request

    def use_engine(self, send: Callable[[m.PreviewData], object]) -> None:
        """From now on, ask the training process (``send`` a PreviewData; answers come to ``arrived``)."""
        self._send = send

    @property
    def busy(self) -> bool:
        """True from a request until its result was delivered (or it was cancelled)."""
        return self._waiting is not None

    def request(self, cfg: DataConfig, tag: Any = None) -> None:
        """Preview ``cfg``; any earlier request still building is forgotten."""
        was_busy = self.busy
        self._number += 1
        self._waiting = (self._number, tag, cfg)
        self._ask(self._number, cfg)
        if not was_busy:
            self.loading.emit(True)

    def _ask(self, number: int, cfg: DataConfig) -> None:
        if self._send is not None:
            self._send(m.PreviewData(cfg, number))
            return
        with self._queue.lock:
            self._queue.next = (number, cfg)
            if self._queue.thread is None:
                self._queue.thread = threading.Thread(
                    target=_run, args=(self._queue, self._relay, self._build), name="data-loader", daemon=True
                )
                self._queue.thread.start()

    def ask_again(self) -> None:
        """The training process was started afresh (the last one ended): the request in flight is asked again."""
        if self._waiting is not None:
            self._ask(self._waiting[0], self._waiting[2])

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

    def arrived(self, answer: m.DataPreviewed) -> None:
        """An answer of the training process (the controller hands every DataPreviewed here)."""
        self._arrived(answer.number, answer)

    def _arrived(self, number: int, result: m.DataPreviewed) -> None:
        if not shiboken6.isValid(self) or self._waiting is None or number != self._waiting[0]:
            return  # an older request, or a cancelled one
        tag, self._waiting = self._waiting[1], None
        self.loading.emit(False)
        self.loaded.emit(result, tag)
