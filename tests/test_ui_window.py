"""The real window, driven as a user would: Play, Pause, Step, Reset, predictions, files, closing."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from window_helpers import FAILED, answer_is, arrived

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.ui.main_window import MainWindow

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30

DATA = {
    "text": DataConfig(kind="text", source="inline", text=TEXT),
    "knock-knock": DataConfig(kind="knock-knock"),
    "prices": DataConfig(
        kind="prices", source="generator", generator="sine", length=200, noise=0.2, window=8
    ),
}


def make_config(arch: str, kind: str, **train) -> SessionConfig:
    model = ModelConfig(arch=arch, hidden=16, embed=8, window=8)
    return SessionConfig(
        model=model,
        data=DATA[kind],
        train=TrainConfig(**{"batch_size": 8, "seq_len": 24, "lr": 1e-2, "val_every": 20, **train}),
    )


def wait_steps(qtbot, w: MainWindow, n: int, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: w.session.steps >= n, timeout=timeout)


def ask_and_wait(qtbot, w: MainWindow, request: m.PredictRequest) -> m.PredictResult:
    """The window's answer to ``request``, asked as the prediction panel asks (it must not fail)."""
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
        w.prediction_panel.request.emit(request)
    answer = blocker.args[0]
    assert not answer.error and answer.result is not None, answer.error
    return answer.result


REQUESTS: dict[str, m.PredictRequest] = {
    "text": m.SampleText(prompt="the ", length=20, temperature=0.8, top_k=0, seed=0, k=5),
    "knock-knock": m.Reply("Knock, knock!"),
    "prices": m.Forecast(horizon=5),
}


@pytest.mark.parametrize("kind", ["text", "knock-knock", "prices"])
@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru", "transformer", "mlp"])
def test_play_pause_step_reset_predict(qtbot, open_window, arch, kind):
    w = open_window(make_config(arch, kind))
    # Play: loss points appear and fall.
    w.play()
    wait_steps(qtbot, w, 60)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    qtbot.wait(50)
    _, y = w.session.loss.view()
    assert len(y) >= 60
    assert np.mean(y[-10:]) < np.mean(y[:5]), (y[:5], y[-10:])
    # The plots drew something from the newest data.
    w._on_frame()
    x_plot, _ = w.loss_plot.train_curve.getData()
    assert len(x_plot) == w.session.loss.n

    # Step: exactly one optimizer step per press.
    before = w.worker_thread.worker.trainer.steps
    w.step(1)
    qtbot.waitUntil(
        lambda: w.worker_thread.worker.trainer.steps == before + 1 and w.state.play == "paused", timeout=5_000
    )
    qtbot.wait(100)
    assert w.worker_thread.worker.trainer.steps == before + 1
    w.step(1)
    qtbot.waitUntil(lambda: w.session.steps == before + 2, timeout=5_000)
    assert w.worker_thread.worker.trainer.steps == before + 2

    # The prediction panel answers for this data kind.
    answer = ask_and_wait(qtbot, w, REQUESTS[kind])
    from playground.core import inference

    trainer = w.worker_thread.worker.trainer  # paused: reading the model from here changes nothing
    if kind == "text":
        assert isinstance(answer, m.SampleAnswer)
        assert isinstance(answer.text, str) and len(answer.text) == 20
        # the five candidates the window shows are the model's own distribution's top five, in order
        expected = inference.top_next(trainer.model, trainer.task, "the ", 5)
        assert [c for c, _ in answer.next] == [c for c, _ in expected]
        probs = [p for _, p in answer.next]
        np.testing.assert_allclose(probs, [p for _, p in expected], rtol=1e-5)
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    elif kind == "knock-knock":
        # the reply the window shows is the model's own greedy reply to that turn, and not empty
        expected = inference.reply(trainer.model, trainer.task, "Knock, knock!")
        assert isinstance(answer, m.ReplyAnswer)
        assert answer.reply == answer.lm_reply == expected
    else:
        assert isinstance(answer, m.ForecastAnswer) and answer.forecast is not None
        assert len(answer.forecast) == 5 and np.isfinite(answer.mae)

    # Reset: a fresh model, an empty loss curve.
    old = w.worker_thread.worker.trainer
    w.reset()
    qtbot.waitUntil(lambda: w.worker_thread.worker.trainer is not old and bool(w.summary), timeout=10_000)
    assert w.worker_thread.worker.trainer.steps == 0
    assert w.session.loss.n == 0


def test_step_n_takes_exactly_n_steps(qtbot, open_window):
    w = open_window(make_config("gru", "text"))
    w.step(25)
    qtbot.waitUntil(lambda: w.session.steps == 25 and w.state.play == "paused", timeout=10_000)
    qtbot.wait(100)
    assert w.worker_thread.worker.trainer.steps == 25
    assert w.session.probe is not None and w.session.probe_step == 25  # the last step of a press is probed


def test_event_loop_stays_responsive_while_training(qtbot, open_window):
    """A QTimer ping every 10 ms while training flat out: the window keeps answering.

    The product's target is a p95 lateness under 50 ms; `benchmarks/bench_window.py` measures it
    (15-25 ms on the 2-core CI machine). This test keeps a 5x margin on that target, so a noisy
    machine does not fail it while a window that freezes (hundreds of ms) still does."""
    w = open_window(
        SessionConfig(
            model=ModelConfig(arch="lstm", hidden=128), data=DATA["knock-knock"], train=TrainConfig()
        )
    )
    gaps: list[float] = []
    last = [time.perf_counter()]

    def ping() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(ping)
    w.play()
    qtbot.waitUntil(lambda: w.session.steps > 5, timeout=10_000)
    last[0] = time.perf_counter()
    timer.start()
    qtbot.wait(3000)
    timer.stop()
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    late_ms = (np.array(gaps) - 0.010) * 1000
    p95 = float(np.percentile(late_ms, 95))
    assert w.session.steps > 20
    assert len(gaps) > 50
    assert p95 < 5 * 50, f"95th percentile event-loop delay {p95:.1f} ms"


def test_close_while_training_stops_thread_fast(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(config=make_config("lstm", "text"), settings=settings)
    w.ask_before_discard = False
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: bool(w.summary), timeout=10_000)
    w.play()
    qtbot.waitUntil(lambda: w.session.steps > 10, timeout=10_000)
    t0 = time.perf_counter()
    w.close()
    elapsed = time.perf_counter() - t0
    assert not w.worker_thread.thread.isRunning()
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"


def test_settings_and_layout_are_remembered(qtbot, tmp_path, monkeypatch):
    path = str(tmp_path / "remember.ini")
    cfg = make_config("gru", "prices")
    w = MainWindow(config=cfg, settings=QSettings(path, QSettings.Format.IniFormat))
    w.ask_before_discard = False
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: bool(w.summary), timeout=10_000)
    # The user rearranges: another size, the Predict dock moved to the left, the Data dock hidden.
    w.resize(1700, 1040)
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.prediction_dock)
    w.data_dock.hide()
    qtbot.wait(50)
    geometry = w.saveGeometry()
    w.close()
    assert QSettings(path, QSettings.Format.IniFormat).value("geometry") == geometry
    # The offscreen screen (800 x 800) clamps any restored size, so the restore itself is checked:
    # the new window hands Qt exactly the geometry the first one left.
    restored = []
    original = MainWindow.restoreGeometry
    monkeypatch.setattr(MainWindow, "restoreGeometry", lambda self, g: restored.append(g) or original(self, g))
    w2 = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat))
    w2.ask_before_discard = False
    qtbot.addWidget(w2)
    w2.show()
    qtbot.waitUntil(lambda: bool(w2.summary), timeout=10_000)
    assert restored == [geometry]
    assert w2.config.model.arch == "gru" and w2.config.data.kind == "prices"
    assert w2.model_panel.config().arch == "gru"
    assert w2.dockWidgetArea(w2.prediction_dock) == Qt.DockWidgetArea.LeftDockWidgetArea  # the docks too
    assert w2.dockWidgetArea(w2.controls_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert w2.data_dock.isHidden() and not w2.controls_dock.isHidden()
    w2.shutdown()


def test_bad_model_file_shows_message_and_keeps_work(qtbot, open_window, tmp_path):
    w = open_window(make_config("lstm", "text"))
    w.step(5)
    qtbot.waitUntil(lambda: w.session.steps == 5, timeout=10_000)
    trainer = w.worker_thread.worker.trainer
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x80\x04\x95 this is a pickle, not a model")
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(*FAILED), timeout=5_000):
        w.controller.open_path(str(bad))
    # the blocker may wake before the window's own (queued) slot has run: wait for the banner itself
    qtbot.waitUntil(lambda: "pickle" in w.banner.text(), timeout=5_000)
    assert w.worker_thread.worker.trainer is trainer and trainer.steps == 5
    assert w.session.steps == 5


def test_save_and_open_restore_the_session(qtbot, open_window, tmp_path):
    w = open_window(make_config("gru", "knock-knock"))
    w.step(30)
    qtbot.waitUntil(lambda: w.session.steps == 30, timeout=10_000)
    path = tmp_path / "kk.safetensors"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=5_000):
        w.save_to(str(path))
    qtbot.waitUntil(lambda: not w.dirty, timeout=5_000)  # the window's own slot may run just after
    assert path.exists()
    losses = w.session.loss.view()[1][:, 0].copy()

    w2 = open_window(make_config("rnn", "text"))
    with qtbot.waitSignal(w2.answered, check_params_cb=arrived("opened"), timeout=10_000):
        w2.open_path(str(path))
    qtbot.waitUntil(lambda: w2.path == str(path), timeout=5_000)
    assert w2.config.model.arch == "gru" and w2.config.data.kind == "knock-knock"
    assert w2.model_panel.config().arch == "gru"
    np.testing.assert_array_equal(w2.session.loss.view()[1][:, 0], losses)
    # Training continues from step 30.
    w2.step(1)
    qtbot.waitUntil(lambda: w2.session.steps == 31, timeout=10_000)


def test_refused_nan_step_shows_in_window(qtbot, open_window):
    w = open_window(make_config("rnn", "text"))
    trainer = w.worker_thread.worker.trainer
    handle = trainer.model.head.register_forward_hook(lambda m, i, o: o * float("nan"))
    w.step(1)
    qtbot.waitUntil(lambda: "1 step produced NaN" in w.banner.text(), timeout=5_000)
    assert (
        "was refused: it did not change the weights" in w.banner.text()
        and "Learning rate ÷10" in w.banner.fix_buttons["lower_lr"].text()
    )
    handle.remove()
    assert trainer.steps == 0
    w.step(1)
    qtbot.waitUntil(lambda: trainer.steps == 1, timeout=5_000)


@pytest.mark.parametrize("preset", ["knock-knock", "prices"])
def test_demo_writes_a_screenshot_of_a_trained_window(tmp_path, preset):
    """`gui --demo S --screenshot P`: trains, answers, writes a PNG of the whole window, exits 0."""
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    out = tmp_path / "shots" / f"{preset}.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "playground",
            "gui",
            "--demo",
            "2",
            "--preset",
            preset,
            "--screenshot",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)
    # a drawn window, not a blank one: many colours (plots, heatmaps, text)
    colours = {image.pixel(x, y) for x in range(0, 1600, 7) for y in range(0, 1000, 7)}
    assert len(colours) > 200


def test_screenshot_without_demo_is_refused():
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "playground", "gui", "--screenshot", "x.png"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "--demo" in run.stderr


def test_first_run_is_a_ready_preset_that_answers_within_a_minute(qtbot, tmp_path):
    """A newcomer: no settings yet, the knock-knock LSTM preset, one bold Play, and "Who's there?" soon."""
    from playground.core.presets import default_session

    settings = QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.ask_before_discard = False
    qtbot.addWidget(w)
    w.show()
    try:
        assert w.config == default_session()
        assert w.config.model.arch == "lstm" and w.config.data.kind == "knock-knock"
        assert "bold" in w.controls.play_button.styleSheet() and "Play" in w.controls.play_button.text()
        qtbot.waitUntil(lambda: bool(w.summary), timeout=10_000)
        t0 = time.perf_counter()
        qtbot.keyClick(w, Qt.Key.Key_Space)  # Space is Play
        qtbot.waitUntil(lambda: w.session.steps >= 100, timeout=60_000)
        qtbot.keyClick(w, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
        panel = w.prediction_panel
        panel.chat_edit.setText("Knock, knock!")
        with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
            panel.send_button.click()
        reply = blocker.args[0].result
        assert isinstance(reply, m.ReplyAnswer) and reply.reply == "Who's there?", blocker.args[0].error
        assert time.perf_counter() - t0 < 60
    finally:
        w.shutdown()


def test_a_model_opened_before_the_first_build_is_the_one_that_stays(qtbot, tmp_path, open_window):
    """The first model is built after the window paints; an Open sent before that must still win."""
    w = open_window(make_config("gru", "knock-knock"))
    w.step(3)
    qtbot.waitUntil(lambda: w.session.steps == 3 and w.state.play == "paused", timeout=10_000)
    path = tmp_path / "early.safetensors"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=5_000):
        w.save_to(str(path))
    w2 = MainWindow(
        config=make_config("rnn", "text"),
        settings=QSettings(str(tmp_path / "e.ini"), QSettings.Format.IniFormat),
    )
    w2.ask_before_discard = False
    qtbot.addWidget(w2)
    w2.open_path(str(path))  # before the event loop ran: no model has been asked for yet
    try:
        qtbot.waitUntil(lambda: w2.path == str(path), timeout=15_000)
        qtbot.wait(300)
        assert w2.config.model.arch == "gru" and w2.session.steps == 3
        assert w2.worker_thread.worker.trainer.steps == 3
    finally:
        w2.shutdown()
