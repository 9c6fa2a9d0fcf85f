"""What the window remembers between runs: its geometry, its docks, the last configuration."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt

from playground.core.config import SessionConfig
from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

SETTINGS_VERSION = 1


def remembered_config(settings: QSettings) -> SessionConfig | None:
    """The configuration of the last session, if it was written by this version of the settings."""
    raw = settings.value("last_config")
    if not raw or int(settings.value("settings_version", 0) or 0) != SETTINGS_VERSION:
        return None
    try:
        return SessionConfig.from_dict(json.loads(str(raw)))
    except (PlaygroundError, ValueError, TypeError):
        return None  # settings from another version: start from the defaults


def restore_layout(self: MainWindow) -> None:
    """The window's size and docks as they were; on the first run, room for the plots."""
    geometry = self.settings.value("geometry")
    state = self.settings.value("window_state")
    if isinstance(geometry, QByteArray):
        self.restoreGeometry(geometry)
    else:
        self.resize(1500, 950)
    if isinstance(state, QByteArray):
        self.restoreState(state)
    else:  # first run: the plots get the width, the side panels what their controls need
        self.resizeDocks([self.controls_dock, self.prediction_dock], [360, 300], Qt.Orientation.Horizontal)


def save_settings(self: MainWindow) -> None:
    """Remember the layout and the configuration for the next start."""
    self.settings.setValue("settings_version", SETTINGS_VERSION)
    self.settings.setValue("geometry", self.saveGeometry())
    self.settings.setValue("window_state", self.saveState())
    self.settings.setValue("last_config", json.dumps(self.config.to_dict()))
    self.settings.sync()
