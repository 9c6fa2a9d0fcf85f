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
