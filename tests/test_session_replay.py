"""Sessions that replay (issue 30, part 1): `train --record` writes a session file, `replay` re-runs it
from the start on the CPU and checks every recorded loss bit for bit and the final weights tensor for
tensor; a tampered loss is found (exit 1, the step named), changed data and crafted files are refused
in one line (exit 2)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from cli_helpers import assert_error, cli, cli_json

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.train import checkpoint
from playground.core.train.replay import replay, replay_trainer
from playground.core.train.session_file import Recorder, read_session, save_session
from playground.core.train.trainer import Trainer, UndoRing

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 20
SMALL = ("--hidden", "16", "--seq-len", "24", "--batch-size", "8", "--val-every", "20", "--quiet")


# -- editing a safetensors file's header by hand (a tampered or crafted session) ------------------------
def _parts(path: Path) -> tuple[dict, bytes]:
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def _write(path: Path, header: dict, data: bytes) -> None:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


def _with_recording(src: Path, dst: Path, edit) -> Path:
    header, data = _parts(src)
    rec = json.loads(header["__metadata__"]["recording"])
    edit(rec)
    header["__metadata__"]["recording"] = json.dumps(rec)
    _write(dst, header, data)
    return dst


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, Path, dict]:  # (session, model file, spare)
    """A run of 120 steps on the bundled text, recorded beside its model file."""
    folder = tmp_path_factory.mktemp("session")
    session, model = folder / "s.session", folder / "m.safetensors"
    from playground.cli import main

    code = main(["train", "--data", "text", "--steps", "120", *SMALL, "--record", str(session), "--out", str(model), "--json"])
    assert code == 0
    return session, model, {}


def test_a_recorded_run_replays_identically_and_its_weights_equal_the_model_files(recorded, capsys):
    session, model, _ = recorded
    code, out, err = cli(capsys, "replay", session, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["steps"] == 120 and result["identical"] is True and result["mismatch"] is None
    assert result["weights_compared"] == 7 and result["recorded_on"] == "cpu"
    _meta, _tensors, rec = read_session(session)
    assert rec.losses.shape == (120,) and [a["do"] for a in rec.actions] == ["train"]
    assert rec.start["data"]["source"] == "bundled" and len(rec.start["data"]["sha256"]) == 64
    # the replayed weights are m.safetensors' weights, byte for byte
    _result, trainer = replay_trainer(session)
    saved = checkpoint.read(model)[1]
    weights = {k: v for k, v in saved.items() if k.startswith("model/")}
    assert len(weights) == 7
    for key, value in weights.items():
        replayed = trainer.model.state_dict()[key[len("model/") :]]
        assert replayed.numpy().tobytes() == value.numpy().tobytes(), key
    # and the recorded losses are the model file's loss history
    assert torch.equal(rec.losses.float(), saved["history/train_loss"])
    code, out, _ = cli(capsys, "replay", session)
    assert code == 0 and "120 steps replayed" in out and "every loss identical" in out


def test_a_tampered_loss_is_found_at_its_step(recorded, tmp_path, capsys):
    session, _, _ = recorded
    header, data = _parts(session)
    begin, _end = header["session/losses"]["data_offsets"]
    data = bytearray(data)
    at = begin + 8 * 76  # step 77
    (loss,) = struct.unpack("<d", data[at : at + 8])
    data[at : at + 8] = struct.pack("<d", loss + 1e-6)
    tampered = tmp_path / "tampered.session"
    _write(tampered, header, bytes(data))
    code, out, err = cli(capsys, "replay", tampered, "--json")
    assert code == 1
    result = json.loads(out)
    assert result["identical"] is False
    m = result["mismatch"]
    assert m["what"] == "loss" and m["step"] == 77 and m["replayed"] == loss
    assert m["difference"] == pytest.approx(-1e-6, rel=1e-3)
    assert err.count("\n") == 1 and "step 77 differs" in err


def test_tampered_weights_are_found(recorded, tmp_path, capsys):
    session, _, _ = recorded
    header, data = _parts(session)
    begin, _ = header["model/head.bias"]["data_offsets"]
    data = bytearray(data)
    (w,) = struct.unpack("<f", data[begin : begin + 4])
    data[begin : begin + 4] = struct.pack("<f", w + 0.25)
    tampered = tmp_path / "weights.session"
    _write(tampered, header, bytes(data))
    code, out, err = cli(capsys, "replay", tampered)
    assert code == 1 and out == ""
    assert "final weights differ at head.bias (by up to 0.25)" in err


def test_a_changed_data_file_is_refused_naming_the_file_and_the_hash(tmp_path, capsys):
    data = tmp_path / "poem.txt"
    data.write_text(TEXT, encoding="utf-8")
    session = tmp_path / "poem.session"
    result = cli_json(capsys, "train", "--data", "text", "--file", data, "--steps", "20", *SMALL, "--record", session)
    assert result["record"] == str(session)
    assert cli(capsys, "replay", session)[0] == 0
    data.write_text(TEXT.replace("cat", "cow"), encoding="utf-8")
    line = assert_error(capsys, "replay", session, words=("poem.txt", "changed since the session was recorded", "SHA-256"))
    _m, _t, rec = read_session(session)
    assert rec.start["data"]["sha256"][:16] in line


def test_live_changes_undo_a_reset_and_dropout_replay_identically(tmp_path):
    """The actions the window records, done on a trainer: a change of learning rate and clipping,
    Undo (a rewind to a moment), a reset to new settings, validation and dropout (torch's global stream)."""
    session = SessionConfig(
        model=ModelConfig(hidden=12, layers=2, dropout=0.2),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=4, seq_len=16, val_every=5, seed=3),
    )
    tr = Trainer(session, device="cpu")
    tr.recorder = rec = Recorder(session)
    ring = UndoRing(5)
    for _ in range(6):
        tr.step()
    tr.set_lr(0.01)
    ring.push(tr)
    for _ in range(7):
        tr.step()
    tr.set_clip("value", 0.5)
    with rec.why("undo"):
        ring.pop(tr, keep_live_settings=True)  # back to the state before the 7 steps, clipping kept
    for _ in range(4):
        tr.step()
    new = SessionConfig(model=ModelConfig(arch="gru", hidden=8), data=session.data, train=session.train)
    rec.reset(new)
    tr2 = Trainer(new, device="cpu")
    tr2.recorder = rec
    for _ in range(5):
        tr2.step()
    path = save_session(tr2, tmp_path / "mixed")
    assert path.suffix == ".session"
    _m, _t, recording = read_session(path)
    kinds = [a["do"] for a in recording.actions]
    assert kinds == ["train", "set", "train", "set", "rewind", "train", "reset", "train"], kinds
    assert recording.actions[4]["why"] == "undo" and recording.actions[4]["keep_settings"] is True
    assert recording.losses.shape == (6 + 7 + 4 + 5,)
    result = replay(path)
    assert result["identical"] is True and result["steps"] == 22, result
    assert result["trainer_steps"] == 5


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda r: r["actions"].append({"do": "format disk"}), ("action 2 is not an action",)),
        (lambda r: r["actions"][0].update(steps=119), ("train 119 steps", "losses of 120")),
        (lambda r: r["actions"][0].update(threads=10**9), ("out of range",)),
        (lambda r: r["actions"].append({"do": "rewind", "to": 5000, "keep_settings": True, "why": "undo"}), ("never reached",)),
        (lambda r: r["actions"].insert(0, {"do": "set", "changes": {"optimizer": "sgd"}}), ("cannot change during training",)),
        (lambda r: r["start"]["data"].update(sha256="zz"), ("SHA-256",)),
        (lambda r: r["start"]["seeds"].update(train=99), ("seeds",)),
        (lambda r: r["start"]["session"]["train"].update(lr=-1), ("learning rate",)),
        (lambda r: r.update(version=99), ("newer RNN Playground",)),
        (lambda r: r.pop("actions"), ("lacks actions",)),
    ],
)
def test_crafted_sessions_are_refused_in_one_line(recorded, tmp_path, capsys, edit, words):
    session, _, _ = recorded
    crafted = _with_recording(session, tmp_path / "crafted.session", edit)
    assert_error(capsys, "replay", crafted, words=("crafted.session", *words))


def test_other_files_given_to_replay_are_refused(recorded, tmp_path, capsys):
    _, model, _ = recorded
    assert_error(capsys, "replay", model, words=("m.safetensors", "model file, not session file"))
    pickle = tmp_path / "x.session"
    pickle.write_bytes(b"\x80\x04\x95" + b"\0" * 40)
    assert_error(capsys, "replay", pickle, words=("pickle",))
    assert_error(capsys, "replay", tmp_path / "none.session", words=("none.session",))
    assert_error(capsys, "train", "--data", "text", "--steps", "1", "--record", "", words=("--record is empty",))
