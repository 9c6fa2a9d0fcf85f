"""Anomalies on the series page: circles on the chart, a line of text, a threshold filtered locally."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from window_helpers import answer_is

from playground.app import messages as m
from playground.core.config import DataConfig
from playground.core.data.series import generate
from playground.ui.panels import PredictionPanel
from playground.ui.panels._common import VERMILLION
from playground.ui.panels.prediction_panel import anomaly_text


@pytest.fixture
def panel(qtbot) -> PredictionPanel:
    p = PredictionPanel("prices")
    qtbot.addWidget(p)
    p.resize(520, 560)
    return p


def predicted(result: m.ForecastAnswer) -> m.Predicted:
    return m.Predicted(1, result.request, 10, result=result)


def planted_answer(n: int = 120, window: int = 8) -> m.ForecastAnswer:
    """A forecast answer whose anomaly scores are planted: 7.0 at 30 (and its echo 31), 5.0 at 60, 12.0 at 100."""
    values = 100 + np.sin(np.arange(n) / 6.0)
    index = np.arange(window, n)
    score = np.full(index.size, 0.5)
    for pos, s in {30: 7.0, 31: 4.5, 60: 5.0, 100: 12.0}.items():
        score[pos - window] = s
    anomalies = m.AnomalyScores(
        index=index,
        score=score,
        scale=0.21,
        predicted=values[window:],
        error=score * 0.21,
        flagged=np.array([30, 60, 100]),
        above=np.array([30, 31, 60, 100]),
        centre=0.0,
        threshold=4.0,
    )
    return m.ForecastAnswer(
        m.Forecast(horizon=5, threshold=4.0),
        values=values,
        mae=0.2,
        baseline_mae=0.4,
        forecast=np.full(5, 100.0),
        split=n - 12,
        anomalies=anomalies,
    )


def drawn(panel: PredictionPanel) -> tuple[np.ndarray, np.ndarray]:
    x, y = panel.anomaly_scatter.getData()
    return np.asarray(x), np.asarray(y)


def test_planted_scores_are_circled_and_counted(qtbot, panel):
    answer = planted_answer()
    with qtbot.waitSignal(panel.request, timeout=1000) as blocker:
        panel.forecast_button.click()
    assert blocker.args[0].threshold == 4.0
    panel.show_answer(predicted(answer))
    x, y = drawn(panel)
    np.testing.assert_array_equal(x, [30, 60, 100])  # the echo at 31 is the same anomaly as 30
    np.testing.assert_allclose(y, answer.values[[30, 60, 100]])
    assert panel.anomaly_scatter.opts["pen"].color().name().lower() == VERMILLION.lower()
    text = panel.anomaly_label.text()
    assert text.startswith("3 anomalies above 4× the usual error (0.21)"), text
    assert "30, 60, 100" in text
    assert not panel.anomaly_label.isHidden()

    # the threshold filters the scores already here: no new request, instant
    with qtbot.assertNotEmitted(panel.request, wait=300):
        panel.threshold_spin.setValue(6.0)
    np.testing.assert_array_equal(drawn(panel)[0], [30, 100])
    assert panel.anomaly_label.text().startswith("2 anomalies above 6× the usual error")
    panel.threshold_spin.setValue(10.0)
    np.testing.assert_array_equal(drawn(panel)[0], [100])
    assert panel.anomaly_label.text().startswith("1 anomaly above 10× the usual error (0.21): at step 100")
    panel.threshold_spin.setValue(4.0)
    assert len(drawn(panel)[0]) == 3

    # unticking hides the circles and the line; ticking brings them back
    panel.mark_anomalies_check.setChecked(False)
    assert len(drawn(panel)[0]) == 0 and panel.anomaly_label.isHidden()
    panel.mark_anomalies_check.setChecked(True)
    assert len(drawn(panel)[0]) == 3


def test_answers_without_anomalies_clear_the_marks(panel):
    panel.show_answer(predicted(planted_answer()))
    panel.show_answer(predicted(m.ForecastAnswer(m.Forecast(), values=np.array([1.0, 2.0]), mae=1.0, baseline_mae=2.0)))
    assert len(drawn(panel)[0]) == 0 and panel.anomaly_label.isHidden()


def test_anomaly_text_wording():
    assert anomaly_text(0, 4.0, 0.5) == "No anomalies above 4× the usual error (0.5)."
    assert anomaly_text(12, 4.5, 1234.5, range(12)).endswith("at steps 0, 1, 2, 3, 4, 5, 6, 7 and 4 more.")


def test_controls_explain_themselves(panel):
    tip = panel.threshold_spin.toolTip()
    assert "one-step forecast error" in tip and "times the usual error" in tip
    assert panel.mark_anomalies_check.toolTip().strip()


def spiked_prices() -> tuple[tuple[float, ...], tuple[int, ...]]:
    """The prices preset's trend with seasons, quieter (noise 0.2), shorter, with four planted spikes of 12."""
    cfg = DataConfig(kind="prices", generator="trend-seasonal", length=300, noise=0.2, seed=3)
    values = generate(cfg)
    spikes = (60, 130, 200, 285)
    for k, i in enumerate(spikes):
        values[i] += 12.0 if k % 2 == 0 else -12.0
    return tuple(float(v) for v in values), spikes


def test_window_forecast_marks_planted_spikes(qtbot, open_window):
    from playground.core.presets import PRESETS

    values, spikes = spiked_prices()
    preset = PRESETS["prices"][1]
    session = dataclasses.replace(
        preset,
        model=dataclasses.replace(preset.model, hidden=32),
        data=dataclasses.replace(preset.data, source="inline", values=values),
        train=dataclasses.replace(preset.train, lr=1e-2, device="cpu", val_every=0),
    )
    w = open_window(session)
    w.step(150)
    qtbot.waitUntil(lambda: w.session.steps >= 150 and w.state.play == "paused", timeout=15_000)
    panel = w.prediction_panel
    assert panel.kind() == "prices"
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
        panel.forecast_button.click()
    answer = blocker.args[0].result
    assert isinstance(answer, m.ForecastAnswer) and answer.anomalies is not None, blocker.args[0].error
    found = answer.anomalies
    assert found.flagged is not None
    assert set(spikes) <= set(found.flagged.tolist()), (found.flagged, found.score[np.array(spikes) - 24])
    qtbot.waitUntil(lambda: len(drawn(panel)[0]) == len(found.flagged), timeout=5_000)
    x, y = drawn(panel)
    np.testing.assert_array_equal(x, found.flagged)
    np.testing.assert_allclose(y, np.asarray(values)[found.flagged])
    assert panel.anomaly_label.text().startswith(f"{len(found.flagged)} anomal")
