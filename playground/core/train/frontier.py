"""The frontier: for each architecture and length T of a classic task, how many seeds solve it, and
after how many training sequences (``rnn-playground frontier``).

A cell is one architecture at one length, trained once per seed. Every ``check_every`` steps the
seed's model answers the task's 2,560 held-out sequences and is judged by the paper's criterion
(:func:`solved`); a seed that solves stops there, and its ``sequences_seen`` is steps x batch size at
that check. A seed that never solves reports the sequences it saw in all. A cell is reported as
soon as its seeds are done, so a long grid can be read while it runs. Each cell keeps one of its runs
(``CellRun.kept``: the first seed that solved, else the first seed), so that the window can open it
as its model: the loss curve and the weights of a run the grid summed up. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig, arch_shorthand
from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec

MAX_WRONG_OF = 2560  # the classics' test set: solved at most 1 wrong of these


def solved(evaluation: dict[str, Any]) -> bool:
    """The paper's verdict on one held-out evaluation. Adding: at most 1 of 2,560 answers off by
    more than 0.04. Temporal order: at most 1 of 2,560 sequences classified wrongly. Copy: at most 1
    of 2,560 sequences with any copied symbol wrong."""
    if "solved" in evaluation:
        return bool(evaluation["solved"])
    right = evaluation.get("sequences_right", evaluation.get("accuracy"))
    if right is None:
        raise PlaygroundError("this data has no held-out verdict to judge a frontier by")
    return float(right) >= 1.0 - 1.0 / MAX_WRONG_OF - 1e-12


@dataclass(frozen=True)
class Cell:
    """One architecture at one length: how many of its seeds solved, and the sequences each saw."""

    arch: str
    length: int
    seeds: int
    solved_seeds: int
    sequences_seen: tuple[int, ...]  # per seed: when it solved, or at the end of its steps
    solved_at: tuple[int | None, ...]  # per seed: the sequences when it solved; None: it did not
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sequences_seen"], d["solved_at"] = list(self.sequences_seen), list(self.solved_at)
        return d


@dataclass(frozen=True)
class FrontierPlan:
    """The grid and how each run trains."""

    kind: str
    lengths: tuple[int, ...]
    archs: tuple[str, ...]
    seeds: int = 3
    steps: int = 5000
    check_every: int = 100
    hidden: int = 32
    lr: float = 3e-3
    batch_size: int = 32
    clip: float = 1.0  # gradient norm clip; 0 = off

    def sessions(self, arch: str, length: int, seed: int) -> SessionConfig:
        """The session one seed of one cell trains."""
        choice = arch_shorthand(arch)
        model = ModelConfig(arch=choice.arch, activation=choice.activation, init=choice.init, hidden=self.hidden)
        data = DataConfig(kind=self.kind, source="generator", span=length, seed=seed)
        train = TrainConfig(
            lr=self.lr,
            batch_size=self.batch_size,
            clip="norm" if self.clip > 0 else "off",
            clip_value=self.clip if self.clip > 0 else 1.0,
            val_every=0,
            seed=seed,
            device="cpu",
        )
        return SessionConfig(model=model.validate(), data=data.validate(), train=train.validate())

    def validate(self) -> FrontierPlan:
        if "span" not in kind_spec(self.kind).settings:
            raise PlaygroundError(f"the frontier runs over the length T of adding, temporal-order or copy, not {self.kind}")
        for arch in self.archs:
            arch_shorthand(arch)
        for length in self.lengths:
            self.sessions(self.archs[0], length, 0)  # every length within its bound: a one-line error
        return self


class CellRun:
    """One cell trained a step at a time, so that a caller can slice it (the window's engine runs
    jobs in slices): ``advance(deadline)`` trains until the deadline or the cell is done."""

    def __init__(self, plan: FrontierPlan, arch: str, length: int, seeds: Sequence[int] | None = None) -> None:
        import time

        self.plan, self.arch, self.length = plan, arch, length
        self.seeds = tuple(range(plan.seeds)) if seeds is None else tuple(seeds)
        self.seen: list[int] = []
        self.solved_at: list[int | None] = []
        self.trainer: Any = None
        self.kept: Any = None  # the run the cell opens as: the first seed that solved, else the first seed
        self.kept_seed: int | None = None
        self.kept_solved = False
        self.seconds = 0.0
        self._clock = time.perf_counter

    @property
    def done(self) -> bool:
        return len(self.seen) == len(self.seeds)

    def advance(self, deadline: float | None = None) -> bool:
        """Train until ``deadline`` (a perf_counter time; None: to the end); True once the cell is done."""
        from playground.core.inference import model_fn
        from playground.core.train.trainer import Trainer

        plan, t0 = self.plan, self._clock()
        try:
            while not self.done and (deadline is None or self._clock() < deadline):
                if self.trainer is None:
                    self.trainer = Trainer(plan.sessions(self.arch, self.length, self.seeds[len(self.seen)]))
                tr = self.trainer
                tr.step()
                solved_now = False
                if tr.steps % plan.check_every == 0 or tr.steps >= plan.steps:
                    solved_now = solved(tr.task.evaluate(model_fn(tr.model)))
                if solved_now or tr.steps >= plan.steps:
                    seed = self.seeds[len(self.seen)]
                    self.seen.append(tr.steps * plan.batch_size)
                    self.solved_at.append(tr.steps * plan.batch_size if solved_now else None)
                    self.trainer = None
                    if self.kept is None or (solved_now and not self.kept_solved):
                        self.kept, self.kept_seed, self.kept_solved = tr, seed, solved_now
        finally:
            self.seconds += self._clock() - t0
        return self.done

    def cell(self) -> Cell:
        return Cell(
            arch=self.arch,
            length=self.length,
            seeds=len(self.seeds),
            solved_seeds=sum(s is not None for s in self.solved_at),
            sequences_seen=tuple(self.seen),
            solved_at=tuple(self.solved_at),
            seconds=self.seconds,
        )


def run_cell(
    plan: FrontierPlan,
    arch: str,
    length: int,
    should_stop: Callable[[], bool] = lambda: False,
    seeds: Sequence[int] | None = None,
) -> Cell:
    """Train every seed of one cell (``seeds``, default 0 to plan.seeds - 1) until it solves or its
    steps run out."""
    import time

    cell = CellRun(plan, arch, length, seeds)
    while not cell.advance(time.perf_counter() + 0.5):
        if should_stop():
            break
    return cell.cell()


def run(plan: FrontierPlan, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Cell]:
    """Every cell of the grid, lengths in the outer loop (the short ones first), each as it finishes."""
    plan.validate()
    for length in plan.lengths:
        for arch in plan.archs:
            if should_stop():
                return
            yield run_cell(plan, arch, length, should_stop)


def table_row(cell: Cell) -> str:
    """One cell as a line of the plain table."""
    solved_seqs = sorted(s for s in cell.solved_at if s is not None)
    median = f"{solved_seqs[len(solved_seqs) // 2]:,}" if solved_seqs else "-"
    return f"{cell.arch:<6} {cell.length:>6} {cell.solved_seeds:>3}/{cell.seeds:<3} {median:>12} {max(cell.sequences_seen):>12,}"


TABLE_HEADER = f"{'arch':<6} {'T':>6} {'solved':>7} {'median seq.':>12} {'seq. at most':>12}"


def parse_list(text: str, what: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in text.split(",") if part.strip())
    if not items:
        raise PlaygroundError(f"{what} is empty: give one or more, separated by commas")
    return items


def with_defaults(plan: FrontierPlan, **given: Any) -> FrontierPlan:
    """``plan`` with the options given (None: keep the plan's)."""
    return replace(plan, **{k: v for k, v in given.items() if v is not None})


def lengths_from(text: str) -> tuple[int, ...]:
    """'10,20,50' as whole numbers (their range is checked by the plan)."""
    out = []
    for part in parse_list(text, "--lengths"):
        try:
            out.append(int(part))
        except ValueError:
            raise PlaygroundError(f"--lengths takes whole numbers separated by commas, got {part[:40]!r}") from None
    return tuple(out)


def archs_from(text: str) -> tuple[str, ...]:
    return parse_list(text, "--arch")


def describe(plan: FrontierPlan) -> str:
    return (
        f"frontier on {plan.kind}: T = {', '.join(map(str, plan.lengths))}; {', '.join(plan.archs)}; "
        f"{plan.seeds} seeds x up to {plan.steps:,} steps of {plan.batch_size}, checked every {plan.check_every}"
    )


__all__: Sequence[str] = ("TABLE_HEADER", "Cell", "CellRun", "FrontierPlan", "run", "run_cell", "solved", "table_row")
