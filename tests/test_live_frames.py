"""The window's cheap live drawing: every-step curves (LiveCurve), frames paced by the data's arrival
(FramePacer), the status bar's counters, and how many threads torch takes beside the window."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QStatusBar, QWidget

from playground.ui.frames import FRAME_MS, POLL_MS, FramePacer
from playground.ui.plots.live_curve import LiveCurve, thin
from playground.ui.status_line import COUNTER_HZ, StatusLine

# -- thinning ----------------------------------------------------------------------------------------


def test_thinning_keeps_each_columns_lowest_and_highest_point():
    rng = np.random.default_rng(0)
    n, columns = 20_000, 500
    x = np.arange(n, dtype=np.float64)
    y = rng.normal(0.0, 1.0, n)
    y[12_345] = 50.0  # one spike, one dip: a min/max thinning must keep both
    y[777] = -40.0
    tx, ty = thin(x, y, 0.0, n - 1.0, columns)
    assert len(tx) <= 2 * columns + 2 * (n // columns)
    assert len(tx) >= columns
    assert ty.max() == 50.0 and ty.min() == -40.0
    assert np.all(np.diff(tx) >= 0)  # still a curve from left to right
    assert tx[0] == 0 and tx[-1] <= n - 1
    # the envelope is the data's: every column's extremes lie in the data between its x values
    assert set(ty.tolist()) <= set(y.tolist())


def test_thinning_a_short_curve_changes_nothing_and_a_gap_stays_a_gap():
    x = np.arange(100, dtype=np.float64)
    y = np.sin(x)
    tx, ty = thin(x, y, 0, 99, 200)
    assert tx is x and ty is y
    y = np.ones(4000)
    y[1000:1100] = np.nan  # a run of overflowed steps, wider than a column
    tx, ty = thin(np.arange(4000.0), y, 0, 3999, 100)
    assert np.isnan(ty).any() and np.nanmax(ty) == 1.0
    y[1000:1100] = 1.0
    y[2000] = np.nan  # one NaN inside a column: the column keeps its finite extremes
    _, ty = thin(np.arange(4000.0), y, 0, 3999, 100)
    assert np.isfinite(ty).all()


def test_thinning_a_zoomed_view_keeps_what_is_in_view_at_full_detail():
    n = 50_000
    x = np.arange(n, dtype=np.float64)
    y = np.arange(n, dtype=np.float64) % 7
    tx, ty = thin(x, y, 1000.0, 1100.0, 400)
    assert tx[0] <= 1000 and tx[-1] >= 1100  # one point past each edge: the line reaches the border
    assert len(tx) == 103  # 101 in view, each kept
    np.testing.assert_array_equal(ty, y[999:1102])


# -- the curve in a plot -----------------------------------------------------------------------------


@pytest.fixture
def plot(qtbot):
    pw = pg.PlotWidget()
    qtbot.addWidget(pw)
    pw.resize(600, 300)
    pw.show()
    return pw  # pytest-qt closes it at the end


def test_a_live_curve_draws_what_it_is_given_and_keeps_the_original(plot):
    curve = LiveCurve(plot.getPlotItem(), pg.mkPen("b"), name="loss")
    x = np.arange(1, 51)
    y = np.linspace(3.0, 1.0, 50)
    curve.set_points(x, y)
    dx, dy = curve.getData()
    np.testing.assert_array_equal(dx, x)
    np.testing.assert_allclose(dy, y)
    ox, oy = curve.getOriginalDataset()
    np.testing.assert_array_equal(ox, x)
    np.testing.assert_allclose(oy, y)
    assert curve.name() == "loss"
    curve.clear_points()
    assert len(curve.getData()[0]) == 0


def test_a_live_curve_follows_the_plots_log_switch_and_leaves_gaps_at_zero(plot):
    item = plot.getPlotItem()
    curve = LiveCurve(item, pg.mkPen("k"))
    y = np.array([1.0, 10.0, 0.0, 100.0, np.inf, 1000.0])
    curve.set_points(np.arange(6), y)
    assert curve.opts["connect"] == "finite"  # inf cannot be drawn: a gap
    item.setLogMode(x=False, y=True)
    _, dy = curve.getData()
    np.testing.assert_allclose(dy[[0, 1, 3, 5]], [0.0, 1.0, 2.0, 3.0])
    assert np.isnan(dy[2])  # log of 0: a gap, as pyqtgraph's own curves make it
    item.setLogMode(x=False, y=False)
    np.testing.assert_allclose(curve.getData()[1][:4], [1.0, 10.0, 0.0, 100.0])
    curve.set_points(np.arange(3), np.array([1.0, 2.0, 3.0]))
    assert curve.opts["connect"] == "all"  # all finite: the cheap path


def test_a_live_curve_thins_a_long_run_and_shows_detail_when_zoomed_in(plot, qtbot):
    item = plot.getPlotItem()
    curve = LiveCurve(item, pg.mkPen("b"))
    n = 20_000
    x = np.arange(1, n + 1)
    y = (np.arange(n) % 10).astype(np.float64)  # a saw tooth: every column holds 0 and 9
    item.setRange(xRange=(1, n), padding=0)
    curve.set_points(x, y)
    far_x, far_y = curve.getData()
    assert len(far_x) < n / 5
    assert far_y.min() == 0 and far_y.max() == 9
    item.setRange(xRange=(5000, 5100), padding=0)  # the user zooms in
    qtbot.wait(10)
    near_x, near_y = curve.getData()
    assert near_x[0] <= 5000 and near_x[-1] >= 5100
    np.testing.assert_array_equal(near_y, y[int(near_x[0]) - 1 : int(near_x[-1])])


def test_a_live_curves_bounds_are_pyqtgraphs_own_worked_out_once(plot):
    """LiveCurve keeps the bounds of the points it draws instead of pyqtgraph's per-call numpy; they
    must be what pyqtgraph would give, gaps and infinities left out, so the view and repaints agree."""
    item = plot.getPlotItem()
    curve = LiveCurve(item, pg.mkPen("k", width=1))
    reference = pg.PlotCurveItem()
    item.addItem(reference)
    rng = np.random.default_rng(3)
    cases = [
        (np.arange(1.0, 301.0), rng.normal(0, 1, 300)),
        (np.arange(10.0, 14.0), np.array([np.nan, 2.0, np.inf, -1.0])),
        (np.arange(1.0, 5000.0), np.abs(rng.normal(0, 1, 4999))),  # thinned
    ]
    for x, y in cases:
        curve.set_points(x, y)
        dx, dy = curve.getData()
        reference.setData(dx, dy, connect="finite")
        for ax in (0, 1):
            assert curve.dataBounds(ax) == pytest.approx(reference.dataBounds(ax))
        rect = curve.boundingRect()
        finite = np.isfinite(dy)
        assert rect.left() <= dx.min() and rect.right() >= dx.max()  # x: the whole curve, as pyqtgraph
        assert rect.top() <= dy[finite].min() and rect.bottom() >= dy[finite].max()
        # the pen's half width in view pixels pads it, no more than a couple of pixels
        (x0, x1), _ = item.getViewBox().viewRange()
        pixel_x = (x1 - x0) / item.getViewBox().width()
        assert rect.width() - (dx.max() - dx.min()) <= 3 * pixel_x
    curve.set_points(np.arange(3.0), np.full(3, np.nan))  # nothing finite: nothing to bound
    assert curve.dataBounds(1) == (None, None) and curve.boundingRect().isEmpty()
    item.setLogMode(x=False, y=True)  # bounds follow what is drawn: log10 of the values
    curve.set_points(np.arange(1.0, 4.0), np.array([0.01, 1.0, 100.0]))
    assert curve.dataBounds(1) == pytest.approx((-2.0, 2.0))


# -- frames ------------------------------------------------------------------------------------------


def test_frames_come_with_the_data_at_most_one_per_frame_time(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    drawn: list[float] = []
    version = {"new": 0, "drawn": 0}

    def draw() -> bool:
        if version["new"] == version["drawn"]:
            return False
        version["drawn"] = version["new"]
        drawn.append(time.perf_counter())
        return True

    pacer = FramePacer(parent, draw)
    pacer.start()
    t0 = time.perf_counter()
    version["new"] += 1
    pacer.data_arrived()
    qtbot.waitUntil(lambda: len(drawn) == 1, timeout=1000)
    assert drawn[0] - t0 < 0.5 * POLL_MS / 1000  # drawn on arrival, not at the next poll
    # a burst: five batches within a millisecond are one frame
    for _ in range(5):
        version["new"] += 1
        pacer.data_arrived()
    qtbot.waitUntil(lambda: len(drawn) == 2, timeout=1000)
    qtbot.wait(3 * FRAME_MS)
    assert len(drawn) == 2
    # data every 5 ms for 0.6 s: about 30 frames a second, not 200
    start = len(drawn)
    end = time.perf_counter() + 0.6
    while time.perf_counter() < end:
        version["new"] += 1
        pacer.data_arrived()
        qtbot.wait(5)
    frames = len(drawn) - start
    assert 6 <= frames <= 0.6 * (1000 / FRAME_MS + 1000 / POLL_MS) + 2, frames
    gaps = np.diff(drawn[start:])
    assert np.median(gaps) >= 0.8 * FRAME_MS / 1000
    # a change that comes without a batch (Undo, a model opened) is drawn by the poll
    version["new"] += 1
    n = len(drawn)
    qtbot.waitUntil(lambda: len(drawn) == n + 1, timeout=5 * POLL_MS)
    pacer.stop()
    version["new"] += 1
    pacer.data_arrived()
    qtbot.wait(2 * POLL_MS)
    assert len(drawn) == n + 1  # stopped: nothing more (the window is closing)


def test_the_status_counters_tick_a_few_times_a_second_while_playing_and_exactly_when_stopped(qtbot):
    bar = QStatusBar()
    qtbot.addWidget(bar)
    line = StatusLine(bar)
    line.show_counters(10, 30.0, playing=True, now=True)
    assert line.steps_label.text() == "step 10" and line.rate_label.text() == "30 steps/s"
    line.show_counters(11, 31.0, playing=True)  # within 1/COUNTER_HZ of the last: not yet
    assert line.steps_label.text() == "step 10"
    time.sleep(1.1 / COUNTER_HZ)
    line.show_counters(12_345, 31.4, playing=True)
    assert line.steps_label.text() == "step 12,345" and line.rate_label.text() == "31 steps/s"
    line.show_counters(12_346, 31.4, playing=False)  # paused: exact at once, no speed shown
    assert line.steps_label.text() == "step 12,346" and line.rate_label.text() == ""
    # wide enough for a long run: a new count never makes the status bar lay itself out again
    width = line.steps_label.fontMetrics().horizontalAdvance("step 10,000,000")
    assert line.steps_label.minimumWidth() >= width


def test_a_new_count_neither_lays_out_nor_repaints_the_status_bar(qtbot):
    """A label whose size may change asks its parent to lay out again on each new text; the
    status bar then repaints, and the window's layout with it (measured: 5 times a second)."""
    from PySide6.QtCore import QEvent, QObject

    bar = QStatusBar()
    qtbot.addWidget(bar)
    line = StatusLine(bar)
    bar.resize(900, 30)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(50)

    class Count(QObject):
        layouts = paints = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.LayoutRequest:
                self.layouts += 1
            elif event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    count = Count()
    bar.installEventFilter(count)
    for steps in (9, 10_000, 123_456, 7):  # widths of text that differ a lot
        line.show_counters(steps, 1234.5, playing=True, now=True)
        qtbot.wait(20)
    assert line.steps_label.text() == "step 7"
    assert count.layouts == 0 and count.paints == 0


def test_the_window_shows_the_last_step_once_training_pauses(qtbot, open_window):
    from tests.test_ui_window import make_config

    w = open_window(make_config("gru", "text"))
    w.play()
    qtbot.waitUntil(lambda: w.session.steps >= 30, timeout=30_000)
    playing = w.status_line.steps_label.text()
    assert playing.startswith("step ") and w.status_line.rate_label.text().endswith("steps/s")
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    qtbot.wait(3 * POLL_MS)
    assert w.status_line.steps_label.text() == f"step {w.session.steps:,}"
    assert w.status_line.rate_label.text() == ""
