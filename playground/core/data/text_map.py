"""A text file too large to hold in memory, trained on through a memory map of its token ids.

``--data text --file F`` with F over ``MAP_BYTES`` (the size up to which a text is read whole, the
model file carrying it) reads F through ``corpus_map``: encoded once to ``F.ids-XXXXXXXX`` beside it
(the exported script's ``train --data F`` finds the same file, and the app finds the script's),
then every batch is cut from the map, a few windows at a time, its pages let go after each read.
Memory holds a batch, not the text: a 2 GB text trains in about the memory of a small one.

The task is a ``TokenTask`` whose ``train_ids`` and ``val_ids`` are arrays over the map, cut where
a text in memory is cut, with the same vocabulary (the text's sorted set of characters), so a small
file gives the very batches the text in memory gives (tests/test_text_map.py). Only what reads the
whole text differs: batches and held-out windows go through ``take_rows``, the character counts
through ``count_ids``. The model file names the text by its path instead of carrying it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from playground.core.data import corpus_map
from playground.core.data.text import KIND, MAX_TEXT_BYTES, MAX_VOCAB, TokenTask, _cut

MAP_BYTES = MAX_TEXT_BYTES  # a text file larger than this is read through a map of its ids


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # stderr: stdout may be a --json answer


class MappedTextTask(TokenTask):
    """A text task over a map of ids (``corpus_map.corpus_ids``): train_ids and val_ids are read-only
    uint8 (or uint16) arrays over the file, never loaded whole."""

    def __init__(self, path: Path, ids: np.ndarray, vocab: Sequence[str], split_at: int) -> None:
        super().__init__(KIND, "", "", vocab=vocab, notes=[f"{path.name}: read through a map of its ids"])
        self.train_ids, self.val_ids = ids[:split_at], ids[split_at:]
        self.path = path
        self._counts: np.ndarray | None = None  # of each id in the training text (unigram_entropy)

    def unigram_entropy(self) -> float:
        """As TokenTask's, counted a chunk at a time (a pass over the whole text: once)."""
        if self._counts is None:
            self._counts = corpus_map.count_ids(self.train_ids, len(self.vocab))
        counts = self._counts.astype(np.float64)
        p = counts[counts > 0] / counts.sum()
        return float(-(p * np.log(p)).sum())

    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows of the training text, as TokenTask draws them (the same starts from the
        same generator), read from the map."""
        hi = len(self.train_ids) - seq_len  # window of T+1 characters starts in [0, hi)
        if hi < 1:
            self.check_seq_len(seq_len)
        starts = torch.randint(hi, (batch_size, 1), generator=gen)
        index = (starts + torch.arange(seq_len + 1)).numpy()
        chunk = torch.from_numpy(corpus_map.take_rows(self.train_ids, index)).to(device)  # (B, T+1)
        return chunk[:, :-1], chunk[:, 1:]

    def _windows(self, ids: np.ndarray, index: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(corpus_map.take_rows(ids, index))


def is_large(path: str | Path) -> bool:
    """Whether the text file at ``path`` is read through a map (over MAP_BYTES); False where it is
    not a file (the reader of small files says what is wrong)."""
    try:
        return Path(path).stat().st_size > MAP_BYTES
    except OSError:
        return False


def build_mapped_text_task(
    path: str | Path, val_fraction: float, vocab: Sequence[str] | None = None,
    say: Callable[[str], None] = _say,
) -> MappedTextTask:
    """The task of the text file at ``path`` through its map of ids: with ``vocab`` (a model's), else
    the text's own; held out from where ``build_text_task`` cuts a text of as many characters."""
    path = Path(path)
    own = vocab is None
    vocab = corpus_map.own_vocab(path) if vocab is None else list(vocab)
    if not 2 <= len(vocab) <= MAX_VOCAB:  # refused before the text is encoded, as TokenTask would
        TokenTask(KIND, "", "", vocab=vocab)
    ids = corpus_map.corpus_ids(path, vocab, say=say, own=own)
    if len(ids) < 3:
        raise corpus_map.CorpusError(f"the text has {len(ids)} characters: give at least a sentence")
    return MappedTextTask(path, ids, vocab, _cut(len(ids), val_fraction))
