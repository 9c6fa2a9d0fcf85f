"""Live plots of a training session, each a card with a "what am I looking at?" explanation.

Every widget takes the :class:`~playground.ui.session.Session` it draws, redraws in ``refresh()``
(called by the window's ~30 fps timer; free when nothing changed) and switches sessions in
``reset(session)``.
"""

from __future__ import annotations

from typing import Any

# The plot classes are imported on first use (PEP 562): ``playground.ui.plots.theme`` is read by
# widgets that are painted before pyqtgraph is imported (issue 27: the first paint waits for none of it).
_WHERE = {
    "PlotCard": "base",
    "SessionCard": "base",
    "TimeAxis": "base",
    "GatesPlot": "gates",
    "GradNormPlot": "gradients",
    "GradientThroughTimePlot": "gradients",
    "HiddenStatePlot": "hidden",
    "LossPlot": "loss",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
