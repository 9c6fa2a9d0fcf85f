"""The one-to-many lesson (data kind "spell"): one letter in, a whole word out, one letter per step.

The typed inputs below (upper case, spaces, blanks, two letters, letters no word starts with) were
written for these tests; the claims are checked over seeds in test_lesson_claims.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from cli_helpers import assert_error, cli

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data import build_task
from playground.core.data.spell import BLANK, END, WORDS, SpellTask
from playground.core.errors import PlaygroundError
from playground.core.train.trainer import Trainer


@pytest.fixture(scope="module")
def task() -> SpellTask:
    return build_task(DataConfig(kind="spell", source="generator"))


def _session(arch: str = "rnn", seed: int = 0, **model) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=32, embed=16, **model),
        data=DataConfig(kind="spell", source="generator"),
        train=TrainConfig(lr=3e-3, batch_size=32, val_every=0, seed=seed, device="cpu"),
    )


def _trained(steps: int, arch: str = "rnn", seed: int = 0, **model) -> Trainer:
    tr = Trainer(_session(arch, seed, **model))
    for _ in range(steps):
        tr.step()
    return tr


def test_one_input_then_blanks_and_the_word_as_target(task):
    gen = torch.Generator().manual_seed(0)
    x, y = task.sample_batch(64, 999, gen, "cpu")  # the sequence-length setting does not apply
    assert x.shape == y.shape == (64, task.length) == (64, max(map(len, WORDS)) + 1)
    blank, end = task.stoi[BLANK], task.stoi[END]
    assert (x[:, 1:] == blank).all()  # nothing after the first step
    for xi, yi in zip(x, y):
        word = WORDS[task.first_letters.index(task.vocab[int(xi[0])])]
        written = "".join(task.vocab[int(i)] for i in yi)
        assert written == word + END * (task.length - len(word))
    assert int((y == end).sum()) > 0
    # the same generator state gives the same batch
    again = task.sample_batch(64, 10, torch.Generator().manual_seed(0), "cpu")
    assert torch.equal(again[0], x) and torch.equal(again[1], y)


@pytest.mark.parametrize(("typed", "word"), [("g", "guitar"), ("G", "guitar"), ("  h ", "hummingbird"), (f"o {BLANK} {BLANK}", "owl")])
def test_typed_inputs_are_read_as_one_letter(task, typed, word):
    ids = task.encode(typed)
    assert ids[0] == task.stoi[word[0]] and (ids[1:] == task.stoi[BLANK]).all()
    assert task.answer_for(task.tokenize(typed)) == word


@pytest.mark.parametrize(
    ("typed", "words"),
    [("", ("one letter", "got nothing")), ("gh", ("2 characters",)), ("z", ("no word", "'z'")), ("7", ("'7'",))],
)
def test_anything_but_one_known_letter_is_refused_in_words(task, typed, words):
    with pytest.raises(PlaygroundError) as e:
        task.encode(typed)
    for w in words:
        assert w in str(e.value)
    assert "a, b, c" in str(e.value)  # it says what to type


def test_evaluate_counts_whole_words(task):
    _x, y = task.val_batches(64, 0, None, "cpu")[0]
    perfect = torch.nn.functional.one_hot(y, len(task.vocab)).float() * 10
    result = task.evaluate(lambda _: perfect)
    assert result["accuracy"] == 1.0 and result["written"] == list(WORDS)
    # a model that ignores the letter writes one word for all of them: at most one right
    one = perfect[6:7].expand_as(perfect)
    result = task.evaluate(lambda _: one)
    assert result["accuracy"] == pytest.approx(1 / len(WORDS)) == result["chance"]
    # one wrong letter makes a word wrong
    wrong = perfect.clone()
    wrong[0, 2] = wrong[0, 2].roll(1)  # another letter at step 2 of "anchor"
    assert task.evaluate(lambda _: wrong)["accuracy"] == pytest.approx(15 / 16)


def test_chance_loss_is_the_per_step_letter_entropy(task):
    h = task.unigram_entropy()
    assert 0 < h < np.log(len(task.vocab))
    # the last step is always the end mark: no uncertainty there, so the mean is below the first step's
    first = np.bincount(task.val_y[:, 0]).astype(float)
    assert h < np.log((first > 0).sum())


def test_a_vanilla_rnn_writes_every_word_and_a_short_window_cannot():
    """Seed 0 (the lesson's claim over five seeds is a `lessons` test): after 600 steps the RNN writes
    all 16 words; a feed-forward network with a window of 4 writes exactly the words of <= 4 letters."""
    rnn = _trained(600)
    ev = inference.evaluate(rnn.model, rnn.task)
    assert ev["accuracy"] == 1.0, ev["written"]
    mlp = _trained(300, arch="mlp", window=4)
    ev = inference.evaluate(mlp.model, mlp.task)
    right = {w for w, ok in zip(WORDS, ev["right"]) if ok}
    assert right == {w for w in WORDS if len(w) <= 4}, ev["written"]
    # each long word stops where its letter left the window
    assert all(written == word[:4] for written, word in zip(ev["written"], WORDS) if len(word) > 4), ev["written"]


def test_bidirectional_is_allowed_it_reads_no_future_answer():
    """The targets are not the next inputs (they are blanks): a bidirectional model cheats nothing."""
    tr = _trained(400, bidirectional=True)
    assert inference.evaluate(tr.model, tr.task)["accuracy"] >= 0.9
    with pytest.raises(PlaygroundError, match="next character"):  # while text is still refused
        Trainer(SessionConfig(model=ModelConfig(arch="rnn", bidirectional=True), data=DataConfig(kind="text")))


def test_write_gives_the_word_and_each_steps_letter():
    tr = _trained(600)
    word, steps = inference.write(tr.model, tr.task, "K")
    assert word == "kangaroo"
    assert [c for c, _ in steps] == [*list("kangaroo"), END]
    assert all(0.5 < p <= 1.0 for _, p in steps)
    memory = Trainer(SessionConfig(data=DataConfig(kind="memory", source="generator"), model=ModelConfig(hidden=8)))
    with pytest.raises(PlaygroundError, match="does not write"):
        inference.write(memory.model, memory.task, "A")


def test_the_command_line_trains_saves_and_writes(tmp_path, capsys):
    path = tmp_path / "spell.safetensors"
    code, out, err = cli(capsys, "train", "--data", "spell", "--arch", "rnn", "--hidden", "32", "--lr", "3e-3",
                         "--steps", "600", "--out", path, "--json")
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["accuracy"] == 1.0 and result["chance"] == pytest.approx(1 / 16)
    code, out, _ = cli(capsys, "sample", path, "--prompt", "L")
    assert (code, out.strip()) == (0, "lighthouse")
    code, out, _ = cli(capsys, "sample", path, "--prompt", "p", "--json")
    answer = json.loads(out)
    assert answer["written"] == "pineapple" and len(answer["steps"]) == len("pineapple") + 1
    code, out, _ = cli(capsys, "info", path)
    assert "spell (sixteen words from their first letters)" in out
    assert_error(capsys, "sample", path, "--prompt", "q", words=("no word", "'q'"))
    assert_error(capsys, "sample", path, words=("--prompt 'g'",))
    assert_error(capsys, "forecast", path, "--horizon", "3", words=("answers sequences",))


def test_the_window_writes_a_word_from_a_typed_letter(qtbot, open_window):
    """The lesson's preset in the real window: Step 600, type a letter in the Predict panel."""
    from playground.app import messages as m
    from playground.core.presets import PRESETS

    w = open_window(PRESETS["lesson-shapes"][1])
    assert w.prediction_panel.classify_edit.placeholderText() == "g"
    qtbot.waitUntil(lambda: "16 words" in w.data_panel.preview_box.summary_label.text(), timeout=10_000)
    w.step(600)
    qtbot.waitUntil(lambda: w.session.steps >= 600 and w.state.play == "paused", timeout=60_000)
    w.prediction_panel.classify_edit.setText("d")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=20_000) as got:
        w.prediction_panel.classify_button.click()
    assert got.args[0].result == m.WrittenAnswer(m.Classify("d"), "dragonfly", got.args[0].result.steps, "dragonfly")
    shown = w.prediction_panel.classify_page.classify_result.text()
    assert "dragonfly" in shown and "right" in shown
    assert "step 9" in w.prediction_panel.classify_page.class_list.toPlainText()
    # a letter no word starts with: the reason, in the panel
    w.prediction_panel.classify_edit.setText("z")
    with qtbot.waitSignal(w.answered, check_params_cb=lambda a: isinstance(a, m.Predicted), timeout=20_000) as got:
        w.prediction_panel.classify_button.click()
    assert "no word" in got.args[0].error


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_no_pathology_is_named_on_a_solved_one_to_many_task(arch):
    """A look-alike: after step 0 the inputs are blanks, yet nothing here vanished or exploded."""
    from playground.core.lessons.claims import _verdict

    tr = Trainer(_session(arch))
    norms = [tr.step().grad_norm for _ in range(600)]
    assert inference.evaluate(tr.model, tr.task)["accuracy"] >= 0.9
    assert _verdict(tr, norms)[0] == ""


def test_the_data_panel_shows_the_words_and_no_seed(qtbot):
    from playground.ui.panels.data_panel import DataPanel

    panel = DataPanel(DataConfig())
    qtbot.addWidget(panel)
    panel.show()
    combo = panel.kind_combo
    combo.setCurrentIndex(combo.findData("spell"))
    qtbot.waitUntil(lambda: "16 words" in panel.preview_box.summary_label.text(), timeout=10_000)
    rows = [panel.preview_box.dialog_list.item(i).text() for i in range(panel.preview_box.dialog_list.count())]
    assert len(rows) == 16 and rows[7].endswith("hummingbird")
    assert not panel.seed_spin.isVisibleTo(panel)  # the word list takes no seed
    combo.setCurrentIndex(combo.findData("memory"))
    qtbot.waitUntil(lambda: panel.seed_spin.isVisibleTo(panel), timeout=5_000)


def test_the_scrubber_names_what_a_one_to_many_model_writes_not_a_next_character():
    """At step t the spelling model (and the copy) writes the word's letter t: its top five are "written at
    t", where a language model's are its guess at the next character."""
    from playground.core.presets import PRESETS
    from playground.core.train.trainer import Trainer
    from playground.ui.scrubber import _topk_html

    for preset, writes in (("lesson-shapes", True), ("copy", True), ("text", False)):
        probe = Trainer(PRESETS[preset][1]).probe()
        assert probe.writes is writes, preset
        shown = _topk_html(probe, 3)
        assert ("<b>written at t = 3</b>" in shown) is writes and ("next character at t = 3" in shown) is not writes
