"""One-to-many: from one letter, a whole word ("g" -> "guitar").

Every sequence is one input and then nothing: the word's first letter at step 0, a blank ``·`` at
every later step. The target is the word, one letter per step, then the end mark ``.`` at every
step after it::

    input   g · · · · · · · · · · ·
    target  g u i t a r . . . . . .

After step 0 the inputs carry no information at all, so every later letter has to come out of the
hidden state: what the network wrote down about the letter, and how far along the word it is. That
is the one-to-many shape (lesson 13) with nothing else mixed in: no character is fed back, unlike
sampling from a text model.

The words are a fixed list, one per first letter, of different lengths (3 to 11 letters), so the
network must also count. There is nothing held out: the list *is* the data, and the figure is how
many of its words the model writes exactly right from their letter alone. A feed-forward reference
whose window is shorter than a word has only blanks in view once the letter slides out of it, and
writes the same thing for every word from there on: it cannot finish the long words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.data.base import VocabTask
from playground.core.errors import PlaygroundError

KIND = "spell"
BLANK = "·"  # the input at every step after the first: nothing
END = "."  # the target after the word's last letter
# One word per first letter, of different lengths. Written for this lesson; nothing depends on the
# words themselves beyond their first letters being different.
WORDS = (
    "anchor",
    "bicycle",
    "cat",
    "dragonfly",
    "echo",
    "forest",
    "guitar",
    "hummingbird",
    "island",
    "jam",
    "kangaroo",
    "lighthouse",
    "moon",
    "notebook",
    "owl",
    "pineapple",
)

ModelFn = Callable[[torch.Tensor], torch.Tensor]


class SpellTask(VocabTask):
    """A word's first letter in, the whole word out, one letter per step (B, T) -> (B, T, V)."""

    kind = KIND
    many_to_many = True  # a target at every step (the kind's shape is one-to-many: one input)
    tokens = True
    classes = None
    has_data = True  # generated: never missing
    mlp_bag_of_words = False
    sep = " "

    def __init__(self, words: Sequence[str] = WORDS) -> None:
        self.words = tuple(words)
        firsts = [w[0] for w in self.words]
        if len(set(firsts)) != len(firsts):
            raise PlaygroundError("every word of the spelling lesson must start with a different letter")
        letters = sorted({ch for w in self.words for ch in w})
        self.vocab: tuple[str, ...] = (*letters, BLANK, END)
        self.stoi = {tok: i for i, tok in enumerate(self.vocab)}
        self.length = max(len(w) for w in self.words) + 1
        self.first_letters = tuple(firsts)
        blank = self.stoi[BLANK]
        self.val_x = np.full((len(self.words), self.length), blank, dtype=np.int64)
        self.val_x[:, 0] = [self.stoi[ch] for ch in firsts]
        self.val_y = np.array([self._target(w) for w in self.words], dtype=np.int64)
        self.notes = [
            f"{len(self.words)} words, one per first letter, {min(map(len, self.words))} to "
            f"{max(map(len, self.words))} letters: the input is the first letter, then {self.length - 1} blanks",
            "nothing is held out: the figure is how many of the words the model writes exactly right",
        ]
        self._val_cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def _target(self, word: str) -> list[int]:
        padded = word + END * (self.length - len(word))
        return [self.stoi[ch] for ch in padded]

    @property
    def chance(self) -> float:
        """Words right for a model that ignores its one input: it writes one word for all of them."""
        return 1.0 / len(self.words)

    def label(self, tok: str) -> str:
        return tok

    # -- text <-> ids ------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """The letters typed, spaces and blanks ignored, lower case ("G", " g ", "g · ·" -> ["g"])."""
        return [ch.lower() for ch in text if not ch.isspace() and ch != BLANK]

    def example_hint(self) -> str:
        return f"type one of the letters {', '.join(self.first_letters)}"

    def _letter(self, text: str, what: str) -> str:
        tokens = self.tokenize(text)
        if len(tokens) != 1:
            found = "nothing" if not tokens else f"{len(tokens)} characters"
            raise PlaygroundError(f"the {what} is one letter, the word's first; got {found}: {self.example_hint()}")
        letter = tokens[0]
        if letter not in self.first_letters:
            raise PlaygroundError(f"no word of this lesson starts with {letter!r}: {self.example_hint()}")
        return letter

    def encode(self, text: str, what: str = "input") -> np.ndarray:
        """One letter as the whole input sequence: its id, then blanks (T,)."""
        ids = np.full(self.length, self.stoi[BLANK], dtype=np.int64)
        ids[0] = self.stoi[self._letter(text, what)]
        return ids

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return self.sep.join(self.vocab[int(i)] for i in ids)

    def answer_for(self, tokens: Sequence[str]) -> str:
        """The word that starts with the typed letter."""
        return self.words[self.first_letters.index(self._letter("".join(tokens), "input"))]

    def dependency_positions(self, tokens: Sequence[str]) -> tuple[int, ...]:
        """Every output depends on the one input: step 0."""
        return (0,)

    def examples(self, n: int = 5) -> list[tuple[str, str]]:
        """(input, the word to write) for the first ``n`` words: for the data preview."""
        return [(f"{w[0]} {BLANK} {BLANK} {BLANK} …", w) for w in self.words[:n]]


    def preview_line(self) -> str:
        """The data preview's first line."""
        return (
            f"{len(self.words)} words, each written from its first letter; a model that ignored the letter "
            f"would write {self.chance:.0%} of them right. The words:"
        )

    def unigram_entropy(self) -> float:
        """The loss (nats per step) of a model that knows the step but not the letter: at each step,
        the entropy of the letters the words have there. The bar a model that ignores its input sits at."""
        total = 0.0
        for t in range(self.length):
            counts = np.bincount(self.val_y[:, t], minlength=len(self.vocab)).astype(np.float64)
            p = counts[counts > 0] / counts.sum()
            total += float(-(p * np.log(p)).sum())
        return total / self.length

    # -- batches -------------------------------------------------------------------------
    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch_size`` words drawn at random (from ``gen``): x (B, T) and y (B, T); ``seq_len`` is ignored."""
        x, y = self._val_tensors("cpu")
        pick = torch.randint(len(self.words), (batch_size,), generator=gen)
        return x[pick].to(device, non_blocking=True), y[pick].to(device, non_blocking=True)

    def _val_tensors(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        key = str(torch.device(device))
        if key not in self._val_cache:
            self._val_cache[key] = (torch.from_numpy(self.val_x).to(device), torch.from_numpy(self.val_y).to(device))
        return self._val_cache[key]

    def probe(
        self, seq_len: int = 0, text: str | None = None, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """One word to look inside: x (1, T), y (1, T) and the inputs as time-axis labels.
        Without ``text``: the longest word (the hardest to finish)."""
        if text is None:
            row = max(range(len(self.words)), key=lambda i: len(self.words[i]))
            ids, y = self.val_x[row], self.val_y[row]
        else:
            ids = self.encode(text, what="probe input")
            y = np.array(self._target(self.answer_for(self.tokenize(text))), dtype=np.int64)
        x = torch.from_numpy(ids.copy())[None].to(device)
        return x, torch.from_numpy(np.array(y))[None].to(device), [self.vocab[int(i)] for i in ids]

    @staticmethod
    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the letter logits out (B, T, V) against the letters y (B, T), every step."""
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))

    # -- using a trained model ----------------------------------------------------------
    def written(self, logits: torch.Tensor | np.ndarray) -> tuple[str, list[tuple[str, float]]]:
        """What logits (T, V) write: the word (the likeliest letter per step, up to the first end mark)
        and every step's letter with its probability, the end mark included."""
        probs = torch.softmax(torch.as_tensor(logits).float(), dim=-1)
        best_p, best = probs.max(dim=-1)
        steps: list[tuple[str, float]] = []
        for i, p in zip(best.tolist(), best_p.tolist()):
            steps.append((self.vocab[i], float(p)))
            if self.vocab[i] == END:
                break
        word = "".join(ch for ch, _ in steps if ch not in (END, BLANK))
        return word, steps

    def evaluate(self, model_fn: ModelFn, device: torch.device | str = "cpu") -> dict[str, Any]:
        """How many of the words the model writes exactly right from their letter, beside chance."""
        x, _ = self._val_tensors(device)
        with torch.no_grad():
            logits = model_fn(x).float().cpu()
        written = [self.written(row)[0] for row in logits]
        right = np.array([w == target for w, target in zip(written, self.words)])
        return {
            "accuracy": float(right.mean()),
            "chance": self.chance,
            "examples": len(self.words),
            "written": written,
            "right": right,
        }

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "vocab": list(self.vocab), "words": list(self.words), "notes": list(self.notes)}

    def check_saved(self, saved: dict[str, Any]) -> None:
        """Refuse a model file whose words or vocabulary differ from this version's."""
        for key, mine in (("vocab", self.vocab), ("words", self.words)):
            theirs = saved.get(key)
            if theirs is not None and tuple(theirs) != tuple(mine):
                raise PlaygroundError(
                    f"this model's {key} differ from the spelling lesson's: it was made by another version; "
                    "train a new model"
                )
