"""The one exception type a user may see.

Anything the user can get wrong (a file, a CSV column, a setting) raises
:class:`PlaygroundError` with one line that names the problem and, where there is
one, the fix. The command line prints that line and exits with status 2; the
window shows it in a message. Any other exception is a bug.
"""

from __future__ import annotations


class PlaygroundError(ValueError):
    """A problem with the user's input, explained in one line."""

    def __init__(self, message: str) -> None:
        # Keep it one line: the CLI prints exactly this.
        super().__init__(" ".join(str(message).split()))


def error_text(exc: BaseException, report_bug: bool = True) -> str:
    """The one line a user reads for ``exc``: its own words for a PlaygroundError; for anything else
    (a bug) its type and text, with the traceback printed to stderr when ``report_bug``."""
    if isinstance(exc, PlaygroundError):
        return str(exc)
    if report_bug:
        import traceback

        traceback.print_exception(exc)
        return f"unexpected error: {type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"
