"""The data panel's preview: exactly what the network learns from (text, dialogs, examples, a series)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.data.preview import PREVIEW_CHARS, DataPreview
from playground.ui.palettes import SPLIT_COLOURS
from playground.ui.panels._common import BLUE, note_label
from playground.ui.plots.theme import scheme

# The core's messages name the command line's options; in the panel they name its controls.
_CLI_ADVICE = (
    ("use --gaps interpolate or --gaps ffill", "set Gaps to Interpolate or Fill forward"),
    ("with --column", "in the Column box"),
)


def panel_words(text: str) -> str:
    """A core message with command-line advice ("--gaps ffill") said in the panel's terms."""
    for cli, panel in _CLI_ADVICE:
        text = text.replace(cli, panel)
    return text


class PreviewBox(QGroupBox):
    """A box that shows the preview of a built task; its title says when it is loading or shows older data."""

    # The parts the data panel (and its tests) reach by name.
    PARTS = (
        "summary_label",
        "vocab_label",
        "text_view",
        "dialog_list",
        "series_plot",
        "held_out_region",
        "train_curve",
        "held_out_curve",
        "preview_stack",
        "notes_label",
        "loading_label",
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Preview", parent)
        self.loading_label = note_label()
        self.loading_label.setVisible(False)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)

        # text: the vocabulary and the start of the text
        self.vocab_label = QLabel()
        self.vocab_label.setWordWrap(True)
        self.vocab_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.vocab_label.setToolTip(
            "Every different character in the data: the network chooses among exactly these. "
            "\u2423 is a space, \u21b5 a new line."
        )
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setToolTip(f"The first {PREVIEW_CHARS} characters of the data.")
        self.text_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text_page = QWidget()
        tl = QVBoxLayout(text_page)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.vocab_label)
        tl.addWidget(self.text_view, 1)

        # dialogs: one line per dialog
        self.dialog_list = QListWidget()
        self.dialog_list.setToolTip("Every dialog in the data, its turns joined by ' / '.")
        self.dialog_list.setWordWrap(True)
        self.dialog_list.setAlternatingRowColors(True)
        self.dialog_list.setSpacing(1)

        # series: the values, the held-out tail shaded (a pyqtgraph plot, made when first needed: the
        # window's first paint imports no pyqtgraph, see playground.ui.live_plots)
        self.series_page = QWidget()
        self.series_page.setMinimumHeight(180)
        QVBoxLayout(self.series_page).setContentsMargins(0, 0, 0, 0)

        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(text_page)
        self.preview_stack.addWidget(self.dialog_list)
        self.preview_stack.addWidget(self.series_page)
        self.notes_label = note_label()

        box = QVBoxLayout(self)
        box.addWidget(self.loading_label)
        box.addWidget(self.summary_label)
        box.addWidget(self.preview_stack, 1)
        box.addWidget(self.notes_label)

    SERIES_PARTS = ("series_plot", "date_axis", "held_out_region", "train_curve", "held_out_curve")

    def __getattr__(self, name: str) -> Any:
        if name in self.SERIES_PARTS:  # the series plot is made on first use
            self._make_series_plot()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _make_series_plot(self) -> None:
        import pyqtgraph as pg

        from playground.ui.panels.date_axis import DateAxis
        from playground.ui.plots.repaint import legend_brush

        self.date_axis = DateAxis()
        self.series_plot = pg.PlotWidget(axisItems={"bottom": self.date_axis})
        self.series_plot.setBackground(scheme().plot_bg)
        self.series_plot.setToolTip(
            "The series the network learns from. The shaded tail is held out: never trained on, "
            "used to check the predictions."
        )
        item = self.series_plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setMenuEnabled(False)
        legend = item.addLegend(offset=(8, 8), labelTextColor=scheme().text)
        legend.setBrush(legend_brush(scheme()))
        self.held_out_region = pg.LinearRegionItem(
            values=(0, 1), movable=False, brush=pg.mkBrush(230, 159, 0, 45), pen=pg.mkPen(None)
        )
        self.held_out_region.setZValue(-10)
        item.addItem(self.held_out_region)
        self.train_curve = item.plot(
            pen=pg.mkPen(SPLIT_COLOURS["training"], width=1.5), name="training", antialias=True
        )
        self.held_out_curve = item.plot(
            pen=pg.mkPen(SPLIT_COLOURS["held out"], width=1.5), name="held out", antialias=True
        )
        self.series_page.layout().addWidget(self.series_plot)

    def set_state(self, loading: str = "", stale: bool = False) -> None:
        """``loading``: what is being loaded ("" when nothing is); ``stale``: the data shown is not the
        data asked for (it was refused)."""
        self.loading_label.setText(loading)
        self.loading_label.setVisible(bool(loading))
        if loading:
            self.setTitle("Preview: loading…")
        elif stale:
            self.setTitle("Preview: still the last data that loaded")
        else:
            self.setTitle("Preview")

    def show_preview(self, preview: DataPreview) -> None:
        """Show a preview the training process made of a task (playground.core.data.preview)."""
        notes = list(preview.notes)
        if preview.mode == "series":
            self._preview_series(preview)
        elif preview.mode == "dialogs":
            self._preview_dialogs(preview)
            notes = [n for n in notes if " dialogs (" not in n]  # already in the summary line
        elif preview.mode == "examples":
            self._preview_examples(preview)
        else:
            self._preview_text(preview)
        self.notes_label.setText(panel_words("\n".join(notes)))
        self.notes_label.setVisible(bool(notes))

    def _preview_text(self, p: DataPreview) -> None:
        self.summary_label.setText(
            f"{p.n_train + p.n_val:,} characters ({p.n_train:,} for training, {p.n_val:,} held out); "
            f"{len(p.vocab)} different characters:"
        )
        self.vocab_label.setText(" ".join(p.vocab_labels))
        self.text_view.setPlainText(p.text)
        self.preview_stack.setCurrentIndex(0)

    def _preview_dialogs(self, p: DataPreview) -> None:
        n, n_val, made_up = p.dialogs_total, p.held_out, p.made_up
        summary = f"{n} dialogs: {n - n_val} for training, the last {n_val} (grey) held out"
        if made_up:
            summary += (
                f"; {made_up:,} made-up jokes mixed into training (the first {len(p.made_up_shown)} "
                "listed at the end, in blue)"
            )
        else:
            summary += "; no made-up jokes: the model can only learn these by heart"
        if len(p.dialogs) < n:
            summary += f" ({len(p.dialogs):,} of the {n:,} dialogs listed)"
        self.summary_label.setText(summary)
        self.dialog_list.clear()
        held_out_colour = self.dialog_list.palette().color(QPalette.ColorRole.PlaceholderText)
        for i, turns in enumerate(p.dialogs):
            item = QListWidgetItem(" / ".join(turns))
            if i >= len(p.dialogs) - p.held_listed:
                item.setForeground(held_out_colour)
                item.setToolTip("Held out: never trained on, used to check the model.")
            self.dialog_list.addItem(item)
        for turns in p.made_up_shown:
            item = QListWidgetItem(" / ".join(turns))
            item.setForeground(QColor(BLUE))
            item.setToolTip("Made up for training: a name nobody wrote down, so copying it is what pays.")
            self.dialog_list.addItem(item)
        self.preview_stack.setCurrentIndex(1)

    def _preview_examples(self, p: DataPreview) -> None:
        """The generated lessons: a few sequences with their answers."""
        self.summary_label.setText(p.line)
        self.dialog_list.clear()
        for sequence, answer in p.examples:
            self.dialog_list.addItem(QListWidgetItem(f"{sequence}   →   {answer}"))
        self.preview_stack.setCurrentIndex(1)

    def _preview_series(self, p: DataPreview) -> None:
        import numpy as np

        values = np.zeros(0) if p.values is None else np.asarray(p.values, dtype=np.float64)
        n, split = p.length, p.split
        text = (
            f"{n:,} values: {p.train_windows:,} training windows of {p.window}, "
            f"{n - split:,} held-out values to check predictions on"
        )
        if p.input_names:
            text += f"; the model also sees {', '.join(p.input_names)}"
        if p.dates_text:
            text += f" ({p.dates_text})"
        self.summary_label.setText(text)
        self.date_axis.set_dates(p.dates)
        x = p.x
        cut = int(np.searchsorted(x, split))  # the first held-out point drawn
        self.train_curve.setData(x[:cut], values[:cut])
        # the held-out curve starts at the last training point so the line has no gap
        lo = max(cut - 1, 0)
        self.held_out_curve.setData(x[lo:], values[lo:])
        self.held_out_region.setRegion((split - 0.5, n - 0.5))
        self.series_plot.getPlotItem().enableAutoRange()
        self.preview_stack.setCurrentIndex(2)
