"""The data panel's preview, built where training runs (issue 26: the window holds no data, no torch).

The window sends ``PreviewData(config, number)``; the engine hands it to a :class:`PreviewBuilder`,
which builds the task on a thread of its own, beside training (a 45 MB file takes a second or two;
its text is scanned in chunks, so the training thread keeps running), and answers
``DataPreviewed`` with the task's :class:`~playground.core.data.preview.DataPreview`. Requests made
while one builds replace each other: only the newest is built next, and an answer a newer request
overtook is not sent. The task is kept, so that the Build that follows (the panel emits the config
once it previewed) trains on it instead of reading the file again.

A panel of its own (tests, without a window) builds the same way in a thread of its process
(playground.ui.panels.data_loader), with :func:`build_preview`. No Qt here.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from playground.app import messages as m
from playground.core.config import DataConfig
from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec


def reads_csv_columns(cfg: DataConfig) -> bool:
    """Whether ``cfg`` takes a column of a CSV file (whose header the panel lists)."""
    return "column" in kind_spec(cfg.kind).settings and cfg.source == "file" and bool(cfg.path)


def csv_columns_of(cfg: DataConfig) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(every column, the numeric ones) of the CSV ``cfg`` takes a column of; None for other data, or
    where they cannot be read (the task's own error says why)."""
    if not reads_csv_columns(cfg):
        return None
    from playground.core.data.series_io import csv_columns

    try:
        every, numeric = csv_columns(cfg.path)
    except PlaygroundError:
        return None
    return tuple(every), tuple(numeric)


@dataclasses.dataclass
class Built:
    """What one preview build gave: the config (a CSV's column filled in), the task and its preview or
    the error, and a CSV's columns (every column, the numeric ones)."""

    config: DataConfig
    task: Any = None
    preview: Any = None  # DataPreview
    error: str = ""
    columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def answer(self, number: int, generation: int = 0) -> m.DataPreviewed:
        return m.DataPreviewed(generation, number, self.config, self.preview, self.error, self.columns)


def build_preview(config: DataConfig) -> Built:
    """Build ``config``'s task and its preview; a refusal is returned (one line), not raised."""
    from playground.core.data.csv_table import read_once

    result = Built(config)
    with read_once():  # a CSV's columns and its series from one read of the file
        _build_into(result)
    return result


def _build_into(result: Built) -> None:
    try:
        cfg = result.config.validate()
        result.config = cfg
        if reads_csv_columns(cfg):
            from playground.core.data.series_io import csv_columns, likely_price_column

            every, numeric = csv_columns(cfg.path)
            result.columns = (tuple(every), tuple(numeric))
            if cfg.column not in numeric:  # another file's column, or none yet: the likely one
                column = likely_price_column(list(numeric)) if numeric else ""
                result.config = cfg = dataclasses.replace(cfg, column=column)
        from playground.core.data import build_task
        from playground.core.data.preview import data_preview

        result.task = build_task(cfg)
        result.preview = data_preview(result.task, cfg, result.columns)
    except PlaygroundError as e:
        result.error, result.task = str(e), None
    except Exception as e:  # a bug must not take training down: say what happened
        result.error, result.task = f"unexpected error: {type(e).__name__}: {e}", None


class PreviewBuilder:
    """Builds previews on a thread of its own, the newest request only, and keeps the newest task."""

    def __init__(
        self,
        answer: Callable[[m.DataPreviewed], None],
        generation: Callable[[], int] = lambda: 0,
        build: Callable[[DataConfig], Built] = build_preview,
    ) -> None:
        self._answer = answer
        self._generation = generation
        self._build = build
        self._lock = threading.Condition()
        self._next: m.PreviewData | None = None
        self._thread: threading.Thread | None = None
        self._kept: Built | None = None  # the newest preview's, with its task
        self.built = 0  # tasks built (tests count them)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._thread is not None

    def request(self, cmd: m.PreviewData) -> None:
        """Build ``cmd.config``'s preview next; a request not yet started is forgotten."""
        with self._lock:
            self._next = cmd
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="data preview", daemon=True)
                self._thread.start()

    def take(self, config: DataConfig) -> Built | None:
        """The newest preview (its task, its CSV's columns) when it was built from ``config`` (None
        otherwise); given once: the kept task goes either way (a Build takes it, or it is not wanted)."""
        with self._lock:
            kept, self._kept = self._kept, None
        return kept if kept is not None and kept.config == config else None

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """Wait until no build runs or waits (tests)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._thread is None, timeout_s)

    def _run(self) -> None:
        while True:
            with self._lock:
                cmd, self._next = self._next, None
                if cmd is None:
                    self._thread = None
                    self._lock.notify_all()
                    return
                self._kept = None  # the data changes: an older task is not wanted any more
            built = self._build(cmd.config)
            self.built += 1
            with self._lock:
                overtaken = self._next is not None
                if not overtaken and built.task is not None:
                    self._kept = built
            if not overtaken:  # (the window shows the newest request's answer only)
                try:
                    self._answer(built.answer(cmd.number, self._generation()))
                except (RuntimeError, OSError, ValueError):  # the window's end is gone (closing)
                    pass
            del built
