"""Accessible names and the keyboard (issue 33): every control of the window (the pages made on first
use too) has a name a screen reader can say, and Tab reaches every control of the Training tab and
the docks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QSpinBox,
    QTabBar,
    QTextEdit,
    QWidget,
)

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.ui.accessible import short_name

# What a user works (buttons, combos, spin boxes, checkboxes, line edits, sliders, lists, tabs, text).
CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QAbstractSlider, QAbstractItemView,
            QTabBar, QTextEdit, QPlainTextEdit)
QT_PARTS = {"qt_tableview_cornerbutton", "qt_menubar_ext_button", "qt_spinbox_lineedit"}


def _config() -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="lstm", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text="the cat sat on the mat. " * 40),
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


def is_own_control(w: QWidget) -> bool:
    """A control of its own, not a part Qt makes of another (a spin box's field, a combo's list,
    a table's header, a scroll bar, a tab bar's scroll arrows), nor one hidden on purpose."""
    if not isinstance(w, CONTROLS) or isinstance(w, (QScrollBar, QHeaderView)) or w.objectName() in QT_PARTS:
        return False
    if w.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide) and w.isHidden():
        return False
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, (QComboBox, QAbstractSpinBox, QTabBar)):
            return False
        p = p.parentWidget()
    return True


def said_name(w: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


def unnamed(root: QWidget) -> list[str]:
    return [
        f"{type(w).__name__} in {type(w.parentWidget()).__name__} (tooltip {w.toolTip()[:40]!r})"
        for w in root.findChildren(QWidget)
        if is_own_control(w) and not any(ch.isalnum() for ch in said_name(w))
    ]


@pytest.fixture
def window(open_window):
    w = open_window(_config())
    for page in w._pages.values():  # the tabs made on first use
        page.get()
    QApplication.processEvents()
    return w


def test_every_control_of_the_window_has_a_name_and_lets_tab_move_on(window):
    controls = [w for w in window.findChildren(QWidget) if is_own_control(w)]
    assert len(controls) > 100  # the pages were built: the walk saw the whole window
    assert unnamed(window) == []
    # names come from tooltips, and symbols get words
    loss_help = window.loss_plot.help_button
    assert loss_help.text() == "?" and said_name(loss_help) == "Explain the plot: loss"
    steps = window.controls.findChildren(QSpinBox)
    step_n = [s for s in steps if "Step xN" in s.toolTip()]
    assert step_n and said_name(step_n[0]) == short_name(step_n[0].toolTip())
    assert step_n[0].accessibleDescription() == step_n[0].toolTip()
    assert short_name("How many steps. More words here.") == "How many steps"
    assert len(short_name("word " * 40)) <= 81 and short_name("word " * 40).endswith("…")
    # Tab moves on from text boxes and tables (the arrows still move inside them)
    boxes = [w for w in window.findChildren(QWidget) if isinstance(w, (QPlainTextEdit, QTextEdit))]
    assert boxes and all(b.tabChangesFocus() for b in boxes if is_own_control(b))
    views = [w for w in window.findChildren(QAbstractItemView) if is_own_control(w)]
    assert views and not any(v.tabKeyNavigation() for v in views)


def test_the_check_finds_an_unnamed_control(qtbot):
    """The look-alike: a bare spin box, no label, no tooltip, is reported."""
    box = QWidget()
    qtbot.addWidget(box)
    QSpinBox(box)
    assert len(unnamed(box)) == 1


def _reachable(w: QWidget, root: QWidget) -> bool:
    return (
        is_own_control(w)
        and w.isVisible()
        and w.isEnabled()
        and w.isVisibleTo(root)
        and not isinstance(w, QTabBar)  # the window's tabs: reached, but their pages are another walk
        and w.window() is root.window()
    )


def test_tab_reaches_every_control_of_the_training_tab_and_the_docks(qtbot, window):
    window.tabs.setCurrentIndex(0)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    areas = [window.tabs.widget(0)] + [d.widget() for d in window.findChildren(type(window.controls_dock))
                                       if d.isVisible() and not d.visibleRegion().isEmpty()]
    wanted = {id(w): w for area in areas for w in area.findChildren(QWidget) if _reachable(w, window)}
    assert len(wanted) > 20
    assert tab_through(qtbot, wanted) == []


def tab_through(qtbot, wanted: dict[int, QWidget]) -> list[str]:
    """Press Tab from the first of ``wanted`` until each was focused (or it went round several
    times); the ones never reached."""
    first = next(iter(wanted.values()))
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    reached = set()
    for _ in range(4 * len(wanted) + 40):
        focus = QApplication.focusWidget()
        while focus is not None and id(focus) not in wanted:  # a part of a control: its own field
            focus = focus.parentWidget()
        if focus is not None:
            reached.add(id(focus))
        if reached >= wanted.keys():
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    return [f"{type(w).__name__} {said_name(w)!r}" for k, w in wanted.items() if k not in reached]


def test_the_tab_walk_finds_a_control_the_keyboard_cannot_reach(qtbot):
    """The look-alike: a button that takes no focus is reported."""
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    box = QWidget()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    buttons = [QPushButton(t) for t in ("One", "Two", "Three")]
    for b in buttons:
        layout.addWidget(b)
    buttons[1].setFocusPolicy(Qt.FocusPolicy.NoFocus)
    box.show()
    box.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is box, timeout=5000)
    assert tab_through(qtbot, {id(b): b for b in buttons}) == ["QPushButton 'Two'"]
