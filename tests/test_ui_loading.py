"""Nothing slow on the GUI thread: a 45 MB text file loads while the window keeps answering.

The data panel builds its task in a background thread (and the worker builds the model's in
its own); the window's event loop is measured the way `gui --demo --json` measures it: a
10 ms timer, and how late each of its ticks comes.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data.text import MAX_TEXT_BYTES

PARAGRAPH = (
    "The river ran low that summer, and the children of the valley walked along its bed, "
    "turning over stones to find the crayfish that hid beneath them. Nobody minded the heat.\n"
)
SIZE = 45 * 2**20
PING_MS = 10


def lateness(t0: float, ticks: list[float], until: float) -> tuple[np.ndarray, np.ndarray]:
    """(how late each tick came after the one before: `gui --demo --json`'s measure; how long an
    event posted at each millisecond up to ``until`` waited beyond one tick period for the loop
    to run), in ms.

    The second weighs a freeze by how long it lasts: a loop frozen for one second is one late
    tick, but a thousand events that waited."""
    t = np.asarray(ticks)
    tick_late = np.maximum(np.diff(t, prepend=t0) * 1000 - PING_MS, 0.0)
    answered = np.sort(np.append(t, until))  # ``until`` is a moment the loop was running too
    grid = np.arange(t0, min(until, t[-1]), 0.001)
    waits = np.maximum((answered[np.searchsorted(answered, grid)] - grid) * 1000 - PING_MS, 0.0)
    return tick_late, waits


@pytest.fixture
def text_45mb(tmp_path):
    path = tmp_path / "novel.txt"
    path.write_text(PARAGRAPH * (SIZE // len(PARAGRAPH)), encoding="utf-8")
    assert 44 * 2**20 < path.stat().st_size <= SIZE < MAX_TEXT_BYTES
    return path


def test_a_45mb_text_file_loads_while_the_window_answers(qtbot, open_window, monkeypatch, text_45mb):
    """Choosing a 45 MB file: the preview says it is loading, the event loop's p95 lateness stays
    under 50 ms until the window trains a model on it, and the preview then shows the file.

    Two measures. The ticks' lateness, what the issue and `gui --demo --json` call the p95
    latency, from the click until a model trains on the file (the panel's build, then the
    worker's): p95 under 50 ms. It barely sees a freeze, though: a 1.3 s build on the GUI thread
    is one late tick among 150, p95 still 1 ms. So, stricter, how long an event posted at any
    moment waited while the panel loaded the file, which weighs a freeze by its length: about
    5-20 ms here (p95), over 1,000 ms when the build ran on the GUI thread; asserted under
    250 ms, a margin for a busy machine that still catches any build on the GUI thread. (The
    window's own redraw when the data changes, 150-250 ms offscreen, follows the load.)
    """
    w = open_window(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=16, embed=8),
            data=DataConfig(kind="text", source="inline", text="the cat sat on the mat. " * 40),
            train=TrainConfig(batch_size=8, seq_len=24, val_every=0),
        )
    )
    panel = w.data_panel
    assert panel.wait_idle()
    monkeypatch.setattr(panel, "_ask_open_path", lambda caption, filter: str(text_45mb))

    ticks: list[float] = []
    shown: set[tuple[str, str]] = set()  # (the preview's title, its loading label) at each tick

    def ping() -> None:
        ticks.append(time.perf_counter())
        shown.add((panel.preview_box.title(), panel.loading_label.text()))

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(PING_MS)
    ticker.timeout.connect(ping)
    qtbot.wait(500)  # the window's first paints are done: what follows is the load

    def trains_on_it() -> bool:
        seen = w.summary.get("preview") if w.summary else None
        return w.config.data.path == str(text_45mb) and seen is not None and seen.n_train > 40e6

    loaded: list[float] = []
    panel.changed.connect(lambda cfg: loaded.append(time.perf_counter()))
    t0 = time.perf_counter()
    ticker.start()
    QTimer.singleShot(0, panel.file_button.click)  # pressed from the event loop, as a user would
    qtbot.waitUntil(trains_on_it, timeout=90_000)
    seconds = time.perf_counter() - t0
    # a load from the page cache can take 0.3 s: the window keeps answering for half a second at least,
    # so that the ticks are enough to judge by
    qtbot.waitUntil(lambda: time.perf_counter() - t0 > 0.5, timeout=5_000)
    ticker.stop()

    assert len(loaded) == 1
    tick_late, waits = lateness(t0, ticks, until=loaded[0])
    p95, p95_wait = float(np.percentile(tick_late, 95)), float(np.percentile(waits, 95))
    print(
        f"45 MB: shown in the preview after {loaded[0] - t0:.1f} s, a model trains on it after "
        f"{seconds:.1f} s; {len(ticks)} ticks late by p50 {np.percentile(tick_late, 50):.1f} ms, "
        f"p95 {p95:.1f} ms, max {tick_late.max():.0f} ms; while the panel loaded, an event waited "
        f"p95 {p95_wait:.1f} ms, max {waits.max():.0f} ms"
    )
    assert len(ticks) >= 20, len(ticks)
    assert p95 < 50, f"ticks late by p95 {p95:.0f} ms over {len(ticks)} ticks (max {tick_late.max():.0f} ms)"
    assert p95_wait < 250, f"while loading, events waited p95 {p95_wait:.0f} ms, max {waits.max():.0f} ms"

    assert ("Preview: loading…", "Loading novel.txt…") in shown
    assert panel.preview_box.title() == "Preview" and not panel.loading_label.isVisibleTo(panel)
    assert panel.error_text() == "" and not panel.busy
    assert panel.config().path == str(text_45mb)
    n = panel.preview().n_train + panel.preview().n_val
    assert n == text_45mb.stat().st_size  # ASCII: one character a byte
    assert f"{n:,} characters" in panel.summary_label.text()
    assert panel.text_view.toPlainText() == PARAGRAPH * 2 + PARAGRAPH[: 400 - 2 * len(PARAGRAPH)]


def test_a_45mb_paste_is_checked_and_loaded_while_the_window_answers(qtbot, open_window):
    """Edit > Paste Data with 45 MB of text (a text file's limit is 50 MB; issue 28): the clipboard is
    read on the GUI thread (a copy, about 0.1 s), then checked as a text file is and built off it,
    until a model trains on the text. Was: the window frozen for 8-10 s here (the paste box laid out
    its 1.5 million lines on the GUI thread), 150 s on the issue's machine.

    Measured as above, from the click until a model trains on the text: events waited p95 about
    100-150 ms here (the clipboard's copy, the redraw once the model is there: 150-250 ms offscreen),
    the worst tick about 300 ms late; asserted under 500 ms and 2 s, margins for a loaded machine
    that still catch the freeze."""
    w = open_window(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=16, embed=8),
            data=DataConfig(kind="text", source="inline", text="the cat sat on the mat. " * 40),
            train=TrainConfig(batch_size=8, seq_len=24, val_every=0),
        )
    )
    from PySide6.QtGui import QGuiApplication

    line = "The river ran low that summer.\n"  # short lines: a text box's cost is per line
    text = line * (SIZE // len(line))
    QGuiApplication.clipboard().setText(text)
    ticks: list[float] = []
    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(PING_MS)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    qtbot.wait(500)

    def trains_on_it() -> bool:
        seen = w.summary.get("preview") if w.summary else None
        return len(w.config.data.text) == len(text) and seen is not None and seen.n_train > 40e6

    t0 = time.perf_counter()
    ticker.start()
    QTimer.singleShot(0, w.paste_data_action.trigger)  # chosen from the menu, as a user would
    qtbot.waitUntil(trains_on_it, timeout=90_000)
    seconds = time.perf_counter() - t0
    ticker.stop()

    tick_late, waits = lateness(t0, ticks, until=t0 + seconds)
    p95_wait = float(np.percentile(waits, 95))
    print(
        f"45 MB pasted: a model trains on it after {seconds:.1f} s; {len(ticks)} ticks late by p95 "
        f"{np.percentile(tick_late, 95):.1f} ms, max {tick_late.max():.0f} ms; events waited p95 {p95_wait:.1f} ms"
    )
    assert p95_wait < 500, f"events waited p95 {p95_wait:.0f} ms, max {waits.max():.0f} ms"
    assert tick_late.max() < 2000, f"a tick came {tick_late.max():.0f} ms late"
    assert w.config.data.source == "inline" and w.config.data.text == text
    from playground.ui.panels.data_panel import PASTE_BOX_CHARS

    box = w.data_panel.paste_edit
    assert box.isReadOnly() and box.toPlainText() == text[:PASTE_BOX_CHARS]
    qtbot.waitUntil(lambda: "Recognised pasted plain text" in w.banner.text(), timeout=5_000)
