"""The engine's side jobs: a lesson over seeds, a comparison, the frontier grid, the encoder-decoder.

Each starts a job of playground.app.jobs beside the main model, which waits (paused, never changed);
one job runs at a time and a side job asked for while another runs is refused with the reason.
:class:`~playground.app.engine.Engine` dispatches the commands here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.app import messages as m
from playground.app import questions
from playground.app.jobs import CompareJob, FrontierJob, RandomState, SeedsJob, Seq2SeqJob, TrainJob
from playground.core.errors import error_text

if TYPE_CHECKING:
    from playground.app.engine import Engine


def run_seeds(e: Engine, cmd: m.RunSeeds) -> None:
    if e.job is not None and not isinstance(e.job, TrainJob):
        e.refuse_if_busy("Running the lesson over seeds")
        return
    e.pause_training()
    try:
        job = SeedsJob(e, cmd.lesson, tuple(cmd.seeds))
    except Exception as exc:
        e.fail(exc)
        return
    e.answer(m.SeedSpread(e.generation, cmd.lesson, 0, len(cmd.seeds), "starting"))
    e.start_job(job)


def compare(e: Engine, cmd: m.Compare) -> None:
    if e.job is not None and not isinstance(e.job, (TrainJob, CompareJob)):
        e.refuse_if_busy("The comparison")
        return
    e.pause_training()  # the main model waits; it is not changed
    if isinstance(e.job, CompareJob):
        e.job.stop()
        e.job = None
    try:
        job = CompareJob(e, cmd)
    except Exception as exc:
        e.fail(exc)
        e.answer(m.Compared(e.generation, running=False, error=error_text(exc)))
        return
    e.compare_job = job
    e.compare_random = job.random
    e.start_job(job)
    job.emit(running=True)


def frontier(e: Engine, cmd: m.RunFrontier) -> None:
    if e.job is not None and not isinstance(e.job, TrainJob):  # said under the grid, which waits
        why = f"The frontier waits: the {e.job.name} is running. Stop it, or wait until it is done."
        e.answer(m.FrontierProgress(e.generation, running=False, error=why))
        return
    e.pause_training()  # the main model waits; it is not changed
    try:
        job = FrontierJob(e, cmd)
    except Exception as exc:
        e.answer(m.FrontierProgress(e.generation, running=False, error=error_text(exc)))
        return
    e.frontier_job = job  # its finished cells' runs stay openable after it ends
    e.start_job(job)
    job.emit(running=True)


def open_frontier_cell(e: Engine, cmd: m.OpenFrontierCell) -> None:
    """A finished cell's kept run becomes the model in training (it is handed over: a cell opens once)."""
    job = e.frontier_job
    where = f"{cmd.arch} at T = {cmd.length}"
    if job is None or (cmd.arch, cmd.length) not in job.runs:
        e.fail(f"the frontier has no finished run of {where} to open: run the frontier first")
        return
    if job.runs[cmd.arch, cmd.length] is None:
        e.fail(f"the run of {where} was opened already: run the frontier again to open it anew")
        return
    trainer = job.runs[cmd.arch, cmd.length]
    job.runs[cmd.arch, cmd.length] = None
    random = RandomState()
    random.cpu = job.random.cpu
    e.pause_training()
    trainer.recorder = None  # its past is the frontier's: no session records it
    e.install(trainer, cmd.generation, random)  # (a frontier still running stops)
    e.answer(m.ModelArrived(e.generation, "frontier", e.summary(), None, e.history()))
    e.probe_now()
    e.send_reach_context()


def inspect_compared(e: Engine, cmd: m.InspectCompared) -> None:
    """A held-out example a compared model answers wrong, looked into (between the comparison's
    slices); the model's training and random stream are left as they were."""
    job = e.compare_job
    cmp = None if job is None else job.comparison_at(cmd.gap)
    with RandomState().active():
        e.answer(questions.compared_example(cmp, cmd, e.generation))


def train_seq2seq(e: Engine, steps: int) -> None:
    tr = e.trainer
    from playground.core.train.seq2seq import Seq2SeqConfig, Seq2SeqTrainer

    if tr is None or not tr.task.spec.supports_seq2seq:
        e.answer(
            m.Seq2SeqProgress(
                e.generation,
                error="the encoder-decoder answers knock-knock dialogs: choose them first",
            )
        )
        return
    if e.job is not None and not isinstance(e.job, (TrainJob, Seq2SeqJob)):
        e.refuse_if_busy("Training the encoder-decoder")
        return
    e.pause_training()  # the main model waits
    try:
        if e.seq2seq is None or e.s2s_task is not tr.task:
            with e.s2s_random.active():
                e.seq2seq = Seq2SeqTrainer(Seq2SeqConfig(seed=tr.session.train.seed), task=tr.task)
            e.s2s_task = tr.task
    except Exception as exc:
        e.answer(m.Seq2SeqProgress(e.generation, error=error_text(exc)))
        return
    e.start_job(Seq2SeqJob(e, steps))
