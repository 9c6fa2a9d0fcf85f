"""Two-symbol temporal order (Hochreiter & Schmidhuber 1997, "Long Short-Term Memory", task 6a).

A sequence is ``E``, then distractors drawn uniformly from ``a b c d``, then the trigger ``B`` at the
end; two positions ``t1 < t2`` hold ``X`` or ``Y`` (each drawn independently, one chance in two)
instead of a distractor. The class is the order of the two: ``XX``, ``XY``, ``YX`` or ``YY``. The
rule implemented here, with ``T`` the base length (the paper's T = 100):

* the length is drawn uniformly from T to T + T // 10 (the paper: 100 to 110);
* t1 is drawn uniformly from round(T / 10) to round(T / 5) (the paper: 10 to 20), at least 1,
  so it never covers the start symbol;
* t2 is drawn uniformly from round(T / 2) to round(3 T / 5) (the paper: 50 to 60), after t1 and
  before the trigger;
* positions count from 0, the start symbol ``E`` being position 0.

Sequences shorter than the longest (T + T // 10) are left-padded with ``·`` so a batch is one
tensor and the trigger is always the last step: the answer is read after it. The paper's figure
is the class of each of 2,560 held-out sequences; a model that cannot see the order scores
chance, 25%, and a cross-entropy of ln 4 (about 1.386).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from playground.core.data.classify import ClassifyTask
from playground.core.errors import PlaygroundError

KIND = "temporal-order"
START, TRIGGER, PAD = "E", "B", "·"
DISTRACTORS = ("a", "b", "c", "d")
RELEVANT = ("X", "Y")
CLASSES = ("XX", "XY", "YX", "YY")
VOCAB = (PAD, START, TRIGGER, *DISTRACTORS, *RELEVANT)
TEST_SEQUENCES = 2560
CHANCE_LOSS = math.log(len(CLASSES))  # ln 4: the cross-entropy of answering 1/4 for every class


def windows(base: int) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """The inclusive ranges of (length, t1, t2) for base length ``base``, by the rule above."""
    lo_len, hi_len = base, base + base // 10
    t1 = (max(1, round(base / 10)), max(1, round(base / 5)))
    t2_lo = max(t1[1] + 1, round(base / 2))
    t2 = (t2_lo, max(t2_lo, min(round(3 * base / 5), lo_len - 2)))
    return (lo_len, hi_len), t1, t2


def make_sequences(base: int, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences as ids (N, T + T // 10), left-padded, and their class ids (N,)."""
    (lo_len, hi_len), (a1, b1), (a2, b2) = windows(base)
    lengths = rng.integers(lo_len, hi_len + 1, size=n)
    t1 = rng.integers(a1, b1 + 1, size=n)
    t2 = rng.integers(a2, b2 + 1, size=n)
    s1, s2 = rng.integers(2, size=n), rng.integers(2, size=n)
    stoi = {tok: i for i, tok in enumerate(VOCAB)}
    ids = np.full((n, hi_len), stoi[PAD], dtype=np.int64)
    body = rng.integers(len(DISTRACTORS), size=(n, hi_len)) + stoi[DISTRACTORS[0]]
    for i in range(n):
        start = hi_len - int(lengths[i])
        row = body[i, : lengths[i]].copy()
        row[0], row[-1] = stoi[START], stoi[TRIGGER]
        row[t1[i]] = stoi[RELEVANT[s1[i]]]
        row[t2[i]] = stoi[RELEVANT[s2[i]]]
        ids[i, start:] = row
    return ids, 2 * s1 + s2


class TemporalOrderTask(ClassifyTask):
    """E, distractors with an X or Y at t1 and t2, the trigger B: the class is the order of the two."""

    kind = KIND
    sep = " "
    pad = PAD

    def __init__(self, length: int = 100, seed: int = 0) -> None:
        from playground.core.data.adding import check_length

        self.base, self.seed = check_length(length), int(seed)
        rng = np.random.default_rng([self.seed, self.base, 61])
        val_x, val_y = make_sequences(self.base, rng, TEST_SEQUENCES)
        (lo_len, hi_len), (a1, b1), (a2, b2) = windows(self.base)
        notes = [
            f"length {lo_len} to {hi_len}: E, distractors a-d, the trigger B; X or Y at t1 in {a1}-{b1} "
            f"and t2 in {a2}-{b2}; the class is their order (XX, XY, YX, YY)",
            f"{TEST_SEQUENCES:,} held-out sequences from seed {self.seed}; chance is 25% (ln 4 = "
            f"{CHANCE_LOSS:.3f} nats)",
        ]
        super().__init__(VOCAB, CLASSES, val_x, val_y, notes)

    @property
    def length(self) -> int:
        """Time steps of every (padded) sequence."""
        return int(self.val_x.shape[1])

    @property
    def chance_loss(self) -> float:
        return CHANCE_LOSS

    @property
    def chance(self) -> float:
        """One in four: the classes are equally likely by construction."""
        return 1.0 / len(CLASSES)

    @property
    def loss_reference(self) -> tuple[float, str]:
        """The loss plot's dashed line: answering 1/4 for every class, ln 4."""
        return CHANCE_LOSS, "chance (ln 4)"

    def _train_examples(self, batch_size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        # a numpy generator seeded from the batch generator: the same training seed, the same batches
        seed = int(torch.randint(2**62, (1,), generator=gen))
        x, y = make_sequences(self.base, np.random.default_rng(seed), batch_size)
        return torch.from_numpy(x), torch.from_numpy(y)

    def tokenize(self, text: str) -> list[str]:
        """One token per letter; spaces and commas ignored ("E a X b Y c B" or "EaXbYcB")."""
        return [ch for ch in text if not ch.isspace() and ch != ","]

    def answer_for(self, tokens: Sequence[str]) -> str:
        """The first two X or Y, in order."""
        found = [t for t in tokens if t in RELEVANT]
        if len(found) < 2:
            raise PlaygroundError(f"the sequence needs two of X or Y, got {len(found)}: {self.example_hint()}")
        return found[0] + found[1]

    def dependency_positions(self, tokens: Sequence[str]) -> tuple[int, ...]:
        return tuple(t for t, tok in enumerate(tokens) if tok in RELEVANT)[:2]

    def example_hint(self) -> str:
        return "use E, a-d, X, Y and the trigger B, for example 'E a X b c Y d B'"

    def examples(self, n: int = 5) -> list[tuple[str, str]]:
        rows = []
        for x, y in zip(self.val_x[:n], self.val_y[:n]):
            text = self.decode(x)
            rows.append((text if len(text) < 80 else text[:76] + " …", self.classes[int(y)]))
        return rows

    def state_dict(self) -> dict:
        return {**super().state_dict(), "length": self.base}
