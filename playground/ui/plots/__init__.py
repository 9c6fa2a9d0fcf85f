"""Live plots of a training session, each a card with a "what am I looking at?" explanation.

Every widget takes the :class:`~playground.ui.session.Session` it draws, redraws in ``refresh()``
(called by the window's ~30 fps timer; free when nothing changed) and switches sessions in
``reset(session)``.
"""

from playground.ui.plots.base import PlotCard, SessionCard, TimeAxis
from playground.ui.plots.gates import GatesPlot
from playground.ui.plots.gradients import GradientThroughTimePlot, GradNormPlot
from playground.ui.plots.hidden import HiddenStatePlot
from playground.ui.plots.loss import LossPlot

__all__ = [
    "GatesPlot",
    "GradNormPlot",
    "GradientThroughTimePlot",
    "HiddenStatePlot",
    "LossPlot",
    "PlotCard",
    "SessionCard",
    "TimeAxis",
]
