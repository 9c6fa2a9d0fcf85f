"""The training engine driven synchronously, without a window or a thread: typed commands in,
typed answers out, one job at a time, each job with its own random stream."""

from __future__ import annotations

import dataclasses
import time

import pytest
import torch

from playground.app import messages as m
from playground.app.engine import CompareJob, Engine, Seq2SeqJob, TrainJob
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 20


def session(arch: str = "lstm", dropout: float = 0.3, kind: str = "text") -> SessionConfig:
    data = DataConfig(kind=kind, source="inline", text=TEXT) if kind == "text" else DataConfig(kind=kind)
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=16, embed=8, layers=2, dropout=dropout),
        data=data,
        train=TrainConfig(batch_size=4, seq_len=16, lr=1e-2, val_every=0),
    )


class Recorder:
    def __init__(self) -> None:
        self.answers: list[m.Answer] = []

    def __call__(self, answer: m.Answer) -> None:
        self.answers.append(answer)

    def of(self, cls):
        return [a for a in self.answers if isinstance(a, cls)]


def new_engine(config: SessionConfig | None = None, generation: int = 1) -> tuple[Engine, Recorder]:
    rec = Recorder()
    engine = Engine(rec)
    engine.handle(m.Build(config or session(), generation))
    assert engine.trainer is not None, rec.of(m.Failed)
    return engine, rec


def weights(engine: Engine) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in engine.trainer.model.state_dict().items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def step(engine: Engine, n: int) -> None:
    engine.handle(m.Step(n))
    engine.run_until_idle()


def test_steps_are_deterministic_and_answers_carry_the_generation():
    a, rec_a = new_engine(generation=7)
    b, _ = new_engine(generation=7)
    step(a, 6)
    step(b, 6)
    assert a.trainer.steps == b.trainer.steps == 6
    assert same(weights(a), weights(b))  # dropout masks and batches come from the model's own stream
    assert rec_a.answers and all(x.generation == 7 for x in rec_a.answers)
    arrived = rec_a.of(m.ModelArrived)
    assert len(arrived) == 1 and arrived[0].how == "built"
    assert [p.state for p in rec_a.of(m.PlayState)] == ["stepping", "paused"]


def test_a_comparison_in_between_does_not_change_the_main_models_steps():
    """Step 3, compare, step 3 gives the same weights as step 6: the comparison draws from its own stream."""
    plain, _ = new_engine()
    step(plain, 6)

    e, rec = new_engine()
    step(e, 3)
    e.handle(m.Compare(session(), ("rnn", "gru"), 4))
    assert isinstance(e.job, CompareJob)
    e.run_until_idle()
    done = rec.of(m.Compared)[-1]
    assert not done.running and done.steps_taken == 4
    torch.manual_seed(12345)  # anything else touching torch's global generator changes nothing either
    torch.rand(10)
    step(e, 3)
    assert same(weights(e), weights(plain))


def test_undo_is_bit_exact_after_a_comparison():
    e, rec = new_engine()
    step(e, 2)
    before = weights(e)
    step(e, 1)
    after_one = weights(e)
    e.handle(m.Compare(session(), ("rnn", "lstm"), 3))
    e.run_until_idle()
    e.handle(m.Undo(1))
    assert e.trainer.steps == 2 and same(weights(e), before)
    assert rec.of(m.Undone)[-1].step == 2
    step(e, 1)  # the same step again: the same batch, the same dropout masks
    assert same(weights(e), after_one)


def test_play_during_a_comparison_is_refused_with_a_reason_and_never_interleaved():
    e, rec = new_engine()
    e.handle(m.Compare(session(), ("rnn", "gru"), 30))
    e.tick(0.0)  # one round at most
    e.handle(m.Play())
    e.handle(m.Step(3))
    refused = rec.of(m.JobRefused)
    assert len(refused) == 2 and "comparison is running" in refused[0].message
    assert "Play waits" in refused[0].message and "Step waits" in refused[1].message
    assert isinstance(e.job, CompareJob) and e.trainer.steps == 0
    e.run_until_idle()
    assert e.trainer.steps == 0  # the main model never took a step while the comparison ran
    assert e.job is None
    e.handle(m.Play())  # now it may
    assert isinstance(e.job, TrainJob) and e.play_state == "playing"
    e.tick(0.05)
    e.handle(m.Pause())
    assert e.job is None and e.trainer.steps > 0


def test_a_comparison_pauses_play_first():
    e, rec = new_engine()
    e.handle(m.Play())
    e.tick(0.02)
    e.handle(m.Compare(session(), ("rnn", "gru"), 2))
    assert isinstance(e.job, CompareJob)
    assert rec.of(m.PlayState)[-1].state == "paused"


def test_encoder_decoder_is_a_job_and_refused_for_other_data():
    e, rec = new_engine(session(kind="text", dropout=0.0))
    e.handle(m.TrainSeq2Seq(5))
    assert "knock-knock" in rec.of(m.Seq2SeqProgress)[-1].error and e.job is None
    kk = dataclasses.replace(session(dropout=0.0), data=DataConfig(kind="knock-knock"))
    e.handle(m.Build(kk, 2))
    e.handle(m.TrainSeq2Seq(5))
    assert isinstance(e.job, Seq2SeqJob)
    e.run_until_idle()
    last = rec.of(m.Seq2SeqProgress)[-1]
    assert last.done and last.steps == 5 and last.generation == 2


def test_interruption_ends_the_running_job():
    stop = {"now": False}
    rec = Recorder()
    e = Engine(rec, interrupted=lambda: stop["now"])
    e.handle(m.Build(session(), 1))
    e.handle(m.Play())
    e.tick(0.02)
    stop["now"] = True
    assert e.tick() is False and e.job is None
    assert rec.of(m.PlayState)[-1].state == "paused"


def test_predictions_are_typed_and_unknown_commands_are_errors():
    e, rec = new_engine()
    e.handle(m.Predict(m.NextChars("the ", 3)))
    answer = rec.of(m.Predicted)[-1]
    assert answer.error == "" and isinstance(answer.result, m.NextAnswer) and len(answer.result.next) == 3
    assert answer.result.request == answer.request == m.NextChars("the ", 3)
    e.handle(m.Predict(m.Forecast(5)))  # a text model cannot forecast: said in words
    failed = rec.of(m.Predicted)[-1]
    assert "not numbers" in failed.error and failed.result is None, failed
    with pytest.raises(TypeError):
        e.handle({"kind": "sample"})


def test_roll_back_goes_to_the_last_sane_state():
    e, rec = new_engine(session(dropout=0.0))
    step(e, 5)
    e.rescues.keep(e.trainer, e.main_random, 0.0)  # a healthy state, loss about where it is now
    sane_step = e.trainer.steps
    good = weights(e)
    step(e, 3)
    # the loss blows up: the newest kept copy is far worse than the best
    for _ in range(10):
        e.trainer.history.add(1e6)
    e.rescues.keep(e.trainer, e.main_random, 1.0)
    e.handle(m.RollBack())
    assert e.trainer.steps == sane_step and same(weights(e), good)
    assert rec.of(m.Undone)[-1].step == sane_step


def test_the_sane_copy_is_the_newest_near_the_best_loss_and_never_a_blown_up_one():
    """engine_undo.Rescues, on its own: what "roll back to the last sane loss" picks among the kept copies."""
    from playground.app.engine_undo import Rescues

    r = Rescues(keep=4)
    assert r.sane() is None and r.newest() is None
    r.kept.extend([("before", None), ("good", 2.0), ("better", 1.0), ("worse", 1.4)])
    assert r.sane() == "worse" and r.newest() == "worse"  # 1.4 is within SANE_FACTOR of the best 1.0
    r.kept.append(("blown", 10.0))  # the oldest ("before") falls out: four are kept
    assert len(r) == 4 and r.sane() == "worse" and r.newest() == "blown"
    r.kept.extend([("nan", float("nan")), ("inf", float("inf"))])
    assert r.sane() == "worse"  # (best of the four kept now: 1.4) a loss not finite is never sane
    r.kept.extend([("nan", float("nan"))] * 4)
    assert r.sane() is None  # nothing sane left: the roll-back says so instead
    r.kept.append(("fresh", None))
    assert r.sane() == "fresh"  # a copy taken before the first step: the model as built is sane
    r.clear()
    assert len(r) == 0 and r.t == 0.0


def test_a_slow_first_step_does_not_stall_the_probes():
    """The first step of a model is slow (lazy set-up). Counted as a probe's cost it once made the engine
    probe every 5 s instead of every 0.2-0.4 s, and the hidden-state plots stood still while training
    played. Only a probe's cost over a timed plain step counts."""
    from playground.app.jobs import PROBE_S, PROBE_SHARE

    engine, _ = new_engine()
    engine.time_step(0.3, probed=True)  # the first step, probed, before any plain step was timed
    assert engine.probe_s == 0.0 and engine.probe_every == PROBE_S
    engine.time_step(0.010, probed=False)
    engine.time_step(0.014, probed=True)
    assert engine.probe_every == PROBE_S  # 4 ms a probe: well within PROBE_SHARE at 5 a second
    for _ in range(3):
        engine.time_step(0.110, probed=True)  # probes of 100 ms: fewer, to stay within the share
    assert engine.probe_every == pytest.approx(engine.probe_s / PROBE_SHARE) and engine.probe_every > 1.0
    engine.handle(m.Play())
    # measured on the real model, probes come back to a few a second: within seconds (a busy
    # machine's slow steps take a few more probes to average out; 30 s is a wide margin)
    end = time.perf_counter() + 30.0
    while time.perf_counter() < end and engine.probe_every >= 1.0:
        engine.tick()
    engine.handle(m.Pause())
    assert engine.probe_every < 1.0


# -- failures answer the command that asked, and the model before them stays -------------------------


def missing_file_session(tmp_path) -> SessionConfig:
    return dataclasses.replace(
        session(), data=DataConfig(kind="text", source="file", path=str(tmp_path / "gone.txt"))
    )


def test_a_failed_build_answers_its_own_generation_and_keeps_the_model_before_it(tmp_path):
    """Reset asks for generation 2 and the window forgets model 1 at once; the build fails. The answer
    must carry 2 (an answer under 1 is dropped as stale and the window waits for ever), and model 1
    comes back under 2 with its history, so the window has a model to train again."""
    engine, rec = new_engine(generation=1)
    step(engine, 3)
    before = weights(engine)
    rec.answers.clear()
    engine.handle(m.Build(missing_file_session(tmp_path), 2))
    failed = rec.of(m.Failed)
    assert len(failed) == 1 and failed[0].generation == 2 and "gone.txt" in failed[0].message
    kept = rec.of(m.ModelArrived)
    assert len(kept) == 1 and kept[0].how == "kept" and kept[0].generation == 2
    assert kept[0].summary["steps"] == 3 and len(kept[0].history[0]) == 3
    assert rec.answers.index(kept[0]) < rec.answers.index(failed[0])  # the error is the last word
    rec.answers.clear()
    step(engine, 2)  # the kept model trains on, under the generation the window now accepts
    assert engine.trainer.steps == 5 and not same(weights(engine), before)
    assert rec.answers and all(a.generation == 2 for a in rec.answers)


def test_a_failed_first_build_says_so_under_its_generation():
    rec = Recorder()
    engine = Engine(rec)
    engine.handle(m.Build(dataclasses.replace(session(), data=DataConfig(kind="text", source="file", path="")), 1))
    assert engine.trainer is None and not rec.of(m.ModelArrived)
    assert [a.generation for a in rec.of(m.Failed)] == [1]


def test_a_failed_open_answers_its_own_generation_and_the_model_trains_on(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model at all")
    engine, rec = new_engine(generation=1)
    rec.answers.clear()
    engine.handle(m.Open(str(bad), 2))
    failed = rec.of(m.Failed)
    assert [a.generation for a in failed] == [2] and "bad.safetensors" in failed[0].message
    assert not rec.of(m.ModelArrived)  # the window never forgot model 1: nothing to bring back
    step(engine, 1)
    assert engine.trainer.steps == 1


def test_a_dropout_model_saved_mid_training_resumes_exactly_as_training_would_have_continued(tmp_path):
    """Save runs in the model's own random stream: the file holds the generator state that the next
    step's dropout masks come from. Continuing in the engine and continuing from the file must give
    the same weights, bit for bit (CPU)."""
    from playground.core.train import checkpoint

    engine, _ = new_engine(session(dropout=0.3), generation=1)
    step(engine, 3)
    torch.manual_seed(12345)  # the process's global stream is elsewhere: it must not reach the file
    path = tmp_path / "mid.safetensors"
    engine.handle(m.Save(str(path)))
    step(engine, 4)
    continued = weights(engine)

    rec = Recorder()
    reopened = Engine(rec)
    reopened.handle(m.Open(str(path), 1))
    assert reopened.trainer is not None, rec.of(m.Failed)
    assert reopened.trainer.steps == 3
    step(reopened, 4)
    assert same(weights(reopened), continued)
    assert checkpoint.read(path)  # a plain model file
