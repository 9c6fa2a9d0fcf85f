"""The banner across the top of the plots: errors, diagnoses and their one-click fixes."""

from __future__ import annotations

import weakref

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.ui.plots.theme import Scheme, themed


def banner_sheet(s: Scheme, kind: str) -> str:
    """The banner's colours for a message of ``kind`` ("error", "warning", "info") in scheme ``s``."""
    bg, fg = s.banner(kind)
    return (
        f"QFrame#banner {{ background: {bg}; border: 1px solid {fg}; border-radius: 4px; }}"
        f" QLabel {{ color: {fg}; }} QPushButton {{ color: {s.text}; }}"
    )


class Banner(QFrame):
    """A message across the top of the plots: errors, diagnoses and their fixes, never a modal box."""

    fix_clicked = Signal(str)  # a fix id from playground.core.inspect.diagnosis.FIX_TEXT
    dismissed = Signal(str)  # the kind of the message the user closed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 6, 6, 6)
        outer.setSpacing(4)
        row = QHBoxLayout()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("\u2715")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss the message")
        close.clicked.connect(self._dismiss)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        outer.addLayout(row)
        self.fix_row = QHBoxLayout()
        self.fix_row.setSpacing(6)
        outer.addLayout(self.fix_row)
        self.fix_buttons: dict[str, QPushButton] = {}
        self.kind = ""
        self.hide()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit(self.kind)

    def set_fixes(self, fixes: tuple[str, ...]) -> None:
        from playground.core.inspect.diagnosis import FIX_TEXT, FIX_TIPS

        while self.fix_row.count():
            item = self.fix_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.fix_buttons = {}
        if not fixes:
            return
        self.fix_row.addWidget(QLabel("Try:"))
        for fix in fixes:
            button = QPushButton(FIX_TEXT[fix])
            button.setToolTip(FIX_TIPS[fix])
            button.clicked.connect(lambda _checked=False, f=fix: self.fix_clicked.emit(f))
            self.fix_row.addWidget(button)
            self.fix_buttons[fix] = button
        self.fix_row.addStretch(1)

    def show_message(self, text: str, kind: str = "error") -> None:
        self.kind = kind
        self.set_fixes(())
        self.colour_kind = kind
        me = weakref.ref(self)  # the registry holds the banner weakly: so does its style
        themed(self, lambda s: banner_sheet(s, b.colour_kind) if (b := me()) is not None else "")
        self.label.setText(text)
        self.show()
        from playground.ui.accessible import announce

        announce(self.label, text)  # a verdict is read out as it comes

    def show_diagnosis(self, diagnosis) -> None:
        """A diagnosis (playground.core.inspect.diagnosis): its words, and a button for each fix."""
        self.show_message(
            diagnosis.message, "info" if diagnosis.kind in ("vanishing", "overfitting") else "warning"
        )
        self.kind = diagnosis.kind
        self.set_fixes(diagnosis.fixes)

    def shows_diagnosis(self) -> bool:
        """Whether the banner shows a diagnosis now (not an error or a note)."""
        return self.isVisible() and self.kind in ("nan", "exploding", "vanishing", "overfitting")

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
