"""The prediction panel: try the trained model, one page per kind of data.

The panel never touches the model. It emits request dicts (``request``) that the
window forwards to the worker's ``predict`` slot, and draws the answers it is
given (``show_answer``). Text: complete a prompt and see the likeliest next
characters as you type. Dialogs: tell the model a joke. Prices: forecast, and
compare the held-out predictions with simply repeating the last value.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.core.anomalies import DEFAULT_THRESHOLD, check_threshold, flag
from playground.core.errors import PlaygroundError
from playground.core.kinds import DEFAULT_KIND, KINDS
from playground.ui.panels._common import (
    BLUE,
    GREY,
    VERMILLION,
    error_label,
    note_label,
    set_error,
    visible,
)

NEXT_DEBOUNCE_MS = 200  # ask for the next-character bars this long after the last keystroke
TOP_K = 5
# The pages, in the stack's order; which kind shows which is the registry's ``prediction_page``.
PAGES = ("complete", "chat", "forecast", "classify")
_ANSWER_PAGES = {"sample": 0, "next": 0, "reply": 1, "forecast": 2, "classify": 3}
CLASSIFY_HINTS = {
    name: (spec.demo_question, spec.demo_hint)
    for name, spec in KINDS.items()
    if spec.prediction_page == "classify"
}

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
    "transcript": "The conversation so far. The model plays the other speaker.",
    "chat_input": "Your next line. Press Enter or Send.",
    "send": "Send your line; the model answers with the next turn.",
    "new_joke": "Forget this conversation and start a new one.",
    "horizon": (
        "How many steps past the end of the data to forecast. Each predicted value is fed back as the "
        "newest input, so errors pile up: the further ahead, the less to trust."
    ),
    "forecast": (
        "Predict each held-out value from the real values before it (one step ahead), and forecast "
        "past the end of the data."
    ),
    "chart": (
        "Grey: the real series. Blue: one-step predictions for the held-out tail (each made from the "
        "true values before it). Vermillion dashes: the forecast past the end, fed with its own "
        "predictions. Vermillion circles: anomalies, points the one-step forecast missed by far more "
        "than usual."
    ),
    "threshold": (
        "A point is flagged as an anomaly when its one-step forecast error (the model predicting it "
        "from the real values before it) is more than this many times the usual error. The usual "
        "error is robust (1.4826 × the median absolute deviation of the errors), so the anomalies "
        "themselves do not inflate it. Lower: more points flagged; higher: only the wildest."
    ),
    "mark_anomalies": (
        "Circle the points the model's one-step forecast missed by far more than usual. A spike also "
        "spoils the prediction right after it (it is in that prediction's input); such echoes count "
        "as the same anomaly, marked at its first point."
    ),
    "metrics": (
        "MAE: the average size of a one-step error on the held-out tail. RMSE: the same but punishing "
        "large misses more. Both are compared with the simplest possible forecast: repeating the last "
        "value. A model that cannot beat it has not learned anything useful."
    ),
}


def format_number(x: float) -> str:
    """A metric as a short, readable number: 0.0123, 0.93, 12.35, 1,234.5."""
    ax = abs(float(x))
    if ax == 0:
        return "0"
    if ax >= 100:
        return f"{x:,.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def comparison_text(value: float, baseline: float) -> str:
    """How ``value`` compares with the last-value baseline, in words."""
    if baseline <= 0:
        return "repeating the last value is already exact here"
    change = (baseline - value) / baseline * 100
    if abs(change) < 0.5:
        return "the model is about as good as repeating the last value"
    word = "better" if change > 0 else "worse"
    return f"the model is {abs(change):.0f}% {word} than repeating the last value"


def anomaly_text(count: int, threshold: float, scale: float, positions: Any = (), shown: int = 8) -> str:
    """ "3 anomalies above 4× the usual error (0.21): at steps 52, 120, 300." """
    what = "No anomalies" if count == 0 else f"{count} anomal{'y' if count == 1 else 'ies'}"
    text = f"{what} above {threshold:g}× the usual error ({format_number(scale)})"
    steps = [int(p) for p in positions][:shown]
    if not steps:
        return text + "."
    more = f" and {count - shown} more" if count > shown else ""
    return f"{text}: at step{'s' if count > 1 else ''} {', '.join(map(str, steps))}{more}."


class PredictionPanel(QWidget):
    """Try the model: complete text, answer a knock-knock joke, or forecast a series."""

    request = Signal(dict)  # a request for the worker's predict slot

    def __init__(self, kind: str = DEFAULT_KIND, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._has_model = True
        self._seed = 0
        self._turns: list[str] = []  # the dialog so far, alternating speakers, the user first
        self._chat_html: list[str] = []  # the transcript's paragraphs, redrawn whole on each turn

        self.status_label = note_label("No model yet: build one (or open a model file) to try it here.")
        self.status_label.setVisible(False)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_text_page())
        self.pages.addWidget(self._build_chat_page())
        self.pages.addWidget(self._build_prices_page())
        self.pages.addWidget(self._build_classify_page())
        self.error = error_label()

        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.error)

        self._next_timer = QTimer(self)
        self._next_timer.setSingleShot(True)
        self._next_timer.setInterval(NEXT_DEBOUNCE_MS)
        self._next_timer.timeout.connect(self._on_request_next)

        self.prompt_edit.textEdited.connect(self._on_prompt_edited)
        self.prompt_edit.returnPressed.connect(self._on_complete)
        self.temperature_slider.valueChanged.connect(self._on_temperature_changed)
        self.complete_button.clicked.connect(self._on_complete)
        self.chat_edit.returnPressed.connect(self._on_send)
        self.send_button.clicked.connect(self._on_send)
        self.new_joke_button.clicked.connect(self.new_joke)
        self.forecast_button.clicked.connect(self._on_forecast)
        self.threshold_spin.valueChanged.connect(self._show_anomalies)
        self.mark_anomalies_check.toggled.connect(self._show_anomalies)

        self.set_kind(kind)

    # -- pages --------------------------------------------------------------------------------
    def _build_text_page(self) -> QWidget:
        page = QWidget()
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

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.output_view, 1)
        layout.addWidget(bars_title)
        layout.addWidget(self.bars_widget)
        self._show_next([])
        return page

    def _build_chat_page(self) -> QWidget:
        page = QWidget()
        self.transcript = QTextBrowser()
        self.transcript.setToolTip(TIPS["transcript"])
        self.chat_edit = QLineEdit()
        self.chat_edit.setPlaceholderText("Knock, knock!")
        self.chat_edit.setToolTip(TIPS["chat_input"])
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip(TIPS["send"])
        self.new_joke_button = QPushButton("New joke")
        self.new_joke_button.setToolTip(TIPS["new_joke"])
        self.chat_hint = note_label(
            "Try: Knock, knock! Then give a name when the model asks who is there, and answer its "
            "'… who?' with a punchline, or let it finish your joke."
        )
        row = QHBoxLayout()
        row.addWidget(self.chat_edit, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.chat_hint, 1)
        bottom.addWidget(self.new_joke_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(bottom)
        # the encoder-decoder beside the turn-marker language model: which one answers, both replies
        from playground.ui.panels.seq2seq_chat import DialogCompare

        self.dialog_compare = DialogCompare()
        layout.addWidget(self.dialog_compare, 1)
        return page

    def _build_classify_page(self) -> QWidget:
        """Memory and word order: type a sequence, see the model's answer beside the rule's."""
        page = QWidget()
        self.classify_edit = QLineEdit()
        self.classify_edit.setToolTip(
            "A sequence in the data's own words (tokens separated by spaces). The model reads it whole and "
            "answers once, at the end."
        )
        self.classify_button = QPushButton("Answer")
        self.classify_button.setToolTip("Ask the model for its answer and how sure it is.")
        self.classify_button.clicked.connect(self._on_classify)
        self.classify_edit.returnPressed.connect(self._on_classify)
        self.classify_hint = note_label("")
        self.classify_result = QLabel()
        self.classify_result.setWordWrap(True)
        self.classify_result.setTextFormat(Qt.TextFormat.RichText)
        self.class_list = QTextBrowser()
        self.class_list.setToolTip("Every answer the model can give, with the probability it gives it.")
        row = QHBoxLayout()
        row.addWidget(self.classify_edit, 1)
        row.addWidget(self.classify_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.classify_hint)
        layout.addWidget(self.classify_result)
        layout.addWidget(self.class_list, 1)
        return page

    def _on_classify(self) -> None:
        text = self.classify_edit.text().strip()
        if not self._has_model or not text:
            return
        self.request.emit({"kind": "classify", "text": text})

    def _show_classes(self, answer: dict) -> None:
        ranked = answer.get("classes", [])
        if not ranked:
            return
        best, p = ranked[0]
        rule = answer.get("rule")
        verdict = ""
        if rule:
            right = rule == best
            colour = "#00734f" if right else "#a12a00"
            verdict = (
                f" <span style='color:{colour}'>({'right' if right else 'wrong'}: the rule says "
                f"<b>{html.escape(str(rule))}</b>)</span>"
            )
        self.classify_result.setText(f"Model: <b>{html.escape(str(best))}</b> with {p * 100:.1f}%{verdict}")
        rows = "".join(
            f"<tr><td style='padding-right: 10px;'>{html.escape(str(c))}</td>"
            f"<td><span style='background:{BLUE}; color:{BLUE};'>{'&#9608;' * max(1, round(q * 30))}</span></td>"
            f"<td style='padding-left: 8px;'>{q * 100:.1f}%</td></tr>"
            for c, q in ranked[:12]
        )
        self.class_list.setHtml(f"<table>{rows}</table>")

    def _build_prices_page(self) -> QWidget:
        page = QWidget()
        self.horizon_spin = QSpinBox()
        self.horizon_spin.setRange(1, 1000)
        self.horizon_spin.setValue(20)
        self.horizon_spin.setSuffix(" steps ahead")
        self.horizon_spin.setToolTip(TIPS["horizon"])
        self.forecast_button = QPushButton("Forecast")
        self.forecast_button.setToolTip(TIPS["forecast"])
        horizon_label = QLabel("Horizon")
        horizon_label.setToolTip(TIPS["horizon"])

        self.forecast_plot = pg.PlotWidget()
        self.forecast_plot.setBackground("w")
        self.forecast_plot.setMinimumHeight(200)
        self.forecast_plot.setToolTip(TIPS["chart"])
        item = self.forecast_plot.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", "step")
        legend = item.addLegend(offset=(8, 8), labelTextColor="#333333")
        legend.setBrush(pg.mkBrush(255, 255, 255, 210))
        self.held_out_region = pg.LinearRegionItem(
            values=(0, 1), movable=False, brush=pg.mkBrush(230, 159, 0, 35), pen=pg.mkPen(None)
        )
        self.held_out_region.setZValue(-10)
        self.held_out_region.setVisible(False)
        item.addItem(self.held_out_region)
        # Static charts (redrawn once per answer), so antialiasing costs nothing noticeable.
        self.series_curve = item.plot(pen=pg.mkPen(GREY, width=2.5), name="real values", antialias=True)
        self.prediction_curve = item.plot(
            pen=pg.mkPen(BLUE, width=1.5), name="one step ahead", antialias=True
        )
        self.forecast_curve = item.plot(
            pen=pg.mkPen(VERMILLION, width=2, style=Qt.PenStyle.DashLine), name="forecast", antialias=True
        )
        self.anomaly_scatter = pg.ScatterPlotItem(
            symbol="o",
            size=11,
            pen=pg.mkPen(VERMILLION, width=2),
            brush=pg.mkBrush(213, 94, 0, 70),
            name="anomaly",
            antialias=True,
        )
        self.anomaly_scatter.setZValue(10)  # above the curves
        item.addItem(self.anomaly_scatter)

        self.mark_anomalies_check = QCheckBox("Mark anomalies")
        self.mark_anomalies_check.setChecked(True)
        self.mark_anomalies_check.setToolTip(TIPS["mark_anomalies"])
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.5, 50.0)
        self.threshold_spin.setSingleStep(0.5)
        self.threshold_spin.setDecimals(1)
        self.threshold_spin.setValue(DEFAULT_THRESHOLD)
        self.threshold_spin.setSuffix(" × usual error")
        self.threshold_spin.setToolTip(TIPS["threshold"])
        self.anomaly_label = QLabel("")
        self.anomaly_label.setWordWrap(True)
        self.anomaly_label.setToolTip(TIPS["mark_anomalies"])
        self.anomaly_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.anomaly_label.setVisible(False)
        self._anomalies: dict[str, Any] | None = None  # the last answer's scores, filtered here
        self._values = np.zeros(0)
        self.metrics_label = QLabel("Press Forecast to see how well the model predicts the held-out tail.")
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setToolTip(TIPS["metrics"])
        self.metrics_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        row = QHBoxLayout()
        row.addWidget(horizon_label)
        row.addWidget(self.horizon_spin, 1)
        row.addWidget(self.forecast_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.forecast_plot, 1)
        anomaly_row = QHBoxLayout()
        anomaly_row.addWidget(self.mark_anomalies_check)
        anomaly_row.addStretch(1)
        threshold_label = QLabel("Threshold")
        threshold_label.setToolTip(TIPS["threshold"])
        anomaly_row.addWidget(threshold_label)
        anomaly_row.addWidget(self.threshold_spin)
        layout.addLayout(anomaly_row)
        layout.addWidget(self.anomaly_label)
        layout.addWidget(self.metrics_label)
        return page

    def sizeHint(self) -> QSize:  # a dock's natural width; the default asks for far more
        hint = super().sizeHint()
        return QSize(max(self.minimumSizeHint().width(), 420), hint.height())

    # -- public API -----------------------------------------------------------------------------
    def set_kind(self, kind: str) -> None:
        """Show the page for this data kind (the registry's ``prediction_page``)."""
        self._kind = kind
        spec = KINDS.get(kind)
        self.pages.setCurrentIndex(PAGES.index(spec.prediction_page) if spec is not None else 0)
        set_error(self.error, "")
        if kind in CLASSIFY_HINTS:
            example, hint = CLASSIFY_HINTS[kind]
            self.classify_edit.setPlaceholderText(example)
            self.classify_hint.setText(hint)

    def kind(self) -> str:
        return self._kind

    def clear_answers(self) -> None:
        """Forget every answer shown: they came from a model that has been replaced."""
        self.output_view.clear()
        self._show_next([])
        self.new_joke()
        self.classify_result.setText("")
        self.class_list.clear()
        for curve in (self.series_curve, self.prediction_curve, self.forecast_curve):
            curve.setData([], [])
        self.held_out_region.setVisible(False)
        self._anomalies = None
        self.anomaly_scatter.setData([], [])
        self.anomaly_label.setVisible(False)
        self.metrics_label.setText("Press Forecast to see how well the model predicts the held-out tail.")
        set_error(self.error, "")

    def ask_natural_question(self) -> None:
        """Ask the question a newcomer would ask this kind of model, through the page, as a user would
        (the registry's ``demo_question``): a joke's first line, a prompt, a sequence, a forecast."""
        spec = KINDS.get(self._kind)
        page = spec.prediction_page if spec is not None else "complete"
        if page == "chat":
            self.new_joke()
            self.chat_edit.setText(spec.demo_question)
            self.send_button.click()
        elif page == "complete":
            self.prompt_edit.setText(spec.demo_question if spec is not None else "")
            self.complete_button.click()
        elif page == "classify":
            self.classify_edit.setText(spec.demo_question or self.classify_edit.placeholderText())
            self.classify_button.click()
        else:
            self.forecast_button.click()

    def set_enabled_for_model(self, has_model: bool) -> None:
        """Grey out the buttons that need a model (and stop asking for live suggestions)."""
        self._has_model = bool(has_model)
        for button in (self.complete_button, self.send_button, self.forecast_button, self.classify_button):
            button.setEnabled(self._has_model)
        self.status_label.setVisible(not self._has_model)
        if not self._has_model:
            self._next_timer.stop()

    def error_text(self) -> str:
        return self.error.text()

    def history(self) -> list[str]:
        """The dialog so far (the user's turns and the model's, alternating)."""
        return list(self._turns)

    @Slot(object)
    def show_answer(self, answer: dict) -> None:
        """Draw an answer from the worker (it repeats its request's fields)."""
        kind = answer.get("kind")
        if answer.get("error"):
            if kind == "reply" and self._turns and self._turns[-1] == answer.get("turn"):
                self._turns.pop()  # the turn got no answer: it is not part of the dialog
                self._append_chat("Model", "(no answer)", BLUE)
            set_error(self.error, str(answer["error"]))
            return
        if kind == "next":
            if answer.get("prompt", "") == self.prompt_edit.text():  # an older prompt's bars are stale
                self._show_next(answer.get("next", []))
            return
        set_error(self.error, "")
        if kind == "sample":
            self._show_completion(answer.get("prompt", ""), answer.get("text", ""))
            if "next" in answer and answer.get("prompt", "") == self.prompt_edit.text():
                self._show_next(answer["next"])
        elif kind == "reply":
            reply = str(answer.get("reply", ""))
            self._turns.append(reply)
            self._append_chat("Model", reply if reply else "(says nothing)", BLUE)
            self.dialog_compare.show_replies(
                str(answer.get("turn", "")), answer.get("lm_reply"), answer.get("s2s_reply")
            )
        elif kind == "forecast":
            self._show_forecast(answer)
        elif kind == "classify":
            self._show_classes(answer)

    # -- text -----------------------------------------------------------------------------------------
    def _temperature(self) -> float:
        return self.temperature_slider.value() / 10

    def _on_temperature_changed(self) -> None:
        self.temperature_label.setText(f"{self._temperature():.1f}")

    def _on_prompt_edited(self) -> None:
        if self._has_model:
            self._next_timer.start()  # restarts on every keystroke: only a pause asks

    def _on_request_next(self) -> None:
        if self._has_model:
            self.request.emit({"kind": "next", "prompt": self.prompt_edit.text(), "k": TOP_K})

    def _on_complete(self) -> None:
        if not self._has_model:
            return
        self._next_timer.stop()
        self._seed += 1  # a new sample each press; the same seed would repeat the same text
        self.request.emit(
            {
                "kind": "sample",
                "prompt": self.prompt_edit.text(),
                "length": self.length_spin.value(),
                "temperature": self._temperature(),
                "top_k": 0,
                "seed": self._seed,
                "k": TOP_K,
            }
        )

    def _show_completion(self, prompt: str, text: str) -> None:
        body = (
            f'<div style="white-space: pre-wrap;">{html.escape(prompt)}'
            f'<span style="color: {BLUE};">{html.escape(text)}</span></div>'
        )
        self.output_view.setHtml(body)

    def _show_next(self, pairs: list[tuple[str, float]]) -> None:
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

    # -- dialogs ------------------------------------------------------------------------------------
    def _on_send(self) -> None:
        turn = self.chat_edit.text().strip()
        if not self._has_model or not turn:
            return
        self.request.emit(
            {
                "kind": "reply",
                "turn": turn,
                "history": list(self._turns),
                "model": self.dialog_compare.in_use(),
            }
        )
        self._turns.append(turn)
        self._append_chat("You", turn, None)
        self.chat_edit.clear()

    def new_joke(self) -> None:  # the side-by-side replies stay: they compare across jokes
        self._turns.clear()
        self._chat_html.clear()
        self.transcript.clear()
        set_error(self.error, "")
        self.chat_edit.setFocus()

    def _append_chat(self, who: str, text: str, colour: str | None) -> None:
        # The whole transcript is set again: QTextBrowser.append() carries one block's alignment
        # into the next, which put the model's turns on the user's side.
        style = f' style="color: {colour};"' if colour else ""
        align = "right" if who == "You" else "left"
        self._chat_html.append(f'<p align="{align}"><b{style}>{who}:</b> {html.escape(text)}</p>')
        self.transcript.setHtml("".join(self._chat_html))
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    # -- prices ---------------------------------------------------------------------------------------
    def _on_forecast(self) -> None:
        if self._has_model:
            self.request.emit(
                {
                    "kind": "forecast",
                    "horizon": self.horizon_spin.value(),
                    "threshold": self.threshold_spin.value(),
                }
            )

    def _show_forecast(self, answer: dict[str, Any]) -> None:
        values = np.asarray(answer.get("values", []), dtype=np.float64)
        n = len(values)
        x = np.arange(n, dtype=np.float64)
        self.series_curve.setData(x, values)
        split = answer.get("split")
        if split is not None and n:
            self.held_out_region.setRegion((int(split) - 0.5, n - 0.5))
            self.held_out_region.setVisible(True)
        predictions = answer.get("predictions")
        target_index = answer.get("target_index")
        if predictions is not None and target_index is not None:
            self.prediction_curve.setData(
                np.asarray(target_index, dtype=np.float64), np.asarray(predictions, dtype=np.float64)
            )
        else:
            self.prediction_curve.setData([], [])
        forecast = np.asarray(answer.get("forecast", []), dtype=np.float64)
        if forecast.size and n:
            # start the dashed line at the last real value so it visibly continues the series
            fx = np.arange(n - 1, n + forecast.size, dtype=np.float64)
            self.forecast_curve.setData(fx, np.concatenate([[values[-1]], forecast]))
        else:
            self.forecast_curve.setData([], [])
        self._values = values
        self._anomalies = answer.get("anomalies")
        self._show_anomalies()
        self.forecast_plot.getPlotItem().enableAutoRange()
        self.metrics_label.setText(self._metrics_text(answer))

    def _show_anomalies(self) -> None:
        """Circle the points over the threshold: filtered here from the answer's scores, so instant."""
        found = self._anomalies
        if not found or not self.mark_anomalies_check.isChecked():
            self.anomaly_scatter.setData([], [])
            self.anomaly_label.setVisible(False)
            return
        threshold = self.threshold_spin.value()
        try:
            flagged, _ = flag(found["index"], found["score"], check_threshold(threshold))
        except (KeyError, PlaygroundError) as e:
            set_error(self.error, f"cannot mark anomalies: {e}")
            return
        flagged = flagged[(flagged >= 0) & (flagged < len(self._values))]
        self.anomaly_scatter.setData(flagged.astype(np.float64), self._values[flagged])
        self.anomaly_label.setText(anomaly_text(len(flagged), threshold, float(found["scale"]), flagged))
        self.anomaly_label.setVisible(True)

    @staticmethod
    def _metrics_text(answer: dict[str, Any]) -> str:
        if "mae" not in answer:
            return ""
        mae, base_mae = float(answer["mae"]), float(answer.get("baseline_mae", float("nan")))
        lines = [
            f"MAE {format_number(mae)} (last-value baseline {format_number(base_mae)}) — "
            f"{comparison_text(mae, base_mae)}."
        ]
        if "rmse" in answer:
            rmse, base_rmse = float(answer["rmse"]), float(answer.get("baseline_rmse", float("nan")))
            lines.append(f"RMSE {format_number(rmse)} (baseline {format_number(base_rmse)}).")
        if "target_index" in answer:
            lines.append(f"Measured on {len(answer['target_index'])} held-out steps, one step ahead each.")
        return "\n".join(lines)
