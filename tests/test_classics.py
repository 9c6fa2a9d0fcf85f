"""The classics (issue 31): the adding problem and temporal order (Hochreiter & Schmidhuber 1997) and
copy memory (Arjovsky et al. 2016), each generator checked against its definition, the adding
problem's pass criterion on hand-made answers, and the command line's figures."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
import torch

from playground.core.config import DataConfig
from playground.core.data import build_task
from playground.core.data.adding import BASELINE_MSE, AddingTask, make_sequences, pass_figures
from playground.core.data.copy_memory import BLANK, DELIMITER, SYMBOLS, CopyTask, baseline_loss
from playground.core.data.preview import data_preview
from playground.core.data.temporal_order import CLASSES, TemporalOrderTask, windows
from playground.core.errors import PlaygroundError
from tests.cli_helpers import assert_error, cli_json

# -- adding ---------------------------------------------------------------------------------------


def _check_adding(x: np.ndarray, y: np.ndarray, length: int) -> None:
    n = x.shape[0]
    assert x.shape == (n, length, 2) and y.shape == (n, 1)
    values, markers = x[..., 0], x[..., 1]
    assert values.min() >= 0.0 and values.max() < 1.0
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()  # exactly two marks
    half = length // 2
    assert markers[:, half:].sum() == 0  # both in the first half: at least T/2 steps of noise after them
    first = markers.argmax(axis=1)
    assert first.max() < min(10, half)  # the first mark: one of the first ten pairs
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), rtol=1e-6)


@pytest.mark.parametrize("length", [4, 20, 50, 101])
def test_adding_sequences_follow_the_rule(length):
    task = AddingTask(length, seed=3)
    _check_adding(task.val_x, task.val_y, length)
    x, y = task.sample_batch(512, 0, torch.Generator().manual_seed(1), "cpu")
    _check_adding(x.numpy(), y.numpy(), length)
    assert task.val_x.shape[0] == 2560


def test_adding_marks_cover_their_range_and_the_baseline_is_the_variance():
    x, y = make_sequences(100, np.random.default_rng(0), 20_000)
    marked = np.argwhere(x[..., 1] == 1)[:, 1].reshape(-1, 2)
    first = marked.min(axis=1)
    assert set(np.unique(first)) == set(range(10))
    assert marked.max() == 49  # the second can be anywhere in the first half
    # answering the mean (1.0): the variance of a sum of two uniforms, 1/6
    assert pytest.approx(1 / 6) == BASELINE_MSE
    assert float(np.mean((y - 1.0) ** 2)) == pytest.approx(1 / 6, abs=0.005)


def test_the_pass_criterion_is_the_papers():
    targets = np.linspace(0, 2, 2560)
    exact = pass_figures(targets, targets)
    assert exact == {"wrong": 0, "solved_fraction": 1.0, "solved": True, "mse": 0.0}
    one = targets.copy()
    one[7] += 0.05  # one answer off by more than 0.04
    assert pass_figures(one, targets)["wrong"] == 1
    assert pass_figures(one, targets)["solved"] is True
    two = one.copy()
    two[100] -= 0.041
    found = pass_figures(two, targets)
    assert found["wrong"] == 2 and found["solved"] is False
    assert found["solved_fraction"] == pytest.approx(2558 / 2560)
    edge = targets.copy()
    edge[:100] += 0.039  # within 0.04: right
    assert pass_figures(edge, targets)["wrong"] == 0
    nan = targets.copy()
    nan[0] = float("nan")
    assert pass_figures(nan, targets)["wrong"] == 1


def test_adding_evaluate_reads_the_held_out_set():
    task = AddingTask(20, seed=0)
    perfect = task.evaluate(lambda xb: (xb[..., 0] * xb[..., 1]).sum(dim=1, keepdim=True))
    assert perfect["solved"] and perfect["wrong"] == 0 and perfect["mse"] < 1e-10
    mean = task.evaluate(lambda xb: torch.ones(xb.shape[0], 1))
    assert not mean["solved"] and mean["mse"] == pytest.approx(1 / 6, abs=0.01)
    assert 0.06 < mean["solved_fraction"] < 0.095  # 7.8% of sums lie within 0.04 of 1 (2 x 0.04 x 0.98), 3 sigma


# -- temporal order ---------------------------------------------------------------------------------


def test_temporal_order_sequences_follow_the_rule():
    task = TemporalOrderTask(100, seed=2)
    (lo, hi), (a1, b1), (a2, b2) = windows(100)
    assert (lo, hi, a1, b1, a2, b2) == (100, 110, 10, 20, 50, 60)
    lengths, t1s, t2s = set(), set(), set()
    for ids, cls in zip(task.val_x, task.val_y):
        tokens = [task.vocab[i] for i in ids]
        body = [t for t in tokens if t != "·"]
        assert tokens[len(tokens) - len(body) :] == body  # padding on the left only
        lengths.add(len(body))
        assert body[0] == "E" and body[-1] == "B"
        relevant = [(i, t) for i, t in enumerate(body) if t in "XY"]
        assert len(relevant) == 2
        (t1, s1), (t2, s2) = relevant
        t1s.add(t1)
        t2s.add(t2)
        assert a1 <= t1 <= b1 and a2 <= t2 <= b2
        assert CLASSES[cls] == s1 + s2
        assert set(body[1:-1]) - {"X", "Y"} <= set("abcd")
    assert lengths == set(range(100, 111)) and t1s == set(range(10, 21)) and t2s == set(range(50, 61))
    counts = np.bincount(task.val_y, minlength=4)
    assert counts.min() > 500  # the four classes about equally often
    assert task.chance == 0.25 and task.loss_reference[0] == pytest.approx(math.log(4))
    assert task.answer_for(task.tokenize("E a Y b X c B")) == "YX"


def test_temporal_order_training_batches_follow_the_seed():
    task = TemporalOrderTask(40, seed=0)
    x1, y1 = task.sample_batch(64, 0, torch.Generator().manual_seed(5), "cpu")
    x2, y2 = task.sample_batch(64, 0, torch.Generator().manual_seed(5), "cpu")
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.shape == (64, 44)


# -- copy -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [4, 30, 100])
def test_copy_layout_is_the_papers(delay):
    task = CopyTask(delay, seed=1)
    blank, delim = task.vocab.index(BLANK), task.vocab.index(DELIMITER)
    x_train, y_train = task.sample_batch(256, 0, torch.Generator().manual_seed(0), "cpu")
    for x, y in ((task.val_x, task.val_y), (x_train.numpy(), y_train.numpy())):
        assert x.shape[1] == delay + 20 and y.shape == x.shape
        symbols = x[:, :10]
        assert symbols.max() < len(SYMBOLS)  # ten symbols from the eight
        assert (x[:, 10 : 10 + delay - 1] == blank).all()  # T - 1 blanks
        assert (x[:, 10 + delay - 1] == delim).all()  # the delimiter
        assert (x[:, 10 + delay :] == blank).all()  # ten blanks
        assert (y[:, : delay + 10] == blank).all()  # T + 10 blanks out
        assert (y[:, -10:] == symbols).all()  # then the copy
    assert task.loss_reference[0] == pytest.approx(10 * math.log(8) / (delay + 20)) == baseline_loss(delay)


def test_copy_scores_the_copied_symbols():
    task = CopyTask(10, seed=0)

    def perfect(xb: torch.Tensor) -> torch.Tensor:
        out = torch.full((xb.shape[0], xb.shape[1], len(task.vocab)), -10.0)
        out[:, :, task.vocab.index(BLANK)] = 10.0
        out[:, -10:, :] = -10.0
        out[:, -10:].scatter_(2, xb[:, :10, None], 10.0)
        return out

    assert task.evaluate(perfect)["accuracy"] == 1.0
    forgetful = task.evaluate(lambda xb: torch.zeros(xb.shape[0], xb.shape[1], len(task.vocab)))
    assert forgetful["accuracy"] == pytest.approx(1 / 8, abs=0.01)  # argmax 0: symbol "1", one in eight
    ids = task.encode("3 1 4 1 5 2 6 5 3 5")
    assert len(ids) == 30 and task.decode(ids[:10]).replace(" ", "") == "3141526535"
    with pytest.raises(PlaygroundError, match="ten symbols from 1 to 8"):
        task.encode("1 2 9")


# -- the registry, bounds and the command line -----------------------------------------------------


@pytest.mark.parametrize("kind", ["adding", "temporal-order", "copy"])
def test_the_length_is_bounded_and_reaches_the_task(kind):
    task = build_task(DataConfig(kind=kind, source="generator", span=12))
    assert task.state_dict()["length"] == 12
    preview = data_preview(task)
    assert preview.reference is not None and preview.examples
    for bad in (0, 3, 1001, 10**12):
        with pytest.raises(PlaygroundError, match="length T must be 4 to 1,000 steps"):
            DataConfig(kind=kind, span=bad).validate()


def test_train_reports_the_papers_measure(capsys):
    r = cli_json(capsys, "train", "--data", "adding", "--length", "12", "--steps", "3", "--batch-size", "8", "--quiet")
    assert r["sequences_seen"] == 24
    assert {"mse", "solved_fraction", "solved", "wrong", "baseline_mse"} <= set(r)
    assert r["solved"] is False and r["baseline_mse"] == pytest.approx(1 / 6)
    for kind in ("temporal-order", "copy"):
        r = cli_json(capsys, "train", "--data", kind, "--length", "8", "--steps", "2", "--batch-size", "4", "--quiet")
        assert 0.0 <= r["accuracy"] <= 1.0 and r["sequences_seen"] == 8


@pytest.mark.parametrize("value", ["0", "1001", "99999999999999999999"])
def test_a_bad_length_is_one_line(capsys, value):
    assert_error(capsys, "train", "--data", "adding", "--length", value, "--steps", "1", words=("--length", "4 to 1,000"))


def test_irnn_is_a_relu_rnn_with_identity_recurrence(capsys):
    from playground.cli import _session_from_args
    from playground.cli_args import build_parser
    from playground.core.config import arch_shorthand
    from playground.core.train.trainer import Trainer

    a = build_parser().parse_args(["train", "--data", "adding", "--length", "10", "--arch", "irnn", "--hidden", "8"])
    session = _session_from_args(a)
    assert (session.model.arch, session.model.activation, session.model.init) == ("rnn", "relu", "identity")
    core = Trainer(session).model.core
    assert torch.equal(core.weight_hh_l0.detach(), torch.eye(8)) and float(core.bias_hh_l0.detach().abs().sum()) == 0
    with pytest.raises(PlaygroundError, match="--arch irnn sets the init to identity"):
        arch_shorthand("irnn", "tanh", "xavier")
    assert_error(capsys, "train", "--arch", "lstn", "--steps", "1", words=("unknown architecture", "irnn"))


# -- the window -------------------------------------------------------------------------------------


def test_the_loss_plot_draws_the_baseline_dashed_and_names_it(qtbot):
    from PySide6.QtCore import Qt

    from playground.ui.plots import LossPlot
    from playground.ui.session import Session

    plot = LossPlot(Session())
    qtbot.addWidget(plot)
    preview = data_preview(AddingTask(10))
    plot.set_reference(preview.reference)
    assert plot.reference_line.isVisible() and plot.reference_line.value() == pytest.approx(1 / 6)
    assert plot.reference_line.pen.style() == Qt.PenStyle.DashLine
    assert [label.text for _, label in plot.legend.items][-1] == "predict the mean: 0.167"
    plot.log_checkbox.setChecked(True)
    assert plot.reference_line.value() == pytest.approx(math.log10(1 / 6))
    plot.set_reference(None)  # another kind: no line, no legend entry
    assert not plot.reference_line.isVisible()
    assert [label.text for _, label in plot.legend.items] == ["training loss", "validation loss"]


def test_the_data_panel_sets_the_length(qtbot):
    from playground.ui.panels.data_panel import DataPanel

    panel = DataPanel(DataConfig(kind="adding", source="generator", span=30))
    qtbot.addWidget(panel)
    form = panel._form
    assert form.isRowVisible(panel.span_spin) and not form.isRowVisible(panel.gap_row)
    assert panel.span_spin.value() == 30
    panel.span_spin.setValue(64)
    assert panel._from_controls().span == 64
    panel.set_config(DataConfig(kind="memory", source="generator"))
    assert not form.isRowVisible(panel.span_spin)


def test_the_predict_panel_shows_the_copy_beside_the_symbols_read(qtbot, open_window):
    """The copy task in the window (lesson 19's preset, T = 20): the example in the Predict panel is answered
    with the ten symbols the model writes back, at the steps it writes them (T + 10 to T + 19), each beside
    the symbol it read; not with the spelling page's words ("only step 0 had an input")."""
    from playground.app import messages as m
    from playground.core.presets import PRESETS

    session = PRESETS["copy"][1]
    w = open_window(dataclasses.replace(session, data=dataclasses.replace(session.data, span=20)))
    page = w.prediction_panel.classify_page
    example = page.classify_edit.placeholderText()
    assert example == "3 1 4 1 5 2 6 5 3 5" and "copy at the last ten steps" in page.classify_edit.toolTip()
    page.classify_edit.setText(example)
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=20_000) as got:
        page.classify_button.click()
    answer = got.args[0]
    assert answer.error == "" and answer.result.rule == "3141526535" and answer.result.first_step == 30
    assert len(answer.result.written) == len(answer.result.steps) == 10
    shown, table = page.classify_result.text(), page.class_list.toPlainText()
    right = sum(a == b for a, b in zip(answer.result.written, "3141526535", strict=True))
    assert "Model copies:" in shown and f"{right} of 10 symbols right" in shown, shown
    assert re.findall(r"^step (\d+)$", table, re.M) == [str(t) for t in range(30, 40)], table
    assert "delimiter ':' at step 29" in table and "only step 0" not in table.lower()
    assert len(re.findall(r"^[\u2713\u2717] read [1-8]$", table, re.M)) == 10
    assert table.count("\u2713") == right and table.count("\u2717") == 10 - right


def test_the_copy_page_counts_and_marks_each_symbol(qtbot):
    """The copy page on its own, with an answer whose one symbol is wrong: nine right, one ✗ at its step."""
    from playground.app import messages as m
    from playground.ui.panels.predict_classify import ClassifyPage

    page = ClassifyPage()
    qtbot.addWidget(page)
    steps = tuple((ch, 0.9) for ch in "3141526538")
    page.show_written(m.WrittenAnswer(m.Classify("3 1 4 1 5 2 6 5 3 5"), "3141526538", steps, "3141526535", 110))
    shown, table = page.classify_result.text(), page.class_list.toPlainText()
    assert "9 of 10 symbols right" in shown and "wrong" in shown and "3141526535" in shown
    assert table.count("\u2713") == 9 and "\u2717 read 5" in table and "step 119" in table


def test_an_adding_question_is_read_as_typed_and_answered_by_its_rule():
    """The adding problem's typed question: values with the two marked ones starred, read as the model's
    (value, marker) pairs; the rule's answer is the sum of the two starred values as typed."""
    task = AddingTask(30)
    x = task.encode("0.2 0.7* 0.1, 0.4* 0.9 0.3")
    assert x.shape == (6, 2) and x.dtype == np.float32
    assert x[:, 1].tolist() == [0, 1, 0, 1, 0, 0] and x[:, 0] == pytest.approx([0.2, 0.7, 0.1, 0.4, 0.9, 0.3])
    assert task.answer_for(task.tokenize("0.2 0.7* 0.1 0.4* 0.9 0.3")) == pytest.approx(1.1, abs=1e-12)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("0.2 0.7 0.1 0.4", "exactly two values, got 0 starred"),
        ("0.2* 0.7* 0.1* 0.4", "exactly two values, got 3 starred"),
        ("0.2 0.7* x 0.4*", "'x' is not a value"),
        ("0.2 0.7* 1.5 0.4*", "'1.5' is outside [0, 1]"),
        ("nan 0.7* 0.1 0.4*", "'nan' is outside [0, 1]"),
        ("0.7* 0.4*", "4 to 1,000 values"),
        ("", "4 to 1,000 values"),
        (" ".join(["0.5"] * 999 + ["0.1*", "0.2*"]), "got 1,001"),
    ],
)
def test_a_bad_adding_question_is_one_line_naming_what_is_wrong(typed, words):
    with pytest.raises(PlaygroundError, match=re.escape(words)) as err:
        AddingTask(30).encode(typed)
    assert "\n" not in str(err.value)


def test_the_adding_example_question_has_the_sessions_length_and_marks_where_training_puts_them():
    from playground.core.data.demo_questions import demo_question

    for length in (4, 5, 7, 20, 30, 100, 1000):
        x = AddingTask(length).encode(demo_question("adding", length))
        marked = np.flatnonzero(x[:, 1])
        assert len(x) == length and len(marked) == 2
        assert marked.min() < min(10, length // 2) and marked.max() < length // 2  # the rule's windows
        assert x[marked, 0].sum() == pytest.approx(1.55)  # far from the mean answer, 1.0


def test_the_command_line_answers_an_adding_sequence_beside_its_rule(capsys, tmp_path):
    path = str(tmp_path / "adding.safetensors")
    cli_json(capsys, "train", "--data", "adding", "--length", "20", "--steps", "5", "--out", path)
    got = cli_json(capsys, "sample", path, "--prompt", "0.2 0.7* 0.1 0.4* 0.9 0.3")
    assert got["prompt"] == "0.2 0.7* 0.1 0.4* 0.9 0.3" and got["rule"] == pytest.approx(1.1)
    assert got["error"] == pytest.approx(abs(got["answer"] - 1.1))
    assert_error(capsys, "sample", path, "--prompt", "0.2 0.7 0.1 0.4", words=("exactly two values",))
    assert_error(capsys, "sample", path, words=("--prompt '0.2 0.7* 0.1 0.4* 0.9 0.3'",))


def test_the_predict_panel_answers_an_adding_sequence_beside_the_sum(qtbot, open_window):
    """Lesson 17's Predict panel showed an empty forecast chart and "it has no series to forecast": the
    adding problem now asks its own question, a sequence of the session's length, and shows the model's
    number beside the sum of the two starred values."""
    from playground.app import messages as m
    from playground.core.data.demo_questions import demo_question
    from playground.core.presets import PRESETS

    session = PRESETS["adding"][1]
    w = open_window(dataclasses.replace(session, data=dataclasses.replace(session.data, span=30)))
    panel = w.prediction_panel
    assert panel.pages.currentWidget() is panel.classify_page
    page = panel.classify_page
    assert page.classify_edit.placeholderText() == demo_question("adding", 30) and "starred" in page.classify_hint.text()
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=20_000) as got:
        w.ask_demo_question()
    answer = got.args[0]
    assert answer.error == "" and isinstance(answer.result, m.NumberAnswer), answer
    rule = answer.result.rule
    assert rule == pytest.approx(1.55) and answer.result.length == answer.result.trained_length == 30
    shown = page.classify_result.text()
    assert f"{answer.result.value:.3f}" in shown and f"add up to <b>{rule:.3f}</b>" in shown
    off = abs(answer.result.value - rule)
    assert ("right" in shown) == (off <= 0.04) and f"off by {off:.3f}" in shown
    assert "30 values, as the 30 the model trained on" in page.class_list.toPlainText()
    assert "The starred values: 0.81 at step 2 and 0.74 at step 10." in page.class_list.toPlainText()
    assert page.classify_edit.cursorPosition() == 0  # the start of the sequence, where the marks are, in view
    # another length: said so; a bad sequence: the reason, in the panel
    page.classify_edit.setText("0.2 0.7* 0.1 0.4* 0.9 0.3")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=20_000):
        page.classify_button.click()
    assert "6 values; the model trained on 30" in page.class_list.toPlainText()
    page.classify_edit.setText("0.2 0.7 0.1 0.4")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=20_000):
        page.classify_button.click()
    assert "exactly two values" in panel.error_text()


def test_the_scrubber_looks_inside_a_typed_adding_sequence(qtbot, open_window):
    """The adding problem's scrubber read only the first held-out sequence ("it takes no typed text"); it now
    reads a typed one, the two starred values marked on its time axis, and a bad one is refused in words."""
    from playground.core.presets import PRESETS

    session = PRESETS["adding"][1]
    w = open_window(dataclasses.replace(session, data=dataclasses.replace(session.data, span=20)))
    w.tabs.setCurrentIndex(w.scrubber_tab)
    qtbot.waitUntil(lambda: w.scrubber.answer is not None, timeout=10_000)
    assert len(w.scrubber.answer["labels"]) == 20  # the first held-out sequence, before anything is typed
    w.scrubber.text_edit.setText("0.2 0.7* 0.1 0.4* 0.9 0.3")
    w.scrubber.inspect_button.click()
    qtbot.waitUntil(
        lambda: w.scrubber.answer is not None and w.scrubber.answer["text"] == "0.2 0.7* 0.1 0.4* 0.9 0.3",
        timeout=10_000,
    )
    a = w.scrubber.answer
    assert not a.get("error"), a.get("error")
    assert list(a["labels"]) == ["0.20", "0.70*", "0.10", "0.40*", "0.90", "0.30"]
    assert a["probe"].hidden.shape[1] == 6 and a["probe"].target_value == pytest.approx(1.1)
    said = float(np.ravel(a["probe"].predicted)[0])
    shown = w.scrubber.topk_label.text()
    assert "its answer after the last step" in shown and f"{said:.3f}" in shown and "add up to 1.100" in shown
    assert "normalised" not in shown and "forecast" not in w.scrubber.connect_label.text()
    assert "moved the answer after the last step" in w.scrubber.connect_label.text()
    w.scrubber.text_edit.setText("0.2 0.7 0.1 0.4")
    w.scrubber.inspect_button.click()
    qtbot.waitUntil(lambda: "exactly two values" in w.scrubber.connect_label.text(), timeout=10_000)
    assert w.scrubber.answer is a  # the sequence before it stays on screen


# -- the frontier ------------------------------------------------------------------------------------


def test_the_frontier_verdict_is_the_papers():
    from playground.core.train.frontier import solved

    assert solved({"solved": True}) and not solved({"solved": False})
    assert solved({"accuracy": 2559 / 2560}) and not solved({"accuracy": 2558 / 2560})
    assert not solved({"accuracy": 1.0, "sequences_right": 2558 / 2560})  # copy: whole sequences


def test_the_frontier_prints_a_cell_a_line_as_each_finishes(capsys):
    import json

    from tests.cli_helpers import cli

    code, out, err = cli(
        capsys, "frontier", "--data", "adding", "--lengths", "4,6", "--arch", "rnn,irnn", "--seeds", "2",
        "--steps", "4", "--check-every", "2", "--hidden", "4", "--batch-size", "4", "--json",
    )
    assert code == 0, err
    cells = [json.loads(line) for line in out.splitlines()]
    assert [(c["arch"], c["length"]) for c in cells] == [("rnn", 4), ("irnn", 4), ("rnn", 6), ("irnn", 6)]
    for c in cells:
        assert c["seeds"] == 2 and 0 <= c["solved_seeds"] <= 2
        assert len(c["sequences_seen"]) == 2
        # a seed that did not solve saw all its steps x batch; one that solved, a multiple of the check
        for seen, at in zip(c["sequences_seen"], c["solved_at"]):
            assert seen == 16 if at is None else (at == seen and seen % 8 == 0)
    code, out, _ = cli(capsys, "frontier", "--lengths", "4", "--arch", "gru", "--seeds", "1", "--steps", "2", "--hidden", "4")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("frontier on adding: T = 4; gru; 1 seeds")
    assert lines[1].split() == ["arch", "T", "solved", "median", "seq.", "seq.", "at", "most"]
    assert lines[2].split() == ["gru", "4", "0/1", "-", "64"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--lengths", "0"), ("length T must be 4 to 1,000",)),
        (("--lengths", "10,x"), ("--lengths takes whole numbers",)),
        (("--arch", "lstm,foo"), ("unknown architecture 'foo'",)),
        (("--data", "text"), ("the frontier runs over the length T",)),
        (("--seeds", "0"), ("--seeds", "1 to 100")),
    ],
)
def test_the_frontier_refuses_bad_grids_in_one_line(capsys, args, words):
    prefix = "rnn-playground frontier: error:" if args[0] == "--seeds" else "rnn-playground: error:"  # argparse's
    assert_error(capsys, "frontier", *args, "--steps", "1", words=words, prefix=prefix)


def test_the_compare_tab_fills_the_frontier_grid_while_it_runs(qtbot, open_window):
    from playground.app import messages as m
    from playground.core.config import ModelConfig, SessionConfig, TrainConfig

    config = SessionConfig(
        model=ModelConfig(arch="lstm", hidden=4),
        data=DataConfig(kind="adding", source="generator", span=6),
        train=TrainConfig(batch_size=4, val_every=0),
    )
    w = open_window(config)
    w.tabs.setCurrentIndex(w.compare_tab)
    panel = w.compare_view.frontier
    assert panel.isVisible()
    seen: list[m.FrontierProgress] = []
    original = panel.show_progress

    def spy(answer):
        seen.append(answer)
        original(answer)

    panel.show_progress = spy
    panel.lengths_edit.setText("4, 5")
    panel.seeds_spin.setValue(2)
    panel.steps_spin.setValue(3)
    panel.run_button.click()
    assert panel.running and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: bool(seen) and not seen[-1].running and len(seen[-1].cells) == 8, timeout=60_000)
    # the grid filled in as the cells finished: one answer at least per cell, the cell count growing
    counts = [len(a.cells) for a in seen]
    assert counts == sorted(counts) and set(range(1, 9)) <= set(counts)
    assert any(a.current is not None for a in seen)
    assert panel.grid.rowCount() == 4 and panel.grid.columnCount() == 2
    assert [panel.grid.verticalHeaderItem(r).text() for r in range(4)] == ["rnn", "lstm", "gru", "irnn"]
    assert panel.grid.horizontalHeaderItem(1).text() == "T = 5"
    for cell in seen[-1].cells:
        assert (cell["seeds"] == 2 and cell["sequences_seen"] == [12, 12]) or cell["solved_seeds"] > 0
        r, c = ["rnn", "lstm", "gru", "irnn"].index(cell["arch"]), [4, 5].index(cell["length"])
        assert panel.grid.item(r, c).text().startswith(f"{cell['solved_seeds']}/2")
    assert panel.note.text() == "8 of 8 cells" and panel.run_button.isEnabled()
    panel.lengths_edit.setText("4, 2000")
    panel.run_button.click()
    assert "4 to 1,000" in panel.note.text() and not panel.running


def test_a_frontier_cell_reads_as_seeds_and_sequences():
    from playground.ui.frontier_view import cell_text, parse_lengths

    assert cell_text({"solved_seeds": 2, "seeds": 3, "solved_at": [104000, None, 88000]}) == "2/3 · 104k"
    assert cell_text({"solved_seeds": 0, "seeds": 3, "solved_at": [None] * 3}) == "0/3"
    assert parse_lengths("10, 20;50, 20") == (10, 20, 50)
    with pytest.raises(ValueError, match="4 to 1,000"):
        parse_lengths("3")


def test_a_classic_model_file_reopens(tmp_path):
    from playground.core.config import ModelConfig, SessionConfig, TrainConfig
    from playground.core.train import checkpoint
    from playground.core.train.trainer import Trainer

    for kind in ("adding", "temporal-order", "copy"):
        session = SessionConfig(
            model=ModelConfig(arch="gru", hidden=4, embed=4),
            data=DataConfig(kind=kind, source="generator", span=6),
            train=TrainConfig(batch_size=4, val_every=0, device="cpu"),
        )
        tr = Trainer(session)
        tr.step()
        path = checkpoint.save(tr, tmp_path / kind)
        back = checkpoint.load(path, device="cpu")
        assert back.task.kind == kind and back.session.data.span == 6 and back.steps == 1


def test_a_frontier_waits_for_a_comparison_and_says_so(qtbot, open_window):
    from playground.core.config import ModelConfig, SessionConfig, TrainConfig

    w = open_window(SessionConfig(
        model=ModelConfig(arch="gru", hidden=4),
        data=DataConfig(kind="adding", source="generator", span=6),
        train=TrainConfig(batch_size=4, val_every=0),
    ))
    w.tabs.setCurrentIndex(w.compare_tab)
    view = w.compare_view
    view.steps.setValue(100_000)
    view.run_button.click()
    qtbot.waitUntil(lambda: view.answer is not None and view.answer["running"], timeout=20_000)
    view.frontier.lengths_edit.setText("4")
    view.frontier.run_button.click()
    qtbot.waitUntil(lambda: "waits: the comparison is running" in view.frontier.note.text(), timeout=20_000)
    assert view.frontier.run_button.isEnabled() and not view.frontier.running
    view.run_button.click()  # while a comparison runs, its Run button stops it
    qtbot.waitUntil(lambda: not view.answer["running"], timeout=20_000)


def test_a_finished_frontier_cell_opens_its_run_in_the_window(qtbot, open_window):
    from playground.app import messages as m
    from playground.core.config import ModelConfig, SessionConfig, TrainConfig
    from tests.window_helpers import answer_is, arrived

    w = open_window(SessionConfig(
        model=ModelConfig(arch="gru", hidden=4),
        data=DataConfig(kind="adding", source="generator", span=6),
        train=TrainConfig(batch_size=4, val_every=0),
    ))
    w.tabs.setCurrentIndex(w.compare_tab)
    panel = w.compare_view.frontier
    assert not panel.open_button.isEnabled()  # nothing finished yet
    panel.lengths_edit.setText("4, 5")
    panel.seeds_spin.setValue(2)
    panel.steps_spin.setValue(3)
    panel.run_button.click()
    qtbot.waitUntil(lambda: not panel.running and panel.answer is not None and len(panel.answer.cells) == 8, timeout=60_000)
    cell = next(c for c in panel.answer.cells if c["arch"] == "lstm" and c["length"] == 5)
    # the run it keeps: the first seed that solved, else the first seed (none solves in 3 steps of 4)
    seed = next((s for s, at in enumerate(cell["solved_at"]) if at is not None), 0)
    assert cell["opens_seed"] == seed
    assert f"opens seed {seed}'s run" in panel.grid.item(1, 1).toolTip()
    panel.grid.setCurrentCell(1, 1)  # lstm, T = 5
    assert panel.open_button.isEnabled()
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("frontier"), timeout=20_000) as got:
        panel.grid.cellActivated.emit(1, 1)  # a double-click, or Enter
    summary = got.args[0].summary
    # the window's model is that run: its settings, its steps and its loss curve
    assert w.config.model.arch == "lstm" and w.config.model.hidden == 4 and w.config.data.span == 5
    assert w.config.train.seed == seed and w.config.data.seed == seed
    steps = cell["sequences_seen"][seed] // 4
    _, y = w.session.loss.view()
    assert summary["steps"] == steps and w.session.steps == steps and len(y) == steps  # its loss curve
    assert np.isfinite(y).all()
    assert w.tabs.currentIndex() == w.training_tab
    assert f"Opened the frontier's run of lstm at T = 5, seed {seed}" in w.banner.text()
    # a cell opens once: the window has it now, and says so rather than asking the engine again
    assert "open in the window" in panel.grid.item(1, 1).toolTip() and not panel.open_button.isEnabled()
    panel.grid.cellActivated.emit(1, 1)
    assert "open in the window already" in panel.note.text()
    # the engine refuses a second opening too (a cell asked for by a stale window)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Failed), timeout=10_000) as failed:
        panel.ask_to_open(w, cell)
    assert "was opened already" in failed.args[0].message
    # another cell still opens: the GRU at T = 4, whose run is trained from its own seed
    panel.grid.setCurrentCell(2, 0)
    with qtbot.waitSignal(w.answered, check_params_cb=arrived("frontier"), timeout=20_000):
        panel.open_button.click()
    assert w.config.model.arch == "gru" and w.config.data.span == 4
    w.tabs.setCurrentIndex(w.compare_tab)
    panel.grid.setCurrentCell(0, 0)
    panel.answer = None  # (as before any frontier ran): no finished cell under the selection
    panel.open_button.click()
    assert "Only a finished cell" in panel.note.text()


def test_the_step_debugger_shows_an_adding_batch():
    """Step x N takes its last step in detail: an adding batch reads as its pairs (the marked values
    starred), the sums and the answers (it once fell through to the price path and failed)."""
    from playground.core.config import ModelConfig, SessionConfig, TrainConfig
    from playground.core.train.trainer import Trainer

    tr = Trainer(SessionConfig(
        model=ModelConfig(arch="lstm", hidden=4),
        data=DataConfig(kind="adding", source="generator", span=6),
        train=TrainConfig(batch_size=4, val_every=0, device="cpu"),
    ))
    d = tr.step(detail=True).detail
    assert len(d.inputs) == len(d.targets) == len(d.predictions) == 4
    for row, target, answer in zip(d.inputs, d.targets, d.predictions):
        assert len(row) == 6 and sum(v.endswith("*") for v in row) == 2  # two marked pairs
        marked = sum(float(v[:-1]) for v in row if v.endswith("*"))
        assert float(target[0]) == pytest.approx(marked, abs=0.011)  # the sum of the two (shown rounded)
        assert len(answer) == 1 and math.isfinite(float(answer[0]))


def test_lesson_17_is_checked_by_its_measured_share_and_says_when_its_try_this_is_the_contrast():
    """The built-in card's check is its file's quantity (no built-in check by that id): an untrained
    LSTM is "not solved yet" with no excuse, the tanh RNN of its Try this is told it is the contrast."""
    import dataclasses

    from playground.core.lessons import LessonContext, check, lesson, setup_of
    from playground.core.lessons.predictions import PREDICTIONS
    from playground.core.train.trainer import Trainer

    card = lesson("adding")
    assert card.builtin and card.check.quantity == "solved_fraction" and card.steps == 6000
    session = setup_of(card)
    assert session.data.span == 30 and session.model.arch == "lstm"
    lstm = check("adding", LessonContext(Trainer(dataclasses.replace(session, train=dataclasses.replace(session.train, device="cpu")))))
    assert not lstm.passed and lstm.differs == "" and lstm.text.startswith("The share of the 2,560 held-out sums")
    assert 0.0 <= lstm.numbers["solved_fraction"] < 0.5
    rnn_session = dataclasses.replace(
        session, model=dataclasses.replace(session.model, arch="rnn"), train=dataclasses.replace(session.train, device="cpu")
    )
    rnn = check("adding", LessonContext(Trainer(rnn_session)))
    assert not rnn.passed and rnn.differs.startswith("This is a vanilla RNN, not the card's LSTM")
    # the card's question, from its file: "yes" when the check holds
    assert PREDICTIONS["adding"].claim == ("yes",)


@pytest.mark.parametrize(
    ("lesson_id", "span", "steps", "quantity", "opening"),
    [
        ("temporal-order", 50, 2000, "solved_fraction", "The share of the 2,560 held-out sequences classified right"),
        ("copy", 20, 6000, "copied_share", "The share of the held-out copied symbols right"),
    ],
)
def test_lessons_18_and_19_set_up_their_length_and_an_untrained_model_is_not_yet(lesson_id, span, steps, quantity, opening):
    """The cards' own set-up (their T, their steps) and their measured check: an untrained LSTM is
    near chance (temporal order: 1/4; copy: 1/8 of the symbols) and not passed."""
    import dataclasses

    from playground.core.lessons import LessonContext, check, lesson, setup_of
    from playground.core.train.trainer import Trainer

    card = lesson(lesson_id)
    assert card.builtin and card.check.quantity == quantity and card.steps == steps and card.question is not None
    session = setup_of(card)
    assert session.data.kind == lesson_id and session.data.span == span and session.model.arch == "lstm"
    tr = Trainer(dataclasses.replace(session, train=dataclasses.replace(session.train, device="cpu")))
    found = check(lesson_id, LessonContext(tr))
    assert not found.passed and found.text.startswith(opening)
    chance = 0.25 if lesson_id == "temporal-order" else 0.125
    assert abs(found.numbers[quantity] - chance) < 0.05, found.text


def test_copied_share_refuses_data_that_is_not_copy_memory():
    from playground.core.errors import PlaygroundError
    from playground.core.lessons import LessonContext
    from playground.core.lessons.quantities import measure
    from playground.core.presets import PRESETS
    from playground.core.train.trainer import Trainer

    tr = Trainer(PRESETS["adding"][1], device="cpu")
    with pytest.raises(PlaygroundError, match="copy-memory data"):
        measure("copied_share", LessonContext(tr))
