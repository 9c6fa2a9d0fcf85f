"""The prediction panel: try the trained model, one page per kind of data.

The panel never touches the model. It emits typed requests (``request``: the
``SampleText``, ``NextChars``, ``Reply``, ``Classify`` or ``Forecast`` of
playground.app.messages) that the window forwards to the worker, and draws the
``Predicted`` answers it is given (``show_answer``), dispatched on their type. Text: complete a prompt and see the likeliest next
characters as you type. Dialogs: tell the model a joke. Prices: forecast, and
compare the held-out predictions with simply repeating the last value.
Classify: type a sequence and see the model's answer beside the rule's.

Each page is its own widget (``predict_text``, ``predict_chat``,
``predict_forecast``, ``predict_classify``); this container stacks them, routes
answers to them, and keeps their controls reachable as its own attributes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Signal, Slot
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from playground.app import messages as m
from playground.core.data.demo_questions import demo_question
from playground.core.kinds import DEFAULT_KIND, KINDS
from playground.ui.panels._common import error_label, note_label, set_error
from playground.ui.panels.predict_chat import TIPS as CHAT_TIPS
from playground.ui.panels.predict_chat import ChatPage
from playground.ui.panels.predict_classify import CLASSIFY_HINTS, ClassifyPage
from playground.ui.panels.predict_forecast import TIPS as FORECAST_TIPS
from playground.ui.panels.predict_forecast import (
    ForecastPage,
    anomaly_text,
    comparison_text,
    format_number,
)
from playground.ui.panels.predict_text import NEXT_DEBOUNCE_MS, TOP_K, TextPage
from playground.ui.panels.predict_text import TIPS as TEXT_TIPS

__all__ = [
    "CLASSIFY_HINTS",
    "NEXT_DEBOUNCE_MS",
    "PAGES",
    "TIPS",
    "TOP_K",
    "PredictionPanel",
    "anomaly_text",
    "comparison_text",
    "format_number",
]

# The pages, in the stack's order; which kind shows which is the registry's ``prediction_page``.
PAGES = ("complete", "chat", "forecast", "classify")
TIPS = {**TEXT_TIPS, **CHAT_TIPS, **FORECAST_TIPS}


class PredictionPanel(QWidget):
    """Try the model: complete text, answer a knock-knock joke, forecast a series, or classify one."""

    request = Signal(object)  # an m.PredictRequest for the worker's predict slot

    def __init__(self, kind: str = DEFAULT_KIND, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._has_model = True

        self.status_label = note_label("No model yet: build one (or open a model file) to try it here.")
        self.status_label.setVisible(False)
        self.text_page = TextPage()
        self.chat_page = ChatPage()
        self.forecast_page = ForecastPage()
        self.classify_page = ClassifyPage()
        self.pages = QStackedWidget()
        for page in (self.text_page, self.chat_page, self.forecast_page, self.classify_page):
            self.pages.addWidget(page)
            page.request.connect(self.request)
        self.error = error_label()
        self.chat_page.error_changed.connect(self._set_error)
        self.forecast_page.error_changed.connect(self._set_error)

        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.error)

        self._alias_page_widgets()
        self.set_kind(kind)

    def _alias_page_widgets(self) -> None:
        """The pages' controls and plot items, as the panel's own attributes (the window and tests use them)."""
        text = self.text_page
        self.prompt_edit = text.prompt_edit
        self.temperature_slider = text.temperature_slider
        self.temperature_label = text.temperature_label
        self.length_spin = text.length_spin
        self.complete_button = text.complete_button
        self.output_view = text.output_view
        self.bars_widget = text.bars_widget
        self.bar_glyphs = text.bar_glyphs
        self.bar_values = text.bar_values
        self.bar_percents = text.bar_percents

        chat = self.chat_page
        self.transcript = chat.transcript
        self.chat_edit = chat.chat_edit
        self.send_button = chat.send_button
        self.new_joke_button = chat.new_joke_button
        self.chat_hint = chat.chat_hint
        self.dialog_compare = chat.dialog_compare

        forecast = self.forecast_page
        self.horizon_spin = forecast.horizon_spin
        self.forecast_button = forecast.forecast_button
        self.mark_anomalies_check = forecast.mark_anomalies_check
        self.threshold_spin = forecast.threshold_spin
        self.anomaly_label = forecast.anomaly_label
        self.metrics_label = forecast.metrics_label

        classify = self.classify_page
        self.classify_edit = classify.classify_edit
        self.classify_button = classify.classify_button
        self.classify_hint = classify.classify_hint
        self.classify_result = classify.classify_result
        self.class_list = classify.class_list

    def __getattr__(self, name: str) -> Any:
        """The forecast chart's parts, reached as the panel's own (made on first use)."""
        page = self.__dict__.get("forecast_page")
        if page is not None and name in page.PLOT_PARTS:
            return getattr(page, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def sizeHint(self) -> QSize:  # a dock's natural width; the default asks for far more
        hint = super().sizeHint()
        return QSize(max(self.minimumSizeHint().width(), 420), hint.height())

    def _set_error(self, text: str) -> None:
        set_error(self.error, text)

    # -- public API -----------------------------------------------------------------------------
    def set_kind(self, kind: str, gap: int | None = None) -> None:
        """Show the page for this data kind (the registry's ``prediction_page``); ``gap``: the memory
        task's digits between key and question, which its example question then has."""
        self._kind = kind
        spec = KINDS.get(kind)
        self.pages.setCurrentIndex(PAGES.index(spec.prediction_page) if spec is not None else 0)
        set_error(self.error, "")
        self._question = demo_question(kind, gap)
        self.classify_page.set_kind(kind, self._question)

    def kind(self) -> str:
        return self._kind

    def clear_answers(self) -> None:
        """Forget every answer shown: they came from a model that has been replaced."""
        self.text_page.clear()
        self.new_joke()
        self.classify_page.clear()
        self.forecast_page.clear()
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
            self.classify_edit.setText(self._question or self.classify_edit.placeholderText())
            self.classify_edit.setCursorPosition(0)  # (a long sequence: its start, where the marks are, in view)
            self.classify_button.click()
        else:
            self.forecast_button.click()

    def set_enabled_for_model(self, has_model: bool) -> None:
        """Grey out the buttons that need a model (and stop asking for live suggestions)."""
        self._has_model = bool(has_model)
        for button in (self.complete_button, self.send_button, self.forecast_button, self.classify_button):
            button.setEnabled(self._has_model)
        self.status_label.setVisible(not self._has_model)
        self.chat_page.has_model = self.forecast_page.has_model = self._has_model
        self.classify_page.has_model = self._has_model
        self.text_page.set_has_model(self._has_model)

    def error_text(self) -> str:
        return self.error.text()

    def history(self) -> list[str]:
        """The dialog so far (the user's turns and the model's, alternating)."""
        return self.chat_page.history()

    def new_joke(self) -> None:
        """Forget the conversation and start a new one (the side-by-side replies stay)."""
        self.chat_page.new_joke()

    @Slot(object)
    def show_answer(self, answer: m.Predicted) -> None:
        """Draw an answer from the worker on its request's page."""
        if answer.error or answer.result is None:
            if isinstance(answer.request, m.Reply):
                self.chat_page.show_failed(answer.request.turn)
            set_error(self.error, answer.error or "no answer")
            return
        match answer.result:
            case m.NextAnswer(request=asked, next=pairs):
                if asked.prompt == self.prompt_edit.text():  # an older prompt's bars are stale
                    self.text_page.show_next(pairs)
                return
            case m.SampleAnswer(request=asked, text=text, next=pairs):
                set_error(self.error, "")
                self.text_page.show_completion(asked.prompt, text)
                if asked.prompt == self.prompt_edit.text():
                    self.text_page.show_next(pairs)
            case m.ReplyAnswer() as reply:
                set_error(self.error, "")
                self.chat_page.show_reply(reply)
            case m.ForecastAnswer() as forecast:
                set_error(self.error, "")
                self.forecast_page.show_forecast(forecast)
            case m.ClassifyAnswer() as classes:
                set_error(self.error, "")
                self.classify_page.show_classes(classes)
            case m.WrittenAnswer() as written:
                set_error(self.error, "")
                self.classify_page.show_written(written)
            case m.NumberAnswer() as number:
                set_error(self.error, "")
                self.classify_page.show_number(number)
