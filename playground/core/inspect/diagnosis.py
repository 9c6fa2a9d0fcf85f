"""Gradient diagnosis: say in plain words when training goes wrong, and what would fix it.

Troubles are judged by their consequences, from numbers the window (and ``train``) already has:

* **NaN**: a step whose loss or gradient was NaN or infinite. The trainer refuses such a step
  (the weights stay as they were), so the diagnosis says the step was not applied. Once many
  healthy steps have followed (``steps_since_refusal``), it is no longer said.
* **Exploding**: a gradient norm (before clipping) far above its own usual size is only a *spike*;
  it is called exploding when the update was large enough to harm: clipping did not hold it down
  (clipping off, or by value, and the update itself far above its usual size and above norm 1), or
  the loss jumped in the steps after it. A clipped spike after which the loss carried on as before
  did no harm and is no verdict. The loss climbing far above the best it reached is exploding too.
* **Vanishing**: *both* the loss is stuck (after enough steps it is still about where it started,
  or at chance, and no longer falling) *and* the gradient of the last prediction at the inputs the
  task needs (memory: the key; without known positions, the first step) is below 10⁻³ of the last
  step's. A small gradient to a far input alone is no fault: a trained model whose prediction does
  not depend on that input has a small gradient to it by design (see ``reach.py``).
* **Overfitting**: the validation loss has risen above its best, by a share *and* by an absolute
  amount (tiny losses such as 10⁻⁸ rising to 2·10⁻⁸ are not overfitting), while training falls.

Evidence of exploding counts only from steps after ``since_step``: the step where the settings last
changed (a fix, a roll-back), so a verdict is re-judged under the settings in force. Each verdict
says what it measured, and carries the fixes that address it, as ids the window turns into
buttons. When the evidence is gone, ``diagnose`` returns None again: the window can clear its
banner. :class:`VerdictWatch` follows a trainer step by step with the same ``diagnose`` (the
command line's verdicts). No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playground.core.config import ModelConfig, TrainConfig
from playground.core.inspect.reach import REACH_FRACTION, gradient_reach, share_text, steps_text

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window's first-start banner reads this module before it paints
    from playground.lazy import np

EXPLODE_FACTOR = 100.0  # gradient norm this many times its recent median: exploding
LOSS_FACTOR = 3.0  # loss this many times its best so far (after warm-up): blowing up
VANISH_RATIO = REACH_FRACTION  # gradient at a needed input below this share of the last step's: not reached
WARMUP = 20  # steps before exploding is judged against the run's own history
SMOOTH = 10  # the loss is judged by medians of this many steps
STUCK_MIN_STEPS = 200  # a loss is called stuck only after this many steps
STUCK_DROP = 0.10  # ... and only while it is less than this share below where it started (or chance)
STUCK_FALLING = 0.02  # ... and its newest block is less than this share below the block before
REFUSAL_MEMORY = 100  # refused (NaN) steps older than this many accepted steps are no longer said
TYPICAL_SPAN = 200  # a gradient norm's usual size: the median of this many steps before it
SPIKE_RECENT = 20  # spikes among this many newest steps are judged (older ones are history)
UNHELD_NORM = 1.0  # an update not held down by clipping is harmful only above this norm (clipping at 1 cuts it)
JUDGE_AFTER = 5  # a clipped spike is judged by the loss of this many steps after it (at least)
LOSS_JUMP = 1.5  # ... the loss after it (median of SMOOTH steps) this many times the loss before it ...
LOSS_JUMP_GAP = 0.1  # ... and at least this much higher (nats): the spike's update harmed the model

FIX_TEXT = {
    "clip": "Clip gradients at norm 1",
    "lower_lr": "Learning rate ÷10",
    "relu_identity": "ReLU + identity init",
    "lstm": "Switch to LSTM",
    "gru": "Switch to GRU",
    "undo": "Go back before the blow-up",
    "dropout": "2 layers + dropout 0.3",
}
FIX_TIPS = {
    "clip": "Scale every gradient down to norm 1 when it is larger: one bad batch can no longer throw "
    "the weights far away. Applies at the next step.",
    "lower_lr": "Take steps a tenth as long. Applies at the next step.",
    "relu_identity": "A vanilla RNN with W_hh = I and ReLU copies its state forward unchanged at first, so "
    "gradients neither shrink nor grow through time (Le et al., 2015). Starts a new model.",
    "lstm": "An LSTM's cell state carries information (and gradient) forward through its forget gate, "
    "so it can learn long-range dependencies. Starts a new model.",
    "gru": "A GRU's update gate lets it keep its state unchanged across many steps. Starts a new model.",
    "undo": "Go back to the newest kept weights and optimizer state whose loss was still near its best: "
    "the blown-up updates are undone, and the settings on screen stay as they are.",
    "dropout": "Dropout switches off a random 30% of the signals between layers at every step, so the model "
    "cannot lean on any one of them to recite the training data. Starts a new model with 2 layers.",
}
OVERFIT_RISE = 0.15  # validation loss this far (relative) above its best while training loss falls ...
FRESH_ENOUGH = 0.5  # at least this share of training examples made afresh: no overfitting verdict
OVERFIT_GAP = 0.05  # ... and at least this far (absolute, in the loss's units: nats) above it


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "nan", "exploding", "vanishing" or "overfitting"
    message: str  # one or two plain sentences
    fixes: tuple[str, ...]  # ids from FIX_TEXT, the most direct first


def _fixes(kind: str, model: ModelConfig, train: TrainConfig) -> tuple[str, ...]:
    out: list[str] = []
    if kind in ("nan", "exploding"):
        if train.clip == "off":
            out.append("clip")
        out.append("lower_lr")
    if model.arch == "rnn":
        if kind == "vanishing" and not (model.activation == "relu" and model.init == "identity"):
            out.append("relu_identity")
        out += ["lstm", "gru"]
    return tuple(out)


def diagnose(
    model: ModelConfig,
    train: TrainConfig,
    losses: np.ndarray,
    grad_norms: np.ndarray,
    refused: int = 0,
    last_refusal: str = "",
    probe_grad: np.ndarray | None = None,
    val_steps: np.ndarray | None = None,
    val_losses: np.ndarray | None = None,
    *,
    probe_grad_init: np.ndarray | None = None,
    needed_positions: Sequence[int] | None = None,
    labels: Sequence[str] | None = None,
    unit: str = "steps",
    chance_loss: float | None = None,
    steps_since_refusal: int | None = None,
    grad_norms_clipped: np.ndarray | None = None,
    steps: np.ndarray | None = None,
    since_step: int = 0,
    fresh_share: float = 0.0,
) -> Diagnosis | None:
    """The most urgent trouble in a run, or None when the evidence shows none.

    ``losses`` and ``grad_norms`` are the accepted steps in order (gradient norms before clipping;
    may be empty, e.g. for a model opened from a file); ``refused`` counts refused (NaN) steps and
    ``last_refusal`` is the newest refusal's message; ``probe_grad`` is the newest probe's
    ||dL/dh_t|| of the top layer (T,); ``val_steps`` / ``val_losses`` the validation curve.

    Optional, keyword only:

    * ``probe_grad_init``: the same curve for the model at initialisation (same seed, same probe
      sequence; ``Trainer.probe_at_init``), quoted beside the newest one.
    * ``needed_positions``: the time steps of the probe sequence the answer depends on
      (``reach.needed_positions(task, probe.labels)``; memory: the key). None or empty: not known,
      and the first time step stands in for them.
    * ``labels``: the probe's input labels, to name a needed position ("'A'").
    * ``unit``: what one time step is, plural: "characters" (text, dialogs), "words" (order) or
      "steps".
    * ``chance_loss``: the loss of a model that has learned nothing of the sequence
      (``reach.chance_loss(task)``): a loss still about there is stuck, wherever it started.
    * ``steps_since_refusal``: accepted steps since the newest refused one. With more than
      ``REFUSAL_MEMORY`` of them, the refusals are history and no longer said. None: say them for
      as long as ``refused`` is not 0 (the old behaviour).
    * ``grad_norms_clipped``: the norm each step's update actually used (after clipping), beside
      ``grad_norms``. None: worked out from ``train``'s clipping (exact for "off" and "norm").
    * ``steps``: the step number of each entry of ``losses`` (None: 1, 2, 3, ...).
    * ``since_step``: the step at which the settings last changed (a fix, a roll-back): only steps
      after it are evidence of exploding.
    * ``fresh_share``: the task's share of training examples made afresh for each batch
      (``task.fresh_share``); from FRESH_ENOUGH on, a rising held-out loss is no overfitting.
    """
    run = _Run.of(losses, grad_norms, grad_norms_clipped, steps, train)
    if refused and (steps_since_refusal is None or steps_since_refusal <= REFUSAL_MEMORY):
        return _nan(model, train, run, refused, last_refusal, since_step)
    exploding = _exploding(model, train, run, since_step)
    if exploding is not None:
        return exploding
    loss = np.asarray(losses, np.float64)
    loss = loss[np.isfinite(loss)]
    vanishing = _vanishing(
        model, train, loss, probe_grad, probe_grad_init, needed_positions, labels, unit, chance_loss
    )
    if vanishing is not None:
        return vanishing
    # Training examples made afresh for each batch (most of the knock-knock preset's: made-up jokes)
    # cannot be learnt by heart; there the held-out loss measures how far the training mix is from the
    # held-out jokes, and a rise of it is no overfitting (measured, the first-run preset: the held-out
    # loss climbs from 2.04 at step 100 to 2.91 at 300, then falls back to 2.2 by step 4,000 while
    # the model learns to copy names it never saw).
    overfit = None if fresh_share >= FRESH_ENOUGH else _overfitting(model, losses, val_steps, val_losses)
    if overfit is not None:
        return overfit
    return None


@dataclass(frozen=True)
class _Run:
    """The accepted steps, aligned: step numbers, losses, gradient norms before and after clipping."""

    steps: np.ndarray  # int64
    loss: np.ndarray  # float64, NaN where not known
    raw: np.ndarray
    applied: np.ndarray  # NaN where not known (clipping by value, numbers not given)

    @staticmethod
    def of(losses, grad_norms, grad_norms_clipped, steps, train: TrainConfig) -> _Run:
        """Aligned at their ends; the shorter series is padded at its start with NaN (not known)."""
        loss = np.asarray(losses, np.float64).ravel()
        raw = np.asarray(grad_norms, np.float64).ravel()
        if grad_norms_clipped is not None and len(grad_norms_clipped) == len(raw):
            applied = np.asarray(grad_norms_clipped, np.float64).ravel()
        elif train.clip == "off":
            applied = raw
        elif train.clip == "norm":
            applied = np.minimum(raw, float(train.clip_value))
        else:
            applied = np.full(len(raw), np.nan)
        n = max(len(loss), len(raw))

        def pad(x: np.ndarray) -> np.ndarray:
            return np.concatenate([np.full(n - len(x), np.nan), x]) if len(x) < n else x

        if steps is not None and len(steps) >= n:
            at = np.asarray(steps, np.int64).ravel()[len(steps) - n :]
        else:
            at = np.arange(1, n + 1, dtype=np.int64)
        return _Run(at, pad(loss), pad(raw), pad(applied))


@dataclass(frozen=True)
class _Spike:
    """A gradient norm far above its usual size, and what it did."""

    index: int
    step: int
    norm: float  # before clipping
    applied: float  # the norm its update used (NaN: not known)
    typical: float  # median before clipping over the steps before it
    history: int  # how many steps that median is over
    harm: str  # "update" (not held down), "loss" (the loss jumped after it) or "" (none seen)
    before: float = math.nan  # the loss before it and after it ("loss")
    after: float = math.nan

    @property
    def ratio(self) -> float:
        return self.norm / self.typical


def _spikes(
    train: TrainConfig, run: _Run, since_step: int, newest: int | None = SPIKE_RECENT, history: int = WARMUP
) -> list[_Spike]:
    """Spikes among the ``newest`` accepted steps (None: all) after ``since_step``, each judged by what it
    did; a spike needs ``history`` steps before it to say what its usual size is."""
    raw, applied, loss = run.raw, run.applied, run.loss
    n = len(raw)
    first = history if newest is None else max(history, n - newest)
    found = []
    for i in range(first, n):
        if run.steps[i] <= since_step or not np.isfinite(raw[i]):
            continue
        before = raw[max(0, i - TYPICAL_SPAN) : i]
        before = before[np.isfinite(before)]
        if len(before) < history:
            continue
        typical = float(np.median(before))
        if not (typical > 0 and raw[i] > EXPLODE_FACTOR * typical):
            continue
        a = float(applied[i])
        usual_applied = applied[max(0, i - TYPICAL_SPAN) : i]
        usual_applied = float(np.median(usual_applied)) if len(usual_applied) else math.nan
        # not held down: the update itself far above its usual size, and above norm 1 (where clipping
        # at norm 1, the app's own fix, would have cut it): clipping off, by value, or at a high norm
        unheld = a > UNHELD_NORM * (1 + 1e-3) and a > EXPLODE_FACTOR * usual_applied
        if np.isfinite(a) and unheld:
            found.append(_Spike(i, int(run.steps[i]), float(raw[i]), a, typical, len(before), "update"))
            continue
        harm, lb, la = "", math.nan, math.nan
        if n - 1 - i >= JUDGE_AFTER:
            lb_s = loss[max(0, i - 2 * SMOOTH) : i]
            la_s = loss[i + 1 : i + 1 + SMOOTH]
            lb_s, la_s = lb_s[np.isfinite(lb_s)], la_s[np.isfinite(la_s)]
            if len(lb_s) and len(la_s):
                lb, la = float(np.median(lb_s)), float(np.median(la_s))
                if la > LOSS_JUMP * lb and la > lb + LOSS_JUMP_GAP:
                    harm = "loss"
        found.append(_Spike(i, int(run.steps[i]), float(raw[i]), a, typical, len(before), harm, lb, la))
    return found


def _clipping_words(train: TrainConfig) -> str:
    if train.clip == "off":
        return "clipping is off"
    if train.clip == "value":
        return f"clipping by value at {train.clip_value:g}"
    return f"clipping at norm {train.clip_value:g}"


def _spike_text(s: _Spike, train: TrainConfig) -> str:
    usual = (
        f"its usual {s.typical:.2g}"
        if s.history >= WARMUP
        else f"the median of the {s.history} steps before it ({s.typical:.2g})"
    )
    head = f"at step {s.step:,} the gradient norm reached {s.norm:.3g}, {s.ratio:.0f} times {usual}"
    if s.harm == "update":
        if train.clip == "off":
            return head + ", and clipping is off, so all of it went into the update"
        return head + f", and {_clipping_words(train)} let {s.applied:.3g} of it into the update"
    cut = f"; {_clipping_words(train)} cut the update to {s.applied:.3g}" if s.applied < s.norm * (1 - 1e-6) else ""
    return head + cut + f", yet the loss jumped from {s.before:.3g} before it to {s.after:.3g} after it"


def _exploding(model: ModelConfig, train: TrainConfig, run: _Run, since_step: int) -> Diagnosis | None:
    harmful = [s for s in _spikes(train, run, since_step) if s.harm]
    if harmful:
        s = max(harmful, key=lambda x: x.ratio)
        tail = " One such step can throw the weights far off." if s.harm == "update" else " That update set the model back."
        return Diagnosis(
            "exploding",
            "Exploding gradients: " + _spike_text(s, train) + "." + tail,
            _fixes("exploding", model, train),
        )
    loss, steps = run.loss, run.steps
    ok = np.isfinite(loss)
    loss, steps = loss[ok], steps[ok]
    if len(loss) > 2 * WARMUP + SMOOTH and steps[-SMOOTH] > since_step:
        # medians of SMOOTH steps: one lucky batch is not "the best", one unlucky one not a blow-up
        n = len(loss) // SMOOTH * SMOOTH
        blocks = np.median(loss[len(loss) - n :].reshape(-1, SMOOTH), axis=1)
        best = float(np.min(blocks[:-1]))
        recent = float(blocks[-1])
        if best > 0 and recent > LOSS_FACTOR * best and recent > best + 0.5:
            return Diagnosis(
                "exploding",
                f"The loss is blowing up: {recent:.3g} now against {best:.3g} at its best. The updates are "
                "too large: the learning rate is probably too high.",
                _fixes("exploding", model, train),
            )
    return None


def _nan(model: ModelConfig, train: TrainConfig, run: _Run, refused: int, last_refusal: str, since_step: int) -> Diagnosis:
    what = last_refusal.split(";")[0].replace("step refused: ", "") if last_refusal else "NaN"
    n = f"{refused} steps" if refused > 1 else "1 step"
    were, them = ("were", "they") if refused > 1 else ("was", "it")
    text = (
        f"Exploding: {n} produced NaN ({what}) and {were} refused: {them} did not change the weights. "
        "The updates are too large for this model."
    )
    # a blow-up is often over in a few steps: two steps before it are enough to say how large it was
    unheld = [s for s in _spikes(train, run, since_step, TYPICAL_SPAN, history=2) if s.harm == "update"]
    if unheld:  # what the accepted steps before had already done is not undone by refusing the next
        s = unheld[-1]
        text += f" Before that, {_spike_text(s, train)}: the weights already took that step."
    return Diagnosis("nan", text, _fixes("nan", model, train))


@dataclass(frozen=True)
class Stuck:
    """A loss that has not come down: the numbers a verdict quotes."""

    steps: int
    start: float  # median of the first 2 * SMOOTH steps
    recent: float  # median of the newest block
    before: float  # median of the block before it


def loss_stuck(losses: np.ndarray, chance_loss: float | None = None) -> Stuck | None:
    """The loss is stuck: after STUCK_MIN_STEPS steps it is still within STUCK_DROP of where it started
    (or of chance, whichever is lower) and it is not falling now. None when it is learning (or too soon).

    The newest block is the last 10% of the steps (at least 50); "not falling now" compares its
    median with the block before it.
    """
    loss = np.asarray(losses, np.float64)
    loss = loss[np.isfinite(loss)]
    n = len(loss)
    if n < STUCK_MIN_STEPS:
        return None
    block = max(5 * SMOOTH, n // 10)
    start = float(np.median(loss[: 2 * SMOOTH]))
    recent = float(np.median(loss[-block:]))
    before = float(np.median(loss[-2 * block : -block]))
    ref = start if chance_loss is None or not np.isfinite(chance_loss) else min(start, float(chance_loss))
    if not ref > 0:
        return None
    came_down = recent < ref * (1 - STUCK_DROP)
    falling = recent < before * (1 - STUCK_FALLING)
    if came_down or falling:
        return None
    return Stuck(steps=n, start=start, recent=recent, before=before)


def _vanishing(
    model, train, loss, probe_grad, probe_grad_init, needed_positions, labels, unit, chance_loss
) -> Diagnosis | None:
    """Vanishing: the loss is stuck AND the gradient at the inputs the answer needs is below VANISH_RATIO.

    Only for recurrent models: "through time" is the recurrence's path.
    """
    if probe_grad is None or not model.recurrent or len(probe_grad) < 2:
        return None
    stuck = loss_stuck(loss, chance_loss)
    if stuck is None:
        return None
    reach = gradient_reach(probe_grad)
    if reach is None:  # non-finite or no gradient at all: not a measurement of vanishing
        return None
    known = sorted({int(t) for t in (needed_positions or ()) if 0 <= int(t) < reach.length - 1})
    t = known[0] if known else 0  # the farthest input the answer needs; unknown: the first step
    share = reach.share_at(t)
    if not share < VANISH_RATIO:
        return None
    back = reach.length - 1 - t
    if known:
        name = f"'{labels[t]}'" if labels is not None and t < len(labels) else f"t = {t}"
        where = f"the input the answer needs ({name}, {steps_text(back, unit)} back)"
    else:
        where = f"the first input ({steps_text(back, unit)} back)"
    init = None if probe_grad_init is None else gradient_reach(probe_grad_init)
    at_init = (
        f" (at initialisation {share_text(init.share_at(t))})"
        if init is not None and init.length == reach.length
        else ""
    )
    chance = f"; chance is {chance_loss:.3g}" if chance_loss is not None and np.isfinite(chance_loss) else ""
    return Diagnosis(
        "vanishing",
        f"Vanishing gradients: after {stuck.steps:,} steps the loss is {stuck.recent:.3g}, still about where "
        f"it started ({stuck.start:.3g}{chance}), and {where} gets {share_text(share)} of the last step's "
        f"gradient{at_init}; the gradient reaches only {steps_text(reach.steps, unit)} back at "
        f"{share_text(VANISH_RATIO)}. The error of the answer hardly reaches that input, so the model gets "
        "almost no signal to learn what it says: it may stay stuck for a long time.",
        _fixes("vanishing", model, train),
    )


def _overfitting(model: ModelConfig, losses, val_steps, val_losses) -> Diagnosis | None:
    """Validation loss well above its best, several checks in a row, while training loss still falls.

    "Well above": by OVERFIT_RISE of the best *and* by OVERFIT_GAP absolute, so a rise among tiny
    losses (10⁻⁸ to 2·10⁻⁸) is not a verdict.
    """
    if val_steps is None or val_losses is None or len(val_losses) < 6:
        return None
    v = np.asarray(val_losses, np.float64)
    steps = np.asarray(val_steps, np.int64)
    if len(steps) != len(v) or not np.isfinite(v).all():
        return None
    best = int(np.argmin(v))
    bar = max(v[best] * (1 + OVERFIT_RISE), v[best] + OVERFIT_GAP)
    if best > len(v) - 4 or not np.all(v[-3:] > bar):
        return None
    train = np.asarray(losses, np.float64)
    at_best = int(steps[best])
    if at_best < 10 or len(train) < at_best + 20:
        return None
    before = float(np.median(train[max(0, at_best - 10) : at_best]))
    now = float(np.median(train[-10:]))
    if not now < before:
        return None
    fixes = ("dropout",) if model.dropout == 0 else ()
    return Diagnosis(
        "overfitting",
        f"Overfitting: the validation loss was best at step {at_best:,} ({v[best]:.3g}) and is {v[-1]:.3g} now, "
        f"{v[-1] - v[best]:.2g} higher, while the training loss kept falling ({before:.3g} to {now:.3g}). "
        "The model is learning its training data by heart rather than what generalises: more steps only "
        "make it worse.",
        fixes,
    )


# -- a run followed step by step (the command line) --------------------------------------------------------
JUDGE_EVERY = 10  # VerdictWatch judges every this many steps (and at every refused step)
PROBE_EVERY = 100  # ... and looks at the gradient through time at most this often, only while the loss is stuck


@dataclass(frozen=True)
class Verdict:
    """A verdict as it came: the step it was given at, its kind and its words."""

    step: int
    kind: str
    message: str

    def as_dict(self) -> dict:
        return {"step": self.step, "kind": self.kind, "message": self.message}


class VerdictWatch:
    """Follows a :class:`~playground.core.train.trainer.Trainer` step by step and judges it with
    :func:`diagnose`, from the same numbers the window's banner is judged from: every accepted step's
    loss and gradient norm before and after clipping, the refused steps, the validation losses, and
    (while the loss is stuck) the probe's gradient through time beside the one at initialisation.

    ``add(report)`` after each step returns a :class:`Verdict` when one *comes*: a trouble not said
    a moment before (a new kind, or the same kind again after it had cleared). ``verdicts`` keeps
    them all, in order. Looking never moves the run's random stream.
    """

    def __init__(self, trainer) -> None:
        from playground.core.inspect import reach

        self.trainer = trainer
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.raw: list[float] = []
        self.applied: list[float] = []
        self.val_steps: list[int] = []
        self.val_losses: list[float] = []
        self.refused = 0
        self.last_refusal = ""
        self.last_refusal_step = 0
        self.current: Diagnosis | None = None
        self.verdicts: list[Verdict] = []
        self._probe_grad = None
        self._probe_labels = None
        self._probe_step = -PROBE_EVERY
        self._init_grad = None
        task = trainer.task
        self._chance = reach.chance_loss(task)
        self._unit = task.spec.step_unit

    @property
    def step(self) -> int:
        return int(self.trainer.steps)

    def add(self, report) -> Verdict | None:
        """One step's report (``Trainer.step()``); a Verdict when a new one comes."""
        if report.refused:
            self.refused += 1
            self.last_refusal = report.message
            self.last_refusal_step = int(report.step)
        else:
            self.steps.append(int(report.step))
            self.losses.append(float(report.loss))
            self.raw.append(float(report.grad_norm))
            self.applied.append(float(report.grad_norm_clipped))
        if report.val_loss is not None:
            self.val_steps.append(int(report.step))
            self.val_losses.append(float(report.val_loss))
        if report.refused or self.step % JUDGE_EVERY == 0:
            return self.judge()
        return None

    def judge(self) -> Verdict | None:
        """Judge the run now; a Verdict when a new one comes (``current`` is the verdict in force)."""
        tr = self.trainer
        losses = np.asarray(self.losses, np.float64)
        self._look_inside(losses)
        found = diagnose(
            tr.session.model,
            tr.session.train,
            losses,
            np.asarray(self.raw, np.float64),
            refused=self.refused,
            last_refusal=self.last_refusal,
            probe_grad=self._probe_grad,
            val_steps=np.asarray(self.val_steps, np.int64),
            val_losses=np.asarray(self.val_losses, np.float64),
            probe_grad_init=self._init_grad,
            needed_positions=self._needed(),
            labels=self._probe_labels,
            unit=self._unit,
            chance_loss=self._chance,
            steps_since_refusal=self.step - self.last_refusal_step if self.refused else None,
            grad_norms_clipped=np.asarray(self.applied, np.float64),
            steps=np.asarray(self.steps, np.int64),
            fresh_share=float(getattr(tr.task, "fresh_share", 0.0)),
        )
        before, self.current = self.current, found
        if found is None or (before is not None and before.kind == found.kind):
            return None
        verdict = Verdict(self.step, found.kind, found.message)
        self.verdicts.append(verdict)
        return verdict

    def _look_inside(self, losses: np.ndarray) -> None:
        """The probe's gradient through time, only where a verdict can use it: a recurrent model whose
        loss is stuck (vanishing needs both), at most every PROBE_EVERY steps."""
        import torch


        tr = self.trainer
        if not tr.session.model.recurrent or self.step - self._probe_step < PROBE_EVERY:
            return
        if loss_stuck(losses, self._chance) is None:
            return
        self._probe_step = self.step
        with torch.random.fork_rng(devices=[]):  # looking must not change what training draws next
            probe = tr.probe()
        self._probe_grad = probe.grad_norm[-1]
        self._probe_labels = list(probe.labels)
        if self._init_grad is None or len(self._init_grad) != len(self._probe_grad):
            self._init_grad = tr.probe_at_init().grad_norm[-1]

    def _needed(self) -> tuple[int, ...]:
        from playground.core.inspect import reach

        if self._probe_labels is None:
            return ()
        return reach.needed_positions(self.trainer.task, self._probe_labels)
