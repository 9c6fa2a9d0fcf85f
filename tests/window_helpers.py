"""Waiting on the window's answers: ``qtbot.waitSignal(w.answered, check_params_cb=answer_is(...))``.

``w.answered`` fires after the window has taken an answer in (stale ones never fire), so a test that
wakes on it sees the window already updated.
"""

from __future__ import annotations

from playground.app import messages as m

_KINDS = {
    "predicted": lambda a: isinstance(a, m.Predicted),
    "saved": lambda a: isinstance(a, m.Saved),
    "opened": lambda a: isinstance(a, m.ModelArrived) and a.how == "opened",
    "built": lambda a: isinstance(a, m.ModelArrived) and a.how == "built",
    "adopted": lambda a: isinstance(a, m.ModelArrived) and a.how == "adopted",
    "failed": lambda a: isinstance(a, (m.Failed, m.JobRefused, m.SettingRefused)),
    "inspected": lambda a: isinstance(a, m.Inspected),
    "compared": lambda a: isinstance(a, m.Compared),
    "undone": lambda a: isinstance(a, m.Undone),
}


def answer_is(kind: str):
    """A check for ``waitSignal``: true for an answer of this kind (see ``_KINDS``)."""
    return _KINDS[kind]
