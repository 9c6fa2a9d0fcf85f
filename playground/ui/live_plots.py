"""The Training tab's five live plots, made just after the window's first paint.

The plots are pyqtgraph widgets, and pyqtgraph (with numpy) is the largest single cost of opening
the window (issue 27, measured with ``python -X importtime``: about 0.2 s of a 0.7 s first paint
on a quiet 2-core machine). The first paint therefore shows each plot's card as an empty frame in its
place; on the next turn of the event loop the plots are made and take the frames' places. No model
has arrived by then (the training process is still loading torch), so the cards would be empty
either way.

Whatever reads a plot earlier (a test, a script, the controller) makes them at once: the window's
``loss_plot``, ``plots`` and the rest are :func:`live` attributes that build on first read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QFrame, QGridLayout, QWidget

from playground.ui.plots.theme import themed

# Where each plot sits in the Training tab's grid: (attribute, class, row, column, row span, column span).
# Two columns: what training does (loss, gradient size) above, what happens inside below.
LAYOUT = (
    ("loss_plot", "LossPlot", 0, 0, 1, 1),
    ("grad_norm_plot", "GradNormPlot", 0, 1, 1, 1),
    ("gradient_plot", "GradientThroughTimePlot", 1, 0, 1, 1),
    ("gates_plot", "GatesPlot", 1, 1, 1, 1),
    ("hidden_plot", "HiddenStatePlot", 2, 0, 1, 2),
)
# The order of ``window.plots`` (the order they were always listed in).
ORDER = ("loss_plot", "grad_norm_plot", "gradient_plot", "hidden_plot", "gates_plot")


def _frame() -> QFrame:
    """An empty card where a plot will be: the same border and background as the plot's card."""
    frame = QFrame()
    frame.setObjectName("PlotCard")
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    themed(
        frame, "#PlotCard {{ background: {plot_bg}; border: 1px solid {card_border}; border-radius: 6px; }}"
    )
    frame.setAccessibleName("a live plot, being made")
    return frame


class LivePlots(QObject):
    """Puts five empty cards in ``grid`` now and the plots in their places after the first paint."""

    def __init__(self, window: Any, grid: QGridLayout) -> None:
        super().__init__(window)
        self.window = window
        self.grid = grid
        self.built = False
        self._after_paint: list[Callable[[], Any]] = []
        self._frames: dict[str, QWidget] = {}
        for name, _cls, row, col, rows, cols in LAYOUT:
            frame = _frame()
            self._frames[name] = frame
            grid.addWidget(frame, row, col, rows, cols)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        # The first paint of anything in the window: the plots are made on the loop's next turn.
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.window() is self.window:
            self._stop_watching()
            QTimer.singleShot(0, self._painted)
        return False

    def after_paint(self, call: Callable[[], Any]) -> None:
        """Call ``call`` once the window's first frame is painted (before the plots are made)."""
        self._after_paint.append(call)

    def _painted(self) -> None:
        calls, self._after_paint = self._after_paint, []
        for call in calls:
            call()
        self.build()

    def _stop_watching(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def build(self) -> None:
        """Make the plots (once) and put them where the empty cards were."""
        if self.built:
            return
        self.built = True
        self._stop_watching()
        from playground.ui import plots as P
        from playground.ui.accessible import name_unnamed

        w = self.window
        session = w.controller.session
        made: dict[str, QWidget] = {}
        for name, cls, row, col, rows, cols in LAYOUT:
            plot = getattr(P, cls)(session)
            frame = self._frames.pop(name)
            self.grid.removeWidget(frame)
            frame.hide()
            frame.deleteLater()
            self.grid.addWidget(plot, row, col, rows, cols)
            if plot.parentWidget() is not None:
                plot.show()  # a widget added to a shown window stays hidden until told
            name_unnamed(plot)  # the window named its controls before these were made
            made[name] = plot
        w.__dict__.update(made)
        # and each lazy page's plot is appended once it is made (gradients over training, trajectory)
        w.__dict__["plots"] = [made[n] for n in ORDER]
        if w.summary:  # a model came first (a test, a script): what the window already knows
            label_loss(w, w.summary)
        w._drawn_version = -1  # drawn at the next frame


def label_loss(w: Any, summary: dict) -> None:
    """The loss plot's label and reference line for the model the window shows."""
    from playground.core.kinds import kind_spec

    w.loss_plot.set_loss_label(kind_spec(summary["preview"].kind).loss_label)
    w.loss_plot.set_reference(summary["preview"].reference)


class live:
    """A window attribute that is one of the live plots (or their list): made on first read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, w: Any, owner: type | None = None) -> Any:
        if w is None:
            return self
        w._live.build()
        return w.__dict__[self.name]
