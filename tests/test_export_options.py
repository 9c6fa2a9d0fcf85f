"""The exported script's `train --bf16` and `--compile`: off by default, each refused in one line where
the machine cannot do it, and each trains the model it was given.

bf16 autocast rounds the forward pass, so its weights are near (not equal to) float32's; torch.compile
must give float32's weights. Compiling takes about a minute on two cores: that test is marked
``fuzz`` (run with -m fuzz, as CI does).
"""

from __future__ import annotations

import runpy

import pytest
import torch

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.export import export_script
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

TEXT = "the cat sat on the mat. the dog ate the log. a bird sang in the tree.\n" * 12


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    folder = tmp_path_factory.mktemp("options")
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=8, seq_len=16, device="cpu"),
    )
    trainer = Trainer(session)
    trainer.step()
    model = checkpoint.save(trainer, folder / "model.safetensors")
    rng = torch.get_rng_state()
    ns = runpy.run_path(str(export_script(model, folder / "model.py")), run_name="exported")
    yield {"main": ns["main"], "folder": folder, "model": model}
    torch.set_rng_state(rng)


def _train(script, name: str, *flags: str) -> Trainer:
    argv = ["train", "--steps", "5", "--weights", str(script["model"]), "--out", str(script["folder"] / name), *flags]
    assert script["main"](argv) == 0
    return checkpoint.load(script["folder"] / f"{name}.safetensors", device="cpu")


def test_bf16_trains_near_float32(script, capsys):
    plain, half = _train(script, "plain"), _train(script, "bf16", "--bf16")
    assert half.steps == plain.steps == 6
    gaps = [float((a - b).abs().max()) for a, b in zip(plain.model.state_dict().values(), half.model.state_dict().values())]
    assert 0 < max(gaps) < 0.01, gaps  # rounded, not another model
    assert list(half.history.losses) == pytest.approx(list(plain.history.losses), abs=0.02)
    assert "steps/s" in capsys.readouterr().out


def test_compile_without_a_cpp_compiler_is_refused_in_one_line(script, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(script["folder"] / "nothing-here"))
    monkeypatch.delenv("CXX", raising=False)
    argv = ["train", "--steps", "1", "--weights", str(script["model"]), "--out", str(script["folder"] / "x"), "--compile"]
    assert script["main"](argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--compile on the CPU needs a C++ compiler" in err
    assert not (script["folder"] / "x.safetensors").exists()


@pytest.mark.fuzz
def test_compile_trains_as_eager(script):
    plain, compiled = _train(script, "eager"), _train(script, "compiled", "--compile")
    for (key, a), b in zip(plain.model.state_dict().items(), compiled.model.state_dict().values()):
        assert torch.allclose(a, b, rtol=0, atol=1e-5), key
