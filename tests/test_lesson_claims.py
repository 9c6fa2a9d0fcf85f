"""Each lesson's claim, over seeds 0-4, with the lesson's own preset (core/lessons/claims.py).

The ``lessons`` tests train for minutes and run only with ``-m lessons`` (or
RNN_PLAYGROUND_LESSONS=1; see conftest.py). Each claim also has one fast check (one seed, the
cheapest setting) in the default suite.
"""

from __future__ import annotations

import pytest
from lesson_seeds import at_least, seeds

from playground.core.lessons import claims as L
from playground.core.presets import PRESETS

SEEDS = L.SEEDS
# One seed per claim when CI asks for it (tests/lesson_seeds.py): seed 0's vanilla RNN learns gap 20 and
# seeds 1 and 3's LSTM stop at 0.88 on an AMD EPYC, so the memory claims take seed 2.
MEMORY_SEEDS = seeds(SEEDS, one=2)


def _table(results, *fields) -> str:
    return "; ".join(f"seed {r.seed}: " + ", ".join(f"{f}={getattr(r, f)}" for f in fields) for r in results)


# ---------------------------------------------------------------- over five seeds (marker: lessons)


@pytest.mark.lessons
def test_memory_claim_over_five_seeds():
    """At gap 20 (8 keys, chance 0.125), after 2000 steps with the same seed and batches, the vanilla
    tanh RNN is at chance (accuracy <= chance + 0.1) in at least 4 of 5 seeds, the GRU answers
    above 0.9 in at least 4 of 5, and the LSTM above 0.9 in at least 3 of 5 and knows at least 7 of
    the 8 keys (0.85) in every seed: what lesson 2's card says. Measured on two CPUs: an Intel
    machine gave the LSTM 5 of 5; an AMD EPYC gave it 3 of 5, seeds 1 and 3 at 0.88."""
    results = L.over_seeds(L.memory_claim, MEMORY_SEEDS)
    rnn = L.spread(results, lambda r: r.accuracy["rnn"], lambda r: r.at_chance("rnn"))
    lstm = L.spread(results, lambda r: r.accuracy["lstm"], lambda r: r.solved("lstm"))
    gru = L.spread(results, lambda r: r.accuracy["gru"], lambda r: r.solved("gru"))
    table = _table(results, "accuracy")
    assert rnn.passed >= at_least(4, 5, len(results)), table
    assert lstm.passed >= at_least(3, 5, len(results)) and all(r.accuracy["lstm"] >= 0.85 for r in results), table
    assert gru.passed >= at_least(4, 5, len(results)), table


@pytest.mark.lessons
def test_capacity_claim_over_five_seeds():
    """Lesson 2's second button, 128 units instead of 32, the same 2,000 steps and batches: the vanilla
    RNN is above chance (chance + 0.1) in at least 4 of 5 seeds, where at 32 units it stayed at chance
    in 4 of 5, and the GRU answers above 0.9 in every seed. Measured: RNN 28% / 88% / 100% / 73% / 84%,
    LSTM 100% / 100% / 75% / 87% / 100%, GRU 100% in all (seeds 0-4). One seed in CI: seed 1, the RNN
    at 15% with 32 units."""
    results = L.over_seeds(L.memory_claim, seeds(SEEDS, one=1), hidden=128)
    table = _table(results, "accuracy")
    above = sum(not r.at_chance("rnn") for r in results)
    assert above >= at_least(4, 5, len(results)), table
    assert all(r.solved("gru") for r in results), table


@pytest.mark.lessons
def test_vanishing_claim_over_five_seeds():
    """In every seed where the memory run's vanilla RNN stayed at chance, its gradient at the key is
    below 10^-3 of the last step's and diagnose() says "vanishing"; no LSTM that answers above 0.9
    is called vanishing."""
    results = L.over_seeds(L.vanishing_claim, MEMORY_SEEDS)
    table = _table(results, "rnn_accuracy", "rnn_key_share", "rnn_verdict", "lstm_accuracy", "lstm_verdict")
    stuck = [r for r in results if r.rnn_accuracy <= 1 / 8 + L.CHANCE_MARGIN]
    assert len(stuck) >= at_least(4, 5, len(results)), table
    for r in stuck:
        assert r.rnn_key_share < L.VANISHED and r.rnn_verdict == "vanishing", table
    for r in results:
        if r.lstm_accuracy > L.SOLVED:
            assert r.lstm_verdict != "vanishing", table


@pytest.mark.lessons
def test_bidirectional_claim_over_five_seeds():
    """At gap 40, in every seed, the bidirectional vanilla RNN answers above 0.9 while the one-way
    vanilla RNN, trained on the same batches, is at chance (<= chance + 0.1)."""
    results = L.over_seeds(L.bidirectional_claim, seeds(SEEDS))
    assert all(r.holds for r in results), _table(results, "bidirectional", "unidirectional")


@pytest.mark.lessons
def test_order_claim_over_five_seeds():
    """In every seed, the RNN, LSTM and GRU classify held-out word sets at >= 0.95 accuracy while the
    bag-of-words feed-forward reference stays at <= 0.6 (a coin toss is 0.5)."""
    results = L.over_seeds(L.order_claim, seeds(SEEDS))
    assert all(r.holds for r in results), _table(results, "accuracy")


@pytest.mark.lessons
def test_price_claim_over_five_seeds():
    """In every seed, the GRU trained on a rising line forecasts 15 +- 0.5 after 10, 11, 12, 13, 14,
    where the order-blind window average says 12 and the last value 14; the feed-forward reference,
    which sees its window in order, also says 15 +- 0.5."""
    results = L.over_seeds(L.price_claim, seeds(SEEDS))
    table = _table(results, "recurrent", "feed_forward")
    assert all(r.holds for r in results), table
    assert all(abs(r.feed_forward - 15) < L.PRICE_TOLERANCE for r in results), table
    assert all(r.average == 12 and r.last_value == 14 for r in results)


@pytest.mark.lessons
def test_exploding_and_clipping_claims_over_five_seeds():
    """In every seed, the ReLU + identity vanilla RNN with plain SGD (lr 0.01) and no clipping blows up
    within 10 steps (a refused NaN step or a gradient norm 100 times the first step's) and diagnose()
    says so ("nan" or "exploding"); the same run with the norm clipped at 1 stays finite for 300
    steps and its loss falls by at least 0.5 nats."""
    results = L.over_seeds(L.exploding_claim, seeds(SEEDS))
    table = _table(
        results, "exploded_at", "peak_ratio", "refused", "verdict", "clipped_first", "clipped_last"
    )
    for r in results:
        assert 0 < r.exploded_at <= 10, table
        assert r.verdict in ("nan", "exploding"), table
        assert r.clipped_finite and r.clipped_last < r.clipped_first - 0.5, table


@pytest.mark.lessons
def test_identity_claim_over_five_seeds():
    """At initialisation, in every seed, ||dL/dh_t|| of a ReLU + identity vanilla RNN reaches the start of
    a 64-character probe at 10^-3 of the last step (its first step gets more than 0.1 of it), while
    tanh with the default init reaches at most 15 characters back (its first step gets below 10^-10)."""
    results = L.over_seeds(L.identity_claim, seeds(SEEDS))
    table = _table(
        results, "identity_reach", "tanh_reach", "identity_first", "tanh_first", "relu_default_reach",
        "tanh_identity_reach", "tanh_identity_first",
    )  # fmt: skip
    for r in results:
        assert r.identity_reach == r.length - 1 and r.identity_first > 0.1, table
        assert r.tanh_reach <= 15 and r.tanh_first < 1e-10, table
        assert r.holds, table
        _activation_and_init_apart(r, table)


def _activation_and_init_apart(r, table: str) -> None:
    """Lesson 8: ReLU alone reaches no further than tanh (measured, seeds 0-4 on the 63-step probe:
    6-8 against 9-10); the identity init alone does (tanh + identity 26-53), and ReLU + identity
    reaches the start with far more of the gradient left than tanh + identity (0.47-0.64 against
    1e-6 to 4e-5 of the last step's)."""
    assert r.relu_default_reach <= r.tanh_reach + 2, table
    assert r.tanh_identity_reach > 2 * r.tanh_reach, table
    assert r.identity_first > 1000 * r.tanh_identity_first, table


# ---------------------------------------------------------------- fast checks (default suite)


def test_lesson_presets_are_valid_sessions():
    for name in (
        "lesson-memory",
        "lesson-bidirectional",
        "lesson-order",
        "lesson-prices",
        "lesson-vanishing",
        "lesson-exploding",
        "lesson-clipping",
        "lesson-identity",
    ):
        description, session = PRESETS[name]
        assert (
            description and session.model.validate() and session.data.validate() and session.train.validate()
        )


def test_spread_counts_seeds():
    results = [
        L.IdentityResult(
            seed=s, length=64, identity_reach=63, tanh_reach=t, identity_first=0.5, tanh_first=1e-18
        )
        for s, t in enumerate((9, 10, 30))
    ]
    s = L.spread(results, lambda r: r.tanh_reach)
    assert (s.min, s.median, s.max, s.passed, s.n) == (9, 10, 30, 2, 3)
    assert "2 of 3 seeds" in s.text()


def test_identity_claim_fast():
    r = L.identity_claim(0)
    assert r.identity_reach == r.length - 1 and r.tanh_reach <= 15 and r.holds
    _activation_and_init_apart(r, str(r))


@pytest.mark.parametrize("seed", [0, 3])
def test_lesson_8s_check_credits_the_init_not_the_activation(seed):
    """The card's check, on its own preset (a 21-step probe) and after its own "Try this" (ReLU with
    the default init): it passes, and its sentence gives the four reaches that say why."""
    import dataclasses

    from playground.core import lessons
    from playground.core.train.trainer import Trainer

    session = L.lesson_session("lesson-vanishing", seed)
    for model in (session.model, dataclasses.replace(session.model, activation="relu")):
        tr = Trainer(dataclasses.replace(session, model=model))
        found = lessons.check("activations", lessons.LessonContext(tr))
        assert found.passed, found.text
        n = found.numbers
        assert n["reach relu+default"] <= n["reach tanh+default"] + lessons.RELU_ALONE_SLACK
        assert n["reach relu+identity"] == n["reach tanh+identity"] == 21
        assert n["first relu+identity"] > 0.3 > 0.05 > n["first tanh+identity"]
        assert "ReLU alone is no help" in found.text and "With W_hh = I" in found.text


def test_exploding_claim_fast():
    r = L.exploding_claim(0, clip_steps=150)
    assert 0 < r.exploded_at <= 10 and r.verdict in ("nan", "exploding")
    assert r.clipped_finite and r.clipped_last < r.clipped_first - 0.5


def test_price_claim_fast():
    r = L.price_claim(0)
    assert abs(r.recurrent - 15) < L.PRICE_TOLERANCE and r.average == 12 and r.last_value == 14


@pytest.mark.lessons
def test_shapes_claim_over_five_seeds():
    """One-to-many, in every seed: after 800 steps the vanilla RNN writes at least 90% of the 16 words
    from their first letter alone, and the feed-forward network with a window of 4 writes no more than
    the words of at most 4 letters (5 of 16)."""
    results = L.over_seeds(L.shapes_claim, seeds(SEEDS))
    assert all(r.holds for r in results), _table(results, "accuracy", "short_share")


def test_shapes_claim_fast():
    r = L.shapes_claim(1, steps=600)
    assert r.holds, r
    assert r.short_share == 5 / 16 and r.window == 4


def test_order_claim_fast():
    r = L.order_claim(0, archs=("rnn", "mlp"))
    assert r.accuracy["rnn"] >= L.ORDER_SOLVED and r.accuracy["mlp"] <= L.ORDER_BLIND


def test_bidirectional_claim_fast():
    r = L.bidirectional_claim(0)
    assert r.holds, r


def test_memory_and_vanishing_claims_fast():
    """Seed 1, RNN and LSTM only: the RNN at chance and called vanishing, the LSTM knowing at least 7
    of the 8 keys (above 0.9 on some CPUs, 0.88 on others) and not called vanishing."""
    r = L.memory_claim(1, archs=("rnn", "lstm"))
    assert r.at_chance("rnn") and r.accuracy["lstm"] >= 0.85, r
    assert r.key_share["rnn"] < L.VANISHED and r.verdict["rnn"] == "vanishing", r
    assert r.verdict["lstm"] != "vanishing", r


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_window_claim_the_feed_forward_network_finds_the_key_only_inside_its_window(seed):
    """Lesson 3's sweep (the lesson-window preset, 1,000 steps per gap): the feed-forward network,
    which reads its last 16 inputs, answers at least 90% while the key is inside them (d = 4, 8, 12)
    and stays at chance once it is not (d = 16, 20); the GRU answers at least 90% at every gap.
    Measured, seeds 0-2: feed-forward 100% at 4, 8, 12 and 12-16% at 16 and 20; GRU 100% throughout."""

    from playground.core.lessons.cards import WINDOW_GAPS, WINDOW_SWEEP_STEPS
    from playground.core.train.compare import GapSweep

    session = L.lesson_session("lesson-window", seed)
    gaps = [int(g) for g in WINDOW_GAPS.split(",")]
    sweep = GapSweep(session, ["gru", "mlp"], gaps, WINDOW_SWEEP_STEPS)
    while not sweep.done:
        sweep.step_round()
    acc = {arch: {g: a[0] for g, a in rows} for arch, rows in sweep.results.items()}
    inside = [g for g in gaps if g + 1 < session.model.window]
    assert inside == [4, 8, 12], inside
    assert all(acc["gru"][g] >= 0.9 for g in gaps), acc
    assert all(acc["mlp"][g] >= 0.9 for g in inside), acc
    assert all(acc["mlp"][g] <= 1 / 8 + L.CHANCE_MARGIN for g in gaps if g not in inside), acc
