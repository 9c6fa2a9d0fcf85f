"""Ablation and transplant (core/inspect/intervene.py): the mechanics on hand-built models whose
answer is known exactly, what they refuse, and the command line (`neurons --ablate`, `patch`).

The learning claim (a quotes model needs its quote unit; carrying the state after `he said "` makes a
plain sentence write capitals) is in tests/test_intervene_claims.py, under ``-m lessons``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.core.config import ModelConfig
from playground.core.data.text import build_vocab_only_task
from playground.core.errors import PlaygroundError
from playground.core.inspect import intervene as iv
from playground.core.model.nets import SequenceModel
from playground.core.model.seq2seq_net import Seq2Seq

CHARS = ["a", "b", "x", " ", '"']
ARCHS = ["rnn", "lstm", "gru"]


def model_of(arch: str, layers: int = 1, bidirectional: bool = False, hidden: int = 6, seed: int = 0, **kw):
    torch.manual_seed(seed)
    cfg = ModelConfig(arch=arch, hidden=hidden, embed=5, layers=layers, bidirectional=bidirectional, **kw)
    return SequenceModel(cfg, len(CHARS), len(CHARS), True, True).eval()


TASK = build_vocab_only_task(CHARS)
IDS = np.random.default_rng(0).integers(0, len(CHARS), 60)
TEXT = "".join(np.random.default_rng(1).choice(CHARS, 1500))


def outgoing_deleted(model: SequenceModel, layer: int, unit: int) -> SequenceModel:
    """A copy of ``model`` with unit ``unit`` (across directions) of layer ``layer``'s h cut off from
    everything that reads it: its column of the layer's recurrent matrix (every gate) and of the next
    layer's input matrix (both directions), or of the head."""
    import copy

    out = copy.deepcopy(model)
    core, hidden = out.core, out.cfg.hidden
    d, u = divmod(unit, hidden)
    sfx = "_reverse" if d else ""
    with torch.no_grad():
        getattr(core, f"weight_hh_l{layer}{sfx}")[:, u] = 0.0
        if layer + 1 < core.num_layers:
            for s in ("", "_reverse") if core.bidirectional else ("",):
                getattr(core, f"weight_ih_l{layer + 1}{s}")[:, unit] = 0.0
        else:
            out.head.weight[:, unit] = 0.0
    return out


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (2, True)])
def test_nothing_held_reads_as_the_model_does(arch, layers, bidirectional):
    model = model_of(arch, layers, bidirectional)
    with torch.no_grad():
        expected = model(torch.as_tensor(IDS)[None])[0][0]
        got = iv.edited_logits(model, IDS, [{}, {}])
    assert torch.allclose(got[0], expected, atol=1e-5) and torch.allclose(got[0], got[1], atol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize(
    "layers,bidirectional,layer,unit",
    [(1, False, 0, 2), (2, False, 0, 4), (2, False, 1, 1), (2, True, 0, 1), (2, True, 0, 9), (2, True, 1, 8)],
)
def test_holding_h_at_zero_is_deleting_the_units_outgoing_weights(arch, layers, bidirectional, layer, unit):
    """Units 6..11 of a bidirectional layer of 6 are its backward direction's."""
    model = model_of(arch, layers, bidirectional)
    with torch.no_grad():
        expected = outgoing_deleted(model, layer, unit)(torch.as_tensor(IDS)[None])[0][0]
        plain = model(torch.as_tensor(IDS)[None])[0][0]
        held = iv.edited_logits(model, IDS, [{(layer, unit, "h"): 0.0}])[0]
    assert torch.allclose(held, expected, atol=1e-5)
    assert not torch.allclose(held, plain, atol=1e-3)  # the unit mattered: the test can fail


def test_holding_a_cell_state_matters_only_where_the_cell_keeps_it():
    """Holding an LSTM's c at 0 acts from the next step on, through f * c: with the unit's forget gate shut
    (bias -1e4: f = 0) it changes nothing at all; with it open it does."""
    for forget_bias, changes in ((-1e4, False), (1e4, True)):
        model = model_of("lstm")
        with torch.no_grad():
            model.core.bias_hh_l0[6 + 3] = forget_bias  # gates i, f, g, o of 6 units: f of unit 3
            plain = model(torch.as_tensor(IDS)[None])[0][0]
            held = iv.edited_logits(model, IDS, [{(0, 3, "c"): 0.0}])[0]
        assert torch.allclose(held, plain, atol=1e-6) != changes


def carries_only_unit_0(arch: str) -> SequenceModel:
    """Every h unit but unit 0 cut off from what reads it: unit 0 carries everything the model remembers
    and is all the head sees; the others carry nothing."""
    model = model_of(arch, hidden=5, seed=3)
    with torch.no_grad():
        for u in range(1, 5):
            model = outgoing_deleted(model, 0, u)
        model.head.weight[:, 0] *= 6.0  # a unit worth listening to
    return model


@pytest.mark.parametrize("arch", ARCHS)
def test_a_unit_that_carries_nothing_costs_nothing_and_one_that_carries_everything_costs(arch):
    """On a text the model itself wrote (so that it is the best predictor there is, and anything taken away
    costs), holding unit 0 raises the loss; holding a unit that carries nothing changes nothing."""
    from playground.core import inference

    model = carries_only_unit_0(arch)
    own = "a" + inference.sample(model, TASK, "a", 3000, 1.0, 0, False, 0)
    a = iv.ablate(model, TASK, own, [(0, 0, "h"), (0, 3, "h")], "quotes", random_units=3)
    everything, nothing = a.units
    assert abs(nothing.inside) < 1e-6 and abs(nothing.outside) < 1e-6  # rows of a batch: float rounding
    assert everything.inside > 0.01 and everything.outside > 0.01
    assert a.together is not None and a.together.inside == pytest.approx(everything.inside)
    assert len(a.random) == 3 and all(c.units[0][:2] != (0, 0) for c in a.random)
    assert all(abs(c.inside) < 1e-6 for c in a.random)  # every other unit carries nothing
    assert a.beats_random(everything) == (everything.inside > everything.outside)
    # the pair against random pairs of the same layer, drawn from the units not asked about...
    assert len(a.random_groups) == 3 and all(len(g.units) == 2 for g in a.random_groups)
    assert all((0, 0, "h") not in g.units and (0, 3, "h") not in g.units for g in a.random_groups)
    assert all(abs(g.inside) < 1e-6 for g in a.random_groups)  # ...and none of them holds it: no cost
    assert a.group_spread()["size"] == 2 and a.beats_random(a.together) == a.beats_random(everything)
    assert a.inside_chars + a.outside_chars == a.characters - 1 == len(own) - 1


def test_holding_a_constant_unit_at_its_mean_costs_nothing():
    model = model_of("rnn", hidden=4)
    with torch.no_grad():
        model.core.weight_ih_l0[2] = 0.0
        model.core.weight_hh_l0[2] = 0.0  # unit 2 is tanh(its biases) at every step
    a = iv.ablate(model, TASK, TEXT, [(0, 2, "h")], "quotes", mode="mean", random_units=0)
    assert abs(a.units[0].inside) < 1e-9 and abs(a.units[0].outside) < 1e-9
    zero = iv.ablate(model, TASK, TEXT, [(0, 2, "h")], "quotes", mode="zero", random_units=0)
    assert abs(zero.units[0].inside) > 1e-4  # at zero it is not where it always is


@pytest.mark.parametrize("arch", ARCHS)
def test_the_whole_state_carried_continues_the_source(arch):
    """After the source's whole state replaces the target's, the model writes what it writes after the source."""
    from playground.core import inference

    model = model_of(arch, layers=2, hidden=8, seed=1)
    p = iv.patch(model, TASK, 'ab"xa', "bb x", length=30, temperature=1.0, seed=4)
    assert p.patched == inference.sample(model, TASK, 'ab"xa', 30, 1.0, 0, False, 4)
    assert p.unpatched == inference.sample(model, TASK, "bb x", 30, 1.0, 0, False, 4)
    assert p.next_patched != p.next_unpatched and p.moved > 0
    # every unit of every layer carried is the whole state
    every = [(layer, u, "h") for layer in range(2) for u in range(8)]
    assert (
        iv.patch(model, TASK, 'ab"xa', "bb x", units=every, length=30, temperature=1.0, seed=4).patched
        == p.patched
    )
    # the source itself as the target: nothing moves
    same = iv.patch(model, TASK, "ab x", "ab x", length=20)
    assert same.patched == same.unpatched and same.moved == 0.0 and same_next(same)


def same_next(p: iv.Patch) -> bool:
    """The likeliest next characters with and without the transplant, the same (to float rounding)."""
    return [c for c, _ in p.next_patched] == [c for c, _ in p.next_unpatched] and np.allclose(
        [q for _, q in p.next_patched], [q for _, q in p.next_unpatched], atol=1e-6
    )


@pytest.mark.parametrize("arch", ARCHS)
def test_carrying_the_unit_that_carries_everything_is_carrying_the_state(arch):
    model = carries_only_unit_0(arch)
    source, target = '"xxab"x', "ba  b"
    whole = iv.patch(model, TASK, source, target, length=40, temperature=1.0, seed=2)
    assert (
        iv.patch(model, TASK, source, target, units=[(0, 0, "h")], length=40, temperature=1.0, seed=2).patched
        == whole.patched
    )
    nothing = iv.patch(model, TASK, source, target, units=[(0, 3, "h")], length=40, temperature=1.0, seed=2)
    assert nothing.patched == nothing.unpatched and same_next(nothing)
    assert not same_next(whole)


def test_patching_partway_reads_the_rest_of_the_target_and_a_direction_moves_the_state_along_it():
    model = model_of("gru", hidden=8, seed=2)
    early = iv.patch(model, TASK, "xxxx", "abab ab", at=(2, 3), length=10)
    assert (early.source_at, early.target_at) == (2, 3)
    # put in before the target's first character: the state the model reads the whole target from
    first = iv.patch(model, TASK, "xxxx", "abab", at=(None, 0), length=10, temperature=1.0, seed=1)
    from playground.core import inference

    assert first.patched == inference.sample(model, TASK, "xxxxabab", 10, 1.0, 0, False, 1)
    along = iv.patch(model, TASK, "xxxx", "abab", direction=1, length=10)
    assert 0 < along.moved < iv.patch(model, TASK, "xxxx", "abab", length=10).moved + 1e-9
    assert "direction 1" in along.what


@pytest.mark.parametrize(
    "call,words",
    [
        (lambda m: iv.ablate(m, TASK, TEXT, [(0, 0, "h")], "brackets"), "yes/no"),
        (lambda m: iv.ablate(m, TASK, "aaaa", [(0, 0, "h")], "quotes"), "some characters"),
        (lambda m: iv.ablate(m, TASK, TEXT, [(3, 0, "h")], "quotes"), "layer 3 does not exist"),
        (lambda m: iv.ablate(m, TASK, TEXT, [(0, 99, "h")], "quotes"), "units 0 to 5"),
        (lambda m: iv.ablate(m, TASK, TEXT, [(0, 1, "c")], "quotes"), "only an LSTM"),
        (lambda m: iv.ablate(m, TASK, TEXT, [(0, 1, "h"), (0, 1, "h")], "quotes"), "named twice"),
        (lambda m: iv.ablate(m, TASK, TEXT, [(0, 1, "h")], "quotes", mode="one"), "zero or mean"),
        (lambda m: iv.patch(m, TASK, "", "ab"), "neither may be empty"),
        (lambda m: iv.patch(m, TASK, "ab", "ab", units=[(0, 1, "h")], direction=1), "not both"),
        (lambda m: iv.patch(m, TASK, "ab", "ab", at=(5, None)), "after 1 to 2 characters"),
        (lambda m: iv.patch(m, TASK, "ab", "ab", direction=7), "1 to 6"),
        (lambda m: iv.patch(m, TASK, "ab", "aq"), "'q'"),
    ],
)
def test_what_is_refused_is_one_line(call, words):
    with pytest.raises(PlaygroundError) as e:
        call(model_of("rnn"))
    assert words in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    "model,words",
    [
        (model_of("transformer"), "no hidden state"),
        (model_of("mlp"), "no hidden state"),
        (model_of("lstm", attention=True), "attention"),
        (model_of("gru", bidirectional=True), "does not write text"),
        (Seq2Seq(len(CHARS), hidden=8).eval(), "encoder-decoder"),
    ],
)
def test_a_transplant_is_refused_where_it_makes_no_sense(model, words):
    with pytest.raises(PlaygroundError) as e:
        iv.patch(model, TASK, "ab", "ba")
    assert words in str(e.value) and "\n" not in str(e.value)


def test_ablation_reads_models_with_attention_and_both_directions():
    for model in (model_of("lstm", attention=True), model_of("gru", bidirectional=True)):
        a = iv.ablate(model, TASK, TEXT, [(0, 1, "h")], "quotes", random_units=2)
        assert np.isfinite(a.units[0].inside) and len(a.random) == 2
    with pytest.raises(PlaygroundError, match="no recurrent hidden units"):
        iv.ablate(model_of("transformer"), TASK, TEXT, [(0, 1, "h")], "quotes")


@pytest.mark.parametrize(
    "text,units",
    [("0:5", [(0, 5, "h")]), (" 0:5 , 1:17:c ", [(0, 5, "h"), (1, 17, "c")])],
)
def test_units_are_read_as_neurons_lists_them(text, units):
    assert iv.parse_units(text) == units


@pytest.mark.parametrize("text", ["", "5", "a:b", "0:1:x", "-1:2", "0:1:2:3"])
def test_bad_units_are_one_line(text):
    with pytest.raises(PlaygroundError):
        iv.parse_units(text)


# -- the command line ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from playground.cli import main

    out = str(tmp_path_factory.mktemp("iv") / "q.safetensors")
    assert (
        main(["train", "--data", "quotes", "--hidden", "16", "--steps", "15", "--quiet", "--out", out]) == 0
    )
    return out


def run_cli(capsys, *args) -> tuple[int, str, str]:
    from playground.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse's own refusals
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_neurons_ablate_json_gives_each_unit_its_cost_and_the_random_spread(capsys, model_file):
    code, out, _ = run_cli(
        capsys, "neurons", model_file, "--track", "quotes", "--top", "3", "--ablate", "--json"
    )
    result = json.loads(out)
    assert code == 0 and len(result["units"]) == 3
    for u in result["units"]:
        assert set(u["ablation"]) == {"inside", "outside"} and all(
            np.isfinite(v) for v in u["ablation"].values()
        )
    spread = result["ablation"]["random"]
    assert spread["units"] == 10 and spread["inside"]["max"] >= spread["inside"]["mean"]
    assert result["ablation"]["mode"] == "zero" and result["ablation"]["characters"] > 1000


def test_neurons_ablate_table_says_what_beats_random(capsys, model_file):
    code, out, _ = run_cli(
        capsys, "neurons", model_file, "--track", "quotes", "--top", "2", "--ablate", "--mode", "mean"
    )
    assert code == 0 and "held at its mean" in out and "random units" in out


def test_patch_json(capsys, model_file):
    code, out, _ = run_cli(
        capsys,
        "patch",
        model_file,
        "--source",
        'he said, "',
        "--target",
        "the baker ",
        "--length",
        "20",
        "--greedy",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and set(result) >= {"unpatched", "patched", "next_unpatched", "next_patched", "carried"}
    assert len(result["patched"]) == 20 and result["carried"] == "the whole state"
    code, out, _ = run_cli(capsys, "patch", model_file, "--source", 'he said, "', "--target", "the baker ",
                           "--units", "0:1,0:2", "--length", "10")  # fmt: skip
    assert code == 0 and "with units 0:1, 0:2 carried" in out


@pytest.mark.parametrize(
    "args,words",
    [
        (("--source", "ab", "--target", "ba", "--units", "0:99"), "units 0 to 15"),
        (("--source", "ab", "--target", "ba", "--units", "x"), "LAYER:UNIT"),
        (("--source", "ab", "--target", "ba", "--at", "9:1"), "after 1 to 2"),
        (("--source", "ab", "--target", "ba", "--at", "nine"), "SOURCE:TARGET"),
        (("--source", "ab", "--target", "ba", "--length", "-1"), "length"),
        (("--source", "ab", "--target", "b\u00e4"), "target text"),
    ],
)
def test_patch_errors_are_one_line_and_status_2(capsys, model_file, args, words):
    code, out, err = run_cli(capsys, "patch", model_file, *args)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1 and not out
    assert "Traceback" not in err


def test_neurons_ablate_refuses_a_number_track(capsys, model_file):
    code, _, err = run_cli(capsys, "neurons", model_file, "--track", "brackets", "--ablate")
    assert code == 2 and "yes/no" in err and len(err.strip().splitlines()) == 1
