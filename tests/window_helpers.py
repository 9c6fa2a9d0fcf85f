"""Waiting on the window's answers: ``qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted))``.

``w.answered`` fires after the window has taken an answer in (stale ones never fire), so a test that
wakes on it sees the window already updated.
"""

from __future__ import annotations

from collections.abc import Callable

from playground.app import messages as m

FAILED = (m.Failed, m.JobRefused, m.SettingRefused)  # every answer that says something was refused


def answer_is(*types: type[m.Answer], how: str | None = None) -> Callable[[object], bool]:
    """A check for ``waitSignal``: true for an answer of one of ``types`` (with ``how``: a
    ``ModelArrived`` that came this way, "built", "opened", "adopted" or "kept")."""

    def check(a: object) -> bool:
        return isinstance(a, types) and (how is None or getattr(a, "how", None) == how)

    return check


def arrived(how: str) -> Callable[[object], bool]:
    """A check for ``waitSignal``: true for a model that arrived ``how`` ("built", "opened" ...)."""
    return answer_is(m.ModelArrived, how=how)
