"""An exported script's `train` under torchrun: two CPU processes (gloo) train one model together.

Each process draws every global batch from the file's generator and keeps its half; DDP averages the
gradients. So two processes must end with the weights one process reaches on the same global batch,
write one file (rank 0's) that the app opens, and a run that loses a process must leave the old
output file as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from script_helpers import script_env

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.export import export_script
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

TEXT = "the cat sat on the mat. the dog ate the log. a bird sang in the tree.\n" * 12
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="this torch has no torch.distributed")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """An LSTM with truncated BPTT (several backward passes per step: DDP must average them once),
    trained 3 steps, saved and exported."""
    folder = tmp_path_factory.mktemp("torchrun")
    session = SessionConfig(
        model=ModelConfig(arch="lstm", hidden=16, embed=8, dropout=0.0),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=8, seq_len=16, tbptt=5, device="cpu"),
    )
    trainer = Trainer(session)
    for _ in range(3):
        trainer.step()
    model = checkpoint.save(trainer, folder / "model.safetensors")
    return {"folder": folder, "model": model, "script": export_script(model, folder / "model.py")}


def _env() -> dict[str, str]:
    return {k: v for k, v in script_env().items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}


def _train(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=cwd, env=env or _env())


def test_two_processes_take_the_steps_of_one_and_write_one_file(exported):
    folder, script = exported["folder"], str(exported["script"])
    one = _train([sys.executable, "-I", script, "train", "--steps", "20", "--batch-size", "32", "--out", "one"], folder)
    assert one.returncode == 0, one.stderr
    out = folder / "two-out"
    out.mkdir()
    two = _train([*TORCHRUN, script, "train", "--steps", "20", "--batch-size", "32", "--out", str(out / "two")], folder)
    assert two.returncode == 0, two.stderr[-3000:]
    assert "training on 2 processes (gloo, cpu): 16 of each batch's 32 sequences each" in two.stdout
    assert two.stdout.count("saved ") == 1 and two.stdout.count("step 23: loss") == 1  # rank 0 speaks
    assert sorted(p.name for p in out.iterdir()) == ["two.safetensors"]  # one file, no temporary left
    ours, theirs = checkpoint.load(folder / "one.safetensors", device="cpu"), checkpoint.load(out / "two.safetensors", device="cpu")
    before = checkpoint.load(exported["model"], device="cpu")
    assert theirs.steps == before.steps + 20 == 23
    assert len(theirs.history.losses) == len(before.history.losses) + 20
    assert theirs.session.train.batch_size == 32  # the app trains on with the batch it was given
    for (key, a), b in zip(ours.model.state_dict().items(), theirs.model.state_dict().values()):
        assert torch.allclose(a, b, rtol=0, atol=1e-5), (key, float((a - b).abs().max()))
    assert list(theirs.history.losses) == pytest.approx(list(ours.history.losses), abs=1e-5)
    assert not theirs.step().refused  # it trains on in the app


def test_a_batch_that_does_not_split_is_refused_in_one_line(exported):
    env = {**_env(), "RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}  # as torchrun sets them
    done = _train([sys.executable, "-I", str(exported["script"]), "train", "--steps", "1", "--batch-size", "33",
                   "--out", "odd"], exported["folder"], env)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "--batch-size 33 does not split into 2 equal parts" in done.stderr
    assert not (exported["folder"] / "odd.safetensors").exists()


def _worker(parent: int, rank: int) -> int | None:
    """The pid of torchrun's worker of that rank (a child of ``parent`` with RANK=rank), or None."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker through /proc")
def test_a_run_that_loses_a_process_leaves_the_old_file(exported):
    """Rank 1 is killed once training has begun: the run fails, and the file --out names (a model
    file from before) is left byte for byte, with no temporary beside it."""
    folder = exported["folder"] / "killed"
    folder.mkdir()
    old = shutil.copy(exported["model"], folder / "keep.safetensors")
    before = Path(old).read_bytes()
    argv = [*TORCHRUN, str(exported["script"]), "train", "--steps", "1000000", "--batch-size", "32", "--out", str(old)]
    with open(folder / "stderr.txt", "w") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, cwd=folder, env=_env())
    try:
        deadline = time.monotonic() + 120
        line = proc.stdout.readline()
        while line and not line.startswith("training on 2 processes") and time.monotonic() < deadline:
            line = proc.stdout.readline()
        assert line.startswith("training on 2 processes"), (folder / "stderr.txt").read_text()[-2000:]
        pid = _worker(proc.pid, 1)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert proc.wait(timeout=120) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert Path(old).read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["keep.safetensors", "stderr.txt"]
