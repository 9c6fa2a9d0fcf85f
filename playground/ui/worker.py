"""Where training runs beside the window: a child process (the default) or a thread of the window's
process, both around the same Qt-free engine and speaking the same typed messages.

:class:`TrainingProcess` runs the engine in a child process (playground.app.process): the window's
drawing and training no longer share Python's interpreter lock, and a crash in training cannot take
the window down. :class:`WorkerThread` runs it in a QThread of this process, which tests use to read
the model directly; ``RNN_PLAYGROUND_TRAINING=thread`` (or ``process``) picks one, see
:func:`make_worker`.

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

import os
import sys
import weakref
from typing import ClassVar

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot


class TrainingWorker(QObject):
    answer = Signal(object)  # a playground.app.messages.Answer

    def __init__(self) -> None:
        super().__init__()
        from playground.app.engine import Engine  # (the window's process needs it only here)

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

    def running(self) -> bool:
        return self.thread.isRunning()

    def save_now(self, path: str) -> str:
        """Save the model from the window's thread once training has stopped (on quit); the error
        text, or "" when it was saved (or there was nothing to save). Training runs on after an error."""
        from playground.core.errors import PlaygroundError
        from playground.core.train import checkpoint

        self.shutdown()
        trainer = self.worker.trainer
        if trainer is None:
            return ""
        try:
            checkpoint.save(trainer, path)
        except PlaygroundError as e:
            self.restart()
            return str(e)
        return ""


class ProcessWorker(QObject):
    """The window's end of the training process: ``command`` sends, ``answer`` is emitted (queued to
    the window's thread) for each answer the process sends back."""

    answer = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        from playground.app.process import EngineProcess

        self._make = lambda: EngineProcess(self.answer.emit)
        self.process = self._make()

    trainer = None  # the model lives in the other process: ask it through commands

    @Slot(object)
    def command(self, cmd: object) -> None:
        self.process.send(cmd)  # if the process is gone, its reader has told the window already

    def start_again(self) -> None:
        """A fresh training process (no model yet) after the last one ended."""
        if not self.process.alive:
            self.process.close(0.1)
            self.process = self._make()


class TrainingProcess(QObject):
    """Owns the training process; the same shape as :class:`WorkerThread` for the controller."""

    instances: ClassVar[weakref.WeakSet[TrainingProcess]] = weakref.WeakSet()  # tests check none is left

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._closed = False
        self.worker = ProcessWorker()  # may fail (no process could be started): then none to track
        TrainingProcess.instances.add(self)

    def running(self) -> bool:
        return not self._closed and self.worker.process.alive

    def restart(self) -> None:
        """After a shutdown, or after the process ended on its own: a fresh one, without a model."""
        if self._closed:
            self._closed = False
            self.worker.process.close(0.1)
            self.worker.process = self.worker._make()
        else:
            self.worker.start_again()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        if self._closed:
            return True
        self._closed = True
        return self.worker.process.close(timeout_ms / 1000)

    def save_now(self, path: str, timeout_s: float = 120.0) -> str:
        """Save through the training process and wait for its answer (on quit); the error text, or
        "" when saved. Training is paused first; the window's thread waits in a local event loop."""
        from PySide6.QtCore import QEventLoop

        from playground.app import messages as m

        if not self.running():
            return "the training process has ended: nothing to save"
        result: list[str] = []
        loop = QEventLoop()

        def answered(a: object) -> None:
            if isinstance(a, m.Saved):
                result.append("")
            elif isinstance(a, m.Failed) or type(a).__name__ == "ProcessLost":
                result.append(a.message)
            else:
                return
            loop.quit()

        self.worker.answer.connect(answered)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        self.worker.command(m.Pause())
        self.worker.command(m.Save(path))
        loop.exec()
        self.worker.answer.disconnect(answered)
        return result[0] if result else f"saving took longer than {timeout_s:.0f} s"


def make_worker(parent: QObject | None = None) -> WorkerThread | TrainingProcess:
    """Training in a child process unless ``RNN_PLAYGROUND_TRAINING=thread`` (the tests' default,
    so that they can read the model directly)."""
    how = os.environ.get("RNN_PLAYGROUND_TRAINING", "process").strip().lower()
    if how != "thread":
        try:
            return TrainingProcess(parent)
        except Exception as exc:  # no process could start (resources, a frozen app): train in a thread
            print(f"rnn-playground: training runs in a thread: its process did not start ({exc})", file=sys.stderr)
    return WorkerThread(parent)
