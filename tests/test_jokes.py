"""Made-up knock-knock jokes (issue 11): data that teaches copying the name, the held-out names kept out
of it, and the setting that turns it off."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from cli_helpers import assert_error, cli_json

from playground.core import paths
from playground.core.config import DataConfig, SessionConfig
from playground.core.data import build_task
from playground.core.data.dialogs import encode_turns, read_dialog_file
from playground.core.data.jokes import WORDS, could_generate, made_up_jokes
from playground.core.errors import PlaygroundError

HELD_OUT = Path(__file__).parent / "data" / "held_out_names.txt"


def held_out_names() -> list[str]:
    """Names and words written for testing only (tests/data/held_out_names.txt)."""
    return [line.strip() for line in HELD_OUT.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_the_held_out_names_are_nowhere_the_model_learns_from():
    names = held_out_names()
    assert len(names) >= 50 and len(set(names)) == len(names)
    corpus = paths.bundled_dialogs().read_text().lower()
    made_up = "".join(encode_turns(j) for j in made_up_jokes(DataConfig().made_up_jokes, DataConfig().seed)).lower()
    for name in names:
        assert name.lower() not in corpus, name
        assert name not in WORDS, name
        assert not could_generate(name), name  # not a name the syllables make
        assert f"{name.lower()}." not in made_up, name  # and not among the jokes made with the default seed


def test_made_up_jokes_follow_the_bundled_turns_and_end_with_a_laugh():
    jokes = made_up_jokes(200, seed=3)
    assert jokes == made_up_jokes(200, seed=3) and jokes != made_up_jokes(200, seed=4)
    for turns in jokes:
        assert len(turns) == 6
        knock, who, name_turn, name_who, punchline, laugh = turns
        assert (knock, who) == ("Knock, knock!", "Who's there?")
        name = name_turn.rstrip(".!?")
        assert name and name_turn[len(name) :] in ("", ".", "!", "?")
        assert name_who == f"{name} who?" and name in punchline
        assert laugh.startswith("Ha")
    names = {t[2] for t in jokes}
    assert len(names) > 150  # mostly different names


def test_made_up_names_are_typed_as_people_type_them_and_copied_as_typed():
    """With a period or without, "!" or "?", as written, in lower case or in capitals: each form is
    in the data often enough to learn, and the answer always repeats the name as typed."""
    turns = [j[2:4] for j in made_up_jokes(4000, seed=0)]
    endings = Counter(t[len(t.rstrip(".!?")) :] for t, _ in turns)
    assert set(endings) == {"", ".", "!", "?"} and min(endings.values()) >= 0.05 * len(turns)
    assert endings["."] == max(endings.values())  # most as in the bundled jokes
    names = [t.rstrip(".!?") for t, _ in turns]
    lower = sum(n.islower() for n in names)
    upper = sum(n.isupper() and len(n) > 1 for n in names)
    assert lower >= 0.1 * len(turns) and upper >= 0.04 * len(turns)
    assert all(answer == f"{n} who?" for n, (_, answer) in zip(names, turns))


def test_the_bundled_jokes_stay_the_held_out_set():
    task = build_task(DataConfig(kind="knock-knock"))
    bundled = read_dialog_file(str(paths.bundled_dialogs()))
    assert task.dialogs == bundled and len(task.made_up) == DataConfig().made_up_jokes
    n_val = max(1, round(len(bundled) * DataConfig().val_fraction))
    assert task.decode(task.val_ids) == "".join(encode_turns(d) for d in bundled[-n_val:])
    train = task.decode(task.train_ids)
    assert all(encode_turns(j) in train for j in task.made_up[:50])
    assert all(encode_turns(d) in train for d in bundled[:-n_val])
    off = build_task(DataConfig(kind="knock-knock", made_up_jokes=0))
    assert off.made_up == [] and off.decode(off.train_ids) == "".join(encode_turns(d) for d in bundled[:-n_val])
    # your own dialogs are never mixed with made-up jokes
    mine = build_task(DataConfig(kind="knock-knock", source="inline", text="Hi.\nHello.\n\nBye.\nSee you."))
    assert mine.made_up == []


def test_a_model_file_from_before_the_made_up_jokes_reopens_with_them_off():
    old = SessionConfig(data=DataConfig(kind="knock-knock")).to_dict()
    old["version"] = 1
    del old["data"]["made_up_jokes"]
    assert SessionConfig.from_dict(old).data.made_up_jokes == 0
    assert SessionConfig.from_dict(SessionConfig().to_dict()).data.made_up_jokes == DataConfig().made_up_jokes


@pytest.mark.parametrize("bad", [-1, 10**9, 2.5, True])
def test_the_count_is_bounded(bad):
    with pytest.raises(PlaygroundError, match="made-up jokes"):
        DataConfig(kind="knock-knock", made_up_jokes=bad).validate()


def test_the_command_line_sets_it_and_refuses_it_elsewhere(capsys, tmp_path):
    out = cli_json(capsys, "train", "--data", "knock-knock", "--made-up-jokes", "0", "--hidden", "16", "--steps", "2")
    assert out["steps"] == 2
    assert_error(capsys, "train", "--data", "text", "--made-up-jokes", "10", "--steps", "1",
                 words=("--made-up-jokes", "--data knock-knock"))
    assert_error(capsys, "train", "--data", "knock-knock", "--made-up-jokes", "-5", "--steps", "1", words=("made-up jokes",))


def test_the_data_panel_shows_and_turns_off_the_made_up_jokes(qtbot):
    from playground.ui.panels.data_panel import DataPanel

    panel = DataPanel(DataConfig(kind="knock-knock"))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: "made-up jokes" in panel.preview_box.summary_label.text(), timeout=10_000)
    assert "3,000 made-up jokes" in panel.preview_box.summary_label.text()
    assert panel.made_up_spin.isVisibleTo(panel) and panel.made_up_spin.toolTip()
    panel.made_up_spin.setValue(0)
    qtbot.waitUntil(lambda: "no made-up jokes" in panel.preview_box.summary_label.text(), timeout=10_000)
    assert panel.config().made_up_jokes == 0
    combo = panel.kind_combo
    combo.setCurrentIndex(combo.findData("text"))
    assert not panel.made_up_spin.isVisibleTo(panel)


@pytest.mark.lessons
def test_the_language_model_ends_a_joke_with_a_laugh_only_when_taught_to():
    """The first-run LSTM, 2,000 steps: after a punchline it has never seen, the one trained with the
    made-up jokes laughs (they end with the listener's laugh); the one trained on the bundled jokes
    alone never saw a sixth turn and does not."""
    import dataclasses

    from playground.core import inference
    from playground.core.presets import default_session
    from playground.core.train.trainer import Trainer

    history = ["Knock, knock!", "Who's there?", "Gertrude.", "Gertrude who?"]
    punchlines = ["Gertrude and I baked you a pie!", "Gertrude is my name, can I come in?", "Gertrude, your neighbour!"]
    replies = {}
    for made_up in (3000, 0):
        session = default_session()
        session = dataclasses.replace(session, data=dataclasses.replace(session.data, made_up_jokes=made_up))
        tr = Trainer(session)
        for _ in range(2000):
            tr.step()
        replies[made_up] = [inference.reply(tr.model, tr.task, p, history) for p in punchlines]
    assert all(r.startswith("Ha") for r in replies[3000]), replies
    assert not any(r.startswith("Ha") for r in replies[0]), replies
