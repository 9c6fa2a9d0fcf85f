"""The thread policy (core/train/threads.py): torch's thread count chosen by measuring steps, re-checked.

Most tests drive the tuner with a simulated machine (a step's time as a function of the thread count
and of the load at that moment) and a simulated clock, so they say exactly when it must switch."""

from __future__ import annotations

import pytest

from playground.core.train import device, threads
from playground.core.train.threads import MAX_RECHECK_S, RECHECK_S, ThreadTuner, candidates


class Machine:
    """Two cores. Quiet: a step takes 20 ms on two threads, 30 ms on one. Busy (two other programs):
    30 ms on one thread, 250 ms on two (one thread waits for a core someone else holds)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.busy = False
        self.threads = 0
        self.sets: list[int] = []

    def set_threads(self, n: int) -> None:
        self.threads = n
        self.sets.append(n)

    def step(self) -> float:
        on_two = 0.250 if self.busy else 0.020
        took = 0.030 if self.threads == 1 else on_two
        self.now += took
        return took

    def tuner(self, counts=(2, 1), **kw) -> ThreadTuner:
        return ThreadTuner(counts, self.set_threads, clock=lambda: self.now, **kw)

    def train(self, tuner: ThreadTuner, steps: int) -> list[int]:
        """The thread count each step ran with."""
        used = []
        for _ in range(steps):
            used.append(self.threads)
            tuner.step_took(self.step())
        return used


def test_candidates_are_one_the_most_and_halves_between():
    assert candidates(1) == (1,)
    assert candidates(2) == (2, 1)
    assert candidates(7) == (7, 3, 1)
    assert candidates(16) == (16, 8, 4, 2, 1)


def test_on_a_quiet_machine_it_keeps_every_core():
    m = Machine()
    t = m.tuner()
    assert m.sets == [1]  # it starts on one thread, never far from the best
    used = m.train(t, 400)
    assert t.trials >= 1
    assert t.current == 2 and m.threads == 2
    # the warm-up and each trial cost half a second on one thread (about 17 steps here); the rest is on two
    per_trial = max(threads.TRIAL_STEPS, threads.TRIAL_S / 0.030) + 2
    assert used.count(1) <= threads.WARMUP + 1 + per_trial * t.trials
    assert used[-50:] == [2] * 50


def test_on_a_busy_machine_it_drops_to_one_thread_within_the_first_trial():
    m = Machine()
    m.busy = True
    t = m.tuner()
    used = m.train(t, 60)
    assert t.trials >= 1 and t.current == 1
    # one thread from the start; two only for the steps that show they are worse (two, then abandoned)
    assert used.count(2) <= 3 * t.trials
    chosen, means = t.history[0]
    assert chosen == 1 and means[2] > 5 * means[1]


def test_when_other_programs_start_it_notices_before_the_next_planned_recheck():
    m = Machine()
    t = m.tuner()
    m.train(t, 60)
    assert t.current == 2
    planned = t._next_trial
    m.busy = True  # a browser and a build start
    start = m.now
    used = m.train(t, 40)
    assert t.current == 1
    switched_after = used.index(1)
    assert used[switched_after:] == [1] * (40 - switched_after)
    # RECENT_S of slow steps reveal it, then one trial: well before the planned re-check (15 s away)
    assert switched_after <= threads.RECENT_S / 0.25 + 1 + threads.TRIAL_STEPS + 2
    assert m.now - start < planned - start


def test_when_the_machine_quiets_down_it_goes_back_to_every_core_at_the_next_recheck():
    m = Machine()
    m.busy = True
    t = m.tuner()
    m.train(t, 30)
    assert t.current == 1
    m.busy = False
    steps_to_recheck = int(t.recheck_s / 0.030) + threads.TRIAL_STEPS * 2 + 10
    m.train(t, steps_to_recheck)
    assert t.current == 2


def test_a_steady_answer_rechecks_less_and_less_often_up_to_a_ceiling():
    m = Machine()
    t = m.tuner()
    waits = []
    for _ in range(7):
        trials = t.trials
        while t.trials == trials:
            t.step_took(m.step())
        waits.append(t.recheck_s)
    assert waits[0] == RECHECK_S  # the first answer is new
    assert waits[1] == 2 * RECHECK_S and waits[2] == 4 * RECHECK_S
    assert max(waits) == MAX_RECHECK_S and waits[-1] == MAX_RECHECK_S


def test_rare_long_stalls_count_as_what_they_cost():
    """Two threads on a busy machine: most steps as fast as one thread's, but one in five stalls for
    half a second (a thread descheduled while the other waits). The mean sees it, the training speed
    feels it; a median would not, and would keep two threads."""
    stalls = iter(range(10_000))

    class Stalling(Machine):
        def step(self) -> float:
            took = 0.020 if self.threads == 2 and next(stalls) % 5 else (0.5 if self.threads == 2 else 0.030)
            self.now += took
            return took

    m = Stalling()
    t = m.tuner()
    m.train(t, 80)
    assert t.current == 1
    chosen, means = t.history[0]
    assert chosen == 1 and means[2] > 2 * means[1]


def test_steps_that_do_more_than_a_step_are_not_measured():
    m = Machine()
    t = m.tuner()
    m.train(t, 60)
    recent = list(t._recent)
    for _ in range(50):  # probes and validations, each ten times a step
        t.step_took(0.2, comparable=False)
    assert list(t._recent) == recent and not t.in_trial and t.current == 2


def test_nothing_to_choose_means_no_trials():
    m = Machine()
    t = m.tuner(counts=(1,))
    m.train(t, 100)
    assert not t.enabled and t.trials == 0 and m.sets == [1]


def test_the_step_after_a_switch_is_not_measured():
    """The first step on a new count pays for waking threads: it must not decide the trial."""
    m = Machine()
    t = m.tuner(trial_s=0.0)  # trials of TRIAL_STEPS steps, however short
    for took in [0.03] * threads.WARMUP + [0.03] * (threads.TRIAL_STEPS + 1):
        t.step_took(took)
    assert t.in_trial and t.current == 2  # one thread measured, now trying two
    t.step_took(5.0)  # settling: ignored (it would otherwise be abandoned as clearly worse)
    for _ in range(threads.TRIAL_STEPS):
        t.step_took(0.02)
    seen = t.history[-1][1]
    assert seen == {1: pytest.approx(0.03), 2: pytest.approx(0.02)}
    assert t.current == 2


@pytest.mark.parametrize(("cores", "same_process", "window", "most"), [
    (2, False, True, 2), (2, True, True, 1), (8, False, True, 7), (8, False, False, 8), (1, False, False, 1),
])  # fmt: skip
def test_share_the_cpu_gives_a_tuner_over_the_cores_it_may_use(
    monkeypatch, cores, same_process, window, most
):
    monkeypatch.setattr(device.os, "cpu_count", lambda: cores)
    monkeypatch.delenv("RNN_PLAYGROUND_TORCH_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(device.sys, "setswitchinterval", lambda s: None)
    seen: list[int] = []
    monkeypatch.setattr(device.torch, "set_num_threads", seen.append)
    tuner = device.share_the_cpu(same_process=same_process, beside_window=window)
    assert seen[0] == 1  # one thread until the tuner has measured more
    if most == 1:
        assert tuner is None
    else:
        assert tuner is not None and tuner.counts == candidates(most)
    monkeypatch.setenv("RNN_PLAYGROUND_TORCH_THREADS", "3")  # measuring the policy fixes the count
    assert device.share_the_cpu(same_process=same_process, beside_window=window) is None
    assert seen[-1] == 3


def test_a_users_omp_num_threads_caps_the_most(monkeypatch):
    monkeypatch.setattr(device.os, "cpu_count", lambda: 8)
    monkeypatch.delenv("RNN_PLAYGROUND_TORCH_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    seen: list[int] = []
    monkeypatch.setattr(device.torch, "set_num_threads", seen.append)
    tuner = device.share_the_cpu(same_process=False, beside_window=False)
    assert tuner is not None and tuner.counts == (2, 1) and seen == [1]


def test_the_command_line_reports_the_threads_it_trained_with(capsys, tmp_path, monkeypatch):
    import torch
    from cli_helpers import cli_json

    monkeypatch.delenv("RNN_PLAYGROUND_TORCH_THREADS", raising=False)
    before = torch.get_num_threads()
    got = cli_json(capsys, "train", "--data", "knock-knock", "--seconds", 3, "--quiet", "--hidden", 16)
    assert got["threads"] in candidates(device.os.cpu_count() or 1)
    assert got["thread_trials"] + got["thread_trials_skipped"] >= 1  # (skipped: no core free for two)
    assert torch.get_num_threads() == before  # run in-process, it leaves the count as it found it
    monkeypatch.setenv("RNN_PLAYGROUND_TORCH_THREADS", "1")
    got = cli_json(capsys, "train", "--data", "knock-knock", "--steps", 5, "--quiet", "--hidden", 16)
    assert got["threads"] == 1 and got["thread_trials"] == got["thread_trials_skipped"] == 0


def test_a_new_answer_is_confirmed_within_seconds_not_after_the_full_recheck():
    """The first trial is fooled (the other programs paused while it measured two threads), then the
    machine is busy again: the wrong count stands for at most CONFIRM_S and a trial, not RECHECK_S."""
    m = Machine()
    t = m.tuner()
    m.train(t, 60)  # quiet: two threads chosen, a new answer
    assert t.current == 2 and t.history[-1][0] == 2
    m.busy = True
    start = m.now
    t._measured = 10.0  # the slowdown watch sees nothing (as when the trial measured a slow moment)
    while t.current == 2 and m.now - start < threads.RECHECK_S:
        t.step_took(m.step())
    assert t.current == 1
    assert m.now - start <= threads.CONFIRM_S + 2 * threads.TRIAL_S + 1.0


class FakeStat:
    """A /proc/stat whose busy time grows as told, and this process's CPU time beside it."""

    def __init__(self, tmp_path):
        self.path = tmp_path / "stat"
        self.now = 0.0
        self.busy = 0.0  # seconds, all cores
        self.own = 0.0
        self.write()

    def write(self):
        ticks = round(self.busy * 100)
        # user nice system idle iowait irq softirq steal
        self.path.write_text(f"cpu  {ticks} 0 0 123456 77 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n")

    def run(self, seconds, others, own):
        """``seconds`` pass with other programs on ``others`` cores and this one on ``own``."""
        self.now += seconds
        self.busy += (others + own) * seconds
        self.own += own * seconds
        self.write()

    def free_cores(self, cores=2):
        return threads.FreeCores(str(self.path), clock=lambda: self.now, own_cpu=lambda: self.own, cores=cores)


def test_free_cores_are_the_cores_less_what_other_programs_used(tmp_path):
    s = FakeStat(tmp_path)
    f = s.free_cores()
    assert f.wait() == pytest.approx(threads.FreeCores.MIN_S)
    s.run(1.0, others=0.3, own=1.0)  # a window drawing beside training: most of a core free
    assert f.wait() == 0 and f() == pytest.approx(1.7, abs=0.02)
    s.run(2.0, others=2.0, own=0.5)  # two busy programs: nothing free, whatever this process does
    assert f() == pytest.approx(0.0, abs=0.02)
    s.run(1.0, others=0.0, own=2.0)  # this process alone on both cores: both are its own
    assert f() == pytest.approx(2.0, abs=0.02)
    assert threads.FreeCores(str(tmp_path / "missing"))() is None  # not Linux: unknown


def test_with_no_core_free_it_never_pays_a_trial_of_two_threads_and_tries_when_one_frees(tmp_path):
    s = FakeStat(tmp_path)
    chosen = []
    t = threads.ThreadTuner((2, 1), chosen.append, clock=lambda: s.now, free_cores=s.free_cores())
    busy = True
    for _ in range(400):  # 40 s of 0.1 s steps beside two busy programs
        s.run(0.1, others=2.0 if busy else 0.2, own=1.0)
        t.step_took(0.1)
    assert set(chosen) == {1} and t.trials == 0 and t.skipped >= 5  # looked often, never tried two
    busy = False
    for _ in range(100):  # the programs end: within a few seconds two threads are measured
        s.run(0.1, others=0.2, own=1.0)
        t.step_took(0.05 if t.current == 2 else 0.1)
    assert t.trials >= 1 and t.current == 2 and 2 in chosen
