"""What training and looking inside report: numbers only (numpy arrays, strings, floats), safe to
hand to another thread or process. They live apart from the code that makes them (inspect/probes.py,
inspect/stepdetail.py, inspect/unroll.py, train/trainer.py, train/compare.py import torch), so that the
window's process unpickles a probe, a step's report, the unrolled recurrence or a comparison's table
without importing torch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Probe:
    """Numbers only (numpy arrays), safe to hand to another thread."""

    labels: tuple[str, ...]  # the input at each time step, as shown on a time axis (T)
    hidden: np.ndarray  # (L, T, F) hidden state per layer and time step (directions concatenated)
    grad_norm: np.ndarray  # (L, T) ||dL_T/dh_t||: the last prediction's loss against each h_t
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (L, T, F); LSTM i f g o c, GRU r z n
    loss: float = float("nan")  # the last prediction's loss
    target_prob: np.ndarray | None = None  # (T,) probability given to the true next character
    predicted: np.ndarray | None = None  # (T,) most likely next character id; series: (1,) predicted value
    input_grad: np.ndarray | None = (
        None  # (T,) ||dL_T/dx_t||: how much each input step matters to the last prediction
    )
    # Per time step, the TOP_K most likely next characters (as task.vocab spells them) with their
    # probabilities, most likely first: what the time scrubber shows. None for prices.
    top_k: list[list[tuple[str, float]]] | None = None
    # Memory and order (one answer per sequence): every class with its probability, likeliest first.
    # There, target_prob (1,) is the probability of the true class and predicted (1,) the chosen class id.
    answers: list[tuple[str, float]] | None = None
    # Recurrent models: ||dL_T/dh_t|| per direction, (L, D, T) (D = 2 for a bidirectional model, whose
    # grad_norm above takes both directions together); None for the Transformer and feed-forward network.
    grad_norm_dirs: np.ndarray | None = None
    # A number answered in the data's own units (the adding problem: the sum the rule gives), beside
    # ``predicted`` (1,), the model's number; None where the output is normalised (prices) or a token.
    target_value: float | None = None
    # True where the output at t is what the model writes at step t (one-to-many: the spelled word, the
    # copy), not its guess at the next input (a language model): the scrubber names ``top_k`` so.
    writes: bool = False


@dataclass(frozen=True)
class StepDetail:
    """One optimizer step, laid open. S = shown sequences (at most 8), T = time steps, P = parameter tensors."""

    kind: str  # the task's data kind (a name in the registry, playground.core.kinds)
    inputs: list[list[str]]  # (S, T) each input step as shown on a time axis; prices in raw units
    # (S, T) the true next character; prices: (S, 1) the true next value; memory, order: (S, 1) the class
    targets: list[list[str]]
    predictions: list[list[str]]  # same shape as targets: the most likely character or class, or the value
    # (S, T) probability given to the true next character; memory, order: (S, 1) to the true class;
    # None for prices
    target_prob: np.ndarray | None
    loss_per_step: (
        np.ndarray
    )  # (T,) loss at each time step, batch mean; (1,) for one output. Mean == report.loss
    grad_through_time: np.ndarray  # (T,) ||dL/dh_t|| over the batch, top layer (see grad_through_time())
    update_norms: np.ndarray  # (P,) ||theta_after - theta_before|| per parameter tensor; zeros when refused
    param_norms: np.ndarray  # (P,) ||theta|| before the step; names in StepReport.param_names


@dataclass(frozen=True)
class StepReport:
    step: int  # optimizer steps taken so far, this one included (unchanged when refused)
    loss: float
    grad_norm: float  # total gradient norm before clipping
    grad_norm_clipped: float  # after clipping (equal when clipping is off or not needed)
    param_names: tuple[str, ...]
    param_grad_norms: np.ndarray  # one norm per parameter tensor, before clipping
    lr: float
    seconds: float
    refused: bool = False  # NaN or inf in the loss or the gradients: the weights were not changed
    message: str = ""
    val_loss: float | None = None
    probe: Probe | None = None
    detail: StepDetail | None = None  # only when step(detail=True) was asked: this step laid open


@dataclass(frozen=True)
class Unrolled:
    """One probe sequence unrolled at one layer, first (forward) direction: numbers only (numpy).

    For a model without recurrence (Transformer, feed-forward) ``recurrent`` is False and the
    arrays are empty: there is nothing to unroll, and a view says so.
    """

    labels: tuple[str, ...]  # the input at each step (T)
    hidden: np.ndarray  # (T, H) h_t
    step_loss: np.ndarray  # (T,) the loss of the prediction at step t; NaN where t has no target
    grad_h: np.ndarray  # (T,) ||dL/dh_t||: the backward pass's size at each step
    w_hh_share: np.ndarray  # (T,) ||step t's term of dL/dW_hh|| = ||dL/da_t|| ||h_{t-1}||
    w_hh_grad: np.ndarray  # (G*H, H) dL/dW_hh: the sum of every step's term
    w_hh_norm: float  # ||dL/dW_hh||
    arch: str  # "rnn", "lstm", "gru"; "transformer" or "mlp" when not recurrent
    shared: str  # the shared weight, in words: "W_hh, 16 × 16: one matrix, used at every step"
    loss: float = float("nan")  # L, where the backward pass starts
    loss_scope: str = "last"  # "last": the last prediction's loss (as the probe); "mean": the training loss
    many_to_many: bool = True  # a target at every step (text, dialogs); else one after the last step
    layer: int = 0
    n_layers: int = 1
    bidirectional: bool = False  # only the forward direction is unrolled
    probe_steps: int = 0  # the probe's length; more than T when a long probe was cut to MAX_STEPS

    @property
    def recurrent(self) -> bool:
        return self.arch in ("rnn", "lstm", "gru")

    @property
    def n_steps(self) -> int:
        return len(self.labels)

    @property
    def loss_words(self) -> str:
        """What L is, in words, for a caption."""
        if not self.many_to_many:
            return "the loss of the one answer after the last step"
        if self.loss_scope == "mean":
            return "the training loss: the mean of every step's loss"
        return "the loss of the last step's prediction"


@dataclass(frozen=True)
class CompareRow:
    """One architecture's numbers for the results table: each figure is the mean over its seeds
    (``per_seed`` holds every seed's value, NaN where a seed has none yet)."""

    arch: str
    name: str  # e.g. "LSTM, 1 layer x 128"
    parameters: int
    steps: int  # steps every seed has taken
    train_loss: float  # mean of the last 20 steps' losses
    val_loss: float | None  # the newest validation loss
    steps_per_s: float
    gradient_reach: float | None  # ||dL/dh_0|| / ||dL/dh_T|| of the newest probe (top layer); geometric mean
    accuracy: float | None = None  # memory and order: held-out accuracy (when finished)
    seeds: tuple[int, ...] = ()
    per_seed: dict[str, tuple[float, ...]] = field(default_factory=dict)  # figure -> one value per seed

    def values(self, figure: str) -> np.ndarray:
        """The finite per-seed values of one figure (FIGURES)."""
        v = np.asarray(self.per_seed.get(figure, ()), np.float64)
        return v[np.isfinite(v)]

    def spread(self, figure: str) -> float | None:
        """Half the range of one figure over the seeds, (max - min) / 2: mean ± spread covers every seed."""
        v = self.values(figure)
        return None if v.size == 0 else float(v.max() - v.min()) / 2
