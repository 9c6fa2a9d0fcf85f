"""A recurrent language model with attention over its own past states (issue 11): the knock-knock
model that answers a name it never saw, because it can look back at the name instead of carrying
it letter by letter in one hidden state.

The fast tests check the mechanism (causal, re-read when sampling, settings and files); the
``lessons`` tests check the claim over seeds and against the held-out names in tests/data, which
nothing the model learns from contains."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import torch
from cli_helpers import assert_error, cli, cli_json
from lesson_seeds import seeds
from test_jokes import held_out_names

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data.dialogs import SPEAKERS
from playground.core.errors import PlaygroundError
from playground.core.model.nets import SequenceModel
from playground.core.presets import default_session
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

KNOCK, WHO = "Knock, knock!", "Who's there?"


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_attention_never_reads_the_future(arch):
    """Changing the input at step 9 changes no output before step 9 (the mask is causal), and does
    change outputs from step 9 on."""
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(arch=arch, hidden=16, embed=8, attention=True), 12, 12, True, True).eval()
    x = torch.randint(12, (2, 20))
    y = x.clone()
    y[:, 9] = (y[:, 9] + 1) % 12
    with torch.no_grad():
        a, b = model(x)[0], model(y)[0]
    assert torch.equal(a[:, :9], b[:, :9])
    assert not torch.allclose(a[:, 9:], b[:, 9:])
    context, weights = model.attend(model.features(model.encode(x))[0])
    assert torch.allclose(weights.sum(-1), torch.ones(2, 20)) and float(weights.detach().triu(1).abs().max()) == 0.0
    assert context.shape == (2, 20, 16)


def test_sampling_rereads_the_context_so_a_reply_equals_the_whole_sequence_read_at_once():
    """A carried hidden state holds no past states to attend to: a model with attention re-reads its
    context at every step. Greedy sampling then equals the argmax of one forward pass over the text."""
    tr = Trainer(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=16, embed=8, attention=True),
            data=DataConfig(kind="knock-knock", made_up_jokes=50),
            train=TrainConfig(batch_size=4, seq_len=24, device="cpu"),
        )
    )
    for _ in range(5):
        tr.step()
    prompt = "\x02\x11Knock, knock!\n\x12"
    text = inference.sample(tr.model, tr.task, prompt, length=12, greedy=True)
    ids = tr.task.encode(prompt + text)
    with torch.no_grad():
        out = tr.model(torch.from_numpy(ids)[None])[0][0]
    again = tr.task.decode(out.argmax(-1).numpy()[len(prompt) - 1 : -1])
    assert again == text


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"arch": "transformer"}, "for RNN, LSTM and GRU"),
        ({"arch": "mlp"}, "for RNN, LSTM and GRU"),
        ({"bidirectional": True}, "unidirectional"),
    ],
)
def test_attention_is_refused_where_it_does_not_apply(changes, words):
    with pytest.raises(PlaygroundError, match=words):
        ModelConfig(attention=True, **changes).validate()


def test_a_model_file_from_before_attention_reopens_without_it(tmp_path):
    """Files saved before the setting existed have no "attention" key: they reopen without it (the
    network they hold has no attention weights)."""
    session = SessionConfig(
        model=ModelConfig(hidden=8, embed=4),
        data=DataConfig(kind="knock-knock", made_up_jokes=50),
        train=TrainConfig(batch_size=4, seq_len=16, device="cpu"),
    )
    assert SessionConfig.from_dict(
        {**session.to_dict(), "model": {k: v for k, v in session.to_dict()["model"].items() if k != "attention"}}
    ).model.attention is False
    path = checkpoint.save(Trainer(session), tmp_path / "old.safetensors")
    assert not checkpoint.load(path).model.attends


def test_the_command_line_turns_it_on_for_knock_knock_only_and_says_so(capsys, tmp_path):
    out = tmp_path / "kk.safetensors"
    result = cli_json(capsys, "train", "--data", "knock-knock", "--hidden", "8", "--steps", "1", "--quiet", "--out", out)
    assert result["model"].endswith("attention")
    code, text, _ = cli(capsys, "info", out)
    assert code == 0 and "attention" in text
    assert "attention" not in cli_json(capsys, "train", "--data", "text", "--hidden", "8", "--steps", "1", "--quiet")["model"]
    plain = cli_json(capsys, "train", "--data", "knock-knock", "--no-attention", "--hidden", "8", "--steps", "1", "--quiet")
    assert "attention" not in plain["model"]
    # the kind's default steps aside for a model it does not apply to; asked for, it is refused
    assert "attention" not in cli_json(capsys, "train", "--data", "knock-knock", "--arch", "transformer", "--hidden", "8", "--steps", "1", "--quiet")["model"]
    assert_error(capsys, "train", "--data", "text", "--arch", "mlp", "--attention", "--steps", "1", words=("attention",))


def test_the_chat_answer_carries_where_the_language_model_looked():
    tr = Trainer(dataclasses.replace(default_session(), train=dataclasses.replace(default_session().train, device="cpu")))
    tr.step()
    text, looked = inference.reply_with_attention(tr.model, tr.task, "Gertrude.", [KNOCK, WHO])
    assert looked is not None and text == looked["reply"].strip()
    weights = looked["weights"]
    assert weights.shape[1] == len(looked["source"]) and weights.shape[0] in (len(looked["reply"]), len(looked["reply"]) + 1)
    full = "\x1f\x1fKnock, knock!\n\x1fWho's there?\n\x1fGertrude.\n\x1f" + looked["reply"]  # markers as │
    assert full.endswith(looked["source"]) and len(looked["source"]) == min(len(full), inference.ATTENTION_SHOWN)
    plain = Trainer(SessionConfig(model=ModelConfig(hidden=8), data=DataConfig(kind="knock-knock", made_up_jokes=10)))
    assert inference.reply_with_attention(plain.model, plain.task, "Gertrude.", [KNOCK, WHO])[1] is None


def test_every_batch_is_cut_from_jokes_made_for_it():
    """The made-up jokes are new in every batch (a fixed set is learnt by heart), drawn from the
    batch generator (the same generator state, the same batch: undo and resume stay exact). Made-up
    names (all but the 95 everyday words) that turn up in two different batches: none expected, where
    a fixed set of 3,000 jokes would give about fifteen in as many batches."""
    from playground.core.data.jokes import WORDS

    task = Trainer(default_session()).task
    seen_in: dict[str, set[int]] = {}
    gen = torch.Generator().manual_seed(0)
    for b in range(30):
        x, y = task.sample_batch(32, 64, gen, torch.device("cpu"))
        assert torch.equal(x[:, 1:], y[:, :-1])
        for row in x:
            for name in re.findall(f"{SPEAKERS[0]}([A-Z][a-z]+)\\.\n{SPEAKERS[1]}\\1 who", task.decode(row.numpy())):
                if name not in WORDS:
                    seen_in.setdefault(name, set()).add(b)
    assert len(seen_in) > 150
    assert sum(len(batches) > 1 for batches in seen_in.values()) <= 2
    a = task.sample_batch(8, 64, torch.Generator().manual_seed(7), torch.device("cpu"))[0]
    b = task.sample_batch(8, 64, torch.Generator().manual_seed(7), torch.device("cpu"))[0]
    assert torch.equal(a, b)


def test_undo_and_resume_replay_the_same_fresh_batches(tmp_path):
    session = dataclasses.replace(
        default_session(), model=ModelConfig(hidden=16, embed=8, attention=True), train=TrainConfig(device="cpu")
    )
    a = Trainer(session)
    for _ in range(3):
        a.step()
    path = checkpoint.save(a, tmp_path / "kk.safetensors")
    b = checkpoint.load(path)
    assert [a.step().loss for _ in range(3)] == [b.step().loss for _ in range(3)]


# -- the claim, over seeds, on names nothing was trained on --------------------------------------------


def _copied(model, task, names: list[str], form: str = "Name.") -> list[str]:
    """The names answered "<name> who?" when typed in ``form`` (the answer repeats the name as typed)."""
    right = []
    for n in names:
        typed, ending = FORMS[form](n)
        if inference.reply(model, task, typed + ending, [KNOCK, WHO]) == f"{typed} who?":
            right.append(n)
    return right


# How people type a name at "Who's there?": (the name as typed, its ending).
FORMS = {
    "Name.": lambda n: (n, "."),
    "Name": lambda n: (n, ""),
    "Name!": lambda n: (n, "!"),
    "name.": lambda n: (n.lower(), "."),
}


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_two_minutes_of_the_default_command_answer_nine_in_ten_names_it_never_saw(capsys, tmp_path, seed):
    """`rnn-playground train --data knock-knock --seconds 120`, then greedy replies to the 60 held-out
    names: at least 90% answered exactly "<name> who?" in each way of typing them, "Name.", "Name",
    "Name!" and "name." (measured with the forms in the data, 4,900 steps, seeds 0 / 1 / 2: 59 / 59 /
    58, 60 / 59 / 58, 58 / 59 / 58 and 57 / 59 / 57 of 60; on this 2-core CPU two quiet minutes are
    about 4,900 steps). For each letter of the name after
    the first, the attention peaks on the state just after that same letter of the user's turn
    (the induction pattern: "I just wrote e; where did e come before, and what followed it?")."""
    out = tmp_path / "kk.safetensors"
    torch.set_num_threads(2)
    try:
        cli_json(capsys, "train", "--data", "knock-knock", "--seed", seed, "--seconds", 120, "--quiet", "--out", out)
    finally:
        torch.set_num_threads(1)
    tr = checkpoint.load(out)
    names = held_out_names()
    for form in FORMS:  # typed with a period or without, "!", lower case: each at least 9 in 10
        copied = _copied(tr.model, tr.task, names, form)
        assert len(copied) >= 0.9 * len(names), (form, sorted(set(names) - set(copied)))
    right = _copied(tr.model, tr.task, names)
    hits = total = 0
    for name in right:
        _, looked = inference.reply_with_attention(tr.model, tr.task, f"{name}.", [KNOCK, WHO])
        source, weights = looked["source"], looked["weights"]
        start = source.rindex(f"\x1f{name}.") + 1
        for k in range(1, len(name)):  # row k writes name[k]; its peak: name[k] in the user's turn
            hits += int(weights[k].argmax()) == start + k
            total += 1
    assert hits >= 0.9 * total, (hits, total)


# The steps two quiet minutes of the default command reach on this 2-core CPU: the look-alikes get
# the same number of steps, not the same seconds (a step is faster without attention, and a faster
# machine takes more of them: CI's machine reached 13 of 60 without attention in two minutes).
TWO_MINUTES_OF_STEPS = 4_900


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_without_attention_or_without_made_up_jokes_the_same_steps_do_not_copy(capsys, tmp_path, seed):
    """The two look-alikes the lesson contrasts, same command and the same 4,900 steps that give the
    attention model 57 to 60 of 60: with --no-attention the name has to survive in the hidden state
    and seldom comes out right (measured 1 / 4 / 2 of 60 typed "Name.", seeds 0 / 1 / 2, against at least 54 with attention; it does learn
    slowly: 12 / 12 after 12,000 steps, 22 / 13 after 15,000); with --made-up-jokes 0 the model learns
    the 63 bundled jokes by heart and answers with their names (0 / 0 / 0 of 60)."""
    names = held_out_names()
    for extra, most in ((["--no-attention"], 8), (["--made-up-jokes", "0"], 3)):
        out = tmp_path / "m.safetensors"
        torch.set_num_threads(2)
        try:
            cli_json(
                capsys, "train", "--data", "knock-knock", "--seed", seed, *extra,
                "--steps", TWO_MINUTES_OF_STEPS, "--quiet", "--out", out,
            )  # fmt: skip
        finally:
            torch.set_num_threads(1)
        tr = checkpoint.load(out)
        right = _copied(tr.model, tr.task, names)
        assert len(right) <= most, (extra, right)
    assert np.isfinite(tr.validate())


@pytest.mark.lessons
def test_the_first_run_window_answers_names_it_never_saw_after_two_minutes_of_play(qtbot, open_window):
    """The real window (offscreen), its first-run preset, Play for two minutes, then the chat's
    question for 20 of the held-out names: at least 18 answered "<name> who?", and the answer
    carries where the model looked."""
    from window_helpers import answer_is

    from playground.app import messages as m

    w = open_window(default_session())
    w.play()
    qtbot.wait(120_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    names = held_out_names()[::3]
    right = []
    for name in names:
        request = m.Reply(f"{name}.", (KNOCK, WHO), "lm")
        with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=20_000) as got:
            w.prediction_panel.request.emit(request)
        answer = got.args[0].result
        assert isinstance(answer, m.ReplyAnswer) and answer.lm_attention is not None, got.args[0].error
        right += [name] if answer.reply == f"{name} who?" else []
    assert len(right) >= 0.9 * len(names), (w.session.steps, sorted(set(names) - set(right)))


def test_the_shipped_knock_knock_model_answers_names_it_never_saw_and_laughs_at_the_end():
    """models/knock-knock-lstm.safetensors (models/README.md says how it was made): at least 90% of
    the held-out names answered "<name> who?" in each way of typing them (measured: 59, 60, 58 and 57
    of 60 for "Name.", "Name", "Name!" and "name."), and a laugh after punchlines written for this
    test (measured: all six)."""
    from playground.core import paths

    tr = checkpoint.load(paths.models_dir() / "knock-knock-lstm.safetensors")
    assert tr.model.attends
    names = held_out_names()
    for form in FORMS:
        right = _copied(tr.model, tr.task, names, form)
        assert len(right) >= 0.9 * len(names), (form, sorted(set(names) - set(right)))
    told = [
        ("Marigold", "Marigold and I baked you a pie!"), ("Marigold", "Marigold from upstairs, it's raining!"),
        ("Marigold", "Just Marigold. I brought soup!"), ("Gertrude", "Gertrude and I baked you a pie!"),
        ("Gertrude", "Gertrude, your neighbour!"), ("Lettuce", "Lettuce in, it's cold!"),
    ]  # fmt: skip
    laughs = [inference.reply(tr.model, tr.task, p, [KNOCK, WHO, f"{n}.", f"{n} who?"]) for n, p in told]
    assert sum(r.startswith(("Ha ha", "Ha!")) for r in laughs) >= 5, laughs
    assert inference.reply(tr.model, tr.task, KNOCK) == WHO
