"""The window's spine: answers from a replaced model never show, one job at a time, and the shape
of the window's layer (sizes, who imports whom)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import torch
from window_helpers import FAILED, answer_is, arrived

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30
UI = Path(__file__).resolve().parents[1] / "playground" / "ui"


def config(kind: str = "text", arch: str = "gru") -> SessionConfig:
    data = DataConfig(kind=kind, source="inline", text=TEXT) if kind == "text" else DataConfig(kind=kind)
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=16, embed=8),
        data=data,
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


def reset_while_in_flight(qtbot, w, ask) -> None:
    """``ask()`` sends a question; Reset follows before the window's thread can take the answer in."""
    dropped = w.controller.dropped
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=20_000):
        ask()
        w.reset()
    # everything the old model sent is in the window's queue by now: let it all arrive
    qtbot.waitUntil(lambda: w.controller.dropped > dropped, timeout=10_000)
    qtbot.wait(300)


def test_a_prediction_from_the_replaced_model_is_dropped(qtbot, open_window):
    w = open_window(config())
    panel = w.prediction_panel
    shown = []
    w.answered.connect(lambda a: isinstance(a, m.Predicted) and shown.append(a))
    panel.prompt_edit.setText("the ")
    reset_while_in_flight(qtbot, w, panel.complete_button.click)
    assert shown == [] and panel.output_view.toPlainText() == ""
    # the new model answers as usual, stamped with its own generation
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as got:
        panel.complete_button.click()
    assert got.args[0].generation == w.state.generation
    assert panel.output_view.toPlainText().startswith("the ")


def test_an_inspection_from_the_replaced_model_is_dropped(qtbot, open_window):
    w = open_window(config())
    w.tabs.setCurrentIndex(w.scrubber_tab)
    qtbot.waitUntil(lambda: w.scrubber.answer is not None, timeout=10_000)
    reset_while_in_flight(qtbot, w, lambda: w.scrubber.inspect_requested.emit({"text": "the dog", "layer": 0}))
    assert w.scrubber.answer is None  # cleared by the Reset, and the old model's answer never came in


def test_a_comparison_from_the_replaced_model_is_dropped_and_stops(qtbot, open_window):
    w = open_window(config())
    view = w.compare_view
    for arch, box in view.checks.items():
        box.setChecked(arch in ("rnn", "gru"))
    view.steps.setValue(400)
    shown = []
    w.answered.connect(lambda a: isinstance(a, m.Compared) and shown.append(a))
    reset_while_in_flight(qtbot, w, view.run_button.click)
    qtbot.wait(500)
    assert shown == [] and view.answer is None and not view.running
    engine = w.worker_thread.worker.engine
    qtbot.waitUntil(lambda: engine.job is None, timeout=5_000)  # the old comparison stopped


def test_encoder_decoder_progress_from_the_replaced_model_is_dropped(qtbot, open_window):
    w = open_window(config("knock-knock", "lstm"))
    compare = w.prediction_panel.dialog_compare
    shown = []
    w.answered.connect(lambda a: isinstance(a, m.Seq2SeqProgress) and shown.append(a))
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Seq2SeqProgress), timeout=20_000):
        compare.train_requested.emit(3000)  # still training when the Reset comes
    # Reset while it trains: whether an old progress answer is still on its way when the floor rises
    # is a matter of timing (one may or may not be dropped); none may be shown after the new model
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("built"), timeout=20_000):
        w.reset()
    shown.clear()
    qtbot.wait(500)
    assert shown == [] and not compare.is_ready()
    assert w.worker_thread.worker.engine.seq2seq is None  # it belonged to the old dialogs


def test_play_during_a_comparison_says_why_and_the_main_model_waits(qtbot, open_window):
    w = open_window(config())
    trainer = w.worker_thread.worker.trainer
    view = w.compare_view
    for arch, box in view.checks.items():
        box.setChecked(arch in ("rnn", "gru"))
    view.steps.setValue(150)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Compared), timeout=10_000):
        view.run_button.click()
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(*FAILED), timeout=10_000):
        w.play()
    assert "comparison is running" in w.banner.text()
    qtbot.waitUntil(lambda: view.answer is not None and not view.answer["running"], timeout=60_000)
    assert trainer.steps == 0 and w.session.steps == 0
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=10_000)


def test_undo_after_a_comparison_is_bit_exact(qtbot, open_window):
    w = open_window(config())
    engine = w.worker_thread.worker.engine
    w.step(2)
    qtbot.waitUntil(lambda: w.session.steps == 2 and w.state.play == "paused", timeout=10_000)
    w.step(1)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=10_000)
    after = {k: v.clone() for k, v in engine.trainer.model.state_dict().items()}
    view = w.compare_view
    for arch, box in view.checks.items():
        box.setChecked(arch in ("rnn", "lstm"))
    view.steps.setValue(20)
    view.run_button.click()
    qtbot.waitUntil(lambda: view.answer is not None and not view.answer["running"], timeout=60_000)
    w.undo(1)
    qtbot.waitUntil(lambda: w.session.steps == 2, timeout=10_000)
    w.step(1)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=10_000)
    now = engine.trainer.model.state_dict()
    assert all(torch.equal(now[k], after[k]) for k in after)


def test_window_modules_stay_small_and_the_worker_does_not_load_the_window():
    sizes = {p.name: len(p.read_text().splitlines()) for p in UI.rglob("*.py")}
    assert sizes["main_window.py"] < 600 and sizes["worker.py"] < 600
    assert max(sizes.values()) <= 600, {k: v for k, v in sizes.items() if v > 600}
    code = (
        "import sys, playground.ui.worker, playground.app.engine\n"
        "print('playground.ui.main_window' in sys.modules, 'PySide6' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    # the window paints before torch loads (start-up): importing it must not import torch
    window_only = "import sys, playground.ui.main_window\nprint('torch' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", window_only], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    app_only = "import sys, playground.app.engine, playground.app.state\nprint('PySide6' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", app_only], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the application layer is Qt-free


# -- a failed Reset or Open shows its error and leaves a window that trains ---------------------------


def _steps_then(qtbot, w, n: int) -> None:
    before = w.session.steps
    w.step(n)
    qtbot.waitUntil(lambda: w.session.steps == before + n and w.state.play == "paused", timeout=20_000)


def test_a_failed_reset_shows_its_error_and_the_model_before_it_trains_on(qtbot, open_window, tmp_path):
    """Reset with a data file that is gone: the banner says so, "building ..." ends, and the model
    the window had (its settings, its 3 steps) is back and trains on."""
    good = config()
    w = open_window(good)
    _steps_then(qtbot, w, 3)
    bad = dataclasses.replace(good, data=DataConfig(kind="text", source="file", path=str(tmp_path / "gone.txt")))
    w.controller.build(bad)
    qtbot.waitUntil(lambda: "gone.txt" in w.banner.text(), timeout=20_000)
    qtbot.waitUntil(lambda: w.state.loading == "" and w.state.has_model, timeout=10_000)
    assert w.state.config == good and w.summary["steps"] == 3
    assert w.session.loss.n == 3 and w.session.steps == 3  # its loss curve came back with it
    _steps_then(qtbot, w, 2)
    assert w.session.steps == 5


def test_a_failed_open_shows_its_error_and_the_model_trains_on(qtbot, open_window, tmp_path):
    w = open_window(config())
    _steps_then(qtbot, w, 2)
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00" * 40)
    w.controller.open_path(str(bad))
    qtbot.waitUntil(lambda: "broken.safetensors" in w.banner.text(), timeout=20_000)
    assert w.state.loading == "" and w.state.has_model
    _steps_then(qtbot, w, 2)
    assert w.session.steps == 4


def test_a_step_trained_after_the_saved_one_marks_the_window_changed(qtbot, open_window, tmp_path):
    """Found by the random presses (seed 7): Play, Save, then Pause. The window says "paused" when it
    asks, so a Saved that came back after that found it paused and cleared the title's "*", while the
    model had trained on between the save and the pause: a clean title over a stale file. The steps
    that follow the file's must mark it changed, whatever the play state said."""
    w = open_window(config())
    worker = w.worker_thread.worker
    held: list = []
    w.play()
    qtbot.waitUntil(lambda: w.session.steps > 0 and w.state.play == "playing", timeout=10_000)
    worker.answer.disconnect(w.controller.on_answer)  # from here answers wait, to arrive in one order
    worker.answer.connect(held.append)
    try:
        path = tmp_path / "saved.safetensors"
        w.save_to(str(path))
        qtbot.waitUntil(
            lambda: any(isinstance(a, m.Saved) for a in held)
            and isinstance(held[-1], m.ProgressBatch)
            and not isinstance(held[-2], m.Saved),
            timeout=10_000,
        )  # steps trained after the save
        w.pause()
        assert w.state.play == "paused"  # said at once, before the training hears it
        qtbot.waitUntil(lambda: any(isinstance(a, m.PlayState) and a.state == "paused" for a in held[-3:]), timeout=10_000)
    finally:
        worker.answer.disconnect(held.append)
        worker.answer.connect(w.controller.on_answer)
    saved = next(a for a in held if isinstance(a, m.Saved))
    for a in held:
        w.controller.on_answer(a)
    from playground.core.train import checkpoint

    assert checkpoint.describe(path)["steps"] == saved.steps
    assert w.session.steps == worker.trainer.steps > saved.steps
    assert w.path == str(path) and w.dirty and "*" in w.windowTitle()

    # A save with nothing trained after it leaves the title clean.
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=10_000):
        w.save_to(str(path))
    assert not w.dirty and "*" not in w.windowTitle()
    assert checkpoint.describe(path)["steps"] == w.session.steps


def test_an_older_saved_and_the_steps_after_it_do_not_spoil_the_newest_save():
    """Found by the random presses (seed 50): Save to one file during Play, then Pause and Save to
    another. The first Saved (25 steps) arrives, then the steps trained after it (to 31) mark the
    title stale; that must not count as a command sent after the second save, whose Saved (31
    steps, nothing trained since) leaves the title clean. Qt-free: the window's state alone."""
    from playground.app.state import AppState

    st = AppState(config())
    st.changed_since_save = False  # the second Save was just asked for; Play was paused before it
    st.file_saved("first.safetensors", 25)  # the older answer
    assert st.path == "first.safetensors" and not st.dirty
    st.step_arrived(31)  # trained after the first save: its file is stale
    assert st.dirty and not st.changed_since_save
    st.file_saved("second.safetensors", 31)
    assert st.path == "second.safetensors" and not st.dirty and st.file_steps == 31
    st.step_arrived(31)  # a batch ending at the file's own step changes nothing
    assert not st.dirty
    st.step_arrived(32)
    assert st.dirty
