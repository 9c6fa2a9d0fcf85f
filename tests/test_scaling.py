"""The window at 150% and 200% (issue 33): Qt's scale factor as a high-DPI screen or a desktop's scale
setting sets it; the window is drawn offscreen at each, and no label, button or box shows less than its
text needs. A scale factor is fixed when Qt starts, so each runs in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

ROOT = Path(__file__).resolve().parents[1]

CLIPPED = r'''
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QWidget


def clipped(root: QWidget) -> list[str]:
    """Controls and one-line labels shown narrower than their text needs (word-wrapped labels grow instead)."""
    out = []
    for w in root.findChildren(QWidget):
        if not w.isVisible() or w.visibleRegion().isEmpty():
            continue
        if isinstance(w, QLabel) and not w.wordWrap() and w.text() and w.pixmap().isNull():
            need = w.sizeHint().width()
        elif isinstance(w, QAbstractButton) and w.text():
            need = w.sizeHint().width()
        elif isinstance(w, QComboBox):
            need = w.minimumSizeHint().width()
        else:
            continue
        if w.width() + 2 < need:
            out.append(f"{type(w).__name__} {w.text() if hasattr(w, 'text') else w.currentText()!r}: {w.width()} < {need}")
    return out
'''

WINDOW = (
    CLIPPED
    + r"""
import json, os, sys
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
from playground.ui.main_window import MainWindow

settings = QSettings(sys.argv[2], QSettings.Format.IniFormat)
settings.setValue("lessons_pointed", True)
w = MainWindow(settings=settings)
w.ask_before_discard = False
w.resize(1500, 950)
w.show()
loop = QEventLoop()
QTimer.singleShot(2500, loop.quit)
loop.exec()
# The model may arrive only now on a busy machine (a fresh clone compiles every module first): its device
# label's new text is laid out on the next pass of the event loop, so wait for it and let that pass run
# (measured at once, "device: cpu" still had the width of "device: -").
while not w.summary:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
for _ in range(5):
    app.processEvents()
found = {}
for dock in (w.model_dock, w.data_dock, w.lessons_dock):  # each of the tabbed docks in turn
    dock.raise_()
    app.processEvents()
    found.update({x: dock.windowTitle() for x in clipped(w)})
image = w.grab()
image.save(sys.argv[1])
print(json.dumps({"clipped": sorted(found), "width": image.width(), "height": image.height(),
                  "ratio": w.devicePixelRatioF()}))
w.shutdown()
"""
)


def clipped(root: QWidget) -> list[str]:
    scope: dict = {}
    exec(CLIPPED, scope)  # the same check the window's process runs
    return scope["clipped"](root)


@pytest.mark.parametrize("scale", ["1", "1.5", "2"])
def test_nothing_is_clipped_at_each_scale(tmp_path, scale):
    shot = tmp_path / f"window-{scale}.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QT_SCALE_FACTOR": scale,
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-c", WINDOW, str(shot), str(tmp_path / "s.ini")],
        capture_output=True, text=True, timeout=180, cwd=ROOT, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["clipped"] == []
    factor = float(scale)
    assert result["ratio"] == pytest.approx(factor)
    assert (result["width"], result["height"]) == (
        round(1500 * factor),
        round(950 * factor),
    ) and shot.exists()


def test_the_check_finds_a_label_squeezed_below_its_text(qtbot):
    """The look-alike: a label held narrower than its words is reported."""
    box = QWidget()
    qtbot.addWidget(box)
    layout = QHBoxLayout(box)
    label = QLabel("a caption much longer than the room it is given")
    label.setFixedWidth(40)
    layout.addWidget(label)
    box.show()
    qtbot.waitExposed(box)
    assert len(clipped(box)) == 1
