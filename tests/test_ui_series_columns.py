"""Your own multi-column CSV in the window: the target and the input columns chosen in the Data panel,
the dates as the charts' time axis, a model trained and forecast on them, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_ui_panels import choose, new_data_panel
from window_helpers import answer_is

from playground.app import messages as m
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig


def _economy(n: int = 120, gap_in: str = "") -> str:
    """Quarters from 1990Q1, an output that follows the interest rate, a text column, a volume."""
    rng = np.random.default_rng(11)
    rate = 4 + np.cumsum(rng.normal(0, 0.3, n))
    out = 100 + np.cumsum(0.4 - 0.5 * (rate - 4) + rng.normal(0, 0.1, n))
    rows = []
    for i in range(n):
        cells = [f"{1990 + i // 4}Q{i % 4 + 1}", f"{out[i]:.3f}", f"{rate[i]:.3f}", "north", str(1000 + i)]
        if gap_in == "rate" and i == 30:
            cells[2] = ""
        rows.append(",".join(cells))
    return "quarter,output,rate,region,volume\n" + "\n".join(rows) + "\n"


def _items(panel) -> dict[str, tuple[bool, bool]]:
    """Each offered input column: (shown, ticked)."""
    lst = panel.inputs_list
    return {
        lst.item(i).text(): (not lst.item(i).isHidden(), lst.item(i).checkState() == Qt.CheckState.Checked)
        for i in range(lst.count())
    }


def _tick(panel, name: str, on: bool = True) -> None:
    lst = panel.inputs_list
    item = next(lst.item(i) for i in range(lst.count()) if lst.item(i).text() == name)
    item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)  # as a click does


def _choose_file(qtbot, monkeypatch, panel, path) -> DataConfig:
    monkeypatch.setattr(panel, "_ask_open_path", lambda caption, filter: str(path))
    with qtbot.waitSignal(panel.changed, timeout=5000) as blocker:
        panel.file_button.click()
    return blocker.args[0]


def test_target_and_inputs_are_chosen_in_the_data_panel(qtbot, monkeypatch, tmp_path):
    path = tmp_path / "economy.csv"
    path.write_text(_economy(), encoding="utf-8")
    panel = new_data_panel(qtbot, DataConfig(kind="prices", source="generator"))
    cfg = _choose_file(qtbot, monkeypatch, panel, path)
    combo = panel.column_combo
    # numbers only: the dates and the text column are not offered
    assert [combo.itemData(i) for i in range(combo.count())] == ["output", "rate", "volume"]
    assert cfg.column == "output" and cfg.inputs == ""
    assert _items(panel) == {"output": (False, False), "rate": (True, False), "volume": (True, False)}
    assert not panel.inputs_list.isHidden() and "region" in panel.inputs_list.toolTip()
    # the dates are the preview's time axis
    axis = panel.preview_box.date_axis
    assert axis.dates is not None and axis.dates.unit == "quarter" and axis.labelText == "quarter"
    assert axis.tickStrings([0.0, 4.0, 119.0, 120.0], 1, 4) == ["1990Q1", "1991Q1", "2019Q4", "2020Q1"]

    with qtbot.waitSignal(panel.changed, timeout=5000) as blocker:
        _tick(panel, "rate")
    assert blocker.args[0].inputs == "rate"
    assert panel.preview().input_names == ("rate",)
    assert "the model also sees rate" in panel.summary_label.text()
    assert "quarterly, 1990Q1 to 2019Q4" in panel.summary_label.text()

    with qtbot.waitSignal(panel.changed, timeout=5000) as blocker:
        _tick(panel, "volume")
    assert blocker.args[0].inputs == "rate,volume" and panel.preview().input_names == ("rate", "volume")

    # the target is never an input: choosing it as the target unticks and hides it
    with qtbot.waitSignal(panel.changed, timeout=5000) as blocker:
        choose(combo, "rate")
    assert (blocker.args[0].column, blocker.args[0].inputs) == ("rate", "volume")
    assert _items(panel)["rate"] == (False, False) and _items(panel)["output"] == (True, False)
    assert panel.preview().values[0] == pytest.approx(float(_economy().splitlines()[1].split(",")[2]))


def test_an_input_with_a_gap_is_refused_in_one_line(qtbot, monkeypatch, tmp_path):
    path = tmp_path / "gappy.csv"
    path.write_text(_economy(gap_in="rate"), encoding="utf-8")
    panel = new_data_panel(qtbot, DataConfig(kind="prices", source="generator"))
    _choose_file(qtbot, monkeypatch, panel, path)
    good = panel.config()
    with qtbot.assertNotEmitted(panel.changed, wait=300):
        _tick(panel, "rate")
        qtbot.waitUntil(lambda: bool(panel.error_text()), timeout=5000)
    assert "rate" in panel.error_text() and "missing" in panel.error_text()
    assert "\n" not in panel.error_text().strip()
    assert panel.config() == good  # the last good data stays


def test_a_multi_column_csv_trains_and_forecasts_in_the_window(qtbot, open_window, tmp_path):
    path = tmp_path / "economy.csv"
    path.write_text(_economy(), encoding="utf-8")
    data = DataConfig(kind="prices", source="file", path=str(path), column="output", inputs="rate", window=8)
    w = open_window(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=16),
            data=data,
            train=TrainConfig(batch_size=16, lr=1e-2, val_every=20),
        )
    )
    panel = w.data_panel
    assert panel.wait_idle()
    assert _items(panel)["rate"] == (True, True)  # the window's own settings, shown ticked
    assert w.worker_thread.worker.trainer.task.input_names == ["rate"]
    w.step(40)
    qtbot.waitUntil(lambda: w.session.steps >= 40, timeout=20_000)
    page = w.prediction_panel.forecast_page
    page.horizon_spin.setValue(6)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.Predicted), timeout=10_000) as blocker:
        page.forecast_button.click()
    answer = blocker.args[0].result
    assert isinstance(answer, m.ForecastAnswer) and answer.forecast is not None, blocker.args[0].error
    assert len(answer.forecast) == 6 and np.isfinite(answer.mae)
    assert answer.inputs_held == {"rate": pytest.approx(float(_economy().splitlines()[-1].split(",")[2]))}
    # the forecast chart's time axis is the file's quarters, continued past its end
    assert page.date_axis.dates is not None
    assert page.date_axis.tickStrings([120.0, 125.0], 1, 5) == ["2020Q1", "2021Q2"]
    text = page.metrics_label.text()
    assert "The forecast runs from 2020Q1 to 2021Q2." in text
    assert "they stay at their last values (rate = " in text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--preset", "prices", "--file", "gone.csv"), ("not found", "gone.csv")),
        (("--preset", "prices", "--file", "{csv}", "--column", "output", "--inputs", "region"), ("region",)),
        (("--preset", "text", "--file", "{csv}", "--column", "output"), ("--column", "--preset prices")),
        (("--preset", "prices", "--inputs", "rate"), ("--inputs needs --file",)),
    ],
)
def test_a_demo_on_your_own_file_refuses_in_one_line_before_any_window(capsys, tmp_path, monkeypatch, args, words):
    from cli_helpers import assert_error

    path = tmp_path / "economy.csv"
    path.write_text(_economy(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    shown = [str(path) if a == "{csv}" else a for a in args]
    assert_error(capsys, "gui", "--demo", "3", *shown, words=words)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("repeat", ("dates in column 'quarter'", "repeat", "row 42", "row 41")),
        ("shuffle", ("dates in column 'quarter'", "out of order", "row 42", "sort the rows by date")),
        ("comma", ("row 42 of economy.csv has 6 cells", "header names 5 columns", "1,5")),
    ],
)
def test_a_file_with_repeated_or_shuffled_dates_or_a_split_number_is_refused_in_one_line(
    qtbot, monkeypatch, tmp_path, damage, words
):
    """Issue 28 in the Data panel: the refusal is the panel's one-line message and the last good data
    stays (these files used to load, their points out of time order or a column shifted)."""
    lines = _economy().splitlines()
    cells = lines[41].split(",")  # data row 41 is the file's row 42
    if damage == "repeat":
        cells[0] = lines[40].split(",")[0]
    elif damage == "shuffle":
        cells[0] = lines[2].split(",")[0]
    else:
        cells[2] = cells[2].replace(".", ",")  # an unquoted decimal comma: one cell more
    lines[41] = ",".join(cells)
    path = tmp_path / "economy.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    panel = new_data_panel(qtbot, DataConfig(kind="prices", source="generator"))
    good = panel.config()
    monkeypatch.setattr(panel, "_ask_open_path", lambda caption, filter: str(path))
    with qtbot.assertNotEmitted(panel.changed, wait=300):
        panel.file_button.click()
        qtbot.waitUntil(lambda: bool(panel.error_text()), timeout=10_000)
    message = panel.error_text().strip()
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)
    assert panel.config() == good
