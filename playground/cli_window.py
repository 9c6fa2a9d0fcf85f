"""The command line's window commands: `lessons` (list them) and `gui` (the window, or a timed demo)."""

from __future__ import annotations

import argparse
import json
import sys

from playground.core.errors import PlaygroundError


def cmd_lessons(a: argparse.Namespace) -> int:
    from playground.core.lessons import LESSONS

    if a.file:
        return _lesson_file(a.file, a.json, max(x.number for x in LESSONS) + 1)

    rows = [
        {
            "id": x.id,
            "number": x.number,
            "title": x.title,
            "preset": x.preset,
            "view": x.tab,
            "try": x.try_label,
            "seeds": list(x.seeds),
        }
        for x in LESSONS
    ]
    if a.json:
        print(json.dumps({"lessons": rows}))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        print(f"{r['number']:2d}  {r['id']:<{width}}  {r['title']}")
    print("\nSet one up in the window: Help > Lessons, or rnn-playground gui --demo 30 --lesson ID")
    print("Train one here, its verdicts printed as they come: rnn-playground train --lesson ID")
    return 0


def _lesson_file(path: str, as_json: bool, number: int) -> int:
    """`lessons --file F`: the lesson a file holds, checked whole (one line and exit 2 for a mistake)."""
    from playground.core.lessons import setup_of
    from playground.core.lessons.files import read_lesson_file
    from playground.core.lessons.quantities import QUANTITIES

    card = read_lesson_file(path, number)
    session = setup_of(card)
    c = card.check
    if c.quantity:
        sign, threshold = (">", c.above) if c.above is not None else ("<", c.below)
        check = f"{c.quantity} {sign} {threshold:g} ({QUANTITIES[c.quantity].words})"
    else:
        check = f"the built-in check of lesson {c.builtin!r}"
    row = {
        "id": card.id,
        "number": card.number,
        "title": card.title,
        "preset": card.preset,
        "settings": card.settings,
        "model": session.model.describe(),
        "view": card.tab,
        "outline": card.outline,
        "steps": card.steps,
        "try": {"label": card.try_label, "action": card.try_action},
        "check": check,
        "question": None
        if card.question is None
        else {"text": card.question.text, "choices": [ch.label for ch in card.question.choices]},
    }
    if as_json:
        print(json.dumps({"lesson": row}))
        return 0
    print(f"{card.source}: lesson {card.number}, {card.title!r} (id {card.id})")
    over = "; ".join(
        f"{part}: {', '.join(f'{k}={v}' for k, v in values.items())}"
        for part, values in card.settings.items()
    )
    print(f"  set it up: preset {card.preset}{f' with {over}' if over else ''} ({session.model.describe()}), "
          f"open {card.view_words()}, train {card.steps:,} steps")  # fmt: skip
    print(f"  try this: {card.try_label} ({card.try_action})")
    print(f"  check: {check}")
    if card.question is not None:
        print(f"  asks first: {card.question.text} ({' / '.join(ch.label for ch in card.question.choices)})")
    print("Open it in the window: File > Open Lesson, or drop the file on the window")
    return 0


def cmd_gui(a: argparse.Namespace) -> int:
    if a.lesson is not None:
        from playground.core.lessons import lesson

        lesson(a.lesson)  # an unknown id is a one-line error, before any window opens
    if (a.screenshot or a.json or a.lesson or a.file) and a.demo is None:
        flag = (
            "--screenshot" if a.screenshot else "--json" if a.json else "--lesson" if a.lesson else "--file"
        )
        raise PlaygroundError(f"{flag} needs --demo SECONDS")
    if (a.column or a.inputs) and not a.file:
        raise PlaygroundError(f"{'--column' if a.column else '--inputs'} needs --file PATH")
    data = None
    if a.file:  # checked here, so that a wrong setting is one line before any window opens
        import dataclasses

        from playground.core.kinds import kind_spec
        from playground.core.presets import PRESETS

        preset = PRESETS[a.preset][1].data
        if (a.column or a.inputs) and "inputs" not in kind_spec(preset.kind).settings:
            flag = "--column" if a.column else "--inputs"
            raise PlaygroundError(f"{flag} is for a CSV series: use it with --preset prices, not {a.preset}")
        data = dataclasses.replace(
            preset, source="file", path=a.file, column=a.column, inputs=a.inputs
        ).validate()
        from playground.core.data import build_task

        build_task(data)  # a missing file, a CSV without that column...: one line, no window left waiting
    from playground.app import launch
    from playground.app.qt_libs import check_before_window

    missing = check_before_window()  # before the training process starts: Qt would abort without them
    if missing:
        raise PlaygroundError(missing)
    if a.demo is not None or not launch.no_display():
        # the training process loads torch while the window is imported and built
        launch.start_early()
    try:
        from playground.ui.app import main as gui_main  # the window arrives with the UI package
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("playground.ui"):
            print(
                "the window is not built yet: use `rnn-playground train`, `sample`, `forecast` or `info`",
                file=sys.stderr,
            )
            return 1
        raise
    return gui_main(
        demo=a.demo,
        screenshot=a.screenshot,
        preset=a.preset,
        view=a.view,
        report_json=a.json,
        lesson=a.lesson,
        data=data,
        theme=a.theme,
    )
