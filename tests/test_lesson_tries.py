"""What each card's check says after the card's own "Try this" (issue 29): a pass where the try shows
the lesson's contrast, a sentence on why where the run differs, and never a pass for a model that
has not trained or a gate average that keeps nothing.

Fast: fresh or briefly trained models and measured gradient norms. The same buttons pressed in the
window after the cards' full steps are tests/test_ui_lessons.py's ``lessons`` tests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from playground.core import lessons
from playground.core.lessons import LessonContext
from playground.core.lessons.claims import lesson_session
from playground.core.train.trainer import Trainer


def _trainer(preset: str, steps: int = 0, **model) -> Trainer:
    session = lesson_session(preset, 0)
    if model:
        session = dataclasses.replace(session, model=dataclasses.replace(session.model, **model))
    tr = Trainer(session)
    for _ in range(steps):
        tr.step()
    return tr


def test_a_fresh_lstm_keeps_nothing_from_the_key_though_its_forget_gate_averages_a_half():
    """Lesson 11's check reads what each unit keeps from the key to the question (the product of its
    gate), not the gate's mean: a fresh LSTM's f is near 0.5, and 0.5 over 21 steps keeps 5e-7."""
    tr = _trainer("lesson-memory")
    name, keeps, _key, steps = lessons.checks.gate_keeps(LessonContext(tr))
    assert name == "f" and steps == 21 and float(keeps.max()) < 0.01
    found = lessons.check("gates", LessonContext(tr))
    assert not found.passed and found.numbers["holding"] == 0
    assert "0 of 32 units keep more than half of their cell" in found.text and "Not yet" in found.text
    gru = lessons.check("gates", LessonContext(_trainer("lesson-memory", arch="gru")))
    assert not gru.passed and "of their state" in gru.text


def test_the_gates_check_asks_for_a_gated_model_and_the_memory_task():
    assert "LSTM's or a GRU's" in lessons.check("gates", LessonContext(_trainer("lesson-vanishing"))).text
    text_lstm = _trainer("lesson-unrolled", arch="lstm")
    assert "memory task" in lessons.check("gates", LessonContext(text_lstm)).text


@pytest.mark.parametrize("lesson_id", ["long-context", "vanishing", "bidirectional"])
def test_a_model_at_chance_before_training_is_not_a_pass(lesson_id):
    """The vanilla RNN at chance is the lesson's point only after it has had the card's steps to
    learn: a fresh one asks for them."""
    preset = {"long-context": "lesson-memory", "vanishing": "lesson-vanishing", "bidirectional": "lesson-bidirectional"}
    model = {"long-context": {"arch": "rnn"}, "vanishing": {}, "bidirectional": {"bidirectional": False}}
    tr = _trainer(preset[lesson_id], steps=2, **model[lesson_id])
    found = lessons.check(lesson_id, LessonContext(tr))
    assert not found.passed and "Train first" in found.text and "2 so far" in found.text


def _grads(before, after=None, refused=0, tr=None) -> LessonContext:
    b = np.asarray(before, dtype=np.float64)
    return LessonContext(tr, b, np.asarray(after if after is not None else b, dtype=np.float64), refused)


def test_lesson_10_without_clipping_passes_on_a_blow_up_and_explains_a_calm_run():
    tr = _trainer("lesson-clipping", steps=12)
    tr.update_train(clip="off")
    blown = lessons.check("clipping", _grads([2.0] * 20, refused=5, tr=tr))
    assert blown.passed and "5 steps went NaN" in blown.text and "clipping is what kept" in blown.text
    spiky = lessons.check("clipping", _grads([2.0] * 19 + [400.0], tr=tr))
    assert spiky.passed and "200× its median" in spiky.text
    calm = lessons.check("clipping", _grads([2.0] * 19 + [60.0], tr=tr))  # measured: peak 67, 30× (seed 2)
    assert not calm.passed and "lesson 7" in calm.differs and calm.differs.count(".") == 1


def test_lesson_7_after_clip_at_norm_1_passes_when_calm_and_explains_nan():
    tr = _trainer("lesson-exploding")
    tr.update_train(clip="norm", clip_value=1.0)
    for _ in range(12):
        tr.step()
    spikes = [3.0] * 19 + [900.0]
    calm = lessons.check("exploding", _grads(spikes, [1.0] * 20, tr=tr))
    assert calm.passed and "Clipped at norm 1" in calm.text and "300× its median" in calm.text
    nan = lessons.check("exploding", _grads(spikes, [1.0] * 20, refused=3, tr=tr))
    assert not nan.passed and "Set it up" in nan.differs


def test_one_direction_lstm_differs_for_its_gates_not_a_bare_not_yet():
    tr = _trainer("lesson-bidirectional", steps=2, arch="lstm", bidirectional=False)
    found = lessons.check("bidirectional", LessonContext(tr))
    assert found.passed is False and "lesson 11" in found.differs and found.differs.count(".") == 1


def test_every_card_action_is_one_the_window_knows():
    """Each card's Try this and its more buttons: a verb ui/lesson_actions.py handles, a preset that
    exists, model settings its preset's model accepts."""
    from playground.core.config import ModelConfig
    from playground.core.presets import PRESETS

    verbs = {"compare", "arch", "init", "activation", "bidirectional", "fix", "clip", "restart", "data",
             "forecast", "step", "model", "preset", "sweep", "ablate", "transplant"}  # fmt: skip
    seen = 0
    for card in lessons.LESSONS:
        for label, action in ((card.try_label, card.try_action), *card.more):
            verb, _, arg = action.partition(":")
            assert label and verb in verbs, (card.id, action)
            if verb == "preset":
                assert arg in PRESETS, (card.id, arg)
            if verb == "sweep":  # archs:gaps, on the lesson-window preset
                archs, _, gaps = arg.partition(":")
                assert set(archs.split(",")) <= {"rnn", "lstm", "gru", "mlp"} and all(
                    g.strip().isdigit() for g in gaps.split(",")
                ), arg
                assert "lesson-window" in PRESETS
            if verb == "ablate":  # a track the Neurons tab ranks by
                from playground.core.inspect.neurons import check_track

                check_track(arg)
            if verb == "transplant":  # SOURCE|TARGET, both texts the model's data can spell
                source, bar, target = arg.partition("|")
                assert bar and source and target, (card.id, arg)
            if verb == "model":
                changes = dict(pair.split("=") for pair in arg.split(","))
                typed = {k: int(v) if v.isdigit() else v for k, v in changes.items()}
                base = PRESETS[card.preset][1].model
                assert isinstance(dataclasses.replace(base, **typed).validate(), ModelConfig)
            seen += 1
    assert seen >= 16 + 5  # lesson 2's 128 units, lesson 3's sweep, lesson 14's three other uses


def test_lesson_14_checks_the_use_that_is_set_up():
    """The card's four uses each get their own measure: a fresh model of each preset is measured
    (and, untrained, does not pass), in words that name the use."""
    from playground.core.presets import PRESETS

    words = {"anomalies": "Anomaly detection", "prices": "A price forecast", "text": "Autocomplete",
             "knock-knock": "A joke partner"}  # fmt: skip
    for preset, word in words.items():
        session = PRESETS[preset][1]
        if preset in ("text", "knock-knock"):
            session = dataclasses.replace(session, model=dataclasses.replace(session.model, hidden=16))
        found = lessons.check("uses", LessonContext(Trainer(session)))
        assert found.text.startswith(word), (preset, found.text)
        assert not found.passed, (preset, found.text)  # a fresh anomaly model flags spikes too: no pass
