"""The training thread: a QObject in its own QThread around the Qt-free engine.

The window sends typed commands (playground.app.messages) to :meth:`TrainingWorker.command`,
a queued slot; the engine answers through the ``answer`` signal, each answer stamped with the
generation of the model that produced it. Long work runs as the engine's jobs, one slice
(~20 ms) per timer tick, so a Pause, a new learning rate or a close is handled within a slice and
the window's thread never waits for a training step.

Stopping is owned by the thread: :meth:`WorkerThread.shutdown` asks with
``QThread.requestInterruption()``, which the engine checks between steps; nothing in the worker is
written from the window's thread.
"""

from __future__ import annotations

import weakref
from typing import ClassVar

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from playground.app.engine import Engine


class TrainingWorker(QObject):
    answer = Signal(object)  # a playground.app.messages.Answer

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(self.answer.emit, self._interrupted)
        self._timer: QTimer | None = None

    @property
    def trainer(self):
        """The model in training (tests read it once the worker is idle)."""
        return self.engine.trainer

    @staticmethod
    def _interrupted() -> bool:
        return QThread.currentThread().isInterruptionRequested()

    def _ensure_timer(self) -> QTimer:
        if self._timer is None:  # made lazily, so it belongs to the worker's thread
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.setInterval(0)
            self._timer.timeout.connect(self._tick)
        return self._timer

    @Slot(object)
    def command(self, cmd: object) -> None:
        """One command from the window; long work continues from the timer."""
        try:
            self.engine.handle(cmd)
        except Exception as exc:  # a bug must not end the training thread: say it in the window
            self.engine.fail(exc)
        if self.engine.busy:
            self._ensure_timer().start()

    def _tick(self) -> None:
        if self._interrupted():
            self.engine.tick(0.0)  # the job sees the interruption and ends its run
            return
        if self.engine.tick():
            self._ensure_timer().start()


class WorkerThread(QObject):
    """Owns the QThread and the worker; stops both cleanly (within a second) on close."""

    instances: ClassVar[weakref.WeakSet[WorkerThread]] = weakref.WeakSet()  # tests check none is left running

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        WorkerThread.instances.add(self)
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def restart(self) -> None:
        """Run the same worker (and its model) again after a shutdown."""
        if not self.thread.isRunning():
            self.thread.start()  # starting clears the interruption request

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        if not self.thread.isRunning():
            return True
        self.thread.requestInterruption()  # seen by a slice in progress at its next step
        self.thread.quit()
        ok = self.thread.wait(timeout_ms)
        if not ok:  # a single step longer than a second (a huge model): wait for it, never kill
            ok = self.thread.wait(10_000)
        return ok
