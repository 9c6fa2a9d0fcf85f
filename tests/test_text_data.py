"""Text and dialog data: what gets learned, and a clear line for every bad file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core import paths
from playground.core.config import DataConfig
from playground.core.data import build_task
from playground.core.data import text as text_mod
from playground.core.data.dialogs import DIALOG_START, SPEAKERS, encode_turns, parse_dialogs, read_dialog_file
from playground.core.errors import PlaygroundError


def test_bundled_corpora_are_ours_and_sized():
    corpus = paths.bundled_text().read_text(encoding="utf-8")
    assert 20_000 < len(corpus.encode()) < 200_000
    dialogs = read_dialog_file(str(paths.bundled_dialogs()))
    assert len(dialogs) >= 50
    for d in dialogs:
        assert d[0] == "Knock, knock!" and d[1] == "Who's there?"
        assert d[3] == d[2].rstrip(".") + " who?"
    assert len({d[2] for d in dialogs}) == len(dialogs)


def test_text_task_round_trips_and_batches(tiny_text):
    task = build_task(DataConfig(kind="text", source="inline", text=tiny_text, val_fraction=0.1))
    assert task.decode(task.encode("the cat")) == "the cat"
    assert len(task.train_ids) + len(task.val_ids) == len(tiny_text)
    gen = torch.Generator().manual_seed(0)
    x, y = task.sample_batch(5, 16, gen, torch.device("cpu"))
    assert x.shape == y.shape == (5, 16)
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one character
    assert 0 < task.unigram_entropy() < np.log(len(task.vocab))
    with pytest.raises(PlaygroundError, match="never saw"):
        task.encode("QX")


def write(tmp_path, data: bytes, name="data.txt"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary"),
        (b"caf\xe9 au lait\n" * 50, "not UTF-8"),
        (b"   \n\n\t  \n", "only whitespace"),
        (bytes(range(1, 31)) * 100, "binary"),
    ],
)
def test_bad_text_files(tmp_path, data, words):
    p = write(tmp_path, data)
    with pytest.raises(PlaygroundError, match=words) as err:
        build_task(DataConfig(kind="text", source="file", path=str(p)))
    assert "data.txt" in str(err.value) and "\n" not in str(err.value)


def test_non_utf8_names_the_offset(tmp_path):
    p = write(tmp_path, b"hello caf\xe9\n")
    with pytest.raises(PlaygroundError, match=r"0xe9 at offset 9"):
        text_mod.read_text_file(p)


def test_missing_and_huge_files(tmp_path, monkeypatch):
    with pytest.raises(PlaygroundError, match="no such file"):
        text_mod.read_text_file(tmp_path / "nope.txt")
    monkeypatch.setattr(text_mod, "MAX_TEXT_BYTES", 1000)
    p = write(tmp_path, b"a" * 2000)
    with pytest.raises(PlaygroundError, match="supported"):
        text_mod.read_text_file(p)


def test_crlf_and_bom_are_normalised(tmp_path):
    p = write(tmp_path, b"\xef\xbb\xbfone\r\ntwo\r\n")
    assert text_mod.read_text_file(p) == "one\ntwo\n"


def test_text_too_short_for_sequence(tiny_text):
    task = build_task(DataConfig(kind="text", source="inline", text="hello there, world"))
    with pytest.raises(PlaygroundError, match="sequence length"):
        task.check_seq_len(64)


def test_dialog_format():
    text = "# a comment\nKnock, knock!\nWho's there?\nAda.\nAda who?\nAda lot of cake!\n\n\nKnock, knock!\nWho's there?\n"
    dialogs = parse_dialogs(text)
    assert dialogs == [
        ["Knock, knock!", "Who's there?", "Ada.", "Ada who?", "Ada lot of cake!"],
        ["Knock, knock!", "Who's there?"],
    ]
    s = encode_turns(["Knock, knock!", "Who's there?"], open_next=True)
    assert s == DIALOG_START + SPEAKERS[0] + "Knock, knock!\n" + SPEAKERS[1] + "Who's there?\n" + SPEAKERS[0]
    with pytest.raises(PlaygroundError, match="single turn"):
        parse_dialogs("Knock, knock!\n\nhello\n")
    with pytest.raises(PlaygroundError, match="no dialogs"):
        parse_dialogs("# only comments\n\n")


def test_dialog_task_holds_out_whole_dialogs():
    task = build_task(DataConfig(kind="knock-knock", val_fraction=0.1))
    n = len(task.dialogs)
    assert task.decode(task.val_ids).count(DIALOG_START) == round(n * 0.1)
    # Any printable name can be typed at the model, even one the jokes never use.
    task.encode("Zyx Qwerty~")


def test_a_text_with_a_few_wide_characters_and_a_plain_ascii_part_encodes(tmp_path):
    """A file with an arrow (U+2192) or a superscript minus early on and plain ASCII at the end: the ASCII
    part's character codes, read as bytes, once overflowed against the wide vocabulary (an internal error
    on README.md). Every character must round-trip, in the training and the held-out part."""
    text = "gradients \u2192 10\u207b\u00b3 and caf\u00e9s. " * 20 + "the plain tail of the file. " * 40
    path = tmp_path / "notes.txt"
    path.write_text(text, encoding="utf-8")
    task = build_task(DataConfig(kind="text", source="file", path=str(path), val_fraction=0.2))
    assert "\u2192" in task.vocab and "\u207b" in task.vocab
    assert task.decode(task.train_ids) + task.decode(task.val_ids) == text
    assert task.decode(task.encode("the tail \u2192")) == "the tail \u2192"
    with pytest.raises(PlaygroundError, match="never saw"):
        task.encode("plain Q")


def test_a_nul_or_a_binary_stretch_anywhere_in_a_text_is_refused_naming_where(tmp_path):
    """Issue 28: only the first 64 kB used to be checked, so a text with a NUL byte or a binary tail
    after it trained. The whole text is checked now, and the message says where the trouble starts."""
    text = b"a plain line of text, nothing more.\n" * 2500  # 90,000 bytes
    late_nul = write(tmp_path, text + b"\x00" + b"and more text\n", "late_nul.txt")
    with pytest.raises(PlaygroundError) as err:
        build_task(DataConfig(kind="text", source="file", path=str(late_nul)))
    message = str(err.value)
    assert message.startswith("late_nul.txt looks like a binary file") and "\n" not in message
    assert "NUL" in message and "byte offset 90,000" in message

    tail = write(tmp_path, text + bytes(range(1, 9)) * 2000 + text, "binary_tail.txt")
    with pytest.raises(PlaygroundError, match=r"binary_tail.txt looks like a binary file.*control characters, from byte offset 65,536"):
        build_task(DataConfig(kind="text", source="file", path=str(tail)))
    with pytest.raises(PlaygroundError, match="the pasted text looks like a binary file"):  # a paste: the same check
        build_task(DataConfig(kind="text", source="inline", text=(text + b"\x00").decode()))

    # a few control characters here and there are text still (an escape code, a form feed)
    fine = write(tmp_path, text + b"\x1b[1mbold\x1b[0m\x0c\n" + text, "fine.txt")
    task = build_task(DataConfig(kind="text", source="file", path=str(fine)))
    assert "\x1b" in task.vocab and len(task.train_ids) + len(task.val_ids) == 2 * len(text) + 14


def test_a_long_text_is_encoded_as_the_characters_it_holds(tmp_path):
    """The lookup a chunk at a time gives every character its vocabulary index, in ASCII chunks and in
    chunks with wide characters, across the chunks' edges (a 1 MB text, chunks of 256 K characters)."""
    rng = np.random.default_rng(3)
    alphabet = np.array(list("abc xyz.\n\u00e9\u2192\u4e2d"))
    chars = alphabet[rng.integers(0, 8, 1 << 20)]  # ASCII only...
    chars[700_000:700_050] = alphabet[rng.integers(0, len(alphabet), 50)]  # ...but for one stretch
    text = "".join(chars.tolist())
    task = build_task(DataConfig(kind="text", source="inline", text=text, val_fraction=0.1))
    assert list(task.vocab) == sorted(set(text))
    ids = np.concatenate([task.train_ids, task.val_ids])
    expected = np.searchsorted(np.array(task.vocab), chars)
    np.testing.assert_array_equal(ids, expected)
