"""Where the bundled resources and example models live.

In a wheel they sit inside the package (``playground/resources``); in a source
checkout or editable install they sit at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _find(name: str) -> Path:
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def resources_dir() -> Path:
    return _find("resources")


def models_dir() -> Path:
    return _find("models")


def bundled_text() -> Path:
    return resources_dir() / "text/corpus.txt"


def bundled_dialogs() -> Path:
    return resources_dir() / "dialogs" / "knock_knock.txt"
