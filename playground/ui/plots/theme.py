"""The plots' light theme: the colour-blind-safe palette, text sizes and colour maps, and ``font``."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont

# Okabe-Ito: distinguishable with the common kinds of colour blindness.
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
YELLOW = "#F0E442"
SERIES_COLOURS = (BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION, YELLOW)  # yellow last: faint on white

AXIS_COLOUR = "#404040"
TEXT_COLOUR = "#303030"
HINT_COLOUR = "#9a9a9a"
TICK_PT = 9
LABEL_PT = 10
TITLE_PT = 11

# Diverging map for signed values: blue (negative), white (zero), red (positive).
# Red-blue stays readable for the common kinds of colour blindness.
DIVERGING = pg.ColorMap(
    pos=np.array([0.0, 0.25, 0.5, 0.75, 1.0]),
    color=np.array(
        [[5, 48, 97], [67, 147, 195], [247, 247, 247], [214, 96, 77], [103, 0, 31]], dtype=np.ubyte
    ),
    name="blue-white-red",
)
SEQUENTIAL = pg.colormap.get("viridis")  # 0..1 values such as gates: dark = closed, yellow = open


def font(points: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f
