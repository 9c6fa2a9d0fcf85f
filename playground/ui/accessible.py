"""Names for screen readers: every control of the window says what it is.

Qt gives a control a name from its own text (a button's label) or from the label a form row puts
beside it (its buddy). Controls with neither (a spin box beside a button, a slider under a caption,
a "?" button) would be read as "spin box" or "question mark"; :func:`name_unnamed` gives each of
them a name from its tooltip (the first sentence) and the whole tooltip as its description.
It also lets Tab move on from every control: a text box or a table would otherwise take the Tab key
for itself (a tab character, the next cell) and hold a keyboard user there.
tests/test_accessibility.py walks the window and finds none left without a name, and tabs through it.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

INTERACTIVE = (
    QAbstractButton,
    QComboBox,
    QAbstractSpinBox,
    QLineEdit,
    QAbstractSlider,
    QAbstractItemView,
    QTabBar,
    QTextEdit,
    QPlainTextEdit,
)
QT_OWN = {"qt_tableview_cornerbutton", "qt_menubar_ext_button", "qt_spinbox_lineedit"}
NAME_CHARS = 80


def is_control(w: QWidget) -> bool:
    """A control a user reaches and works on its own (not a part of another: a spin box's text field,
    a combo box's list, a table's header, a scroll bar, Qt's own corner buttons)."""
    if not isinstance(w, INTERACTIVE) or isinstance(w, (QScrollBar, QHeaderView)):
        return False
    if w.objectName() in QT_OWN:
        return False
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox, QTabBar)):
            return False
        parent = parent.parentWidget()
    return True


def spoken_name(w: QWidget) -> str:
    """What a screen reader says the control is called (Qt's accessible name: its own, its text, or
    its buddy label's)."""
    iface = QAccessible.queryAccessibleInterface(w)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


def has_name(w: QWidget) -> bool:
    return any(ch.isalnum() for ch in spoken_name(w))


def short_name(tip: str) -> str:
    """A tooltip's first sentence, at most NAME_CHARS characters (cut at a word)."""
    text = re.sub(r"<[^>]+>", "", tip).strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    if len(first) <= NAME_CHARS:
        return first
    return first[:NAME_CHARS].rsplit(" ", 1)[0] + "…"


def name_unnamed(root: QWidget) -> list[QWidget]:
    """Name every control under ``root`` that has no name from its tooltip, and let Tab leave text
    boxes and tables; returns the controls still without a name (no tooltip either)."""
    left = []
    for w in [root, *root.findChildren(QWidget)]:
        if not is_control(w):
            continue
        if isinstance(w, (QPlainTextEdit, QTextEdit)):
            w.setTabChangesFocus(True)
        elif isinstance(w, QAbstractItemView):
            w.setTabKeyNavigation(False)  # the arrow keys still move between cells
        if has_name(w):
            continue
        tip = w.toolTip()
        if tip:
            w.setAccessibleName(short_name(tip))
            if not w.accessibleDescription():
                w.setAccessibleDescription(re.sub(r"<[^>]+>", "", tip))
        else:
            left.append(w)
    return left


def name(w: QWidget, text: str, description: str = "") -> QWidget:
    """Give ``w`` a name (and a description) for screen readers; returns ``w``."""
    w.setAccessibleName(text)
    if description:
        w.setAccessibleDescription(description)
    return w


def announce(widget: QWidget, text: str) -> None:
    """Say ``text`` now to a screen reader, as a live region does: the widget's accessible name becomes
    the text and an Alert event goes out for it (Qt's way to have a message read as it appears). Used for
    the banner's verdicts and a lesson's check result."""
    widget.setAccessibleName(text)
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.Alert))
