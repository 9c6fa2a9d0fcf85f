"""Word order: sentences whose words alone do not decide their sentiment.

"the food was good , not bad" is positive and "the food was bad , not good"
negative: the same words, in another order. Every sentence here has one
positive and one negative adjective and one "not"; the adjective right after
"not" is negated, and the other one decides the label. Each set of words
(a multiset) appears exactly as often with either label, so a bag-of-words
model, which sees which words occur but not where, can do no better than a
coin toss (50%); a recurrent network reads the order and learns the rule.

The sentences (word tokens, a vocabulary of 25):

    the N V A , not B [at all]          -> sentiment of A
    the N V not A [at all] , but B      -> sentiment of B
    the N V A but not B [at all]        -> sentiment of A

with N one of 8 nouns, V "was" or "is", and (A, B) a positive and a negative
adjective in either order: 256 word choices x 12 = 3072 sentences. A seeded
share of the word choices (``val_fraction``) is held out with all 12 of its
sentences, so validation sentences use word combinations never trained on.
Shorter sentences are left-padded with ``·`` to 10 tokens.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import torch

from playground.core.data.classify import ClassifyTask
from playground.core.errors import PlaygroundError

NOUNS = ("food", "film", "service", "room", "book", "music", "staff", "game")
VERBS = ("was", "is")
POSITIVE = ("good", "great", "fine", "nice")
NEGATIVE = ("bad", "awful", "poor", "dull")
PAD = "·"
CLASSES = ("negative", "positive")
# A and B are the two adjectives; "<" marks the one that decides the label.
TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("A<", ",", "not", "B"),
    ("A<", ",", "not", "B", "at", "all"),
    ("not", "A", ",", "but", "B<"),
    ("not", "A", "at", "all", ",", "but", "B<"),
    ("A<", "but", "not", "B"),
    ("A<", "but", "not", "B", "at", "all"),
)
FUNCTION_WORDS = ("the", ",", "not", "but", "at", "all")
VOCAB = (PAD, *FUNCTION_WORDS, *VERBS, *NOUNS, *POSITIVE, *NEGATIVE)
MAX_WORDS = 3 + max(len(t) for t in TEMPLATES)
_POLARITY = {**{w: 1 for w in POSITIVE}, **{w: -1 for w in NEGATIVE}}


def sentence(noun: str, verb: str, first: str, second: str, template: Sequence[str]) -> tuple[list[str], str]:
    """One sentence as words, and its label: ``first``/``second`` fill the template's A and B."""
    words, decider = ["the", noun, verb], ""
    for part in template:
        if part.startswith(("A", "B")):
            adj = first if part[0] == "A" else second
            words.append(adj)
            if part.endswith("<"):
                decider = adj
        else:
            words.append(part)
    return words, CLASSES[1] if _POLARITY[decider] > 0 else CLASSES[0]


def word_choices() -> list[tuple[str, str, str, str]]:
    """Every (noun, verb, positive adjective, negative adjective): the unit held out together."""
    return list(itertools.product(NOUNS, VERBS, POSITIVE, NEGATIVE))


def sentences_for(choice: tuple[str, str, str, str]) -> list[tuple[list[str], str]]:
    """The 12 sentences of one word choice: each template, with either adjective first."""
    noun, verb, pos, neg = choice
    return [
        sentence(noun, verb, a, b, template) for template in TEMPLATES for a, b in ((pos, neg), (neg, pos))
    ]


def rule_label(words: Sequence[str]) -> str | None:
    """The sentiment by the set's rule: each adjective counts +1 or -1, flipped right after "not".

    None when it does not decide (no adjective, or they cancel out).
    """
    score = sum(
        _POLARITY[w] * (-1 if i > 0 and words[i - 1] == "not" else 1)
        for i, w in enumerate(words)
        if w in _POLARITY
    )
    if score == 0:
        return None
    return CLASSES[1] if score > 0 else CLASSES[0]


class OrderTask(ClassifyTask):
    """Sentences with a positive and a negative adjective and one "not": 2 classes, order decides."""

    kind = "order"
    mlp_bag_of_words = True  # the feed-forward reference averages the word vectors: order-blind
    pad = PAD

    def __init__(self, seed: int = 0, val_fraction: float = 0.1) -> None:
        if not 0.0 < val_fraction < 0.9:
            raise PlaygroundError(f"validation fraction must be in (0, 0.9), got {val_fraction}")
        self.seed, self.val_fraction = int(seed), float(val_fraction)
        rng = np.random.default_rng(self.seed)
        choices = word_choices()
        order = rng.permutation(len(choices))
        n_val = max(1, round(len(choices) * self.val_fraction))
        stoi = {w: i for i, w in enumerate(VOCAB)}

        def encode_all(picked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rows = [s for j in picked for s in sentences_for(choices[j])]
            x = np.full((len(rows), MAX_WORDS), stoi[PAD], dtype=np.int64)
            for r, (words, _) in enumerate(rows):
                x[r, MAX_WORDS - len(words) :] = [stoi[w] for w in words]
            y = np.array([CLASSES.index(label) for _, label in rows], dtype=np.int64)
            mix = rng.permutation(len(rows))
            return x[mix], y[mix]

        val_x, val_y = encode_all(np.sort(order[:n_val]))
        self.train_x, self.train_y = encode_all(np.sort(order[n_val:]))
        self._train_t = (torch.from_numpy(self.train_x), torch.from_numpy(self.train_y))
        notes = [
            f"{len(self.train_y)} training and {len(val_y)} held-out sentences "
            f"({n_val} of {len(choices)} word choices held out, seed {self.seed})",
            "each set of words appears as often positive as negative: only the order tells them apart",
        ]
        super().__init__(VOCAB, CLASSES, val_x, val_y, notes)

    def _train_examples(self, batch_size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.train_y), (batch_size,), generator=gen)
        x, y = self._train_t
        return x[idx], y[idx]

    def tokenize(self, text: str) -> list[str]:
        """Lowercase words; a comma is a word of its own, other punctuation is dropped."""
        text = re.sub(r"[.!?;:\"']", " ", text.lower().replace(",", " , "))
        return text.split()

    def answer_for(self, tokens: Sequence[str]) -> str:
        label = rule_label(tokens)
        if label is None:
            raise PlaygroundError(
                "the sentence's sentiment is undecided (no adjective, or they cancel out): "
                "give one such as 'the food was good , not bad'"
            )
        return label

    def dependency_positions(self, tokens: Sequence[str]) -> tuple[int, ...]:
        """The positions the answer depends on: the two adjectives and the "not" that flips one."""
        return tuple(t for t, w in enumerate(tokens) if w in _POLARITY or w == "not")

    def example_hint(self) -> str:
        return f"use the words {' '.join(VOCAB[1:])}, for example 'the food was good , not bad'"

    def state_dict(self) -> dict:
        return {**super().state_dict(), "pad": PAD, "max_words": MAX_WORDS}
