"""The data preview (core/data/preview.py): what the data panel shows of each kind's task, made in the
training process and sent to the window instead of the task (issue 26). Small, torch-free, and
exactly what the panel shows."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from playground.app import messages as m
from playground.app.previews import PreviewBuilder, build_preview
from playground.core.config import DataConfig
from playground.core.data import build_task
from playground.core.data import preview as preview_module
from playground.core.data.preview import EXAMPLES_SHOWN, MADE_UP_SHOWN, PREVIEW_CHARS, data_preview

TEXT = "the cat sat on the mat.\nthe dog sat on the log. " * 30


def preview_of(cfg: DataConfig):
    return data_preview(build_task(cfg), cfg)


def test_text_shows_its_sizes_vocabulary_and_the_start_of_its_training_text():
    p = preview_of(DataConfig(kind="text", source="inline", text=TEXT, val_fraction=0.2))
    assert (p.kind, p.mode, p.step_unit, p.fresh_share) == ("text", "text", "characters", 0.0)
    assert p.n_train + p.n_val == len(TEXT) and p.n_val == pytest.approx(0.2 * len(TEXT), abs=2)
    assert p.vocab == tuple(sorted(set(TEXT)))
    labels = dict(zip(p.vocab, p.vocab_labels))
    assert labels[" "] == "\u2423" and labels["\n"] == "\u21b5" and labels["c"] == "c"
    assert p.text == TEXT[:PREVIEW_CHARS]


def test_knock_knock_lists_every_dialog_the_held_out_ones_and_the_made_up_jokes():
    cfg = DataConfig(kind="knock-knock", made_up_jokes=300, seed=4)
    task = build_task(cfg)
    p = data_preview(task, cfg)
    assert (p.kind, p.mode, p.step_unit) == ("knock-knock", "dialogs", "characters")
    assert p.dialogs == tuple(tuple(d) for d in task.dialogs) and p.dialogs_total == len(task.dialogs) > 50
    assert p.held_out == p.held_listed == max(1, round(len(task.dialogs) * cfg.val_fraction))
    assert p.made_up == 300 and p.made_up_shown == tuple(tuple(d) for d in task.made_up[:MADE_UP_SHOWN])
    assert p.fresh_share == pytest.approx(task.fresh_share) and p.fresh_share > 0
    assert p.dialogs[0][:2] == ("Knock, knock!", "Who's there?")
    assert any("300 made-up jokes" in n for n in p.notes)
    without = preview_of(DataConfig(kind="knock-knock", made_up_jokes=0))
    assert without.made_up == 0 and without.made_up_shown == () and without.fresh_share == 0.0


@pytest.mark.parametrize(
    ("cfg", "unit"),
    [
        (DataConfig(kind="memory", source="generator", gap=6, keys=4, seed=2), "steps"),
        (DataConfig(kind="order", source="generator", seed=1), "words"),
        (DataConfig(kind="spell"), "letters"),
    ],
)
def test_generated_kinds_show_their_first_line_and_held_out_examples(cfg, unit):
    task = build_task(cfg)
    p = data_preview(task, cfg)
    assert (p.kind, p.mode, p.step_unit) == (cfg.kind, "examples", unit)
    assert p.line == task.preview_line()
    assert p.examples == tuple(task.examples(EXAMPLES_SHOWN)) and len(p.examples) == EXAMPLES_SHOWN
    if cfg.kind == "memory":  # a key, the gap's digits, the question; its answer is the key's
        sequence, answer = p.examples[0]
        assert len(sequence.split()) == 6 + 2 and answer in task.classes
    if cfg.kind == "spell":
        assert "16 words" in p.line


def test_a_generated_series_shows_every_value_and_its_split():
    cfg = DataConfig(kind="prices", source="generator", generator="sine", length=300, window=12)
    task = build_task(cfg)
    p = data_preview(task, cfg)
    assert (p.kind, p.mode, p.step_unit) == ("prices", "series", "steps")
    np.testing.assert_array_equal(p.values, task.values)
    assert p.positions is None and list(p.x[:3]) == [0.0, 1.0, 2.0] and len(p.x) == 300
    assert (p.length, p.split, p.window, p.train_windows) == (300, task.split, 12, task.n_train_windows)
    assert p.dates is None and p.dates_text == "" and p.input_names == ()
    assert any("seed 0" in n for n in p.notes)


def test_a_csv_with_dates_and_an_input_column_shows_them(tmp_path):
    path = tmp_path / "shop.csv"
    rows = [f"2024-{1 + i // 28:02d}-{1 + i % 28:02d},{100 + i % 9},{5 + i % 4}" for i in range(112)]
    path.write_text("date,close,visitors\n" + "\n".join(rows) + "\n", encoding="utf-8")
    cfg = DataConfig(kind="prices", source="file", path=str(path), column="close", inputs="visitors", window=8)
    task = build_task(cfg)
    p = data_preview(task, cfg)
    np.testing.assert_array_equal(p.values, [100 + i % 9 for i in range(112)])
    assert p.input_names == ("visitors",) and p.length == 112 and p.split == task.split
    assert p.dates is not None and p.dates.unit == "day" and len(p.dates) == 112
    assert p.dates.label(0) == "2024-01-01" and p.dates_text == task.dates.describe()
    # as the panel asks for it: the columns listed, a missing column replaced by the likely one
    built = build_preview(DataConfig(kind="prices", source="file", path=str(path), column="nope"))
    assert built.error == "" and built.config.column == "close"
    assert built.columns == (("date", "close", "visitors"), ("close", "visitors"))


def test_a_long_series_is_drawn_from_a_bounded_number_of_points(monkeypatch):
    monkeypatch.setattr(preview_module, "SERIES_POINTS", 100)
    cfg = DataConfig(kind="prices", source="generator", length=1000, window=8)
    task = build_task(cfg)
    p = data_preview(task, cfg)
    assert p.length == 1000 and len(p.values) <= 103
    assert {0, task.split - 1, task.split, 999} <= set(p.positions.tolist())
    np.testing.assert_array_equal(p.values, task.values[p.positions])
    assert p.x[-1] == 999.0


@pytest.mark.parametrize(
    "cfg",
    [
        DataConfig(kind="text"),
        DataConfig(kind="knock-knock"),
        DataConfig(kind="prices", source="generator", length=100_000),
        DataConfig(kind="memory", source="generator"),
        DataConfig(kind="quotes"),
    ],
    ids=lambda c: c.kind,
)
def test_a_preview_is_small_and_opens_without_torch(tmp_path, cfg):
    p = preview_of(cfg)
    blob = pickle.dumps(p)
    assert len(blob) < 1_000_000
    (tmp_path / "p.pickle").write_bytes(blob)
    code = f"import pickle, sys; pickle.loads(open({str(tmp_path / 'p.pickle')!r}, 'rb').read()); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_the_builder_answers_the_newest_request_and_keeps_its_task_for_the_build():
    answers: list[m.DataPreviewed] = []
    builder = PreviewBuilder(answers.append)
    first = DataConfig(kind="memory", source="generator", gap=4)
    newest = DataConfig(kind="memory", source="generator", gap=7)
    builder.request(m.PreviewData(first, 1))
    builder.request(m.PreviewData(newest, 2))
    assert builder.wait_idle(60)
    assert answers[-1].number == 2 and answers[-1].preview.kind == "memory" and answers[-1].error == ""
    assert all(a.number in (1, 2) for a in answers)
    assert builder.take(first) is None  # (not the newest: not kept)
    builder.request(m.PreviewData(newest, 3))
    assert builder.wait_idle(60)
    kept = builder.take(newest)
    assert kept is not None and kept.task.gap == 7 and kept.preview.kind == "memory"
    assert builder.take(newest) is None  # given once


def test_a_refused_preview_answers_its_one_line():
    answers: list[m.DataPreviewed] = []
    builder = PreviewBuilder(answers.append)
    builder.request(m.PreviewData(DataConfig(kind="text", source="file", path="/no/such/file.txt"), 5))
    assert builder.wait_idle(60)
    (a,) = answers
    assert a.number == 5 and a.preview is None and "no such file" in a.error and "\n" not in a.error
    assert builder.take(a.config) is None


def test_the_engine_trains_on_the_task_its_preview_built():
    from playground.app.engine import Engine
    from playground.core.config import ModelConfig, SessionConfig, TrainConfig

    answers: list = []
    engine = Engine(answers.append)
    data = DataConfig(kind="memory", source="generator", gap=5)
    engine.handle(m.PreviewData(data, 1))
    assert engine.previews.wait_idle(60)
    kept = engine.previews._kept.task
    engine.handle(m.Build(SessionConfig(model=ModelConfig(arch="gru", hidden=8), data=data, train=TrainConfig()), 1))
    assert engine.trainer.task is kept
    arrived = next(a for a in answers if isinstance(a, m.ModelArrived))
    assert arrived.summary["preview"].kind == "memory" and "task" not in arrived.summary
