"""Dockable panels: the model's settings, the data and its preview, and trying the trained model.

Each panel takes what it shows in ``__init__``, reports user edits through a
``changed`` (or ``request``) signal and never owns training state.
"""

from __future__ import annotations

from playground.ui.panels.data_panel import DataPanel
from playground.ui.panels.model_panel import ModelPanel
from playground.ui.panels.prediction_panel import PredictionPanel

__all__ = ["DataPanel", "ModelPanel", "PredictionPanel"]
