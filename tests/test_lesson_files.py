"""Lesson files (core/lessons/files.py): the built-in lessons are TOML files read by the one loader a
teacher's lesson uses; a teacher's file is read whole and checked key by key; each mistake is one line naming
the line and the key. The window test is tests/test_ui_lesson_files.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cli_helpers import assert_error, cli

from playground.core.errors import PlaygroundError
from playground.core.lessons import CHECKS, LESSONS, LessonContext, check, setup_of
from playground.core.lessons.files import BUILTIN_CHECKS, read_lesson, read_lesson_file
from playground.core.paths import resources_dir

TEACHER = """# A teacher's lesson, written for this test
id = "gru-memory"
title = "A GRU remembers a key"
text = "The memory task puts a key at the start and asks for it after ten digits."
watch = "The loss falls from chance (ln 8) towards zero."

[setup]
preset = "lesson-memory"
view = "training"
outline = "loss"
steps = 200

[setup.model]
arch = "gru"
hidden = 32

[setup.data]
gap = 10

[try]
label = "Switch to a vanilla RNN"
action = "arch:rnn"

[check]
quantity = "train_loss"
below = 1.9
passed = "The training loss is {value}, below chance (2.08): it is learning the key."
not_yet = "The training loss is {value}: not below 1.9 yet."

[question]
text = "After 200 steps, will the loss be below 1.9?"

[[question.choices]]
key = "yes"
label = "Yes"
when = "holds"

[[question.choices]]
key = "no"
label = "No"
when = "not"
"""


# lessons 17-19, built-in cards judged by a measured quantity (the question in the file): the quantity
CLASSICS = {"adding": "solved_fraction", "temporal-order": "solved_fraction", "copy": "copied_share"}


def test_the_built_in_lessons_are_lesson_files():
    files = sorted((resources_dir() / "lessons").glob("*.toml"))
    assert len(files) == len(LESSONS) == 19
    assert [x.number for x in LESSONS] == list(range(1, 20))
    assert tuple(CHECKS) == BUILTIN_CHECKS  # the names a file may give as [check] builtin
    for path, card in zip(files, LESSONS, strict=True):
        assert path.name == f"{card.number:02d}-{card.id}.toml" and card.source == path.name
        if card.id in CLASSICS:  # judged by a quantity the app measures, the question in the file
            assert card.check.quantity == CLASSICS[card.id] and card.question is not None and card.builtin
        else:
            assert (
                card.check.builtin == card.id
                and not card.check.quantity
                and card.question is None
                and card.builtin
            )
        again = read_lesson(path.read_text(encoding="utf-8"), path.name)
        assert again == dataclasses.replace(card, builtin=False)  # (the flag is the loader's, not the file's)


def test_a_teachers_lesson_sets_up_its_own_settings_over_the_preset(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(TEACHER, encoding="utf-8")
    card = read_lesson_file(path, number=15)
    assert (card.id, card.number, card.steps, card.source) == ("gru-memory", 15, 200, "mine.toml")
    session = setup_of(card)
    assert session.model.arch == "gru" and session.model.hidden == 32 and session.data.gap == 10
    assert session.data.kind == "memory"  # the rest is the preset's
    assert card.question is not None and [c.key for c in card.question.choices] == ["yes", "no"]


def test_a_measured_check_says_its_sentence_with_the_value():
    from playground.core.train.trainer import Trainer

    card = read_lesson(TEACHER, "mine.toml", 15)
    tr = Trainer(setup_of(card), device="cpu")
    for _ in range(3):
        tr.step()
    found = check(card.id, LessonContext(tr), card)
    loss = found.numbers["train_loss"]
    assert not found.passed and found.text == f"The training loss is {loss:.4g}: not below 1.9 yet."
    easy = read_lesson(TEACHER.replace("below = 1.9", "below = 100"), "easy.toml", 15)
    found = check(easy.id, LessonContext(tr), easy)
    assert found.passed and found.text.startswith(f"The training loss is {loss:.4g}, below chance")


def swap(old: str, new: str) -> str:
    assert old in TEACHER, old
    return TEACHER.replace(old, new, 1)


BROKEN = [  # (the file's text, the line it must name, words the message must hold)
    (swap('id = "gru-memory"\n', ""), 0, ("missing the key 'id'",)),
    (swap("steps = 200", 'steps = "ten"'), 11, ("[setup] steps", "whole number")),
    (
        swap('quantity = "train_loss"', 'quantity = "happiness"'),
        25,
        ("[check] quantity", "unknown quantity 'happiness'"),
    ),
    (swap("below = 1.9", "below = -5"), 26, ("[check] below", "can never decide")),
    (TEACHER + "\nthis is not toml\n", 0, ("not a valid TOML file", "line 43")),
    (swap('title = "A GRU remembers a key"', "title = 12"), 3, ("title", "must be text")),
    (swap('preset = "lesson-memory"', 'preset = "nonsense"'), 8, ("[setup] preset", "unknown preset")),
    (swap('view = "training"', 'view = "kitchen"'), 9, ("[setup] view", "unknown view")),
    (swap('outline = "loss"', 'outline = "everything"'), 10, ("[setup] outline", "unknown part")),
    (swap('action = "arch:rnn"', 'action = "delete:everything"'), 22, ("[try] action", "unknown action")),
    (swap('id = "gru-memory"', 'id = "GRU Memory!"'), 2, ("id", "lower-case")),
    (swap("hidden = 32", "hidden = -1"), 15, ("[setup.model] hidden",)),
    (swap("hidden = 32", "colour = 3"), 15, ("[setup.model] colour", "unknown key")),
    (swap('key = "no"', 'key = "yes"'), 0, ("[question] choices", "same key")),
    (swap('when = "not"', 'when = "holds"'), 0, ("[question] choices", "one choice must be")),
    (swap("{value}: not below", "{score}: not below"), 28, ("[check] not_yet", "{value}")),
    (
        swap('quantity = "train_loss"\nbelow = 1.9', 'quantity = "train_loss"\nbelow = 1.9\nabove = 0.5'),
        0,
        ("exactly one threshold",),
    ),
    (swap("steps = 200", "steps = 200\nseeds = [0, 1]"), 12, ("[setup] seeds", "built-in checks only")),
    (swap("[check]\n", '[check]\nbuiltin = "nonsense"\n'), 25, ("[check] builtin", "unknown built-in check")),
    (swap('text = "The memory', 'mood = "calm"\ntext = "The memory'), 4, ("mood", "unknown key")),
]


@pytest.mark.parametrize("text,line,words", BROKEN, ids=[f"broken-{i}" for i in range(len(BROKEN))])
def test_each_mistake_is_one_line_naming_the_line_and_the_key(text, line, words):
    with pytest.raises(PlaygroundError) as e:
        read_lesson(text, "mine.toml", 15)
    message = str(e.value)
    assert "\n" not in message and message.startswith("mine.toml")
    if line:
        assert f"mine.toml line {line}:" in message, message
    for word in words:
        assert word in message, (word, message)


def test_a_file_too_big_or_not_text_is_refused_in_one_line(tmp_path, capsys):
    big = tmp_path / "big.toml"
    big.write_text(TEACHER + "#" * 10_000_000, encoding="utf-8")
    assert_error(capsys, "lessons", "--file", big, words=("big.toml", "lesson file"))
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00" * 50)
    assert_error(capsys, "lessons", "--file", binary, words=("bin.toml",))
    assert_error(capsys, "lessons", "--file", tmp_path / "none.toml", words=("none.toml",))


def test_lessons_file_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text(TEACHER, encoding="utf-8")
    code, out, err = cli(capsys, "lessons", "--file", path)
    assert code == 0, err
    assert "lesson 20, 'A GRU remembers a key' (id gru-memory)" in out  # after the highest built-in, 19
    assert (
        "preset lesson-memory with model: arch=gru, hidden=32; data: gap=10" in out
        and "train 200 steps" in out
    )
    assert "check: train_loss < 1.9" in out and "asks first:" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(swap("below = 1.9", "below = -5"), encoding="utf-8")
    assert_error(capsys, "lessons", "--file", bad, words=("bad.toml line 26:", "[check] below"))


def test_the_example_in_the_docs_is_a_valid_lesson():
    docs = Path(__file__).resolve().parents[1] / "docs" / "lessons.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    card = read_lesson(example, "example.toml", 15)
    assert card.check.quantity and card.question is not None
