"""The lessons: the built-in cards, each a short explanation, a set-up, what to watch, one thing to try,
and a check that reads the live model and says in numbers whether the learner has seen it.

Lessons are data (:data:`LESSONS`); the window shows them as cards, the command line lists them
(``rnn-playground lessons``). A check is a plain function of the model in training
(:class:`LessonContext`): it never trains, it only measures, so it runs between two steps. Where a
claim depends on luck (which seed), the card says so and its set-up runs several seeds (the
lesson's ``seeds``; see playground.core.lessons.claims). No Qt here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from playground.core.errors import PlaygroundError
from playground.core.lessons.cards import CARDS, OUTLINES, TABS, Lesson
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


def _probe_reach(ctx: LessonContext, fraction: float = 1e-3) -> tuple[int, int, float]:
    """(steps back the newest probe's gradient reaches at ``fraction`` of the last, sequence length,
    share at the first step) for the top layer."""
    from playground.core.inspect.reach import gradient_reach

    g = ctx.trainer.probe().grad_norm[-1]
    r = gradient_reach(g, fraction)
    first = float(g[0] / g[-1]) if g[-1] > 0 else float("nan")
    return (0 if r is None else r.steps), len(g), first


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


def check_unrolled(ctx: LessonContext) -> LessonCheck:
    """The same W_hh at every step: rebuild each h_t from the shared weights and compare."""
    tr = ctx.trainer
    if not tr.model.recurrent:
        raise PlaygroundError("the unrolled picture is for recurrent models: choose an RNN, LSTM or GRU")
    probe = tr.probe()
    terms = tr.recurrence_terms_all(0)
    hidden = probe.hidden[0]
    width = hidden.shape[1] // (2 if tr.session.model.bidirectional else 1)
    worst = 0.0
    for t, term in enumerate(terms):
        h = np.asarray(term.get("h", term.get("h_t", hidden[t, :width])), dtype=np.float64)
        worst = max(worst, float(np.max(np.abs(h - hidden[t, :width]))))
    core = tr.session.model
    n = len(terms)
    text = (
        f"{n} steps, one set of weights: rebuilt from the shared {core.hidden}×{core.hidden} W_hh at every step, "
        f"each h_t matches the model's own to {worst:.0e}."
    )
    return LessonCheck(THIS, worst < 1e-4, text, {"steps": n, "max_difference": worst})


def check_bptt(ctx: LessonContext) -> LessonCheck:
    reach, length, first = _probe_reach(ctx)
    unit = ctx.trainer.task.spec.step_unit
    text = (
        f"The last prediction's error flows back {reach} of {length - 1} {unit} at 10⁻³ of its strength; "
        f"the first {unit[:-1]} gets {first:.1e} of it."
    )
    return LessonCheck(THIS, reach > 0, text, {"reach": reach, "length": length, "first": first})


def check_vanishing(ctx: LessonContext) -> LessonCheck:
    from playground.core.inspect.reach import needed_positions

    tr = ctx.trainer
    probe = tr.probe()
    g = probe.grad_norm[-1]
    needed = needed_positions(tr.task, probe.labels) or (0,)
    share = float(min(g[i] for i in needed) / g[-1]) if g[-1] > 0 else float("nan")
    numbers = {"share_at_needed": share}
    text = f"The gradient reaching the step the answer needs is {share:.1e} of the last step's."
    passed = share < 1e-3
    if tr.task.classes is None:
        return LessonCheck(THIS, passed, text, numbers)
    acc, chance = _accuracy(ctx)
    numbers.update(accuracy=acc, chance=chance)
    text += f" The {_model_name(tr)} answers {acc:.0%} (chance {chance:.1%})."
    if tr.session.model.arch in ("lstm", "gru"):  # the card's Try this: the gated model beside the RNN
        # Measured after the card's 2,000 steps (seeds 0-2): the LSTM's share at the key 1.3e-3 to
        # 2.8e-2 and 100% right, the vanilla RNN's 6e-8 to 8e-8 at chance.
        passed = acc >= 0.9 and share >= 1e-4
        if passed:
            text += (
                " Along its gated cell the error still reaches the key (a vanilla RNN that has not found "
                "the key gets below 10⁻³ there), so it learned to carry the key."
            )
        else:
            text += " Not yet: train on, then check again."
        return LessonCheck(THIS, passed, text, numbers)
    passed = passed and acc <= chance + 0.1
    if passed and _untrained(ctx, "vanishing"):
        return LessonCheck(THIS, False, _untrained(ctx, "vanishing"), numbers)
    if acc >= 0.9:
        why = (
            "In one of the five seeds the card measured the vanilla RNN finds the key after all, and this "
            "run is that kind: its gradient did reach the key. Set it up again for the typical run."
        )
        return LessonCheck(THIS, False, text, numbers, differs=why)
    return LessonCheck(THIS, passed, text, numbers)


def _spikes(ctx: LessonContext) -> tuple[float, float, float]:
    """(peak, median, peak / median) of the recent gradient norms before clipping."""
    g = ctx.grad_norms[np.isfinite(ctx.grad_norms)]
    typical = float(np.median(g)) if len(g) else float("nan")
    peak = float(np.max(g)) if len(g) else float("nan")
    return peak, typical, (peak / typical if typical > 0 else float("inf"))


def check_exploding(ctx: LessonContext) -> LessonCheck:
    train = ctx.trainer.session.train
    if len(ctx.grad_norms) < 10 and not ctx.refused:
        return LessonCheck(THIS, False, "Press Play and let it train a little first.", {})
    peak, typical, ratio = _spikes(ctx)
    numbers = {"peak": peak, "median": typical}
    text = (
        f"The gradient norm peaked at {peak:.3g}, {ratio:.0f}× its median {typical:.2g}"
        + (f", and {ctx.refused} steps went NaN and were refused." if ctx.refused else ".")
    )
    if train.clip == "off":
        return LessonCheck(THIS, ctx.refused > 0 or ratio > 100, text, numbers)
    # Clipping is on (the card's Try this): the spikes may still come, but no update follows them.
    losses = np.asarray(ctx.trainer.history.losses[-max(1, len(ctx.grad_norms)) :], dtype=np.float64)
    calm = ctx.refused == 0 and bool(np.all(np.isfinite(losses)))
    limit = f"norm {train.clip_value:g}" if train.clip == "norm" else f"value {train.clip_value:g}"
    if calm:
        text += (
            f" Clipped at {limit}, no update was larger than the limit and the loss stayed finite: the "
            "spikes no longer throw the weights away (lesson 10)."
        )
        return LessonCheck(THIS, True, text, numbers)
    why = (
        f"Even clipped at {limit}, steps went NaN: the weights had blown up before clipping was turned "
        "on; press Set it up, then clip before training."
    )
    return LessonCheck(THIS, False, text, numbers, differs=why)


# Lesson 8's four fresh models: (activation, init). Measured at initialisation over seeds 0-4 on the
# lesson's 21-step probe: tanh + default reaches 9-10 steps back at 10^-3, ReLU + default 7-9 (ReLU
# alone is no help: the error still passes through a small random W_hh at every step), tanh + identity
# and ReLU + identity all 21, but the first step gets 0.002-0.035 of the last step's gradient with
# tanh against 0.47-0.61 with ReLU (its slope of exactly one lets the identity pass the error on).
ACTIVATION_INIT = (("tanh", "default"), ("relu", "default"), ("tanh", "identity"), ("relu", "identity"))
RELU_ALONE_SLACK = 2  # "no further": ReLU + default reaches at most this many steps beyond tanh + default


def check_activation(ctx: LessonContext) -> LessonCheck:
    """At initialisation, the activation and the initialisation apart: all four combinations."""
    from playground.core.inspect.reach import gradient_reach

    tr = ctx.trainer
    reach: dict[str, int] = {}
    first: dict[str, float] = {}
    for activation, init in ACTIVATION_INIT:
        r = gradient_reach(tr.probe_at_init(arch="rnn", activation=activation, init=init).grad_norm[-1])
        reach[f"{activation}+{init}"] = 0 if r is None else r.steps
        first[f"{activation}+{init}"] = float("nan") if r is None else float(r.first)
    back = len(tr.probe().labels) - 1
    relu_alone = reach["relu+default"] <= reach["tanh+default"] + RELU_ALONE_SLACK
    identity_helps = min(reach["tanh+identity"], reach["relu+identity"]) > max(
        reach["tanh+default"], reach["relu+default"]
    )
    relu_keeps_more = first["relu+identity"] > first["tanh+identity"]
    text = (
        f"Fresh models, {back} steps back at 10⁻³: tanh reaches {reach['tanh+default']}, ReLU "
        f"{reach['relu+default']}: ReLU alone is no help. With W_hh = I: tanh {reach['tanh+identity']}, "
        f"ReLU {reach['relu+identity']}, and the first step gets {first['tanh+identity']:.1g} of the last "
        f"step's gradient with tanh against {first['relu+identity']:.2g} with ReLU. The start carries the "
        "gradient; ReLU's slope of one lets the identity pass it on unchanged (lesson 9)."
    )
    numbers = {f"reach {k}": float(v) for k, v in reach.items()} | {f"first {k}": v for k, v in first.items()}
    return LessonCheck(THIS, relu_alone and identity_helps and relu_keeps_more, text, numbers)


def check_identity(ctx: LessonContext) -> LessonCheck:
    tr = ctx.trainer
    m = tr.session.model
    with_identity = _reach_at_init(tr, arch="rnn", activation=m.activation, init="identity")
    default = _reach_at_init(tr, arch="rnn", activation=m.activation, init="default")
    length = len(tr.probe().labels)
    text = (
        f"With W_hh = I at the start the gradient reaches {with_identity} of {length - 1} steps back "
        f"({m.activation}); with the default init, {default}."
    )
    return LessonCheck(
        THIS, with_identity > default, text, {"identity": with_identity, "default": default}
    )


def _reach_at_init(tr: Any, **model_changes: Any) -> int:
    """Steps back the gradient reaches (10⁻³) for a fresh model like ``tr``'s with ``model_changes``."""
    from playground.core.inspect.reach import gradient_reach

    r = gradient_reach(tr.probe_at_init(**model_changes).grad_norm[-1])
    return 0 if r is None else r.steps


def check_clipping(ctx: LessonContext) -> LessonCheck:
    train = ctx.trainer.session.train
    before = ctx.grad_norms[np.isfinite(ctx.grad_norms)]
    after = ctx.grad_norms_clipped[np.isfinite(ctx.grad_norms_clipped)]
    if len(before) < 10 and not ctx.refused:
        return LessonCheck(THIS, False, "Press Play and let it train a little first.", {})
    losses = np.asarray(ctx.trainer.history.losses[-max(1, len(ctx.grad_norms)) :], dtype=np.float64)
    finite = bool(np.all(np.isfinite(losses)))
    if train.clip == "off":  # the card's Try this: the same network without clipping
        peak, typical, ratio = _spikes(ctx)
        text = (
            f"Without clipping the gradient norm peaked at {peak:.3g}, {ratio:.0f}× its median {typical:.2g}"
            + (f", and {ctx.refused} steps went NaN and were refused" if ctx.refused else "")
            + "."
        )
        numbers = {"max_before": peak, "median": typical}
        if ctx.refused > 0 or not finite or ratio > 100:
            text += " Every one of those spikes went into the weights: clipping is what kept this network calm."
            return LessonCheck(THIS, True, text, numbers)
        why = (
            "This model was trained with clipping first and no longer meets the huge early gradients: "
            "without clipping from the first step it blows up within a few steps (lesson 7)."
        )
        return LessonCheck(THIS, False, text + " The loss stayed finite.", numbers, differs=why)
    clipped_share = float(np.mean(before > train.clip_value + 1e-6)) if train.clip == "norm" else float("nan")
    text = (
        f"Gradient norms reached {before.max():.3g} before clipping and at most {after.max():.3g} after; "
        f"{clipped_share:.0%} of the recent steps were clipped, and the loss stayed "
        + ("finite." if finite else "NOT finite.")
    )
    return LessonCheck(
        THIS, finite and ctx.refused == 0, text, {"max_before": float(before.max()), "max_after": float(after.max())}
    )


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
