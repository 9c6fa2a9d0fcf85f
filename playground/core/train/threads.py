"""How many CPU threads torch trains with, chosen by measuring steps and re-checked while training.

The cores a machine has are not the cores that are free. On a laptop with a browser open, two torch
threads on two cores means one of them waits for a core the browser holds, and every parallel
region of a step waits for that one thread: measured on this project's 2-core machine with two
CPU-bound programs beside it, 6-8 steps/s with two threads against 60-89 with one. On a quiet
machine two threads are the faster choice. Neither the core count nor the load average (a minute
late) says which holds now, so the tuner asks the steps themselves:

- a *trial* runs each candidate count for at least ``TRIAL_STEPS`` steps and ``TRIAL_S`` seconds
  (after one step to settle) and keeps the count whose mean step was shortest: the mean, not the
  median, because what two threads cost on a busy machine is mostly rare long stalls (a thread
  descheduled while the other waits for it), which a median hides and the training speed does not;
- it trials again ``CONFIRM_S`` after an answer that changed (one noisy trial must not stand for
  long), then after ``recheck_s`` (doubling, up to ``MAX_RECHECK_S``, while the answer stays the
  same) and at once when the mean of the last ``RECENT_S`` seconds of steps grows by half over what
  the trial measured (another program started);
- steps that do more than a step (a probe, a validation pass) are left out of every mean.

It starts on one thread (never far from the best: measured, 0.6-0.9 of two threads on a quiet
2-core machine, and 2.5 to 10 times two on a busy one) and stops measuring a candidate as soon as its
steps take ``ABANDON`` times the best so far.

Before each trial it asks how many cores the *other* programs left free since the last one
(:class:`FreeCores`: the machine's busy time from ``/proc/stat`` less this process's own CPU time) and
tries no more threads than that: beside two busy programs on two cores nothing is free, so no trial
of two threads is paid at all (in the window, such a trial cost up to a second a step). Where that
cannot be read (not Linux), every candidate is tried.

The command line and the window's training process use the same tuner (``cli.cmd_train``,
``app.engine``). ``RNN_PLAYGROUND_TORCH_THREADS`` fixes the count and turns the tuner off. No Qt.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

RECHECK_S = 15.0  # the first re-check after a trial
CONFIRM_S = 4.0  # a trial whose answer changed is repeated this soon
MAX_RECHECK_S = 120.0  # re-checks while the best count stays the same: 15, 30, 60, 120, 120 s ...
TRIAL_STEPS = 5  # at least this many measured steps per candidate in a trial (after one that settles)
TRIAL_S = 0.5  # ... and at least this long: rare stalls must have a chance to show
ABANDON = 3.0  # a candidate this many times slower than the best so far: done measuring it
SLOWER = 1.5  # recent steps this much slower than the trial measured: trial again now
RECENT_S = 1.5  # the window of recent steps that watches for a slowdown ...
RECENT_MIN = 5  # ... once it holds at least this many steps
WARMUP = 2  # the first measured steps (allocations, caches) say nothing about threads


class FreeCores:
    """The cores other programs left free between two calls, in cores (None where ``/proc/stat``
    cannot be read); ``wait()`` says how long until the span since the last call says enough."""

    MIN_S = 0.25  # /proc/stat counts in hundredths of a second: shorter spans say little

    def __init__(self, stat: str = "/proc/stat", clock: Callable[[], float] = time.monotonic,
                 own_cpu: Callable[[], float] = time.process_time, cores: int | None = None) -> None:  # fmt: skip
        self._stat, self._clock, self._own = stat, clock, own_cpu
        self.cores = cores if cores is not None else _usable_cores()
        self._last = self._sample()

    def _sample(self) -> tuple[float, float, float] | None:
        try:
            with open(self._stat) as f:
                fields = f.readline().split()
            # user nice system idle iowait irq softirq steal: busy is all but idle and iowait
            ticks = [int(v) for v in fields[1:9]]
        except (OSError, ValueError, IndexError):
            return None
        busy = (sum(ticks) - ticks[3] - ticks[4]) / 100.0  # USER_HZ
        return self._clock(), busy, self._own()

    def wait(self) -> float:
        """Seconds until a call measures a span of at least ``MIN_S`` (0: now)."""
        if self._last is None:
            return 0.0
        return max(0.0, self.MIN_S - (self._clock() - self._last[0]))

    def __call__(self) -> float | None:
        now = self._sample()
        last = self._last
        if now is None or last is None:
            return None
        span = now[0] - last[0]
        if span <= 0:
            return None
        self._last = now
        others = (now[1] - last[1]) - (now[2] - last[2])
        return max(0.0, self.cores - max(0.0, others) / span)


def _usable_cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def candidates(most: int) -> tuple[int, ...]:
    """The counts worth trying on a machine where ``most`` threads may be used: 1, the most, and
    halves in between (1, 2, 4, 8 ... on a big machine; a trial costs a few steps per count)."""
    most = max(1, int(most))
    found = {1, most}
    n = most // 2
    while n > 1:
        found.add(n)
        n //= 2
    return tuple(sorted(found, reverse=True))


class ThreadTuner:
    """Call ``step_took(seconds)`` after each training step; it sets the thread count between steps.

    ``set_threads`` and ``clock`` are injectable so the policy can be tested without torch or time.
    """

    def __init__(
        self,
        counts: Sequence[int],
        set_threads: Callable[[int], None],
        *,
        clock: Callable[[], float] = time.perf_counter,
        recheck_s: float = RECHECK_S,
        trial_steps: int = TRIAL_STEPS,
        trial_s: float = TRIAL_S,
        free_cores: FreeCores | None = None,
    ) -> None:
        self.counts = tuple(dict.fromkeys(int(c) for c in counts if int(c) >= 1)) or (1,)
        self._set = set_threads
        self._clock = clock
        self.base_recheck_s = self.recheck_s = float(recheck_s)
        self.trial_steps = int(trial_steps)
        self.trial_s = float(trial_s)
        self._free_cores = free_cores  # None: every candidate is tried
        self.skipped = 0  # trials left out because no core was free for more threads
        self.current = min(self.counts)  # one thread until measured: never wrong by much
        self.trials = 0  # how many trials have ended (for tests and benchmarks)
        self.history: list[tuple[int, dict[int, float]]] = []  # (chosen, mean step per count) per trial
        self._queue: list[int] = []  # counts still to measure in the running trial
        self._settle = False  # the next step follows a change of count: not measured
        self._samples: dict[int, list[float]] = {}
        self._measured = 0.0  # the chosen count's mean step in the last trial
        self._recent: deque[float] = deque()  # the last RECENT_S seconds of measured steps
        self._warmup = WARMUP
        self._next_trial = 0.0  # the first trial starts after the warm-up
        self._set(self.current)

    @property
    def enabled(self) -> bool:
        return len(self.counts) > 1

    @property
    def in_trial(self) -> bool:
        return bool(self._queue)

    def step_took(self, seconds: float, comparable: bool = True) -> None:
        """One step took ``seconds``; ``comparable`` is False for a step that did more than a step."""
        if not self.enabled:
            return
        if self._settle:
            self._settle = False
            return
        if not comparable or not seconds > 0:
            return
        if self._warmup > 0:
            self._warmup -= 1
            return
        if self._queue:
            samples = self._samples.setdefault(self.current, [])
            samples.append(seconds)
            done = len(samples) >= self.trial_steps and sum(samples) >= self.trial_s
            if done or self._clearly_worse(samples):
                self._queue.pop(0)
                if self._queue:
                    self._switch(self._queue[0])
                else:
                    self._end_trial()
            return
        self._recent.append(seconds)
        while len(self._recent) > RECENT_MIN and sum(self._recent) - self._recent[0] >= RECENT_S:
            self._recent.popleft()
        slowed = (
            len(self._recent) >= RECENT_MIN
            and sum(self._recent) >= RECENT_S
            and self._measured > 0
            and sum(self._recent) / len(self._recent) > SLOWER * self._measured
        )
        if self._clock() >= self._next_trial or slowed:
            if slowed:
                self.recheck_s = self.base_recheck_s
            self._start_trial()

    # -- the trial -----------------------------------------------------------------------------
    def _clearly_worse(self, samples: list[float]) -> bool:
        """A candidate whose steps already take ABANDON times the best mean so far (two threads on a
        busy machine: up to a second a step beside a window) is not measured to the end: every step
        of it costs what it loses, so one such step is enough (a fluke is tried again at the next
        re-check)."""
        done = [sum(v) / len(v) for c, v in self._samples.items() if v and c != self.current]
        return bool(samples) and bool(done) and sum(samples) / len(samples) > ABANDON * min(done)

    def _start_trial(self) -> None:
        self._samples = {}
        counts = self.counts
        if self._free_cores is not None and self._free_cores.wait() > 0:  # too soon to tell: shortly
            self._next_trial = self._clock() + self._free_cores.wait()
            return
        free = self._free_cores() if self._free_cores is not None else None
        if free is not None:  # no more threads than the cores the other programs leave free
            room = max(1, int(free + 0.75))  # generous: the trial itself decides; the window and an X server take a few tenths
            counts = tuple(c for c in counts if c <= room) or (min(counts),)
            if counts == (self.current,):  # nothing to compare: no trial, look again later
                self.skipped += 1
                self._recent.clear()
                self._next_trial = self._clock() + min(CONFIRM_S, self.recheck_s)
                return
            if self.current not in counts:  # more threads than free cores: drop them now
                self._switch(min(counts, key=lambda c: abs(c - self.current)))
        # The count in use first (it needs no settling step), then the others.
        self._queue = [self.current, *(c for c in counts if c != self.current)]

    def _switch(self, count: int) -> None:
        self.current = count
        self._set(count)
        self._settle = True

    def _end_trial(self) -> None:
        means = {c: sum(s) / len(s) for c, s in self._samples.items() if s}
        best = min(means, key=lambda c: (means[c], -c)) if means else self.current
        before = self.history[-1][0] if self.history else min(self.counts)  # the count it started on
        self.history.append((best, means))
        self.trials += 1
        if best == before:
            self.recheck_s = min(MAX_RECHECK_S, self.recheck_s * 2)
            wait = self.recheck_s
        else:  # a new answer (or the first) is confirmed soon: one noisy trial must not stand for long
            self.recheck_s = self.base_recheck_s
            wait = min(CONFIRM_S, self.recheck_s)
        if best != self.current:
            self._switch(best)
        self._measured = means.get(best, 0.0)
        self._recent.clear()
        self._next_trial = self._clock() + wait


def tuner_for(most: int, fixed: int = 0) -> ThreadTuner | None:
    """The tuner over ``candidates(most)``, or None when the count is fixed (``fixed`` > 0) or there
    is nothing to choose (one core)."""
    import torch

    if fixed > 0 or most <= 1:
        return None
    return ThreadTuner(candidates(most), torch.set_num_threads, free_cores=FreeCores())
