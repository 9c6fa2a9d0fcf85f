"""Settings bounded at the door (issue 12, part): every setting that could ask for gigabytes or reach a
library's internal error gets one line naming the limit and exit status 2, before any large
allocation (the subprocess cases run under a 4 GB address-space limit)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cli_helpers import assert_error

from playground.core import budget
from playground.core.config import ModelConfig, TrainConfig
from playground.core.errors import PlaygroundError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROWS = [
    (("train", "--data", "text", "--batch-size", "10000000"), ("batch size", "at most 8,192")),
    (("train", "--data", "text", "--embed", "100000000"), ("embedding size", "at most 4,096")),
    (("train", "--data", "text", "--hidden", "100000"), ("hidden size", "at most 4096")),
    (("train", "--data", "text", "--arch", "mlp", "--mlp-window", "100000000"), ("feed-forward window", "1,024")),
    (("train", "--data", "prices", "--length", "300000000"), ("series length", "1,000,000")),
    (("train", "--data", "prices", "--window", "10000000"), ("window", "4,096 past values")),
    (("train", "--data", "text", "--seq-len", "100000"), ("sequence length", "at most 4096")),
    (("train", "--data", "text", "--seed", str(2**64)), ("seed", "2^63 - 1")),
    (("train", "--data", "memory", "--data-seed", "-1"), ("data seed", "2^63 - 1")),
    (("train", "--data", "prices", "--text", "1 2 3 x"), ("'x'", "not a number")),
    (("train", "--data", "knock-knock", "--made-up-jokes", "1000000000"), ("made-up jokes", "100,000")),
    (
        ("train", "--data", "text", "--hidden", "4096", "--batch-size", "8192", "--seq-len", "4096"),
        ("would need about", "GB of memory", "is free"),
    ),
]


@pytest.mark.parametrize(("args", "words"), ROWS, ids=[" ".join(a[2:]) for a, _ in ROWS])
def test_each_setting_names_its_limit(capsys, args, words):
    assert_error(capsys, *args, "--steps", "1", words=words)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("sample", "models/text-lstm.safetensors", "--temperature", "nan"), ("temperature", "0.001 to 100")),
        (("sample", "models/text-lstm.safetensors", "--temperature", "1e-45"), ("temperature",)),
        (("sample", "models/text-lstm.safetensors", "--length", "1000000000"), ("length", "100,000")),
        (("forecast", "models/prices-linear-lstm.safetensors", "--horizon", "1000000000000"), ("horizon", "100,000")),
    ],
)
def test_asking_a_model_is_bounded_too(capsys, args, words):
    path = os.path.join(ROOT, args[1])
    assert_error(capsys, args[0], path, *args[2:], words=words)


def _limited() -> None:  # in the child: at most 4 GB of address space
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as a memory limit: Linux")
@pytest.mark.parametrize("row", [0, 1, 4, len(ROWS) - 1])
def test_refused_before_any_large_allocation(row, tmp_path):
    args, words = ROWS[row]
    run = subprocess.run(
        [sys.executable, "-m", "playground", *args, "--steps", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited,
        cwd=tmp_path,
        env={**os.environ, "RNN_PLAYGROUND_DEBUG": ""},
    )
    assert run.returncode == 2, run.stderr
    assert all(w in run.stderr for w in words) and "internal error" not in run.stderr, run.stderr


def test_the_estimate_grows_with_the_settings_and_fits_the_defaults():
    small = budget.step_bytes(ModelConfig(), TrainConfig(), 100, 100, 64)
    assert small < 100 * 2**20  # the first-run model: tens of MB
    assert budget.step_bytes(ModelConfig(), TrainConfig(batch_size=64), 100, 100, 64) > small
    assert budget.step_bytes(ModelConfig(hidden=256), TrainConfig(), 100, 100, 64) > small
    assert budget.check_fits(ModelConfig(), TrainConfig(), 100, 100, 64) == small
    with pytest.raises(PlaygroundError, match="would need about"):
        budget.check_fits(ModelConfig(hidden=4096, layers=8), TrainConfig(batch_size=8192), 100, 100, 4096)


@pytest.mark.parametrize(
    ("out", "words"),
    [("missing/m.safetensors", ("folder", "does not exist")), ("a_folder", ("is a folder",))],
)
def test_an_output_that_cannot_be_written_fails_before_training(capsys, tmp_path, monkeypatch, out, words):
    (tmp_path / "a_folder.safetensors").mkdir()
    monkeypatch.chdir(tmp_path)
    calls = []
    from playground.core import trainer as trainer_module

    monkeypatch.setattr(trainer_module.Trainer, "step", lambda self, **k: calls.append(1))
    assert_error(capsys, "train", "--data", "text", "--hidden", "8", "--steps", "5", "--out", out, words=words)
    assert calls == []  # not one step was trained


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes anywhere")
def test_a_read_only_folder_fails_before_training(capsys, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    assert_error(capsys, "train", "--data", "text", "--steps", "1", "--out", folder / "m", words=("not writable",))
