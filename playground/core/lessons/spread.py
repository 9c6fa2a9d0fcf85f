"""The spread over seeds: for a lesson whose claim depends on luck, run one seed at a time (the
window's Run 5 seeds) and put the results so far in a sentence. No Qt."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.0%}"


def spread_text(values: Sequence[float], what: str = "accuracy") -> str:
    """The spread over seeds in a few words: 'accuracy over 5 seeds: 12%, 13%, 12%, 14%, 11%'."""
    return f"{what} over {len(values)} seeds: " + ", ".join(_pct(v) for v in values)


# -- the spread over seeds ------------------------------------------------------------------------------------


def _seed_claims() -> dict[str, tuple[Callable[[int], Any], Callable[[list[Any]], str]]]:
    """Lesson id -> (the claim for one seed, the words for the spread over the seeds run so far)."""
    from playground.core.lessons import claims as c

    def acc(results: list[Any], arch: str) -> str:
        return " / ".join(f"{r.accuracy[arch]:.0%}" for r in results)

    def memory(results: list[Any]) -> str:
        n, rnn_at_chance = len(results), sum(r.at_chance("rnn") for r in results)
        lstm = sum(r.solved("lstm") for r in results)
        return (
            f"Seeds {_seeds(results)}, d = {results[0].gap}, {c.MEMORY_STEPS} steps each: LSTM {acc(results, 'lstm')} "
            f"(above 90% in {lstm} of {n}); vanilla RNN {acc(results, 'rnn')} (at chance in {rnn_at_chance} of {n})."
        )

    def vanishing(results: list[Any]) -> str:
        shares = " / ".join(f"{r.rnn_key_share:.0e}" for r in results)
        called = sum(r.rnn_verdict == "vanishing" for r in results)
        return f"Seeds {_seeds(results)}: the RNN's gradient at the key {shares} of the last step's; called vanishing in {called} of {len(results)}."

    def bidirectional(results: list[Any]) -> str:
        both = " / ".join(f"{r.bidirectional:.0%}" for r in results)
        one = " / ".join(f"{r.unidirectional:.0%}" for r in results)
        return f"Seeds {_seeds(results)}, d = {results[0].gap}: bidirectional {both}; one direction {one}."

    def order(results: list[Any]) -> str:
        return f"Seeds {_seeds(results)}: GRU {acc(results, 'gru')}, RNN {acc(results, 'rnn')}, word counter (mlp) {acc(results, 'mlp')}."

    def exploding(results: list[Any]) -> str:
        blew = sum(r.exploded for r in results)
        calm = sum(r.clipped_finite and r.clipped_falls for r in results)
        at = " / ".join(str(r.exploded_at) for r in results)
        return (
            f"Seeds {_seeds(results)}: without clipping it blew up in {blew} of {len(results)} (at step {at}); "
            f"clipped at norm 1 it trained calmly in {calm}."
        )

    def shapes(results: list[Any]) -> str:
        w = results[0].window
        return (
            f"Seeds {_seeds(results)}, {c.SHAPES_STEPS} steps each, words written right: vanilla RNN "
            f"{acc(results, 'rnn')}; feed-forward, window {w}, {acc(results, 'mlp')} (the words of at most {w} "
            f"letters are {results[0].short_share:.0%})."
        )

    return {
        "order": (lambda s: c.order_claim(s, archs=("rnn", "gru", "mlp")), order),
        "long-context": (lambda s: c.memory_claim(s), memory),
        "gates": (lambda s: c.memory_claim(s), memory),
        "vanishing": (lambda s: c.vanishing_claim(s), vanishing),
        "bidirectional": (lambda s: c.bidirectional_claim(s), bidirectional),
        "exploding": (lambda s: c.exploding_claim(s), exploding),
        "clipping": (lambda s: c.exploding_claim(s), exploding),
        "shapes": (lambda s: c.shapes_claim(s), shapes),
    }


def _seeds(results: list[Any]) -> str:
    return ", ".join(str(r.seed) for r in results)


def seed_claim(lesson_id: str) -> tuple[Callable[[int], Any], Callable[[list[Any]], str]] | None:
    """For a lesson whose claim depends on luck: (run one seed, words for the spread so far); else None."""
    return _seed_claims().get(lesson_id)
