"""A session recorded in the window (issue 30, part 1): Play until the diagnosis banner offers fixes,
a fix clicked there, a change of learning rate, Steps, Undo, a clamped sample, then File > Save Session;
`rnn-playground replay` of that file gives every recorded step's loss and the final weights bit for bit,
and File > Open of it restores where it ended, its loss history with it. Thread mode: the test reads the
engine directly."""

from __future__ import annotations

import json

import numpy as np
from window_helpers import answer_is, arrived

from playground.app import messages as m
from playground.cli import main
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.train.session_file import read_session

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30


def exploding() -> SessionConfig:
    """A planted exploding run (as test_diagnosis's): ReLU, identity init, a huge learning rate, no clipping."""
    return SessionConfig(
        model=ModelConfig(arch="rnn", hidden=32, embed=8, activation="relu", init="identity"),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(lr=100.0, optimizer="sgd", clip="off", batch_size=8, seq_len=32, val_every=0),
    )


def test_a_window_session_replays_bit_for_bit_and_reopens_where_it_ended(qtbot, open_window, tmp_path, capsys):
    w = open_window(exploding())
    engine = w.worker_thread.worker.engine

    def idle() -> bool:
        return engine.job is None and w.state.play == "paused"

    def step(n: int) -> None:
        before = engine.trainer.moment
        w.step(n)
        qtbot.waitUntil(lambda: engine.trainer.moment >= before + n and idle(), timeout=20_000)

    # Play until the banner offers its fixes, and take one of them
    w.play()
    qtbot.waitUntil(lambda: w.diagnosis is not None and "clip" in w.banner.fix_buttons, timeout=30_000)
    w.pause()
    qtbot.waitUntil(idle, timeout=10_000)
    w.banner.fix_buttons["clip"].click()
    qtbot.waitUntil(lambda: engine.trainer.session.train.clip == "norm", timeout=10_000)
    w.controls.lr.setValue(0.05)  # a live change of the learning rate
    qtbot.waitUntil(lambda: engine.trainer.lr == 0.05, timeout=10_000)
    step(6)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Undone), timeout=10_000):
        w.undo()
    step(4)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.ClampSampled), timeout=20_000) as got:
        w.controller.send(m.ClampSample(layer=0, unit=3, value=3.0, prompt="the ", length=30, temperature=0.5))
    assert not got.args[0].error, got.args[0].error
    step(3)

    path = tmp_path / "window.session"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.SessionSaved), timeout=20_000) as saved:
        w.controller.save_session_to(str(path))
    trainer = engine.trainer
    assert saved.args[0].path == str(path) and saved.args[0].steps == len(trainer.recorder.losses)
    assert "session" in w.statusBar().currentMessage()

    _meta, _tensors, rec = read_session(path)
    kinds = [a["do"] for a in rec.actions]
    assert kinds[0] == "train" and "fix" in kinds and "clamp" in kinds, kinds
    fix = kinds.index("fix")
    assert rec.actions[fix]["fix"] == "clip"
    changes = [a["changes"] for a in rec.actions if a["do"] == "set"]
    assert {"clip": "norm"} in changes or any(c.get("clip") == "norm" for c in changes), changes
    assert any(c.get("lr") == 0.05 for c in changes), changes
    assert any(a["do"] == "rewind" and a["why"] == "undo" for a in rec.actions), rec.actions
    clamp = next(a for a in rec.actions if a["do"] == "clamp")
    assert clamp["clamped"] == got.args[0].clamped and clamp["free"] == got.args[0].free
    assert rec.end["steps"] == trainer.steps and len(rec.losses) >= 6 + 4 + 3

    # the command line replays it: every step's loss and the final weights, bit for bit
    code = main(["replay", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["identical"] is True and result["steps"] == len(rec.losses), result
    assert result["trainer_steps"] == trainer.steps and result["weights_compared"] == len(trainer.model.state_dict())

    # File > Open of the session: where it ended, with its loss history
    losses = trainer.history.losses.copy()
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("opened"), timeout=20_000):
        w.open_path(str(path))
    opened = engine.trainer
    assert opened is not trainer and opened.steps == trainer.steps
    assert np.array_equal(opened.history.losses, losses)
    for key, value in trainer.model.state_dict().items():
        assert opened.model.state_dict()[key].numpy().tobytes() == value.numpy().tobytes(), key
    assert w.session.steps == trainer.steps and "Opened the session window.session" in w.banner.text()
    assert opened.recorder is not None and opened.recorder.actions == list(rec.actions)
