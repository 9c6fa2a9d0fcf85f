"""The step debugger, Undo, the time scrubber, gradients over training, exports and recent files,
driven through the real window."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from window_helpers import answer_is, arrived

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30


def config(arch: str = "lstm", kind: str = "text", **model) -> SessionConfig:
    data = {
        "text": DataConfig(kind="text", source="inline", text=TEXT),
        "knock-knock": DataConfig(kind="knock-knock"),
        "prices": DataConfig(
            kind="prices", source="generator", generator="sine", length=200, noise=0.2, window=8
        ),
        "adding": DataConfig(kind="adding", source="generator", span=12),
    }[kind]
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=16, embed=8, window=8, **model),
        data=data,
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


def press_step(qtbot, w, n: int = 1) -> None:
    target = w.session.steps + n
    w.step(n)
    qtbot.waitUntil(lambda: w.session.steps == target and w.state.play == "paused", timeout=15_000)
    qtbot.waitUntil(lambda: w.session.detail_report is not None and w.session.detail_report.step == target)


def weights_and_optimizer(trainer) -> tuple[dict, dict]:
    weights = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    opt = {
        (i, k): v.detach().clone()
        for i, state in trainer.optimizer.state_dict()["state"].items()
        for k, v in state.items()
        if isinstance(v, torch.Tensor)
    }
    return weights, opt


# -- step debugger ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "prices", "adding"])
def test_step_debugger_shows_the_step_the_trainer_took(qtbot, open_window, kind):
    w = open_window(config("gru", kind))
    press_step(qtbot, w, 3)
    trainer = w.worker_thread.worker.trainer
    report, detail = w.session.detail_report, w.session.detail
    assert report.step == 3 == trainer.steps
    assert report.loss == pytest.approx(float(trainer.history.losses[-1]), abs=1e-7)
    assert float(np.mean(detail.loss_per_step)) == pytest.approx(report.loss, rel=1e-5, abs=1e-6)

    w.tabs.setCurrentIndex(w.step_tab)
    qtbot.waitUntil(lambda: w.step_view._drawn == w.session.detail_version, timeout=3_000)
    view = w.step_view
    assert f"Step 3</b>: loss <b>{report.loss:.4f}" in view.header.text()
    # the table shows the first sequence of the batch, decoded
    row = [view.table.item(0, t).toolTip() for t in range(len(detail.inputs[0]))]
    assert row == [repr(s) for s in detail.inputs[0]]
    assert view.table.verticalHeaderItem(2).text() == "predicted"
    # loss bars and update sizes are the detail's numbers
    np.testing.assert_allclose(view.loss_bars.opts["height"], detail.loss_per_step)
    assert len(view.update_axis.names) == len(report.param_names) == len(detail.update_norms)
    assert (detail.update_norms > 0).all()
    # the time axes name what the inputs are; one output after them is a series' next value or an answer
    caption = view.loss_plot.getPlotItem().getAxis("bottom").labelText
    assert caption == ("input character / time step t" if kind == "text" else "input value / time step t")
    ones = {"text": None, "prices": "next", "adding": "answer"}[kind]
    heads = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert heads[-1] == (ones or str(len(detail.inputs[0]) - 1)), heads
    if ones:
        assert view.loss_axis.labels == (ones,)


def test_step_debugger_switches_between_sequences_of_the_batch(qtbot, open_window):
    w = open_window(config("lstm", "text"))
    press_step(qtbot, w)
    w.tabs.setCurrentIndex(w.step_tab)
    qtbot.waitUntil(lambda: w.step_view._drawn == w.session.detail_version, timeout=3_000)
    d = w.session.detail
    assert w.step_view.sequence.maximum() == len(d.inputs) == 8
    w.step_view.sequence.setValue(4)
    shown = [w.step_view.table.item(1, t).toolTip() for t in range(len(d.targets[3]))]
    assert shown == [repr(s) for s in d.targets[3]]


# -- undo ----------------------------------------------------------------------------------------


def test_undo_restores_weights_and_optimizer_bit_for_bit(qtbot, open_window):
    w = open_window(config("lstm", "text", layers=2, dropout=0.1))
    assert not w.controls.undo_button.isEnabled()
    press_step(qtbot, w, 4)
    trainer = w.worker_thread.worker.trainer
    before = weights_and_optimizer(trainer)
    press_step(qtbot, w)
    first_try = weights_and_optimizer(trainer)[0]
    assert any(not torch.equal(first_try[k], before[0][k]) for k in first_try)
    qtbot.waitUntil(lambda: w.controls.undo_label.text().startswith("back to step 4"), timeout=3_000)
    assert w.controls.undo_button.isEnabled() and w.undo_action.isEnabled()

    w.controls.undo_button.click()
    qtbot.waitUntil(lambda: trainer.steps == 4 and w.session.steps == 4, timeout=5_000)
    after = weights_and_optimizer(trainer)
    for k, v in before[0].items():
        assert torch.equal(after[0][k], v), k
    assert before[1].keys() == after[1].keys()
    for k, v in before[1].items():
        assert torch.equal(after[1][k], v), k
    # the loss curve ends at step 4 again, and the same step comes back the same
    assert w.session.loss.view()[0][-1] == 4
    press_step(qtbot, w)
    again = weights_and_optimizer(trainer)[0]
    for k, v in first_try.items():
        assert torch.equal(again[k], v), k


def test_undo_after_play_goes_back_to_where_play_started(qtbot, open_window):
    w = open_window(config("rnn", "text"))
    press_step(qtbot, w, 2)
    w.play()
    qtbot.waitUntil(lambda: w.session.steps > 10, timeout=15_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=5_000)
    w.undo(1)
    qtbot.waitUntil(lambda: w.session.steps == 2, timeout=5_000)
    assert w.worker_thread.worker.trainer.steps == 2
    assert int(w.session.loss.view()[0][-1]) == 2
    assert w.session.undo_steps == (0, 1)


# -- time scrubber --------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_scrubber_shows_the_probes_hidden_state_and_equation(qtbot, open_window, arch):
    w = open_window(config(arch, "text"))
    press_step(qtbot, w, 3)
    w.tabs.setCurrentIndex(w.scrubber_tab)  # showing the tab inspects the probe text
    qtbot.waitUntil(lambda: w.scrubber.answer is not None, timeout=10_000)
    qtbot.waitUntil(lambda: w.session.probe is w.scrubber.answer["probe"], timeout=5_000)
    n_t = len(w.session.probe.labels)
    assert w.scrubber.slider.maximum() == n_t - 1
    for t in (0, 5, n_t - 1):
        w.scrubber.slider.setValue(t)
        np.testing.assert_allclose(w.scrubber.current_h(), w.session.probe.hidden[0, t], atol=1e-6)
        np.testing.assert_allclose(w.scrubber.h_bars.opts["height"], w.session.probe.hidden[0, t], atol=1e-6)
        assert f"t = {t} of {n_t - 1}" in w.scrubber.t_label.text()
        terms = w.scrubber.answer["terms"][t]
        np.testing.assert_allclose(terms["h_t"], w.session.probe.hidden[0, t, : len(terms["h_t"])], atol=1e-5)
    text = w.scrubber.equation_label.text()
    equation = {
        "rnn": "h_t = tanh(W_hh h_{t-1} + W_xh x_t + b)",
        "lstm": "c_t = f ⊙ c_{t-1} + i ⊙ g",
        "gru": "h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}",
    }[arch]
    assert equation in text.replace("&#x27;", "'")
    # the top-5 next characters are listed with probabilities
    assert "%" in w.scrubber.topk_label.text()


def test_scrubber_inspects_typed_text_and_arrow_keys_move_it(qtbot, open_window):
    w = open_window(config("lstm", "text"))
    press_step(qtbot, w)
    w.tabs.setCurrentIndex(w.scrubber_tab)
    qtbot.waitUntil(lambda: w.scrubber.answer is not None, timeout=10_000)
    w.scrubber.text_edit.setText("the dog sat")
    w.scrubber.inspect_button.click()
    qtbot.waitUntil(
        lambda: w.scrubber.answer is not None and w.scrubber.answer["text"] == "the dog sat", timeout=10_000
    )
    a = w.scrubber.answer
    assert "".join(a["labels"]).replace("␣", " ").startswith("the dog sa")
    conn = a["connectivity"]
    assert conn.shape == (len(a["labels"]), len(a["labels"]))
    assert np.allclose(np.triu(conn, 1), 0)  # a unidirectional model cannot look ahead
    # Right moves along the sequence here instead of training
    steps = w.session.steps
    w.scrubber.slider.setValue(2)
    w.arrow(+1)
    assert w.scrubber.slider.value() == 3
    w.arrow(-1)
    w.arrow(-1)
    assert w.scrubber.slider.value() == 1
    qtbot.wait(100)
    assert w.session.steps == steps
    # the connectivity text shades the inputs up to t and marks t
    assert "border-bottom" in w.scrubber.connect_label.text()


@pytest.mark.parametrize("kind", ["prices", "text"])
def test_a_long_sequence_in_the_scrubber_wraps_instead_of_widening_the_window(qtbot, open_window, kind):
    """The strip of inputs shaded by how much each moved the prediction was one unbreakable line (values
    joined by no-break spaces, characters by nothing): a price window of 24 values widened the window from
    1,280 to 1,984 pixels when the tab opened, a typed text of 260 characters to 1,430. It wraps now."""
    from PySide6.QtWidgets import QMainWindow

    from playground.core.presets import PRESETS

    w = open_window(PRESETS[kind][1])  # (the prices preset reads 24 values a prediction)
    w.resize(1280, 800)
    press_step(qtbot, w)
    w.tabs.setCurrentIndex(w.scrubber_tab)
    qtbot.waitUntil(lambda: w.scrubber.answer is not None, timeout=10_000)
    if kind == "text":
        typed = "the quick brown fox jumps over the lazy dog " * 6
        w.scrubber.text_edit.setText(typed)
        w.scrubber.inspect_button.click()
        qtbot.waitUntil(lambda: w.scrubber.answer is not None and w.scrubber.answer["text"] == typed, timeout=10_000)
    qtbot.wait(50)
    assert len(w.scrubber.answer["labels"]) >= 24
    assert w.scrubber.connect_label.minimumSizeHint().width() < 200
    assert QMainWindow.minimumSizeHint(w).width() < 1400 and w.width() < 1400, w.width()


def test_scrubber_says_a_transformer_has_no_recurrence(qtbot, open_window):
    w = open_window(config("transformer", "text"))
    press_step(qtbot, w)
    w.tabs.setCurrentIndex(w.scrubber_tab)
    qtbot.waitUntil(lambda: w.scrubber.answer is not None, timeout=10_000)
    assert "no recurrence" in w.scrubber.equation_label.text()


# -- gradients over training --------------------------------------------------------------------


def test_gradient_history_heatmap_has_a_row_per_probe(qtbot, open_window):
    w = open_window(config("rnn", "text"))
    for _ in range(3):
        press_step(qtbot, w, 2)
    w.tabs.setCurrentIndex(w.history_tab)
    qtbot.waitUntil(lambda: w.grad_history_plot.image.image is not None, timeout=3_000)
    steps = [s for s, _ in w.session.grad_history]
    assert steps == sorted(set(steps)) and steps[-3:] == [2, 4, 6]
    image = w.grad_history_plot.image.image
    assert image.shape == (len(steps), 24)
    np.testing.assert_allclose(image[-1], np.log10(w.session.grad_history[-1][1]), rtol=1e-5)
    assert w.grad_history_plot.step_axis.steps == steps


# -- files: exports, recent files, save and open ------------------------------------------------


def test_export_loss_plot_as_png_svg_and_csv(qtbot, open_window, tmp_path):
    w = open_window(config("gru", "text"))
    press_step(qtbot, w, 5)
    qtbot.wait(100)
    for suffix in ("png", "svg", "csv"):
        path = tmp_path / f"loss.{suffix}"
        assert w.export_to(w.loss_plot, str(path)), w.last_error
        assert path.stat().st_size > 50
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "loss.svg").read_bytes()[:2000]
    rows = list(csv.reader((tmp_path / "loss.csv").open()))
    assert rows[0][:2] == ["training loss x", "training loss y"]
    steps, losses = w.session.loss.view()
    np.testing.assert_array_equal([int(float(r[0])) for r in rows[1:6]], steps[:5])
    np.testing.assert_allclose([float(r[1]) for r in rows[1:6]], losses[:5, 0], rtol=1e-6)
    # a heatmap exports its matrix
    path = tmp_path / "hidden.csv"
    assert w.export_to(w.hidden_plot, str(path))
    rows = list(csv.reader(path.open()))
    assert len(rows) == 1 + 16  # a header, then one row per hidden unit


def test_export_to_a_missing_folder_says_so_and_keeps_the_old_file(qtbot, open_window, tmp_path):
    w = open_window(config("gru", "text"))
    press_step(qtbot, w, 2)
    assert not w.export_to(w.loss_plot, str(tmp_path / "nope" / "loss.png"))
    assert "folder does not exist" in w.banner.text()
    old = tmp_path / "loss.bmp"
    assert not w.export_to(w.loss_plot, str(old))
    assert "use .png, .svg or .csv" in w.last_error


def test_a_failed_export_leaves_the_previous_file_and_no_temporary(qtbot, open_window, tmp_path, monkeypatch):
    """Exports save through the same atomic write as models (core/files.py): the disk refusing the
    rename leaves yesterday's CSV as it was, says so in one line, and leaves nothing beside it."""
    import errno
    import os

    w = open_window(config("gru", "text"))
    press_step(qtbot, w, 2)
    old = tmp_path / "loss.csv"
    old.write_text("yesterday\n")

    def refuse(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    assert not w.export_to(w.loss_plot, str(old))
    monkeypatch.undo()
    assert w.last_error == "cannot export loss.csv: Permission denied; the previous file is unchanged"
    assert old.read_text() == "yesterday\n" and sorted(p.name for p in tmp_path.iterdir() if "loss" in p.name) == ["loss.csv"]
    assert w.export_to(w.loss_plot, str(old)) and old.read_text().startswith("training loss")


def test_save_then_open_in_a_fresh_window_reproduces_predictions_and_history(qtbot, open_window, tmp_path):
    w = open_window(config("lstm", "text"))
    press_step(qtbot, w, 20)
    request = m.SampleText(prompt="the ", length=30, temperature=1.0, top_k=0, seed=3, k=5)

    def ask(win) -> m.SampleAnswer:
        with qtbot.waitSignal(win.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
            win.prediction_panel.request.emit(request)
        answer = blocker.args[0].result
        assert isinstance(answer, m.SampleAnswer), blocker.args[0].error
        return answer

    before = ask(w)
    path = tmp_path / "m.safetensors"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Saved), timeout=5_000):
        w.save_to(str(path))
    qtbot.waitUntil(lambda: w.path == str(path), timeout=5_000)
    assert w.recent_files()[0] == str(path.resolve())

    w2 = open_window(config("rnn", "prices"))
    w2.settings = w.settings  # the same user: the same recent files
    w2.files.fill_recent(w2.recent_menu)
    assert w2.recent_menu.actions()[0].text() == "m.safetensors"
    with qtbot.waitSignal(w2.answered, check_params_cb=arrived("opened"), timeout=10_000):
        w2.recent_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: w2.path == str(path), timeout=5_000)
    after = ask(w2)
    assert after.text == before.text
    assert after.next == before.next
    np.testing.assert_array_equal(w2.session.loss.view()[1], w.session.loss.view()[1])
    assert w2.session.steps == 20


# -- compare mode ------------------------------------------------------------------------------


def test_compare_mode_trains_four_architectures_and_fills_the_table(qtbot, open_window):
    w = open_window(config("lstm", "text"))
    press_step(qtbot, w, 2)
    main_trainer = w.worker_thread.worker.trainer
    view = w.compare_view
    w.tabs.setCurrentIndex(w.compare_tab)
    assert view.chosen() == ["rnn", "lstm", "gru", "transformer"]
    view.steps.setValue(30)
    view.run_button.click()
    qtbot.waitUntil(lambda: view.answer is not None and not view.answer["running"], timeout=60_000)
    rows = view.answer["rows"]
    assert [r.arch for r in rows] == ["rnn", "lstm", "gru", "transformer"]
    assert view.table.rowCount() == 4
    for i, r in enumerate(rows):
        assert r.steps == 30 and r.parameters > 0 and r.steps_per_s > 0 and np.isfinite(r.train_loss)
        assert view.table.item(i, 1).text() == f"{r.parameters:,}"
        assert view.table.item(i, 2).text() == "30"
    # overlaid curves, one per architecture, 30 points each (one seed for text: no band)
    assert view.seeds.value() == 1 and len(view.loss_bands) == 4
    assert all(len(b.line.getData()[0]) == 30 and not b.fill.isVisible() for b in view.loss_bands.values())
    assert view.legend.entries[0] == "vanilla RNN (1 seed)" and "±" not in view.table.item(0, 3).text()
    assert all(c.getData()[0] is not None and len(c.getData()[0]) == 24 for c in view.gtt_curves.values())
    # the same batches: the first step's loss differs only by the models, and the main model waited
    assert main_trainer.steps == 2 and w.session.steps == 2
    # continue with the GRU in the main view
    view.table.selectRow(2)
    assert view.adopt_button.isEnabled()
    view.adopt_button.click()
    qtbot.waitUntil(lambda: w.config.model.arch == "gru" and w.session.steps == 30, timeout=10_000)
    assert w.tabs.currentIndex() == w.training_tab
    assert w.model_panel.config().arch == "gru"
    assert w.worker_thread.worker.trainer.steps == 30
    w.step(1)
    qtbot.waitUntil(lambda: w.session.steps == 31, timeout=10_000)


def test_compare_needs_two_to_four(qtbot, open_window):
    w = open_window(config("lstm", "text"))
    view = w.compare_view
    for arch, box in view.checks.items():
        box.setChecked(arch == "lstm")
    assert not view.run_button.isEnabled()
    assert "two to four" in view.status.text()


# -- the encoder-decoder beside the language model -------------------------------------------------


def test_encoder_decoder_trains_in_the_worker_and_answers_beside_the_language_model(qtbot, open_window):
    w = open_window(config("lstm", "knock-knock"))
    press_step(qtbot, w, 5)
    panel = w.prediction_panel
    compare = panel.dialog_compare
    assert compare.in_use() == "lm" and not compare.is_ready()
    compare.train_requested.emit(20)
    qtbot.waitUntil(lambda: compare.is_ready(), timeout=60_000)
    assert w.worker_thread.worker.engine.seq2seq is not None and w.worker_thread.worker.engine.seq2seq.steps == 20
    assert w.worker_thread.worker.trainer.steps == 5  # the main model waited
    compare.set_in_use("seq2seq")
    panel.chat_edit.setText("Knock, knock!")
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
        panel.send_button.click()
    answer = blocker.args[0].result
    assert isinstance(answer, m.ReplyAnswer) and answer.request.model == "seq2seq"
    assert answer.reply == answer.s2s_reply and isinstance(answer.lm_reply, str)
    qtbot.waitUntil(lambda: len(compare.rows()) == 1, timeout=5_000)
    turn, lm, s2s = compare.rows()[0]
    assert turn == "Knock, knock!" and lm == answer.lm_reply and s2s == answer.s2s_reply
    # a new model: the encoder-decoder must be trained again for its dialogs
    w.reset()
    qtbot.waitUntil(lambda: bool(w.summary), timeout=10_000)
    assert not compare.is_ready() and compare.in_use() == "lm"


# -- example models ---------------------------------------------------------------------------------


def test_every_example_opens_from_the_menu_and_predicts(qtbot, open_window):
    from playground.core.examples import list_examples

    w = open_window(config("rnn", "text"))
    w.files.fill_examples(w.examples_menu)
    actions = [a for a in w.examples_menu.actions() if a.isEnabled()]
    examples = list_examples()
    assert len(actions) == len(examples) >= 6
    kinds = set()
    for action, example in zip(actions, examples, strict=True):
        assert action.text() == f"{example.title}: {example.description}"
        with qtbot.waitSignal(w.answered, check_params_cb=arrived("opened"), timeout=20_000):
            action.trigger()
        qtbot.waitUntil(lambda e=example: w.path == str(e.path), timeout=5_000)
        kind = w.config.data.kind
        kinds.add(kind)
        request = {
            "text": m.SampleText(prompt="The ", length=40, temperature=0.7, top_k=0, k=5),
            "knock-knock": m.Reply("Knock, knock!"),
            "prices": m.Forecast(horizon=5),
        }[kind]
        with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
            w.prediction_panel.request.emit(request)
        answer = blocker.args[0].result
        assert not blocker.args[0].error, blocker.args[0].error
        if kind == "text":
            assert isinstance(answer, m.SampleAnswer)
            assert len(answer.text) >= 40 and len(answer.next) == 5
        elif kind == "knock-knock":
            assert isinstance(answer, m.ReplyAnswer) and answer.reply == "Who's there?"
        else:
            assert isinstance(answer, m.ForecastAnswer) and answer.forecast is not None
            assert len(answer.forecast) == 5 and np.isfinite(answer.forecast).all()
            assert answer.mae < answer.baseline_mae
        assert w.session.steps == w.summary["steps"] > 0  # the loss history came with it
    assert kinds == {"text", "knock-knock", "prices"}
