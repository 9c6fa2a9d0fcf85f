"""The encoder-decoder for knock-knock dialogs: what it reads, what it learns, its model file."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save as st_save

from playground.core.errors import PlaygroundError
from playground.core.train.checkpoint import FORMAT
from playground.core.train.seq2seq import (
    SEP,
    Seq2Seq,
    Seq2SeqConfig,
    Seq2SeqTrainer,
    pairs_from_dialogs,
    source_text,
)

KNOCK, WHO = "Knock, knock!", "Who's there?"
TRAIN_STEPS = 250


BRIEF_STEPS = 80


@pytest.fixture(scope="module")
def learned() -> Seq2SeqTrainer:
    """A GRU encoder-decoder trained on the bundled corpus until it answers (about 40 s on two cores)."""
    trainer = Seq2SeqTrainer(Seq2SeqConfig(seed=0, device="cpu"))
    trainer.train(TRAIN_STEPS)
    return trainer


@pytest.fixture(scope="module")
def trained() -> Seq2SeqTrainer:
    """The same, trained briefly: enough for its files, its sampling and a falling loss."""
    trainer = Seq2SeqTrainer(Seq2SeqConfig(seed=0, device="cpu"))
    trainer.train(BRIEF_STEPS)
    return trainer


def _training_dialogs(trainer: Seq2SeqTrainer) -> list[list[str]]:
    n_train = len(trainer.train_pairs) // 4  # the bundled dialogs have five turns: four pairs each
    return trainer.dialogs[:n_train]


def test_pairs_read_the_previous_turn():
    dialog = [KNOCK, WHO, "Walter.", "Walter who?", "Walter wall carpet!"]
    pairs = pairs_from_dialogs([dialog])
    assert pairs == [
        (SEP + KNOCK, WHO),
        (KNOCK + SEP + WHO, "Walter."),
        (WHO + SEP + "Walter.", "Walter who?"),
        ("Walter." + SEP + "Walter who?", "Walter wall carpet!"),
    ]
    assert pairs_from_dialogs([dialog], context=0)[2] == ("Walter.", "Walter who?")
    assert source_text("Hi", [], context=2) == SEP + SEP + "Hi"
    with pytest.raises(PlaygroundError):
        pairs_from_dialogs([dialog], context=-1)


@pytest.mark.lessons
def test_learns_to_answer_a_knock_and_a_name(learned):
    trained = learned
    assert trained.steps == TRAIN_STEPS
    assert trained.reply(KNOCK) == WHO
    assert trained.reply("  Knock, knock!  ", []) == WHO
    sample = _training_dialogs(trained)[::3]
    got = trained.replies([(d[2], d[:2]) for d in sample])
    right = [g for g, d in zip(got, sample) if g == d[2].rstrip(".") + " who?"]
    assert len(right) >= 0.8 * len(sample), list(zip(got, [d[2] for d in sample]))
    assert trained.exact_match([(d[2], d[:2], d[3]) for d in sample]) == len(right) / len(sample)


def test_loss_falls_and_validation_is_recorded(trained):
    losses = trained.losses
    assert len(losses) == BRIEF_STEPS
    assert losses[-20:].mean() < 0.5 * losses[:20].mean()
    val = trained.validate()
    assert val is not None and val > 0
    assert trained.history.val_steps[-1] == BRIEF_STEPS and trained.history.val_loss[-1] == val


def test_sampling_is_repeatable_with_a_seed(trained):
    a = trained.reply("Walter who?", [KNOCK, WHO, "Walter."], temperature=1.0, seed=3)
    b = trained.reply("Walter who?", [KNOCK, WHO, "Walter."], temperature=1.0, seed=3)
    assert a == b and isinstance(a, str)
    assert len(trained.reply("Walter who?", [KNOCK, WHO, "Walter."], max_chars=5)) <= 5


def test_save_then_load_gives_the_same_replies_and_trains_on_alike(trained, tmp_path):
    path = trained.save(tmp_path / "s2s")
    assert path.name == "s2s.safetensors" and path.read_bytes()[:2] not in (b"\x80\x04", b"PK")
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left behind
    loaded = Seq2SeqTrainer.load(path, device="cpu")
    assert loaded.steps == trained.steps and loaded.config == trained.config
    assert loaded.vocab == trained.vocab and loaded.dialogs == trained.dialogs
    assert (loaded.losses == trained.losses).all()
    turns = [
        (KNOCK, []),
        ("Pasta.", [KNOCK, WHO]),
        ("Walter.", [KNOCK, WHO]),
        ("Pasta who?", [KNOCK, WHO, "Pasta."]),
    ]
    assert loaded.replies(turns) == trained.replies(turns)
    # The optimizer state and batch order came back too: one more step is the same in both.
    again = Seq2SeqTrainer.load(path, device="cpu")
    assert loaded.step() == again.step()
    # Saving the same model twice gives the same bytes (the metadata is written in a fixed order).
    assert again.save(tmp_path / "a.safetensors").read_bytes() == loaded.save(tmp_path / "b").read_bytes()


def test_bad_files_give_one_line_errors(trained, tmp_path):
    good = trained.save(tmp_path / "good.safetensors").read_bytes()
    cases = {
        "truncated": good[: len(good) // 2],
        "pickle": pickle.dumps({"model": torch.zeros(3).tolist()}, protocol=4),
        "empty": b"",
        "another program": st_save({"w": torch.zeros(2)}, metadata={"format": "something-else"}),
        "language model": st_save({"w": torch.zeros(2)}, metadata={"format": FORMAT, "format_version": "1"}),
    }
    words = {
        "truncated": "truncated",
        "pickle": "pickle",
        "empty": "empty",
        "another program": "another program",
        "language model": "not an encoder-decoder",
    }
    for case, data in cases.items():
        path = tmp_path / f"{case.replace(' ', '_')}.safetensors"
        path.write_bytes(data)
        with pytest.raises(PlaygroundError) as info:
            Seq2SeqTrainer.load(path)
        message = str(info.value)
        assert "\n" not in message and words[case] in message, (case, message)
    with pytest.raises(PlaygroundError, match="no such model file"):
        Seq2SeqTrainer.load(tmp_path / "missing.safetensors")


def test_failed_save_keeps_the_old_file(trained, tmp_path):
    with pytest.raises(PlaygroundError, match="does not exist"):
        trained.save(tmp_path / "no" / "such" / "folder.safetensors")


def test_same_seed_same_losses_other_seed_other_losses():
    def losses(seed: int) -> list[float]:
        trainer = Seq2SeqTrainer(Seq2SeqConfig(hidden=32, embed=8, batch_size=8, seed=seed, device="cpu"))
        return [trainer.step() for _ in range(4)]

    rng_before = torch.get_rng_state()
    assert losses(0) == losses(0)
    assert losses(0) != losses(1)
    assert torch.equal(torch.get_rng_state(), rng_before)  # building a trainer leaves torch's RNG alone


def test_lstm_with_two_layers_trains_saves_and_loads(tmp_path):
    cfg = Seq2SeqConfig(cell="lstm", hidden=24, embed=8, layers=2, batch_size=4, device="cpu")
    dialogs = [[KNOCK, WHO, "Ada.", "Ada who?", "Ada lot!"], [KNOCK, WHO, "Al.", "Al who?", "Al be back!"]]
    trainer = Seq2SeqTrainer(cfg, dialogs=dialogs)
    assert isinstance(trainer.model, Seq2Seq) and isinstance(trainer.model.encoder, torch.nn.LSTM)
    assert len(trainer.train_pairs) == 4 and len(trainer.val_pairs) == 4
    trainer.train(3)
    loaded = Seq2SeqTrainer.load(trainer.save(tmp_path / "lstm.safetensors"))
    assert loaded.config.cell == "lstm" and loaded.steps == 3
    assert loaded.reply("Ada.", [KNOCK, WHO]) == trainer.reply("Ada.", [KNOCK, WHO])


def test_nan_loss_is_refused():
    trainer = Seq2SeqTrainer(Seq2SeqConfig(hidden=16, embed=8, batch_size=4, device="cpu"))
    trainer.step()
    with torch.no_grad():
        trainer.model.head.bias.fill_(float("nan"))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    loss = trainer.step()
    assert loss != loss  # NaN
    assert trainer.steps == 1 and len(trainer.losses) == 1
    assert "refused" in trainer.last_message and "NaN" in trainer.last_message
    for k, v in trainer.model.state_dict().items():
        assert torch.allclose(v, before[k], equal_nan=True), k


def test_user_mistakes_give_one_line_errors():
    trainer = Seq2SeqTrainer(Seq2SeqConfig(hidden=16, embed=8, device="cpu"))
    with pytest.raises(PlaygroundError, match="say something"):
        trainer.reply("   ")
    with pytest.raises(PlaygroundError, match="never saw"):
        trainer.reply("Knock, knöck!")
    with pytest.raises(PlaygroundError, match="temperature"):
        trainer.reply(KNOCK, temperature=-1)
    for bad in (dict(cell="transformer"), dict(hidden=0), dict(lr=0.0), dict(optimizer="lion")):
        with pytest.raises(PlaygroundError):
            Seq2SeqConfig(**bad).validate()
    with pytest.raises(PlaygroundError, match="unknown encoder-decoder settings"):
        Seq2SeqConfig.from_dict({"cell": "gru", "beam_width": 4})
    with pytest.raises(PlaygroundError, match="at least two dialogs"):
        Seq2SeqTrainer(Seq2SeqConfig(device="cpu"), dialogs=[[KNOCK, WHO]])
    with pytest.raises(PlaygroundError, match="reserves"):
        Seq2SeqTrainer(Seq2SeqConfig(device="cpu"), dialogs=[[KNOCK, WHO], [KNOCK, "A" + SEP]])
    with pytest.raises(PlaygroundError, match="vocabulary lacks"):
        Seq2SeqTrainer(Seq2SeqConfig(device="cpu"), dialogs=[[KNOCK, WHO], [KNOCK, "é"]], vocab=list("abc"))
    with pytest.raises(PlaygroundError, match="no turn with a reply"):
        Seq2SeqTrainer(Seq2SeqConfig(device="cpu"), dialogs=[[KNOCK], [KNOCK, WHO]])


def test_built_from_a_dialog_task_uses_its_vocabulary():
    from playground.core.data.dialogs import build_dialog_task

    dialogs = [[KNOCK, WHO, "Ada.", "Ada who?", "Ada lot!"], [KNOCK, WHO, "Al.", "Al who?", "Al be back!"]]
    task = build_dialog_task(dialogs, 0.5)
    trainer = Seq2SeqTrainer(Seq2SeqConfig(hidden=16, embed=8, device="cpu"), task=task)
    assert set(task.vocab) <= set(trainer.vocab) and trainer.dialogs == dialogs
    with pytest.raises(PlaygroundError, match="dialogs"):
        Seq2SeqTrainer(Seq2SeqConfig(device="cpu"), task=type("T", (), {"kind": "text"})())


def test_module_imports_no_qt():
    code = (
        "import sys, playground.core.train.seq2seq\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
