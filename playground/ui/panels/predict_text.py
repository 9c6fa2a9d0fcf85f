"""The prediction panel's text page: complete a prompt, and see the likeliest next characters as you type."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.app import messages as m
from playground.ui.panels._common import BLUE, visible

NEXT_DEBOUNCE_MS = 200  # ask for the next-character bars this long after the last keystroke
TOP_K = 5

TIPS = {
    "prompt": (
        "The start of a text for the model to continue. As you type, the bars below show which "
        "characters it thinks come next."
    ),
    "temperature": (
        "How adventurous the sampling is. Low (0.1-0.5): almost always the likeliest character, so the "
        "text is safe but repeats itself. 1.0: the model's own probabilities. High (1.5-2): unlikely "
        "characters get picked too, so the text is more creative and full of mistakes."
    ),
    "length": "How many characters the model writes after the prompt.",
    "complete": "Let the model continue the prompt (its part is shown in blue).",
    "output": "The prompt in normal text, then the model's continuation in blue.",
    "bars": (
        "The five characters the model finds most likely to come right after the prompt, with their "
        "probabilities. \u2423 is a space, \u21b5 a new line."
    ),
}


class TextPage(QWidget):
    """Complete a prompt; the bars show the likeliest next characters (asked for after a typing pause)."""

    request = Signal(object)  # a SampleText or NextChars for the worker's predict slot

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.has_model = True
        self._seed = 0
        self._build()

        self._next_timer = QTimer(self)
        self._next_timer.setSingleShot(True)
        self._next_timer.setInterval(NEXT_DEBOUNCE_MS)
        self._next_timer.timeout.connect(self._on_request_next)

        self.prompt_edit.textEdited.connect(self._on_prompt_edited)
        self.prompt_edit.returnPressed.connect(self._on_complete)
        self.temperature_slider.valueChanged.connect(self._on_temperature_changed)
        self.complete_button.clicked.connect(self._on_complete)

    def _build(self) -> None:
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("Type the start of a sentence…")
        self.prompt_edit.setToolTip(TIPS["prompt"])
        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setRange(1, 20)  # tenths: 0.1 to 2.0
        self.temperature_slider.setValue(8)
        self.temperature_slider.setToolTip(TIPS["temperature"])
        self.temperature_label = QLabel("0.8")
        self.temperature_label.setMinimumWidth(self.temperature_label.fontMetrics().horizontalAdvance("0.00"))
        self.temperature_label.setToolTip(TIPS["temperature"])
        self.length_spin = QSpinBox()
        self.length_spin.setRange(1, 2000)
        self.length_spin.setValue(200)
        self.length_spin.setSuffix(" characters")
        self.length_spin.setToolTip(TIPS["length"])
        self.complete_button = QPushButton("Complete")
        self.complete_button.setToolTip(TIPS["complete"])
        self.output_view = QTextBrowser()
        self.output_view.setToolTip(TIPS["output"])
        self.output_view.setMinimumHeight(120)

        grid = QGridLayout()
        prompt_label = QLabel("Prompt")
        prompt_label.setToolTip(TIPS["prompt"])
        temp_label = QLabel("Temperature")
        temp_label.setToolTip(TIPS["temperature"])
        length_label = QLabel("Length")
        length_label.setToolTip(TIPS["length"])
        grid.addWidget(prompt_label, 0, 0)
        grid.addWidget(self.prompt_edit, 0, 1, 1, 2)
        grid.addWidget(temp_label, 1, 0)
        grid.addWidget(self.temperature_slider, 1, 1)
        grid.addWidget(self.temperature_label, 1, 2)
        grid.addWidget(length_label, 2, 0)
        row = QHBoxLayout()
        row.addWidget(self.length_spin, 1)
        row.addWidget(self.complete_button)
        grid.addLayout(row, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)

        bars_title = QLabel("Most likely next characters")
        bars_title.setToolTip(TIPS["bars"])
        self.bars_widget = QWidget()
        self.bars_widget.setToolTip(TIPS["bars"])
        bars = QGridLayout(self.bars_widget)
        bars.setContentsMargins(0, 0, 0, 0)
        bars.setVerticalSpacing(2)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.bar_glyphs: list[QLabel] = []
        self.bar_values: list[QProgressBar] = []
        self.bar_percents: list[QLabel] = []
        for i in range(TOP_K):
            glyph = QLabel("")
            glyph.setTextFormat(Qt.TextFormat.PlainText)
            glyph.setFont(fixed)
            glyph.setAlignment(Qt.AlignmentFlag.AlignCenter)
            glyph.setMinimumWidth(glyph.fontMetrics().horizontalAdvance("\\x00") + 8)
            glyph.setToolTip(TIPS["bars"])
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
            bar.setFixedHeight(12)
            bar.setToolTip(TIPS["bars"])
            bar.setStyleSheet(
                "QProgressBar { border: none; background: #e9e9e9; border-radius: 2px; }"
                f"QProgressBar::chunk {{ background: {BLUE}; border-radius: 2px; }}"
            )
            percent = QLabel("")
            percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            percent.setMinimumWidth(percent.fontMetrics().horizontalAdvance("100.0%") + 4)
            percent.setToolTip(TIPS["bars"])
            bars.addWidget(glyph, i, 0)
            bars.addWidget(bar, i, 1)
            bars.addWidget(percent, i, 2)
            self.bar_glyphs.append(glyph)
            self.bar_values.append(bar)
            self.bar_percents.append(percent)
        bars.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.output_view, 1)
        layout.addWidget(bars_title)
        layout.addWidget(self.bars_widget)
        self.show_next([])

    # -- state --------------------------------------------------------------------------------------
    def set_has_model(self, has_model: bool) -> None:
        """Without a model, stop asking for live suggestions."""
        self.has_model = bool(has_model)
        if not self.has_model:
            self._next_timer.stop()

    def clear(self) -> None:
        """Forget the completion and the bars."""
        self.output_view.clear()
        self.show_next([])

    # -- requests -----------------------------------------------------------------------------------
    def _temperature(self) -> float:
        return self.temperature_slider.value() / 10

    def _on_temperature_changed(self) -> None:
        self.temperature_label.setText(f"{self._temperature():.1f}")

    def _on_prompt_edited(self) -> None:
        if self.has_model:
            self._next_timer.start()  # restarts on every keystroke: only a pause asks

    def _on_request_next(self) -> None:
        if self.has_model:
            self.request.emit(m.NextChars(self.prompt_edit.text(), TOP_K))

    def _on_complete(self) -> None:
        if not self.has_model:
            return
        self._next_timer.stop()
        self._seed += 1  # a new sample each press; the same seed would repeat the same text
        self.request.emit(
            m.SampleText(
                prompt=self.prompt_edit.text(),
                length=self.length_spin.value(),
                temperature=self._temperature(),
                top_k=0,
                seed=self._seed,
                k=TOP_K,
            )
        )

    # -- answers ------------------------------------------------------------------------------------
    def show_completion(self, prompt: str, text: str) -> None:
        body = (
            f'<div style="white-space: pre-wrap;">{html.escape(prompt)}'
            f'<span style="color: {BLUE};">{html.escape(text)}</span></div>'
        )
        self.output_view.setHtml(body)

    def show_next(self, pairs: Sequence[tuple[str, float]]) -> None:
        for i in range(TOP_K):
            if i < len(pairs):
                ch, p = pairs[i]
                self.bar_glyphs[i].setText(visible(str(ch)))
                self.bar_glyphs[i].setToolTip(f"{ch!r}: probability {float(p):.3f}")
                self.bar_values[i].setValue(round(float(p) * 1000))
                self.bar_percents[i].setText(f"{float(p) * 100:.1f}%")
            else:
                self.bar_glyphs[i].setText("")
                self.bar_values[i].setValue(0)
                self.bar_percents[i].setText("")
