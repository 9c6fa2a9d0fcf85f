"""How a lesson's check picks one of its question's choices (the judges of core/lessons/predictions.py).

Each judge takes the check's numbers on the live model (and the settings of the model measured, where
known) and says which choice they support, or, in words, why they cannot say: a check of another
model than the question is about, too few steps, a number missing. One function per lesson; the
questions and their choices are in predictions.py. No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from playground.core.config import ARCH_NAMES, ModelConfig, SessionConfig
from playground.core.lessons.checks import KEEPS, RELU_ALONE_SLACK, LessonCheck
from playground.core.lessons.interventions import CORRELATES, WRITES_PLAIN, WRITES_QUOTED
from playground.core.lessons.uses import FORECASTS_WELL
from playground.core.presets import PLANTED_SPIKES


@dataclass(frozen=True)
class Measured:
    """Which choice a check's numbers support (``choice``), or None and, in ``detail``, why they cannot
    say. With a choice, ``detail`` is the number behind it."""

    choice: str | None
    detail: str


# (the check, the settings of the model it measured where known) -> the choice its numbers support
Judge = Callable[[LessonCheck, SessionConfig | None], Measured]


class Unread(Exception):
    """A number the question needs is missing from the check, or not a number (NaN)."""


# -- small helpers ---------------------------------------------------------------------------------------


def _name(model: ModelConfig) -> str:
    return ("bidirectional " if model.bidirectional else "") + ARCH_NAMES.get(model.arch, model.arch)


def _other_model(
    session: SessionConfig | None, wanted: str, ok: Callable[[ModelConfig], bool], fix: str
) -> str | None:
    """Why a check of ``session``'s model does not answer a question about a ``wanted`` model; None
    when it does (or when the model is not known)."""
    if session is None or ok(session.model):
        return None
    return f"the check measured the {_name(session.model)}, and the question is about {wanted} ({fix})"


def _clipped(session: SessionConfig | None) -> bool | None:
    """Whether the measured run clips its gradient (None: not known)."""
    return None if session is None else session.train.clip != "off"


def _vanilla(m: ModelConfig) -> bool:
    return m.arch == "rnn" and not m.bidirectional


def _num(found: LessonCheck, key: str) -> float:
    value = found.numbers.get(key)
    if value is None or math.isnan(value):
        raise Unread(key)
    return float(value)


def _near_chance(acc: float, chance: float | None) -> bool:
    """At chance, with the margin the checks use (ten points above it). Unknown chance: the memory
    presets' 8 keys, 1 in 8."""
    return acc <= (chance if chance is not None else 0.125) + 0.1


def _three_ways(acc: float, chance: float | None, detail: str, keys: tuple[str, str, str]) -> Measured:
    """An accuracy question's three answers: 90% or more (the first key), at chance with the checks'
    margin (the second), in between (the third)."""
    high, low, between = keys
    if acc >= 0.9:
        return Measured(high, detail)
    if _near_chance(acc, chance):
        return Measured(low, detail)
    return Measured(between, detail)


# -- lesson by lesson ------------------------------------------------------------------------------------


def _order(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a network that reads the words in turn",
        lambda m: m.arch in ("rnn", "lstm", "gru"),
        "press Set it up to get the GRU back",
    )
    if why:
        return Measured(None, why)
    acc, chance = _num(found, "accuracy"), found.numbers.get("chance")
    return _three_ways(acc, chance, f"{acc:.0%} of held-out sentences right", ("apart", "coin", "some"))


def _memory(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a vanilla RNN",
        _vanilla,
        "press Try this, train, and check again",
    )
    if why:
        return Measured(None, why)
    if session is not None and session.model.hidden != 32:  # the card's second button: 128 units
        units = session.model.hidden
        return Measured(
            None,
            f"this vanilla RNN has {units} units, and the question is about 32 (a lesson about capacity)",
        )
    acc, chance, gap = _num(found, "accuracy"), found.numbers.get("chance"), found.numbers.get("gap", 20)
    if gap != 20:
        return Measured(None, f"the key was {gap:.0f} steps back here, and the question is about 20")
    detail = f"{acc:.0%} right" + (f", chance {chance:.1%}" if chance is not None else "")
    if acc >= 0.9:
        return Measured("yes", detail)
    if _near_chance(acc, chance):
        if not found.passed:  # at chance, and the check says it has not trained enough to show it
            return Measured(None, "too few steps trained to tell (the check says how many above)")
        return Measured("no", detail)
    return Measured("partly", detail)


def _price(found: LessonCheck, session: SessionConfig | None) -> Measured:
    said = _num(found, "prediction")
    target, key = min(((15.0, "up"), (12.0, "average"), (14.0, "same")), key=lambda t: abs(said - t[0]))
    if abs(said - target) > 0.5:
        return Measured(None, f"it says {said:.2f}, not close to any of the three")
    return Measured(key, f"it says {said:.2f}")


def _unrolled(found: LessonCheck, session: SessionConfig | None) -> Measured:
    worst = _num(found, "max_difference")
    if found.passed:
        steps = _num(found, "steps")
        return Measured("shared", f"all {steps:.0f} h_t rebuilt from one W_hh, to within {worst:.0e}")
    return Measured(
        None, f"rebuilding the steps from one W_hh missed by {worst:.1e}, so it cannot confirm it"
    )


def _bptt(found: LessonCheck, session: SessionConfig | None) -> Measured:
    first = _num(found, "first")
    detail = f"the first step gets {first:.1e} of the last one's"
    if first < 0.5:
        return Measured("less", detail)
    if first > 2.0:
        return Measured("more", detail)
    return Measured("whole", detail)


def _vanishing(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a vanilla RNN",
        _vanilla,
        "press Set it up to get it back",
    )
    if why:
        return Measured(None, why)
    share = _num(found, "share_at_needed")
    detail = f"{share:.1e} of the last step's gradient reaches the key"
    if share < 1e-3:
        return Measured("none", detail)
    if share <= 1.0:
        return Measured("some", detail)
    return Measured("more", detail)


def _exploding(found: LessonCheck, session: SessionConfig | None) -> Measured:
    if _clipped(session):  # (then a passed check means the clipped spikes did no harm: lesson 10's claim)
        return Measured(
            None, "this run clips its gradient, and the question is about the run without (press Set it up)"
        )
    if found.passed:  # a spike over 100× its median, or refused (NaN) steps: what the check calls exploding
        peak, median = found.numbers.get("peak", math.nan), found.numbers.get("median", math.nan)
        ratio = peak / median if median > 0 else math.nan
        return Measured("spike", f"{ratio:.0f}× its median" if math.isfinite(ratio) else "steps went NaN")
    peak, median = _num(found, "peak"), _num(found, "median")
    ratio = peak / median if median > 0 else math.inf
    detail = f"peak {peak:.3g}, {ratio:.0f}× its median" if math.isfinite(ratio) else f"peak {peak:.3g}"
    if ratio >= 10:
        return Measured("bumps", detail)
    return Measured("steady", detail)


def _activation(found: LessonCheck, session: SessionConfig | None) -> Measured:
    tanh, relu = _num(found, "reach tanh+default"), _num(found, "reach relu+default")
    detail = f"tanh reaches {tanh:.0f} steps back, ReLU {relu:.0f}"
    if relu > tanh + RELU_ALONE_SLACK:
        return Measured("further", detail)
    if relu < tanh - RELU_ALONE_SLACK:
        return Measured("less", detail)
    return Measured("same", detail)


def _identity(found: LessonCheck, session: SessionConfig | None) -> Measured:
    ident, default = _num(found, "identity"), _num(found, "default")
    detail = f"{ident:.0f} steps back with W_hh = I, {default:.0f} with the default start"
    if ident > default:
        return Measured("further", detail)
    if ident < default:
        return Measured("less", detail)
    return Measured("same", detail)


def _clipping(found: LessonCheck, session: SessionConfig | None) -> Measured:
    if _clipped(session) is False or "max_after" not in found.numbers:  # the card's Try this: no clipping
        return Measured(
            None,
            "this run trains without clipping, and the question is about the clipped one (press Set it up)",
        )
    before, after = _num(found, "max_before"), _num(found, "max_after")
    detail = f"norms up to {before:.3g} before clipping, {after:.3g} after"
    return Measured("calm" if found.passed else "blows", detail)


def _gates(found: LessonCheck, session: SessionConfig | None) -> Measured:
    best, holding = _num(found, "best_keep"), _num(found, "holding")
    detail = f"the best unit keeps {best:.2f}; {holding:.0f} keep more than half"
    if best > KEEPS:  # where the check says a unit keeps its cell
        return Measured("most", detail)
    if best >= 0.01:
        return Measured("little", detail)
    return Measured("none", detail)


def _bidirectional(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "a vanilla RNN that reads both ways",
        lambda m: m.arch == "rnn" and m.bidirectional,
        "press Set it up to get it back",
    )
    if why:
        return Measured(None, why)
    acc, chance = _num(found, "accuracy"), found.numbers.get("chance")
    detail = f"{acc:.0%} right at d = {found.numbers.get('gap', 40):.0f}"
    return _three_ways(acc, chance, detail, ("yes", "no", "partly"))


def _shapes(found: LessonCheck, session: SessionConfig | None) -> Measured:
    why = _other_model(
        session,
        "the recurrent network",
        lambda m: m.arch in ("rnn", "lstm", "gru"),
        "press Set it up to get it back",
    )
    if why:
        return Measured(None, why)
    acc, chance = _num(found, "accuracy"), found.numbers.get("chance")
    chance = chance if chance is not None else 1 / 16  # (sixteen words)
    return _three_ways(acc, chance, f"{acc:.0%} of the words written right", ("all", "few", "some"))


def _uses(found: LessonCheck, session: SessionConfig | None) -> Measured:
    if "hits" not in found.numbers:  # one of the card's other uses: autocomplete, jokes, a plain forecast
        return Measured(
            None,
            "this check read another of the card's uses, and the question is about the planted spikes (press Set it up)",
        )
    hits, extra = int(_num(found, "hits")), int(_num(found, "extra"))
    mae, base = found.numbers.get("mae"), found.numbers.get("baseline_mae")
    if mae is not None and base is not None and not mae <= FORECASTS_WELL * base:
        return Measured(
            None,
            f"its forecast is not good yet (error {mae:.3g} against {base:.3g} for repeating the last value), so its errors say little: train on",
        )
    detail = f"{hits} of {len(PLANTED_SPIKES)} spikes flagged, {extra} other points"
    if hits == 0 and extra == 0:
        return Measured("nothing", detail)
    if found.passed:
        return Measured("spikes", detail)
    return Measured("muddled", detail)


def _ablation(found: LessonCheck, session: SessionConfig | None) -> Measured:
    r = _num(found, "r")
    if r < CORRELATES:
        return Measured(None, f"no unit follows the quotes closely yet (|r| {r:.2f}): train on")
    inside, worst = _num(found, "inside"), _num(found, "random_max")
    detail = f"|r| {r:.2f}; held at zero it costs {inside:+.3f} inside, the costliest random unit {worst:+.3f}"
    return Measured("needed" if _num(found, "needed") else "alone", detail)


def _transplant(found: LessonCheck, session: SessionConfig | None) -> Measured:
    patched, plain = _num(found, "patched"), _num(found, "unpatched")
    if plain > WRITES_PLAIN:
        return Measured(None, f"the plain sentences alone come out {plain:.0%} in capitals: train on")
    detail = f"{patched:.0%} capitals with the state carried in, {plain:.0%} without"
    if patched >= WRITES_QUOTED:
        return Measured("quoted", detail)
    if patched <= WRITES_PLAIN:
        return Measured("plain", detail)
    return Measured("mixed", detail)


# Each lesson question's judge, by name (core/lessons/predictions.py's table names them).
JUDGES: dict[str, Judge] = {
    "order": _order,
    "memory": _memory,
    "price": _price,
    "unrolled": _unrolled,
    "bptt": _bptt,
    "vanishing": _vanishing,
    "exploding": _exploding,
    "activation": _activation,
    "identity": _identity,
    "clipping": _clipping,
    "gates": _gates,
    "bidirectional": _bidirectional,
    "shapes": _shapes,
    "uses": _uses,
    "ablation": _ablation,
    "transplant": _transplant,
}
