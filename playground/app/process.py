"""Training in a child process: the same engine and typed messages, no interpreter lock shared with
the window, and a crash in training that cannot take the window down.

The window's process sends commands (playground.app.messages) down a pipe; :func:`serve`, in the
child, hands each to an :class:`~playground.app.engine.Engine` and runs its jobs in slices of
~20 ms, reading new commands between slices; answers come back up the same pipe, where a reader
thread hands them to the window (playground.ui.worker.TrainingProcess). Nothing here imports Qt.

Why a process (measured, docs/benchmarks.md): in one process the window's drawing holds Python's
interpreter lock for a quarter to a third of the time, and the training thread waits for it; the
command line trains at twice the window's speed on two cores. In a child process training keeps all
the cores torch wants and never waits for the lock.

The pipe carries our own messages between our own two processes (Python's pickle, as
multiprocessing does); model files never go through it, only their paths.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.app import launch
from playground.app import messages as m


@dataclass(frozen=True)
class Shutdown:
    """Ask the child to end after the slice in progress (a pause first: the model is not saved)."""


@dataclass(frozen=True)
class ProcessLost(m.Answer):
    """The training process ended without being asked (a crash, killed, out of memory)."""

    message: str


def warm_up(conn: Any) -> list[Any]:
    """Load what the first Build needs, so that the first model is ready soon after the window asks
    for it (this process starts while the window is being built). Returns the commands that came
    meanwhile, to be handled next in their order; a Shutdown among them ends the warming at once.

    Measured (docs/benchmarks.md): the first Build spent most of its time in two imports, torch and
    torch._dynamo, each about as long as the other. The second comes with the first optimizer:
    torch.optim's methods are wrapped by torch._disable_dynamo, which imports torch._dynamo on their
    first call to turn off a compiler that nothing here turns on. :func:`defer_dynamo` lets that
    first call skip it, so the first model is built after torch alone; torch._dynamo, which the
    first training step needs in any case, is loaded next, while the window shows the new model
    (:func:`finish_warming`, from the idle loop)."""
    pending: list[Any] = []
    while conn.poll():  # a Build waiting needs this warming too: only a Shutdown stops it
        cmd = conn.recv()
        pending.append(cmd)
        if isinstance(cmd, Shutdown):
            return pending
    from playground.core.train import trainer  # noqa: F401  (torch, the model, the data kinds)

    global _deferred
    _deferred = defer_dynamo()
    return pending


_deferred: list[Any] | None = None  # the optimizer methods whose torch._dynamo import waits


def defer_dynamo() -> list[Any]:
    """Let torch.optim's ``_disable_dynamo`` methods run without importing torch._dynamo, until
    :func:`finish_warming`: each wrapper caches the "disabled" function on the wrapped one; here it
    is the wrapped function itself, which is what the disabled one runs while no compiler is active
    (none is in this process). Only wrappers recognised by their code are touched: with another
    torch, nothing is, and the first optimizer imports torch._dynamo as before. Returns the
    functions changed."""
    try:
        import torch
        from torch._compile import _disable_dynamo

        wrapper_code = _disable_dynamo(lambda: None).__code__
    except Exception:
        return []
    changed = []
    for cls in vars(torch.optim).values():
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            continue
        for klass in cls.__mro__:
            for fn in vars(klass).values():
                inner = getattr(fn, "__wrapped__", None)
                ours = getattr(fn, "__code__", None) is wrapper_code and inner is not None
                if ours and "__dynamo_disable" not in getattr(inner, "__dict__", {}):
                    inner.__dict__["__dynamo_disable"] = inner  # (torch's own name: no mangling)
                    changed.append(inner)
    return changed


def finish_warming() -> None:
    """Load torch._dynamo (the first training step needs it: torch.optim's step imports it) and
    give the optimizer methods their usual wrappers back. Once; called when no command waits."""
    global _deferred
    deferred, _deferred = _deferred, None
    if deferred is None:
        return
    import torch._dynamo  # noqa: F401

    for fn in deferred:
        if fn.__dict__.get("__dynamo_disable") is fn:
            del fn.__dict__["__dynamo_disable"]


def _startup_reporter() -> Callable[[str], None]:
    """For benchmarks/bench_startup.py (``RNN_PLAYGROUND_STARTUP_T0`` set, the launch's epoch time):
    print each start-up phase of this process once, as seconds since launch; else do nothing."""
    import os

    t0 = os.environ.get("RNN_PLAYGROUND_STARTUP_T0")
    if not t0:
        return lambda what: None
    import time

    said: set[str] = set()

    def report(what: str) -> None:
        if what not in said:
            said.add(what)
            # one write of the whole line: the window's process reports into the same pipe
            os.write(1, f"{what} {time.time() - float(t0):.3f}\n".encode())

    return report


def _report_task_built(report: Callable[[str], None]) -> None:
    """(Benchmark only) say when the first task is built: the Trainer's data, read before its model."""
    import os

    if not os.environ.get("RNN_PLAYGROUND_STARTUP_T0"):
        return
    from playground.core.train import trainer

    build_task = trainer.build_task

    def timed_build_task(*args: Any, **kwargs: Any) -> Any:
        task = build_task(*args, **kwargs)
        report("task-built")
        return task

    trainer.build_task = timed_build_task


def serve(conn: Any) -> None:
    """The child's main loop: commands in, answers out, until Shutdown or the window's end of the
    pipe closes."""
    import signal

    from playground.app.engine import Engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the window's to handle
    stopping = False

    sending = threading.Lock()  # answers come from the main loop and from the preview's thread

    def send(answer: m.Answer) -> None:
        with sending:
            conn.send(answer)
        if isinstance(answer, m.ModelArrived):
            report("model-built")

    engine = Engine(send, lambda: stopping, same_process=False)
    report = _startup_reporter()
    report("process-up")

    def handle(cmd: Any) -> None:
        nonlocal stopping
        if isinstance(cmd, Shutdown):
            stopping = True
            return
        try:
            engine.handle(cmd)
        except Exception as exc:  # a bug must not end training: say it in the window
            engine.fail(exc)

    try:
        pending = warm_up(conn)
        report("process-warm")
        _report_task_built(report)
        for cmd in pending:
            handle(cmd)
        while not stopping:
            if engine.busy:
                while not stopping and conn.poll():
                    handle(conn.recv())
                if not stopping:
                    engine.tick()
            else:
                if _deferred is not None and not conn.poll():
                    finish_warming()  # idle: what the first step needs, while the window shows the model
                    report("process-warm-all")
                handle(conn.recv())
    except (EOFError, OSError):  # the window's process is gone
        pass
    finally:
        conn.close()


class EngineProcess:
    """The window's end: starts the child, sends commands, reads answers on a thread of its own and
    gives each to ``on_answer`` (called from that thread)."""

    def __init__(self, on_answer: Callable[[m.Answer], None]) -> None:
        self.on_answer = on_answer
        self._closing = False
        self._lock = threading.Lock()
        # the process the command line started before the window was built, else a fresh one
        self.conn, self.process, self.started = launch.take_early() or launch.spawn()
        self.reader = threading.Thread(target=self._read, name="training answers", daemon=True)
        self.reader.start()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, cmd: Any) -> bool:
        """False if the child is gone (the reader has said so to the window)."""
        with self._lock:
            try:
                self.conn.send(cmd)
            except (OSError, ValueError):
                return False
        return True

    def _read(self) -> None:
        while True:
            try:
                answer = self.conn.recv()
            except (EOFError, OSError):
                break
            self._give(answer)
        if not self._closing:
            self.process.join(1.0)
            code = self.process.exitcode
            why = f"exit status {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
            self._give(
                ProcessLost(
                    -1,
                    f"Training stopped: its process ended unexpectedly ({why}). The window and your "
                    "settings are kept; the model in training was lost since its last save. "
                    "Press Reset to build it again, or open a saved model.",
                )
            )

    def _give(self, answer: m.Answer) -> None:
        try:
            self.on_answer(answer)
        except RuntimeError:  # the window's end is gone (its Qt object deleted): nobody to tell
            pass

    def close(self, timeout_s: float = 1.0) -> bool:
        """Ask the child to end; kill it if it has not within ``timeout_s`` (a step of a huge model).
        True when it ended when asked."""
        self._closing = True
        self.send(Shutdown())
        self.process.join(timeout_s)
        asked = not self.process.is_alive()
        if not asked:
            self.process.kill()
            self.process.join(5.0)
        self.reader.join(2.0)  # the child's end closed with it: the reader sees the end of the pipe
        with self._lock:
            self.conn.close()
        return asked
