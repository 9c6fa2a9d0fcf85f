"""What training and looking inside report: numbers only (numpy arrays, strings, floats), safe to
hand to another thread or process. They live apart from the code that makes them (inspect/probes.py,
inspect/stepdetail.py, train/trainer.py import torch), so that the window's process unpickles a probe
or a step's report without importing torch."""

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
