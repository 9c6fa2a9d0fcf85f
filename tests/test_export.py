"""`rnn-playground export MODEL --script OUT.py`: one PyTorch script per model that needs no playground.

Tiny models of every architecture and data kind are trained here for a few steps and exported;
one `python -I` process then runs every script's commands (``_DRIVER``: importing torch once keeps
this file fast), and each answer is compared with the app's own: the same greedy text, the same
forecast, the same probabilities, and, trained on from the same file, the very same weights.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cli_helpers import assert_error, cli

from playground.core import checkpoint, inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.export import export_script
from playground.core.trainer import Trainer

TEXT = "the cat sat on the mat. the dog ate the log. a bird sang in the tree.\n" * 12
OTHER_TEXT = "a cat ate the bird. the log sat in the tree.\n" * 10  # only characters of TEXT
DIALOGS = "\n\n".join(
    f"Knock, knock!\nWho's there?\n{name}.\n{name} who?\n{name} here, open up!" for name in ("Ada", "Bo", "Cy", "Di")
)
CSV = "date,close\n" + "".join(f"2024-01-{i + 1:02d},{100 + i * 0.5 + (i % 3)}\n" for i in range(30))
# a target with two input columns beside it, and quarters for dates
COLUMNS = "quarter,gdp,rate,note,volume\n" + "".join(
    f"{1990 + i // 4}Q{i % 4 + 1},{50 + i * 0.3 + (i % 5)},{4 + (i % 7) * 0.25},n,{1000 + 37 * (i % 4)}\n" for i in range(40)
)

# name: (data, model settings, train settings); the names say what each one covers
MODELS = {
    "text-rnn-tanh-tbptt": ("text", dict(arch="rnn"), dict(tbptt=5, clip="value")),
    "text-rnn-relu-2layers": ("text", dict(arch="rnn", activation="relu", layers=2, dropout=0.1), dict(optimizer="sgd", momentum=0.9)),
    "text-lstm-attention": ("text", dict(arch="lstm", attention=True), dict(optimizer="rmsprop", lr=1e-3)),
    "text-gru-file": ("text-file", dict(arch="gru"), {}),
    "text-transformer": ("text", dict(arch="transformer", heads=2), dict(optimizer="adamw")),
    "text-mlp": ("text", dict(arch="mlp", window=4), {}),
    "kk-lstm-attention": ("knock-knock", dict(arch="lstm", attention=True), dict(seq_len=40)),
    "prices-gru": ("prices", dict(arch="gru", window=5), {}),
    "prices-mlp": ("prices", dict(arch="mlp", window=5), {}),
    "prices-gru-bidirectional": ("prices", dict(arch="gru", bidirectional=True, window=5), {}),
    "prices-lstm-inputs": ("prices-file", dict(arch="lstm", bidirectional=True), {}),
    "memory-lstm-bidirectional": ("memory", dict(arch="lstm", bidirectional=True), {}),
    "memory-gru-attention-tbptt": ("memory", dict(arch="gru", attention=True, layers=2), dict(tbptt=3)),
    "order-mlp-bag-of-words": ("order", dict(arch="mlp"), {}),
    "order-transformer-bidirectional": ("order", dict(arch="transformer", bidirectional=True), {}),
    "spell-rnn": ("spell", dict(arch="rnn"), {}),
    "quotes-lstm": ("quotes", dict(arch="lstm"), {}),
}
PROMPTS = {"text": "the ca", "quotes": 'anna said, "THE ', "knock-knock": "Knock, kn", "memory": "B 3 9 1 ?", "order": "the film was not bad , but great"}


def _data(kind: str, folder: Path) -> DataConfig:
    if kind == "text":
        return DataConfig(kind="text", source="inline", text=TEXT)
    if kind == "text-file":  # its text travels inside the model file
        (folder / "own.txt").write_text(TEXT, encoding="utf-8")
        return DataConfig(kind="text", source="file", path=str(folder / "own.txt"))
    if kind == "knock-knock":
        return DataConfig(kind="knock-knock", made_up_jokes=40)
    if kind == "prices":
        return DataConfig(kind="prices", generator="sine", length=60, window=5)
    if kind == "prices-file":  # its series, input columns and dates travel inside the model file
        (folder / "columns.csv").write_text(COLUMNS, encoding="utf-8")
        return DataConfig(kind="prices", source="file", path=str(folder / "columns.csv"), column="gdp",
                          inputs="volume, rate", window=5)
    if kind == "memory":
        return DataConfig(kind="memory", gap=3, keys=4)
    return DataConfig(kind=kind)


def _app_steps(path: Path, steps: int) -> Trainer:
    trainer = checkpoint.load(path, device="cpu")
    for _ in range(steps):
        trainer.step()
    return trainer


_DRIVER = r'''
"""Run exported scripts in this one process: each job's exit status, stdout and stderr as JSON."""
import contextlib, io, json, runpy, sys
import torch
torch.set_num_threads(1)
results = {}
for name, argv in json.load(open(sys.argv[1])).items():
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv = argv
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(argv[0], run_name="__main__")
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    results[name] = {"code": code, "out": out.getvalue(), "err": err.getvalue()}
results["imported playground"] = sorted(m for m in sys.modules if m.split(".")[0] == "playground")
print(json.dumps(results))
'''


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Every model trained, saved, exported; every script command run in one `python -I` process."""
    folder = tmp_path_factory.mktemp("export")
    files, scripts, jobs = {}, {}, {}
    for name, (kind, model, train) in MODELS.items():
        session = SessionConfig(
            model=ModelConfig(hidden=12, embed=6, **model),
            data=_data(kind, folder),
            train=TrainConfig(**{"batch_size": 4, "seq_len": 16, "val_every": 2, "device": "cpu", **train}),
        )
        trainer = Trainer(session)
        for _ in range(3):
            trainer.step()
        files[name] = checkpoint.save(trainer, folder / f"{name}.safetensors")
        scripts[name] = export_script(files[name], folder / f"{name.replace('-', '_')}.py")
        script, kind = str(scripts[name]), kind.removesuffix("-file")
        jobs[f"{name} train"] = [script, "train", "--steps", "3", "--out", str(folder / f"{name}-more")]
        if kind in ("text", "knock-knock", "quotes"):
            jobs[f"{name} sample"] = [script, "sample", "--prompt", PROMPTS[kind], "--length", "40", "--greedy"]
        elif kind == "prices":
            jobs[f"{name} forecast"] = [script, "forecast", "--horizon", "6"]
        elif kind in ("memory", "order"):
            jobs[f"{name} classify"] = [script, "classify", "--text", PROMPTS[kind]]
        else:
            jobs[f"{name} write"] = [script, "write", "--letter", "g"]
    (folder / "own.txt").unlink()  # the model file carries its text: the script needs no file
    (folder / "columns.csv").unlink()  # and its series with its input columns
    lines = COLUMNS.splitlines(keepends=True)
    (folder / "more_columns.csv").write_text("".join(lines[:1] + lines[9:]), encoding="utf-8")  # 32 later rows
    (folder / "rate_gone.csv").write_text(COLUMNS.replace("rate", "bank rate"), encoding="utf-8")
    (folder / "other.txt").write_text(OTHER_TEXT, encoding="utf-8")
    (folder / "dialogs.txt").write_text(DIALOGS, encoding="utf-8")
    (folder / "prices.csv").write_text(CSV, encoding="utf-8")
    text, kk, prices = str(scripts["text-gru-file"]), str(scripts["kk-lstm-attention"]), str(scripts["prices-gru"])
    jobs |= {
        "text sampled": [text, "sample", "--prompt", "the", "--length", "30", "--seed", "3", "--top-k", "4"],
        "text empty prompt": [text, "sample", "--length", "20", "--greedy"],
        "text other data": [text, "train", "--steps", "2", "--data", str(folder / "other.txt"), "--out", str(folder / "other")],
        "text unknown prompt": [text, "sample", "--prompt", "the Zoo", "--greedy"],
        "text missing weights": [text, "sample", "--weights", str(folder / "gone.safetensors")],
        "text wrong weights": [text, "sample", "--weights", str(files["prices-gru"])],
        "kk reply": [kk, "reply", "--turn", "Knock, knock!"],
        "kk dialogs data": [kk, "train", "--steps", "2", "--data", str(folder / "dialogs.txt"), "--out", str(folder / "kk")],
        "prices csv data": [prices, "train", "--steps", "2", "--data", str(folder / "prices.csv"), "--out", str(folder / "csv")],
        "inputs csv data": [str(scripts["prices-lstm-inputs"]), "train", "--steps", "2", "--data",
                            str(folder / "more_columns.csv"), "--out", str(folder / "more_columns")],
        "inputs column gone": [str(scripts["prices-lstm-inputs"]), "train", "--steps", "2", "--data",
                               str(folder / "rate_gone.csv"), "--out", str(folder / "gone")],
    }
    (folder / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    (folder / "driver.py").write_text(_DRIVER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(folder / "driver.py"), str(folder / "jobs.json")],
        capture_output=True, text=True, timeout=300, cwd=folder, env=_env(),
    )
    assert done.returncode == 0, done.stderr
    return {"folder": folder, "files": files, "scripts": scripts, "results": json.loads(done.stdout)}


def _ok(run, job: str) -> str:
    result = run["results"][job]
    assert result["code"] == 0 and not result["err"].strip(), (job, result)
    return result["out"]


def test_scripts_need_no_playground(run):
    assert run["results"]["imported playground"] == []
    for script in run["scripts"].values():
        imports = [line for line in script.read_text(encoding="utf-8").splitlines() if line.startswith(("import ", "from "))]
        assert imports and not any("playground" in line for line in imports), imports
        assert {line.split()[1].split(".")[0] for line in imports} <= {
            "argparse", "csv", "itertools", "json", "math", "os", "re", "sys", "pathlib", "numpy", "torch", "safetensors"
        }


def test_a_script_runs_on_its_own(run, capsys):
    """`python -I OUT.py sample ...` prints what `rnn-playground sample ... --greedy` prints."""
    path = run["files"]["text-lstm-attention"]
    done = subprocess.run(
        [sys.executable, "-I", str(run["scripts"]["text-lstm-attention"]), "sample", "--prompt", "the d", "--length", "50", "--greedy"],
        capture_output=True, text=True, timeout=120, cwd=run["folder"], env=_env(),
    )
    code, out, err = cli(capsys, "sample", path, "--prompt", "the d", "--length", "50", "--greedy")
    assert (done.returncode, code) == (0, 0), (done.stderr, err)
    assert done.stdout == out and len(out) > 50


@pytest.mark.parametrize("name", [n for n, (kind, _, _) in MODELS.items() if kind.startswith(("text", "knock", "quotes"))])
def test_greedy_text_is_the_apps(run, name):
    trainer = checkpoint.load(run["files"][name], device="cpu")
    prompt = PROMPTS[MODELS[name][0].removesuffix("-file")]
    text = inference.sample(trainer.model, trainer.task, prompt, 40, greedy=True)
    assert _ok(run, f"{name} sample") == prompt + text + "\n"


def test_sampling_empty_prompt_and_reply_are_the_apps(run):
    trainer = checkpoint.load(run["files"]["text-gru-file"], device="cpu")
    drawn = inference.sample(trainer.model, trainer.task, "the", 30, temperature=1.0, top_k=4, seed=3)
    assert _ok(run, "text sampled") == "the" + drawn + "\n"
    assert _ok(run, "text empty prompt") == inference.sample(trainer.model, trainer.task, "", 20, greedy=True) + "\n"
    kk = checkpoint.load(run["files"]["kk-lstm-attention"], device="cpu")
    assert _ok(run, "kk reply") == inference.reply(kk.model, kk.task, "Knock, knock!") + "\n"


@pytest.mark.parametrize("name", [n for n in MODELS if n.startswith("prices")])
def test_forecast_is_the_apps(run, name):
    trainer = checkpoint.load(run["files"][name], device="cpu")
    expected = inference.forecast(trainer.model, trainer.task, 6)
    got = [float(v) for v in _ok(run, f"{name} forecast").split()]
    assert len(got) == 6 and max(abs(a - b) for a, b in zip(got, expected)) <= 1e-5, (got, expected)


@pytest.mark.parametrize("name", [n for n in MODELS if n.startswith(("memory", "order"))])
def test_classes_are_the_apps(run, name):
    trainer = checkpoint.load(run["files"][name], device="cpu")
    expected = inference.classify(trainer.model, trainer.task, PROMPTS[MODELS[name][0]])
    got = [line.split("\t") for line in _ok(run, f"{name} classify").splitlines()]
    assert [c for c, _ in got] == [c for c, _ in expected]
    assert all(abs(float(p) - q) <= 1e-5 for (_, p), (_, q) in zip(got, expected))


def test_written_word_is_the_apps(run):
    trainer = checkpoint.load(run["files"]["spell-rnn"], device="cpu")
    word, steps = inference.write(trainer.model, trainer.task, "g")
    lines = _ok(run, "spell-rnn write").splitlines()
    assert lines[0] == word
    assert [line.split("\t")[0].strip() for line in lines[1:]] == [c for c, _ in steps]
    assert all(abs(float(line.split("\t")[1]) - p) <= 1e-5 for line, (_, p) in zip(lines[1:], steps))


@pytest.mark.parametrize("name", list(MODELS))
def test_training_takes_the_apps_steps(run, name):
    """The script trains on from the file as the app would (same batches, dropout, clipping,
    optimizer state): the file it writes opens, holds the app's very weights, and trains on."""
    theirs = checkpoint.load(run["folder"] / f"{name}-more.safetensors", device="cpu")
    ours = _app_steps(run["files"][name], 3)
    assert theirs.steps == ours.steps == 6
    assert theirs.session == ours.session
    for (key, a), b in zip(ours.model.state_dict().items(), theirs.model.state_dict().values()):
        assert torch.allclose(a, b, rtol=0, atol=1e-6), key
    assert list(theirs.history.losses) == pytest.approx(list(ours.history.losses), abs=1e-5)
    assert theirs.history.val_steps == ours.history.val_steps[: len(theirs.history.val_steps)]
    assert not theirs.step().refused


def test_trained_file_opens_in_the_app(run, capsys):
    path = run["folder"] / "kk-lstm-attention-more.safetensors"
    code, out, _ = cli(capsys, "info", path)
    assert code == 0 and "6 steps" in out
    code, _, err = cli(capsys, "train", "--resume", path, "--steps", "2", "--quiet", "--out", run["folder"] / "again")
    assert code == 0, err


def test_training_on_other_data_carries_it(run):
    _ok(run, "text other data")
    trainer = checkpoint.load(run["folder"] / "other.safetensors", device="cpu")
    assert trainer.task.source_text == OTHER_TEXT and trainer.session.data.source == "file"
    assert not trainer.step().refused
    _ok(run, "kk dialogs data")
    trainer = checkpoint.load(run["folder"] / "kk.safetensors", device="cpu")
    assert len(trainer.task.dialogs) == 4 and not trainer.step().refused
    _ok(run, "prices csv data")
    trainer = checkpoint.load(run["folder"] / "csv.safetensors", device="cpu")
    assert trainer.task.values[:2].tolist() == [100.0, 101.5] and len(trainer.task.values) == 30
    assert not trainer.step().refused


def test_training_on_other_columns_keeps_the_models_scales(run):
    """New rows train the model with its input columns, z-scored as the model learned them; the
    old file's dates do not fit the new rows, so the new file has none."""
    _ok(run, "inputs csv data")
    old = checkpoint.load(run["files"]["prices-lstm-inputs"], device="cpu").task
    new = checkpoint.load(run["folder"] / "more_columns.safetensors", device="cpu")
    assert old.input_names == new.task.input_names == ["volume", "rate"] and old.dates is not None
    assert len(new.task.values) == 32 and new.task.values[0] == pytest.approx(50 + 8 * 0.3 + 3)
    assert new.task.inputs[0].tolist() == [1000.0, 4 + 1 * 0.25]
    assert [s.to_dict() for s in new.task.input_scales] == [s.to_dict() for s in old.input_scales]
    assert new.task.dates is None and not new.step().refused
    result = run["results"]["inputs column gone"]
    assert result["code"] == 2 and "input column 'rate'" in result["err"] and len(result["err"].splitlines()) == 1


@pytest.mark.parametrize(
    ("job", "words"),
    [
        ("text unknown prompt", ("characters the model never saw", "'Z'")),
        ("text missing weights", ("no such model file", "gone.safetensors")),
        ("text wrong weights", ("prices model",)),
    ],
)
def test_script_mistakes_are_one_line(run, job, words):
    result = run["results"][job]
    assert result["code"] == 2 and result["out"] == ""
    assert len(result["err"].splitlines()) == 1 and all(w in result["err"] for w in words), result


def test_export_refusals_are_one_line(run, capsys, tmp_path):
    assert_error(capsys, "export", tmp_path / "gone.safetensors", "--script", tmp_path / "x.py", words=("no such",))
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    assert_error(capsys, "export", tmp_path / "notes.txt", "--script", tmp_path / "x.py", words=("notes.txt",))
    model = run["files"]["spell-rnn"]
    assert_error(capsys, "export", model, "--script", tmp_path, words=("folder",))
    assert_error(capsys, "export", model, "--script", tmp_path / "no" / "x.py", words=("does not exist",))
    assert_error(capsys, "export", model, "--script", model, words=("model file itself",))
    assert not (tmp_path / "x.py").exists()


def test_an_encoder_decoder_is_refused(capsys, tmp_path):
    from playground.core.seq2seq import Seq2SeqConfig, Seq2SeqTrainer

    path = Seq2SeqTrainer(Seq2SeqConfig(hidden=8, embed=4, batch_size=2, device="cpu")).save(tmp_path / "s2s")
    assert_error(capsys, "export", path, "--script", tmp_path / "s2s.py", words=("encoder-decoder",))


def test_export_prints_where_it_wrote(run, capsys, tmp_path):
    code, out, _ = cli(capsys, "export", run["files"]["order-mlp-bag-of-words"], "--script", tmp_path / "order.py")
    assert code == 0 and str(tmp_path / "order.py") in out
    text = (tmp_path / "order.py").read_text(encoding="utf-8")
    assert "'arch': 'mlp'" in text and "CONFIG = {" in text and 'if __name__ == "__main__":' in text
    compile(text, "order.py", "exec")
