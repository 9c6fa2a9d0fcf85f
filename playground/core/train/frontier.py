"""The frontier: for each architecture and length T of a classic task, how many seeds solve it, and
after how many training sequences (``rnn-playground frontier``).

A cell is one architecture at one length, trained once per seed. Every ``check_every`` steps the
seed's model answers the task's 2,560 held-out sequences and is judged by the paper's criterion
(:func:`solved`); a seed that solves stops there, and its ``sequences_seen`` is steps x batch size at
that check. A seed that never solves reports the sequences it saw in all. A cell is reported as
soon as its seeds are done, so a long grid can be read while it runs. Qt-free.
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


def run_cell(plan: FrontierPlan, arch: str, length: int, should_stop: Callable[[], bool] = lambda: False) -> Cell:
    """Train every seed of one cell until it solves or its steps run out."""
    import time

    from playground.core.inference import model_fn
    from playground.core.train.trainer import Trainer

    t0 = time.perf_counter()
    seen: list[int] = []
    solved_at: list[int | None] = []
    for seed in range(plan.seeds):
        trainer = Trainer(plan.sessions(arch, length, seed))
        done: int | None = None
        while trainer.steps < plan.steps and not should_stop():
            trainer.step()
            if trainer.steps % plan.check_every == 0 or trainer.steps == plan.steps:
                if solved(trainer.task.evaluate(model_fn(trainer.model))):  # type: ignore[attr-defined]
                    done = trainer.steps * plan.batch_size
                    break
        seen.append(trainer.steps * plan.batch_size)
        solved_at.append(done)
    return Cell(
        arch=arch,
        length=length,
        seeds=plan.seeds,
        solved_seeds=sum(s is not None for s in solved_at),
        sequences_seen=tuple(seen),
        solved_at=tuple(solved_at),
        seconds=time.perf_counter() - t0,
    )


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


__all__: Sequence[str] = ("Cell", "FrontierPlan", "run", "run_cell", "solved", "table_row", "TABLE_HEADER")
