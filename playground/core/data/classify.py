"""Sequence classification: a whole sequence of tokens in, one class out at the end.

The shared half of the two generated lessons, ``memory`` (answer with the key
seen ``gap`` steps earlier) and ``order`` (the sentiment of a sentence whose
words alone do not decide it). Both are many-to-one: the model reads every
token and only its output after the last one is scored, with cross-entropy
over the classes. Inputs are token ids (B, T), targets class ids (B,).

A task keeps a fixed, held-out validation set; accuracy over all of it is the
lesson's figure (``evaluate``). The vocabulary and the class names travel with
the model (``state_dict``), so a reopened model reads and answers as before.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.data.base import VocabTask
from playground.core.errors import PlaygroundError

ModelFn = Callable[[torch.Tensor], torch.Tensor]


class ClassifyTask(VocabTask, ABC):
    """Token sequences (B, T) in, one class id (B,) out; subclasses make the data and read the user's text.

    Subclasses set ``kind``, call ``__init__`` with their vocabulary, classes and
    validation set, and implement ``tokenize`` (text -> tokens), ``answer_for``
    (tokens -> the true class, for a probe typed by a user) and ``_train_examples``
    (a random training batch from the batch generator).
    """

    kind = ""
    many_to_many = False  # one output, after the last token
    tokens = True
    has_data = True  # generated: the data is never missing
    mlp_bag_of_words = False  # True: the feed-forward reference averages the inputs (order-blind)
    sep = " "  # between tokens when a sequence is written out
    pad: str | None = None  # the token that left-pads short sequences, if any

    def __init__(
        self,
        vocab: Sequence[str],
        classes: Sequence[str],
        val_x: np.ndarray,
        val_y: np.ndarray,
        notes: Sequence[str] = (),
    ) -> None:
        self.vocab: tuple[str, ...] = tuple(vocab)
        self.classes: tuple[str, ...] = tuple(classes)
        self.stoi = {tok: i for i, tok in enumerate(self.vocab)}
        self.class_index = {c: i for i, c in enumerate(self.classes)}
        self.val_x = np.ascontiguousarray(val_x, dtype=np.int64)
        self.val_y = np.ascontiguousarray(val_y, dtype=np.int64)
        self.notes = list(notes)
        self._val_cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    # -- sizes and names -------------------------------------------------------------
    @property
    def n_outputs(self) -> int:  # one output per class, not per token
        return len(self.classes)

    @property
    def chance(self) -> float:
        """Accuracy of always answering the most common validation class: the bar to beat."""
        counts = np.bincount(self.val_y, minlength=len(self.classes))
        return float(counts.max() / max(1, counts.sum()))

    def label(self, tok: str) -> str:
        """How one token is shown on a time axis (the token itself; subclasses may differ)."""
        return tok

    # -- text <-> ids ----------------------------------------------------------------
    @abstractmethod
    def tokenize(self, text: str) -> list[str]:
        """A typed sequence as tokens (not yet checked against the vocabulary)."""

    @abstractmethod
    def answer_for(self, tokens: Sequence[str]) -> str:
        """The true class of a typed sequence, by the rule the data was generated with."""

    def encode(self, text: str, what: str = "sequence") -> np.ndarray:
        """A typed sequence as ids, left-padded to the training length where the task pads."""
        tokens = self.tokenize(text)
        if not tokens:
            raise PlaygroundError(f"the {what} is empty: {self.example_hint()}")
        return self.encode_tokens(tokens, what)

    def encode_tokens(self, tokens: Sequence[str], what: str = "sequence") -> np.ndarray:
        unknown = sorted({t for t in tokens if t not in self.stoi or t == self.pad})
        if unknown:
            shown = ", ".join(repr(t) for t in unknown[:8])
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            raise PlaygroundError(
                f"the {what} has tokens this model does not know: {shown}{more}; {self.example_hint()}"
            )
        ids = [self.stoi[t] for t in tokens]
        if self.pad is not None and len(ids) < self.val_x.shape[1]:
            ids = [self.stoi[self.pad]] * (self.val_x.shape[1] - len(ids)) + ids
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Ids back to a readable sequence, padding left out."""
        return self.sep.join(self.vocab[int(i)] for i in ids if self.vocab[int(i)] != self.pad)

    def example_hint(self) -> str:
        """One line showing what a valid sequence looks like (for error messages)."""
        return f"for example {self.decode(self.val_x[0])!r}"

    def examples(self, n: int = 5) -> list[tuple[str, str]]:
        """The first ``n`` validation examples as (sequence, answer) strings: for a preview."""
        return [(self.decode(x), self.classes[int(y)]) for x, y in zip(self.val_x[:n], self.val_y[:n])]

    def preview_line(self) -> str:
        """The data preview's first line."""
        return f"{len(self.classes)} possible answers; chance is {self.chance:.0%}. Held-out examples:"

    # -- batches -------------------------------------------------------------------
    @abstractmethod
    def _train_examples(self, batch_size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch_size`` random training examples (x (B, T), y (B,)) on the CPU, drawn from ``gen``."""

    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Random training sequences x (B, T) and their classes y (B,); ``seq_len`` is ignored
        (the data fixes the length). Drawn on the CPU from ``gen``, so a seed repeats the batches."""
        x, y = self._train_examples(batch_size, gen)
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)

    def _val_tensors(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        key = str(torch.device(device))
        if key not in self._val_cache:
            self._val_cache[key] = (
                torch.from_numpy(self.val_x).to(device),
                torch.from_numpy(self.val_y).to(device),
            )
        return self._val_cache[key]

    def probe(
        self, seq_len: int = 0, text: str | None = None, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """One sequence to look inside: x (1, T), y (1,) and its tokens as time-axis labels.

        Without ``text``: the first validation example. With ``text``: the user's sequence, its
        true answer worked out by the task's own rule (``answer_for``).
        """
        if text is None:
            ids, y = self.val_x[0], int(self.val_y[0])
        else:
            tokens = self.tokenize(text)
            if not tokens:
                raise PlaygroundError(f"the probe sequence is empty: {self.example_hint()}")
            ids = self.encode_tokens(tokens, what="probe sequence")
            y = self.class_index[self.answer_for(tokens)]
        x = torch.from_numpy(np.array(ids, dtype=np.int64))[None].to(device)
        return x, torch.tensor([y], device=device), [self.label(self.vocab[int(i)]) for i in ids]

    @staticmethod
    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the class logits out (B, C) against class ids y (B,)."""
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))

    # -- using a trained model -----------------------------------------------------
    def evaluate(self, model_fn: ModelFn, device: torch.device | str = "cpu") -> dict[str, Any]:
        """Accuracy on the whole held-out set, beside chance; predictions and targets as class ids."""
        x, _ = self._val_tensors(device)
        preds = []
        with torch.no_grad():
            for xb in torch.split(x, 256):
                preds.append(model_fn(xb).argmax(dim=-1).cpu())
        predicted = torch.cat(preds).numpy()
        return {
            "accuracy": float((predicted == self.val_y).mean()),
            "chance": self.chance,
            "examples": len(self.val_y),
            "predictions": predicted,
            "targets": self.val_y.copy(),
        }

    def state_dict(self) -> dict[str, Any]:
        """What a model file needs to read and answer as before (JSON-able)."""
        return {
            "kind": self.kind,
            "vocab": list(self.vocab),
            "classes": list(self.classes),
            "notes": list(self.notes),
        }

    def check_saved(self, saved: dict[str, Any]) -> None:
        """Refuse a model file whose vocabulary or classes differ from what this version generates."""
        for key, mine in (("vocab", self.vocab), ("classes", self.classes)):
            theirs = saved.get(key)
            if theirs is not None and tuple(theirs) != mine:
                raise PlaygroundError(
                    f"this model's {key} differs from the {self.kind} data these settings make: "
                    "it was made by another version; train a new model"
                )
