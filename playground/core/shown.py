"""Values from files and users, made fit for a one-line message or a terminal: cut to a length, with
control characters (a bell, an escape sequence, a newline) shown as escapes, lists of names cut to a
few and the count of the rest. No Qt, no torch."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def cut(text: str, limit: int = 60) -> str:
    """``text`` cut to about ``limit`` characters for a message, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def printable(value: object, limit: int = 200) -> str:
    """``value`` as text a terminal shows as it is: control and format characters (C0, C1, bidi
    overrides) and lone surrogates escaped, cut to ``limit`` characters."""
    text = str(value)
    out = []
    for ch in text[:limit]:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    more = f"... ({len(text) - limit:,} more characters)" if len(text) > limit else ""
    return "".join(out) + more


def listing(names: Iterable[object], few: int = 8, each: int = 40) -> str:
    """Names for a message, comma-separated: at most ``few`` of them, each cut to ``each`` characters
    and made printable, then how many more there are."""
    shown, more = [], 0
    for i, name in enumerate(names):
        if i < few:
            shown.append(printable(name, each))
        else:
            more += 1
    return ", ".join(shown) + (f" and {more:,} more" if more else "")
