"""The prediction panel's price page: forecast a series, mark its anomalies, and compare the held-out
predictions with simply repeating the last value."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.app import messages as m
from playground.core.errors import PlaygroundError
from playground.core.inspect.anomalies import DEFAULT_THRESHOLD, check_threshold, flag
from playground.ui.palettes import FORECAST_COLOURS
from playground.ui.panels._common import VERMILLION
from playground.ui.plots.theme import scheme

METRICS_PROMPT = "Press Forecast to see how well the model predicts the held-out tail."

TIPS = {
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


def metrics_text(answer: m.ForecastAnswer) -> str:
    """The held-out errors, each beside the last-value baseline's, in a few lines."""
    mae, base_mae = float(answer.mae), float(answer.baseline_mae)
    lines = [
        f"MAE {format_number(mae)} (last-value baseline {format_number(base_mae)}) — "
        f"{comparison_text(mae, base_mae)}."
    ]
    if answer.rmse is not None:
        rmse = float(answer.rmse)
        base_rmse = float("nan") if answer.baseline_rmse is None else float(answer.baseline_rmse)
        lines.append(f"RMSE {format_number(rmse)} (baseline {format_number(base_rmse)}).")
    if answer.target_index is not None:
        lines.append(f"Measured on {len(answer.target_index)} held-out steps, one step ahead each.")
    held = answer.inputs_held
    if held and answer.forecast is not None:
        shown = ", ".join(f"{name} = {format_number(v)}" for name, v in held.items())
        lines.append(f"Past the data the inputs are not forecast: they stay at their last values ({shown}).")
    dates, forecast = answer.dates, answer.forecast
    if dates is not None and forecast is not None and len(forecast) and len(answer.values):
        n = len(answer.values)
        lines.append(f"The forecast runs from {dates.label(n)} to {dates.label(n + len(forecast) - 1)}.")
    return "\n".join(lines)


class ForecastPage(QWidget):
    """The series, the held-out one-step predictions, the forecast past the end, and the anomalies."""

    request = Signal(object)  # a Forecast for the worker's predict slot
    error_changed = Signal(str)  # the panel's error line should show this

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.has_model = True
        self.horizon_spin = QSpinBox()
        self.horizon_spin.setRange(1, 1000)
        self.horizon_spin.setValue(20)
        self.horizon_spin.setSuffix(" steps ahead")
        self.horizon_spin.setToolTip(TIPS["horizon"])
        self.forecast_button = QPushButton("Forecast")
        self.forecast_button.setToolTip(TIPS["forecast"])
        horizon_label = QLabel("Horizon")
        horizon_label.setToolTip(TIPS["horizon"])

        # The chart (pyqtgraph) is made on first use: the window's first paint imports no pyqtgraph
        # (playground.ui.live_plots), and a text model never shows it.
        self.plot_area = QWidget()
        self.plot_area.setMinimumHeight(200)
        QVBoxLayout(self.plot_area).setContentsMargins(0, 0, 0, 0)

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
        self._anomalies: m.AnomalyScores | None = None  # the last answer's scores, filtered here
        self._values: Any = ()  # the last answer's values (a numpy array)
        self.metrics_label = QLabel(METRICS_PROMPT)
        self.metrics_label.setWordWrap(True)
        self.metrics_label.setToolTip(TIPS["metrics"])
        self.metrics_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        row = QHBoxLayout()
        row.addWidget(horizon_label)
        row.addWidget(self.horizon_spin, 1)
        row.addWidget(self.forecast_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot_area, 1)
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

        self.forecast_button.clicked.connect(self._on_forecast)
        self.threshold_spin.valueChanged.connect(self.show_anomalies)
        self.mark_anomalies_check.toggled.connect(self.show_anomalies)

    PLOT_PARTS = (
        "date_axis",
        "forecast_plot",
        "held_out_region",
        "series_curve",
        "prediction_curve",
        "forecast_curve",
        "anomaly_scatter",
    )

    def __getattr__(self, name: str) -> Any:
        if name in self.PLOT_PARTS:  # the chart is made on first use
            self._build_plot()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _build_plot(self) -> None:
        import pyqtgraph as pg

        from playground.ui.panels.date_axis import DateAxis
        from playground.ui.plots.repaint import legend_brush

        self.date_axis = DateAxis()
        self.forecast_plot = pg.PlotWidget(axisItems={"bottom": self.date_axis})
        self.forecast_plot.setBackground(scheme().plot_bg)
        self.forecast_plot.setMinimumHeight(200)
        self.forecast_plot.setToolTip(TIPS["chart"])
        item = self.forecast_plot.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.15)
        legend = item.addLegend(offset=(8, 8), labelTextColor=scheme().text)
        legend.setBrush(legend_brush(scheme()))
        self.held_out_region = pg.LinearRegionItem(
            values=(0, 1), movable=False, brush=pg.mkBrush(230, 159, 0, 35), pen=pg.mkPen(None)
        )
        self.held_out_region.setZValue(-10)
        self.held_out_region.setVisible(False)
        item.addItem(self.held_out_region)
        # Static charts (redrawn once per answer), so antialiasing costs nothing noticeable.
        self.series_curve = item.plot(
            pen=pg.mkPen(FORECAST_COLOURS["real values"], width=2.5), name="real values", antialias=True
        )
        self.prediction_curve = item.plot(
            pen=pg.mkPen(FORECAST_COLOURS["one step ahead"], width=1.5), name="one step ahead", antialias=True
        )
        self.forecast_curve = item.plot(
            pen=pg.mkPen(FORECAST_COLOURS["forecast"], width=2, style=Qt.PenStyle.DashLine),
            name="forecast",
            antialias=True,
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
        self.plot_area.layout().addWidget(self.forecast_plot)

    def clear(self) -> None:
        """Forget the last forecast: the curves, the anomalies and the metrics."""
        self._anomalies = None
        self.anomaly_label.setVisible(False)
        self.metrics_label.setText(METRICS_PROMPT)
        if "forecast_plot" not in self.__dict__:  # no chart made yet: nothing drawn
            return
        for curve in (self.series_curve, self.prediction_curve, self.forecast_curve):
            curve.setData([], [])
        self.held_out_region.setVisible(False)
        self._anomalies = None
        self.anomaly_scatter.setData([], [])
        self.anomaly_label.setVisible(False)
        self.metrics_label.setText(METRICS_PROMPT)

    def _on_forecast(self) -> None:
        if self.has_model:
            self.request.emit(m.Forecast(self.horizon_spin.value(), self.threshold_spin.value()))

    def show_forecast(self, answer: m.ForecastAnswer) -> None:
        import numpy as np

        values = np.asarray(answer.values, dtype=np.float64)
        n = len(values)
        self.date_axis.set_dates(answer.dates)
        x = np.arange(n, dtype=np.float64)
        self.series_curve.setData(x, values)
        split = answer.split
        if split is not None and n:
            self.held_out_region.setRegion((int(split) - 0.5, n - 0.5))
            self.held_out_region.setVisible(True)
        predictions, target_index = answer.predictions, answer.target_index
        if predictions is not None and target_index is not None:
            self.prediction_curve.setData(
                np.asarray(target_index, dtype=np.float64), np.asarray(predictions, dtype=np.float64)
            )
        else:
            self.prediction_curve.setData([], [])
        forecast = np.asarray(() if answer.forecast is None else answer.forecast, dtype=np.float64)
        if forecast.size and n:
            # start the dashed line at the last real value so it visibly continues the series
            fx = np.arange(n - 1, n + forecast.size, dtype=np.float64)
            self.forecast_curve.setData(fx, np.concatenate([[values[-1]], forecast]))
        else:
            self.forecast_curve.setData([], [])
        self._values = values
        self._anomalies = answer.anomalies
        self.show_anomalies()
        self.forecast_plot.getPlotItem().enableAutoRange()
        self.metrics_label.setText(metrics_text(answer))

    def show_anomalies(self) -> None:
        """Circle the points over the threshold: filtered here from the answer's scores, so instant."""
        found = self._anomalies
        if found is None or not self.mark_anomalies_check.isChecked():
            self.anomaly_scatter.setData([], [])
            self.anomaly_label.setVisible(False)
            return
        import numpy as np

        threshold = self.threshold_spin.value()
        try:
            flagged, _ = flag(found.index, found.score, check_threshold(threshold))
        except PlaygroundError as e:
            self.error_changed.emit(f"cannot mark anomalies: {e}")
            return
        flagged = flagged[(flagged >= 0) & (flagged < len(self._values))]
        self.anomaly_scatter.setData(flagged.astype(np.float64), self._values[flagged])
        self.anomaly_label.setText(anomaly_text(len(flagged), threshold, float(found.scale), flagged))
        self.anomaly_label.setVisible(True)
