"""Memory: answer with a token seen ``gap`` steps earlier ("Japan is where I grew up ... I speak fluent ___").

Every sequence is ``key d_1 ... d_gap ?`` and the answer is the key's partner:

* keys are the capital letters ``A``, ``B``, ... (``keys`` of them): the "countries";
* the answer to key ``A`` is ``a``, to ``B`` is ``b``, ...: its "language";
* the ``gap`` distractors in between are random digits ``0``-``9``: the rest of the story;
* ``?`` asks the question; only the output after it is scored.

So ``A 3 9 1 4 ? -> a``. The model must carry the key across ``gap`` steps of
noise. A vanilla RNN's gradient fades over that distance and it stays near
chance (1 / keys) once the gap is 20 or so; an LSTM or GRU learns it. A
feed-forward network with a window of W inputs answers while gap + 2 <= W and
guesses beyond.

Training sequences are drawn fresh from the batch generator at every step;
the validation set is a fixed 512 sequences made from the data seed (for a
gap of 3 or more a repeat of a training sequence is vanishingly rare).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from playground.core.config import MAX_GAP, MAX_KEYS
from playground.core.data.classify import ClassifyTask
from playground.core.errors import PlaygroundError

DISTRACTORS = tuple("0123456789")
QUERY = "?"
VAL_EXAMPLES = 512
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class MemoryTask(ClassifyTask):
    """Key, ``gap`` random distractors, a question mark: the answer is the key's lowercase partner."""

    kind = "memory"
    sep = " "

    def __init__(self, gap: int, keys: int = 8, seed: int = 0) -> None:
        if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or not 1 <= gap <= MAX_GAP:
            raise PlaygroundError(f"gap must be 1 to {MAX_GAP} steps between key and question, got {gap!r}")
        if isinstance(keys, bool) or not isinstance(keys, (int, np.integer)) or not 2 <= keys <= MAX_KEYS:
            raise PlaygroundError(f"keys must be 2 to {MAX_KEYS} (the letters A to Z), got {keys!r}")
        self.gap, self.n_keys, self.seed = int(gap), int(keys), int(seed)
        key_tokens = tuple(_LETTERS[: self.n_keys])
        vocab = (*key_tokens, *DISTRACTORS, QUERY)
        classes = tuple(k.lower() for k in key_tokens)
        rng = np.random.default_rng(self.seed)
        val_y = rng.integers(self.n_keys, size=VAL_EXAMPLES)
        val_x = self._sequences(val_y, rng.integers(len(DISTRACTORS), size=(VAL_EXAMPLES, self.gap)))
        notes = [
            f"key, {self.gap} random digits, '?': answer the key's partner (A -> a); {self.n_keys} keys",
            f"{VAL_EXAMPLES} held-out sequences from seed {self.seed}; chance is about 1/{self.n_keys}",
        ]
        super().__init__(vocab, classes, val_x, val_y, notes)

    def _sequences(self, keys: np.ndarray, digits: np.ndarray) -> np.ndarray:
        """Ids (N, gap + 2) for keys (N,) and distractor digits (N, gap): key, digits, '?'."""
        n = len(keys)
        query = np.full((n, 1), self.n_keys + len(DISTRACTORS), dtype=np.int64)
        return np.concatenate([np.asarray(keys)[:, None], np.asarray(digits) + self.n_keys, query], axis=1)

    @property
    def length(self) -> int:
        """Time steps of every sequence: the key, the gap, the question mark."""
        return self.gap + 2

    def _train_examples(self, batch_size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(self.n_keys, (batch_size,), generator=gen)
        digits = torch.randint(len(DISTRACTORS), (batch_size, self.gap), generator=gen) + self.n_keys
        query = torch.full((batch_size, 1), self.n_keys + len(DISTRACTORS), dtype=torch.long)
        return torch.cat([y[:, None], digits, query], dim=1), y

    def tokenize(self, text: str) -> list[str]:
        """One token per character; spaces and commas between them are ignored ("A 3 9 ?" or "A39?")."""
        return [ch for ch in text if not ch.isspace() and ch != ","]

    def answer_for(self, tokens: Sequence[str]) -> str:
        """The partner of the first key in the sequence."""
        for tok in tokens:
            if tok in self.stoi and self.stoi[tok] < self.n_keys:
                return tok.lower()
        last = _LETTERS[self.n_keys - 1]
        raise PlaygroundError(f"the sequence has no key (A to {last}): start it with one, e.g. 'A 3 9 1 ?'")

    def dependency_positions(self, tokens: Sequence[str]) -> tuple[int, ...]:
        """The positions the answer depends on: the first key (the answer is its partner)."""
        for t, tok in enumerate(tokens):
            if tok in self.stoi and self.stoi[tok] < self.n_keys:
                return (t,)
        return ()

    def example_hint(self) -> str:
        last = _LETTERS[self.n_keys - 1]
        return f"use keys A to {last}, digits 0-9 and '?', for example 'A 3 9 1 4 ?'"

    def state_dict(self) -> dict:
        return {**super().state_dict(), "gap": self.gap, "keys": self.n_keys}
