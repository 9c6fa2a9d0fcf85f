"""One module per data kind; each builds a task the trainer consumes.

A task knows how to cut its data into batches, how to encode and decode it
(a vocabulary or a normalizer, stored with the model), and its loss. The
generated lessons ``memory`` and ``order`` are sequence classification tasks
(``classify.ClassifyTask``): tokens in, one class out, scored by accuracy.
"""

from __future__ import annotations

from typing import Any

from playground.core import paths
from playground.core.config import DataConfig
from playground.core.errors import PlaygroundError


def build_task(cfg: DataConfig, saved: dict[str, Any] | None = None, series: Any = None) -> Any:
    """Build the task a DataConfig describes.

    ``saved`` is the task state stored in a model file (vocabulary or
    normalizer): a reopened model keeps the encoding it was trained with.
    ``series`` is the raw series stored in a model file, used when the CSV it
    came from is gone.
    """
    cfg.validate()
    saved = saved or {}
    if cfg.kind == "text":
        from playground.core.data.text import build_text_task, decode_text_bytes, read_text_file

        if cfg.source == "file":
            text = read_text_file(cfg.path)
        elif cfg.source == "inline":
            text = decode_text_bytes(cfg.text.encode("utf-8"), "the pasted text")
        else:
            text = read_text_file(paths.bundled_text())
        return build_text_task(text, cfg.val_fraction, vocab=saved.get("vocab"))
    if cfg.kind == "knock-knock":
        from playground.core.data.dialogs import build_dialog_task, parse_dialog_text, read_dialog_file

        if cfg.source == "file":
            dialogs = read_dialog_file(cfg.path)
        elif cfg.source == "inline":
            dialogs = parse_dialog_text(cfg.text)
        else:
            dialogs = read_dialog_file(str(paths.bundled_dialogs()))
        return build_dialog_task(dialogs, cfg.val_fraction, vocab=saved.get("vocab"))
    if cfg.kind == "prices":
        import numpy as np

        from playground.core.data.series import Normalizer, SeriesTask, load_series

        if series is not None:
            values, notes = np.asarray(series, dtype=np.float64), list(saved.get("notes", []))
        else:
            values, notes = load_series(cfg)
        norm = Normalizer.from_dict(saved["normalizer"]) if "normalizer" in saved else None
        return SeriesTask(values, cfg.window, cfg.val_fraction, notes=notes, normalizer=norm)
    if cfg.kind in ("memory", "order"):
        task = _build_lesson(cfg)
        task.check_saved(saved)
        return task
    raise PlaygroundError(f"unknown data kind {cfg.kind!r}")


def _build_lesson(cfg: DataConfig) -> Any:
    """The generated lessons: ``memory`` (gap, keys, seed) and ``order`` (seed, val_fraction)."""
    if cfg.kind == "memory":
        from playground.core.data.memory import MemoryTask

        return MemoryTask(cfg.gap, cfg.keys, cfg.seed)
    from playground.core.data.order import OrderTask

    return OrderTask(cfg.seed, cfg.val_fraction)


def vocab_only_task(kind: str, vocab: list[str]) -> Any:
    """A task that can encode and decode but has no data: for sampling a text or dialog model whose data is gone."""
    from playground.core.data import dialogs
    from playground.core.data.text import TokenTask

    labeler = dialogs.label if kind == "knock-knock" else None
    return TokenTask(kind, "", "", vocab=vocab, notes=["the training data is not available"], labeler=labeler)
