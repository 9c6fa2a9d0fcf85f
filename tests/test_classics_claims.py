"""The classics' measured claims (README, "The classics"), over seeds (one seed with
RNN_PLAYGROUND_SEEDS=one, tests/lesson_seeds.py); minutes each.

* On the adding problem at T = 50 the LSTM solves by the paper's criterion (at most 1 of 2,560
  held-out sums off by more than 0.04) in at least 2 of 3 seeds, where the tanh RNN, its look-alike,
  never does in the same budget. CI's one seed runs it at T = 30, where it takes seconds, not minutes.
* Lesson 17's card: set up as the card sets it up (T = 30), trained its 6,000 steps, its check (the
  quantity ``solved_fraction``) holds for the LSTM and not for the tanh RNN its Try this switches to.
* Lesson 18's card (temporal order, T = 50, 2,000 steps): the LSTM classifies all 2,560 held-out
  sequences (measured: solved by 250 to 1,000 steps in seeds 0-3), the tanh RNN with clipping of its
  Try this stays at chance (23% to 26% right in seeds 0-3).
* Lesson 19's card (copy, T = 20, 6,000 steps): the LSTM copies more than 1 symbol in 5 right
  (measured: 45%, 54%, 25% in seeds 0-2, 41% in seed 3, held out), the tanh RNN stays at the
  memoryless 1 in 8 (12.3% to 12.7%).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from lesson_seeds import at_least, one_seed, seeds

from playground.core.train.frontier import FrontierPlan, run_cell

CLAIM_SEEDS = seeds((0, 1, 2))
# T = 50: the LSTM's seeds solved after 22,000, 25,500 and 15,000 steps (README); the one-seed subset
# runs T = 30, where seed 0 solves within 5,500 steps
LENGTH = 30 if one_seed() else 50
PLAN = FrontierPlan(
    kind="adding", lengths=(LENGTH,), archs=("lstm", "rnn"), steps=8000 if one_seed() else 30_000,
    check_every=500, hidden=32, lr=3e-3, batch_size=32, clip=1.0,
)


@pytest.mark.lessons
def test_the_lstm_solves_the_adding_problem_and_the_tanh_rnn_does_not():
    lstm = run_cell(PLAN, "lstm", LENGTH, seeds=CLAIM_SEEDS)
    assert lstm.solved_seeds >= at_least(2, 3, len(CLAIM_SEEDS)), lstm
    # every seed that solved did so before its budget ran out: not a verdict on the last check
    assert all(at is None or at <= 0.9 * PLAN.steps * PLAN.batch_size for at in lstm.solved_at), lstm
    rnn = run_cell(PLAN, "rnn", LENGTH, seeds=CLAIM_SEEDS)
    assert rnn.solved_seeds == 0, rnn
    assert rnn.sequences_seen == (PLAN.steps * PLAN.batch_size,) * len(CLAIM_SEEDS)


def _card_run(arch: str, seed: int, lesson_id: str = "adding", kept: list | None = None):
    """A classic's card as it sets itself up (``seed`` for training and data), trained its steps, checked;
    the trainer is appended to ``kept`` when one is given."""
    from playground.core.lessons import LessonContext, check, lesson, setup_of
    from playground.core.train.trainer import Trainer

    card = lesson(lesson_id)
    session = setup_of(card)
    session = dataclasses.replace(
        session,
        model=dataclasses.replace(session.model, arch=arch),
        data=dataclasses.replace(session.data, seed=seed),
        train=dataclasses.replace(session.train, seed=seed, device="cpu"),
    )
    tr = Trainer(session)
    for _ in range(card.steps):
        tr.step()
    if kept is not None:
        kept.append(tr)
    return check(lesson_id, LessonContext(tr))


# Typed adding questions written for this test only (T = 30, the card's length): values and marks the
# generator never drew, the marks inside the windows the rule puts them in.
TYPED_ADDING = (
    "0.05 0.91* " + " ".join(["0.33"] * 10) + " 0.48* " + " ".join(["0.66"] * 17),
    " ".join(f"{(i * 37 % 100) / 100:.2f}" + ("*" if i in (0, 14) else "") for i in range(30)),
    " ".join(f"{(i * 53 % 97) / 97:.2f}" + ("*" if i in (9, 10) else "") for i in range(30)),
    " ".join(f"{(i * 11 % 89) / 89:.2f}" + ("*" if i in (4, 7) else "") for i in range(30)),
)


def _typed_offsets(tr) -> list[float]:
    """How far the model's answer is from the rule's on the Predict panel's example and TYPED_ADDING."""
    from playground.core import inference
    from playground.core.data.demo_questions import demo_question

    asked = (demo_question("adding", tr.task.length), *TYPED_ADDING)
    return [abs(inference.number(tr.model, tr.task, q) - tr.task.answer_for(tr.task.tokenize(q))) for q in asked]


@pytest.mark.lessons
def test_lesson_17s_check_holds_for_the_lstm_and_not_for_the_tanh_rnn():
    """The check over seeds, and the Predict panel's question: an LSTM that passes answers the panel's
    example and four typed sequences written for this test within the paper's 0.04 (measured, seeds 0-2:
    0.019 at most); the tanh RNN answers near the mean and misses every one (by 0.38 to 0.80)."""
    from playground.core.data.adding import TOLERANCE

    lstm_models: list = []
    lstm = [_card_run("lstm", s, kept=lstm_models) for s in CLAIM_SEEDS]
    assert sum(c.passed for c in lstm) >= at_least(2, 3, len(CLAIM_SEEDS)), [c.text for c in lstm]
    assert all(c.text.startswith("The share of the 2,560 held-out sums within 0.04") for c in lstm)
    for c, tr in zip(lstm, lstm_models, strict=True):
        if c.passed:
            assert max(_typed_offsets(tr)) <= TOLERANCE, _typed_offsets(tr)
    rnn_models: list = []
    rnn = [_card_run("rnn", s, kept=rnn_models) for s in CLAIM_SEEDS]
    assert not any(c.passed for c in rnn), [c.text for c in rnn]
    assert all(c.numbers["solved_fraction"] < 0.5 for c in rnn), [c.text for c in rnn]  # near the mean's 8%
    offsets = {"lstm": [_typed_offsets(tr) for tr in lstm_models], "rnn": [_typed_offsets(tr) for tr in rnn_models]}
    print(json.dumps({"typed adding offsets, seeds": list(CLAIM_SEEDS), **offsets}))  # (-s: the README's figures)
    assert all(min(off) > TOLERANCE for off in offsets["rnn"]), offsets


@pytest.mark.lessons
def test_lesson_18s_check_holds_for_the_lstm_and_not_for_the_tanh_rnn_with_clipping():
    # CI's one seed: the LSTM's seed 0 is test_ui_lessons.py's window test of this card (which lets the
    # tanh RNN off with "why it differs"), so here only its look-alike, held to the numbers below
    lstm = [] if one_seed() else [_card_run("lstm", s, "temporal-order") for s in CLAIM_SEEDS]
    assert all(c.passed for c in lstm), [c.text for c in lstm]
    assert all(c.text.startswith("The share of the 2,560 held-out sequences classified right") for c in lstm)
    rnn = [_card_run("rnn", s, "temporal-order") for s in CLAIM_SEEDS]
    assert not any(c.passed for c in rnn), [c.text for c in rnn]
    assert all(0.2 < c.numbers["solved_fraction"] < 0.3 for c in rnn), [c.text for c in rnn]  # chance: 0.25


@pytest.mark.lessons
def test_lesson_19s_check_holds_for_the_lstm_and_not_for_the_tanh_rnn_with_clipping():
    # CI's one seed: the LSTM's seed 0 is test_ui_lessons.py's window test of this card (which lets the
    # tanh RNN off with "why it differs"), so here only its look-alike, held to the numbers below
    lstm = [] if one_seed() else [_card_run("lstm", s, "copy") for s in CLAIM_SEEDS]
    assert all(c.passed for c in lstm), [c.text for c in lstm]
    assert all(c.text.startswith("The share of the held-out copied symbols right") for c in lstm)
    rnn = [_card_run("rnn", s, "copy") for s in CLAIM_SEEDS]
    assert not any(c.passed for c in rnn), [c.text for c in rnn]
    # the memoryless 1/8 over 25,600 held-out symbols: within 0.01 of it
    assert all(abs(c.numbers["copied_share"] - 0.125) < 0.01 for c in rnn), [c.text for c in rnn]
