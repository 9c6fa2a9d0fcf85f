"""What every plot card shares: the card frame, the light theme, the time axis, small helpers.

The theme (colours, text sizes, colour maps) lives in :mod:`.theme` and the axes in
:mod:`.axes`; both are re-exported here, so plots import everything from this module.

A card is a titled frame with a "?" button that shows a short explanation for
students. A :class:`SessionCard` also knows its :class:`Session` and redraws
only when ``session.version`` changed since its last draw, so the window's
~30 fps timer costs nothing while training is paused.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.ui.plots.axes import MAX_TIME_TICKS, LogAxis, TimeAxis, pow10, time_caption
from playground.ui.plots.repaint import HINT_TAG, legend_brush
from playground.ui.plots.theme import (
    BLUE,
    DIVERGING,
    GREEN,
    LABEL_PT,
    ORANGE,
    PURPLE,
    SEQUENTIAL,
    SERIES_COLOURS,
    SKY,
    TICK_PT,
    TITLE_PT,
    VERMILLION,
    YELLOW,
    font,
    scheme,
    themed,
)
from playground.ui.session import Session

__all__ = [
    "BLUE",
    "DIVERGING",
    "EMPTY_HINT",
    "GREEN",
    "LABEL_PT",
    "MAX_TIME_TICKS",
    "ORANGE",
    "PURPLE",
    "SEQUENTIAL",
    "SERIES_COLOURS",
    "SKY",
    "TICK_PT",
    "TITLE_PT",
    "VERMILLION",
    "YELLOW",
    "ElidedLabel",
    "EmptyHint",
    "LayerChooser",
    "LegendStrip",
    "LogAxis",
    "PlotCard",
    "ProbeCard",
    "SessionCard",
    "StepRange",
    "TimeAxis",
    "add_legend",
    "finite_abs_max",
    "font",
    "image_rect",
    "make_colour_bar",
    "make_plot",
    "nice_ceiling",
    "nice_step",
    "pow10",
    "round_up_steps",
    "scheme",
    "set_axis_label",
    "set_colour_bar_label",
    "style_axis",
    "style_plot_item",
    "themed",
    "time_caption",
    "tooltip_html",
]

EMPTY_HINT = "press Play or Step to see this"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``value`` (levels that do not flicker)."""
    if not math.isfinite(value) or value <= 1.0:
        return 1.0
    value = min(value, 1e12)
    exp = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= value:
            return float(m * 10**exp)
    return float(10 ** (exp + 1))


def finite_abs_max(a: np.ndarray) -> float:
    """max |a| over the finite values (0 when there are none)."""
    a = np.asarray(a)
    finite = np.isfinite(a)
    if not finite.any():
        return 0.0
    return float(np.abs(a[finite]).max())


def tooltip_html(text: str) -> str:
    """Rich text so Qt wraps a long tooltip instead of drawing one very wide line."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


class ElidedLabel(QLabel):
    """A one-line label that ends in "..." when the card is too narrow (the full text is its tooltip)."""

    def paintEvent(self, event) -> None:
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter = QPainter(self)
        try:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text
            )
        finally:
            painter.end()  # never leave it to the garbage collector: a live painter blocks deleting the label

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)


class LegendStrip(QLabel):
    """A legend in a line of text under a plot: it never hides the data it explains."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setFont(font(TICK_PT))
        self.entries: list[str] = []

    def set_entries(self, entries) -> None:
        """``entries``: (name, colour, dashed) for each line, in order."""
        self.entries = [name for name, _, _ in entries]
        parts = []
        for name, colour, dashed in entries:
            swatch = "┅┅" if dashed else "━━"
            label = html.escape(name).replace(" ", "&nbsp;")  # break between entries, never inside one
            parts.append(f"<b style='color:{colour}'>{swatch}</b>&nbsp;<span>{label}</span>")
        self.setText("&nbsp;&nbsp;&nbsp; ".join(parts))


class PlotCard(QFrame):
    """A titled card: a bold title, a "?" button that shows a plain-language explanation, and a body."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("PlotCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        themed(
            self,
            "#PlotCard {{ background: {plot_bg}; border: 1px solid {card_border}; border-radius: 6px; }}",
        )
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 8)
        outer.setSpacing(4)

        self.header_layout = QHBoxLayout()
        self.header_layout.setSpacing(6)
        self.title_label = ElidedLabel(title)
        self.title_label.setFont(font(TITLE_PT, bold=True))
        themed(self.title_label, "color: {text};")
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header_layout.addWidget(self.title_label, 1)
        self.help_button = QToolButton()
        self.help_button.setText("?")
        self.help_button.setCheckable(True)
        self.help_button.setFont(font(LABEL_PT, bold=True))
        self.help_button.setFixedSize(24, 24)
        self.help_button.setToolTip("What am I looking at?")
        self.help_button.setAccessibleName(f"Explain the plot: {title}")
        self.header_layout.addWidget(self.help_button)
        outer.addLayout(self.header_layout)

        self.explanation_label = QLabel()
        self.explanation_label.setWordWrap(True)
        self.explanation_label.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation_label.setFont(font(LABEL_PT))
        themed(
            self.explanation_label,
            "background: {explanation_bg}; color: {text}; border-left: 3px solid " + BLUE + "; padding: 6px;",
        )
        # In a scroll area: a long explanation in a short card scrolls instead of being cut off.
        self.explanation_area = QScrollArea()
        self.explanation_area.setWidget(self.explanation_label)
        self.explanation_area.setWidgetResizable(True)
        self.explanation_area.setFrameShape(QFrame.Shape.NoFrame)
        self.explanation_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.explanation_area.setVisible(False)
        self.explanation_label.setVisible(False)
        self.help_button.toggled.connect(self._on_help_toggled)
        outer.addWidget(self.explanation_area)

        self.body_layout = QVBoxLayout()
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(4)
        outer.addLayout(self.body_layout, 1)
        self._tooltip_widgets: list[QWidget] = []

    def _on_help_toggled(self, on: bool) -> None:
        self.explanation_label.setVisible(on)
        self.explanation_area.setVisible(on)
        self._fit_explanation()

    def _fit_explanation(self) -> None:
        """As tall as the text needs, but at most about half the card: the plot stays in view."""
        width = max(100, self.explanation_area.viewport().width() or self.width() - 20)
        needed = self.explanation_label.heightForWidth(width) + 2
        self.explanation_area.setFixedHeight(max(40, min(needed, int(self.height() * 0.5))))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.explanation_area.isVisible():
            self._fit_explanation()

    def set_title(self, text: str) -> None:
        self.title_label.setText(text)

    def add_header_widget(self, widget: QWidget) -> None:
        """Put a small control (a layer chooser, a checkbox) in the title row, before the "?"."""
        self.header_layout.insertWidget(self.header_layout.count() - 1, widget)

    def show_tooltip_on(self, widget: QWidget) -> None:
        """Show the explanation as a tooltip when the mouse rests on ``widget`` (a plot)."""
        self._tooltip_widgets.append(widget)
        widget.setToolTip(
            tooltip_html(self.explanation_label.text()) if self.explanation_label.text() else ""
        )

    def set_explanation(self, text: str) -> None:
        self.explanation_label.setText(text)
        for w in self._tooltip_widgets:
            w.setToolTip(tooltip_html(text))


class ProbeCard:
    """Mixin for cards that draw only the probe: they redraw when a new probe arrives, not every step."""

    session: Session

    def data_version(self) -> int:
        return self.session.probe_version


class SessionCard(PlotCard):
    """A card that draws from a :class:`Session`; subclasses implement ``_draw`` and ``_clear``."""

    def __init__(self, title: str, session: Session, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.session = session
        self._drawn_version: int | None = None

    def data_version(self) -> int:
        """Changes when what this card draws changed: any new data here, only a new probe for probe plots."""
        return self.session.version

    def refresh(self) -> None:
        """Redraw from the session, unless nothing arrived since the last draw; then say in one sentence
        what the plot shows now (``summary``), for a screen reader and on hover."""
        version = self.data_version()
        if version == self._drawn_version:
            return
        self._drawn_version = version
        self._draw()
        self.say(self.summary())

    def summary(self) -> str:
        """What the plot shows now, in one sentence ("" when it shows nothing yet). Each plot says its own."""
        return ""

    def say(self, sentence: str) -> None:
        """The sentence as the card's accessible description, and first in its plots' tooltips."""
        if sentence == self.accessibleDescription():
            return
        self.setAccessibleDescription(sentence)
        text = self.explanation_label.text()
        for w in self._tooltip_widgets:
            w.setToolTip(tooltip_html(f"{sentence}\n\n{text}" if sentence else text))

    def redraw(self) -> None:
        """Draw again even though the session did not change (a chooser or a checkbox changed)."""
        self._drawn_version = None
        self.refresh()

    def reset(self, session: Session) -> None:
        """Switch to a new session (after Reset or a new model) and clear the drawing."""
        self.session = session
        self._drawn_version = None
        self._clear()

    def _draw(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _clear(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# -- the plots themselves ------------------------------------------------------------------------


def make_plot(
    left: str, bottom: str, bottom_axis: pg.AxisItem | None = None, log_y: bool = False
) -> pg.PlotWidget:
    """A white plot with dark grey axes and readable labels (set per widget, never globally)."""
    axes: dict[str, pg.AxisItem] = {"left": LogAxis("left")} if log_y else {}
    if bottom_axis is not None:
        axes["bottom"] = bottom_axis
    pw = pg.PlotWidget(axisItems=axes or None)
    pw.setBackground(scheme().plot_bg)
    # A plain white background is cheaper to fill than pyqtgraph's cached background is to copy:
    # a live plot repaints its whole view ~25 times a second.
    pw.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
    pw.setMinimumSize(200, 140)
    style_plot_item(pw.getPlotItem(), left, bottom)
    if log_y:
        pw.getPlotItem().setLogMode(x=False, y=True)
    return pw


def style_plot_item(item: pg.PlotItem, left: str, bottom: str) -> None:
    for name in ("left", "bottom"):
        style_axis(item.getAxis(name))
    set_axis_label(item, "left", left)
    set_axis_label(item, "bottom", bottom)
    # No grid: an axis with grid lines covers its whole plot, so every new point would repaint the
    # axis too (its text is the costly part); without, a live curve redraws alone.
    item.setMenuEnabled(False)


def style_axis(axis: pg.AxisItem) -> None:
    axis.setPen(pg.mkPen(scheme().axis))
    axis.setTextPen(pg.mkPen(scheme().text))
    axis.setStyle(tickFont=font(TICK_PT))
    axis.enableAutoSIPrefix(False)  # a step count or a norm is never "x0.001"
    # Ticks point outwards: an axis with inward ticks reaches 5 px into its plot, so a curve drawn
    # near the plot's edge repainted the axis (its text is the costly part) on every frame.
    axis.setStyle(tickLength=5)


def set_axis_label(item: pg.PlotItem, side: str, text: str) -> None:
    item.setLabel(side, text, color=scheme().text, **{"font-size": f"{LABEL_PT}pt"})


def add_legend(item: pg.PlotItem, columns: int = 1, offset: tuple[int, int] = (-8, 8)) -> pg.LegendItem:
    legend = item.addLegend(
        offset=offset,
        brush=legend_brush(scheme()),
        pen=pg.mkPen(scheme().legend_border),
        labelTextColor=scheme().text,
        labelTextSize=f"{TICK_PT}pt",
        verSpacing=-4,
    )
    legend.setColumnCount(columns)
    return legend


def make_colour_bar(
    item: pg.PlotItem | None, image: pg.ImageItem, cmap: pg.ColorMap, levels, label: str
) -> pg.ColorBarItem:
    """A non-interactive colour bar (fixed levels: colours keep their meaning), right of ``item`` if given."""
    bar = pg.ColorBarItem(
        values=tuple(levels), colorMap=cmap, width=12, interactive=False, colorMapMenu=False, label=label
    )
    bar.setImageItem(image, insert_in=item)
    for name in ("left", "right", "top", "bottom"):
        axis = bar.getAxis(name)
        axis.setPen(pg.mkPen(scheme().axis))
        axis.setTextPen(pg.mkPen(scheme().text))
        axis.setStyle(tickFont=font(TICK_PT))
    bar.getAxis("left").setLabel(label, color=scheme().text, **{"font-size": f"{TICK_PT}pt"})
    return bar


def set_colour_bar_label(bar: pg.ColorBarItem, label: str) -> None:
    bar.getAxis("left").setLabel(label, color=scheme().text, **{"font-size": f"{TICK_PT}pt"})


class StepRange:
    """The view of a curve that grows every step, set in rounded jumps instead of refitted every frame.

    Autorange would move the axes a little on every frame, and redrawing axes (their text) is the
    costliest part of a live plot. Rounded ranges change only now and then, so most frames redraw the
    curves alone. Zooming or panning with the mouse stops the following; the plot's "A" button resumes it.
    """

    def __init__(self, item: pg.PlotItem, on_resume=None):
        self.item = item
        self.vb = item.getViewBox()
        self.follow = True
        self._last: tuple | None = None
        self._on_resume = on_resume
        self.vb.disableAutoRange()
        self.vb.sigRangeChangedManually.connect(self._stop)
        if item.autoBtn is not None:
            item.autoBtn.clicked.connect(self._resume)  # after PlotItem's own slot, which autoranges

    def _stop(self, *_args) -> None:
        self.follow = False

    def _resume(self, *_args) -> None:
        self.reset()
        self.vb.disableAutoRange()
        if self._on_resume is not None:
            self._on_resume()

    def reset(self) -> None:
        self.follow = True
        self._last = None

    def update(
        self, x: np.ndarray, ys: list[np.ndarray], log_y: bool = False, x_range: tuple | None = None
    ) -> None:
        """Show x from its first value to a round number past its last (or ``x_range``), and every y in ``ys``."""
        if not self.follow or len(x) == 0:
            return
        finite = [y[np.isfinite(y) & ((y > 0) if log_y else True)] for y in ys]
        finite = [y for y in finite if y.size]
        if not finite:
            return
        lo = min(float(y.min()) for y in finite)
        hi = max(float(y.max()) for y in finite)
        if x_range is None:
            x_range = (float(min(x[0], 0)), round_up_steps(float(x[-1])))
        if log_y:
            y_range = (math.floor(2 * math.log10(lo)) / 2, math.ceil(2 * math.log10(hi)) / 2)
            if y_range[1] - y_range[0] < 1:
                y_range = (y_range[0] - 0.5, y_range[1] + 0.5)
        else:
            step = nice_step((hi - lo) / 4 if hi > lo else abs(hi) / 4 or 1.0)
            y_range = (math.floor(lo / step) * step, math.ceil(hi / step) * step)
            if y_range[1] <= y_range[0]:
                y_range = (y_range[0] - step, y_range[1] + step)
        if (x_range, y_range) != self._last:
            self._last = (x_range, y_range)
            self.vb.setRange(xRange=x_range, yRange=y_range, padding=0.02)


def round_up_steps(value: float) -> float:
    """The next of 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, ... at or above ``value``."""
    value = max(value, 10.0)
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= value:
            return m * exp
    return 10 * exp


def nice_step(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``value``: a tick step."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * exp >= value:
            return m * exp
    return 10 * exp


class EmptyHint:
    """A faint line of text in the middle of a plot, independent of the data range (no data yet)."""

    def __init__(self, item: pg.PlotItem, text: str = EMPTY_HINT):
        self._vb = item.getViewBox()
        self.item = QGraphicsSimpleTextItem(text, self._vb)
        self.item.setBrush(QColor(scheme().hint))
        self.item.setData(0, HINT_TAG)  # re-coloured with the theme (plots/repaint.py)
        f = font(LABEL_PT + 1)
        f.setItalic(True)
        self.item.setFont(f)
        self.item.setZValue(1e6)
        self._vb.sigResized.connect(self._place)
        self._place()

    def _place(self, *_args) -> None:
        r = self._vb.boundingRect()
        b = self.item.boundingRect()
        # a narrow plot (the gates' two small ones) shrinks the line to fit rather than cut it off
        scale = min(1.0, max(0.1, r.width() - 8) / max(1.0, b.width()))
        self.item.setScale(scale)
        self.item.setPos(r.center().x() - scale * b.width() / 2, r.center().y() - scale * b.height() / 2)

    def setVisible(self, visible: bool) -> None:
        self.item.setVisible(visible)

    def isVisible(self) -> bool:
        return self.item.isVisible()

    def text(self) -> str:
        return self.item.text()


class LayerChooser(QComboBox):
    """ "layer 1", "layer 2", ...: repopulated when the number of layers changes."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip("which layer to show")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sync(1)

    def sync(self, n_layers: int) -> int:
        """Make sure there are ``n_layers`` entries; returns the chosen layer (0-based)."""
        n_layers = max(1, n_layers)
        if self.count() != n_layers:
            keep = min(max(self.currentIndex(), 0), n_layers - 1)
            self.blockSignals(True)
            self.clear()
            self.addItems([f"layer {i + 1}" for i in range(n_layers)])
            self.setCurrentIndex(keep)
            self.blockSignals(False)
        self.setVisible(n_layers > 1)  # one layer: nothing to choose, and the title gets the room
        return max(self.currentIndex(), 0)


def image_rect(n_time: int, n_rows: int) -> QRectF:
    """Pixel t is centred on x = t, so an image lines up with curves and ticks drawn at integers."""
    return QRectF(-0.5, -0.5, float(n_time), float(n_rows))
