"""Lessons 15 and 16's checks: from correlation to cause, on a model of the quotes data (no Qt).

Lesson 15 asks whether the model *needs* the unit that follows "inside a quotation" best: it holds that
unit at zero while the model reads the held-out text (``intervene.ablate``, what the Neurons tab's Ablate
does) and sets the rise of the loss inside quotations beside ten random units' and beside the rise outside.
Lesson 16 carries a memory into another sentence (``intervene.patch``, the scrubber's transplant): the
state after a source that ends inside a quotation, put into plain sentences, and the share of capitals the
model writes then, beside the share it writes without.

Both measure the live model and never train. The card's words and the claims behind them (over seeds) are
in resources/lessons/15-ablation.toml and 16-transplant.toml and tests/test_intervene_lessons.py.
"""

from __future__ import annotations

from typing import Any

from playground.core.errors import PlaygroundError
from playground.core.lessons.results import THIS, LessonCheck, LessonContext, _model_name, _untrained

__all__ = ["ABLATION_CLAIM", "CORRELATES", "LENGTH", "SOURCES", "TARGETS", "capitals", "check_ablation", "check_transplant"]

# Lesson 15's claim, measured on the quotes preset (LSTM, 64 units, 8,000 steps), seeds 0-2: the best quote
# unit is not needed alone (its cost inside is below the costliest random unit's). The question's answer.
ABLATION_CLAIM = ("alone",)
CORRELATES = 0.8  # |r| at least this: the unit follows the quotes (a trained quotes model's best: 0.88 to 0.94)
# Lesson 16's prompts: sources that end inside a quotation, targets that are plain prose.
SOURCES = ('he said, "', 'the old baker asked, "', 'anna whispered, "')
TARGETS = ("the miller carried a ", "then the sailor walked to the ", "greta found a ")
LENGTH = 40  # characters written after each target, greedily
WRITES_QUOTED = 0.8  # a share of capitals at least this: the quoted style
WRITES_PLAIN = 0.2  # at most this: plain prose


def _quotes() -> str:
    """The quotes data kind's name, which its Neurons tab track shares (imported when a check runs: the data
    module brings torch, and the lessons are read at start-up)."""
    from playground.core.data.quotes import KIND

    return KIND


def _quotes_model(ctx: LessonContext) -> Any:
    tr = ctx.trainer
    if tr.task.kind != _quotes():
        raise PlaygroundError("this check reads a model of the quotes data: press Set it up")
    return tr


def check_ablation(ctx: LessonContext) -> LessonCheck:
    """The unit whose h follows the quotes best: its |r|, and what holding it at zero costs inside and outside
    quotations beside ten random units of its layer (the Neurons tab's Ablate, on the held-out text)."""
    from playground.core.inspect import intervene, neurons

    tr = _quotes_model(ctx)
    text = neurons.default_text(tr.task)
    ranking = neurons.rank_units(tr.model, tr.task, text, _quotes(), top=None)
    best = next(u for u in ranking.units if u.kind == "h")
    r = abs(float(best.correlation))
    a = intervene.ablate(tr.model, tr.task, text, [(best.layer, best.unit, "h")], _quotes(), seed=0)
    cost = a.units[0]
    worst = max(c.inside for c in a.random)
    needed = a.beats_random(cost)
    numbers = {
        "r": r,
        "inside": cost.inside,
        "outside": cost.outside,
        "random_max": worst,
        "needed": float(needed),
        "hidden": float(tr.session.model.hidden),
    }
    unit = f"unit {best.layer}:{best.unit}"
    said = (
        f"The {_model_name(tr)}'s {unit} follows the quotes with |r| = {r:.2f}. Held at zero, it raises the loss "
        f"inside quotations by {cost.inside:+.3f} nats per character and outside by {cost.outside:+.3f}; the "
        f"costliest of {len(a.random)} random units raises it inside by {worst:+.3f}."
    )
    if _untrained(ctx, "ablation"):  # (a fresh model has units that follow the quote marks too: 0.72 at 3 steps)
        return LessonCheck(THIS, False, said + " " + _untrained(ctx, "ablation"), numbers)
    if r < CORRELATES:
        return LessonCheck(
            THIS, False, said + f" No unit follows the quotes closely yet (|r| under {CORRELATES}): train on.", numbers
        )
    if needed:  # the look-alike of the card's claim: possible, and worth saying why
        why = (
            "In this run the model does need it: it costs more inside than every random unit, and more than "
            "outside. The card measured the opposite at 64 units in three seeds of three, where the quotation "
            "is spread over several units; a model with other settings, or luck, can lean on one."
        )
        return LessonCheck(THIS, False, said, numbers, differs=why)
    said += (
        " The model does not need it alone: the unit correlates, but holding it costs no more than a random "
        "unit (or no more inside than outside). Other units hold the quotation too."
    )
    return LessonCheck(THIS, True, said, numbers)


def capitals(texts: list[str]) -> float:
    """The share of capitals among the letters each of ``texts`` has before its first double quote mark (0 when
    there are none): the style the model writes on in from where the state was put in. A quotation it opens
    (or closes) by itself later is its own doing, not the carried memory's: a plain sentence may well go on
    to 'he said, "WE ...' within 40 characters (measured: 18% of all letters on seed 0, 0% before the mark)."""
    letters = [ch for text in texts for ch in text.split('"', 1)[0] if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / max(1, len(letters))


def check_transplant(ctx: LessonContext) -> LessonCheck:
    """The state after each source (ending inside a quotation) put into each plain target: the share of
    capitals the model writes on from there, beside the share it writes after the target as it is."""
    from playground.core.inspect import intervene, neurons

    tr = _quotes_model(ctx)
    with neurons.small_ops_threads(tr.model):  # (its steps are small: one thread reads them fastest)
        pairs = [
            intervene.patch(tr.model, tr.task, s, t, length=LENGTH, temperature=0.0)
            for s in SOURCES
            for t in TARGETS
        ]
    unpatched = capitals([p.unpatched for p in pairs[: len(TARGETS)]])  # (the same after every source)
    patched = capitals([p.patched for p in pairs])
    numbers = {"patched": patched, "unpatched": unpatched}
    said = (
        f"After {len(TARGETS)} plain sentences the {_model_name(tr)} writes on with {unpatched:.0%} capitals (up to "
        f"the next quote mark it writes); with the state it had after {SOURCES[0]!r} (and {len(SOURCES) - 1} other "
        f"openings of a quotation) put in, {patched:.0%}."
    )
    if unpatched > WRITES_PLAIN:
        return LessonCheck(
            THIS, False, said + " It does not write the plain sentences in plain prose yet: train on.", numbers
        )
    if patched >= WRITES_QUOTED:
        said += ' The memory "inside a quotation" travelled with the state into a sentence that never opened one.'
        return LessonCheck(THIS, True, said, numbers)
    return LessonCheck(THIS, False, said + " The transplant does not carry the quoted style yet: train on.", numbers)
