"""The adding problem (Hochreiter & Schmidhuber 1997, "Long Short-Term Memory", experiment 4, Table 7).

Each sequence is ``T`` pairs ``(value, marker)``. The rule implemented here, step by step:

1. every value is drawn uniformly from [0, 1];
2. exactly two pairs are marked (marker 1.0, every other marker 0.0):
   * the first mark goes on one of the first ten pairs (the first ``min(10, T // 2)`` when T is
     below 20), chosen uniformly;
   * the second mark goes on one of the first ``T // 2`` pairs that is not marked yet, chosen
     uniformly (the paper: "one of the first T/2 - 1 still unmarked pairs");
3. the target, given once after the last pair, is the sum of the two marked values (0 to 2).

Both marks fall in the first half, so at least ``T // 2`` steps of noise separate the last one from
the answer: the paper's "minimal lag T/2".

Where this differs from the paper, on purpose (the version later papers use, Le et al. 2015): the
paper's values are in [-1, 1], its markers also take -1 at the first and last pair, its lengths vary
from T to T + T/10, and its target is 0.5 + (X1 + X2) / 4 (the sum scaled to [0, 1]). Here the values
are in [0, 1], markers are 0 or 1, every sequence is exactly T long and the target is the plain sum.
The pass criterion is the paper's as written: a sequence is wrong when the absolute error of the
answer exceeds 0.04, and a run has solved the task when at most 1 of 2,560 held-out sequences is
wrong (Table 7 reports 1, 0 and 1 of 2,560 at T = 100, 200, 500). The paper's 0.04 was on a target
four times narrower than the sum (its sum spans [-2, 2], its target [0, 1]); here 0.04 is on the sum
itself, which spans [0, 2]: against the spread of the target, the criterion is twice as strict.

The bar to beat: a model that ignores the markers and always answers the mean, 1.0, has an
expected squared error equal to the variance of the sum of two independent uniforms, 2 / 12 = 1/6
(``BASELINE_MSE``, about 0.167), and gets about 8% of sequences within 0.04 (2 x 0.04 x 0.98: the
sum's density is 1 - |s - 1|).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.data.base import TaskBase
from playground.core.errors import PlaygroundError

KIND = "adding"
TOLERANCE = 0.04  # |error| above this: the sequence is answered wrongly (the paper's criterion)
TEST_SEQUENCES = 2560  # the paper's test set
MAX_WRONG = 1  # solved: at most this many of the test sequences wrong
FIRST_MARK_WITHIN = 10  # the first mark is on one of the first ten pairs
MEAN_TARGET = 1.0  # E[u1 + u2] for two independent uniforms on [0, 1]
BASELINE_MSE = 1.0 / 6.0  # Var[u1 + u2] = 2 * (1 / 12): the squared error of always answering the mean

ModelFn = Callable[[torch.Tensor], torch.Tensor]


def mark_positions(length: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """Where the two marks go in ``n`` sequences of ``length`` pairs (N, 2), by the rule above."""
    half = length // 2
    first = rng.integers(min(FIRST_MARK_WITHIN, half), size=n)
    # one of the other half - 1 positions of the first half: draw among half - 1 and skip the first mark
    second = rng.integers(half - 1, size=n)
    second = second + (second >= first)
    return np.stack([first, second], axis=1)


def make_sequences(length: int, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences: inputs (N, T, 2) float32 (value, marker) and targets (N, 1) float32 (the sum)."""
    values = rng.random((n, length))
    marks = mark_positions(length, rng, n)
    markers = np.zeros((n, length))
    rows = np.arange(n)[:, None]
    markers[rows, marks] = 1.0
    x = np.stack([values, markers], axis=2).astype(np.float32)
    y = values[rows, marks].sum(axis=1, keepdims=True).astype(np.float32)
    return x, y


def pass_figures(predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """The paper's measure of ``predictions`` against ``targets`` (any shape, the same number of each):
    how many are wrong (|error| > 0.04), the fraction right, and whether the task is solved (at most
    1 wrong in 2,560, scaled to the number of sequences given)."""
    p = np.asarray(predictions, dtype=np.float64).reshape(-1)
    t = np.asarray(targets, dtype=np.float64).reshape(-1)
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"need as many predictions as targets, got {p.size} and {t.size}")
    err = np.abs(p - t)
    wrong = int((~(err <= TOLERANCE)).sum())  # a NaN answer is wrong
    allowed = MAX_WRONG * p.size / TEST_SEQUENCES
    return {
        "wrong": wrong,
        "solved_fraction": 1.0 - wrong / p.size,
        "solved": bool(wrong <= allowed),
        "mse": float(np.mean((p - t) ** 2)),
    }


def check_length(length: object) -> int:
    """The length T as a whole number, or the bound's one-line error."""
    from playground.core.config import SPAN_BOUND

    SPAN_BOUND.check(length)
    return int(length)  # type: ignore[call-overload]


class AddingTask(TaskBase):
    """(value, marker) pairs in (B, T, 2), the sum of the two marked values out (B, 1); MSE."""

    kind = KIND
    vocab = None
    classes = None
    many_to_many = False
    tokens = False
    has_data = True  # generated: never missing
    mlp_bag_of_words = False

    def __init__(self, length: int, seed: int = 0) -> None:
        self.length, self.seed = check_length(length), int(seed)
        rng = np.random.default_rng([self.seed, self.length, 1997])
        self.val_x, self.val_y = make_sequences(self.length, rng, TEST_SEQUENCES)
        self.notes = [
            f"{self.length} pairs (a value in [0, 1], a marker); two marked in the first half, the first in "
            f"the first {min(FIRST_MARK_WITHIN, self.length // 2)}; the answer is their sum",
            f"{TEST_SEQUENCES:,} held-out sequences from seed {self.seed}: a sequence is wrong when the answer "
            f"is off by more than {TOLERANCE}; solved at most {MAX_WRONG} wrong; answering the mean scores "
            f"MSE {BASELINE_MSE:.3f}",
        ]
        self._val_cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def n_inputs(self) -> int:
        return 2

    @property
    def n_outputs(self) -> int:
        return 1

    @property
    def baseline_mse(self) -> float:
        """The expected loss of always answering the mean (1/6): the window's dashed line."""
        return BASELINE_MSE

    @property
    def loss_reference(self) -> tuple[float, str]:
        """The loss plot's dashed line: the loss of always answering the mean."""
        return BASELINE_MSE, "predict the mean"

    # -- a typed sequence (the Predict panel's question) ----------------------------------------------
    def example_hint(self) -> str:
        return "values from 0 to 1 separated by spaces, the two marked ones starred, e.g. '0.2 0.7* 0.1 0.4* 0.9 0.3'"

    def tokenize(self, text: str) -> list[str]:
        """The values typed, each with its star if marked; spaces and commas separate them."""
        return text.replace(",", " ").split()

    def encode(self, text: str) -> np.ndarray:
        """A typed sequence as the model's input (T', 2): each value with its marker, 1.0 where starred.
        Any length the setting of T allows; exactly two values marked, as in training."""
        return np.array(self._pairs(text), dtype=np.float32)

    def _pairs(self, text: str) -> list[tuple[float, float]]:
        tokens = self.tokenize(text)
        pairs = []
        for token in tokens:
            marked = token.endswith("*")
            number = token[:-1] if marked else token
            try:
                value = float(number)
            except ValueError:
                raise PlaygroundError(f"{token!r} is not a value: {self.example_hint()}") from None
            if not 0.0 <= value <= 1.0:  # (NaN fails this too)
                raise PlaygroundError(f"{token!r} is outside [0, 1], where every value of the problem lies")
            pairs.append((value, 1.0 if marked else 0.0))
        from playground.core.config import SPAN_BOUND

        if not SPAN_BOUND.contains(len(pairs)):
            raise PlaygroundError(
                f"a sequence here has {SPAN_BOUND.lo:,.0f} to {SPAN_BOUND.hi:,.0f} values, as the length T: got "
                f"{len(pairs):,}"
            )
        marks = sum(m for _, m in pairs)
        if marks != 2:
            raise PlaygroundError(
                f"the adding problem marks exactly two values, got {int(marks)} starred: {self.example_hint()}"
            )
        return pairs

    def answer_for(self, tokens: list[str]) -> float:
        """What the rule answers: the sum of the two marked values (as typed, not rounded to float32)."""
        return sum(value for value, marked in self._pairs(" ".join(tokens)) if marked)

    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fresh sequences from ``gen`` (``seq_len`` is ignored: T is the data's): x (B, T, 2), y (B, 1)."""
        t, half = self.length, self.length // 2
        values = torch.rand((batch_size, t), generator=gen)
        first = torch.randint(min(FIRST_MARK_WITHIN, half), (batch_size,), generator=gen)
        second = torch.randint(half - 1, (batch_size,), generator=gen)
        second = second + (second >= first).long()
        marks = torch.stack([first, second], dim=1)
        markers = torch.zeros((batch_size, t)).scatter_(1, marks, 1.0)
        x = torch.stack([values, markers], dim=2)
        y = values.gather(1, marks).sum(dim=1, keepdim=True)
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)

    def _val_tensors(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        key = str(torch.device(device))
        if key not in self._val_cache:
            self._val_cache[key] = (torch.from_numpy(self.val_x).to(device), torch.from_numpy(self.val_y).to(device))
        return self._val_cache[key]

    def probe(
        self, seq_len: int = 0, text: str | None = None, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """The first held-out sequence, or the one typed (values, the two marked ones starred): x (1, T, 2),
        y (1, 1) and its values as time-axis labels (a marked value starred)."""
        if text is not None and text.strip():
            x = self.encode(text)[None]
            y = np.array([[self.answer_for(self.tokenize(text))]], dtype=np.float32)
        else:
            x, y = self.val_x[:1], self.val_y[:1]
        labels = [f"{v:.2f}*" if m else f"{v:.2f}" for v, m in x[0]]
        return torch.from_numpy(x.copy()).to(device), torch.from_numpy(y.copy()).to(device), labels

    @staticmethod
    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the answers (B, 1) against the sums (B, 1)."""
        return F.mse_loss(out.reshape(-1).float(), y.reshape(-1).float())

    def evaluate(self, model_fn: ModelFn, device: torch.device | str = "cpu") -> dict[str, Any]:
        """The paper's measure on the 2,560 held-out sequences, beside answering the mean."""
        x, _ = self._val_tensors(device)
        with torch.no_grad():
            out = torch.cat([model_fn(xb).float().cpu().reshape(-1) for xb in torch.split(x, 512)])
        predictions = out.numpy().astype(np.float64)
        figures = pass_figures(predictions, self.val_y)
        return {
            **figures,
            "baseline_mse": BASELINE_MSE,
            "examples": len(self.val_y),
            "predictions": predictions,
            "targets": self.val_y.reshape(-1).astype(np.float64),
        }

    # -- the data panel's preview ----------------------------------------------------------------
    def preview_line(self) -> str:
        return (
            f"{self.length} pairs a sequence, the marked values starred; the answer is their sum. Answering "
            f"the mean (1.0) scores MSE {BASELINE_MSE:.3f}. Held-out examples:"
        )

    def examples(self, n: int = 5) -> list[tuple[str, str]]:
        """(the sequence's values, the marked ones starred; the sum) for the first ``n`` held-out ones."""
        rows = []
        for x, y in zip(self.val_x[:n], self.val_y[:n]):
            shown = [f"{v:.2f}*" if m else f"{v:.2f}" for v, m in x[:12]]
            more = f" … ({len(x) - 12} more)" if len(x) > 12 else ""
            rows.append((" ".join(shown) + more, f"{float(y[0]):.3f}"))
        return rows

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "length": self.length, "notes": list(self.notes)}

    def check_saved(self, saved: dict[str, Any]) -> None:
        """Refuse a model file trained at another length T than these settings make."""
        theirs = saved.get("length")
        if theirs is not None and theirs != self.length:
            raise PlaygroundError(
                f"this model was trained on adding sequences of length {theirs}, the settings make {self.length}"
            )
