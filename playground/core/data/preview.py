"""What the data panel shows of a task, and the few facts the window needs of it, without the task.

A task holds its data (and tensors, so torch); the window needs only a glimpse of it. :func:`data_preview`
makes a :class:`DataPreview` from a built task, in the training process: numbers, strings and a few
numpy arrays, bounded in size, that cross to the window, whose process never imports torch. Nothing
here imports torch either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core.kinds import kind_spec

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

if TYPE_CHECKING:
    from playground.core.config import DataConfig
    from playground.core.data.dates import Dates

PREVIEW_CHARS = 400  # the start of the training text shown
EXAMPLES_SHOWN = 16  # generated sequences (memory, order) or words (spell) listed
MADE_UP_SHOWN = 20  # made-up jokes listed after the bundled dialogs
DIALOGS_SHOWN = 5_000  # dialogs of one's own listed at most (the bundled ones are ~100)
SERIES_POINTS = 200_000  # a longer series is drawn from every k-th point (its dates then go)


@dataclass(frozen=True, eq=False)
class DataPreview:
    """What the data panel shows of a task (``mode``: the kind's ``spec.preview``), and what the window
    asks of the model's data: its ``kind``, what one time step is (``step_unit``) and the share of
    training examples made afresh for each batch (``fresh_share``, the dialogs' made-up jokes)."""

    kind: str
    mode: str  # "text", "dialogs", "examples" or "series"
    notes: tuple[str, ...] = ()
    step_unit: str = "steps"
    fresh_share: float = 0.0
    # a loss the loss plot draws as a dashed line, with its label: what a model that learnt nothing
    # useful scores (the classics: predicting the mean, chance, forgetting); None: no such line
    reference: tuple[float, str] | None = None
    # text (and quotes): the characters, the vocabulary (its characters as shown) and the text's start
    n_train: int = 0
    n_val: int = 0
    vocab: tuple[str, ...] = ()
    vocab_labels: tuple[str, ...] = ()
    text: str = ""
    # dialogs: every dialog (its turns), the last ``held_out`` held out; the made-up jokes mixed in
    dialogs: tuple[tuple[str, ...], ...] = ()  # as listed (all of them, unless there are very many)
    dialogs_total: int = 0
    held_out: int = 0  # of dialogs_total
    held_listed: int = 0  # the last of ``dialogs`` that are held out
    made_up: int = 0
    made_up_shown: tuple[tuple[str, ...], ...] = ()
    # examples (memory, order, spell): the first line and (sequence, answer) pairs
    line: str = ""
    examples: tuple[tuple[str, str], ...] = ()
    # series: ``length`` values, held out from ``split``; ``values`` at ``positions`` (every point,
    # ``positions`` None, unless the series is longer than SERIES_POINTS)
    length: int = 0
    split: int = 0
    window: int = 0
    train_windows: int = 0
    values: np.ndarray | None = None
    positions: np.ndarray | None = None
    dates: Dates | None = None  # one per point (None: none, or a series too long to carry them)
    dates_text: str = ""  # "quarterly, 1990Q1 to 2019Q4"
    input_names: tuple[str, ...] = field(default_factory=tuple)
    # a CSV's columns (every one, the numeric ones), where they were read with the series: the panel lists them
    columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def x(self) -> np.ndarray:
        """The series' positions of ``values`` (0, 1, ... n - 1 unless cut)."""
        if self.positions is not None:
            return self.positions.astype(np.float64)
        return np.arange(0 if self.values is None else len(self.values), dtype=np.float64)


def data_preview(
    task: Any, config: DataConfig | None = None, columns: tuple[Sequence[str], Sequence[str]] | None = None
) -> DataPreview:
    """The preview of a built ``task`` (``config``: the settings it was built from; the dialogs' held-out
    share is read from it); ``columns``: a CSV's (every column, the numeric ones), read with it."""
    spec = kind_spec(task.kind)
    common: dict[str, Any] = {
        "kind": task.kind,
        "mode": spec.preview,
        "notes": tuple(str(n) for n in getattr(task, "notes", ())),
        "step_unit": spec.step_unit,
        "fresh_share": float(getattr(task, "fresh_share", 0.0) or 0.0),
        "reference": _reference(task),
    }
    if spec.preview == "series":
        if columns is not None:
            common["columns"] = (tuple(columns[0]), tuple(columns[1]))
        return _series(task, common)
    if spec.preview == "dialogs":
        val_fraction = config.val_fraction if config is not None else 0.1
        return _dialogs(task, val_fraction, common)
    if spec.preview == "examples":
        return DataPreview(
            **common,
            line=str(task.preview_line()),
            examples=tuple((str(s), str(a)) for s, a in task.examples(EXAMPLES_SHOWN)),
        )
    return DataPreview(**common, **_text(task))


def _reference(task: Any) -> tuple[float, str] | None:
    found = getattr(task, "loss_reference", None)
    if found is None:
        return None
    value, label = found
    return float(value), str(label)


def _text(task: Any) -> dict[str, Any]:
    vocab = tuple(task.vocab or ())
    return dict(
        n_train=len(task.train_ids),
        n_val=len(task.val_ids),
        vocab=vocab,
        vocab_labels=tuple(task.label(ch) for ch in vocab),
        text=task.decode(task.train_ids[:PREVIEW_CHARS]),
    )


def _turns(dialogs: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(str(t) for t in d) for d in dialogs)


def _dialogs(task: Any, val_fraction: float, common: dict[str, Any]) -> DataPreview:
    dialogs, made_up = list(task.dialogs), list(task.made_up)
    n_val = min(len(dialogs), max(1, round(len(dialogs) * val_fraction)))  # (none: a model without its data)
    held = min(n_val, DIALOGS_SHOWN // 2)  # of the held-out dialogs, listed last (in grey)
    shown = dialogs if len(dialogs) <= DIALOGS_SHOWN else dialogs[: DIALOGS_SHOWN - held] + dialogs[-held:]
    return DataPreview(
        **common,
        **_text(task),
        dialogs=_turns(shown),
        dialogs_total=len(dialogs),
        held_out=n_val,
        held_listed=min(n_val, len(shown)) if len(dialogs) <= DIALOGS_SHOWN else held,
        made_up=len(made_up),
        made_up_shown=_turns(made_up[:MADE_UP_SHOWN]),
    )


def _series(task: Any, common: dict[str, Any]) -> DataPreview:
    values = np.asarray(task.values, dtype=np.float64)
    n, split = len(values), int(task.split)
    dates = getattr(task, "dates", None)
    positions = None
    if n > SERIES_POINTS:  # every k-th point, and the two either side of the split, and the last
        k = -(-n // SERIES_POINTS)
        positions = np.unique(np.concatenate([np.arange(0, n, k), [max(split - 1, 0), min(split, n - 1), n - 1]]))
        values = values[positions]
    else:
        values = values.copy()
    return DataPreview(
        **common,
        length=n,
        split=split,
        window=int(task.window),
        train_windows=int(task.n_train_windows),
        values=values,
        positions=positions,
        dates=dates if positions is None else None,
        dates_text=dates.describe() if dates is not None else "",
        input_names=tuple(getattr(task, "input_names", ()) or ()),
    )
