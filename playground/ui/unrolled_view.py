"""The network unrolled through time (lessons 4 and 5), drawn from a ``core.inspect.unroll.Unrolled``.

One box per time step with its input under it and h_t inside as a coloured
strip; the same W_hh on every arrow between boxes, in one colour, so it reads
as one matrix; the loss of each step above. Under the boxes the backward pass:
||dL/dh_t|| flowing right to left (log scale, the arrows thin as it fades),
and how much each step adds to dL/dW_hh. Long sequences show a window of
steps with a scroll bar. Clicking a step emits ``step_clicked(t)``.

Nothing here computes: the numbers come from ``playground.core.inspect.unroll``.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QLabel, QScrollBar, QVBoxLayout, QWidget

from playground.ui.painting import painter
from playground.ui.plots.base import (
    BLUE,
    DIVERGING,
    ORANGE,
    VERMILLION,
    font,
    pow10,
)
from playground.ui.plots.theme import LIGHT, themed

# The unrolled network is drawn on its own white canvas in both themes: the light theme's text colours.
TEXT_COLOUR = LIGHT.text
HINT_COLOUR = LIGHT.hint

W_HH_COLOUR = "#B86E00"  # the shared matrix: one darker orange everywhere (arrows, labels, its bars)
W_HH_BAR = ORANGE
SELECTED_BG = "#EAF2FA"
LOSS_OUTSIDE = "#A9CBE3"  # a step's loss that is not a part of L (L is the last step's loss): paler
LABEL_W = 124  # the left gutter that names the rows
RIGHT_PAD = 14
MIN_STEP_W = 44  # narrower than this and the labels no longer fit: scroll instead
MAX_STEP_W = 88
MAX_VISIBLE = 24  # never more steps at once than this, however wide the window
GRAD_DECADES = 12  # the log scale of ||dL/dh_t|| spans at most this many powers of ten
STRIP_COLS = 16  # h_t is drawn as a grid this many units wide
EMPTY_TEXT = "Nothing to unroll yet: train a step (or open a model) and the probe sequence appears here."
ASKED_TEXT = "Unrolling the probe sequence…"

# Row layout, top to bottom: (name, height in pixels)
_ROWS = (
    ("pad", 8),
    ("loss", 54),
    ("up", 20),  # the output arrow, and the W_hh labels between boxes
    ("box", 48),
    ("in", 14),
    ("input", 38),
    ("caption", 22),
    ("flow", 20),
    ("grad", 58),
    ("share", 58),
    ("legend", 44),
)


if TYPE_CHECKING:  # torch loads in the training process, not the window's
    from playground.core.inspect.reports import Unrolled

def _row_tops() -> dict[str, tuple[int, int]]:
    tops, y = {}, 0
    for name, h in _ROWS:
        tops[name] = (y, h)
        y += h
    return tops


ROWS = _row_tops()
CANVAS_H = sum(h for _, h in _ROWS)


def _show_label(label: str) -> str:
    return {"\n": "↵", " ": "␣", "\t": "⇥"}.get(label, label)


class _UnrolledCanvas(QWidget):
    """Draws a window of steps [first, first + count) of one Unrolled."""

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: Unrolled | None = None
        self._first = 0
        self.selected: int | None = None
        self.setMinimumHeight(CANVAS_H)
        self.setMinimumWidth(LABEL_W + RIGHT_PAD + 8 * MIN_STEP_W)
        self.setMouseTracking(False)

    # -- geometry ------------------------------------------------------------------------------
    @property
    def first(self) -> int:
        """The first step drawn. Kept inside the sequence as read: the canvas may widen (more steps
        fit) before the view's scroll bar hears of it, and a step past the end has nothing to draw."""
        if self.data is None:
            return self._first
        return max(0, min(self._first, self.data.n_steps - self.visible_count()))

    @first.setter
    def first(self, value: int) -> None:
        self._first = int(value)

    def visible_count(self) -> int:
        if self.data is None:
            return 0
        room = max(1, self.width() - LABEL_W - RIGHT_PAD)
        return max(1, min(self.data.n_steps, MAX_VISIBLE, room // MIN_STEP_W))

    def step_w(self) -> float:
        n = self.visible_count()
        return min(MAX_STEP_W, (self.width() - LABEL_W - RIGHT_PAD) / max(1, n))

    def column(self, t: int) -> QRectF | None:
        """The column of step t (the whole height), or None when t is not in the window."""
        i = t - self.first
        if self.data is None or not 0 <= i < self.visible_count():
            return None
        w = self.step_w()
        return QRectF(LABEL_W + i * w, 0, w, CANVAS_H)

    def box(self, t: int) -> QRectF | None:
        col = self.column(t)
        if col is None:
            return None
        gap = min(22.0, col.width() * 0.34)  # room for the W_hh arrow from the box before
        top, h = ROWS["box"]
        return QRectF(col.left() + gap, top, col.width() - gap, h)

    def step_at(self, pos: QPointF) -> int | None:
        if self.data is None or pos.x() < LABEL_W:
            return None
        i = int((pos.x() - LABEL_W) // self.step_w())
        if not 0 <= i < self.visible_count():
            return None
        return self.first + i

    def mousePressEvent(self, event: QMouseEvent) -> None:
        t = self.step_at(event.position())
        if t is not None and event.button() == Qt.MouseButton.LeftButton:
            self.selected = t
            self.update()
            self.clicked.emit(t)
            return
        super().mousePressEvent(event)

    # -- drawing -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        with painter(self) as p:
            p.fillRect(self.rect(), QColor("white"))
            if self.data is not None:
                self._paint(p)

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        d = self.data
        steps = range(self.first, self.first + self.visible_count())
        if self.selected in steps:
            col = self.column(self.selected)
            p.fillRect(col.adjusted(1, 0, -1, -ROWS["legend"][1]), QColor(SELECTED_BG))
        self._row_names(p)
        lim = float(np.nanmax(np.abs(d.hidden))) if d.hidden.size else 1.0
        lim = lim if math.isfinite(lim) and lim > 0 else 1.0
        loss_top = float(np.nanmax(d.step_loss)) if np.isfinite(d.step_loss).any() else 1.0
        lo, hi = self._grad_scale()
        share_total = float(np.sum(d.w_hh_share))
        share_top = float(np.max(d.w_hh_share)) if d.w_hh_share.size else 0.0
        for t in steps:
            self._loss_bar(p, t, loss_top)
            self._box(p, t, lim)
            self._input(p, t)
            self._w_hh_arrow(p, t)
            self._grad(p, t, lo, hi)
            self._share(p, t, share_total, share_top)
        self._legend(p, lim)

    def _row_names(self, p: QPainter) -> None:
        p.setFont(font(9))
        p.setPen(QColor(TEXT_COLOUR))
        names = {
            "loss": "loss at step t",
            "box": "h_t (the cell)",
            "input": "input x_t\n(in through W_xh)",
            "grad": "‖dL/dh_t‖ (log)",
            "share": "step t's share\nof dL/dW_hh",
        }
        for row, text in names.items():
            top, h = ROWS[row]
            p.drawText(
                QRectF(4, top, LABEL_W - 10, h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )
        top, h = ROWS["caption"]
        p.setFont(font(9, bold=True))
        p.setPen(QColor(VERMILLION))
        p.drawText(
            QRectF(4, top, self.width() - 8, h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            "backward pass: the gradient flows from the loss L back through time, right to left  ←",
        )
        p.setPen(QPen(QColor("#d0d0d0"), 1))
        p.drawLine(QPointF(4, top + 1), QPointF(self.width() - 4, top + 1))

    def _loss_bar(self, p: QPainter, t: int, top_value: float) -> None:
        col, box = self.column(t), self.box(t)
        top, h = ROWS["loss"]
        v = float(self.data.step_loss[t])
        cx = box.center().x()
        p.setFont(font(8))
        if not math.isfinite(v):
            p.setPen(QColor(HINT_COLOUR))
            p.drawText(
                QRectF(box.left(), top, box.width(), h),
                Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
                "–",
            )
            return
        bar_h = (h - 16) * (v / top_value if top_value > 0 else 0.0)
        bar_w = max(6.0, box.width() * 0.45)
        d = self.data
        in_l = not d.many_to_many or d.loss_scope == "mean" or t == d.n_steps - 1  # a part of L
        p.fillRect(
            QRectF(cx - bar_w / 2, top + h - bar_h, bar_w, bar_h), QColor(BLUE if in_l else LOSS_OUTSIDE)
        )
        p.setPen(QColor(TEXT_COLOUR))
        p.drawText(
            QRectF(col.left(), top + h - bar_h - 15, col.width() + 8, 14),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
            f"{v:.2f}",
        )
        # the output arrow: h_t -> prediction -> loss
        up_top, up_h = ROWS["up"]
        self._arrow(p, QPointF(cx, up_top + up_h), QPointF(cx, up_top + 2), QColor("#707070"), 1.2)

    def _box(self, p: QPainter, t: int, lim: float) -> None:
        box = self.box(t)
        h = self.data.hidden[t]
        cols = min(len(h), STRIP_COLS)
        rows = math.ceil(len(h) / cols)
        padded = np.full(rows * cols, np.nan, np.float32)
        padded[: len(h)] = h
        rgba = DIVERGING.map(np.clip((np.nan_to_num(padded) / lim + 1) / 2, 0, 1), mode="byte")  # (N, 4)
        rgba[np.isnan(padded)] = (255, 255, 255, 255)
        img = QImage(
            np.ascontiguousarray(rgba.reshape(rows, cols, 4)).data,
            cols,
            rows,
            cols * 4,
            QImage.Format.Format_RGBA8888,
        ).copy()
        inner = box.adjusted(3, 3, -3, -3)
        p.drawImage(inner, img)
        selected = t == self.selected
        p.setPen(QPen(QColor(VERMILLION if selected else "#505050"), 2.5 if selected else 1.2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(box, 4, 4)

    def _input(self, p: QPainter, t: int) -> None:
        box = self.box(t)
        in_top, in_h = ROWS["in"]
        cx = box.center().x()
        self._arrow(p, QPointF(cx, in_top + in_h + 2), QPointF(cx, in_top), QColor("#707070"), 1.2)
        if box.width() >= 40:  # the input's matrix, the same at every step (where there is room for it)
            p.setFont(font(7))
            p.setPen(QColor("#606060"))
            p.drawText(QRectF(cx + 3, in_top, box.width() / 2 - 3, in_h), Qt.AlignmentFlag.AlignVCenter, "W_xh")
        top, _h = ROWS["input"]
        rect = QRectF(box.left() + 1, top + 2, box.width() - 2, 20)
        p.setPen(QPen(QColor("#909090"), 1))
        p.setBrush(QColor("#f4f4f4"))
        p.drawRoundedRect(rect, 3, 3)
        p.setFont(font(10))
        text = QFontMetrics(p.font()).elidedText(
            _show_label(self.data.labels[t]), Qt.TextElideMode.ElideRight, int(rect.width()) - 2
        )
        p.setPen(QColor(TEXT_COLOUR))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        p.setFont(font(7))
        p.setPen(QColor(HINT_COLOUR))
        p.drawText(QRectF(box.left(), top + 23, box.width(), 14), Qt.AlignmentFlag.AlignCenter, f"t={t}")

    def _w_hh_arrow(self, p: QPainter, t: int) -> None:
        """The arrow into box t from box t-1 (or from outside the window), labelled W_hh."""
        box, col = self.box(t), self.column(t)
        y = box.center().y()
        start = col.left() + 1 if t > self.first or t == 0 else col.left() - 4
        colour = QColor(W_HH_COLOUR)
        if t == 0:  # h_{-1} = 0: nothing comes in, and the first step adds nothing to dL/dW_hh
            p.setFont(font(7))
            p.setPen(QColor(HINT_COLOUR))
            p.drawText(
                QRectF(col.left(), y - 7, box.left() - col.left(), 14), Qt.AlignmentFlag.AlignCenter, "0"
            )
            return
        self._arrow(p, QPointF(start, y), QPointF(box.left() - 1, y), colour, 2.2)
        up_top, up_h = ROWS["up"]
        p.setFont(font(8, bold=True))
        p.setPen(colour)
        p.drawText(
            QRectF(col.left() - 16, up_top, (box.left() - col.left()) + 32, up_h),
            Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag.AlignBottom,
            "W_hh",
        )

    def _grad_scale(self) -> tuple[float, float]:
        g = self.data.grad_h[np.isfinite(self.data.grad_h) & (self.data.grad_h > 0)]
        if not g.size:
            return -1.0, 0.0
        hi = math.ceil(math.log10(float(g.max())))
        lo = max(math.floor(math.log10(float(g.min()))), hi - GRAD_DECADES)
        return float(lo), float(max(hi, lo + 1))

    def _grad(self, p: QPainter, t: int, lo: float, hi: float) -> None:
        col, box = self.column(t), self.box(t)
        g = float(self.data.grad_h[t])
        top, h = ROWS["grad"]
        frac = 0.0
        if math.isfinite(g) and g > 0:
            frac = min(1.0, max(0.0, (math.log10(g) - lo) / (hi - lo)))
        bar_w = max(6.0, box.width() * 0.45)
        bar_h = max(1.0 if g > 0 else 0.0, (h - 16) * frac)
        cx = box.center().x()
        p.fillRect(QRectF(cx - bar_w / 2, top + h - bar_h, bar_w, bar_h), QColor(VERMILLION))
        p.setFont(font(7))
        p.setPen(QColor(TEXT_COLOUR))
        text = "0" if not g > 0 else (pow10(math.floor(math.log10(g))) if math.isfinite(g) else "inf")
        p.drawText(
            QRectF(col.left(), top + h - bar_h - 14, col.width() + 8, 13),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
            text,
        )
        # the flow: from step t back to step t-1, as thick as the gradient is large
        if t > self.first or t == 0:
            flow_top, flow_h = ROWS["flow"]
            y = flow_top + flow_h / 2
            right = cx
            left = col.left() + 2 if t > 0 else box.left()
            if t > 0:
                self._arrow(
                    p,
                    QPointF(right, y),
                    QPointF(left - box.width() / 2 + 4, y),
                    QColor(VERMILLION),
                    0.8 + 4.2 * frac,
                )

    def _share(self, p: QPainter, t: int, total: float, top_value: float) -> None:
        col, box = self.column(t), self.box(t)
        v = float(self.data.w_hh_share[t])
        top, h = ROWS["share"]
        frac = v / top_value if top_value > 0 else 0.0
        bar_w = max(6.0, box.width() * 0.45)
        bar_h = (h - 16) * frac
        cx = box.center().x()
        p.fillRect(QRectF(cx - bar_w / 2, top + h - bar_h, bar_w, bar_h), QColor(W_HH_BAR))
        p.setFont(font(7))
        p.setPen(QColor(TEXT_COLOUR))
        pct = 100 * v / total if total > 0 else 0.0
        text = f"{pct:.0f}%" if pct >= 1 or pct == 0 else "<1%"
        p.drawText(
            QRectF(col.left(), top + h - bar_h - 14, col.width() + 8, 13),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
            text,
        )

    def _legend(self, p: QPainter, lim: float) -> None:
        top, _h = ROWS["legend"]
        y = top + 14
        x = 8.0
        colour = QColor(W_HH_COLOUR)
        self._arrow(p, QPointF(x, y), QPointF(x + 30, y), colour, 2.2)
        p.setFont(font(9, bold=True))
        p.setPen(colour)
        text = "W_hh: one matrix, shared by every step (so is W_xh, from each input)"
        fm = QFontMetrics(p.font())
        p.drawText(QPointF(x + 36, y + 4), text)
        x += 36 + fm.horizontalAdvance(text) + 24
        # the colour scale of h_t
        p.setFont(font(8))
        p.setPen(QColor(TEXT_COLOUR))
        fm = QFontMetrics(p.font())
        left_text = f"h_t: {-lim:.2g}"
        p.drawText(QPointF(x, y + 4), left_text)
        x += fm.horizontalAdvance(left_text) + 4
        ramp = DIVERGING.map(np.linspace(0, 1, 64), mode="byte")
        img = QImage(
            np.ascontiguousarray(ramp.reshape(1, 64, 4)).data, 64, 1, 256, QImage.Format.Format_RGBA8888
        ).copy()
        p.drawImage(QRectF(x, y - 6, 80, 12), img)
        p.setPen(QPen(QColor("#909090"), 1))
        p.drawRect(QRectF(x, y - 6, 80, 12))
        p.setPen(QColor(TEXT_COLOUR))
        p.drawText(QPointF(x + 84, y + 4), f"+{lim:.2g}")
        # the second line: what the shares are
        p.setFont(font(8))
        p.setPen(QColor("#606060"))
        p.drawText(
            QRectF(8, top + 24, self.width() - 16, 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "share: ‖step t's term of dL/dW_hh‖ as a part of all steps' terms; the terms add up to dL/dW_hh. "
            "Step 0 adds nothing (h before it is 0).",
        )

    @staticmethod
    def _arrow(p: QPainter, a: QPointF, b: QPointF, colour: QColor, width: float) -> None:
        p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        v = b - a
        n = math.hypot(v.x(), v.y())
        if n < 1:
            return
        ux, uy = v.x() / n, v.y() / n
        head = 4.0 + width
        base = QPointF(b.x() - ux * head, b.y() - uy * head)
        p.drawLine(a, base)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        side = QPointF(-uy * head * 0.55, ux * head * 0.55)
        p.drawPolygon(QPolygonF([b, base + side, base - side]))
        p.setBrush(Qt.BrushStyle.NoBrush)


class UnrolledView(QWidget):
    """The unrolled network. ``show(unrolled)`` draws one; ``step_clicked(t)`` says which step was clicked."""

    step_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.unrolled: Unrolled | None = None
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setFont(font(10))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setFont(font(11))
        themed(self.message, "color: {text}; padding: 24px;")
        self.canvas = _UnrolledCanvas()
        self.canvas.clicked.connect(self._on_clicked)
        self.scroll = QScrollBar(Qt.Orientation.Horizontal)
        self.scroll.setToolTip("Long sequences: move along the steps")
        self.scroll.valueChanged.connect(self._on_scrolled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.canvas)
        layout.addWidget(self.scroll)
        layout.addStretch(0)
        self.clear()

    # -- public ----------------------------------------------------------------------------------
    def show(self, unrolled: Unrolled | None = None) -> None:  # type: ignore[override]
        """Draw ``unrolled``; without an argument, QWidget.show() (make the widget visible)."""
        if unrolled is None:
            super().show()
            return
        self.unrolled = unrolled
        if not unrolled.recurrent:
            self._message(unrolled.shared)
            return
        self.message.setVisible(False)
        self.canvas.setVisible(True)
        if self.canvas.selected is not None and self.canvas.selected >= unrolled.n_steps:
            self.canvas.selected = None
        if self.canvas.data is None:  # a new model's first picture opens at the end: the last steps,
            self.canvas.first = unrolled.n_steps  # where the error starts and most of dL/dW_hh comes from
        self.canvas.data = unrolled
        self.caption.setText(_caption_html(unrolled))
        self._sync_scroll()
        self.canvas.update()

    def asked(self) -> None:
        """The picture was asked for: say so where nothing is shown yet (a picture shown stays until the new one)."""
        if self.unrolled is None:
            self._message(ASKED_TEXT)

    def clear(self) -> None:
        """Forget what was shown (a new model, no probe yet)."""
        self.unrolled = None
        self.canvas.data = None
        self.canvas.selected = None
        self._message(EMPTY_TEXT)

    def select_step(self, t: int) -> None:
        """Outline step t (the scrubber's step) and scroll it into view; no signal."""
        if self.unrolled is None or not self.unrolled.recurrent or not 0 <= t < self.unrolled.n_steps:
            return
        self.canvas.selected = t
        n = self.canvas.visible_count()
        if not self.canvas.first <= t < self.canvas.first + n:
            self.scroll.setValue(max(0, t - n // 2))
        self.canvas.update()

    def selected_step(self) -> int | None:
        return self.canvas.selected

    def visible_steps(self) -> range:
        """The steps drawn now (a window of a long sequence)."""
        if self.canvas.data is None:
            return range(0)
        return range(self.canvas.first, self.canvas.first + self.canvas.visible_count())

    def step_rect(self, t: int) -> QRect | None:
        """Step t's box in this widget's coordinates, or None when it is not drawn."""
        box = self.canvas.box(t)
        if box is None:
            return None
        top_left = self.canvas.mapTo(self, QPoint(int(box.left()), int(box.top())))
        return QRect(top_left, box.size().toSize())

    # -- private ---------------------------------------------------------------------------------
    def _message(self, text: str) -> None:
        self.caption.setText("")
        self.message.setText(text)
        self.message.setVisible(True)
        self.canvas.setVisible(False)
        self.scroll.setVisible(False)

    def _sync_scroll(self) -> None:
        d = self.canvas.data
        n = self.canvas.visible_count()
        extra = max(0, d.n_steps - n) if d is not None else 0
        self.scroll.blockSignals(True)
        self.scroll.setRange(0, extra)
        self.scroll.setPageStep(max(1, n))
        self.scroll.setValue(min(self.canvas.first, extra))
        self.scroll.blockSignals(False)
        self.canvas.first = self.scroll.value()
        self.scroll.setVisible(extra > 0)

    def _on_scrolled(self, value: int) -> None:
        self.canvas.first = value
        self.canvas.update()

    def _on_clicked(self, t: int) -> None:
        self.step_clicked.emit(t)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.canvas.data is not None:
            self._sync_scroll()


def _caption_html(u: Unrolled) -> str:
    where = f"layer {u.layer + 1} of {u.n_layers}, " if u.n_layers > 1 else ""
    direction = (
        " This model is bidirectional: this is its forward direction; the backward direction has a W_hh of "
        "its own and reads the sequence right to left."
        if u.bidirectional
        else ""
    )
    cut = f" (the first {u.n_steps} of {u.probe_steps} steps)" if u.probe_steps > u.n_steps else ""
    return (
        f"<b>The {u.arch.upper()} unrolled over the probe sequence</b>{cut}: {where}one box per time step, the "
        f"same cell with the same weights at every step ({html.escape(u.shared)}).{direction}<br>"
        f"<span style='color:{VERMILLION}'>Backward pass</span> from L = {u.loss:.3f}, "
        f"{html.escape(u.loss_words)}{_pale_note(u)}: ‖dL/dh_t‖ per step, and what each step adds to "
        f"<span style='color:{W_HH_COLOUR}; white-space: nowrap;'>dL/dW_hh</span> (‖dL/dW_hh‖ = {u.w_hh_norm:.3g}, the sum of every "
        "step's term). Click a step to open it in the scrubber."
    )


def _pale_note(u: Unrolled) -> str:
    if u.many_to_many and u.loss_scope == "last":
        return " (the other steps' losses, paler above, are not a part of it)"
    return ""
