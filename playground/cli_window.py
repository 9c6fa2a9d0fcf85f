"""The command line's window commands: `lessons` (list them) and `gui` (the window, or a timed demo)."""

from __future__ import annotations

import argparse
import json
import sys

from playground.core.errors import PlaygroundError


def cmd_lessons(a: argparse.Namespace) -> int:
    from playground.core.lessons import LESSONS

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


def cmd_gui(a: argparse.Namespace) -> int:
    if a.lesson is not None:
        from playground.core.lessons import lesson

        lesson(a.lesson)  # an unknown id is a one-line error, before any window opens
    if (a.screenshot or a.json or a.lesson or a.file) and a.demo is None:
        flag = "--screenshot" if a.screenshot else "--json" if a.json else "--lesson" if a.lesson else "--file"
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
        data = dataclasses.replace(preset, source="file", path=a.file, column=a.column, inputs=a.inputs).validate()
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
