"""The copy memory problem (Arjovsky, Shah & Bengio 2016, "Unitary Evolution Recurrent Neural Networks").

Ten categories: the symbols ``1`` to ``8``, the blank ``-`` and the delimiter ``:``. With ``T`` the
delay, a sequence is ``T + 20`` steps, laid out as in the paper::

    input   s1 s2 ... s10  - - ... -   :   - - ... -
            (10 symbols)   (T - 1)  (1)   (10 blanks)
    target  - - - ... ... ... ... ... -   s1 s2 ... s10
            (T + 10 blanks)               (the 10 symbols)

The ten symbols are drawn uniformly and independently from ``1``-``8`` (with replacement). The
delimiter says "now write them back"; the network must carry all ten across the T - 1 blanks.
Cross-entropy is taken over every step, the blanks included. A model that writes blanks until the
delimiter and then guesses among the eight symbols scores ``10 ln 8 / (T + 20)`` nats: the paper's
memoryless baseline (``baseline_loss``), and 1/8 of the copied symbols right.

The figure here is the fraction of copied symbols right over 2,560 held-out sequences. The window
shows the task as one-to-many (a target at every step, nothing fed back): type ten symbols in the
Predict panel and the model writes what it copies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.data.base import VocabTask
from playground.core.errors import PlaygroundError

KIND = "copy"
SYMBOLS = tuple("12345678")
BLANK, DELIMITER = "-", ":"
VOCAB = (*SYMBOLS, BLANK, DELIMITER)
COPIED = 10  # symbols to remember
TEST_SEQUENCES = 2560

ModelFn = Callable[[torch.Tensor], torch.Tensor]


def baseline_loss(delay: int) -> float:
    """The memoryless strategy's cross-entropy per step: 10 ln 8 / (T + 20)."""
    return COPIED * math.log(len(SYMBOLS)) / (delay + 2 * COPIED)


def layout(symbols: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets (N, T + 20) for the symbol ids ``symbols`` (N, 10), by the paper's layout."""
    n = symbols.shape[0]
    blank, delim = VOCAB.index(BLANK), VOCAB.index(DELIMITER)
    x = np.full((n, delay + 2 * COPIED), blank, dtype=np.int64)
    x[:, :COPIED] = symbols
    x[:, COPIED + delay - 1] = delim
    y = np.full_like(x, blank)
    y[:, -COPIED:] = symbols
    return x, y


class CopyTask(VocabTask):
    """Ten symbols, T - 1 blanks, the delimiter, ten blanks in (B, T + 20); blanks, then the ten symbols out."""

    kind = KIND
    many_to_many = True  # a target at every step
    tokens = True
    classes = None
    has_data = True
    mlp_bag_of_words = False
    sep = " "

    def __init__(self, delay: int = 100, seed: int = 0) -> None:
        from playground.core.data.adding import check_length

        self.delay, self.seed = check_length(delay), int(seed)
        self.vocab: tuple[str, ...] = VOCAB  # a tuple, as the spelling lesson's (the Task protocol's type)
        self.stoi = {tok: i for i, tok in enumerate(self.vocab)}
        rng = np.random.default_rng([self.seed, self.delay, 2016])
        self.val_x, self.val_y = layout(rng.integers(len(SYMBOLS), size=(TEST_SEQUENCES, COPIED)), self.delay)
        self.notes = [
            f"ten symbols from 1-8, {self.delay - 1} blanks, the delimiter ':', ten blanks ({self.delay + 20} steps); "
            "the target is blanks, then the ten symbols",
            f"{TEST_SEQUENCES:,} held-out sequences from seed {self.seed}; forgetting them scores "
            f"{baseline_loss(self.delay):.4f} nats (10 ln 8 / (T + 20)) and 1/8 of the symbols",
        ]
        self._val_cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def length(self) -> int:
        return self.delay + 2 * COPIED

    @property
    def writes_from(self) -> int:
        """The step the copy starts at: after the ten symbols, the T - 1 blanks and the delimiter."""
        return COPIED + self.delay

    @property
    def chance(self) -> float:
        """Copied symbols right for a model that forgot them: one in eight."""
        return 1.0 / len(SYMBOLS)

    @property
    def baseline_loss(self) -> float:
        return baseline_loss(self.delay)

    @property
    def loss_reference(self) -> tuple[float, str]:
        """The loss plot's dashed line: the memoryless strategy."""
        return self.baseline_loss, "memoryless: 10 ln 8 / (T + 20)"

    def label(self, tok: str) -> str:
        return tok

    # -- text <-> ids ------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """The symbols typed; spaces and commas ignored ("1 2 3 ..." or "123...")."""
        return [ch for ch in text if not ch.isspace() and ch != ","]

    def example_hint(self) -> str:
        return "type ten symbols from 1 to 8, for example '3 1 4 1 5 2 6 5 3 5'"

    def _symbols(self, text: str, what: str) -> list[str]:
        tokens = self.tokenize(text)
        wrong = sorted({t for t in tokens if t not in SYMBOLS})
        if len(tokens) != COPIED or wrong:
            found = f"{len(tokens)} characters" if not wrong else "other characters: " + ", ".join(map(repr, wrong[:5]))
            raise PlaygroundError(f"the {what} is ten symbols from 1 to 8; got {found}: {self.example_hint()}")
        return tokens

    def encode(self, text: str, what: str = "input") -> np.ndarray:
        """Ten typed symbols as the whole input sequence (T + 20,)."""
        ids = np.array([[self.stoi[t] for t in self._symbols(text, what)]], dtype=np.int64)
        return layout(ids, self.delay)[0][0]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return self.sep.join(self.vocab[int(i)] for i in ids)

    def answer_for(self, tokens: Sequence[str]) -> str:
        """What a perfect copy writes: the ten symbols."""
        return "".join(self._symbols("".join(tokens), "input"))

    def dependency_positions(self, tokens: Sequence[str]) -> tuple[int, ...]:
        return tuple(range(COPIED))

    def examples(self, n: int = 5) -> list[tuple[str, str]]:
        rows = []
        for x in self.val_x[:n]:
            first = "".join(self.vocab[int(i)] for i in x[:COPIED])
            rows.append((f"{first} then {self.delay - 1} blanks, ':' and ten blanks", first))
        return rows

    def preview_line(self) -> str:
        return (
            f"Ten symbols to copy back after a delay of {self.delay}; forgetting them scores "
            f"{baseline_loss(self.delay):.4f} nats and {self.chance:.1%} of the symbols. Held-out examples:"
        )

    # -- batches -----------------------------------------------------------------------------
    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fresh sequences from ``gen`` (``seq_len`` is ignored): x (B, T + 20), y (B, T + 20)."""
        symbols = torch.randint(len(SYMBOLS), (batch_size, COPIED), generator=gen)
        t = self.length
        x = torch.full((batch_size, t), VOCAB.index(BLANK), dtype=torch.long)
        x[:, :COPIED] = symbols
        x[:, COPIED + self.delay - 1] = VOCAB.index(DELIMITER)
        y = torch.full((batch_size, t), VOCAB.index(BLANK), dtype=torch.long)
        y[:, -COPIED:] = symbols
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)

    def _val_tensors(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        key = str(torch.device(device))
        if key not in self._val_cache:
            self._val_cache[key] = (torch.from_numpy(self.val_x).to(device), torch.from_numpy(self.val_y).to(device))
        return self._val_cache[key]

    def probe(
        self, seq_len: int = 0, text: str | None = None, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """One sequence to look inside: the first held-out one, or the ten symbols typed."""
        if text is None:
            ids, y = self.val_x[0], self.val_y[0]
        else:
            ids = self.encode(text, what="probe input")
            y = layout(ids[None, :COPIED], self.delay)[1][0]
        x = torch.from_numpy(np.array(ids))[None].to(device)
        return x, torch.from_numpy(np.array(y))[None].to(device), [self.vocab[int(i)] for i in ids]

    @staticmethod
    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy at every step (B, T + 20, V) against (B, T + 20): the paper's loss."""
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))

    # -- using a trained model ---------------------------------------------------------------
    def written(self, logits: torch.Tensor | np.ndarray) -> tuple[str, list[tuple[str, float]]]:
        """What logits (T + 20, V) copy: the likeliest symbol at each of the last ten steps, and each
        of those steps' symbol with its probability."""
        probs = torch.softmax(torch.as_tensor(logits).float()[-COPIED:], dim=-1)
        best_p, best = probs.max(dim=-1)
        steps = [(self.vocab[i], float(p)) for i, p in zip(best.tolist(), best_p.tolist())]
        return "".join(ch for ch, _ in steps), steps

    def evaluate(self, model_fn: ModelFn, device: torch.device | str = "cpu") -> dict[str, Any]:
        """The fraction of copied symbols right over the held-out sequences, beside chance (1/8)."""
        x, _ = self._val_tensors(device)
        picks = []
        with torch.no_grad():
            for xb in torch.split(x, 256):
                picks.append(model_fn(xb)[:, -COPIED:].argmax(dim=-1).cpu())
        predicted = torch.cat(picks).numpy()
        right = predicted == self.val_y[:, -COPIED:]
        return {
            "accuracy": float(right.mean()),
            "chance": self.chance,
            "sequences_right": float(right.all(axis=1).mean()),
            "baseline_loss": self.baseline_loss,
            "examples": len(self.val_y),
        }

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "vocab": list(self.vocab), "length": self.delay, "notes": list(self.notes)}

    def check_saved(self, saved: dict[str, Any]) -> None:
        theirs = saved.get("vocab")
        if theirs is not None and tuple(theirs) != self.vocab:
            raise PlaygroundError(
                "this model's vocabulary differs from the copy data these settings make: it was made by another "
                "version; train a new model"
            )
