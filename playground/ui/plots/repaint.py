"""Re-colour the pyqtgraph plots already built when the theme changes (View > Theme, or the desktop's).

Plots take the current scheme's colours when they are built (``base.style_axis``, ``add_legend``...);
this walks the scenes of a window's plots and sets the same colours again for a new scheme. Data
colours (lines, colour maps) stay: they are the same in both themes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsSimpleTextItem, QWidget

if TYPE_CHECKING:
    from playground.ui.plots.theme import Scheme

HINT_TAG = "empty-plot hint"  # data(0) of an EmptyHint's text item


def legend_brush(s: Scheme) -> pg.QtGui.QBrush:
    c = QColor(s.legend_bg)
    c.setAlpha(220)
    return pg.mkBrush(c)


def recolour_axis(axis: pg.AxisItem, s: Scheme) -> None:
    axis.setPen(pg.mkPen(s.axis))
    axis.setTextPen(pg.mkPen(s.text))
    if axis.label.isVisible() and axis.labelText:
        style = dict(axis.labelStyle, color=s.text)
        axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix, **style)


def recolour_plots(top: QWidget, s: Scheme) -> None:
    """Every plot under ``top``: background, axes, their labels, legends, titles, empty-plot hints."""
    views = top.findChildren(pg.GraphicsView)
    if isinstance(top, pg.GraphicsView):
        views.append(top)
    for view in views:
        view.setBackground(s.plot_bg)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                recolour_axis(item, s)
            elif isinstance(item, pg.LegendItem):
                item.setBrush(legend_brush(s))
                item.setPen(pg.mkPen(s.legend_border))
                item.setLabelTextColor(s.text)
            elif isinstance(item, pg.LabelItem) and not isinstance(item.parentItem(), pg.LegendItem):
                item.setText(item.text, color=s.text)
            elif isinstance(item, QGraphicsSimpleTextItem) and item.data(0) == HINT_TAG:
                item.setBrush(QColor(s.hint))
