"""When the plots redraw: when new training data arrives, at most 25 times a second.

The training process sends a batch of step summaries every few dozen milliseconds. A timer that
only polled for new data every 33 ms would beat against that cadence: some ticks find nothing,
the next finds two batches, and the plots move at ~20 frames a second although data came 25-30
times (measured: docs/benchmarks.md). So a batch's arrival asks for a frame, drawn at once when the
last one is a frame-time old, else when it will be. 25 frames a second, not 30: on two cores each
frame is taken from training's time, and 25 moves as smoothly. A slow timer still polls, for
whatever changes the session without a batch (Undo, opening a model, switching tabs).

Drawing never happens in the training process and never on arrival itself: the draw runs from
the event loop, so a burst of batches costs one frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

FRAME_MS = 40  # plots redraw at most 25 times a second (docs/benchmarks.md: frames cost training speed)
POLL_MS = 100  # changes that come without a batch are drawn within this


class FramePacer:
    """Calls ``draw`` (which returns True when it drew something new) on new data and on a timer."""

    def __init__(self, parent: QObject, draw: Callable[[], bool]) -> None:
        self._draw = draw
        self._last = 0.0
        self.poll = QTimer(parent)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.frame)
        self.soon = QTimer(parent)
        self.soon.setSingleShot(True)
        self.soon.setTimerType(Qt.TimerType.PreciseTimer)
        self.soon.timeout.connect(self.frame)

    def start(self) -> None:
        self.poll.start()

    def stop(self) -> None:
        self.poll.stop()
        self.soon.stop()

    def data_arrived(self) -> None:
        """New data is in the session: draw it as soon as a frame is due."""
        if self.soon.isActive() or not self.poll.isActive():
            return
        wait_ms = FRAME_MS - 1000.0 * (time.perf_counter() - self._last)
        self.soon.start(max(0, round(wait_ms)))

    def frame(self) -> None:
        if self._draw():
            self._last = time.perf_counter()
