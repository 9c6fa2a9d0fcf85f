"""The status bar's four labels: what training is doing, the step, the speed, the device.

The step and the speed change on every frame while training plays. A label whose text changes
width makes the status bar lay itself out again and repaint everything in it and the window under
it (measured: four label repaints and two of the window's per frame). So the counters keep a fixed
size (a minimum width is not enough: Qt lays the bar out again on each new text unless the
label's size cannot change), paint their own background (nothing under them repaints), and change at most
``COUNTER_HZ`` times a second while playing: a counter that ticks faster than that cannot be read
anyway. When training stops, they show the exact last figures at once.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar

COUNTER_HZ = 5


class StatusLine:
    """Builds the labels into ``bar`` (permanent widgets, right-aligned) and keeps them current."""

    def __init__(self, bar: QStatusBar) -> None:
        self.device_label = QLabel("device: -")
        self.steps_label = QLabel("step 0")
        self.rate_label = QLabel("0 steps/s")
        self.state_label = QLabel("paused")
        for label in (self.state_label, self.steps_label, self.rate_label, self.device_label):
            label.setContentsMargins(8, 0, 8, 0)
            label.setAutoFillBackground(True)  # opaque: a new text repaints the label alone
            bar.addPermanentWidget(label)
        metrics = self.steps_label.fontMetrics()
        for label, widest in ((self.steps_label, "step 10,000,000"), (self.rate_label, "10,000 steps/s")):
            label.setFixedSize(metrics.horizontalAdvance(widest) + 16, label.sizeHint().height())
        self.device_label.setToolTip(
            "Where training runs: a CUDA GPU when there is one, then Apple's MPS, else the CPU."
        )
        self._shown_at = 0.0

    def show_counters(self, steps: int, steps_per_s: float, playing: bool, now: bool = False) -> None:
        """The step count and, while playing, the speed; at most COUNTER_HZ times a second while
        playing unless ``now``."""
        t = time.monotonic()
        if playing and not now and t - self._shown_at < 1.0 / COUNTER_HZ:
            return
        self._shown_at = t
        _set(self.steps_label, f"step {steps:,}")
        _set(self.rate_label, f"{steps_per_s:,.0f} steps/s" if playing else "")


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
