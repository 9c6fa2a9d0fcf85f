"""Lesson files: a lesson card as a TOML file, the built-in ones (``resources/lessons``) and any a
teacher writes, read by one loader.

A file holds what a card holds: its words (title, text, what to watch), Set it up (a preset session,
settings over it, the view to open, the part to outline, the steps to train before checking), Try this
(one action, as the window's action ids: ``arch:gru``, ``model:hidden=128``, ``clip:off`` ...), and Check:
either one of the built-in checks (``builtin = "vanishing"``) or a quantity the app already measures on
the model in training (:data:`playground.core.lessons.quantities.QUANTITIES`) with a threshold and the
sentence to say when it holds and when it does not. A teacher's file may also ask a question with
choices before Check (Predict, then reveal): each choice says whether it is the answer when the check
holds or when it does not. docs/lessons.md has the format and an example.

Every mistake is one line naming the file, the line and the key (``lesson.toml line 12: [check] above:
...``); a file is read whole before anything uses it, so a broken one changes nothing. Files are data:
TOML is parsed by Python's own ``tomllib``, nothing in it runs.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.errors import PlaygroundError
from playground.core.shown import cut

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: the same parser, from PyPI
    import tomli as tomllib

__all__ = [
    "ACTION_VERBS",
    "MAX_BYTES",
    "CheckSpec",
    "Lesson",
    "QuestionChoice",
    "QuestionSpec",
    "builtin_lessons",
    "read_lesson",
    "read_lesson_file",
]

MAX_BYTES = 64 * 1024  # a lesson is a few paragraphs: a bigger file is not a lesson
# The view a lesson opens (tab ids the window knows) and the part it outlines.
TABS = ("training", "step", "scrubber", "history", "compare", "unrolled", "shapes", "neurons")
OUTLINES = (
    "loss",
    "grad_norm",
    "gradient",
    "gates",
    "hidden",
    "predict",
    "compare",
    "scrubber",
    "unrolled",
    "shapes",
    "neurons",
)
# Try this: the window's actions (ui/lesson_actions.py), "verb:argument".
ACTION_VERBS = (
    "compare", "arch", "init", "activation", "bidirectional", "fix", "clip", "restart", "data", "model",
    "sweep", "preset", "forecast", "step", "ablate", "transplant",
)  # fmt: skip
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# A card's words and the most characters each may have (the top of a file), and its question's.
WORDS = {"id": 40, "title": 80, "text": 2000, "watch": 600}
QUESTION_WORDS = {"text": 300}
# The built-in checks (checks.CHECKS, whose keys a test holds to these): a lesson file names one as
# [check] builtin = "...".
BUILTIN_CHECKS = (
    "order", "long-context", "recurrent-vs-feedforward", "unrolled", "bptt", "vanishing", "exploding",
    "activations", "identity-init", "clipping", "gates", "bidirectional", "shapes", "uses", "ablation",
    "transplant",
)  # fmt: skip


@dataclass(frozen=True)
class CheckSpec:
    """A built-in check (``builtin``: a lesson id of ``checks.CHECKS``), or a measured ``quantity`` against
    a threshold (``above`` or ``below``) with its two sentences; ``{value}`` in them is the measurement."""

    builtin: str = ""
    quantity: str = ""
    above: float | None = None
    below: float | None = None
    passed: str = ""
    not_yet: str = ""


@dataclass(frozen=True)
class QuestionChoice:
    key: str
    label: str
    when: str  # "holds": the answer when the check holds; "not": when it does not


@dataclass(frozen=True)
class QuestionSpec:
    text: str
    choices: tuple[QuestionChoice, ...]


@dataclass(frozen=True)
class Lesson:
    id: str
    number: int
    title: str
    text: str  # two to four sentences, in our own words
    preset: str  # the session "Set it up" loads (playground.core.presets.PRESETS)
    tab: str  # the view it opens (TABS)
    outline: str  # the part of that view it outlines (OUTLINES)
    watch: str  # what to look at while it trains
    try_label: str  # the one action the card offers, as its button reads
    try_action: str  # what that button does (the window's action id, see ui/lesson_actions.py)
    steps: int = 0  # optimizer steps "Set it up" trains before the check means something (0: none)
    seeds: tuple[int, ...] = ()  # where the claim depends on luck: the seeds its spread is shown over
    # More buttons beside "Try this", as (label, action): a setting the claim depends on (lesson 2's
    # hidden size), or the card's other set-ups (lesson 14's four uses). Actions as ``try_action``.
    more: tuple[tuple[str, str], ...] = ()
    check: CheckSpec = field(default_factory=CheckSpec)
    question: QuestionSpec | None = None  # a teacher's question (the built-ins' are in predictions.py)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # over the preset: model/data/train
    source: str = "built-in"  # the file it was read from
    builtin: bool = False  # one of the cards the app ships (resources/lessons)

    def view_words(self) -> str:
        """ "the training view, the loss outlined"."""
        return f"the {self.tab} view, the {self.outline.replace('_', ' ')} outlined"


# -- reading -----------------------------------------------------------------------------------------
class _Where:
    """Finds the line of a key in the file's text (tomllib does not say where a value was)."""

    HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\s]+?)\s*\]\]?\s*(#.*)?$")
    KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.lines = text.splitlines()

    def line(self, table: str, key: str | None = None, nth: int = 0) -> int:
        """The 1-based line of ``key`` in ``table`` ("" the top; "more" for an array of tables, its ``nth``
        entry), or of the table's header when ``key`` is None or missing; 1 when not found."""
        current, seen, header_line = "", -1, 0
        for i, raw in enumerate(self.lines, 1):
            m = self.HEADER.match(raw)
            if m:
                current = re.sub(r"\s+", "", m.group(1))
                if current == table:
                    seen += 1
                    if seen == nth:
                        header_line = i
                continue
            if current == table and (seen == nth or not table) and key is not None:
                k = self.KEY.match(raw)
                if k and k.group(1) == key:
                    return i
        return header_line or 1

    def error(self, table: str, key: str | None, message: str, nth: int = 0) -> PlaygroundError:
        where = f"[{table}] " if table else ""
        what = f"{where}{key}: " if key else where
        return PlaygroundError(f"{self.name} line {self.line(table, key, nth)}: {what}{message}")


def _text(where: _Where, d: dict, table: str, key: str, limit: int, required: bool = True) -> str:
    if key not in d:
        if required:
            raise where.error(table, None, f"missing the key {key!r}")
        return ""
    v = d[key]
    if not isinstance(v, str):
        raise where.error(table, key, f"must be text in quotes, got {type(v).__name__} {cut(repr(v), 30)}")
    v = v.strip()
    if required and not v:
        raise where.error(table, key, "is empty")
    if len(v) > limit:
        raise where.error(table, key, f"is {len(v):,} characters long: at most {limit:,}")
    return v


def _whole(where: _Where, d: dict, table: str, key: str, lo: int, hi: int, default: int | None = None) -> int:
    if key not in d:
        if default is None:
            raise where.error(table, None, f"missing the key {key!r}")
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise where.error(table, key, f"must be a whole number, got {cut(repr(v), 30)}")
    if not lo <= v <= hi:
        raise where.error(table, key, f"must be {lo:,} to {hi:,}, got {v:,}")
    return v


def _number(where: _Where, d: dict, table: str, key: str) -> float | None:
    if key not in d:
        return None
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise where.error(table, key, f"must be a finite number, got {cut(repr(v), 30)}")
    return float(v)


def _unknown(where: _Where, d: dict, table: str, known: set[str]) -> None:
    for key in d:
        if key not in known:
            raise where.error(table, key, f"unknown key: the keys here are {', '.join(sorted(known))}")


def _action(where: _Where, table: str, action: str, nth: int = 0) -> str:
    verb = action.partition(":")[0]
    if verb not in ACTION_VERBS:
        raise PlaygroundError(
            f"{where.name} line {where.line(table, 'action', nth)}: [{table}] action: unknown action {cut(action, 40)!r}: "
            f"it starts with one of {', '.join(ACTION_VERBS)}"
        )
    return action


def read_lesson(text: str, name: str, number: int | None = None) -> Lesson:
    """A lesson from a lesson file's ``text`` (``name``: what messages call the file); ``number``: the
    card's number when the file gives none. A one-line PlaygroundError naming the line and the key."""
    from playground.core.lessons.quantities import QUANTITIES
    from playground.core.presets import PRESETS

    where = _Where(name, text)
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlaygroundError(f"{name}: not a valid TOML file: {cut(str(e), 120)}") from None
    _unknown(where, d, "", {*WORDS, "number", "setup", "try", "more", "check", "question"})
    for table in ("setup", "try", "check"):
        if not isinstance(d.get(table), dict):
            raise PlaygroundError(f"{name} line {where.line('', table)}: missing the table [{table}]")
    words = {key: _text(where, d, "", key, limit) for key, limit in WORDS.items()}
    lesson_id, title, body, watch = words["id"], words["title"], words["text"], words["watch"]
    if not ID.match(lesson_id):
        raise where.error(
            "", "id", f"{lesson_id!r} must be lower-case letters, digits and dashes (at most 40)"
        )
    num = _whole(where, d, "", "number", 1, 999, default=number if number is not None else 0) or 0
    if num == 0:
        raise where.error("", None, "missing the key 'number'")

    setup = d["setup"]
    _unknown(where, setup, "setup", {"preset", "view", "outline", "steps", "seeds", "model", "data", "train"})
    preset = _text(where, setup, "setup", "preset", 60)
    if preset not in PRESETS:
        raise where.error("setup", "preset", f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    view = _text(where, setup, "setup", "view", 20, required=False) or "training"
    if view not in TABS:
        raise where.error("setup", "view", f"unknown view {view!r}: choose one of {', '.join(TABS)}")
    outline = _text(where, setup, "setup", "outline", 20, required=False) or "loss"
    if outline not in OUTLINES:
        raise where.error(
            "setup", "outline", f"unknown part {outline!r}: choose one of {', '.join(OUTLINES)}"
        )
    steps = _whole(where, setup, "setup", "steps", 0, 1_000_000, default=0)
    seeds_raw = setup.get("seeds", [])
    if (
        not isinstance(seeds_raw, list)
        or len(seeds_raw) > 10
        or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds_raw)
    ):
        raise where.error(
            "setup", "seeds", "must be a list of at most 10 whole numbers 0 or more, such as [0, 1, 2]"
        )
    settings = _settings(where, setup, preset)

    tried = d["try"]
    _unknown(where, tried, "try", {"label", "action"})
    try_label = _text(where, tried, "try", "label", 60)
    try_action = _action(where, "try", _text(where, tried, "try", "action", 200))
    more_raw = d.get("more", [])
    if not isinstance(more_raw, list) or len(more_raw) > 3:
        raise where.error("", "more", "must be at most 3 [[more]] tables, each with a label and an action")
    more = []
    for i, extra in enumerate(more_raw):
        if not isinstance(extra, dict):
            raise where.error("", "more", "each [[more]] is a table with a label and an action")
        _unknown(where, extra, "more", {"label", "action"})
        more.append(
            (
                _text(where, extra, "more", "label", 60),
                _action(where, "more", _text(where, extra, "more", "action", 200), i),
            )
        )

    check = _check(where, d["check"], QUANTITIES)
    if check.quantity and seeds_raw:
        raise where.error(
            "setup", "seeds", "a spread over seeds is measured for the built-in checks only: leave it out"
        )
    question = _question(where, d["question"]) if "question" in d else None
    if question is not None and not check.quantity:
        raise where.error(
            "question", None, "a question needs a measured check ([check] quantity = ...) to be answered by"
        )
    return Lesson(
        id=lesson_id,
        number=num,
        title=title,
        text=body,
        preset=preset,
        tab=view,
        outline=outline,
        watch=watch,
        try_label=try_label,
        try_action=try_action,
        steps=steps,
        seeds=tuple(seeds_raw),
        more=tuple(more),
        check=check,
        question=question,
        settings=settings,
        source=name,
    )


def _settings(where: _Where, setup: dict, preset: str) -> dict[str, dict[str, Any]]:
    """[setup.model], [setup.data], [setup.train]: settings over the preset, each checked by building
    the session they make (its own one-line message, placed at the key's line)."""
    from playground.core.config import DataConfig, ModelConfig, TrainConfig
    from playground.core.presets import PRESETS

    out: dict[str, dict[str, Any]] = {}
    base = PRESETS[preset][1]
    kinds = {"model": ModelConfig, "data": DataConfig, "train": TrainConfig}
    for part, cls in kinds.items():
        table = setup.get(part)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise where.error("setup", part, f"must be a table [setup.{part}]")
        names = {f.name for f in dataclasses.fields(cls)}
        _unknown(where, table, f"setup.{part}", names)
        for key, value in table.items():
            try:
                changed = dataclasses.replace(getattr(base, part), **{key: value})
                changed.validate()
            except (PlaygroundError, TypeError, ValueError) as e:
                raise where.error(f"setup.{part}", key, cut(str(e), 160)) from None
        out[part] = dict(table)
    if out:
        try:
            combined = apply_settings(base, out)
            for part in out:
                getattr(combined, part).validate()
        except PlaygroundError as e:
            raise where.error(
                "setup", None, f"these settings do not go together: {cut(str(e), 160)}"
            ) from None
    return out


def apply_settings(session: Any, settings: dict[str, dict[str, Any]]) -> Any:
    """``session`` (a SessionConfig) with a lesson's [setup.*] settings over it."""
    changes = {
        part: dataclasses.replace(getattr(session, part), **values) for part, values in settings.items()
    }
    return dataclasses.replace(session, **changes)


def _check(where: _Where, d: dict, quantities: dict) -> CheckSpec:
    _unknown(where, d, "check", {"builtin", "quantity", "above", "below", "passed", "not_yet"})
    if "builtin" in d:
        name = _text(where, d, "check", "builtin", 40)
        if name not in BUILTIN_CHECKS:
            raise where.error(
                "check",
                "builtin",
                f"unknown built-in check {name!r}: choose one of {', '.join(BUILTIN_CHECKS)}",
            )
        if len(d) > 1:
            raise where.error("check", None, "a built-in check takes no other keys")
        return CheckSpec(builtin=name)
    quantity = _text(where, d, "check", "quantity", 40)
    if quantity not in quantities:
        raise where.error(
            "check", "quantity", f"unknown quantity {quantity!r}: choose one of {', '.join(quantities)}"
        )
    above, below = _number(where, d, "check", "above"), _number(where, d, "check", "below")
    if (above is None) == (below is None):
        raise where.error("check", None, "give exactly one threshold: above = NUMBER or below = NUMBER")
    q = quantities[quantity]
    threshold = above if above is not None else below
    assert threshold is not None
    if not q.lo <= threshold <= q.hi:
        key = "above" if above is not None else "below"
        raise where.error(
            "check", key, f"{quantity} is {q.lo:g} to {q.hi:g}: a threshold of {threshold:g} can never decide"
        )
    passed = _text(where, d, "check", "passed", 400)
    not_yet = _text(where, d, "check", "not_yet", 400)
    for key, sentence in (("passed", passed), ("not_yet", not_yet)):
        try:
            sentence.format(value=1.0)
        except (KeyError, IndexError, ValueError):
            raise where.error("check", key, "only {value} may stand in braces (the measurement)") from None
    return CheckSpec(quantity=quantity, above=above, below=below, passed=passed, not_yet=not_yet)


def _question(where: _Where, d: Any) -> QuestionSpec:
    if not isinstance(d, dict):
        raise where.error("", "question", "must be a table [question] with a text and [[question.choices]]")
    _unknown(where, d, "question", {*QUESTION_WORDS, "choices"})
    text = next(_text(where, d, "question", key, limit) for key, limit in QUESTION_WORDS.items())
    raw = d.get("choices")
    if not isinstance(raw, list) or not 2 <= len(raw) <= 3:
        raise where.error(
            "question", "choices", "needs 2 or 3 [[question.choices]], each with a key, label and when"
        )
    choices = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict):
            raise where.error(
                "question.choices", None, "each choice is a table with a key, label and when", nth=i
            )
        _unknown(where, c, "question.choices", {"key", "label", "when"})
        key = _text(where, c, "question.choices", "key", 20)
        label = _text(where, c, "question.choices", "label", 60)
        when = _text(where, c, "question.choices", "when", 10)
        if when not in ("holds", "not"):
            raise PlaygroundError(
                f"{where.name} line {where.line('question.choices', 'when', i)}: [question.choices] when: must be "
                f"'holds' (the answer when the check holds) or 'not', got {when!r}"
            )
        choices.append(QuestionChoice(key, label, when))
    keys = [c.key for c in choices]
    if len(set(keys)) != len(keys):
        raise where.error("question", "choices", "two choices have the same key")
    if {c.when for c in choices} != {"holds", "not"}:
        raise where.error(
            "question", "choices", "one choice must be the answer when the check holds, one when it does not"
        )
    return QuestionSpec(text, tuple(choices))


def read_lesson_file(path: str | Path, number: int | None = None) -> Lesson:
    """A teacher's lesson file (at most MAX_BYTES, UTF-8)."""
    from playground.core.files import read_bounded

    p = Path(path)
    data = read_bounded(p, MAX_BYTES, "lesson file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlaygroundError(f"{p.name}: not UTF-8 text (byte {e.start})") from None
    return read_lesson(text, p.name, number)


def builtin_lessons() -> tuple[Lesson, ...]:
    """The built-in lessons, from resources/lessons (in their numbers' order)."""
    from playground.core.paths import resources_dir

    folder = resources_dir() / "lessons"
    found = [
        dataclasses.replace(read_lesson(p.read_text(encoding="utf-8"), p.name), builtin=True)
        for p in sorted(folder.glob("*.toml"))
    ]
    return tuple(sorted(found, key=lambda x: x.number))
