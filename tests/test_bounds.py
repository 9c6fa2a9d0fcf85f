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
    (("sample", "models/text-lstm.safetensors", "--length", "1000000000"), ("length", "10,000")),
    (("forecast", "models/prices-linear-lstm.safetensors", "--horizon", "1000000000000"), ("horizon", "10,000")),
]


def _asked(args: tuple[str, ...]) -> list[str]:
    return [args[0], os.path.join(ROOT, args[1]), *args[2:]]


@pytest.mark.parametrize(("args", "words"), ASK_ROWS)
def test_asking_a_model_is_bounded_too(capsys, args, words):
    """Refused by the parser (the table's bounds on the command's own options), before the model is read."""
    assert_error(capsys, *_asked(args), words=words, prefix=f"rnn-playground {args[0]}: error: argument")


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
    from playground.core.train import trainer as trainer_module

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
    vocab = len(w.summary["preview"].vocab)
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


# -- one table: every numeric option of every command, generated ---------------------------------------

import math  # noqa: E402
import time  # noqa: E402

from cli_helpers import cli  # noqa: E402

from playground.cli_args import Setting, bounded_options, build_parser  # noqa: E402
from playground.core.bounds import BOUNDS  # noqa: E402

TINY = ("--hidden", "4", "--embed", "4", "--batch-size", "2", "--seq-len", "8", "--val-every", "0", "--steps", "1", "--quiet")
TEXT = "the cat sat on the mat. " * 20
# the data each option belongs to (the rest: inline text)
KIND_OF = {
    "--gap": ("--data", "memory"),
    "--keys": ("--data", "memory"),
    "--made-up-jokes": ("--data", "knock-knock", "--text", "Knock knock.\nWho's there?\nAnn.\nAnn who?\nAnn apple.\n\n" * 4),
    "--mlp-window": ("--arch", "mlp", "--data", "text", "--text", TEXT),
    "--heads": ("--arch", "transformer", "--data", "text", "--text", TEXT),
}
PRICES = {"--length", "--start", "--slope", "--period", "--amplitude", "--noise", "--data-seed", "--window", "--val-fraction"}


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    from playground.core.config import DataConfig, SessionConfig
    from playground.core.train import checkpoint
    from playground.core.train.trainer import Trainer

    folder = tmp_path_factory.mktemp("tiny")
    text = Trainer(SessionConfig(
        model=ModelConfig(arch="gru", hidden=8, embed=4),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=2, seq_len=8, val_every=0, device="cpu"),
    ))
    prices = Trainer(SessionConfig(
        model=ModelConfig(arch="gru", hidden=8, window=4),
        data=DataConfig(kind="prices", source="generator", generator="linear", length=40, window=4),
        train=TrainConfig(batch_size=2, val_every=0, device="cpu"),
    ))
    return {"text": checkpoint.save(text, folder / "t"), "prices": checkpoint.save(prices, folder / "p")}


def _base(command: str, flag: str, models) -> list[str]:
    if command == "train":
        if flag in PRICES:
            data = ("--data", "prices", "--generator", "linear", "--length", "40", "--window", "4")
        else:
            data = KIND_OF.get(flag, ("--data", "text", "--text", TEXT))
        return ["train", *data, *TINY]
    if command == "sample":
        return ["sample", str(models["text"]), "--length", "5"]
    if command == "forecast":
        return ["forecast", str(models["prices"]), "--horizon", "2"]
    if command == "neurons":
        return ["neurons", str(models["text"]), "--track", "vowel", "--text", "the cat"]
    if command == "gui":
        return ["gui"]
    if command == "patch":
        return ["patch", str(models["text"]), "--source", "the cat", "--target", "the mat", "--length", "5"]
    if command == "frontier":
        return ["frontier", "--lengths", "4", "--arch", "rnn", "--seeds", "1", "--steps", "1", "--hidden", "4"]
    raise AssertionError(f"no base arguments for {command}: add them here")


def _probes(setting: Setting) -> list[str]:
    b = setting.bound
    over = b.hi + 1 if b.whole else b.hi * 2 + 1
    return ["0", "-1", str(int(over) if b.whole else over), "1e12", "nan", "inf", str(2**64), "many"]


def bounded_options_cached() -> dict[str, dict[str, str]]:
    return {c: {flag: s.key for flag, s in o} for c, o in bounded_options(build_parser()).items()}.items()


def _cases():
    cases = []
    for command, options in bounded_options(build_parser()).items():
        for flag, setting in options:
            for value in _probes(setting):
                cases.append((command, flag, value))
    return cases


def test_every_numeric_option_reads_the_table():
    """No numeric option escapes the table: every int or float the parser reads is a Setting."""
    parser = build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict))
    loose = [
        (name, a.option_strings)
        for name, command in sub.choices.items()
        for a in command._actions
        if a.type in (int, float) or getattr(a.type, "__name__", "") in ("_positive_int", "_positive_float")
    ]
    assert loose == []
    options = bounded_options(parser)
    assert {"train", "sample", "forecast", "neurons", "gui"} <= {c for c, o in options.items() if o}
    used = {s.key for o in options.values() for _, s in o}
    assert {k for k in BOUNDS if k.split(".")[0] in ("run", "sample", "forecast", "neurons", "gui")} <= used


def test_every_option_of_every_command_survives_every_bad_value(capsys, tiny_models):
    """Generated from the table: 0, -1, the bound plus one, 1e12, NaN, inf, 2^64 and a word for
    every numeric option of every command: exit 0 or 2, a refusal in one line, never a traceback,
    each within seconds (training that starts is one step of a tiny model)."""
    failures, refused, ran = [], 0, 0
    t_all = time.perf_counter()
    for command, flag, value in _cases():
        args = [*_base(command, flag, tiny_models), flag, value]
        t0 = time.perf_counter()
        try:
            code, _, err = cli(capsys, *args)
        except SystemExit as e:
            code = e.code
            _, err = capsys.readouterr()
        seconds = time.perf_counter() - t0
        lines = err.splitlines()
        ok = code in (0, 2) and "Traceback" not in err and "internal error" not in err and seconds < 15
        if code == 2:
            refused += 1
            name = BOUNDS[dict(bounded_options_cached())[command][flag]].name
            # refused for this value, not for something else in the command
            ok = ok and len(lines) == 1 and (flag in lines[0] or name.lower() in lines[0].lower())
        else:
            ran += 1
        if not ok:
            failures.append((command, flag, value, code, round(seconds, 1), err[-300:]))
    assert failures == [], "\n".join(map(str, failures))
    assert ran > 0 and refused > 5 * ran  # nearly every probe is out of range: refused, not trained  # nearly every probe is out of range: refused, not trained
    assert time.perf_counter() - t_all < 120


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("train", "--lr", "1e12"), ("learning rate", "at most 100")),
        (("train", "--weight-decay", "1e12"), ("weight decay", "0 to 1")),
        (("train", "--momentum", "1e12"), ("momentum", "below 1")),
        (("train", "--clip-value", "1e12"), ("clip value",)),
        (("train", "--start", "1e12"), ("start",)),
        (("train", "--val-every", str(2**64)), ("validation interval",)),
    ],
)
def test_settings_that_trained_to_nan_are_refused(capsys, args, words):
    assert_error(capsys, *args, "--steps", "1", words=words)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("train", "--steps", str(2**64)), ("--steps", "10,000,000")),
        (("train", "--seconds", "inf"), ("--seconds",)),
        (("forecast", "models/prices-linear-lstm.safetensors", "--horizon", "100000"), ("--horizon", "10,000")),
        (("sample", "models/text-lstm.safetensors", "--length", "100000"), ("--length", "10,000")),
        (("sample", "models/text-lstm.safetensors", "--seed", str(2**64)), ("--seed", "2^63 - 1")),
        (("sample", "models/text-lstm.safetensors", "--top-k", "-1"), ("--top-k",)),
    ],
)
def test_a_commands_own_options_are_refused_by_the_parser(capsys, args, words):
    args = (args[0], os.path.join(ROOT, args[1]), *args[2:]) if args[0] != "train" else args
    assert_error(capsys, *args, words=words, prefix=f"rnn-playground {args[0]}: error: argument")


def test_a_transformer_writes_at_most_a_thousand_characters_at_once(capsys, tmp_path):
    from playground.core.config import DataConfig, SessionConfig
    from playground.core.train import checkpoint
    from playground.core.train.trainer import Trainer

    t = Trainer(SessionConfig(
        model=ModelConfig(arch="transformer", hidden=8, embed=4, heads=2),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=2, seq_len=8, val_every=0, device="cpu"),
    ))
    path = checkpoint.save(t, tmp_path / "tr")
    t0 = time.perf_counter()
    assert_error(capsys, "sample", path, "--length", "5000", words=("Transformer", "re-reads", "1,000"))
    assert time.perf_counter() - t0 < 10
    code, out, _ = cli(capsys, "sample", path, "--length", "50")
    assert code == 0 and len(out) >= 50


def test_a_long_forecast_over_a_wide_window_is_refused():
    from playground.core import inference
    from playground.core.bounds import MAX_FORECAST_WORK

    class Task:
        vocab = None
        window = 4096

    with pytest.raises(PlaygroundError, match="too far for a window of 4,096"):
        inference.forecast(None, Task(), MAX_FORECAST_WORK // 4096 + 1)


def test_the_windows_controls_lie_inside_the_table(qtbot):
    """The window's controls read the same table: each control's range is the table's window range,
    inside the setting's bound."""
    from playground.core.config import DataConfig
    from playground.ui.panels.data_panel import DataPanel
    from playground.ui.panels.model_panel import ModelPanel
    from playground.ui.training_controls import TrainingControls

    for b in BOUNDS.values():
        lo, hi = b.window_range()
        assert b.contains(int(lo) if b.whole else float(lo)) and b.contains(int(hi) if b.whole else float(hi)), b
    controls = TrainingControls(TrainConfig())
    model = ModelPanel(ModelConfig())
    data = DataPanel(DataConfig())
    for w in (controls, model, data):
        qtbot.addWidget(w)
    pairs = [
        (controls.lr, "train.lr"), (controls.batch, "train.batch_size"), (controls.seq_len, "train.seq_len"),
        (controls.clip_value, "train.clip_value"), (controls.seed, "train.seed"),
        (model.layers_spin, "model.layers"), (model.hidden_spin, "model.hidden"),
        (model.dropout_spin, "model.dropout"), (model.window_spin, "model.window"),
        (data.length_spin, "data.length"), (data.start_spin, "data.start"), (data.slope_spin, "data.slope"),
        (data.period_spin, "data.period"), (data.amplitude_spin, "data.amplitude"),
        (data.noise_spin, "data.noise"), (data.seed_spin, "data.seed"), (data.window_spin, "data.window"),
        (data.keys_spin, "data.keys"), (data.made_up_spin, "data.made_up_jokes"), (data.span_spin, "data.span"),
    ]
    for spin, key in pairs:
        lo, hi = BOUNDS[key].window_range()
        assert math.isclose(spin.minimum(), lo) and math.isclose(spin.maximum(), hi), (key, spin.minimum(), spin.maximum())
    assert (data.val_spin.minimum(), data.val_spin.maximum()) == tuple(round(100 * v) for v in BOUNDS["data.val_fraction"].window)
    assert model.heads_combo.count() == BOUNDS["model.heads"].window[1]
