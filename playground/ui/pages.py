"""The window's tabs that are made on first use: a :class:`LazyPage` stands in each tab and makes
its view the first time the tab is shown or the window asks for it (``window.compare_view``), so
the first paint waits only for what it shows (measured: benchmarks/bench_startup.py). Their modules
are imported then too.

A view made after a model arrived starts from the window's state at that moment (its session, its
data kind), as one made at start-up would have been brought to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


class LazyPage(QWidget):
    """A tab's page whose view is made the first time the page is shown or asked for (``get``)."""

    def __init__(self, make: Callable[[], QWidget], scroll: bool = False) -> None:
        super().__init__()
        self._make = make
        self._scroll = scroll
        self.widget: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self.widget is not None

    def get(self) -> Any:
        if self.widget is None:
            self.widget = self._make()
            from playground.ui.accessible import name_unnamed

            name_unnamed(self.widget)  # made after the window named its controls: these too
            if self._scroll:  # big pages scroll: the window fits a laptop
                area = QScrollArea()
                area.setWidgetResizable(True)
                area.setFrameShape(QFrame.Shape.NoFrame)
                area.setWidget(self.widget)
                shown: QWidget = area
            else:
                shown = self.widget
            self.layout().addWidget(shown)
            if self.isVisible():  # made while its page is shown: show it now, not a turn later
                shown.show()
        return self.widget

    def showEvent(self, event) -> None:
        self.get()
        super().showEvent(event)


def page(name: str) -> property:
    """The window's attribute for a lazy page's view (made on first read)."""
    return property(lambda w: w._pages[name].get(), doc=f"The {name} page's view (made on first use).")


def _shown_kind(w: Any) -> str:
    preview = w.summary.get("preview") if w.summary else None
    return preview.kind if preview is not None else w.config.data.kind


def _step(w: Any):
    from playground.ui.step_view import StepDebugger

    return StepDebugger(w.session)


def _scrubber(w: Any):
    from playground.ui.scrubber import TimeScrubber

    view = TimeScrubber()
    view.inspect_requested.connect(w.controller.inspect)
    view.transplant_requested.connect(lambda cmd: w.state.has_model and w.controller.send(cmd))
    return view


def _grad_history(w: Any):
    from playground.ui.plots.grad_history import GradHistoryPlot

    plot = GradHistoryPlot(w.session)
    w.plots.append(plot)
    w._drawn_version = -1  # drawn at the next frame
    return plot


def _compare(w: Any):
    from playground.ui.compare_view import CompareView

    view = CompareView()
    view.run_requested.connect(w._on_compare_request)
    w.controller.connect_compare(view)  # Stop, and the sweep's clicked points
    view.adopt_requested.connect(w._on_adopt_request)
    view.frontier.open_requested.connect(lambda cell: view.frontier.ask_to_open(w, cell))
    if w.summary:
        view.set_data_kind(_shown_kind(w))
    return view


def _unrolled(w: Any):
    from playground.ui.unrolled_view import UnrolledView

    view = UnrolledView()
    view.step_clicked.connect(w._on_unrolled_step)
    return view


def _shapes(w: Any):
    from playground.ui.shapes_view import ShapesView

    view = ShapesView()
    view.set_kind(_shown_kind(w))
    return view


def _neurons(w: Any):
    from playground.ui.neurons_view import make_neurons_view

    return make_neurons_view(w)


def _trajectory(w: Any):
    from playground.ui.plots.trajectory import make_trajectory_plot

    return make_trajectory_plot(w)


MAKERS: dict[str, tuple[Callable[[Any], QWidget], bool]] = {  # name: (maker, scrolled)
    "step": (_step, True),
    "scrubber": (_scrubber, False),
    "grad_history": (_grad_history, False),
    "compare": (_compare, True),
    "unrolled": (_unrolled, False),
    "shapes": (_shapes, False),
    "neurons": (_neurons, False),
    "trajectory": (_trajectory, False),
}

# The tabs of their own, with their tooltips (here, so that the window's first paint imports neither view).
CHARACTER_MODELS = "the neuron search reads character models: text, knock-knock dialogs, quotes"
NEURONS_TIP = (
    "Find the neuron: which hidden unit follows quotes, brackets, line position… and pin it. "
    + CHARACTER_MODELS[0].upper()
    + CHARACTER_MODELS[1:]
    + "."
)
TRAJECTORY_TIP = "The hidden state's path through its space over the probe text, and how it formed."
TAB_TITLES = {"neurons": ("Neurons", NEURONS_TIP), "trajectory": ("Trajectory", TRAJECTORY_TIP)}


def _tab_title_and_tip(name: str) -> tuple[str, str]:
    return TAB_TITLES[name]


def lazy_pages(w: Any) -> dict[str, LazyPage]:
    """A page for each view made on first use, for window ``w``."""
    return {name: LazyPage(lambda make=make: make(w), scroll) for name, (make, scroll) in MAKERS.items()}


def add_tab(w: Any, name: str) -> int:
    """Add page ``name`` as a tab of its own (after the main ones); its index."""
    title, tip = _tab_title_and_tip(name)
    index = w.tabs.addTab(w._pages[name], title)
    w.tabs.setTabToolTip(index, tip)
    w.extra_tabs[name] = index
    return index
