"""The claim behind ablation and transplant (issue 32), on a model trained on the quotes kind: where does
it keep "inside a quotation"? Slow (a model per seed, about 90 s on one thread, trained once and shared by the
tests here): ``-m lessons``.

Measured on seeds 0-2 (`train --data quotes --hidden 64 --steps 8000`, held-out prompts below, 9 pairs,
40 characters written greedily after each; the share of capitals among the letters written):

* the whole state after a source prompt that ends inside a quotation, put into a plain sentence: 1.00,
  1.00, 1.00; the plain sentence on its own: 0.00, 0.00, 0.00;
* only the unit that follows the quotes best (|r| 0.88, 0.88, 0.92; its h and c): 0.00, 0.00, 0.18;
* the 16 units that follow them best: 1.00, 1.00, 1.00; 16 units drawn at random, the mean of 5 draws:
  0.14, 0.11, 0.05 (single draws 0 to 0.33) (8 best: 1.00, 0.66, 0.90; 2 best: 0.00);
* holding the best unit at zero over 5,000 held-out characters raises the loss inside quotations by
  0.082, 0.062, 0.115 nats per character, less than the most costly of ten random units of its layer
  (0.39, 0.15, 0.21), and no more inside than outside (0.084, 0.118, 0.151).

Narrower models (LSTM 8 to 32, GRU 16 and 32, vanilla RNN 16; held at zero or at its mean) do not make the one
unit needed either: benchmarks/ablation_sweep.py has the sweep; none holds in all three seeds.

Lessons 15 and 16 (their cards set up this same model: the quotes preset, 8,000 steps) check it in the window:
their claims over the same seeds are the last two tests here, on the same trained models. Measured:

* lesson 15 (random units drawn with seed 0): the costliest random unit 0.39, 0.19, 0.28; five more units drawn
  at random per seed, ablated alike: none needed. Held at its mean instead: 0.097, 0.049, 0.234 inside, 0.068,
  0.138, 0.080 outside, the costliest random unit 0.41, 0.19, 0.28: not needed either;
* lesson 16: 1.00 capitals (letters up to the next quote mark) with the state carried in, 0.00 without; the
  state after a quotation opened and closed, carried in: 0.00 (counting every letter of the 40, seed 0's plain
  sentences gave 0.18 and seed 1's closed quotation 0.31: the model opened quotations of its own).

So the unit that correlates best is not where the memory lives on its own: a handful of units hold it
together, and the model does not need any one of them. That is what the Neurons tab's Ablate column and
the scrubber's transplant let a learner find out, and what the README says.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from lesson_seeds import seeds

from playground.core import lessons
from playground.core.inspect import intervene, neurons
from playground.core.lessons import LessonContext
from playground.core.lessons.claims import lesson_session
from playground.core.lessons.predictions import PREDICTIONS
from playground.core.train.trainer import Trainer

# Prompts written for this test only (words the generator never writes): sources that end inside a
# quotation, targets that are plain prose.
SOURCES = ('the lighthouse keeper said, "', 'my aunt whispered, "', 'a postman asked, "')
TARGETS = ("somebody knocked twice and ", "the bicycle leaned on the ", "my uncle painted a ")
TOP = 16  # units that follow the quotes best, carried together
DRAWS = 5  # random groups of TOP units (a quarter of the layer: some draws hold a few quote units)


@functools.cache
def quotes_model(seed: int) -> Trainer:
    """The quotes preset (an LSTM of 64 units) trained 8,000 steps, data and weights from ``seed``: what
    lessons 15 and 16 set up (their cards' steps), the same as `train --data quotes --hidden 64 --steps 8000
    --seed S --data-seed S`. Trained once per seed and shared by the tests below."""
    steps = lessons.lesson("ablation").steps
    assert steps == lessons.lesson("transplant").steps == 8000
    tr = Trainer(lesson_session("quotes", seed))
    assert tr.session.model.hidden == 64 and tr.session.model.arch == "lstm" and not tr.session.model.attention
    for _ in range(steps):
        tr.step()
    tr.model.eval()
    return tr


def capitals(texts: list[str]) -> float:
    letters = [ch for text in texts for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / max(1, len(letters))


def carried(model, task, units=None) -> float:
    """The share of capitals written after each target with ``units`` (None: the whole state) carried in
    from each source (greedy, 40 characters)."""
    return capitals(
        [intervene.patch(model, task, s, t, units=units, length=40).patched for s in SOURCES for t in TARGETS]
    )


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_the_quotation_lives_in_a_handful_of_units_not_in_the_one_that_follows_it_best(capsys, seed):
    tr = quotes_model(seed)
    model, task = tr.model, tr.task
    text = neurons.default_text(task)
    ranking = neurons.rank_units(model, task, text, "quotes", top=None)
    best = next(u for u in ranking.units if u.kind == "h")
    order: list[tuple[int, int]] = []
    for u in ranking.units:  # units by their best |r| (an LSTM's h and c of a unit count once)
        if (u.layer, u.unit) not in order:
            order.append((u.layer, u.unit))
    rng = np.random.default_rng(seed)
    draws = [[(0, int(u), "h") for u in rng.choice(model.cfg.hidden, TOP, replace=False)] for _ in range(DRAWS)]
    ablation = intervene.ablate(model, task, text, [(best.layer, best.unit, "h")], "quotes", seed=seed)
    figures = {
        "seed": seed,
        "best": [best.layer, best.unit, round(best.correlation, 3)],
        "plain": capitals(
            [intervene.patch(model, task, SOURCES[0], t, length=40).unpatched for t in TARGETS]
        ),
        "whole state": carried(model, task),
        "best unit": carried(model, task, [(best.layer, best.unit, "h")]),
        f"best {TOP}": carried(model, task, [(layer, unit, "h") for layer, unit in order[:TOP]]),
        f"random {TOP}": [carried(model, task, units) for units in draws],
        "ablate best": ablation.units[0].as_dict(),
        "ablate random": ablation.spread(),
    }
    with capsys.disabled():
        print(json.dumps(figures))
    assert abs(best.correlation) >= 0.8
    # the memory travels with the state, and with the units that follow the quotes, not with random ones
    assert figures["whole state"] >= 0.9 and figures["plain"] <= 0.1, figures
    assert figures[f"best {TOP}"] >= 0.9 and np.mean(figures[f"random {TOP}"]) <= 0.3, figures
    # ... but not with the best unit alone, and the model does not need it alone: the look-alike
    assert figures["best unit"] <= 0.3, figures
    assert not ablation.beats_random(ablation.units[0]), figures


# -- lessons 15 and 16: their checks on the model their cards set up ----------------------------------------
CLOSED = ('he said, "WE WAIT BY THE FIRE." then ', 'anna asked, "WHERE IS THE BOAT?" and ')  # a quotation closed


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_lesson_15_the_best_quote_unit_correlates_and_the_model_does_not_need_it_alone(capsys, seed):
    """The card's claim: after its 8,000 steps the unit that follows the quotes best has |r| >= 0.8, and held at
    zero it costs less inside quotations than the costliest of ten random units (or no more than outside): the
    check passes and the question's measured answer is "not alone". The look-alike: units drawn at random,
    ablated the same way, are not "needed" either (no ✓ for a unit chosen by nothing)."""
    tr = quotes_model(seed)
    found = lessons.check("ablation", LessonContext(tr))
    said = PREDICTIONS["ablation"].measure(found, tr.session, int(tr.steps))
    rng = np.random.default_rng(100 + seed)
    looks = []
    for unit in rng.choice(tr.session.model.hidden, 5, replace=False):
        a = intervene.ablate(tr.model, tr.task, neurons.default_text(tr.task), [(0, int(unit), "h")], "quotes")
        looks.append((int(unit), a.beats_random(a.units[0])))
    best = neurons.rank_units(tr.model, tr.task, neurons.default_text(tr.task), "quotes", top=None)
    unit = next(u for u in best.units if u.kind == "h")
    mean = intervene.ablate(
        tr.model, tr.task, neurons.default_text(tr.task), [(unit.layer, unit.unit, "h")], "quotes", mode="mean"
    )
    with capsys.disabled():  # (held at its mean instead of zero: printed for the README's table, not asserted)
        print(json.dumps({"seed": seed, "lesson 15": found.numbers, "random units needed": looks,
                          "mean": [mean.units[0].inside, mean.units[0].outside, mean.spread()["inside"]["max"]]}))  # fmt: skip
    assert found.passed and not found.differs, found.text
    n = found.numbers
    assert n["r"] >= 0.8 and not n["needed"], found.text
    assert n["inside"] <= n["random_max"] or n["inside"] <= n["outside"], found.text
    assert said.choice == "alone" and said.choice in PREDICTIONS["ablation"].claim, said
    assert sum(needed for _, needed in looks) == 0, looks


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_lesson_16_the_state_after_an_open_quotation_writes_capitals_in_a_plain_sentence(capsys, seed):
    """The card's claim: the state after a source that ends inside a quotation, put into plain sentences, makes
    the model write on with at least 80% capitals (up to the next quote mark it writes) where the sentences alone
    give at most 20%: the check passes and the
    measured answer is "in capitals". The look-alike: the state after a quotation that was opened *and closed*
    carried the same way leaves the sentences plain (a transplant alone does not make capitals)."""
    from playground.core.lessons.interventions import LENGTH, TARGETS
    from playground.core.lessons.interventions import capitals as style

    tr = quotes_model(seed)
    found = lessons.check("transplant", LessonContext(tr))
    said = PREDICTIONS["transplant"].measure(found, tr.session, int(tr.steps))
    closed = style(  # (letters up to the next quote mark, as the check counts them)
        [intervene.patch(tr.model, tr.task, s, t, length=LENGTH).patched for s in CLOSED for t in TARGETS]
    )
    with capsys.disabled():
        print(json.dumps({"seed": seed, "lesson 16": found.numbers, "closed quotation carried": closed}))
    assert found.passed, found.text
    assert found.numbers["patched"] >= 0.8 and found.numbers["unpatched"] <= 0.2, found.text
    assert said.choice == "quoted" and said.choice in PREDICTIONS["transplant"].claim, said
    assert closed <= 0.2, closed
