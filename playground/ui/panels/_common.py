"""Small helpers the panels share: note and error labels, combo boxes with explained options."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QWidget

from playground.ui.palettes import BLUE, GREY, ORANGE, VERMILLION  # noqa: F401  (Okabe-Ito)
from playground.ui.plots.theme import LIGHT, themed

ERROR_RED = LIGHT.error  # error words in the light theme (the dark theme's: DARK.error)

_BASE_TIP = Qt.ItemDataRole.UserRole + 1  # an item's own tooltip, kept while a reason replaces it

# How characters without a visible shape are drawn in previews and bars.
VISIBLE_CHARS = {"\n": "\u21b5", " ": "\u2423", "\t": "\u21e5"}


def visible(ch: str) -> str:
    """One character as something a reader can see (space, newline and controls get a glyph)."""
    return VISIBLE_CHARS.get(ch, ch if ch.isprintable() else f"\\x{ord(ch):02x}")


def note_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A small grey word-wrapped label for explanations that should not shout."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    font = label.font()
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
    label.setFont(font)
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(pal)
    return label


def error_label(parent: QWidget | None = None) -> QLabel:
    """A red word-wrapped label, hidden while it has nothing to say."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    themed(label, "color: {error};")
    label.setVisible(False)
    return label


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def choice_combo(options: Sequence[tuple[Any, str, str]], tooltip: str) -> QComboBox:
    """A combo box of (value, label, tooltip) options; each option explains itself on hover."""
    combo = QComboBox()
    for value, text, tip in options:
        combo.addItem(text, value)
        i = combo.count() - 1
        combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        combo.setItemData(i, tip, _BASE_TIP)
    combo.setToolTip(tooltip)
    return combo


def combo_value(combo: QComboBox) -> Any:
    return combo.currentData()


def set_combo_value(combo: QComboBox, value: Any) -> bool:
    """Select the option holding ``value``; False (and no change) when there is none."""
    i = combo.findData(value)
    if i < 0:
        return False
    combo.setCurrentIndex(i)
    return True


def set_option_enabled(combo: QComboBox, value: Any, enabled: bool, reason: str = "") -> None:
    """Grey out one option of a combo box; its tooltip then says why it cannot be chosen."""
    i = combo.findData(value)
    model = combo.model()
    if i < 0 or not isinstance(model, QStandardItemModel):
        return
    item = model.item(i)
    item.setEnabled(enabled)
    base = item.data(_BASE_TIP) or ""
    item.setData(base if enabled or not reason else f"Unavailable: {reason}", Qt.ItemDataRole.ToolTipRole)


def option_enabled(combo: QComboBox, value: Any) -> bool:
    """Whether the option holding ``value`` can be chosen (False when there is no such option)."""
    i = combo.findData(value)
    model = combo.model()
    if i < 0 or not isinstance(model, QStandardItemModel):
        return False
    return model.item(i).isEnabled()


def int_spin(lo: int, hi: int, tip: str, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setToolTip(tip)
    return spin


def float_spin(lo: float, hi: float, decimals: int, tip: str, step: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(lo, hi)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setToolTip(tip)
    return spin
