"""`rnn-playground export MODEL --script OUT.py`: one PyTorch script per model that needs no playground.

Tiny models of every architecture and data kind are trained here for a few steps and exported;
one `python -I` process then runs every script's commands (``script_helpers.drive``: importing torch
once keeps this file fast), and each answer is compared with the app's own: the same greedy text, the
same forecast, the same probabilities, and, trained on from the same file, the very same weights.
The script is also an input boundary: hostile file names stay data, and damaged files and settings
out of range end in one line and exit status 2.
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
from script_helpers import drive, script_env

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.export import export_script
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

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
    return {"folder": folder, "files": files, "scripts": scripts, "results": drive(folder, jobs)}


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
            "argparse", "codecs", "contextlib", "csv", "hashlib", "itertools", "mmap", "json", "math", "os", "re", "sys", "time", "pathlib", "numpy", "torch", "safetensors"
        }


def test_a_script_runs_on_its_own(run, capsys):
    """`python -I OUT.py sample ...` prints what `rnn-playground sample ... --greedy` prints."""
    path = run["files"]["text-lstm-attention"]
    done = subprocess.run(
        [sys.executable, "-I", str(run["scripts"]["text-lstm-attention"]), "sample", "--prompt", "the d", "--length", "50", "--greedy"],
        capture_output=True, text=True, timeout=120, cwd=run["folder"], env=script_env(),
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
    from playground.core.train.seq2seq import Seq2SeqConfig, Seq2SeqTrainer

    path = Seq2SeqTrainer(Seq2SeqConfig(hidden=8, embed=4, batch_size=2, device="cpu")).save(tmp_path / "s2s")
    assert_error(capsys, "export", path, "--script", tmp_path / "s2s.py", words=("encoder-decoder",))


def test_export_prints_where_it_wrote(run, capsys, tmp_path):
    code, out, _ = cli(capsys, "export", run["files"]["order-mlp-bag-of-words"], "--script", tmp_path / "order.py")
    assert code == 0 and str(tmp_path / "order.py") in out
    text = (tmp_path / "order.py").read_text(encoding="utf-8")
    assert "'arch': 'mlp'" in text and "CONFIG = {" in text and 'if __name__ == "__main__":' in text
    compile(text, "order.py", "exec")


# -- the exported script as an input boundary (issue 28) ---------------------------------------------
# File names a model may have: each becomes data in the script (a repr in CONFIG), never code.
HOSTILE_NAMES = {
    "quotes": 'it\'s a """; import os; os.mkdir("pwned") #" model.safetensors',
    "backslashes": "back\\slash \\N{BELL} \\u12 \\.safetensors",
    "newlines": 'new\nline\r\ttab\n"""\nimport os; os.mkdir("pwned")\n.safetensors',
    "non-ascii": "mödel ünïcode 模型 😀 \u2028 %(prog)s.safetensors",
}
if sys.platform == "linux":  # a name of bytes that are not UTF-8 (as Linux file names may be)
    HOSTILE_NAMES["not utf-8"] = os.fsdecode(b"bytes \xff\xfe.safetensors")


def _config(script: Path) -> dict:
    """The script's CONFIG, read as data (ast.literal_eval): it holds plain values only."""
    import ast

    tree = ast.parse(script.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "CONFIG")
    return ast.literal_eval(node.value)


@pytest.fixture(scope="module")
def hostile(run, tmp_path_factory):
    """A text and a series model under every hostile name, in models/ beside the script's folder's
    scripts; exported, then the folder moved (script and weights together), then run with `python -I`."""
    import shutil

    home = tmp_path_factory.mktemp("sender")
    (home / "pack" / "models").mkdir(parents=True)
    scripts = {}
    for label, name in HOSTILE_NAMES.items():
        for kind, source in (("text", "text-lstm-attention"), ("prices", "prices-gru")):
            model = home / "pack" / "models" / f"{kind} {name}"
            shutil.copyfile(run["files"][source], model)
            scripts[label, kind] = export_script(model, home / "pack" / f"{kind}_{len(scripts)}.py")
    moved = tmp_path_factory.mktemp("receiver") / "unpacked"
    shutil.move(str(home / "pack"), str(moved))
    jobs = {}
    for (label, kind), script in scripts.items():
        path = str(moved / script.name)
        jobs[f"{label} {kind} help"] = [path, "--help"]
        if kind == "text":
            jobs[f"{label} text sample"] = [path, "sample", "--prompt", "the d", "--length", "30", "--greedy"]
        else:
            jobs[f"{label} prices forecast"] = [path, "forecast", "--horizon", "4"]
    return {"home": home, "moved": moved, "scripts": scripts, "results": drive(moved, jobs)}


@pytest.mark.parametrize("label", list(HOSTILE_NAMES))
def test_a_hostile_file_name_is_data_in_the_script(run, hostile, label):
    """The name compiles as text, runs nothing, and only its path from the script's folder is kept:
    --help works, and the moved script samples and forecasts what the app does from the same file."""
    for kind in ("text", "prices"):
        script = hostile["moved"] / hostile["scripts"][label, kind].name
        text = script.read_text(encoding="utf-8")
        compile(text, script.name, "exec")
        assert _config(script)["weights"] == f"models/{kind} {HOSTILE_NAMES[label]}"
        assert str(hostile["home"]) not in text and "/tmp" not in text  # no folder of the sender's
        help_text = _ok(hostile, f"{label} {kind} help")
        assert help_text.startswith(f"usage: {script.name} ") and f"python {script.name} train" in help_text
    assert not list(hostile["moved"].rglob("pwned")) and not list(hostile["home"].rglob("pwned"))
    trainer = checkpoint.load(run["files"]["text-lstm-attention"], device="cpu")
    want = inference.sample(trainer.model, trainer.task, "the d", 30, greedy=True)
    assert _ok(hostile, f"{label} text sample") == "the d" + want + "\n"
    trainer = checkpoint.load(run["files"]["prices-gru"], device="cpu")
    got = [float(v) for v in _ok(hostile, f"{label} prices forecast").split()]
    assert got == pytest.approx(inference.forecast(trainer.model, trainer.task, 4), abs=1e-5)


def test_a_quote_in_the_name_runs_nothing_under_python_isolated(hostile, tmp_path):
    """`python -I OUT.py --help` in its own process, from another folder: usage, exit 0, no code run."""
    script = hostile["moved"] / hostile["scripts"]["newlines", "text"].name
    done = subprocess.run(
        [sys.executable, "-I", str(script), "--help"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=script_env(),
    )
    assert done.returncode == 0 and done.stdout.startswith("usage:") and not done.stderr, done.stderr
    assert not list(tmp_path.iterdir()) and not list(hostile["moved"].rglob("pwned"))


def _mutated(source: Path, target: Path, task=None, tensors=None, drop=(), edit=None) -> Path:
    """A copy of a model file with its task settings changed (``task(dict)``), tensors replaced or
    added (``tensors``, or ``edit(tensors)``) and some removed (``drop``)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(source), framework="pt") as f:
        meta, stored = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)
    if task is not None:
        changed = json.loads(meta["task"])
        task(changed)
        meta["task"] = json.dumps(changed)
    stored = {k: v for k, v in {**stored, **(tensors or {})}.items() if k not in drop}
    if edit is not None:
        edit(stored)
    save_file(stored, str(target), metadata=meta)
    return target


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder no file can be written in: a read-only one, or for root (whom permissions do not
    stop) /proc."""
    if os.geteuid() == 0:
        return Path("/proc")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def _huge_moments(stored: dict) -> None:
    """Adam's state of parameter 0 at float32's largest moment and no squares: finite, and the first
    step takes the weights to infinity."""
    stored["optim/0/exp_avg"] = torch.full_like(stored["optim/0/exp_avg"], 3e38)
    stored["optim/0/exp_avg_sq"] = torch.zeros_like(stored["optim/0/exp_avg_sq"])


# probe: (the model it starts from, how its file is changed, the command, words of the one-line refusal)
PROBES = {
    "input scale without its std": ("prices-lstm-inputs", dict(task=lambda t: t["inputs"][0].pop("std")),
                                    ["forecast"], ("corrupted", "input columns' scales")),
    "input scales of another shape": ("prices-lstm-inputs", dict(task=lambda t: t.update(inputs=[[1.0, 2.0], [3.0]])),
                                      ["forecast"], ("corrupted", "input columns' scales")),
    "input columns missing": ("prices-lstm-inputs", dict(drop=("data/inputs",)), ["forecast"],
                              ("corrupted", "input columns are none")),
    "input columns misshapen": ("prices-lstm-inputs", dict(tensors={"data/inputs": torch.zeros(40, 3, dtype=torch.float64)}),
                                ["forecast"], ("corrupted", "input columns are")),
    "negative optimizer step": ("text-transformer", dict(tensors={"optim/0/step": torch.tensor(-1.0)}),
                                ["train", "--steps", "2"], ("corrupted", "step count of parameter 0")),
    "batch random state too short": ("text-mlp", dict(tensors={"rng/batches": torch.zeros(100, dtype=torch.uint8)}),
                                     ["train", "--steps", "2"], ("corrupted", "rng/batches", "5056 bytes")),
    "dropout random state too long": ("text-mlp", dict(tensors={"rng/torch": torch.zeros(6000, dtype=torch.uint8)}),
                                      ["train", "--steps", "2"], ("corrupted", "rng/torch")),
    "text inside not UTF-8": ("text-gru-file", dict(tensors={"data/text": torch.tensor(list(b"the cat \xff\xfe sat"), dtype=torch.uint8)}),
                              ["train", "--steps", "2"], ("not UTF-8", "0xff at offset 8")),
    "empty vocabulary entry": ("text-rnn-tanh-tbptt", dict(task=lambda t: t["vocab"].__setitem__(0, "")),
                               ["sample", "--length", "5"], ("corrupted", "vocabulary")),
}
# what the command line may say wrong: (the model, its arguments, words of the refusal)
ARG_PROBES = {
    "--seed 2**64": ("text-gru-file", ["sample", "--seed", str(2**64), "--length", "5"], ("--seed", "18,446,744,073,709,551,615")),
    "--temperature nan": ("text-gru-file", ["sample", "--temperature", "nan", "--length", "5"], ("--temperature is nan",)),
    "--device bogus": ("spell-rnn", ["train", "--steps", "1", "--device", "bogus"], ("'bogus' is not a device",)),
    "--horizon 10**9": ("prices-gru", ["forecast", "--horizon", str(10**9)], ("--horizon", "10,000")),
    "--steps word": ("spell-rnn", ["train", "--steps", "many"], ("invalid int value", "'many'")),
    "--batch-size 0": ("spell-rnn", ["train", "--steps", "1", "--batch-size", "0"], ("--batch-size is 0", "1 to 8,192")),
}


@pytest.fixture(scope="module")
def refusals(run, tmp_path_factory):
    """Every probe run by its exported script in one `python -I` process."""
    folder, jobs = tmp_path_factory.mktemp("probes"), {}
    for probe, (source, change, argv, _) in PROBES.items():
        model = _mutated(run["files"][source], folder / f"{len(jobs)}.safetensors", **change)
        out = ["--out", str(folder / f"out{len(jobs)}")] if argv[0] == "train" else []
        jobs[probe] = [str(run["scripts"][source]), *argv, "--weights", str(model), *out]
    for probe, (source, argv, _) in ARG_PROBES.items():
        out = ["--out", str(folder / "args-out")] if argv[0] == "train" else []
        jobs[probe] = [str(run["scripts"][source]), *argv, *out]
    (folder / "bad.txt").write_bytes(b"the cat sat\n\xc3\x28 on the mat\n")
    text = str(run["scripts"]["text-gru-file"])
    jobs["--data not UTF-8"] = [text, "train", "--steps", "1", "--data", str(folder / "bad.txt"), "--out", str(folder / "x")]
    blown = _mutated(run["files"]["text-transformer"], folder / "blown.safetensors", edit=_huge_moments)
    jobs["blown"] = [str(run["scripts"]["text-transformer"]), "train", "--steps", "1", "--weights", str(blown),
                     "--out", str(folder / "blown-more")]
    readonly = _read_only_folder(folder)
    jobs["read-only --out"] = [text, "train", "--steps", "1", "--out", str(readonly / "more")]
    jobs["--device cuda without CUDA"] = [text, "train", "--steps", "1", "--device", "cuda", "--out", str(folder / "x")]
    return {"folder": folder, "results": drive(folder, jobs)}


def _refused(result, words) -> None:
    assert result["code"] == 2 and result["out"] == "" and "Traceback" not in result["err"], result
    assert len(result["err"].splitlines()) == 1 and ": error: " in result["err"], result
    assert all(w in result["err"] for w in words), (words, result["err"])


@pytest.mark.parametrize("probe", list(PROBES))
def test_a_damaged_model_file_is_refused_in_one_line(refusals, probe):
    _refused(refusals["results"][probe], PROBES[probe][3])


@pytest.mark.parametrize("probe", list(ARG_PROBES))
def test_a_setting_out_of_range_is_refused_in_one_line(refusals, probe):
    _refused(refusals["results"][probe], ARG_PROBES[probe][2])


def test_a_run_whose_weights_blow_up_is_not_saved(refusals):
    """A file whose optimizer state is finite but sends the weights to infinity: the step is taken,
    the run is not saved (a resume never writes a file worse than the one it started from)."""
    result = refusals["results"]["blown"]
    assert result["code"] == 2 and len(result["err"].splitlines()) == 1, result
    assert "NaN or infinite" in result["err"] and "blown-more.safetensors is not written" in result["err"]
    assert not (refusals["folder"] / "blown-more.safetensors").exists()
    assert not list(refusals["folder"].glob("out*.safetensors"))  # no refused probe wrote its --out


def test_data_that_is_not_utf8_is_refused_in_one_line(refusals):
    _refused(refusals["results"]["--data not UTF-8"], ("bad.txt is not UTF-8 text", "0xc3 at offset 12"))
    assert not (refusals["folder"] / "x.safetensors").exists()


def test_an_out_that_cannot_be_written_is_refused_before_training(refusals):
    result = refusals["results"]["read-only --out"]
    _refused(result, ("cannot save to", "more.safetensors"))
    assert "step " not in result["out"]  # refused before the first step


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_refused_in_one_line(refusals):
    _refused(refusals["results"]["--device cuda without CUDA"], ("--device cuda", "no CUDA"))
