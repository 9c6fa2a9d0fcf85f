"""The GPU path (issue 14): run where torch sees an NVIDIA GPU (`bash benchmarks/gpu_check.sh`); skipped
elsewhere, and CI has no GPU. A model trained on the GPU is a model file like any other: it opens on
the CPU and answers as it did on the GPU; the exported script trains on the GPU and the app opens what
it writes; every architecture steps on CUDA and its loss falls."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.export import export_script
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU (torch.cuda)")

TEXT = "the cat sat on the mat. the dog ate the log. a bird sang in the tree.\n" * 20


def _train(tr: Trainer, n: int) -> float:
    """Mean loss of ``n`` steps."""
    return sum(tr.step().loss for _ in range(n)) / n


def _session(arch: str, **model) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=32, embed=8, window=4, **model),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=16, seq_len=32, lr=1e-2, device="cuda", val_every=0),
    )


@pytest.mark.parametrize(
    ("arch", "model"),
    [("rnn", {}), ("lstm", {}), ("gru", {}), ("lstm", {"attention": True}), ("transformer", {}), ("mlp", {})],
)
def test_trained_on_the_gpu_opens_on_the_cpu_and_answers_the_same(tmp_path, arch, model):
    tr = Trainer(_session(arch, **model))
    assert tr.device.type == "cuda"
    first = _train(tr, 5)
    _train(tr, 50)
    last = _train(tr, 10)
    assert last < first
    want = inference.sample(tr.model, tr.task, "the ", 40, temperature=0.0)
    path = checkpoint.save(tr, tmp_path / f"{arch}.safetensors")
    back = checkpoint.load(path, device="cpu")
    assert back.device.type == "cpu" and back.steps == tr.steps
    for a, b in zip(tr.model.state_dict().values(), back.model.state_dict().values()):
        torch.testing.assert_close(a.cpu(), b, rtol=0, atol=0)
    # cuDNN and the CPU round differently: greedy text may part after many characters, rarely
    got = inference.sample(back.model, back.task, "the ", 40, temperature=0.0)
    assert sum(x == y for x, y in zip(got, want)) >= 30, (got, want)


def test_the_exported_script_trains_on_the_gpu_and_the_app_opens_its_file(tmp_path):
    tr = Trainer(_session("lstm"))
    _train(tr, 5)
    path = checkpoint.save(tr, tmp_path / "gpu.safetensors")
    script = export_script(path, tmp_path / "gpu.py")
    out = tmp_path / "more.safetensors"
    run = subprocess.run(
        [sys.executable, "-I", str(script), "train", "--steps", "20", "--out", str(out), "--device", "cuda"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    back = checkpoint.load(out, device="cpu")
    assert back.steps == 25
    back.step()
    assert back.steps == 26


def test_the_exported_script_trains_under_torchrun_with_nccl_and_bf16(tmp_path):
    """torchrun on the GPUs there are (nccl; 1 process is enough to take the path): the weights match
    one process's on the same global batch, and --bf16 trains on the GPU (issue 34)."""
    tr = Trainer(_session("gru"))
    _train(tr, 3)
    path = checkpoint.save(tr, tmp_path / "gpu.safetensors")
    script = str(export_script(path, tmp_path / "gpu.py"))
    n = min(2, torch.cuda.device_count())
    runs = {
        "one": [sys.executable, "-I", script],
        "ddp": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n), script],
    }
    for name, head in runs.items():
        done = subprocess.run([*head, "train", "--steps", "10", "--batch-size", "32", "--device", "cuda",
                               "--out", str(tmp_path / name)], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    assert "(nccl, cuda)" in done.stdout  # a process group even for one process
    one, ddp = (checkpoint.load(tmp_path / f"{k}.safetensors", device="cpu") for k in runs)
    for (key, a), b in zip(one.model.state_dict().items(), ddp.model.state_dict().values()):
        assert torch.allclose(a, b, rtol=0, atol=1e-4), key
    done = subprocess.run([sys.executable, "-I", script, "train", "--steps", "5", "--device", "cuda", "--bf16",
                           "--out", str(tmp_path / "bf16")], capture_output=True, text=True, timeout=600)
    if torch.cuda.is_bf16_supported():
        assert done.returncode == 0 and checkpoint.load(tmp_path / "bf16.safetensors", device="cpu").steps == 8
    else:
        assert done.returncode == 2 and "has no bf16" in done.stderr
