"""Predict, then reveal: before Check, each lesson card asks what the learner expects.

Every lesson has one question with two to four choices (:data:`PREDICTIONS`). ``claim`` names the
choice the card's own measured claim supports; :meth:`Prediction.measure` says which choice the
check's numbers on the live model support, or why they cannot say (each lesson's judge is in
judges.py). :func:`reveal` puts the learner's answer and the measurement side by side in one line. No
Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.config import SessionConfig
from playground.core.lessons.cards import CARDS
from playground.core.lessons.checks import LessonCheck
from playground.core.lessons.interventions import ABLATION_CLAIM
from playground.core.lessons.judges import JUDGES, Judge, Measured
from playground.core.lessons.judges import Unread as _Unread

__all__ = ["PREDICTIONS", "Choice", "Measured", "Prediction", "prediction", "reveal"]


@dataclass(frozen=True)
class Choice:
    """One answer the learner can pick: a stable key (kept in the settings), a short label, a tooltip."""

    key: str
    label: str  # short: it sits beside a radio button in a narrow dock
    tip: str


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
            JUDGES["order"],
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
            JUDGES["memory"],
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
            JUDGES["price"],
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
            JUDGES["unrolled"],
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
            JUDGES["bptt"],
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
            JUDGES["vanishing"],
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
            JUDGES["exploding"],
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
            JUDGES["activation"],
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
            JUDGES["identity"],
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
            JUDGES["clipping"],
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
            JUDGES["gates"],
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
            JUDGES["bidirectional"],
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
            JUDGES["shapes"],
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
            JUDGES["uses"],
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
            JUDGES["ablation"],
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
            JUDGES["transplant"],
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
