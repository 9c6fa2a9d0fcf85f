"""The example question the window offers a newcomer for each kind of data, sized to the session:
the registry's example (playground.core.kinds), or one made to the session's own gap or length
where a model trained on that size never saw the registry's."""

from __future__ import annotations

from playground.core.kinds import KINDS

DEMO_DIGITS = "3914728506"  # the digits of the memory task's example question, repeated to its gap


def demo_question(kind: str, gap: int | None = None) -> str:
    """The example question a newcomer is offered for this kind of data. ``gap`` (DataConfig's
    ``question_size``) sizes it: for the memory task, the session's own number of digits between the
    key and the "?" (the registry's example has 4; the lessons train with 20 and 40); for temporal
    order and the adding problem, the session's length T."""
    spec = KINDS.get(kind)
    if spec is None:
        return ""
    if kind == "memory" and gap:
        digits = (DEMO_DIGITS * (int(gap) // len(DEMO_DIGITS) + 1))[: int(gap)]
        return "A " + " ".join(digits) + " ?"
    if kind == "temporal-order" and gap:
        return temporal_order_question(int(gap))
    if kind == "adding" and gap:
        return adding_question(int(gap))
    return spec.demo_question


def temporal_order_question(base: int) -> str:
    """A sequence of temporal order's own length T (``base``) with its X and Y where training puts
    them (the middle of each window): a model trained at T = 50 never saw the registry's ten-symbol
    example, and a wrong answer to it says nothing about what the lesson checks."""
    from playground.core.data.temporal_order import DISTRACTORS, START, TRIGGER, windows

    (length, _), t1, t2 = windows(base)
    tokens = [DISTRACTORS[i % len(DISTRACTORS)] for i in range(length)]
    tokens[0], tokens[-1] = START, TRIGGER
    tokens[(t1[0] + t1[1]) // 2], tokens[(t2[0] + t2[1]) // 2] = "X", "Y"
    return " ".join(tokens)


ADDING_VALUES = (0.62, 0.18, 0.94, 0.07, 0.45, 0.83, 0.29, 0.71, 0.36, 0.55, 0.12, 0.88, 0.49)  # (13: no period in T)
ADDING_MARKED = (0.81, 0.74)  # the example's two marked values


def adding_question(length: int) -> str:
    """An adding sequence of the session's own length T (4 or more) with its marks where training puts
    them: the first on the third pair (within the first ten), the second a third of the way in (within
    the first half). The two marked values, 0.81 and 0.74, add up to 1.55, far from the mean answer 1.0:
    a model that ignores the marks is off by about 0.55, one that reads them within the paper's 0.04."""
    values = [ADDING_VALUES[i % len(ADDING_VALUES)] for i in range(length)]
    half = length // 2
    first = min(2, half - 1)
    others = [i for i in range(half) if i != first]
    second = length // 3 if length // 3 in others else others[-1]
    values[first], values[second] = ADDING_MARKED
    return " ".join(f"{v:.2f}*" if i in (first, second) else f"{v:.2f}" for i, v in enumerate(values))
