"""One module per data kind; each builds a task the trainer consumes.

A task knows how to cut its data into batches, how to encode and decode it
(a vocabulary or a normalizer, stored with the model), and its loss. The
generated lessons (memory and order) are sequence classification tasks
(``classify.ClassifyTask``): tokens in, one class out, scored by accuracy.
What a kind is, the registry says (``core/kinds.py``); how its task is built, ``builders.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from playground.core.config import DataConfig
from playground.core.kinds import Task, kind_spec


def build_task(cfg: DataConfig, saved: dict[str, Any] | None = None, series: Any = None) -> Task:
    """Build the task a DataConfig describes.

    ``saved`` is the task state stored in a model file (vocabulary or
    normalizer): a reopened model keeps the encoding it was trained with.
    ``series`` is the raw series stored in a model file, used when the CSV it
    came from is gone.
    """
    cfg.validate()
    from playground.core.data.builders import BUILDERS

    kind_spec(cfg.kind)  # an unknown kind is a one-line error
    return BUILDERS[cfg.kind](cfg, saved or {}, series)


def vocab_only_task(kind: str, vocab: Sequence[str]) -> Task:
    """A task that can encode and decode but has no data: for sampling a text or dialog model whose data is gone.

    Raises PlaygroundError for a kind that cannot do without its data.
    """
    from playground.core.data.builders import VOCAB_ONLY
    from playground.core.errors import PlaygroundError

    if not kind_spec(kind).reopens_from_vocab:
        raise PlaygroundError(f"a {kind} model needs its data: it cannot be reopened from its vocabulary")
    return VOCAB_ONLY[kind](vocab)
