"""How each data kind's task is built: from its DataConfig, the task state a model file saved (a
vocabulary, a normalizer) and the data a model file carries (its raw series or source text).

``BUILDERS`` holds one builder per kind of the registry (``core/kinds.py``; a test checks that the two
name the same kinds) and ``VOCAB_ONLY`` the kinds whose model samples without its data. Each builder
imports its data module when it runs, so that listing the kinds loads no torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from playground.core.config import DataConfig
from playground.core.kinds import Task


def build_text(cfg: DataConfig, saved: Mapping[str, Any], stored: Any) -> Task:
    from playground.core import paths
    from playground.core.data.text import build_text_task, read_text_file

    if cfg.source == "file" and not isinstance(stored, str):
        from playground.core.data import text_map

        if text_map.is_large(cfg.path):  # read through a map of its ids, never whole (nor carried)
            return text_map.build_mapped_text_task(cfg.path, cfg.val_fraction, vocab=saved.get("vocab"))
    if cfg.source == "file":
        # a reopened model's text travels inside its file: the path in its settings is never read
        text = stored if isinstance(stored, str) else read_text_file(cfg.path)
    elif cfg.source == "inline":  # checked as a text file is: its size limit, valid Unicode, no NUL
        from playground.core.data.recognise import checked_paste

        text = checked_paste(cfg.text)
    else:
        text = read_text_file(paths.bundled_text())
    task = build_text_task(text, cfg.val_fraction, vocab=saved.get("vocab"))
    if cfg.source == "file":
        task.source_text = text  # saved with the model (``checkpoint``), so it trains on without the file
    return task


def build_dialogs(cfg: DataConfig, saved: Mapping[str, Any], stored: Any) -> Task:
    from pathlib import Path

    from playground.core import paths
    from playground.core.data.dialogs import (
        build_dialog_task,
        parse_dialogs,
        read_dialog_file,
    )
    from playground.core.data.text import read_text_file

    if cfg.source == "file":
        source = stored if isinstance(stored, str) else read_text_file(cfg.path)
        dialogs = parse_dialogs(source, Path(cfg.path).name or "the dialog file")
    elif cfg.source == "inline":
        from playground.core.data.recognise import checked_paste

        dialogs = parse_dialogs(checked_paste(cfg.text, "the pasted dialogs"), "the pasted dialogs")
    else:
        dialogs = read_dialog_file(str(paths.bundled_dialogs()))
    made_up = cfg.made_up_jokes if cfg.source == "bundled" else 0  # your own dialogs stay as they are
    task = build_dialog_task(dialogs, cfg.val_fraction, vocab=saved.get("vocab"), made_up=made_up, seed=cfg.seed)
    if cfg.source == "file":
        task.source_text = source  # saved with the model, as a text model's is
    return task


def build_series(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    import numpy as np

    from playground.core.data.dates import Dates
    from playground.core.data.series import Normalizer, SeriesTask, build_task
    from playground.core.data.series_scale import InputScale

    norm = Normalizer.from_dict(saved["normalizer"]) if "normalizer" in saved else None
    if series is not None:  # a model file's: the series alone, or with its input columns and dates
        parts = series if isinstance(series, Mapping) else {"values": series}
        values, notes = np.asarray(parts["values"], dtype=np.float64), list(saved.get("notes", []))
        inputs, ords = parts.get("inputs"), parts.get("dates")
        scales = [InputScale.from_dict(d) for d in saved.get("inputs", [])]
        unit = (saved.get("dates") or {}).get("unit")
        dates = Dates(str(unit), np.asarray(ords)) if ords is not None and unit else None
        return SeriesTask(
            values, cfg.window, cfg.val_fraction, notes=notes, normalizer=norm,
            inputs=None if inputs is None else np.asarray(inputs, dtype=np.float64),
            input_names=[s.name for s in scales], input_scales=scales or None, dates=dates,
        )
    return build_task(cfg, normalizer=norm)


def build_memory(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    from playground.core.data.memory import MemoryTask

    task = MemoryTask(cfg.gap, cfg.keys, cfg.seed)
    task.check_saved(saved)
    return task


def build_order(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    from playground.core.data.order import OrderTask

    task = OrderTask(cfg.seed, cfg.val_fraction)
    task.check_saved(saved)
    return task


def build_spell(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    from playground.core.data.spell import SpellTask

    task = SpellTask()
    task.check_saved(dict(saved))
    return task


def build_quotes(cfg: DataConfig, saved: Mapping[str, Any], stored: Any) -> Task:
    from playground.core.data.quotes import build_quotes_task

    return build_quotes_task(cfg.seed, cfg.val_fraction, saved_vocab=saved.get("vocab"))


def build_adding(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    from playground.core.data.adding import AddingTask

    task = AddingTask(cfg.span, cfg.seed)
    task.check_saved(dict(saved))
    return task


def build_temporal_order(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    from playground.core.data.temporal_order import TemporalOrderTask

    task = TemporalOrderTask(cfg.span, cfg.seed)
    task.check_saved(dict(saved))
    return task


def build_copy(cfg: DataConfig, saved: Mapping[str, Any], series: Any) -> Task:
    from playground.core.data.copy_memory import CopyTask

    task = CopyTask(cfg.span, cfg.seed)
    task.check_saved(dict(saved))
    return task


def text_vocab_only(vocab: Sequence[str]) -> Task:
    from playground.core.data.text import build_vocab_only_task

    return build_vocab_only_task(vocab)


def dialog_vocab_only(vocab: Sequence[str]) -> Task:
    from playground.core.data.dialogs import build_vocab_only_task

    return build_vocab_only_task(vocab)


Builder = Callable[[DataConfig, Mapping[str, Any], Any], Task]

BUILDERS: Mapping[str, Builder] = {
    "text": build_text,
    "knock-knock": build_dialogs,
    "prices": build_series,
    "memory": build_memory,
    "order": build_order,
    "spell": build_spell,
    "quotes": build_quotes,
    "adding": build_adding,
    "temporal-order": build_temporal_order,
    "copy": build_copy,
}
VOCAB_ONLY: Mapping[str, Callable[[Sequence[str]], Task]] = {
    "text": text_vocab_only,
    "knock-knock": dialog_vocab_only,
}
