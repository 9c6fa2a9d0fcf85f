"""Comparisons over several seeds (playground.core.train.compare): one run per architecture and seed, the
runs of one seed on the very same batches, and a table whose means and spreads are the per-seed
values' own; the engine's comparison job is deterministic, and a failing memory example can be
looked into."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from playground.app import messages as m
from playground.app.engine import Engine
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.errors import PlaygroundError
from playground.core.train.compare import Comparison, GapSweep
from playground.ui.compare_bands import band, smooth


def memory_session(seed: int = 7, gap: int = 3) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="lstm", hidden=8, embed=4),
        data=DataConfig(kind="memory", source="generator", gap=gap, keys=4),
        train=TrainConfig(batch_size=8, lr=1e-2, val_every=0, seed=seed),
    )


def test_three_seeds_train_three_runs_per_architecture_on_shared_batches():
    cmp = Comparison(memory_session(seed=7), ["rnn", "gru"], steps=3, seeds=3)
    assert cmp.seeds == (7, 8, 9)
    for arch in ("rnn", "gru"):
        runs = cmp.runs[arch]
        assert list(runs) == [7, 8, 9]
        assert [tr.session.train.seed for tr in runs.values()] == [7, 8, 9]
        assert len({id(tr) for tr in runs.values()}) == 3
        assert cmp.trainers[arch] is runs[7]  # the first seed's: what "continue with" takes
    # record every batch drawn, in the order the runs take their turns: seed by seed, arch by arch
    drawn: list[torch.Tensor] = []
    sample = cmp.task.sample_batch

    def recording(*args, **kwargs):
        x, y = sample(*args, **kwargs)
        drawn.append(x.clone())
        return x, y

    cmp.task.sample_batch = recording
    while not cmp.done:
        cmp.step_round()
    assert len(drawn) == 3 * 2 * 3  # steps x archs x seeds
    for step in range(3):
        per_seed = drawn[step * 6 : (step + 1) * 6]  # (seed 7: rnn, gru), (seed 8: ...), (seed 9: ...)
        for s in range(3):
            assert torch.equal(per_seed[2 * s], per_seed[2 * s + 1])  # the same batch for both archs
        assert not torch.equal(per_seed[0], per_seed[2]) and not torch.equal(per_seed[2], per_seed[4])
    # different seeds, different initial weights too: the first losses differ
    firsts = [tr.history.losses[0] for tr in cmp.runs["gru"].values()]
    assert len(set(np.round(firsts, 7))) == 3


def test_rows_mean_and_spread_are_numpys_over_the_per_seed_values():
    cmp = Comparison(memory_session(), ["rnn", "lstm"], steps=4, seeds=3)
    while not cmp.done:
        cmp.step_round(probe=True)
    for runs in cmp.runs.values():
        for tr in runs.values():
            tr.validate()
    rows = cmp.rows(with_accuracy=True)
    assert [r.arch for r in rows] == ["rnn", "lstm"]
    for r in rows:
        assert r.seeds == (7, 8, 9) and r.steps == 4
        for figure in ("train_loss", "val_loss", "accuracy", "steps_per_s", "gradient_reach"):
            assert len(r.per_seed[figure]) == 3 and np.isfinite(r.per_seed[figure]).all(), figure
        for figure, mean in (
            ("train_loss", r.train_loss),
            ("val_loss", r.val_loss),
            ("accuracy", r.accuracy),
            ("steps_per_s", r.steps_per_s),
        ):
            v = np.array(r.per_seed[figure])
            assert mean == pytest.approx(np.mean(v), rel=1e-12), figure
            assert r.spread(figure) == pytest.approx((np.max(v) - np.min(v)) / 2, rel=1e-12), figure
        reach = np.array(r.per_seed["gradient_reach"])
        assert r.gradient_reach == pytest.approx(np.exp(np.mean(np.log(reach))), rel=1e-9)
        # each seed's own figures, straight from its run
        for seed, tr in cmp.runs[r.arch].items():
            i = r.seeds.index(seed)
            assert r.per_seed["train_loss"][i] == pytest.approx(float(np.mean(tr.history.losses[-20:])))
            assert r.per_seed["accuracy"][i] == cmp.accuracy(r.arch, seed)
    assert pickle.loads(pickle.dumps(rows)) == rows  # they cross to the window's process


def test_band_is_mean_min_max_over_seeds():
    curves = [np.array([1.0, 2.0, 3.0]), np.array([3.0, 0.0, np.nan, 9.0]), np.array([2.0, 1.0, 6.0])]
    mean, lo, hi = band(curves)
    assert (
        np.allclose(mean, [2.0, 1.0, 4.5])
        and np.allclose(lo, [1.0, 0.0, 3.0])
        and np.allclose(hi, [3.0, 2.0, 6.0])
    )
    assert (hi >= lo).all()
    assert np.allclose(smooth([1.0, 3.0, np.nan, 5.0], 2), [1.0, 2.0, 3.0, 5.0])


def test_seeds_are_checked():
    from playground.core.train.compare import MAX_SEEDS
    from playground.ui.compare_view import MAX_SEEDS as OFFERED

    assert OFFERED == MAX_SEEDS  # the view's spin box offers what a comparison takes
    with pytest.raises(PlaygroundError, match="seeds per architecture"):
        Comparison(memory_session(), ["rnn", "gru"], steps=2, seeds=0)
    with pytest.raises(PlaygroundError, match="seeds per architecture"):
        Comparison(memory_session(), ["rnn", "gru"], steps=2, seeds=6)


def test_gap_sweep_records_every_seeds_accuracy_and_keeps_the_first_seeds_models():
    sweep = GapSweep(memory_session(), ["rnn", "gru"], [2, 4], steps=2, seeds=2)
    while not sweep.done:
        sweep.step_round()
    for arch in ("rnn", "gru"):
        assert [g for g, _ in sweep.results[arch]] == [2, 4]
        assert all(len(accs) == 2 and all(0 <= a <= 1 for a in accs) for _, accs in sweep.results[arch])
    first = sweep.comparison_at(2)
    assert first is not None and first.seeds == (7,) and list(first.runs["gru"]) == [7]  # the rest freed
    assert first.task.gap == 2 and sweep.comparison_at(4).task.gap == 4
    assert sweep.comparison_at(3) is None


def run_compare_job(cmd: m.Compare) -> tuple[Engine, list[m.Answer]]:
    answers: list[m.Answer] = []
    engine = Engine(answers.append)
    engine.handle(m.Build(memory_session(), 1))
    engine.handle(cmd)
    engine.run_until_idle()
    return engine, answers


def test_the_comparison_job_is_deterministic():
    cmd = m.Compare(memory_session(), ("rnn", "gru"), 5, seeds=3)
    assert pickle.loads(pickle.dumps(cmd)) == cmd
    results = []
    for _ in range(2):
        _, answers = run_compare_job(cmd)
        done = [a for a in answers if isinstance(a, m.Compared)][-1]
        assert not done.running and done.seeds == (7, 8, 9) and done.steps_taken == 5
        assert all(len(c["losses"]) == 3 for c in done.curves.values())
        results.append(done)
    a, b = results
    for arch in ("rnn", "gru"):
        for x, y in zip(a.curves[arch]["losses"], b.curves[arch]["losses"]):
            assert np.array_equal(x, y)
    for ra, rb in zip(a.rows, b.rows):
        for figure in ("train_loss", "val_loss", "accuracy", "gradient_reach"):  # not the timings
            assert np.array_equal(ra.per_seed[figure], rb.per_seed[figure], equal_nan=True), figure
    assert pickle.loads(pickle.dumps(a)).seeds == a.seeds


def test_a_failing_example_of_the_sweep_is_inspected_in_the_engine():
    cmd = m.Compare(memory_session(), ("rnn", "gru"), 2, gaps=(2, 3), seeds=2)
    engine, answers = run_compare_job(cmd)
    steps_before = engine.comparison.trainers["rnn"].steps
    engine.handle(m.InspectCompared("rnn", 2))
    got = answers[-1]
    assert isinstance(got, m.ComparedExample) and got.generation == 1
    sweep = engine.compare_job.sweep
    wrong, _ = sweep.comparison_at(2).failing("rnn")
    assert got.wrong == len(wrong) > 0 and got.total == 512  # two steps learn next to nothing
    assert got.index == wrong[0] and got.right != got.answered and got.seed == 7
    task = sweep.comparison_at(2).task
    assert got.text == task.decode(task.val_x[got.index]) and len(task.tokenize(got.text)) == 4
    seen = got.inspected
    assert seen is not None and not seen.error
    assert seen.probe.labels == tuple(task.tokenize(got.text)) and seen.connectivity.shape == (1, 4)
    assert task.classes[int(seen.probe.predicted[0])] == got.answered  # the same wrong answer
    # the next failing one, on asking again
    engine.handle(m.InspectCompared("rnn", 2, nth=1))
    assert answers[-1].index == wrong[1 % len(wrong)]
    assert engine.comparison.trainers["rnn"].steps == steps_before  # nothing trained
    assert pickle.loads(pickle.dumps(got)).text == got.text


def test_no_failing_example_says_so():
    cmd = m.Compare(memory_session(), ("rnn", "gru"), 2, gaps=(2,), seeds=1)
    engine, answers = run_compare_job(cmd)
    cmp = engine.compare_job.sweep.comparison_at(2)
    ev = cmp.evaluation("gru")
    ev["predictions"] = ev["targets"].copy()  # as if it had learned every example
    engine.handle(m.InspectCompared("gru", 2))
    got = answers[-1]
    assert got.inspected is None and "none fails" in got.message and "all 512" in got.message
    engine.handle(m.InspectCompared("gru", 99))
    assert answers[-1].inspected is None and "run the comparison again" in answers[-1].message


def test_continue_with_adopts_the_first_seeds_run_and_a_sweeps_newest_gap():
    cmd = m.Compare(memory_session(), ("rnn", "gru"), 2, gaps=(2, 3), seeds=2)
    engine, answers = run_compare_job(cmd)
    newest = engine.compare_job.sweep.comparison_at(3)
    assert engine.comparison is newest  # the gap whose curves the view shows last
    first = newest.runs["gru"][7]
    engine.handle(m.Adopt("gru", 2))
    arrived = [a for a in answers if isinstance(a, m.ModelArrived)][-1]
    assert arrived.how == "adopted" and engine.trainer is first and engine.trainer.session.train.seed == 7
    assert engine.trainer.task.gap == 3
