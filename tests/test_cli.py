"""The command line: every mistake is one line on stderr and exit status 2; good runs print JSON."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from cli_helpers import assert_error, cli

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

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
        (("--lr", "fast"), ("--lr", "expected a number")),
        (("--steps", "0"), ("--steps", "1 to 10,000,000")),
    ],
)
def test_argparse_type_errors(capsys, args, words):
    assert_error(capsys, "train", *args, words=words, prefix="rnn-playground train: error: argument")


def test_a_setting_zero_is_refused_not_swapped_for_its_default(capsys):
    """--lr 0 or --hidden 0 once fell back to the default silently (a falsy value); the configs refuse it."""
    assert_error(capsys, "train", "--lr", "-1", "--steps", "1", words=("learning rate", "more than zero"))
    assert_error(capsys, "train", "--lr", "0", "--steps", "1", words=("learning rate", "more than zero"))
    assert_error(capsys, "train", "--hidden", "0", "--steps", "1", words=("hidden size", "more than zero"))
    assert_error(capsys, "train", "--batch-size", "0", "--steps", "1", words=("batch size",))


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


# ---------------------------------------------------------------- issue 28: --out, budget, regex, printing


@pytest.fixture
def no_training(monkeypatch):
    from playground.core.train import trainer as trainer_module

    calls = []
    monkeypatch.setattr(trainer_module.Trainer, "step", lambda self, **k: calls.append(1))
    return calls


def _outs(tmp_path: pathlib.Path) -> list[tuple[str, tuple[str, ...]]]:
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b.safetensors")
    (tmp_path / "loop_b.safetensors").symlink_to(tmp_path / "loop_a")
    (tmp_path / "dangling.safetensors").symlink_to(tmp_path / "gone" / "m.safetensors")
    (tmp_path / "folder").mkdir()
    return [
        ("", ("--out is empty",)),
        (".", ("is a folder",)),
        ("..", ("is a folder",)),
        ("/", ("is a folder",)),
        (str(tmp_path / "folder"), ("is a folder",)),
        (str(tmp_path / "folder") + "/", ("is a folder",)),
        (str(tmp_path / ("x" * 250)), ("bytes long", "allows")),
        (str(tmp_path / "loop_b"), ("symbolic link that loops",)),
        (str(tmp_path / "dangling"), ("symbolic link into", "does not exist")),
        ("/proc/model", ("/proc",)),
        ("/sys/model", ("/sys",)),
        (str(tmp_path / "missing" / "m"), ("does not exist",)),
    ]


def test_out_is_judged_before_the_first_step(capsys, tmp_path, monkeypatch, no_training):
    monkeypatch.chdir(tmp_path)
    for out, words in _outs(tmp_path):
        assert_error(capsys, "train", "--data", "text", "--text", TEXT_2KB, "--hidden", "8", "--steps", "5",
                     "--out", out, words=words)
    assert no_training == []  # not one step was trained
    assert not list(tmp_path.glob("*.safetensors.*"))  # no probe file left behind


def test_out_in_a_folder_that_cannot_be_written_is_refused_before_training(capsys, tmp_path, monkeypatch, no_training):
    """A read-only mount, or a folder root cannot write either: the probe file cannot be made."""
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert_error(capsys, "train", "--data", "text", "--steps", "5", "--out", tmp_path / "m",
                 words=("not writable", "Read-only file system"))
    assert no_training == []


def test_the_budget_sees_an_address_space_limit(monkeypatch):
    import resource

    from playground.core import budget

    monkeypatch.setattr(resource, "getrlimit", lambda which: (3 * 2**30, resource.RLIM_INFINITY))
    free = budget.free_memory()
    assert free is not None and free <= 3 * 2**30
    with pytest.raises(Exception, match="would need about"):
        budget.check_fits(ModelConfig(), TrainConfig(batch_size=8192, seq_len=512), 70, 70, 512)


def test_the_budget_guards_the_windows_of_a_series_and_names_no_wrong_architecture(capsys, monkeypatch):
    from playground.core import budget

    monkeypatch.setattr(budget, "free_memory", lambda: 2 * 2**30)
    line = assert_error(capsys, "train", "--data", "prices", "--arch", "gru", "--length", "300000",
                        "--window", "1000", "--steps", "1", words=("300,000 points", "windows of 1,000", "is free"))
    assert "feed-forward" not in line
    line = assert_error(capsys, "train", "--data", "prices", "--arch", "gru", "--window", "4096", "--steps", "1",
                        words=("window of 4096",))
    assert "feed-forward" not in line
    assert_error(capsys, "train", "--data", "prices", "--arch", "mlp", "--window", "4096", "--steps", "1",
                 words=("feed-forward window",))


def test_evaluation_runs_in_bounded_slices(monkeypatch):
    from playground.core import budget
    from playground.core.data.series import SeriesTask

    task = SeriesTask(np.linspace(1, 2, 3000), 50, 0.5)
    sizes = []

    def model_fn(x):
        sizes.append(x.shape[0] * x.shape[1])
        return torch.zeros(x.shape[0], 1)

    monkeypatch.setattr(budget, "EVAL_STEPS", 5000)
    task.evaluate(model_fn)
    assert len(sizes) > 1 and max(sizes) <= 5000


def test_a_regex_that_backtracks_is_stopped_in_time(capsys, models, monkeypatch):
    from playground.core.inspect import neurons

    monkeypatch.setattr(neurons, "REGEX_SECONDS", 1.0)
    t0 = time.perf_counter()
    assert_error(capsys, "neurons", models["text"], "--track", "regex:(a|a)*b", "--text", "a" * 60,
                 words=("(a|a)*b", "took more than 1 s", "backtracks"))
    assert time.perf_counter() - t0 < 10
    line = assert_error(capsys, "neurons", models["text"], "--track", "regex:" + "[" + "a" * 1000, words=("regular expression",))
    assert len(line) < 300


def test_printed_values_from_a_file_are_stripped_of_control_characters(capsys, models, tmp_path):
    from playground.core.train import checkpoint as ck

    meta, tensors = ck.read(models["text"])
    path = tmp_path / "bell.safetensors"
    from safetensors.torch import save as st_save

    path.write_bytes(st_save(tensors, metadata={**meta, "trained_on": "cpu\x07\x1b[2J\x1b]0;pwned\x07"}))
    code, out, err = cli(capsys, "info", path)
    assert code == 0, err
    assert "\x07" not in out and "\x1b" not in out and "\\x1b[2J" in out


def test_a_csv_with_ten_thousand_columns_lists_a_few(capsys, tmp_path):
    f = tmp_path / "wide.csv"
    names = [f"col{i}" for i in range(10_000)]
    f.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    line = assert_error(capsys, "train", "--data", "prices", "--file", f, "--column", "nope", "--steps", "1",
                        words=("nope", "and 9,992 more"))
    assert len(line) < 500


def test_output_survives_a_strict_ascii_terminal_and_a_non_utf8_name(tmp_path):
    env = {**subprocess_env(), "PYTHONIOENCODING": "ascii:strict", "LC_ALL": "C"}
    name = os.fsdecode(b"caf\xe9")
    run = subprocess.run(
        [sys.executable, "-m", "playground", "train", "--data", "text", "--text", TEXT_2KB, "--hidden", "4",
         "--embed", "4", "--steps", "1", "--quiet", "--out", name],
        capture_output=True, cwd=tmp_path, env=env, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert b"UnicodeEncodeError" not in run.stderr and b"saved caf" in run.stdout
    assert (tmp_path / (name + ".safetensors")).exists()
