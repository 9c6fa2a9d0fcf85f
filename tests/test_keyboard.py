"""The keyboard alone (issue 33): a lesson set up, trained, checked and its result read with key events
only; Tab through every page of the window; Help > Keyboard lists every shortcut; a check result and a
verdict are announced to screen readers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from test_accessibility import _config, _reachable, tab_through
from window_helpers import answer_is

from playground.app import messages as m


def keys(qtbot, *presses) -> None:
    """Each press goes to whatever has the focus now, as a keyboard's would."""
    for key in presses:
        target = QApplication.focusWidget() or QApplication.activeWindow()
        qtbot.keyClick(target, key)


def tab_to(qtbot, wanted: QWidget, limit: int = 60) -> None:
    """Tab until ``wanted`` has the focus (key events only)."""
    for _ in range(limit):
        if QApplication.focusWidget() is wanted:
            return
        keys(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {wanted!r}")


def test_a_lesson_set_up_trained_checked_and_read_with_the_keyboard_alone(qtbot, open_window):
    w = open_window(_config())
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    view = w.lessons_view
    keys(qtbot, Qt.Key.Key_F1)  # Help > Lessons: the list has the focus
    assert QApplication.focusWidget() is view.list and view.current().number == 1
    keys(qtbot, *[Qt.Key.Key_Down] * 3)  # lesson 4
    assert view.current().id == "unrolled"
    tab_to(qtbot, view.setup_button)
    keys(qtbot, Qt.Key.Key_Space)  # Set it up
    qtbot.waitUntil(
        lambda: w.config.model.arch == "rnn" and w.state.has_model and bool(w.summary), timeout=20_000
    )
    keys(qtbot, Qt.Key.Key_F5)  # Training > Play / Pause
    qtbot.waitUntil(lambda: w.session.steps >= 60, timeout=60_000)
    keys(qtbot, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.LessonChecked), timeout=30_000) as got:
        keys(qtbot, Qt.Key.Key_F8)  # Training > Check the Lesson
    found = got.args[0].check
    tab_to(qtbot, view.result)  # the result is reached by Tab, and says what Check found
    iface = QAccessible.queryAccessibleInterface(QApplication.focusWidget())
    said = iface.text(QAccessible.Text.Name)
    assert said.startswith("Check: ") and found.text[:40] in said
    assert ("Seen." in said) == found.passed


def test_tab_reaches_every_control_on_every_page(qtbot, open_window):
    w = open_window(_config())
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    missed = {}
    for index in range(w.tabs.count()):
        w.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        page = w.tabs.widget(index)
        wanted = {
            id(x): x
            for x in page.findChildren(QWidget)
            if _reachable(x, w) and not x.visibleRegion().isEmpty()
        }
        if wanted:
            lost = tab_through(qtbot, wanted)
            if lost:
                missed[w.tabs.tabText(index)] = lost
    for dock in (w.model_dock, w.data_dock, w.lessons_dock, w.prediction_dock):
        dock.raise_()
        QApplication.processEvents()
        wanted = {
            id(x): x
            for x in dock.widget().findChildren(QWidget)
            if _reachable(x, w) and not x.visibleRegion().isEmpty()
        }
        lost = tab_through(qtbot, wanted) if wanted else []
        if lost:
            missed[dock.windowTitle()] = lost
    assert missed == {}


def test_help_keyboard_lists_every_shortcut(qtbot, open_window):
    from playground.ui.menus import keyboard_help, keyboard_lines

    w = open_window(_config())
    lines = dict(keyboard_lines(w))
    for menu_action in w.menuBar().actions():
        for action in menu_action.menu().actions():
            shortcut = action.shortcut().toString()
            if shortcut:
                assert shortcut in lines and action.text().replace("&", "") in lines[shortcut]
    assert {"F5", "F6", "F8", "Space", "Ctrl+R"} <= set(lines)
    keyboard_help(w)
    box = w.findChild(QWidget, "keyboard_help")
    assert box is not None and "Play / Pause" in box.text() and "F5" in box.text()
    box.close()


def test_a_verdict_and_a_check_result_are_announced(qtbot, open_window, monkeypatch):
    events = []
    monkeypatch.setattr(QAccessible, "updateAccessibility", lambda e: events.append((e.type(), e.object())))
    w = open_window(_config())
    w.banner.show_message("Exploding: the gradient norm reached 1e7.", "warning")
    assert (QAccessible.Event.Alert, w.banner.label) in events
    assert w.banner.label.accessibleName() == "Exploding: the gradient norm reached 1e7."
    from playground.core.lessons import LessonCheck

    w.lessons_view.show_check(LessonCheck("order", False, "The model is at 52%."))
    assert (QAccessible.Event.Alert, w.lessons_view.result) in events
    assert w.lessons_view.result.accessibleName() == "Check: Not yet. The model is at 52%."
    assert isinstance(w.lessons_view.result, QLabel)


def test_each_live_plot_says_what_it_shows_in_one_sentence(qtbot, open_window):
    """For a screen reader (the card's accessible description) and on hover (first in the plot's tooltip)."""
    import numpy as np

    cfg = _config()
    w = open_window(cfg)
    w.step(12)
    qtbot.waitUntil(lambda: w.session.steps >= 12 and w.state.play == "paused" and w.session.probe is not None, timeout=20_000)
    for plot in w.plots:
        plot.redraw()
    x, y = w.session.loss.view()
    said = w.loss_plot.accessibleDescription()
    assert said.startswith(f"Training loss {float(y.reshape(-1)[-1]):.4g} at step {int(x[-1]):,}") and said.endswith(".")
    grad = w.grad_norm_plot.accessibleDescription()
    assert grad.startswith(f"Gradient norm {float(w.session.grad.view()[1][-1][0]):.3g} at step")
    assert "steps back" in w.gradient_plot.accessibleDescription()
    gates = w.gates_plot.accessibleDescription()
    f = float(np.mean(w.session.probe.gates["f"][0]))
    assert f"forget gate f {f:.2f}" in gates
    assert "mean size" in w.hidden_plot.accessibleDescription()
    for plot in w.plots[:5]:
        shown = [x.toolTip() for x in plot._tooltip_widgets]
        sentence = plot.accessibleDescription().split(";")[0][:30]
        assert shown and all(sentence.replace("'", "&#x27;") in t or sentence in t for t in shown), (sentence, shown)
