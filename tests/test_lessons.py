"""The two generated lessons: ``memory`` (keep a key across a gap) and ``order`` (word order decides).

Core and command line only, no Qt; fixed seeds, on the CPU, one torch thread (conftest).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
import torch
from cli_helpers import assert_error, cli, cli_json

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data import build_task
from playground.core.data.memory import MemoryTask
from playground.core.data.order import CLASSES, OrderTask, rule_label, sentences_for, word_choices
from playground.core.errors import PlaygroundError
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer


def session(kind: str, arch: str = "lstm", bidirectional: bool = False, **data) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=16, embed=8, bidirectional=bidirectional),
        data=DataConfig(kind=kind, source="generator", **data),
        train=TrainConfig(batch_size=8, val_every=0, device="cpu"),
    )


SAVED_OUTPUTS: dict[
    str, torch.Tensor
] = {}  # kind -> the saved model's outputs on its first 16 held-out examples


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, object]:
    """A few-step memory LSTM and order GRU, saved (weights matter, not skill)."""
    folder = tmp_path_factory.mktemp("lessons")
    out = {}
    for kind, arch, data in (("memory", "lstm", {"gap": 5, "keys": 4}), ("order", "gru", {})):
        trainer = Trainer(session(kind, arch, **data))
        for _ in range(3):
            trainer.step()
        out[kind] = checkpoint.save(trainer, folder / f"{kind}.safetensors")
        with torch.no_grad():
            SAVED_OUTPUTS[kind] = trainer.model(torch.from_numpy(trainer.task.val_x[:16]))[0]
    return out


# ---------------------------------------------------------------- the lessons


def test_memory_gap_20_lstm_remembers_where_rnn_forgets(capsys):
    # The same steps, seed and batches; the LSTM's gated cell carries the key across 20 random digits.
    # Measured over seeds 0-9 at 1000 steps: LSTM 0.62-1.0, vanilla RNN 0.10-0.17 (chance 1/8).
    args = (
        "train",
        "--data",
        "memory",
        "--gap",
        20,
        "--steps",
        1000,
        "--seed",
        0,
        "--device",
        "cpu",
        "--quiet",
    )
    lstm = cli_json(capsys, *args, "--arch", "lstm")
    rnn = cli_json(capsys, *args, "--arch", "rnn")
    assert lstm["accuracy"] >= rnn["accuracy"] + 0.3, (lstm["accuracy"], rnn["accuracy"])
    assert lstm["accuracy"] > 0.6 and rnn["accuracy"] < 0.3
    assert lstm["chance"] < 0.2


def test_order_rnn_reads_word_order_bag_of_words_cannot(capsys):
    args = ("train", "--data", "order", "--steps", 150, "--seed", 0, "--device", "cpu", "--quiet")
    rnn = cli_json(capsys, *args, "--arch", "rnn")
    bag = cli_json(capsys, *args, "--arch", "mlp")
    assert rnn["accuracy"] >= 0.9, rnn
    assert bag["accuracy"] < 0.7, bag
    assert rnn["chance"] == pytest.approx(0.5)


def test_order_feed_forward_reference_is_order_blind():
    trainer = Trainer(session("order", "mlp"))
    task = trainer.task
    good = task.encode("the food was good , not bad")
    bad = task.encode("the food was bad , not good")
    assert sorted(good) == sorted(bad) and not np.array_equal(good, bad)
    with torch.no_grad():
        out = trainer.model(torch.from_numpy(np.stack([good, bad])))[0]
    torch.testing.assert_close(out[0], out[1])  # the same words give the same answer, in any order


# ---------------------------------------------------------------- the generators


def test_memory_generator_is_seeded_and_well_formed():
    a, b, c = MemoryTask(20, 8, seed=3), MemoryTask(20, 8, seed=3), MemoryTask(20, 8, seed=4)
    assert np.array_equal(a.val_x, b.val_x) and np.array_equal(a.val_y, b.val_y)
    assert not np.array_equal(a.val_x, c.val_x)
    x1, y1 = a.sample_batch(64, 0, torch.Generator().manual_seed(1))
    x2, y2 = b.sample_batch(64, 0, torch.Generator().manual_seed(1))
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    for x, y in ((x1.numpy(), y1.numpy()), (a.val_x, a.val_y)):
        assert x.shape[1] == 22  # key, 20 distractors, '?'
        assert np.array_equal(x[:, 0], y)  # the answer is the key's partner
        assert all(a.vocab[i] in "0123456789" for i in x[:, 1:-1].ravel())
        assert {a.vocab[i] for i in x[:, -1]} == {"?"}
    assert a.classes == tuple("abcdefgh") and a.vocab[:8] == tuple("ABCDEFGH")
    assert set(a.val_y) == set(range(8))
    assert a.decode(a.val_x[0]).split(" ")[0] == a.vocab[a.val_x[0, 0]]


def test_order_set_same_words_appear_with_both_labels():
    task = OrderTask(seed=0)
    assert np.array_equal(task.val_x, OrderTask(seed=0).val_x)
    assert not np.array_equal(task.val_x, OrderTask(seed=1).val_x)
    labels: dict[tuple, Counter] = defaultdict(Counter)
    word_sets: dict[str, set] = {"train": set(), "val": set()}
    for split, xs, ys in (("train", task.train_x, task.train_y), ("val", task.val_x, task.val_y)):
        for x, y in zip(xs, ys):
            words = task.decode(x).split(" ")
            assert rule_label(words) == CLASSES[y]  # every label follows the stated rule
            bag = tuple(sorted(words))
            labels[bag][int(y)] += 1
            word_sets[split].add(bag)
    assert len(labels) == 256 * 6  # 6 templates, each with its own words
    assert all(c[0] == c[1] > 0 for c in labels.values())  # each multiset: as often negative as positive
    assert not word_sets["train"] & word_sets["val"]  # held-out sentences use unseen word combinations
    assert len(task.val_y) == 12 * round(0.1 * len(word_choices()))
    first = sentences_for(("food", "was", "good", "bad"))[:2]
    assert [(" ".join(w), lab) for w, lab in first] == [
        ("the food was good , not bad", "positive"),
        ("the food was bad , not good", "negative"),
    ]


# ---------------------------------------------------------------- wired everywhere


@pytest.mark.parametrize(("kind", "arch"), [("memory", "lstm"), ("order", "mlp"), ("order", "rnn")])
def test_step_detail_probe_and_connectivity(kind, arch):
    trainer = Trainer(session(kind, arch, gap=6))
    report = trainer.step(probe=True, detail=True)
    d, p = report.detail, report.probe
    t = trainer.task.val_x.shape[1]
    assert len(d.inputs) == 8 and all(len(row) == t for row in d.inputs)
    assert all(isinstance(s, str) for row in d.inputs for s in row)
    assert all(len(row) == 1 and row[0] in trainer.task.classes for row in d.targets + d.predictions)
    assert d.target_prob.shape == (8, 1) and np.all((d.target_prob >= 0) & (d.target_prob <= 1))
    assert d.loss_per_step.shape == (1,) and d.loss_per_step[0] == pytest.approx(report.loss, rel=1e-5)
    assert d.grad_through_time.shape == (t,)
    assert len(p.labels) == t and p.hidden.shape[1] == t
    assert p.target_prob.shape == (1,) and p.predicted.shape == (1,)
    assert [c for c, _ in p.answers] and sorted(c for c, _ in p.answers) == sorted(trainer.task.classes)
    labels, conn = trainer.connectivity()
    assert conn.shape == (1, t) and len(labels) == t
    if arch != "mlp":
        assert len(trainer.recurrence_terms_all(0)) == t
    text = "B 1 2 3 ?" if kind == "memory" else "the film is not awful , but great"
    trainer.set_probe_text(text)
    probe = trainer.probe()
    want = "b" if kind == "memory" else "positive"
    assert trainer.task.classes[int(trainer._probe_sequence()[1][0])] == want
    assert probe.labels[-1] == ("?" if kind == "memory" else "great")


def test_bidirectional_allowed_for_lessons_refused_for_text(tiny_text):
    for kind in ("memory", "order"):
        trainer = Trainer(session(kind, "gru", bidirectional=True))
        trainer.step(probe=True)
    text = SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, bidirectional=True),
        data=DataConfig(kind="text", source="inline", text=tiny_text),
    )
    with pytest.raises(PlaygroundError, match="bidirectional"):
        Trainer(text)


def test_checkpoint_round_trip_predicts_the_same(saved, capsys):
    for kind, path in saved.items():
        trainer = checkpoint.load(path, device="cpu")
        task = trainer.task
        assert task.kind == kind
        fresh = build_task(trainer.session.data)
        assert task.vocab == fresh.vocab and task.classes == fresh.classes
        assert np.array_equal(task.val_x, fresh.val_x)
        with torch.no_grad():
            torch.testing.assert_close(
                trainer.model(torch.from_numpy(task.val_x[:16]))[0], SAVED_OUTPUTS[kind]
            )
        assert trainer.steps == 3
        ev = inference.evaluate(trainer.model, task)
        assert 0.0 <= ev["accuracy"] <= 1.0 and ev["examples"] == len(task.val_y)
        assert trainer.step().step == 4  # it trains on where it stopped

    prompt = "C 5 5 5 5 5 ?"
    memory = checkpoint.load(saved["memory"])
    ranked = inference.classify(memory.model, memory.task, prompt)
    assert sorted(c for c, _ in ranked) == list("abcd") and sum(p for _, p in ranked) == pytest.approx(1.0)
    out = cli_json(capsys, "sample", saved["memory"], "--prompt", prompt)
    assert out["answer"] == ranked[0][0] and out["p"] == pytest.approx(ranked[0][1], rel=1e-5)
    code, text, err = cli(capsys, "sample", saved["order"], "--prompt", "The food was good, not bad at all!")
    assert code == 0, err
    assert text.split()[0] in CLASSES
    code, text, _ = cli(capsys, "info", saved["memory"])
    assert "memory (gap 5, 4 keys, seed 0)" in text


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--data", "memory", "--gap", "0"), ("gap must be 1 to 1000", "got 0")),
        (("--data", "memory", "--gap", "5000"), ("gap", "5000")),
        (("--data", "memory", "--keys", "1"), ("keys must be 2 to 26", "got 1")),
        (("--data", "memory", "--keys", "27"), ("keys", "27")),
        (("--data", "text", "--gap", "5"), ("--gap", "--data memory")),
        (("--data", "order", "--keys", "4"), ("--keys", "--data memory")),
        (("--data", "memory", "--file", "x.txt"), ("generated", "--file")),
        (("--data", "order", "--text", "the food was good"), ("generated", "--text")),
    ],
)
def test_bad_lesson_settings(capsys, args, words):
    assert_error(capsys, "train", *args, "--steps", 1, words=words)


def test_bad_gap_type_is_one_argparse_line(capsys):
    assert_error(
        capsys,
        "train",
        "--data",
        "memory",
        "--gap",
        "far",
        words=("--gap", "invalid int value"),
        prefix="rnn-playground train: error: argument",
    )


def test_bad_prompts_and_commands(capsys, saved):
    assert_error(capsys, "sample", saved["memory"], "--prompt", "c 1 2 ?", words=("'c'", "keys A to D"))
    assert_error(capsys, "sample", saved["order"], words=("--prompt", "order"))
    assert_error(capsys, "sample", saved["order"], "--prompt", "the food was yummy", words=("'yummy'",))
    assert_error(capsys, "sample", saved["order"], "--reply", "hi", words=("--prompt",))
    assert_error(capsys, "forecast", saved["memory"], words=("answers sequences", "sample"))
    task = build_task(DataConfig(kind="order"))
    with pytest.raises(PlaygroundError, match="undecided"):
        task.probe(0, "the food was good , bad")
    with pytest.raises(PlaygroundError, match="no key"):
        MemoryTask(5).probe(0, "1 2 3 ?")
    with pytest.raises(PlaygroundError, match="no file or pasted text"):
        DataConfig(kind="memory", source="file", path="x.txt").validate()
