"""The plots' light theme: the colour-blind-safe palette, text sizes and colour maps, and ``font``."""

from __future__ import annotations

from PySide6.QtGui import QFont

# The data colours (Okabe-Ito lines, the colour maps) are palettes.py's, re-exported here.
from playground.ui.palettes import (  # noqa: F401
    BLUE,
    DIVERGING,
    GREEN,
    ORANGE,
    PURPLE,
    SEQUENTIAL,
    SERIES_COLOURS,
    SKY,
    VERMILLION,
    YELLOW,
)

AXIS_COLOUR = "#404040"
TEXT_COLOUR = "#303030"
HINT_COLOUR = "#9a9a9a"
TICK_PT = 9
LABEL_PT = 10
TITLE_PT = 11



def font(points: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f
