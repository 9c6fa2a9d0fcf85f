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


ASK_ROWS = [
    (("sample", "models/text-lstm.safetensors", "--temperature", "nan"), ("temperature", "0.001 to 100")),
    (("sample", "models/text-lstm.safetensors", "--temperature", "1e-45"), ("temperature",)),
    (("sample", "models/text-lstm.safetensors", "--length", "1000000000"), ("length", "100,000")),
    (("forecast", "models/prices-linear-lstm.safetensors", "--horizon", "1000000000000"), ("horizon", "100,000")),
]


def _asked(args: tuple[str, ...]) -> list[str]:
    return [args[0], os.path.join(ROOT, args[1]), *args[2:]]


@pytest.mark.parametrize(("args", "words"), ASK_ROWS)
def test_asking_a_model_is_bounded_too(capsys, args, words):
    assert_error(capsys, *_asked(args), words=words)


def _limited() -> None:  # in the child: at most 4 GB of address space
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


_EVERY_ROW = """
import contextlib, io, json, sys
from playground.cli import main
results = []
for args in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(args)
        except SystemExit as e:
            code = e.code
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as a memory limit: Linux")
def test_every_row_is_refused_before_any_large_allocation(tmp_path):
    """Every row above again, in one child process limited to 4 GB of address space: an allocation
    of the size asked for would fail there (and show as an internal error), so each refusal came first."""
    import json

    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _EVERY_ROW,
            json.dumps([[*args, "--steps", "1"] for args, _ in ROWS] + [_asked(args) for args, _ in ASK_ROWS]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited,
        cwd=tmp_path,
        env={**os.environ, "RNN_PLAYGROUND_DEBUG": ""},
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.splitlines()[-1])
    for (args, words), (code, err) in zip(ROWS + ASK_ROWS, results, strict=True):
        assert code == 2, (args, err)
        assert all(w in err for w in words) and "internal error" not in err, (args, err)


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


def test_the_window_refuses_a_live_setting_that_would_not_fit_and_shows_what_training_keeps(qtbot, open_window):
    """In the window the largest model its panels allow (LSTM 512 x 4 layers), then the largest batch
    and sequence length: refused in the banner with both numbers, and the controls go back to what
    training keeps (they never show settings that are not in use)."""
    from window_helpers import arrived

    from playground.app import messages as m
    from playground.core.presets import default_session

    w = open_window(default_session())
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=30_000):
        w.model_panel.hidden_spin.setValue(512)
        w.model_panel.layers_spin.setValue(4)
    vocab = len(w.summary["task"].vocab)
    need = budget.step_bytes(w.config.model, TrainConfig(batch_size=1024, seq_len=1024), vocab, vocab, 1024)
    free = budget.free_memory()
    if free is not None and need <= budget.SAFETY * free:
        pytest.skip("this computer has room for the largest batch the window allows")
    refused = lambda a: isinstance(a, m.SettingRefused)  # noqa: E731
    with qtbot.waitSignal(w.answered, check_params_cb=refused, timeout=20_000) as got:
        w.controls.batch.setValue(1024)
        w.controls.seq_len.setValue(1024)
    qtbot.wait(300)  # the second change's answer, if it was refused too
    assert "would need about" in got.args[0].message and "is free" in got.args[0].message
    assert "would need about" in w.controller.last_error and w.banner.isVisible()
    shown = w.controls.config(w.config.train)
    assert (shown.batch_size, shown.seq_len) == (w.config.train.batch_size, w.config.train.seq_len)
    assert (shown.batch_size, shown.seq_len) != (1024, 1024)
    kept = budget.step_bytes(w.config.model, shown, vocab, vocab, shown.seq_len)
    assert free is None or kept <= budget.SAFETY * free  # what training keeps fits
