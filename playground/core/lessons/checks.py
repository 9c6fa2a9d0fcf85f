"""The lessons: the built-in cards, each a short explanation, a set-up, what to watch, one thing to try,
and a check that reads the live model and says in numbers whether the learner has seen it.

Lessons are data (:data:`LESSONS`); the window shows them as cards, the command line lists them
(``rnn-playground lessons``). A check is a plain function of the model in training
(:class:`LessonContext`): it never trains, it only measures, so it runs between two steps. Where a
claim depends on luck (which seed), the card says so and its set-up runs several seeds (the
lesson's ``seeds``; see playground.core.lessons.claims). The checks of lessons 4 to 10 (gradients) are
in gradients.py, 14's in uses.py, 15 and 16's in interventions.py; :data:`CHECKS` names them all. No Qt
here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from playground.core.errors import PlaygroundError
from playground.core.lessons.cards import CARDS, OUTLINES, TABS, Lesson
from playground.core.lessons.gradients import (
    RELU_ALONE_SLACK,
    check_activation,
    check_bptt,
    check_clipping,
    check_exploding,
    check_identity,
    check_unrolled,
    check_vanishing,
)
from playground.core.lessons.interventions import check_ablation, check_transplant
from playground.core.lessons.results import (
    THIS,
    LessonCheck,
    LessonContext,
    _a,
    _accuracy,
    _model_name,
    _untrained,
)
from playground.core.lessons.spread import seed_claim
from playground.core.lessons.uses import check_uses

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

__all__ = [
    "CHECKS",
    "LESSONS",
    "OUTLINES",
    "RELU_ALONE_SLACK",
    "TABS",
    "Lesson",
    "LessonCheck",
    "LessonContext",
    "check",
    "lesson",
    "seed_claim",
    "setup_of",
    "setup_session",
]


# -- the checks ------------------------------------------------------------------------------------------


def check_order(ctx: LessonContext) -> LessonCheck:
    acc, chance = _accuracy(ctx)
    tr = ctx.trainer
    name = _model_name(tr)
    if tr.session.model.arch == "mlp":
        text = (
            f"The word-averaging model answers {acc:.0%} of held-out sentences right (chance {chance:.0%}): "
            "on this data the feed-forward reference is given the average of the word vectors, and both "
            "orders have the same words. (Lesson 3's feed-forward network reads a window of prices "
            "position by position instead, and does see their order.)"
        )
        return LessonCheck(THIS, acc < 0.65, text, {"accuracy": acc, "chance": chance})
    passed = acc >= 0.9
    text = (
        f"The {name} answers {acc:.0%} of held-out sentences right (chance {chance:.0%}): "
        + ("it reads the order, not just the words." if passed else "not yet: train on, then check again.")
    )
    return LessonCheck(THIS, passed, text, {"accuracy": acc, "chance": chance})


def check_memory(ctx: LessonContext) -> LessonCheck:
    acc, chance = _accuracy(ctx)
    tr = ctx.trainer
    gap = int(tr.session.data.gap)
    name = _model_name(tr)
    vanilla = tr.session.model.arch == "rnn" and not tr.session.model.bidirectional
    differs = ""
    if acc >= 0.9:
        text = f"The {name} answers {acc:.0%} right at d = {gap} (chance {chance:.1%}): it carried the key across {gap} digits."
        passed = True
    elif acc <= chance + 0.1:
        text = (
            f"The {name} answers {acc:.0%} at d = {gap}, and chance is {chance:.1%} (always giving the "
            "commonest answer in the held-out questions): it has forgotten the key."
        )
        passed = vanilla and gap >= 20
        if passed and _untrained(ctx, "long-context"):
            text, passed = _untrained(ctx, "long-context"), False
        elif not passed:
            text += " Not yet: train on, then check again."
    else:
        text = f"The {name} answers {acc:.0%} at d = {gap} (chance {chance:.1%}): partly there."
        passed = False
        if vanilla and tr.session.model.hidden > 32:  # the card's "128 units": capacity
            differs = (
                f"With {tr.session.model.hidden} units the vanilla RNN is partly there in most seeds "
                "(measured at 128 units, 2,000 steps, seeds 0-4: 28%, 88%, 100%, 73%, 84%; at 32 units it "
                "stayed at chance in four of five): more units give the error more ways back to the key."
            )
        elif vanilla:  # the card's Try this, on one of the seeds where the RNN does find the key
            differs = (
                "The vanilla RNN found the key in one of the five seeds the card measured, and this "
                "run is on its way there: press Run 5 seeds for the spread."
            )
        else:
            text += " Not yet: train on, then check again."
    return LessonCheck(THIS, passed, text, {"accuracy": acc, "chance": chance, "gap": gap}, differs)


def check_price(ctx: LessonContext) -> LessonCheck:
    """Feed a rising series ending 10, 11, 12, 13, 14 and compare the model's next value with the
    order-blind average (12) and the last value (14)."""
    from playground.core import inference

    tr = ctx.trainer
    if tr.task.kind == "memory":  # the card's second set-up: where the window runs out
        return _check_window(ctx)
    if tr.task.vocab is not None:
        raise PlaygroundError("this check needs a price series: press Set it up")
    window = int(tr.session.data.window)
    history = np.arange(15 - max(window, 5), 15, dtype=np.float64)  # ..., 10, 11, 12, 13, 14
    pred = float(inference.forecast(tr.model, tr.task, 1, history)[0])
    average = float(np.mean(history[-5:]))
    passed = abs(pred - 15.0) < 0.5
    text = (
        f"After 10, 11, 12, 13, 14 the {_model_name(tr)} says {pred:.2f}. The average of those five prices, "
        f"which ignores their order, says {average:.0f}; the last price alone says 14."
    )
    if tr.session.model.arch == "mlp":
        text += (
            f" The feed-forward network gets the last {window} prices in {window} inputs of their own, so it "
            "reads their order too; what it cannot do is look further back than that fixed window "
            "(the card's second button shows it)."
        )
    return LessonCheck(THIS, passed, text, {"prediction": pred, "average": average})


def _check_window(ctx: LessonContext) -> LessonCheck:
    """Lesson 3 on the memory task: a feed-forward network sees its last ``window`` inputs, so it finds
    the key only while the key is inside them; a recurrent state carries it past any window."""
    tr = ctx.trainer
    acc, chance = _accuracy(ctx)
    gap, m = int(tr.session.data.gap), tr.session.model
    back = gap + 1  # inputs from the key to the "?" the answer comes after
    numbers = {"accuracy": acc, "chance": chance, "gap": gap}
    text = f"The {_model_name(tr)} answers {acc:.0%} at d = {gap} (chance {chance:.1%})."
    if m.arch == "mlp":
        inside = back < int(m.window)
        text += (
            f" It reads the last {m.window} inputs: the key, {back} inputs before the question, is "
            + ("inside that window." if inside else "outside it, so no training can give it the key.")
        )
        if not inside and acc <= chance + 0.1:
            if _untrained(ctx, "recurrent-vs-feedforward"):
                return LessonCheck(THIS, False, _untrained(ctx, "recurrent-vs-feedforward"), numbers)
            return LessonCheck(THIS, True, text, numbers)
        passed = inside and acc >= 0.9
        return LessonCheck(THIS, passed, text + ("" if passed else " Not yet: train on."), numbers)
    passed = acc >= 0.9
    text += (
        f" Its state carries the key across the {gap} digits, past any fixed window; the Compare tab's "
        "sweep sets the feed-forward network beside it."
        if passed
        else " Not yet: train on, then check again."
    )
    return LessonCheck(THIS, passed, text, numbers)


# A unit "keeps" its cell (LSTM) or state (GRU) from the key to the question when the product of its
# gate over those steps is above this: half of what it held at the key is still there at the answer.
KEEPS = 0.5


def gate_keeps(ctx: LessonContext) -> tuple[str, np.ndarray, int, int]:
    """(gate name, per unit: the share of its cell or state kept from the key to the question, key
    step, steps between) for the top layer of the probe sequence of a memory task."""
    from playground.core.inspect.reach import needed_positions

    tr = ctx.trainer
    arch = tr.session.model.arch
    if arch not in ("lstm", "gru"):
        raise PlaygroundError("gates are an LSTM's or a GRU's: switch to one (Try this)")
    if tr.task.kind != "memory":
        raise PlaygroundError("this check needs the memory task (the key and the question): press Set it up")
    probe = tr.probe()
    name = "f" if arch == "lstm" else "z"  # LSTM: c = f·c + i·g; GRU (PyTorch): h = z·h + (1 − z)·n
    gate = probe.gates.get(name)
    if gate is None:
        raise PlaygroundError("no gate values in this probe")
    key = min(needed_positions(tr.task, probe.labels) or (0,))
    between = np.asarray(gate[-1, key + 1 :], dtype=np.float64)  # (steps after the key, units)
    return name, np.prod(between, axis=0), key, len(between)


def check_gates(ctx: LessonContext) -> LessonCheck:
    """Not the gate's mean (0.5 over 20 steps keeps 0.5^20 of a memory): the share of its cell each
    unit keeps from the key to the question, the product of its gate over those steps."""
    tr = ctx.trainer
    _name, keeps, _key, steps = gate_keeps(ctx)
    lstm = tr.session.model.arch == "lstm"
    word = "forget gate f" if lstm else "update gate z"
    what = "cell" if lstm else "state"
    holding = int(np.sum(keeps > KEEPS))
    acc, chance = _accuracy(ctx)
    text = (
        f"From the key to the question ({steps} steps) {holding} of {len(keeps)} units keep more than half "
        f"of their {what} (the best keeps {float(keeps.max()):.2f}: its {word} stays near 1 at every step); "
        f"the others are free to change. The {_model_name(tr)} answers {acc:.0%} (chance {chance:.1%})."
    )
    numbers = {"holding": float(holding), "best_keep": float(keeps.max()), "accuracy": acc, "chance": chance}
    passed = holding >= 1 and acc >= 0.9
    if not passed:
        text += " Not yet: train on, then check again."
    return LessonCheck(THIS, passed, text, numbers)


def check_bidirectional(ctx: LessonContext) -> LessonCheck:
    tr = ctx.trainer
    m = tr.session.model
    acc, chance = _accuracy(ctx)
    gap = int(tr.session.data.gap) if tr.task.kind == "memory" else 0
    name = _model_name(tr) if m.bidirectional else f"one-directional {_model_name(tr)}"
    text = f"The {name} answers {acc:.0%} at d = {gap} (chance {chance:.1%})."
    numbers = {"accuracy": acc, "gap": gap}
    if m.bidirectional:
        text += " Its backward pass reads the key one step before the answer."
        passed = acc >= 0.9
        if not passed:
            text += " Not yet: train on, then check again."
        return LessonCheck(THIS, passed, text, numbers)
    if m.arch == "rnn" and gap >= 20 and acc <= chance + 0.1:  # the card's Try this: the contrast seen
        if _untrained(ctx, "bidirectional"):
            return LessonCheck(THIS, False, _untrained(ctx, "bidirectional"), numbers)
        text += (
            f" Reading forwards only, the key is {gap} steps back when the answer is due, and the "
            "error does not reach it; the bidirectional model's backward pass reads the key last."
        )
        return LessonCheck(THIS, True, text, numbers)
    why = (
        f"the contrast is for the vanilla RNN: {_a(_model_name(tr))} can carry a key {gap} steps through "
        "its gates (lesson 11)"
        if m.arch != "rnn"
        else f"at d = {gap} the key is near enough for one direction: set d to 40 or more"
        if gap < 20
        else "this run is on its way to the key, which one direction seldom finds at this distance"
    )
    return LessonCheck(THIS, False, text, numbers, differs=why[0].upper() + why[1:] + ".")


def check_shapes(ctx: LessonContext) -> LessonCheck:
    """The one-to-many words: how many the model writes right from their first letter alone."""
    from playground.core.inference import model_fn

    tr = ctx.trainer
    spec = tr.task.spec
    shape = f"{spec.label}: {spec.shape}. {SHAPE_WORDS.get(spec.shape, '')}"
    if spec.shape != "one-to-many":
        return LessonCheck(THIS, False, shape + " The check needs the one-to-many words: press Set it up.", {})
    result = tr.task.evaluate(model_fn(tr.model), tr.device)
    words = tr.task.words
    right, n = round(result["accuracy"] * len(words)), len(words)
    numbers = {"accuracy": float(result["accuracy"]), "chance": float(result["chance"])}
    if tr.session.model.arch == "mlp":
        window = int(tr.session.model.window)
        short = [w for w in words if len(w) <= window]
        text = (
            f"The feed-forward network (window {window}) writes {right} of {n} words right; {len(short)} of "
            f"them have at most {window} letters. After {window} steps its window holds only blanks, so it "
            "cannot know which word it was writing."
        )
        passed = right <= len(short)
    else:
        passed = result["accuracy"] >= 0.9
        text = (
            f"The {_model_name(tr)} writes {right} of {n} words right from their first letter alone (a model "
            "that ignored the letter would get 1). After step 0 its inputs are blanks: every later letter "
            "came from its hidden state."
        )
        if not passed:
            text += " Not yet all: train on, then check again."
    return LessonCheck(THIS, passed, text, numbers)

SHAPE_WORDS = {
    "many-to-many": "A prediction after every input: each character predicts the next one.",
    "many-to-one": "A whole sequence in, one answer out: the answer comes after the last input.",
    "one-to-many": "One input, a whole sequence out: after the first step the inputs say nothing, so the "
    "sequence comes from the hidden state.",
    "encoder-decoder": "One network reads the whole input, another writes an output of its own length.",
}

CHECKS: dict[str, Callable[[LessonContext], LessonCheck]] = {
    "order": check_order,
    "long-context": check_memory,
    "recurrent-vs-feedforward": check_price,
    "unrolled": check_unrolled,
    "bptt": check_bptt,
    "vanishing": check_vanishing,
    "exploding": check_exploding,
    "activations": check_activation,
    "identity-init": check_identity,
    "clipping": check_clipping,
    "gates": check_gates,
    "bidirectional": check_bidirectional,
    "shapes": check_shapes,
    "uses": check_uses,
    "ablation": check_ablation,
    "transplant": check_transplant,
}


def check(lesson_id: str, ctx: LessonContext, card: Lesson | None = None) -> LessonCheck:
    """Run a lesson's check on the live model; a check that cannot read this model says why. The
    checks leave their lesson's id to this function (``THIS``): the ids are spelled in the cards.
    ``card``: a lesson read from a teacher's file (its check is a measured quantity, or a built-in one)."""
    if card is None:  # a built-in card whose check is a measured quantity (the classics) is judged by it
        card = next((c for c in LESSONS if c.id == lesson_id and c.check.quantity), None)
    if card is not None:
        if card.check.quantity:
            return _measured_check(card, ctx)
        lesson_id = card.check.builtin
    fn = CHECKS.get(lesson_id)
    if fn is None:
        raise PlaygroundError(f"unknown lesson {lesson_id!r}: choose one of {', '.join(CHECKS)}")
    try:
        found = fn(ctx)
    except PlaygroundError as e:
        found = LessonCheck(THIS, False, str(e), {})
    return found if found.lesson else dataclasses.replace(found, lesson=lesson_id)


def _measured_check(card: Lesson, ctx: LessonContext) -> LessonCheck:
    """A lesson file's check: its quantity against its threshold, said in its own sentences."""
    from playground.core.lessons.quantities import measure

    spec = card.check
    try:
        value = measure(spec.quantity, ctx)
    except PlaygroundError as e:
        return LessonCheck(card.id, False, str(e), {})
    holds = value > spec.above if spec.above is not None else value < float(spec.below)  # type: ignore[arg-type]
    shown = f"{value:.4g}"
    text = (spec.passed if holds else spec.not_yet).format(value=shown)
    return LessonCheck(card.id, holds, text, {spec.quantity: value}, "" if holds else _other_model(card, ctx))


def _other_model(card: Lesson, ctx: LessonContext) -> str:
    """A built-in card's check that does not hold on another architecture than the card's (its Try
    this, say): one sentence that this is the contrast, not a run still on its way."""
    from playground.core.config import ARCH_NAMES

    if not card.builtin:
        return ""
    wanted, arch = setup_of(card).model.arch, ctx.trainer.session.model.arch
    if arch == wanted:
        return ""
    return (
        f"This is a {ARCH_NAMES[arch]}, not the card's {ARCH_NAMES[wanted]}: the card's claim is that the "
        f"{ARCH_NAMES[wanted]} passes this check and the {ARCH_NAMES[arch]} does not, and here it does not."
    )


def lesson(lesson_id: str) -> Lesson:
    for item in LESSONS:
        if item.id == lesson_id:
            return item
    raise PlaygroundError(f"unknown lesson {lesson_id!r}: choose one of {', '.join(x.id for x in LESSONS)}")


def setup_session(lesson_id: str) -> Any:
    """The session a lesson's "Set it up" loads (its preset's model, data and training settings): the
    window's card and ``rnn-playground train --lesson ID`` both start from it."""

    card = lesson(lesson_id)
    return setup_of(card)


def setup_of(card: Lesson) -> Any:
    """The session a card's "Set it up" loads: its preset, with the card's own [setup.*] settings over it."""
    from playground.core.lessons.files import apply_settings
    from playground.core.presets import PRESETS

    if card.preset not in PRESETS:
        raise PlaygroundError(f"lesson {card.number}: its preset {card.preset!r} is missing")
    return apply_settings(PRESETS[card.preset][1], card.settings)

LESSONS: tuple[Lesson, ...] = CARDS  # the words live in playground/core/lessons/cards.py
