"""The seeds a ``lessons`` test runs over: all of them, or one in CI.

``python -m pytest -m lessons`` runs every claim about learning over all its seeds: the spread the
README and the lesson cards quote. That takes most of an hour on a 2-core machine, so CI sets
``RNN_PLAYGROUND_SEEDS=one`` and runs each claim once, with the seed named here for it (a seed on
which the claim holds on its own terms: the claims that allow a failing seed, such as "the vanilla
RNN stays at chance in 4 of 5 seeds", name one of the others). Whenever a change touches a claim,
run that claim over all its seeds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence


def one_seed() -> bool:
    """True when the run asks for each claim once (``RNN_PLAYGROUND_SEEDS=one``)."""
    return os.environ.get("RNN_PLAYGROUND_SEEDS", "all").strip().lower() == "one"


def seeds(every: Sequence[int], one: int | None = None) -> tuple[int, ...]:
    """``every`` seed normally; only ``one`` (default: the first) when the run asks for one seed."""
    every = tuple(every)
    if not one_seed():
        return every
    chosen = every[0] if one is None else one
    if chosen not in every:
        raise ValueError(f"seed {chosen} is not among the claim's seeds {every}")
    return (chosen,)


def at_least(passing: int, of: int, n: int) -> int:
    """How many of ``n`` seeds must pass for a claim stated as "``passing`` of ``of``" (never 0)."""
    return max(1, math.ceil(passing * n / of))
