"""Find the neuron: tracks of a text, units ranked by how closely they follow one, sampling with
units clamped, the generated quotes kind and the command line (`neurons`, `sample --clamp`).

The ``lessons`` test trains the quotes kind and checks the claim: a small LSTM grows a unit that
follows "inside a quotation", and pinning that unit switches the style it writes in."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from cli_helpers import assert_error, cli, cli_json
from lesson_seeds import seeds

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data import build_task
from playground.core.data.quotes import VOCAB, generate
from playground.core.data.text import build_vocab_only_task
from playground.core.errors import PlaygroundError
from playground.core.inspect import clamp, neurons
from playground.core.kinds import kind_spec
from playground.core.model.cells import trace_recurrent
from playground.core.model.nets import SequenceModel
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer


def values(name: str, text: str) -> list[float]:
    return neurons.track(name, text).values.tolist()


# -- tracks -------------------------------------------------------------------------------------------
def test_the_quotes_track_is_one_from_the_opening_mark_to_just_before_the_closing_one():
    assert values("quotes", 'a "bc" d') == [0, 0, 1, 1, 1, 0, 0, 0]
    assert values("quotes", "x\u201cy\u201dz") == [0, 1, 1, 0, 0]  # curly marks open and close as they say
    assert values("quotes", '"ab') == [1, 1, 1]  # unclosed: to the end
    assert neurons.track("quotes", "a").binary


def test_the_brackets_track_is_the_depth_after_each_character():
    assert values("brackets", "a(b[c]d)e)") == [0, 1, 1, 2, 2, 1, 1, 0, 0, 0]  # a stray ")" is ignored
    assert values("brackets", "{(") == [1, 2]
    assert not neurons.track("brackets", "a").binary


def test_line_position_word_digit_vowel():
    assert values("line-position", "ab\ncd\n\ne") == [1, 2, 0, 1, 2, 0, 0, 1]
    assert not neurons.track("line-position", "a").binary
    assert values("word", "it's 4u!") == [1, 1, 1, 1, 0, 1, 1, 0]
    assert values("word", "don\u2019t") == [1, 1, 1, 1, 1]
    assert values("digit", "a1 \u0663x") == [0, 1, 0, 1, 0]  # any decimal digit, Arabic-Indic too
    assert values("vowel", "hEy \u00e9u") == [0, 1, 0, 0, 1, 1]  # an accented vowel counts, y does not
    assert all(neurons.track(t, "a").binary for t in ("word", "digit", "vowel"))


def test_the_regex_track_marks_the_characters_inside_matches():
    assert values("regex:b+", "abbcb") == [0, 1, 1, 0, 1]
    assert values("regex:x*", "ab") == [0, 0]  # empty matches mark nothing
    assert values("regex:[A-Z]+ [A-Z]", "aB Cd") == [0, 1, 1, 1, 0]
    assert neurons.track("regex:a", "a").binary


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("regex:(", ("bad regular expression '('", "position")),
        ("regex:", ("needs a pattern",)),
        ("sentiment", ("unknown track 'sentiment'", "quotes", "regex:PATTERN")),
    ],
)
def test_a_bad_track_is_a_one_line_error(name, words):
    with pytest.raises(PlaygroundError) as e:
        neurons.track(name, "abc")
    assert "\n" not in str(e.value)
    for word in words:
        assert word in str(e.value)


# -- ranking ------------------------------------------------------------------------------------------
CHARS = ["a", "b", "x", " ", '"']


def _planted() -> tuple[SequenceModel, object]:
    """A ReLU RNN without recurrence whose unit 2 is exactly 1 after an "x" and 0 otherwise; unit 3 never
    changes (all its weights zero); units 0 and 1 are random functions of the character."""
    torch.manual_seed(0)
    task = build_vocab_only_task(CHARS)
    model = SequenceModel(ModelConfig(arch="rnn", hidden=4, embed=5, activation="relu"), 5, 5, True, True)
    with torch.no_grad():
        model.embed.weight.copy_(torch.eye(5))
        model.core.weight_hh_l0.zero_()
        model.core.bias_ih_l0.zero_()
        model.core.bias_hh_l0.zero_()
        model.core.weight_ih_l0[2] = torch.eye(5)[CHARS.index("x")]
        model.core.weight_ih_l0[3] = 0.0
    return model.eval(), task


def test_ranking_finds_the_planted_unit_and_gives_a_flat_unit_zero():
    model, task = _planted()
    text = "".join(np.random.default_rng(0).choice(CHARS[:4], size=3000))
    ranking = neurons.rank_units(model, task, text, "regex:x", top=None, keep_activations=True)
    best = ranking.units[0]
    assert (best.layer, best.unit, best.kind, best.state) == (0, 2, "h", "h")
    assert best.correlation == pytest.approx(1.0) and best.accuracy == pytest.approx(1.0)
    assert np.array_equal(best.activations, neurons.track("regex:x", text).values.astype(np.float32))
    flat = next(u for u in ranking.units if u.unit == 3)
    assert flat.correlation == 0.0 and flat.accuracy < 1.0
    assert ranking.n_units == 4 and len(ranking.units) == 4 and ranking.characters == 3000
    assert [abs(u.correlation) for u in ranking.units] == sorted((abs(u.correlation) for u in ranking.units), reverse=True)
    assert best.as_dict() == {"layer": 0, "unit": 2, "state": "h", "correlation": best.correlation, "accuracy": 1.0}
    # a track that is not yes/no: no accuracy
    assert all(u.accuracy is None for u in neurons.rank_units(model, task, "a(b(x)x)" * 9, "brackets").units)


def test_the_best_threshold_accuracy_is_what_trying_every_threshold_gives():
    rng = np.random.default_rng(5)
    for _ in range(20):
        a = rng.integers(0, 6, size=40).astype(float)  # ties: a threshold falls between different values
        y = (rng.random(40) < 0.4).astype(float)
        best = 0.0
        for cut in [-np.inf, *np.unique(a)]:
            above = (a > cut).astype(float)
            best = max(best, (above == y).mean(), (above != y).mean())
        assert neurons._accuracy(a, y) == pytest.approx(best)


def test_characters_the_model_lacks_are_left_out_and_a_long_text_is_cut(monkeypatch):
    model, task = _planted()
    ranking = neurons.rank_units(model, task, "axZ\u00e9b" * 200, "regex:x", top=1)
    assert ranking.skipped == 400 and ranking.characters == 600 and not ranking.truncated
    assert ranking.units[0].unit == 2 and ranking.units[0].correlation == pytest.approx(1.0)
    monkeypatch.setattr(neurons, "MAX_CHARS", 100)
    cut = neurons.rank_units(model, task, "ax" * 500, "regex:x", top=2)
    assert cut.truncated and cut.characters == 100 and len(cut.units) == 2


@pytest.mark.parametrize(("arch", "layers", "bidirectional"), [("lstm", 2, False), ("gru", 2, False), ("lstm", 1, True)])
def test_activations_are_the_step_by_step_states_whatever_the_chunk(monkeypatch, arch, layers, bidirectional):
    """Every layer's h (and an LSTM's c, which torch keeps to itself) read a chunk at a time with the state
    carried equal cells.trace_recurrent's run over the whole text; a bidirectional model's both directions."""
    torch.manual_seed(1)
    cfg = ModelConfig(arch=arch, hidden=6, embed=4, layers=layers, bidirectional=bidirectional)
    model = SequenceModel(cfg, 5, 5, True, not bidirectional).eval()
    ids = np.random.default_rng(1).integers(5, size=900)
    monkeypatch.setattr(neurons, "CHUNK", 128)
    got = np.concatenate(list(neurons._activations(model, ids)))
    with torch.no_grad():
        trace = trace_recurrent(model.core, model.encode(torch.from_numpy(ids)[None]))
    want = []
    for layer in trace.layers:
        want.append(layer.output[0].numpy())
        if layer.c is not None:
            want.append(torch.cat([torch.stack(c, 1) for c in layer.c], -1)[0].numpy())
    want = np.concatenate(want, axis=1)
    assert got.shape == want.shape == (900, len(neurons.units_of(model)))
    assert np.abs(got - want).max() < 1e-5
    width = 6 * (2 if bidirectional else 1)  # a layer's units: forward, then backward
    units = neurons.units_of(model)
    assert units[0] == (0, 0, "h") and units[width - 1] == (0, width - 1, "h")
    assert units[width] == ((0, 0, "c") if arch == "lstm" else (1, 0, "h"))


def test_a_model_too_big_to_keep_every_activation_is_read_twice_with_the_same_result(monkeypatch):
    torch.manual_seed(3)
    model = SequenceModel(ModelConfig(arch="lstm", hidden=8, embed=4, layers=2), 5, 5, True, True).eval()
    task = build_vocab_only_task(CHARS)
    text = "".join(np.random.default_rng(3).choice(CHARS, size=5000))
    kept = neurons.rank_units(model, task, text, "quotes", top=6, keep_activations=True)
    monkeypatch.setattr(neurons, "KEEP_ALL", 0)
    again = neurons.rank_units(model, task, text, "quotes", top=6, keep_activations=True)
    assert kept.units == again.units  # layer, unit, kind, r and accuracy
    for a, b in zip(kept.units, again.units):
        assert np.array_equal(a.activations, b.activations)


def test_what_ranking_refuses():
    model, task = _planted()
    with pytest.raises(PlaygroundError, match="is 0 at every character"):
        neurons.rank_units(model, task, "abab", "quotes")
    with pytest.raises(PlaygroundError, match="fewer than two characters"):
        neurons.rank_units(model, task, "\u00e9\u00e9\u00e9", "vowel")
    transformer = SequenceModel(ModelConfig(arch="transformer", hidden=8, embed=4, heads=2), 5, 5, True, True)
    with pytest.raises(PlaygroundError, match="no recurrent hidden units"):
        neurons.rank_units(transformer, task, 'a"b"', "quotes")
    memory = build_task(DataConfig(kind="memory", source="generator"))
    rnn = SequenceModel(ModelConfig(arch="rnn", hidden=4), memory.n_inputs, memory.n_outputs, True, False)
    with pytest.raises(PlaygroundError, match="does not read text one character at a time"):
        neurons.rank_units(rnn, memory, "A 1 2 ?", "digit")


# -- clamping -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    """A small LSTM of two layers trained briefly on the quotes kind (a few seconds)."""
    tr = Trainer(
        SessionConfig(
            model=ModelConfig(arch="lstm", hidden=24, embed=12, layers=2),
            data=DataConfig(kind="quotes", source="generator"),
            train=TrainConfig(batch_size=16, seq_len=48, device="cpu", val_every=0),
        )
    )
    for _ in range(40):
        tr.step()
    return tr


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
def test_sampling_with_nothing_clamped_writes_what_inference_writes(trained, arch):
    if arch == "lstm":
        model, task = trained.model, trained.task
    else:
        torch.manual_seed(2)
        task = trained.task
        model = SequenceModel(ModelConfig(arch=arch, hidden=16, embed=8, layers=2), len(VOCAB), len(VOCAB), True, True)
    for prompt in ('the miller said, "', ""):
        want = inference.sample(model, task, prompt, 120, greedy=True)
        assert clamp.sample(model, task, prompt, 120, greedy=True) == want
        assert clamp.sample(model, task, prompt, 120, greedy=True, clamp={}) == want
        hot = inference.sample(model, task, prompt, 120, temperature=0.9, top_k=5, seed=4)
        assert clamp.sample(model, task, prompt, 120, temperature=0.9, top_k=5, seed=4) == hot
    assert clamp.sample(model, task, "the", 50, greedy=True, stop=(" ",)) == inference.sample(
        model, task, "the", 50, greedy=True, stop=(" ",)
    )


def test_a_clamped_unit_holds_its_value_and_changes_the_text(trained):
    model, task = trained.model, trained.task
    free = clamp.sample(model, task, "anna walked ", 80, seed=1)
    pinned = {(0, 3): 4.0, (1, 5): -4.0}
    assert clamp.sample(model, task, "anna walked ", 80, seed=1, clamp=pinned) != free
    with inference.inference_mode(model):
        stepper = clamp._ClampedStepper(model, task.encode("anna"), clamp.check_clamp(model, pinned))
        stepper.push(task.stoi["x"])
    (h0, _), (h1, _) = stepper.states
    assert float(h0[0, 0, 3]) == 4.0 and float(h1[0, 0, 5]) == -4.0


def test_what_clamping_refuses(trained):
    model, task = trained.model, trained.task
    for bad, words in [
        ({(2, 0): 1.0}, "layer 2 does not exist: the model has layers 0 to 1"),
        ({(0, 24): 1.0}, "unit 24 does not exist: layer 0 has units 0 to 23"),
        ({(0, 1): float("nan")}, "must be a finite number"),
        ({(0,): 1.0}, "named by (layer, unit)"),
    ]:
        with pytest.raises(PlaygroundError, match=words.replace("(", r"\(").replace(")", r"\)")):
            clamp.sample(model, task, "a", 5, clamp=bad)
    vocab = len(VOCAB)
    for cfg, words in [
        (ModelConfig(arch="lstm", hidden=8, attention=True), "not supported for a model with attention"),
        (ModelConfig(arch="transformer", hidden=8, heads=2), "no recurrent units to clamp"),
        (ModelConfig(arch="mlp", hidden=8), "no recurrent units to clamp"),
    ]:
        with pytest.raises(PlaygroundError, match=words):
            clamp.sample(SequenceModel(cfg, vocab, vocab, True, True), task, "a", 5, clamp={(0, 0): 1.0})


# -- the quotes kind ----------------------------------------------------------------------------------
def test_the_quotes_kind_is_seeded_capitals_inside_quotes_and_balanced_brackets():
    text = generate(3, 20_000)
    assert text == generate(3, 20_000) and text != generate(4, 20_000)
    assert set(text) <= set(VOCAB) and len(text) == 20_000
    inside = neurons.track("quotes", text).values == 1
    letters = np.array([ch.isalpha() for ch in text])
    upper = np.array([ch.isupper() for ch in text])
    assert upper[letters & inside].all() and not upper[letters & ~inside].any()
    assert 0.2 < inside.mean() < 0.6
    depth = neurons.track("brackets", text).values
    assert depth.max() == 3 and all(depth[i] == 0 for i, ch in enumerate(text) if ch == "\n")
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in ")]}":
            assert "([{"[")]}".index(ch)] == stack.pop()
    spec = kind_spec("quotes")
    assert spec.generated and spec.many_to_many and spec.prediction_page == "complete"
    task = build_task(DataConfig(kind="quotes", seed=3))
    assert task.vocab == VOCAB and task.decode(task.train_ids[:500]) == generate(3)[:500]
    with pytest.raises(PlaygroundError, match="another vocabulary"):
        build_task(DataConfig(kind="quotes"), saved={"vocab": ["a", "b"]})


def test_the_data_panel_offers_the_quotes_kind_with_a_seed(qtbot):
    from playground.ui.panels.data_panel import DataPanel

    panel = DataPanel(DataConfig())
    qtbot.addWidget(panel)
    panel.show()
    combo = panel.kind_combo
    combo.setCurrentIndex(combo.findData("quotes"))
    qtbot.waitUntil(lambda: "300,000 characters" in panel.preview_box.summary_label.text(), timeout=10_000)
    assert panel.seed_spin.isVisibleTo(panel) and panel.val_spin.isVisibleTo(panel)
    assert not panel.file_row.isVisibleTo(panel) and not panel.paste_row.isVisibleTo(panel)
    assert panel.config().kind == "quotes" and '"' in panel.preview_box.text_view.toPlainText()


# -- the command line ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("neurons") / "q.safetensors"
    assert cli_main("train", "--data", "quotes", "--hidden", "16", "--steps", "15", "--quiet", "--out", out) == 0
    return out


def cli_main(*args) -> int:
    from playground.cli import main

    return main([str(a) for a in args])


def test_neurons_json_lists_the_units_best_first(capsys, model_file):
    capsys.readouterr()
    result = cli_json(capsys, "neurons", model_file, "--track", "quotes", "--top", "5")
    units = result["units"]
    assert len(units) == 5 and result["characters"] > 1000 and result["skipped"] == 0
    assert set(units[0]) == {"layer", "unit", "state", "correlation", "accuracy"}
    assert [abs(u["correlation"]) for u in units] == sorted((abs(u["correlation"]) for u in units), reverse=True)
    assert all(u["state"] in ("h", "c") and 0.5 <= u["accuracy"] <= 1 for u in units)
    depth = cli_json(capsys, "neurons", model_file, "--track", "brackets", "--text", "the (cat [sat]) here")
    assert all(u["accuracy"] is None for u in depth["units"])


def test_neurons_table_reads_a_file(capsys, model_file, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text('anna said, "HELLO THERE." and left (quietly \u00e9).\n' * 5, encoding="utf-8")
    code, out, err = cli(capsys, "neurons", model_file, "--track", "vowel", "--file", path, "--top", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert "vowel (yes/no)" in lines[0] and "t.txt" in lines[0] and "left out" in lines[1]
    assert lines[2].split() == ["rank", "unit", "r", "accuracy"] and len(lines) == 7


def test_a_text_no_one_wrote_for_this_is_ranked_in_bounded_time(capsys, model_file):
    """A real file with quotes, written by others for another purpose (Python's own argparse.py,
    about 100 kB of code, docstrings and quoted strings): the search reads its first 20,000
    characters, leaves out the characters the model lacks and ranks every unit within seconds."""
    import argparse as real_text
    import time

    path = real_text.__file__
    t0 = time.perf_counter()
    result = cli_json(capsys, "neurons", model_file, "--track", "quotes", "--file", path, "--top", "32")
    seconds = time.perf_counter() - t0
    assert result["characters"] + result["skipped"] >= 20_000 and result["truncated"]
    assert len(result["units"]) == 32  # 16 h and 16 c units of the LSTM 16
    rs = [abs(u["correlation"]) for u in result["units"]]
    assert all(0 <= r <= 1 for r in rs) and rs == sorted(rs, reverse=True) and rs[0] > 0
    assert seconds < 120, seconds  # about 5 s here, mostly start-up: a margin of 20x


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--track", "moon"), ("unknown track 'moon'",)),
        (("--track", "regex:[a"), ("bad regular expression",)),
        (("--track", "quotes", "--file", "/nonexistent/t.txt"), ("no such file",)),
        (("--track", "quotes", "--file", "x.txt", "--text", "y"), ("either --file or --text",)),
        (("--track", "quotes", "--text", "abc"), ("at every character",)),
    ],
)
def test_neurons_errors_are_one_line_and_status_2(capsys, model_file, args, words):
    assert_error(capsys, "neurons", model_file, *args, words=words)


def test_sample_with_clamps(capsys, model_file):
    free = cli_json(capsys, "sample", model_file, "--prompt", "anna ", "--length", "60")
    pinned = cli_json(
        capsys, "sample", model_file, "--prompt", "anna ", "--length", "60", "--clamp", "0:3=5", "--clamp", "0:7=-5"
    )
    assert pinned["text"] != free["text"]
    assert pinned["clamp"] == [{"layer": 0, "unit": 3, "value": 5.0}, {"layer": 0, "unit": 7, "value": -5.0}]
    nothing = cli_json(capsys, "sample", model_file, "--prompt", "anna ", "--length", "60", "--clamp", "0:3=5")
    assert nothing["text"] != free["text"]


@pytest.mark.parametrize(
    ("args", "words", "prefix"),
    [
        (("--clamp", "0:x=1"), ("expected LAYER:UNIT=VALUE",), "rnn-playground sample: error:"),
        (("--clamp", "0:1"), ("expected LAYER:UNIT=VALUE",), "rnn-playground sample: error:"),
        (("--clamp", "0:1=inf"), ("finite",), "rnn-playground sample: error:"),
        (("--clamp=-1:1=2",), ("count from 0",), "rnn-playground sample: error:"),
        (("--clamp", "0:16=1"), ("unit 16 does not exist",), "rnn-playground: error:"),
        (("--clamp", "3:0=1"), ("layer 3 does not exist",), "rnn-playground: error:"),
        (("--clamp", "0:1=1", "--clamp", "0:1=2"), ("clamped twice",), "rnn-playground: error:"),
        (("--clamp", "0:1=1", "--next", "3"), ("does not go with --next",), "rnn-playground: error:"),
    ],
)
def test_bad_clamps_are_one_line_and_status_2(capsys, model_file, args, words, prefix):
    assert_error(capsys, "sample", model_file, *args, words=words, prefix=prefix)


def test_the_help_documents_the_clamp_and_the_tracks(capsys):
    with pytest.raises(SystemExit):
        cli_main("sample", "--help")
    out = capsys.readouterr().out
    assert "L:U=V" in out and "count from 0" in out
    with pytest.raises(SystemExit):
        cli_main("neurons", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "line-position" in out and "regex:PATTERN" in out and "20,000 characters" in out


# -- the claim ----------------------------------------------------------------------------------------
# Prompts written for this test only (words the generator never writes), ending outside a quotation
# and inside one.
OUTSIDE_PROMPTS = (
    "the lighthouse keeper painted the gate and ",
    "my aunt sold her bicycle (",
    "somebody knocked twice. ",
    "a postman lost his hat near the ",
)
INSIDE_PROMPTS = (
    'the captain said, "THE SHIP ',
    '"WHY IS THE GATE ',
    'my aunt whispered, "SELL THE BICYCLE, ',
    'the postman asked, "IS THIS ',
)
PIN = 4.0  # the clamp's size: four times the largest value h reaches by itself (o * tanh(c): below 1)


def upper_share(model, task, prompts, pins) -> float:
    """The share of capitals among the letters written after ``prompts`` (100 characters each, three
    seeds, temperature 0.7) with the units ``pins`` clamped."""
    texts = [clamp.sample(model, task, p, 100, temperature=0.7, seed=s, clamp=pins) for p in prompts for s in (0, 1, 2)]
    letters = [ch for text in texts for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / max(1, len(letters))


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_a_small_lstm_grows_a_quote_unit_that_switches_the_style(capsys, tmp_path, seed):
    """`train --data quotes --hidden 64 --steps 8000` (about 90 s on one thread of this 2-core CPU), then
    `neurons --track quotes` on the model's held-out text: a unit with |r| >= 0.8, and the best hidden-state
    unit too. Clamped "inside" (+4 on the side its r points to), the model stays in capitals after prompts
    that end inside a quotation and switches to them after prompts that end outside one; clamped "outside"
    (-4), it leaves the capitals: at least 80% of the letters either way. Unclamped, the quotation closes
    and the capitals often stop within the 100 characters. Measured, seeds 0-2: r 0.881, 0.878, 0.916
    (units 0:26, 0:50, 0:58 h); capitals clamped at 4: stay 1.00, 1.00, 1.00, switch 0.97, 0.96, 0.99,
    leave 0.05, 0.01, 0.01; unclamped 0.70, 0.60, 0.72 after the inside prompts and 0.36, 0.09, 0.27 after
    the outside ones. At 1, the most h reaches by itself, the effect is partial (stay 0.75-0.84, switch
    0.30-0.57, leave 0.30-0.37): other units hold the quotation too."""
    out = tmp_path / "q.safetensors"
    trained = cli_json(capsys, "train", "--data", "quotes", "--hidden", 64, "--steps", 8000, "--seed", seed,
             "--data-seed", seed, "--quiet", "--out", out)  # fmt: skip
    units = cli_json(capsys, "neurons", out, "--track", "quotes", "--top", 200)["units"]
    best = max(abs(u["correlation"]) for u in units)
    unit = next(u for u in units if u["state"] == "h")
    tr = checkpoint.load(out)
    model, task = tr.model, tr.task
    side = 1.0 if unit["correlation"] > 0 else -1.0
    key = (unit["layer"], unit["unit"])
    figures = {"seed": seed, "train_seconds": round(trained["seconds"], 1), "best_r": round(best, 3), "unit": unit}
    for pin in (1.0, PIN):
        figures[f"pin {pin:g}"] = {
            "stay": upper_share(model, task, INSIDE_PROMPTS, {key: side * pin}),
            "switch": upper_share(model, task, OUTSIDE_PROMPTS, {key: side * pin}),
            "leave": upper_share(model, task, INSIDE_PROMPTS, {key: -side * pin}),
        }
    figures["free"] = {
        "inside prompts": upper_share(model, task, INSIDE_PROMPTS, None),
        "outside prompts": upper_share(model, task, OUTSIDE_PROMPTS, None),
    }
    with capsys.disabled():
        print(json.dumps(figures))
    pinned = figures[f"pin {PIN:g}"]
    assert best >= 0.8 and abs(unit["correlation"]) >= 0.8, units[:3]
    assert pinned["stay"] >= 0.8 and pinned["switch"] >= 0.8 and pinned["leave"] <= 0.2, figures
