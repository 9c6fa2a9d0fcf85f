"""The shipped example models: each is listed, small, opens, and does what its description says."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
import torch

from playground.core import examples, inference, paths
from playground.core.errors import PlaygroundError
from playground.core.train import checkpoint

MODELS = paths.models_dir()
FILES = sorted(MODELS.glob("*.safetensors"))


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models run fastest on one thread; two threads on a busy 2-core machine crawl."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def listed() -> list[examples.Example]:
    return examples.list_examples()


def test_every_model_file_is_listed_with_a_one_line_description(listed):
    assert FILES, "models/ ships no example"
    assert sorted(e.path.name for e in listed) == [f.name for f in FILES]
    for e in listed:
        assert e.title.strip() and "\n" not in e.title
        assert e.description.strip() and "\n" not in e.description
        assert e.path.is_file() and e.path.parent == MODELS


def test_index_is_valid_and_names_every_file_and_only_those():
    index = examples.read_index()  # raises on a malformed index
    assert set(index) == {f.name for f in FILES}
    readme = (MODELS / "README.md").read_text()
    for name in index:
        assert name in readme  # each example says how it was made


def test_files_are_small():
    for f in FILES:
        assert f.stat().st_size <= 5 * 2**20, f.name


def test_every_data_kind_and_every_recurrent_core_on_text(listed):
    assert {e.kind for e in listed} >= {"text", "knock-knock", "prices"}
    assert {e.arch for e in listed if e.kind == "text"} >= {"rnn", "lstm", "gru"}


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_example_opens_and_answers(path: Path):
    trainer = checkpoint.load(path, device="cpu")
    model, task = trainer.model, trainer.task
    if task.kind == "text":
        text = inference.sample(model, task, "The ", 200, temperature=0.7, seed=0)
        assert len(text) == 200
        corpus = set(re.findall(r"[a-z]+", paths.bundled_text().read_text(encoding="utf-8").lower()))
        words = re.findall(r"[a-z]+", text.lower())
        assert len(words) >= 20 and sum(w in corpus for w in words) / len(words) > 0.5, text
        info = checkpoint.describe(path)
        assert info["last_val_loss"] < 0.65 * task.unigram_entropy()  # well below guessing by frequency
    elif task.kind == "knock-knock":
        assert inference.reply(model, task, "Knock, knock!") == "Who's there?"
    elif task.kind == "prices":
        ahead = inference.forecast(model, task, 10)
        assert len(ahead) == 10 and all(math.isfinite(float(v)) for v in ahead)
        ev = inference.evaluate(model, task)
        assert math.isfinite(ev["mae"]) and ev["mae"] <= 1.05 * ev["baseline_mae"]
    else:
        pytest.fail(f"{path.name}: unexpected data kind {task.kind}")


# ---------------------------------------------------------------- an index that does not match


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two copies of the smallest example, one indexed, one not, and an entry for a missing file."""
    small = min(FILES, key=lambda f: f.stat().st_size)
    shutil.copy(small, tmp_path / "indexed.safetensors")
    shutil.copy(small, tmp_path / "my_own-model.safetensors")
    index = {
        "gone.safetensors": {"title": "Gone", "description": "A file that is not there."},
        "indexed.safetensors": {"title": "Indexed", "description": "One line."},
    }
    (tmp_path / "index.json").write_text(json.dumps(index))
    return tmp_path


def test_missing_files_are_skipped_and_unindexed_ones_described(folder: Path):
    listed = examples.list_examples(folder)
    assert [e.path.name for e in listed] == ["indexed.safetensors", "my_own-model.safetensors"]
    indexed, own = listed
    assert (indexed.title, indexed.description) == ("Indexed", "One line.")
    assert own.title == "My own model"
    assert own.description.strip() and "\n" not in own.description
    info = checkpoint.describe(own.path)
    assert str(info["steps"]) in own.description and info["data"]["kind"] in own.description
    assert (own.kind, own.arch) == (info["data"]["kind"], info["model"]["arch"])


def test_a_broken_model_file_is_skipped(folder: Path):
    (folder / "broken.safetensors").write_bytes(b"not a model")
    assert "broken.safetensors" not in {e.path.name for e in examples.list_examples(folder)}


def test_no_index_still_lists(folder: Path):
    (folder / "index.json").unlink()
    assert examples.read_index(folder) == {}
    assert [e.title for e in examples.list_examples(folder)] == ["Indexed", "My own model"]


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"../x.safetensors": {"title": "t", "description": "d"}}',
        '{"x.pt": {"title": "t", "description": "d"}}',
        '{"x.safetensors": "title"}',
        '{"x.safetensors": {"title": "t"}}',
        '{"x.safetensors": {"title": "t", "description": "d", "extra": 1}}',
        '{"x.safetensors": {"title": "", "description": "d"}}',
        '{"x.safetensors": {"title": "t", "description": "two\\nlines"}}',
        '{"x.safetensors": {"title": 3, "description": "d"}}',
    ],
)
def test_a_malformed_index_is_named_but_costs_only_the_titles(folder: Path, text: str):
    (folder / "index.json").write_text(text)
    with pytest.raises(PlaygroundError, match="index.json"):
        examples.read_index(folder)
    assert [e.title for e in examples.list_examples(folder)] == ["Indexed", "My own model"]
