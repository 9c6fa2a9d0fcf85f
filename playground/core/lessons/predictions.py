"""Predict, then reveal: before Check, each lesson card asks what the learner expects.

Every lesson has one question with two to four choices (:data:`PREDICTIONS`). ``claim`` names the
choice the card's own measured claim supports; :meth:`Prediction.measure` says which choice the
check's numbers on the live model support, or why they cannot say. :func:`reveal` puts the learner's
answer and the measurement side by side in one line. No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from playground.core.config import ARCH_NAMES, ModelConfig, SessionConfig
from playground.core.lessons.cards import CARDS
from playground.core.lessons.checks import KEEPS, RELU_ALONE_SLACK, LessonCheck
from playground.core.lessons.interventions import ABLATION_CLAIM, CORRELATES, WRITES_PLAIN, WRITES_QUOTED
from playground.core.lessons.uses import FORECASTS_WELL
from playground.core.presets import PLANTED_SPIKES

__all__ = ["PREDICTIONS", "Choice", "Measured", "Prediction", "prediction", "reveal"]


@dataclass(frozen=True)
class Choice:
    """One answer the learner can pick: a stable key (kept in the settings), a short label, a tooltip."""

    key: str
    label: str  # short: it sits beside a radio button in a narrow dock
    tip: str


@dataclass(frozen=True)
class Measured:
    """Which choice a check's numbers support (``choice``), or None and, in ``detail``, why they cannot
    say. With a choice, ``detail`` is the number behind it."""

    choice: str | None
    detail: str


# (the check, the settings of the model it measured where known) -> the choice its numbers support
Judge = Callable[[LessonCheck, SessionConfig | None], Measured]


class _Unread(Exception):
    """A number the question needs is missing from the check, or not a number (NaN)."""


@dataclass(frozen=True)
class Prediction:
    """A lesson's question, its choices, and how a check's numbers pick one of them."""

    lesson: str
    question: str
    choices: tuple[Choice, ...]
    claim: tuple[str, ...]  # the choice(s) the card's own measured claim supports
    judge: Judge
    # choices a model supports only once it has trained half the card's steps: one at chance before
    # training shows nothing (the checks' own rule)
    after_training: tuple[str, ...] = ()

    def choice(self, key: str | None) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)

    def measure(
        self, found: LessonCheck, session: SessionConfig | None = None, steps: int | None = None
    ) -> Measured:
        """The choice the live measurement supports. ``session``: the settings of the model that was
        checked, ``steps``: the steps it has trained (each where known)."""
        if found.lesson != self.lesson:
            return Measured(None, f"that check was for another lesson ({found.lesson})")
        if not found.numbers:
            return Measured(None, "the check measured nothing this time (its message is above)")
        try:
            said = self.judge(found, session)
        except _Unread as e:
            return Measured(None, f"the check gave no usable number ({e}) to judge by")
        want = next((card.steps for card in CARDS if card.id == self.lesson), 0)
        if said.choice in self.after_training and steps is not None and steps * 2 < want:
            return Measured(
                None, f"{steps:,} of the card's {want:,} steps trained, too few to tell: train on"
            )
        return said


# -- small helpers ---------------------------------------------------------------------------------------


def _name(model: ModelConfig) -> str:
    return ("bidirectional " if model.bidirectional else "") + ARCH_NAMES.get(model.arch, model.arch)


def _other_model(
    session: SessionConfig | None, wanted: str, ok: Callable[[ModelConfig], bool], fix: str
) -> str | None:
    """Why a check of ``session``'s model does not answer a question about a ``wanted`` model; None
    when it does (or when the model is not known)."""
    if session is None or ok(session.model):
        return None
    return f"the check measured the {_name(session.model)}, and the question is about {wanted} ({fix})"


def _clipped(session: SessionConfig | None) -> bool | None:
    """Whether the measured run clips its gradient (None: not known)."""
    return None if session is None else session.train.clip != "off"


def _vanilla(m: ModelConfig) -> bool:
    return m.arch == "rnn" and not m.bidirectional


def _num(found: LessonCheck, key: str) -> float:
    value = found.numbers.get(key)
    if value is None or math.isnan(value):
        raise _Unread(key)
    return float(value)


def _near_chance(acc: float, chance: float | None) -> bool:
    """At chance, with the margin the checks use (ten points above it). Unknown chance: the memory
    presets' 8 keys, 1 in 8."""
    return acc <= (chance if chance is not None else 0.125) + 0.1


# -- lesson by lesson ------------------------------------------------------------------------------------


def _order(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a network that reads the words in turn",
        lambda m: m.arch in ("rnn", "lstm", "gru"),
        "press Set it up to get the GRU back",
    )
    if why:
        return Measured(None, why)
    acc, chance = _num(found, "accuracy"), found.numbers.get("chance")
    detail = f"{acc:.0%} of held-out sentences right"
    if acc >= 0.9:
        return Measured("apart", detail)
    if _near_chance(acc, chance):
        return Measured("coin", detail)
    return Measured("some", detail)


def _memory(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a vanilla RNN",
        _vanilla,
        "press Try this, train, and check again",
    )
    if why:
        return Measured(None, why)
    if session is not None and session.model.hidden != 32:  # the card's second button: 128 units
        units = session.model.hidden
        return Measured(
            None,
            f"this vanilla RNN has {units} units, and the question is about 32 (a lesson about capacity)",
        )
    acc, chance, gap = _num(found, "accuracy"), found.numbers.get("chance"), found.numbers.get("gap", 20)
    if gap != 20:
        return Measured(None, f"the key was {gap:.0f} steps back here, and the question is about 20")
    detail = f"{acc:.0%} right" + (f", chance {chance:.1%}" if chance is not None else "")
    if acc >= 0.9:
        return Measured("yes", detail)
    if _near_chance(acc, chance):
        if not found.passed:  # at chance, and the check says it has not trained enough to show it
            return Measured(None, "too few steps trained to tell (the check says how many above)")
        return Measured("no", detail)
    return Measured("partly", detail)


def _price(found: LessonCheck, session: SessionConfig | None) -> Measured:
    said = _num(found, "prediction")
    target, key = min(((15.0, "up"), (12.0, "average"), (14.0, "same")), key=lambda t: abs(said - t[0]))
    if abs(said - target) > 0.5:
        return Measured(None, f"it says {said:.2f}, not close to any of the three")
    return Measured(key, f"it says {said:.2f}")


def _unrolled(found: LessonCheck, session: SessionConfig | None) -> Measured:
    worst = _num(found, "max_difference")
    if found.passed:
        steps = _num(found, "steps")
        return Measured("shared", f"all {steps:.0f} h_t rebuilt from one W_hh, to within {worst:.0e}")
    return Measured(
        None, f"rebuilding the steps from one W_hh missed by {worst:.1e}, so it cannot confirm it"
    )


def _bptt(found: LessonCheck, session: SessionConfig | None) -> Measured:
    first = _num(found, "first")
    detail = f"the first step gets {first:.1e} of the last one's"
    if first < 0.5:
        return Measured("less", detail)
    if first > 2.0:
        return Measured("more", detail)
    return Measured("whole", detail)


def _vanishing(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a vanilla RNN",
        _vanilla,
        "press Set it up to get it back",
    )
    if why:
        return Measured(None, why)
    share = _num(found, "share_at_needed")
    detail = f"{share:.1e} of the last step's gradient reaches the key"
    if share < 1e-3:
        return Measured("none", detail)
    if share <= 1.0:
        return Measured("some", detail)
    return Measured("more", detail)


def _exploding(found: LessonCheck, session: SessionConfig | None) -> Measured:
    if _clipped(session):  # (then a passed check means the clipped spikes did no harm: lesson 10's claim)
        return Measured(
            None, "this run clips its gradient, and the question is about the run without (press Set it up)"
        )
    if found.passed:  # a spike over 100× its median, or refused (NaN) steps: what the check calls exploding
        peak, median = found.numbers.get("peak", math.nan), found.numbers.get("median", math.nan)
        ratio = peak / median if median > 0 else math.nan
        return Measured("spike", f"{ratio:.0f}× its median" if math.isfinite(ratio) else "steps went NaN")
    peak, median = _num(found, "peak"), _num(found, "median")
    ratio = peak / median if median > 0 else math.inf
    detail = f"peak {peak:.3g}, {ratio:.0f}× its median" if math.isfinite(ratio) else f"peak {peak:.3g}"
    if ratio >= 10:
        return Measured("bumps", detail)
    return Measured("steady", detail)


def _activation(found: LessonCheck, session: SessionConfig | None) -> Measured:
    tanh, relu = _num(found, "reach tanh+default"), _num(found, "reach relu+default")
    detail = f"tanh reaches {tanh:.0f} steps back, ReLU {relu:.0f}"
    if relu > tanh + RELU_ALONE_SLACK:
        return Measured("further", detail)
    if relu < tanh - RELU_ALONE_SLACK:
        return Measured("less", detail)
    return Measured("same", detail)


def _identity(found: LessonCheck, session: SessionConfig | None) -> Measured:
    ident, default = _num(found, "identity"), _num(found, "default")
    detail = f"{ident:.0f} steps back with W_hh = I, {default:.0f} with the default start"
    if ident > default:
        return Measured("further", detail)
    if ident < default:
        return Measured("less", detail)
    return Measured("same", detail)


def _clipping(found: LessonCheck, session: SessionConfig | None) -> Measured:
    if _clipped(session) is False or "max_after" not in found.numbers:  # the card's Try this: no clipping
        return Measured(
            None,
            "this run trains without clipping, and the question is about the clipped one (press Set it up)",
        )
    before, after = _num(found, "max_before"), _num(found, "max_after")
    detail = f"norms up to {before:.3g} before clipping, {after:.3g} after"
    return Measured("calm" if found.passed else "blows", detail)


def _gates(found: LessonCheck, session: SessionConfig | None) -> Measured:
    best, holding = _num(found, "best_keep"), _num(found, "holding")
    detail = f"the best unit keeps {best:.2f}; {holding:.0f} keep more than half"
    if best > KEEPS:  # where the check says a unit keeps its cell
        return Measured("most", detail)
    if best >= 0.01:
        return Measured("little", detail)
    return Measured("none", detail)


def _bidirectional(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a vanilla RNN that reads both ways",
        lambda m: m.arch == "rnn" and m.bidirectional,
        "press Set it up to get it back",
    )
    if why:
        return Measured(None, why)
    acc, chance = _num(found, "accuracy"), found.numbers.get("chance")
    detail = f"{acc:.0%} right at d = {found.numbers.get('gap', 40):.0f}"
    if acc >= 0.9:
        return Measured("yes", detail)
    if _near_chance(acc, chance):
        return Measured("no", detail)
    return Measured("partly", detail)


def _shapes(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "the recurrent network",
        lambda m: m.arch in ("rnn", "lstm", "gru"),
        "press Set it up to get it back",
    )
    if why:
        return Measured(None, why)
    acc, chance = _num(found, "accuracy"), found.numbers.get("chance")
    detail = f"{acc:.0%} of the words written right"
    if acc >= 0.9:
        return Measured("all", detail)
    if acc <= (chance if chance is not None else 1 / 16) + 0.1:
        return Measured("few", detail)
    return Measured("some", detail)


def _uses(found: LessonCheck, session: SessionConfig | None) -> Measured:
    if "hits" not in found.numbers:  # one of the card's other uses: autocomplete, jokes, a plain forecast
        return Measured(
            None,
            "this check read another of the card's uses, and the question is about the planted spikes (press Set it up)",
        )
    hits, extra = int(_num(found, "hits")), int(_num(found, "extra"))
    mae, base = found.numbers.get("mae"), found.numbers.get("baseline_mae")
    if mae is not None and base is not None and not mae <= FORECASTS_WELL * base:
        return Measured(
            None,
            f"its forecast is not good yet (error {mae:.3g} against {base:.3g} for repeating the last value), so its errors say little: train on",
        )
    detail = f"{hits} of {len(PLANTED_SPIKES)} spikes flagged, {extra} other points"
    if hits == 0 and extra == 0:
        return Measured("nothing", detail)
    if found.passed:
        return Measured("spikes", detail)
    return Measured("muddled", detail)


def _ablation(found: LessonCheck, session: SessionConfig | None) -> Measured:
    r = _num(found, "r")
    if r < CORRELATES:
        return Measured(None, f"no unit follows the quotes closely yet (|r| {r:.2f}): train on")
    inside, worst = _num(found, "inside"), _num(found, "random_max")
    detail = f"|r| {r:.2f}; held at zero it costs {inside:+.3f} inside, the costliest random unit {worst:+.3f}"
    return Measured("needed" if _num(found, "needed") else "alone", detail)


def _transplant(found: LessonCheck, session: SessionConfig | None) -> Measured:
    patched, plain = _num(found, "patched"), _num(found, "unpatched")
    if plain > WRITES_PLAIN:
        return Measured(None, f"the plain sentences alone come out {plain:.0%} in capitals: train on")
    detail = f"{patched:.0%} capitals with the state carried in, {plain:.0%} without"
    if patched >= WRITES_QUOTED:
        return Measured("quoted", detail)
    if patched <= WRITES_PLAIN:
        return Measured("plain", detail)
    return Measured("mixed", detail)


# -- the questions ----------------------------------------------------------------------------------------

PREDICTIONS: dict[str, Prediction] = {
    p.lesson: p
    for p in (
        Prediction(
            "order",
            "Two sentences, the same words, opposite meanings. Once trained, will the network that "
            "reads them word by word tell them apart?",
            (
                Choice("apart", "Yes, nearly always", "90% or more of the held-out sentences right."),
                Choice(
                    "coin",
                    "No, it guesses like a coin",
                    "About half right: no better than counting the words.",
                ),
                Choice("some", "Some of the time", "Better than a coin, short of 90%."),
            ),
            ("apart",),
            _order,
            after_training=("coin", "some"),
        ),
        Prediction(
            "long-context",
            "The key comes 20 digits before the question. Will a vanilla RNN (32 units) learn to "
            "answer with its partner?",
            (
                Choice("yes", "Yes, like the LSTM", "It answers 90% or more right, as the LSTM does."),
                Choice("no", "No, it stays at chance", "About 1 in 8 right: it lost the key on the way."),
                Choice("partly", "Partly", "Clearly above chance, but short of 90%."),
            ),
            ("no",),  # at chance in four seeds of five (and found the key in one)
            _memory,
            after_training=("no", "partly"),
        ),
        Prediction(
            "recurrent-vs-feedforward",
            "The prices were 10, 11, 12, 13, 14. What will the trained network say comes next?",
            (
                Choice("up", "About 15", "It has learnt that each price is one more than the one before."),
                Choice("average", "About 12", "The mean of the five: what an order-blind model says."),
                Choice("same", "About 14", "The last price again."),
            ),
            ("up",),
            _price,
            after_training=("average", "same"),
        ),
        Prediction(
            "unrolled",
            "Drawn out over a sequence, the network is a chain with one box per character. How many "
            "recurrent weight matrices W_hh does that chain hold?",
            (
                Choice("shared", "One, used by every box", "The same W_hh (and W_xh) at each step."),
                Choice("each", "One per character", "Each box has a W_hh of its own."),
                Choice("arrows", "One per arrow between boxes", "Each link from h_(t-1) to h_t has its own."),
            ),
            ("shared",),
            _unrolled,
        ),
        Prediction(
            "bptt",
            "The error at the last character travels back along the chain. Compared with the last "
            "step, how much of it reaches the first?",
            (
                Choice(
                    "less", "Much less", "It weakens on every step back: the first step gets a small share."
                ),
                Choice("whole", "About as much", "The chain hands it back unchanged."),
                Choice("more", "More", "It grows on the way back."),
            ),
            ("less",),
            _bptt,
        ),
        Prediction(
            "vanishing",
            "In this vanilla tanh RNN, how much of the last step's gradient will reach the key, 20 steps back?",
            (
                Choice("none", "Almost nothing", "Under a thousandth of what the last step gets."),
                Choice("some", "A weaker but real share", "Between a thousandth and all of it."),
                Choice("more", "More than the last step", "The gradient grows on its way back."),
            ),
            ("none",),
            _vanishing,
        ),
        Prediction(
            "exploding",
            "ReLU, W_hh = I, plain SGD and no clipping. While it trains, what will the gradient norm do?",
            (
                Choice("spike", "Spike, or turn into NaN", "Jumps to a hundred times its median or more."),
                Choice("bumps", "Wobble, 10 to 100×", "Bumps above its usual size, but below 100×."),
                Choice("steady", "Stay steady", "Within ten times its median."),
            ),
            ("spike",),
            _exploding,
            after_training=("steady", "bumps"),
        ),
        Prediction(
            "activations",
            "A fresh network with the default random start: swap tanh for ReLU. How far back will "
            "the gradient reach?",
            (
                Choice("further", "Clearly further", "ReLU's slope of one carries it a good way further."),
                Choice(
                    "same",
                    "About as far",
                    "Within two steps of tanh: it still crosses a small W_hh each step.",
                ),
                Choice("less", "Less far", "ReLU reaches fewer steps back than tanh."),
            ),
            ("same",),
            _activation,
        ),
        Prediction(
            "identity-init",
            "Start W_hh as the identity instead of small random numbers. How far back will a fresh "
            "network's gradient reach?",
            (
                Choice("further", "Further back", "More steps than with the default start."),
                Choice("same", "Just as far", "The start makes no difference."),
                Choice("less", "Less far", "Fewer steps than with the default start."),
            ),
            ("further",),
            _identity,
        ),
        Prediction(
            "clipping",
            "The same network that exploded, now with its gradient clipped at norm 1. Will it still blow up?",
            (
                Choice("calm", "No, it trains calmly", "The loss stays finite and no step is refused."),
                Choice(
                    "blows", "Yes, it still blows up", "NaN losses or refused steps, as without clipping."
                ),
            ),
            ("calm",),
            _clipping,
            after_training=("calm",),
        ),
        Prediction(
            "gates",
            "Once the LSTM has learnt the memory task, how much of its cell can its best unit carry "
            "from the key to the question, 20 steps on?",
            (
                Choice("most", "More than half", "Its forget gate stays near 1 at every step in between."),
                Choice("little", "Some, under half", "Between a hundredth and a half of it."),
                Choice("none", "Almost nothing", "Under a hundredth: even 0.8 a step leaves 0.8²⁰ ≈ 0.01."),
            ),
            ("most",),
            _gates,
            after_training=("little", "none"),
        ),
        Prediction(
            "bidirectional",
            "Now the key is 40 steps back. Will a vanilla RNN that also reads the sequence from the "
            "end find it?",
            (
                Choice("yes", "Yes, nearly always", "90% or more right: read backwards, the key is close."),
                Choice("no", "No, it stays at chance", "40 steps is even further than lesson 2's 20."),
                Choice("partly", "Partly", "Above chance, short of 90%."),
            ),
            ("yes",),
            _bidirectional,
            after_training=("no", "partly"),
        ),
        Prediction(
            "shapes",
            "Only a word's first letter goes in, then blanks. How many of the 16 words will the "
            "trained vanilla RNN write out in full?",
            (
                Choice("all", "All or nearly all", "90% or more: the hidden state keeps the word going."),
                Choice("some", "Some of them", "More than a guess, short of 90%."),
                Choice("few", "Hardly any", "About what ignoring the letter would get (1 word)."),
            ),
            ("all",),
            _shapes,
            after_training=("some", "few"),
        ),
        Prediction(
            "uses",
            "Five spikes are hidden in the price series. Where will the forecast's unusually large "
            "errors be?",
            (
                Choice("spikes", "On the planted spikes", "At least four of the five, and few other points."),
                Choice("muddled", "Spread about", "Spikes missed, or many other points flagged too."),
                Choice("nothing", "Nowhere", "No error stands out from the rest."),
            ),
            ("spikes",),
            _uses,
            after_training=("muddled", "nothing"),
        ),
        Prediction(
            "ablation",
            "One unit follows the quotes with |r| near 0.9. Held at zero, will it hurt the model inside "
            "quotations more than any of ten random units?",
            (
                Choice("needed", "Yes: the model needs it", "More inside than every random unit, and more than outside."),
                Choice("alone", "No: not that unit alone", "No more than a random unit: other units hold the quotation too."),
            ),
            ABLATION_CLAIM,
            _ablation,
            after_training=("needed", "alone"),
        ),
        Prediction(
            "transplant",
            'Put the state the model has after he said, " into a plain sentence. How will it write on?',
            (
                Choice("quoted", "In capitals, as if quoting", "80% or more capitals, up to the next quote mark it writes."),
                Choice("plain", "In plain lower case", "20% or fewer: the sentence it reads wins."),
                Choice("mixed", "A mix of the two", "Between a fifth and four fifths capitals."),
            ),
            ("quoted",),
            _transplant,
            after_training=("plain", "mixed"),
        ),
    )
}


def prediction(lesson_id: str) -> Prediction | None:
    return PREDICTIONS.get(lesson_id)


def reveal(pred: Prediction, before: str | None, measured: Measured, now: str | None = None) -> str:
    """One friendly line: the learner's prediction (``before``: the one made before the check; ``now``:
    today's choice, where it changed since) beside what was measured."""
    said = pred.choice(before)
    found = pred.choice(measured.choice)
    changed = pred.choice(now) if now != before else None
    head = ""
    if said is not None:
        later = f" before the check (now: “{changed.label}”)" if changed else ""
        head = f"You predicted “{said.label}”{later}. "
    if found is None:
        tail = f"No answer to your question yet: {measured.detail}."
        return head + tail + ("" if said is not None else " Pick a prediction, then check again.")
    tail = f"Measured: “{found.label}” ({measured.detail})."
    if said is None:
        return tail + " Next time, pick a prediction before you press Check."
    if said.key == found.key:
        return head + tail + " They match: well predicted."
    return head + tail + " Not what you expected: that difference is worth a look."


def prediction_of(card) -> Prediction:
    """A lesson file's question (``card.question``, core/lessons/files.py) as a Prediction: the choice
    marked ``when = "holds"`` is the answer when the card's measured check holds, the other when it does not."""
    q = card.question
    holds = next(c.key for c in q.choices if c.when == "holds")
    fails = next(c.key for c in q.choices if c.when == "not")
    quantity = card.check.quantity

    def judge(found: LessonCheck, _session: SessionConfig | None) -> Measured:
        if quantity not in found.numbers:
            raise _Unread(f"no {quantity}")
        value = found.numbers[quantity]
        return Measured(holds if found.passed else fails, f"{quantity} {value:.4g}")

    tips = {"holds": "the answer if the check holds", "not": "the answer if it does not"}
    return Prediction(
        card.id,
        q.text,
        tuple(Choice(c.key, c.label, tips[c.when]) for c in q.choices),
        (holds,),
        judge,
    )


# the built-in cards whose question is in their own file (a measured check: the classics, lesson 17 on)
PREDICTIONS.update({card.id: prediction_of(card) for card in CARDS if card.question is not None})
