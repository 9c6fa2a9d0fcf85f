"""A text file over MAP_BYTES trains through a memory map of its ids (core/data/text_map.py).

The map must give what the text in memory gives (the vocabulary, the held-out cut, every batch from
the same generator, the held-out windows, the preview), its model file must name the text instead of
carrying it, and reading batches must not pull the text into memory page by page. The threshold is
lowered here so that small files take the map.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data import build_task, corpus_map, text_map
from playground.core.data.preview import data_preview
from playground.core.data.text import TokenTask, build_text_task
from playground.core.errors import PlaygroundError
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

TEXT = ("the café sat on the mat.\r\nüber die brücke, the dog ate the log; " * 40 + "the end\n") * 3


@pytest.fixture
def mapped(tmp_path, monkeypatch):
    """TEXT (with a BOM and CRLF line ends) as a file that takes the map; (its path, the text as the app reads it)."""
    monkeypatch.setattr(text_map, "MAP_BYTES", 100)
    path = tmp_path / "story.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    return path, TEXT.replace("\r\n", "\n")


def test_the_map_gives_the_batches_and_cuts_of_the_text_in_memory(mapped):
    path, text = mapped
    mem = build_text_task(text, 0.2)
    task = build_task(DataConfig(kind="text", source="file", path=str(path), val_fraction=0.2))
    assert isinstance(task, text_map.MappedTextTask) and task.vocab == mem.vocab
    assert (len(task.train_ids), len(task.val_ids)) == (len(mem.train_ids), len(mem.val_ids))
    assert np.array_equal(task.val_ids, mem.val_ids) and task.train_ids.dtype == np.uint8
    cpu = torch.device("cpu")
    a, b = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    for _ in range(5):
        (x1, y1), (x2, y2) = mem.sample_batch(8, 32, a, cpu), task.sample_batch(8, 32, b, cpu)
        assert torch.equal(x1, x2) and torch.equal(y1, y2) and x2.dtype == torch.int64
    for (x1, y1), (x2, y2) in zip(mem.val_batches(4, 16, 3, cpu), task.val_batches(4, 16, 3, cpu), strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert task.unigram_entropy() == pytest.approx(mem.unigram_entropy(), rel=1e-12)
    assert all(torch.equal(p, q) for p, q in zip(mem.probe(20)[:2], task.probe(20)[:2], strict=True))
    shown = data_preview(task)
    assert shown.text == data_preview(mem).text and shown.text.startswith("the café sat")
    assert (shown.n_train, shown.n_val) == (len(mem.train_ids), len(mem.val_ids))
    assert any("story.txt" in note for note in shown.notes)


def test_a_mapped_text_trains_and_its_model_names_the_text(mapped, tmp_path):
    path, _ = mapped
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=12, embed=6),
        data=DataConfig(kind="text", source="file", path=str(path)),
        train=TrainConfig(batch_size=4, seq_len=16, device="cpu"),
    )
    trainer = Trainer(session)
    for _ in range(3):
        assert not trainer.step().refused
    saved = checkpoint.save(trainer, tmp_path / "m.safetensors")
    assert "data/text" not in checkpoint.read_parts(saved)[2]  # named by its path, not carried
    again = checkpoint.load(saved, device="cpu", data_file=path)  # the user names the text again
    assert isinstance(again.task, text_map.MappedTextTask) and again.task.vocab == trainer.task.vocab
    assert not again.step().refused and again.steps == 4
    made = sorted(p.name for p in tmp_path.glob("story.txt.ids-*"))
    assert len(made) == 2, made  # one map, reused when the model was reopened


def test_the_map_is_reused_and_made_again_for_a_changed_text(mapped, monkeypatch):
    path, text = mapped
    first = text_map.build_mapped_text_task(path, 0.1)
    monkeypatch.setattr(corpus_map, "text_vocab_of", lambda *a: pytest.fail("read the text for its vocabulary again"))
    monkeypatch.setattr(corpus_map, "encode_corpus", lambda *a: pytest.fail("encoded again"))
    assert np.array_equal(text_map.build_mapped_text_task(path, 0.1).train_ids, first.train_ids)
    monkeypatch.undo()
    monkeypatch.setattr(text_map, "MAP_BYTES", 100)
    path.write_text(text + "Zebras!\n", encoding="utf-8")
    changed = text_map.build_mapped_text_task(path, 0.1)
    assert "Z" in changed.vocab and len(changed.train_ids) + len(changed.val_ids) == len(text) + 8


def test_bad_big_texts_are_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(text_map, "MAP_BYTES", 10)
    cases = {
        "nul.txt": (b"some text\x00 and more", r"^nul.txt holds NUL bytes: it is not text$"),
        "latin.txt": (b"a caf\xe9 over the road", r"^latin.txt is not UTF-8 text \(byte 0xe9 at offset 5\)$"),
        "same.txt": (b"a" * 40, r"at least two different characters"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(PlaygroundError, match=message):
            build_task(DataConfig(kind="text", source="file", path=str(tmp_path / name)))
    (tmp_path / "new.txt").write_text("the cat sat on the mat, Zed.", encoding="utf-8")
    with pytest.raises(PlaygroundError, match=r"^new.txt has characters the model never saw: 'Z'$"):
        text_map.build_mapped_text_task(tmp_path / "new.txt", 0.1, vocab=list(" ,.acdehmnost"))


def _rss_file_mb() -> float:
    """This process's resident file-backed pages (a map's pages read in), in MB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("RssFile"))


@pytest.mark.skipif(not hasattr(__import__("mmap"), "MADV_DONTNEED"), reason="no madvise here (Windows)")
def test_batches_from_a_large_map_keep_memory_bounded(tmp_path, monkeypatch):
    """64 MB of text, 60 batches of 32 random windows: without letting the map's pages go, each window
    brings up to 2 MB of the text into this process (large page-cache folios, Linux 6), most of the
    text in all; with it, memory holds about a batch."""
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"etaoinshrdlu      \n", dtype=np.uint8)
    path = tmp_path / "big.txt"
    with open(path, "wb") as f:
        for _ in range(8):
            f.write(letters[rng.integers(len(letters), size=8 * 2**20, dtype=np.uint8)].tobytes())
    monkeypatch.setattr(text_map, "MAP_BYTES", 2**20)
    task = build_task(DataConfig(kind="text", source="file", path=str(path)))
    assert isinstance(task, text_map.MappedTextTask) and len(task.train_ids) > 56 * 2**20
    gen, cpu = torch.Generator().manual_seed(0), torch.device("cpu")
    task.sample_batch(32, 64, gen, cpu)
    before = _rss_file_mb()
    for _ in range(60):
        x, _y = task.sample_batch(32, 64, gen, cpu)
    task.val_batches(32, 64, 4, cpu)
    grown = _rss_file_mb() - before
    assert grown < 8, f"reading batches brought {grown:.1f} MB of the map into memory"
    assert int(x.max()) < len(task.vocab)
    assert isinstance(task, TokenTask)
