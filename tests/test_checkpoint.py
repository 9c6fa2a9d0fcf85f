"""Model files: an exact round trip, a resumable run, atomic saves, and bad files refused by name."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import stat
import struct
import time

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.errors import PlaygroundError
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

TEXT = "the cat sat on the mat. the dog ate the log. a bird sang in the tree. " * 20


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models run fastest on one thread; two threads on a busy 2-core machine crawl."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def text_session(data: DataConfig | None = None, **train) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="lstm", hidden=16, embed=8),
        data=data or DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(**{"batch_size": 4, "seq_len": 16, "val_every": 10, "device": "cpu", **train}),
    )


def trained(session: SessionConfig, steps: int) -> Trainer:
    t = Trainer(session)
    for _ in range(steps):
        assert not t.step().refused
    return t


def split_file(data: bytes) -> tuple[dict, bytes]:
    """A safetensors file's JSON header and the tensor bytes after it."""
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join_file(header: dict, body: bytes, size: int | None = None) -> bytes:
    """Bytes of a safetensors file: 8-byte little-endian header length, JSON header (space-padded), tensors."""
    raw = json.dumps(header).encode()
    size = size if size is not None else len(raw) + (-len(raw) % 8)
    return struct.pack("<Q", size) + raw + b" " * (size - len(raw)) + body


def with_meta(data: bytes, **changes: str) -> bytes:
    header, body = split_file(data)
    header["__metadata__"].update(changes)
    return join_file(header, body)


@pytest.fixture(scope="module")
def good_file(tmp_path_factory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("good") / "good.safetensors"
    checkpoint.save(trained(text_session(), 3), path)
    return path


# ---------------------------------------------------------------- round trip


def test_save_load_is_exact(tmp_path):
    # Validation at steps 10 and 20, averaged over 7 windows (not a power of two, so the mean
    # is not a float32 number: the file must keep it as float64 to give it back exactly).
    a = trained(text_session(seq_len=18), 25)
    assert sum(len(x) for x, _ in a.task.val_batches(4, 18, 4, a.device)) == 7
    before_text = inference.sample(a.model, a.task, "the ", 100, temperature=1.0, seed=5)
    before_next = inference.top_next(a.model, a.task, "the ", 5)
    path = checkpoint.save(a, tmp_path / "m")  # the suffix is added
    assert path == tmp_path / "m.safetensors" and path.is_file()

    b = checkpoint.load(path, device="cpu")
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    oa, ob = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert oa["state"].keys() == ob["state"].keys() and len(oa["state"]) == len(sa)
    for idx in oa["state"]:
        assert oa["state"][idx].keys() == ob["state"][idx].keys()
        for key, va in oa["state"][idx].items():
            vb = ob["state"][idx][key]
            assert torch.equal(va, vb) if isinstance(va, torch.Tensor) else va == vb, (idx, key)
    assert ob["param_groups"][0]["lr"] == oa["param_groups"][0]["lr"] == 3e-3
    assert list(ob["param_groups"][0]["betas"]) == list(oa["param_groups"][0]["betas"])

    assert b.steps == a.steps == 25
    assert np.array_equal(b.history.losses, a.history.losses) and len(b.history.losses) == 25
    assert b.history.val_steps == a.history.val_steps == [10, 20]
    assert b.history.val_loss == a.history.val_loss  # exactly: stored as float64
    assert b.task.vocab == a.task.vocab
    assert b.session == a.session

    after_text = inference.sample(b.model, b.task, "the ", 100, temperature=1.0, seed=5)
    assert len(after_text) == 100 and after_text == before_text
    assert inference.top_next(b.model, b.task, "the ", 5) == before_next


def test_same_model_same_bytes(tmp_path):
    # safetensors writes its metadata map in a random order; save() sorts it, so a model made
    # again by the same command is the same file, byte for byte.
    t = trained(text_session(), 3)
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    for _ in range(3):
        checkpoint.save(t, a)
        checkpoint.save(t, b)
        assert a.read_bytes() == b.read_bytes()
    header, _ = split_file(a.read_bytes())
    assert list(header["__metadata__"]) == sorted(header["__metadata__"])
    assert checkpoint.load(a).steps == 3


def test_resume_is_bit_for_bit(tmp_path):
    # Two layers with dropout: the dropout masks come from torch's global RNG, the batches from
    # the trainer's own generator; both must be restored for the resumed run to match.
    session = text_session(seed=3)
    session = SessionConfig(
        model=ModelConfig(arch="lstm", hidden=16, embed=8, layers=2, dropout=0.3),
        data=session.data,
        train=session.train,
    )
    a = trained(session, 30)
    saved = a.history.losses.copy()
    path = checkpoint.save(a, tmp_path / "a.safetensors")
    torch.rand(1000)  # disturb the global RNG between saving and loading

    b = checkpoint.load(path, device="cpu")
    assert b.steps == 30
    for _ in range(30):
        b.step()
    assert b.steps == 60 and len(b.history.losses) == 60
    assert np.array_equal(b.history.losses[:30], saved)

    c = trained(session, 60)  # the same run, uninterrupted
    assert np.array_equal(b.history.losses, c.history.losses)
    assert b.history.val_steps == c.history.val_steps == [10, 20, 30, 40, 50, 60]
    assert b.history.val_loss == c.history.val_loss
    for k, v in c.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k]), k


def test_prices_forecast_survives_deleted_csv(tmp_path):
    csv = tmp_path / "prices.csv"
    values = 100 + 5 * np.sin(np.arange(40) / 3)
    csv.write_text(
        "date,name,close\n" + "".join(f"2024-01-{i + 1:02d},ACME,{v:.3f}\n" for i, v in enumerate(values))
    )
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, window=4),
        data=DataConfig(kind="prices", source="file", path=str(csv), window=4, val_fraction=0.2),
        train=TrainConfig(batch_size=8, val_every=0, device="cpu"),
    )
    a = trained(session, 20)
    before = inference.forecast(a.model, a.task, 6)
    before_eval = inference.evaluate(a.model, a.task)
    path = checkpoint.save(a, tmp_path / "p.safetensors")
    csv.unlink()

    b = checkpoint.load(path, device="cpu")
    np.testing.assert_array_equal(b.task.values, np.round(values, 3))
    after = inference.forecast(b.model, b.task, 6)
    assert after.shape == (6,)
    np.testing.assert_array_equal(after, before)
    after_eval = inference.evaluate(b.model, b.task)
    for key in ("mae", "rmse", "baseline_mae", "baseline_rmse"):
        assert after_eval[key] == before_eval[key], key
    assert b.task.normalizer == a.task.normalizer
    b.step()  # the stored series is enough to train on
    assert b.steps == 21


def test_a_text_model_carries_its_text_and_trains_on_without_the_file(tmp_path):
    """The text of the file a model learnt from travels inside the model file: with the file deleted
    the model trains on exactly as the original would have (same batches, same losses)."""
    src = tmp_path / "story.txt"
    src.write_text(TEXT, encoding="utf-8")
    a = trained(text_session(DataConfig(kind="text", source="file", path=str(src))), 10)
    path = checkpoint.save(a, tmp_path / "story.safetensors")
    src.unlink()

    b = checkpoint.load(path, device="cpu")
    assert b.task.has_data and b.task.vocab == a.task.vocab
    assert b.task.decode(b.task.train_ids) == a.task.decode(a.task.train_ids)
    assert [b.step().loss for _ in range(3)] == [a.step().loss for _ in range(3)]
    assert b.steps == 13
    again = checkpoint.load(checkpoint.save(b, tmp_path / "again.safetensors"), device="cpu")
    assert again.task.source_text == TEXT  # and it is saved again with the next save


def test_the_data_file_a_model_names_is_never_read_on_opening(tmp_path, monkeypatch):
    """Its settings still name the file it came from (`info` shows it), but opening reads only the
    model file: the file at that path, changed since or replaced by a FIFO, is never opened."""
    src = tmp_path / "story.txt"
    src.write_text(TEXT, encoding="utf-8")
    a = trained(text_session(DataConfig(kind="text", source="file", path=str(src))), 2)
    path = checkpoint.save(a, tmp_path / "story.safetensors")
    src.write_text("something else entirely, with new characters: QXZ!", encoding="utf-8")
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *x, **k: opened.append(str(p)) or real_open(p, *x, **k))
    b = checkpoint.load(path, device="cpu")
    assert b.task.source_text == TEXT and str(src) not in opened
    src.unlink()
    os.mkfifo(src)  # a read would wait forever
    assert checkpoint.load(path, device="cpu").task.source_text == TEXT
    assert checkpoint.describe(path)["data"]["path"] == str(src)


def test_an_older_text_model_without_its_text_samples_and_is_given_its_data_again(tmp_path):
    """A file saved before the text travelled inside it (made here by leaving the text out): it
    samples; training says how to give the data again, and `load(..., data_file=)` does."""
    src = tmp_path / "story.txt"
    src.write_text(TEXT, encoding="utf-8")
    a = trained(text_session(DataConfig(kind="text", source="file", path=str(src))), 10)
    a.task.source_text = None
    path = checkpoint.save(a, tmp_path / "story.safetensors")
    assert "data/text" not in checkpoint.read(path)[1]
    before = inference.sample(a.model, a.task, "the", 50, seed=1)

    b = checkpoint.load(path, device="cpu")  # the file is still there: it is not read
    assert b.task.vocab == a.task.vocab and not b.task.has_data
    assert inference.sample(b.model, b.task, "the", 50, seed=1) == before
    with pytest.raises(PlaygroundError, match="train --resume MODEL --file DATA"):
        b.step()
    assert b.steps == 10

    moved = tmp_path / "moved.txt"
    src.rename(moved)
    c = checkpoint.load(path, device="cpu", data_file=moved)
    assert c.session.data.path == str(moved) and c.task.has_data
    assert c.step().loss == pytest.approx(a.step().loss)  # the same next batch: it goes on where it stopped
    assert checkpoint.load(checkpoint.save(c, path), device="cpu").task.has_data  # and now carries it

    foreign = tmp_path / "foreign.txt"
    foreign.write_text("QUITE DIFFERENT LETTERS 12345 " * 10, encoding="utf-8")
    with pytest.raises(PlaygroundError, match="vocabulary lacks"):
        checkpoint.load(path, data_file=foreign)


def test_a_dialog_model_from_a_file_carries_its_dialogs(tmp_path):
    dialogs = "\n\n".join(f"Knock, knock!\nWho's there?\nName{i}.\nName{i} who?" for i in range(12))
    src = tmp_path / "jokes.txt"
    src.write_text(dialogs, encoding="utf-8")
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="knock-knock", source="file", path=str(src)),
        train=TrainConfig(batch_size=4, seq_len=16, device="cpu"),
    )
    a = trained(session, 3)
    path = checkpoint.save(a, tmp_path / "jokes.safetensors")
    src.unlink()
    b = checkpoint.load(path, device="cpu")
    assert b.task.dialogs == a.task.dialogs and b.task.has_data
    assert b.step().loss == a.step().loss


@pytest.mark.parametrize(
    "bad",
    [torch.zeros(5, dtype=torch.float32), torch.zeros(2, 3, dtype=torch.uint8), torch.tensor([0xFF, 0xFE], dtype=torch.uint8)],
    ids=["float", "matrix", "not-utf8"],
)
def test_a_damaged_stored_text_is_refused_in_one_line(tmp_path, bad):
    src = tmp_path / "story.txt"
    src.write_text(TEXT, encoding="utf-8")
    path = checkpoint.save(trained(text_session(DataConfig(kind="text", source="file", path=str(src))), 1), tmp_path / "m")
    meta, tensors = checkpoint.read(path)
    tensors["data/text"] = bad
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(PlaygroundError, match="m.safetensors|inside m") as e:
        checkpoint.load(path)
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------- atomic save


@pytest.mark.parametrize("fails", ["replace", "fsync"])
def test_failed_save_keeps_previous_file(tmp_path, monkeypatch, fails):
    t = trained(text_session(), 2)
    path = checkpoint.save(t, tmp_path / "m.safetensors")
    old = path.read_bytes()
    t.step()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.os, fails, disk_full)
    with pytest.raises(PlaygroundError) as e:
        checkpoint.save(t, path)
    monkeypatch.undo()
    msg = str(e.value)
    assert "m.safetensors" in msg and "No space left" in msg and "previous file is unchanged" in msg
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["m.safetensors"]  # no temporary file left behind
    assert checkpoint.load(path).steps == 2
    checkpoint.save(t, path)  # once the disk has room, the save goes through
    assert checkpoint.load(path).steps == 3


def test_save_into_missing_folder(tmp_path):
    t = trained(text_session(), 1)
    with pytest.raises(PlaygroundError, match="does not exist") as e:
        checkpoint.save(t, tmp_path / "nope" / "m.safetensors")
    assert "m.safetensors" in str(e.value)
    assert not (tmp_path / "nope").exists()


def test_save_into_read_only_folder(tmp_path):
    t = trained(text_session(), 2)
    folder = tmp_path / "ro"
    folder.mkdir()
    path = checkpoint.save(t, folder / "m.safetensors")
    old = path.read_bytes()
    t.step()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write to a read-only folder (root)")
        with pytest.raises(PlaygroundError, match="previous file is unchanged") as e:
            checkpoint.save(t, path)
        assert "m.safetensors" in str(e.value)
        assert path.read_bytes() == old
        assert os.listdir(folder) == ["m.safetensors"]
    finally:
        folder.chmod(stat.S_IRWXU)


# ---------------------------------------------------------------- bad files


class _Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _truncated_header(data: bytes) -> bytes:
    (n,) = struct.unpack("<Q", data[:8])
    return data[: 8 + n // 2]


def _corrupted_header(data: bytes) -> bytes:
    return data[:9] + b"#" * 12 + data[21:]  # same length, still starts with '{', not JSON


def _foreign(path: pathlib.Path, data: bytes) -> None:
    save_file({"weight": torch.randn(4, 3)}, str(path), metadata={"format": "pt"})


BAD_FILES = {
    # name: (write the file given a real model's bytes, words the message must contain)
    "empty": (lambda p, d: p.write_bytes(b""), ["empty"]),
    "half": (lambda p, d: p.write_bytes(d[: len(d) // 2]), ["truncated"]),
    "header-cut": (lambda p, d: p.write_bytes(_truncated_header(d)), ["truncated"]),
    "five-bytes": (lambda p, d: p.write_bytes(d[:5]), ["truncated"]),
    "bad-json": (lambda p, d: p.write_bytes(_corrupted_header(d)), ["corrupted"]),
    "foreign": (_foreign, ["another program"]),
    "newer": (lambda p, d: p.write_bytes(with_meta(d, format_version="99")), ["newer", "99"]),
    "text": (
        lambda p, d: p.write_text("just some notes, not a model\n" * 5),
        ["not an RNN Playground model"],
    ),
    "folder": (lambda p, d: p.mkdir(), ["folder"]),
}


@pytest.mark.parametrize("opener", [checkpoint.load, checkpoint.describe], ids=["load", "describe"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_by_name(tmp_path, good_file, opener, case):
    write, words = BAD_FILES[case]
    path = tmp_path / f"{case}.safetensors"
    write(path, good_file.read_bytes())
    with pytest.raises(PlaygroundError) as e:
        opener(path)
    msg = str(e.value)
    assert path.name in msg
    for word in words:
        assert word in msg
    assert "\n" not in msg


@pytest.mark.parametrize("opener", [checkpoint.load, checkpoint.describe], ids=["load", "describe"])
def test_missing_file(tmp_path, opener):
    with pytest.raises(PlaygroundError, match=r"no such model file: .*gone\.safetensors"):
        opener(tmp_path / "gone.safetensors")


@pytest.mark.parametrize("opener", [checkpoint.load, checkpoint.describe], ids=["load", "describe"])
@pytest.mark.parametrize("kind", ["protocol-2", "protocol-4", "protocol-5", "torch-save"])
def test_pickle_is_never_unpickled(tmp_path, opener, kind):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.safetensors"
    if kind == "torch-save":
        torch.save({"weights": _Payload(marker)}, path)
        assert path.read_bytes()[:4] == b"PK\x03\x04"
    else:
        path.write_bytes(pickle.dumps(_Payload(marker), protocol=int(kind[-1])))
    assert not marker.exists()
    with pytest.raises(PlaygroundError) as e:
        opener(path)
    msg = str(e.value)
    assert "model.safetensors" in msg and "pickle" in msg
    assert not marker.exists()


def test_pickle_payload_is_live(tmp_path):
    """The payload above does run code when unpickled, so its test would catch an unpickling loader."""
    marker = tmp_path / "code-ran"
    pickle.loads(pickle.dumps(_Payload(marker), protocol=4))
    assert marker.exists()


def test_header_length_that_looks_like_a_pickle_still_loads(tmp_path, good_file):
    # A header of 0x10480 bytes starts the file with 80 04, a pickle's first bytes.
    header, body = split_file(good_file.read_bytes())
    path = tmp_path / "padded.safetensors"
    path.write_bytes(join_file(header, body, size=0x10480))
    assert path.read_bytes()[:2] == b"\x80\x04"
    assert checkpoint.load(path).steps == 3
    assert checkpoint.describe(path)["steps"] == 3


def test_missing_settings_are_corrupted_not_a_crash(tmp_path, good_file):
    header, body = split_file(good_file.read_bytes())
    del header["__metadata__"]["session"]
    path = tmp_path / "nosession.safetensors"
    path.write_bytes(join_file(header, body))
    for opener in (checkpoint.load, checkpoint.describe):
        with pytest.raises(PlaygroundError, match=r"nosession\.safetensors is corrupted"):
            opener(path)


def test_newer_settings_say_newer_not_corrupted(tmp_path, good_file):
    data = good_file.read_bytes()
    header, _ = split_file(data)
    session = json.loads(header["__metadata__"]["session"])
    session["version"] = 99
    path = tmp_path / "future.safetensors"
    path.write_bytes(with_meta(data, session=json.dumps(session)))
    with pytest.raises(PlaygroundError) as e:
        checkpoint.load(path)
    msg = str(e.value)
    assert "future.safetensors" in msg and "newer" in msg and "corrupted" not in msg


# ---------------------------------------------------------------- devices


def test_gpu_trained_file_loads_on_cpu(tmp_path, good_file):
    header, _ = split_file(good_file.read_bytes())
    session = json.loads(header["__metadata__"]["session"])
    session["train"]["device"] = "cuda"
    path = tmp_path / "gpu.safetensors"
    path.write_bytes(with_meta(good_file.read_bytes(), session=json.dumps(session), trained_on="cuda:0"))

    _, tensors = checkpoint.read(path)
    assert tensors and all(t.device.type == "cpu" for t in tensors.values())
    t = checkpoint.load(path, device="cpu")
    assert t.device == torch.device("cpu")
    assert all(p.device.type == "cpu" for p in t.model.parameters())
    for st in t.optimizer.state_dict()["state"].values():
        assert all(v.device.type == "cpu" for v in st.values() if isinstance(v, torch.Tensor))
    assert checkpoint.describe(path)["trained_on"] == "cuda:0"
    t.step()  # and trains on there
    assert t.steps == 4


def test_saved_file_has_ordinary_permissions(tmp_path):
    trainer = Trainer(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=8),
            data=DataConfig(kind="prices", source="generator", length=60, window=4),
            train=TrainConfig(val_every=0),
        )
    )
    umask = os.umask(0o022)
    try:
        path = checkpoint.save(trainer, tmp_path / "m.safetensors")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o600)  # an overwrite keeps what the owner chose
        checkpoint.save(trainer, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(umask)


def test_shipped_example_models_open_and_answer():
    from playground.core import paths

    files = sorted(paths.models_dir().glob("*.safetensors"))
    assert files, "models/ ships no example"
    readme = (paths.models_dir() / "README.md").read_text()
    for f in files:
        assert f.name in readme  # each example says how it was made
        assert f.stat().st_size < 5 * 2**20
        trainer = checkpoint.load(f, device="cpu")
        if trainer.task.kind == "knock-knock":
            assert inference.reply(trainer.model, trainer.task, "Knock, knock!") == "Who's there?"


# ---------------------------------------------------------------- no trained work lost (issue 12)


def _tiny_trainer():
    return Trainer(
        SessionConfig(
            model=ModelConfig(hidden=8, embed=4),
            data=DataConfig(kind="text", source="inline", text="abcabcabcabc abc abc"),
            train=TrainConfig(seq_len=8, batch_size=2, val_every=0, device="cpu"),
        )
    )


def test_saving_through_a_symlink_updates_its_target(tmp_path):
    tr = _tiny_trainer()
    target = tmp_path / "real.safetensors"
    checkpoint.save(tr, target)
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    tr.step()
    checkpoint.save(tr, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert checkpoint.load(target).steps == 1


def test_a_looping_symlink_is_refused_and_nothing_written(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(PlaygroundError, match="loops back"):
        checkpoint.save(_tiny_trainer(), a)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.safetensors", "b.safetensors"]


def test_leftover_temporary_files_of_an_interrupted_save_are_cleaned(tmp_path):
    path = tmp_path / "m.safetensors"
    old = tmp_path / ".m.safetensors.abc123.tmp"
    fresh = tmp_path / ".m.safetensors.def456.tmp"  # a save running right now: left alone
    other = tmp_path / ".other.safetensors.abc123.tmp"  # another file's: not ours to touch
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"half a model")
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    checkpoint.save(_tiny_trainer(), path)
    assert not old.exists() and fresh.exists() and other.exists() and path.exists()


def test_ctrl_c_during_a_save_keeps_the_old_file_and_prints_no_traceback(tmp_path, capsys, monkeypatch):
    from playground.cli import main

    path = tmp_path / "m.safetensors"
    assert main(["train", "--data", "text", "--hidden", "8", "--steps", "2", "--out", str(path), "--quiet"]) == 0
    before = path.read_bytes()
    capsys.readouterr()

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.os, "fsync", interrupted)
    code = main(["train", "--resume", str(path), "--steps", "2", "--quiet"])
    _out, err = capsys.readouterr()
    assert code == 130 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "interrupted" in err
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary file left


def test_train_resume_through_a_symlink_updates_its_target(tmp_path, capsys):
    """`train --resume LINK` (no --out: the resume file) trains on and saves through the link: the
    target holds the new steps and the link is still a link to it."""
    from playground.cli import main

    target = tmp_path / "real.safetensors"
    checkpoint.save(_tiny_trainer(), target)
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    assert main(["train", "--resume", str(link), "--steps", "3", "--quiet"]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert checkpoint.load(target).steps == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.safetensors", "real.safetensors"]


def test_train_resume_with_file_gives_an_older_model_its_data_on_the_command_line(tmp_path, capsys):
    from cli_helpers import assert_error, cli_json

    src = tmp_path / "story.txt"
    src.write_text(TEXT, encoding="utf-8")
    a = trained(text_session(DataConfig(kind="text", source="file", path=str(src))), 4)
    a.task.source_text = None  # as saved before the text travelled inside the file
    path = checkpoint.save(a, tmp_path / "story.safetensors")
    assert_error(capsys, "train", "--resume", path, "--steps", "1", "--quiet", words=("--file DATA",))
    result = cli_json(capsys, "train", "--resume", path, "--file", src, "--steps", "2", "--quiet")
    assert result["steps"] == 6
    assert checkpoint.load(path).task.has_data  # saved with its text now

    prices = trained(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=8),
            data=DataConfig(kind="prices", window=8),
            train=TrainConfig(batch_size=4, device="cpu"),
        ),
        1,
    )
    ppath = checkpoint.save(prices, tmp_path / "prices.safetensors")
    assert_error(capsys, "train", "--resume", ppath, "--file", src, "--steps", "1", words=("carries its own data",))


@pytest.mark.parametrize("how", ["relabelled I32", "stored I64", "stored BOOL", "history as I64"])
def test_weights_in_a_wrong_dtype_are_refused_never_converted(tmp_path, capsys, how):
    """A header dtype changed from F32 to I32 (same size, so the bytes fit) or weights stored as
    integers or booleans: refused in one line by info, sample and train --resume."""
    from cli_helpers import assert_error

    path = checkpoint.save(trained(text_session(), 2), tmp_path / "m.safetensors")
    data = path.read_bytes()
    header, body = split_file(data)
    weight = next(k for k in header if k.startswith("model/"))
    if how == "relabelled I32":
        header[weight]["dtype"] = "I32"
        path.write_bytes(join_file(header, body))
    else:
        meta, tensors = checkpoint.read(path)
        key = "history/train_loss" if how == "history as I64" else weight
        tensors[key] = tensors[key].to(torch.int64 if "I64" in how else torch.bool)
        save_file(tensors, str(path), metadata=meta)
    with pytest.raises(PlaygroundError, match="is corrupted"):
        checkpoint.load(path)
    commands = [("sample", path, "--length", "5"), ("train", "--resume", path, "--steps", "1", "--quiet")]
    if how != "history as I64":
        commands.append(("info", path))
    for args in commands:
        assert_error(capsys, *args, words=("is corrupted",))


@pytest.mark.parametrize(
    "vocab",
    [list(range(30)), ["ab", "c"], ["a", "a", "b"], [["a"], ["b"]], ["a"], "abc"],
    ids=["integers", "two-letter", "duplicates", "nested", "one", "a-string"],
)
def test_a_vocabulary_that_is_not_distinct_characters_is_refused(tmp_path, capsys, vocab):
    """Before this check a vocabulary of integers ended in 'TypeError: ord()...' and one with
    duplicates sampled garbage; now every command names the problem."""
    from cli_helpers import assert_error

    path = checkpoint.save(trained(text_session(), 1), tmp_path / "m.safetensors")
    meta, tensors = checkpoint.read(path)
    task = json.loads(meta["task"])
    task["vocab"] = vocab
    save_file(tensors, str(path), metadata={**meta, "task": json.dumps(task)})
    for args in (("info", path), ("sample", path, "--length", "5"), ("train", "--resume", path, "--steps", "1")):
        assert_error(capsys, *args, words=("is corrupted", "vocabulary"))
