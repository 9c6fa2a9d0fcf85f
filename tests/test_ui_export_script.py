"""File > Export as PyTorch Script in the window: unsaved work is saved first, then the script is written
from the saved file and samples what the app samples; a failure is a banner, not a traceback."""

from __future__ import annotations

import subprocess
import sys

from test_ui_window import make_config
from window_helpers import answer_is

from playground.app import messages as m
from playground.core import inference
from playground.core.train import checkpoint


def test_export_saves_unsaved_work_then_writes_a_script_that_samples_as_the_app(qtbot, open_window, tmp_path):
    w = open_window(make_config("gru", "text"))
    w.step(6)
    qtbot.waitUntil(lambda: w.session.steps == 6 and w.state.play == "paused", timeout=15_000)
    assert w.dirty and w.path is None
    model, script = tmp_path / "mine.safetensors", tmp_path / "mine.py"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=10_000):
        w.files.export_script_to(str(script), str(model))
    # written in the training process (torch is there), then said in the status bar
    qtbot.waitUntil(lambda: script.exists() and "exported" in w.statusBar().currentMessage(), timeout=20_000)
    trainer = checkpoint.load(model, device="cpu")
    assert trainer.steps == 6
    want = inference.sample(trainer.model, trainer.task, "the ", 40, temperature=0.0)
    got = subprocess.run(
        [sys.executable, "-I", str(script), "sample", "--prompt", "the ", "--length", "40", "--greedy"],
        capture_output=True, text=True, timeout=120,
    )
    assert got.returncode == 0, got.stderr
    assert got.stdout.rstrip("\n") == "the " + want  # the script prints the prompt and its continuation
    text = script.read_text(encoding="utf-8")  # the weights by their path from the script, no folder
    assert "'weights': 'mine.safetensors'" in text and str(tmp_path) not in text


def test_export_to_a_folder_that_is_not_there_says_why_in_the_banner(qtbot, open_window, tmp_path):
    w = open_window(make_config("gru", "text"))
    w.step(2)
    qtbot.waitUntil(lambda: w.session.steps == 2 and w.state.play == "paused", timeout=15_000)
    model = tmp_path / "saved.safetensors"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=10_000):
        w.save_to(str(model))
    qtbot.waitUntil(lambda: not w.dirty, timeout=5_000)
    w.files.export_script_to(str(tmp_path / "missing" / "out.py"))  # the window's own saved file
    qtbot.waitUntil(lambda: w.banner.isVisible() and "missing" in w.banner.text(), timeout=5_000)
    assert not (tmp_path / "missing").exists()
    action = w.export_script_action
    assert action.text().startswith("Export as PyTorch") and "torch, numpy and safetensors" in action.toolTip()
