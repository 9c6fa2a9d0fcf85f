"""The command line: every mistake is one line on stderr and exit status 2; good runs print JSON."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import struct
import subprocess
import sys

import pytest
import torch
from cli_helpers import assert_error, cli

from playground.core import checkpoint
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.trainer import Trainer

REPO = pathlib.Path(__file__).resolve().parent.parent
SENTENCES = "the cat sat on the mat. the dog ate the log. a bird sang in the tree. "
TEXT_2KB = SENTENCES * 29  # about 2 KB, no newline


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models run fastest on one thread; two threads on a busy 2-core machine crawl."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen", "RNN_PLAYGROUND_DEBUG": ""}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, pathlib.Path]:
    """A tiny text model and a tiny prices model, trained through the Python API."""
    folder = tmp_path_factory.mktemp("models")
    text = Trainer(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=16, embed=8),
            data=DataConfig(kind="text", source="inline", text=TEXT_2KB),
            train=TrainConfig(batch_size=4, seq_len=16, val_every=0, device="cpu"),
        )
    )
    prices = Trainer(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=16, window=4),
            data=DataConfig(kind="prices", source="generator", generator="linear", length=30, window=4),
            train=TrainConfig(batch_size=4, val_every=0, device="cpu"),
        )
    )
    for t in (text, prices):
        for _ in range(3):
            t.step()
    return {
        "text": checkpoint.save(text, folder / "text.safetensors"),
        "prices": checkpoint.save(prices, folder / "prices.safetensors"),
    }


class _Payload:
    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


# ---------------------------------------------------------------- train: bad data


def test_train_empty_file(capsys, tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    assert_error(capsys, "train", "--data", "text", "--file", f, words=("empty.txt", "empty"))


def test_train_binary_file(capsys, tmp_path):
    f = tmp_path / "picture.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    assert_error(capsys, "train", "--data", "text", "--file", f, words=("picture.txt", "binary"))


def test_train_latin1_file(capsys, tmp_path):
    f = tmp_path / "cafe.txt"
    f.write_bytes(b"caf\xe9 au lait\n" * 50)
    line = assert_error(capsys, "train", "--data", "text", "--file", f, words=("cafe.txt", "not UTF-8"))
    assert "0xe9" in line and "offset 3" in line


def test_train_missing_file(capsys, tmp_path):
    assert_error(
        capsys, "train", "--data", "text", "--file", tmp_path / "gone.txt", words=("no such file", "gone.txt")
    )


def test_train_csv_without_numbers(capsys, tmp_path):
    f = tmp_path / "names.csv"
    f.write_text("date,name\n2024-01-01,ACME\n2024-01-02,Initech\n2024-01-03,Hooli\n")
    assert_error(capsys, "train", "--data", "prices", "--file", f, words=("no numeric column", "names.csv"))


def test_train_csv_with_gap_refused_then_interpolated(capsys, tmp_path):
    f = tmp_path / "gaps.csv"
    rows = [f"2024-01-{i + 1:02d},{100 + i}" if i != 5 else f"2024-01-{i + 1:02d}," for i in range(30)]
    f.write_text("date,close\n" + "\n".join(rows) + "\n")
    args = ("train", "--data", "prices", "--file", f, "--window", 4, "--hidden", 16, "--batch-size", 4)
    line = assert_error(capsys, *args, "--steps", 5, words=("missing", "row", "gaps.csv", "--gaps"))
    assert "row 7" in line  # the header is row 1, the sixth value row 7

    code, out, err = cli(capsys, *args, "--steps", 5, "--gaps", "interpolate", "--quiet")
    assert code == 0, err
    assert err == ""
    assert out.startswith("trained LSTM, 1 layer x 16 for 5 steps (5 in all) on cpu")
    assert "held-out MAE" in out


def test_train_series_too_short(capsys):
    assert_error(
        capsys,
        "train",
        "--data",
        "prices",
        "--values",
        "1,2,3",
        "--window",
        8,
        words=("too short", "3 points", "window of 8"),
    )


# ---------------------------------------------------------------- train: bad settings


def test_unknown_architecture(capsys):
    assert_error(capsys, "train", "--arch", "banana", words=("unknown architecture", "banana", "lstm"))


def test_bidirectional_text_is_refused(capsys):
    assert_error(
        capsys,
        "train",
        "--data",
        "text",
        "--text",
        SENTENCES * 3,
        "--bidirectional",
        words=("bidirectional", "future"),
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--lr", "-1"), ("--lr", "more than zero")),
        (("--lr", "fast"), ("--lr", "expected a number")),
        (("--steps", "0"), ("--steps", "at least 1")),
    ],
)
def test_argparse_type_errors(capsys, args, words):
    assert_error(capsys, "train", *args, words=words, prefix="rnn-playground train: error: argument")


# ---------------------------------------------------------------- sample, forecast, info: bad files


def bad_model(tmp_path: pathlib.Path, kind: str, models) -> pathlib.Path:
    path = tmp_path / "model.safetensors"
    if kind == "truncated":
        data = models["text"].read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "pickle":
        path.write_bytes(pickle.dumps(_Payload(tmp_path / "code-ran"), protocol=4))
    return path  # "missing": never written


@pytest.mark.parametrize("command", ["sample", "forecast", "info"])
@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("truncated", ("model.safetensors", "truncated")),
        ("pickle", ("model.safetensors", "pickle")),
        ("missing", ("no such model file", "model.safetensors")),
    ],
)
def test_bad_model_file(capsys, tmp_path, models, command, kind, words):
    path = bad_model(tmp_path, kind, models)
    assert_error(capsys, command, path, words=words)
    assert not (tmp_path / "code-ran").exists()


def test_forecast_on_text_model(capsys, models):
    assert_error(capsys, "forecast", models["text"], words=("text.safetensors", "sample"))


def test_sample_on_prices_model(capsys, models):
    assert_error(capsys, "sample", models["prices"], words=("prices.safetensors", "forecast"))


# ---------------------------------------------------------------- good paths


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_prices_train_forecast_info(capsys, tmp_path):
    model = tmp_path / "m.safetensors"
    code, out, err = cli(
        capsys,
        *("train", "--data", "prices", "--values", "10,11,12,13,14", "--window", 3, "--val-fraction", 0.2),
        *(
            "--hidden",
            16,
            "--steps",
            200,
            "--lr",
            0.01,
            "--batch-size",
            4,
            "--out",
            model,
            "--json",
            "--quiet",
        ),
    )
    assert code == 0, err
    assert err == ""
    r = last_json(out)
    assert {"steps", "train_loss", "val_loss", "steps_per_s", "mae", "rmse", "baseline_mae"} <= r.keys()
    assert r["steps"] == 200 and r["steps_this_run"] == 200
    assert r["steps_per_s"] > 0
    assert r["baseline_mae"] == 1.0  # held out: 14 after 13, "repeat the last value" is off by 1
    assert r["mae"] < 0.5  # the model learned "+1"
    assert r["out"] == str(model) and model.is_file()

    code, out, err = cli(capsys, "forecast", model, "--horizon", 1, "--json")
    assert code == 0, err
    f = last_json(out)
    assert len(f["forecast"]) == 1 and f["forecast"][0] == pytest.approx(15, abs=0.5)
    assert {"mae", "rmse", "baseline_mae"} <= f.keys()
    assert f["mae"] == pytest.approx(r["mae"]) and f["baseline_mae"] == 1.0
    assert f["last_value"] == 14.0

    code, out, err = cli(capsys, "info", model, "--json")
    assert code == 0, err
    info = last_json(out)
    assert info["steps"] == 200
    assert info["model"]["hidden"] == 16 and info["data"]["kind"] == "prices"

    code, out, _ = cli(capsys, "info", model)
    assert code == 0
    assert out.splitlines()[0] == f"{model}: RNN Playground model, format 1"
    assert "  trained: 200 steps on cpu" in out.splitlines()


def test_text_train_sample_resume(capsys, tmp_path):
    model = tmp_path / "t.safetensors"
    args = ("train", "--data", "text", "--text", TEXT_2KB, "--steps", 20, "--seq-len", 32, "--hidden", 32)
    code, out, err = cli(capsys, *args, "--json", "--quiet", "--out", model)
    assert code == 0, err
    r = last_json(out)
    assert r["steps"] == 20 and model.is_file()
    assert 0 < r["unigram_entropy"] < 3.5

    outputs = []
    for _ in range(2):
        code, out, err = cli(capsys, "sample", model, "--prompt", "the", "--length", 20, "--seed", 3)
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith("the") and outputs[0].endswith("\n")
    assert len(outputs[0]) == len("the") + 20 + 1  # the text has no newline, so neither can the sample
    assert set(outputs[0][:-1]) <= set(TEXT_2KB)

    code, out, err = cli(capsys, "sample", model, "--prompt", "the", "--next", 3, "--json")
    assert code == 0, err
    nxt = last_json(out)["next"]
    assert len(nxt) == 3
    ps = [e["p"] for e in nxt]
    assert all(0 < p <= 1 for p in ps) and sum(ps) <= 1 + 1e-6
    assert ps == sorted(ps, reverse=True)
    assert all(e["char"] in TEXT_2KB for e in nxt)

    code, out, err = cli(capsys, "train", "--resume", model, "--steps", 10, "--json", "--quiet")
    assert code == 0, err
    r = last_json(out)
    assert r["steps"] == 30 and r["steps_this_run"] == 10
    assert r["out"] == str(model)
    assert checkpoint.describe(model)["steps"] == 30


def test_resume_file_trained_on_cuda_with_default_device(capsys, tmp_path, models):
    """A model trained with --device cuda resumes on whatever this machine has (--device auto)."""
    data = models["prices"].read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    session = json.loads(header["__metadata__"]["session"])
    session["train"]["device"] = "cuda"
    header["__metadata__"].update(session=json.dumps(session), trained_on="cuda:0")
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path = tmp_path / "gpu.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n :])

    code, out, err = cli(capsys, "train", "--resume", path, "--steps", 2, "--json", "--quiet")
    assert code == 0, err
    assert last_json(out)["steps"] == 5
    code, out, err = cli(capsys, "forecast", path, "--horizon", 2, "--json")
    assert code == 0, err
    assert len(last_json(out)["forecast"]) == 2


# ---------------------------------------------------------------- real processes


def test_subprocess_train_error_has_no_traceback(tmp_path):
    f = tmp_path / "cafe.txt"
    f.write_bytes(b"caf\xe9 au lait\n" * 50)
    p = subprocess.run(
        [sys.executable, "-m", "playground", "train", "--data", "text", "--file", str(f), "--quiet"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert p.returncode == 2
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("rnn-playground: error: cafe.txt is not UTF-8")
    assert len(p.stderr.splitlines()) == 1


def test_subprocess_info_on_bad_file_is_one_line(tmp_path):
    f = tmp_path / "notes.safetensors"
    f.write_text("not a model at all\n")
    p = subprocess.run(
        [sys.executable, "-m", "playground", "info", str(f)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.splitlines() == [
        "rnn-playground: error: notes.safetensors is not an RNN Playground model file (no safetensors header)"
    ]


def test_no_command_opens_window_or_says_it_is_missing():
    if (REPO / "playground" / "ui").exists():
        pytest.skip("the window (playground/ui) exists: its own tests cover opening it")
    p = subprocess.run(
        [sys.executable, "-m", "playground"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert "window" in p.stderr and "not built" in p.stderr
