"""Where a model with attention looked: a heatmap of its attention for one reply (the encoder-decoder,
or a language model with attention over its past states).

One row per character it wrote (and the end of the reply), one column per character the encoder
read; a cell's colour is the share of attention that written character gave that input character
(each row sums to 1). Copying a name shows as a diagonal: "G" of "Gertrude who?" looked at the
"G" of "Gertrude.", "e" at "e", and so on. Painted with QPainter from numbers it is given; it
never touches a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground.ui.painting import painter
from playground.ui.panels._common import VERMILLION

if TYPE_CHECKING:
    import numpy as np

    from playground.app.messages import Attention
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

LM_TIP = (
    "Where the language model looked while writing its last reply (attention over its own past "
    "states). Rows: the characters it wrote (top to bottom, ⏎ ends the reply); columns: the dialog "
    "it had read (│ marks a new turn), its own reply included. Darker: more attention. Copying a name "
    "shows as a diagonal: after writing a letter of the name it looks at the state just after that "
    "letter in your turn, which leads to the next one. Without attention (untick it in the Model "
    "panel) the name must survive inside one state vector, letter by letter: that is why such a "
    "model, trained as long, answers most new names with a garbled or an old one."
)
TIP = (
    "Where the encoder-decoder looked while writing its last reply. Rows: the characters it wrote "
    "(top to bottom, ⏎ ends the reply); columns: what its encoder read (the turn before, │, your "
    "turn). Darker: more attention. To copy a name it has to find each of its letters again: with "
    "attention the decoder looks straight at them (the diagonal), and its copy switch takes the "
    "letter it looks at instead of writing one from memory. Without attention the name must "
    "survive inside the encoder's last state, letter by letter: that is why such a model, trained as "
    "long, answers most new names with a garbled or an old one."
)
SHOWN = {"\x1f": "│", " ": "·", "\n": "⏎"}  # the separator, spaces and the end, readable
CELL_MAX = 16.0
CELL_MIN = 6.0


class AttentionMap(QWidget):
    """A reply's attention: rows are written characters, columns the input's; empty until shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(TIP)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._source = ""
        self._written = ""
        self._weights: np.ndarray | None = None  # (numpy loads after the first paint)
        self._who = "seq2seq"

    # -- public -------------------------------------------------------------------------
    def show_attention(self, attention: Attention | None, who: str = "seq2seq") -> None:
        """Where ``who`` ("seq2seq", the encoder-decoder, or "lm", a language model with attention)
        looked: ``weights`` (len(reply) + 1, len(source)); None clears the map."""
        self._who = who
        self.setToolTip(LM_TIP if who == "lm" else TIP)
        if not attention:
            self.clear()
            return
        weights = np.asarray(attention.weights, dtype=np.float64)
        source, reply = attention.source, attention.reply
        # a row per written character, and one for the end unless the reply was cut off
        if weights.ndim != 2 or weights.shape[1] != len(source) or weights.shape[0] not in (len(reply), len(reply) + 1):
            self.clear()
            return
        ended = weights.shape[0] == len(reply) + 1
        self._source, self._written, self._weights = source, reply + ("\n" if ended else ""), weights
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self._source, self._written, self._weights = "", "", None
        self.updateGeometry()
        self.update()

    def shown(self) -> tuple[str, str, np.ndarray]:
        """(what the encoder read, what was written with its end, the weights) as drawn."""
        return self._source, self._written, (np.zeros((0, 0)) if self._weights is None else self._weights.copy())

    def peaks(self) -> list[int]:
        """For each written character, the input position it looked at most."""
        w = self._weights
        return [int(i) for i in w.argmax(axis=1)] if w is not None and w.size else []

    # -- layout -------------------------------------------------------------------------
    def _cell(self) -> float:
        cols = max(1, len(self._source))
        return max(CELL_MIN, min(CELL_MAX, (self.width() - self._margin_left() - 8) / cols))

    def _margin_left(self) -> float:
        return 22.0

    def _margin_top(self) -> float:
        return 34.0

    def sizeHint(self) -> QSize:
        rows = max(1, len(self._written))
        shown = self._weights is not None and self._weights.size
        return QSize(320, int(self._margin_top() + rows * CELL_MAX + 8) if shown else 40)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 40)

    def heightForWidth(self, width: int) -> int:
        return self.sizeHint().height()

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        with painter(self) as p:
            self._paint(p)

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self.rect(), QColor("white"))
        if self._weights is None or not self._weights.size:
            p.setPen(QColor("#707070"))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "Where the model looked appears here when a model with attention replies "
                "(the language model with Attention ticked, or the encoder-decoder).",
            )
            return
        cell, left, top = self._cell(), self._margin_left(), self._margin_top()
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, min(9.0, cell * 0.62)))
        p.setFont(font)
        p.setPen(QColor("#404040"))
        p.drawText(QRectF(0, 0, self.width(), 14), Qt.AlignmentFlag.AlignLeft, "read →  (written ↓)")
        hot = QColor(VERMILLION)
        for j, ch in enumerate(self._source):  # the input along the top
            p.drawText(QRectF(left + j * cell, 16, cell, top - 18), Qt.AlignmentFlag.AlignCenter, SHOWN.get(ch, ch))
        for i, ch in enumerate(self._written):
            y = top + i * cell
            p.setPen(QColor("#404040"))
            p.drawText(QRectF(0, y, left - 4, cell), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, SHOWN.get(ch, ch))
            for j, w in enumerate(self._weights[i]):
                shade = QColor(hot)
                shade.setAlphaF(float(min(1.0, max(0.0, w))))
                p.fillRect(QRectF(left + j * cell, y, cell, cell), shade)
        p.setPen(QPen(QColor("#c0c0c0"), 1))
        p.drawRect(QRectF(left, top, len(self._source) * cell, len(self._written) * cell))
