"""The four shapes of sequence tasks (lesson 13), the current task's highlighted.

Each shape is a small unrolled network: input boxes below, hidden boxes in the
middle (joined by the recurrent arrow), output boxes above. Under each, what
it means in one line, and a badge for every data kind of the app that has
that shape (from the kinds registry, via ``playground.core.lessons.shapes``).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from playground.core.lessons.shapes import CAPTIONS, SHAPES, Badge, badges, shape_of
from playground.ui.painting import painter
from playground.ui.plots.base import BLUE, GREEN, ORANGE, VERMILLION, font
from playground.ui.plots.theme import LIGHT

# Drawn on its own white canvas in both themes: the light theme's text colours.
TEXT_COLOUR = LIGHT.text
HINT_COLOUR = LIGHT.hint

INPUT_FILL = "#DCEBF7"  # inputs: pale blue, outlined in the app's blue
HIDDEN_FILL = "#EFEFEF"
DECODER_FILL = "#FBE9D0"  # the encoder-decoder's second network
OUTPUT_FILL = "#D5F0E6"  # outputs: pale green
HIGHLIGHT_BG = "#FFF4EC"
PANEL_MIN_W = 230
PANEL_H = 300
DIAGRAM_H = 132
STEPS = 4  # time steps drawn per shape (the encoder-decoder: 3 + 3)
TITLES = {
    "many-to-many": "many-to-many",
    "many-to-one": "many-to-one",
    "one-to-many": "one-to-many",
    "encoder-decoder": "encoder-decoder",
}


class ShapesView(QWidget):
    """``set_kind(kind)`` highlights that kind's shape; ``highlighted()`` says which one is."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._badges: dict[str, list[Badge]] = badges()
        self._kind: str | None = None
        self._shape: str | None = None
        self.setMinimumSize(2 * PANEL_MIN_W + 24, 2 * PANEL_H + 24)

    # -- public ------------------------------------------------------------------------------------
    def set_kind(self, kind: str | None, seq2seq: bool = False) -> None:
        """Highlight the shape of ``kind``'s task (``seq2seq``: its encoder-decoder); None: no task."""
        self._kind = kind
        self._shape = None if kind is None else shape_of(kind, seq2seq)
        self.update()

    def highlighted(self) -> str | None:
        """The shape drawn highlighted: one of SHAPES, or None."""
        return self._shape

    def panel_rect(self, shape: str) -> QRectF:
        """Where a shape is drawn, in this widget's coordinates."""
        return self._panels()[SHAPES.index(shape)]

    def sizeHint(self) -> QSize:
        return QSize(4 * PANEL_MIN_W + 40, PANEL_H + 24)

    # -- layout ------------------------------------------------------------------------------------
    def _panels(self) -> list[QRectF]:
        """Four panels in a row when there is room, else two by two."""
        pad = 8.0
        cols = 4 if self.width() >= 4 * PANEL_MIN_W + 5 * pad else 2
        rows = 4 // cols
        w = (self.width() - (cols + 1) * pad) / cols
        h = max(PANEL_H, (self.height() - (rows + 1) * pad) / rows) if rows == 2 else PANEL_H
        return [QRectF(pad + (i % cols) * (w + pad), pad + (i // cols) * (h + pad), w, h) for i in range(4)]

    # -- drawing -----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        with painter(self) as p:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.fillRect(self.rect(), QColor("white"))
            for shape, rect in zip(SHAPES, self._panels()):
                self._panel(p, shape, rect)

    def _panel(self, p: QPainter, shape: str, rect: QRectF) -> None:
        lit = shape == self._shape
        p.setPen(QPen(QColor(VERMILLION if lit else "#c8c8c8"), 3 if lit else 1))
        p.setBrush(QColor(HIGHLIGHT_BG if lit else "white"))
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 6, 6)
        p.setFont(font(11, bold=True))
        p.setPen(QColor(VERMILLION if lit else TEXT_COLOUR))
        title_rect = QRectF(rect.left() + 10, rect.top() + 6, rect.width() - 20, 20)
        p.drawText(title_rect, Qt.AlignmentFlag.AlignLeft, TITLES[shape])
        if lit:  # a tag at the right of the title line
            p.setFont(font(8, bold=True))
            tag = "THIS TASK"
            w = QFontMetrics(p.font()).horizontalAdvance(tag) + 12
            r = QRectF(title_rect.right() - w, title_rect.top() + 1, w, 17)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(VERMILLION))
            p.drawRoundedRect(r, 8, 8)
            p.setPen(QColor("white"))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, tag)
        diagram = QRectF(rect.left() + 10, rect.top() + 30, rect.width() - 20, DIAGRAM_H)
        if shape == "encoder-decoder":
            self._encoder_decoder(p, diagram)
        else:
            self._network(p, shape, diagram)
        p.setFont(font(9))
        p.setPen(QColor("#505050"))
        flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        width = rect.width() - 20
        need = QFontMetrics(p.font()).boundingRect(QRect(0, 0, int(width), 1000), int(flags), CAPTIONS[shape])
        cap = QRectF(rect.left() + 10, diagram.bottom() + 6, width, need.height() + 2)
        p.drawText(cap, flags, CAPTIONS[shape])
        self._badge_list(
            p,
            shape,
            self._badges.get(shape, []),
            QRectF(rect.left() + 10, cap.bottom() + 8, width, rect.bottom() - cap.bottom() - 14),
        )

    def _grid(self, area: QRectF, n: int) -> tuple[list[float], float, tuple[float, float, float]]:
        """x centres of n columns, the box size, and the y centres of the output, hidden, input rows."""
        step = area.width() / n
        size = min(30.0, step * 0.58, area.height() / 4.2)
        xs = [area.left() + step * (i + 0.5) for i in range(n)]
        ys = (area.top() + size * 0.6, area.center().y(), area.bottom() - size * 0.6)
        return xs, size, ys

    def _network(self, p: QPainter, shape: str, area: QRectF) -> None:
        xs, size, (y_out, y_h, y_in) = self._grid(area, STEPS)
        # one-to-many: blanks after the one input where that is the current task (the one-to-many
        # lesson), else sampling: each output fed back in as the next input
        blanks = self._shape == "one-to-many"
        for i, x in enumerate(xs):
            has_in = shape != "one-to-many" or i == 0
            has_out = shape != "many-to-one" or i == STEPS - 1
            if i > 0:
                _arrow(p, QPointF(xs[i - 1] + size / 2, y_h), QPointF(x - size / 2, y_h), ORANGE, 2.0)
            if has_in:
                _arrow(p, QPointF(x, y_in - size / 2), QPointF(x, y_h + size / 2), "#707070", 1.2)
                _box(p, QPointF(x, y_in), size, INPUT_FILL, BLUE, "x")
            elif shape == "one-to-many":  # a blank, or the output before, sampled and fed back in
                _arrow(p, QPointF(x, y_in - size / 2), QPointF(x, y_h + size / 2), HINT_COLOUR, 1.2)
                _box(p, QPointF(x, y_in), size, "white", HINT_COLOUR, "·" if blanks else "ŷ", dashed=True)
            if has_out:
                _arrow(p, QPointF(x, y_h - size / 2), QPointF(x, y_out + size / 2), "#707070", 1.2)
                _box(p, QPointF(x, y_out), size, OUTPUT_FILL, GREEN, "y")
            if shape == "one-to-many" and not blanks and i < STEPS - 1:  # the sampled output goes back in
                self._feedback(p, QPointF(x + size / 2, y_out), QPointF(xs[i + 1] - size / 2, y_in), size)
            _box(p, QPointF(x, y_h), size, HIDDEN_FILL, "#505050", "h")

    def _feedback(self, p: QPainter, a: QPointF, b: QPointF, size: float) -> None:
        pen = QPen(QColor(HINT_COLOUR), 1.2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        mid_x = (a.x() + b.x()) / 2
        p.drawLine(a, QPointF(mid_x, a.y()))
        p.drawLine(QPointF(mid_x, a.y()), QPointF(mid_x, b.y()))
        _arrow(p, QPointF(mid_x, b.y()), b, HINT_COLOUR, 1.2)

    def _encoder_decoder(self, p: QPainter, area: QRectF) -> None:
        n = 6
        xs, size, (y_out, y_h, y_in) = self._grid(area, n)
        for i, x in enumerate(xs):
            encoder = i < 3
            if i > 0:
                colour = VERMILLION if i == 3 else ORANGE  # the context: the encoder's last state
                _arrow(p, QPointF(xs[i - 1] + size / 2, y_h), QPointF(x - size / 2, y_h), colour, 2.0)
            if encoder:
                _arrow(p, QPointF(x, y_in - size / 2), QPointF(x, y_h + size / 2), "#707070", 1.2)
                _box(p, QPointF(x, y_in), size, INPUT_FILL, BLUE, "x")
            else:
                _arrow(p, QPointF(x, y_h - size / 2), QPointF(x, y_out + size / 2), "#707070", 1.2)
                _box(p, QPointF(x, y_out), size, OUTPUT_FILL, GREEN, "y")
            _box(
                p,
                QPointF(x, y_h),
                size,
                HIDDEN_FILL if encoder else DECODER_FILL,
                "#505050",
                "h" if encoder else "s",
            )
        p.setFont(font(8))
        p.setPen(QColor("#606060"))
        half = (xs[3] - xs[2]) / 2
        # the names where the other half has no boxes: above the encoder, below the decoder
        p.drawText(
            QRectF(area.left(), y_out - 8, xs[2] + half - area.left(), 16),
            Qt.AlignmentFlag.AlignCenter,
            "encoder",
        )
        p.drawText(
            QRectF(xs[3] - half, y_in - 8, area.right() - xs[3] + half, 16),
            Qt.AlignmentFlag.AlignCenter,
            "decoder",
        )

    def _badge_list(self, p: QPainter, shape: str, items: list[Badge], area: QRectF) -> None:
        """One rounded badge per data kind, wrapped onto as many lines as needed."""
        p.setFont(font(9))
        fm = QFontMetrics(p.font())
        x, y = area.left(), area.top()
        line_h = fm.height() + 8
        for badge in items:
            mine = badge.kind == self._kind and shape == self._shape  # the task on screen
            text = fm.elidedText(badge.text, Qt.TextElideMode.ElideRight, int(area.width()) - 12)
            w = fm.horizontalAdvance(text) + 14
            if x > area.left() and x + w > area.right():
                x, y = area.left(), y + line_h + 4
            if y + line_h > area.bottom() + 4:
                break
            r = QRectF(x, y, w, line_h)
            p.setPen(QPen(QColor(BLUE), 1.5 if mine else 1))
            p.setBrush(QColor(BLUE if mine else "#EEF4FA"))
            p.drawRoundedRect(r, line_h / 2, line_h / 2)
            p.setPen(QColor("white" if mine else TEXT_COLOUR))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
            x += w + 6
        if not items:
            p.setPen(QColor(HINT_COLOUR))
            p.drawText(area, Qt.AlignmentFlag.AlignLeft, "no data kind of the app has this shape")


def _box(
    p: QPainter, centre: QPointF, size: float, fill: str, edge: str, text: str, dashed: bool = False
) -> None:
    r = QRectF(centre.x() - size / 2, centre.y() - size / 2, size, size)
    p.setPen(QPen(QColor(edge), 1.3, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
    p.setBrush(QColor(fill))
    p.drawRoundedRect(r, 4, 4)
    p.setFont(font(9))
    p.setPen(QColor(TEXT_COLOUR))
    p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)


def _arrow(p: QPainter, a: QPointF, b: QPointF, colour: str, width: float) -> None:
    c = QColor(colour)
    v = b - a
    n = (v.x() ** 2 + v.y() ** 2) ** 0.5
    if n < 1:
        return
    ux, uy = v.x() / n, v.y() / n
    head = 4.0 + width * 1.5
    base = QPointF(b.x() - ux * head, b.y() - uy * head)
    p.setPen(QPen(c, width))
    p.drawLine(a, base)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    side = QPointF(-uy * head * 0.55, ux * head * 0.55)
    p.drawPolygon(QPolygonF([b, base + side, base - side]))
    p.setBrush(Qt.BrushStyle.NoBrush)
