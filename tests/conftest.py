"""Shared test setup. Qt must be told to draw offscreen before anything imports it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture
def tiny_text() -> str:
    """A small text with enough repetition for a model to learn something in a few steps."""
    lines = [
        "the cat sat on the mat. ",
        "the dog sat on the log. ",
        "a bird sang in the tree. ",
        "the sun rose over the hill. ",
    ]
    return "".join(lines) * 40
