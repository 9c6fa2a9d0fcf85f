"""The window's light and dark themes: text, background and banner colours for each, text sizes, ``font``.

The data colours (Okabe-Ito lines, the colour maps) are ``playground.ui.palettes``'s and the same in
both themes; what changes is what they are drawn on. Every text colour here meets WCAG AA (4.5:1)
against the background it is drawn on, in its theme (tests/test_themes.py measures it).

How a theme reaches the widgets: :func:`apply_theme` sets the application's palette (which Qt's own
widgets follow) and the current :class:`Scheme` (which widgets built afterwards read through
:func:`scheme`); widgets that carry colours in a style sheet register it with :func:`themed`, and
:func:`restyle` sets those again and re-colours every pyqtgraph plot when the theme changes while
the window is open.
"""

from __future__ import annotations

import dataclasses
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

# The data colours (Okabe-Ito lines, the colour maps) are palettes.py's, re-exported here.
from playground.ui.palettes import (  # noqa: F401
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    SERIES_COLOURS,
    SKY,
    VERMILLION,
    YELLOW,
)

TICK_PT = 9
LABEL_PT = 10
TITLE_PT = 11
THEMES = ("system", "light", "dark")  # what View > Theme and `gui --theme` offer


@dataclass(frozen=True)
class Scheme:
    """The colours of one theme (hex strings, usable in style sheets and by pyqtgraph)."""

    name: str
    window: str  # the window's background (Qt's Window role)
    base: str  # text fields and lists (Qt's Base role)
    button: str
    plot_bg: str  # inside a plot, and a plot card
    card_border: str
    text: str  # titles, axis text, labels
    axis: str  # axis lines and ticks
    muted: str  # secondary notes beside a control
    hint: str  # the grey words in an empty plot
    explanation_bg: str  # the "?" explanation under a card's title
    legend_bg: str
    legend_border: str
    error: str  # error words in a label or a table
    good: str  # "right" words
    link: str
    highlight: str
    disabled: str
    banner_error: tuple[str, str]  # (background, text) of the banner for each kind
    banner_warning: tuple[str, str]
    banner_info: tuple[str, str]

    @property
    def is_dark(self) -> bool:
        return self.name == "dark"

    def banner(self, kind: str) -> tuple[str, str]:
        return {"error": self.banner_error, "warning": self.banner_warning}.get(kind, self.banner_info)


LIGHT = Scheme(
    name="light",
    window="#efefef",
    base="#ffffff",
    button="#efefef",
    plot_bg="#ffffff",
    card_border="#d4d4d4",
    text="#303030",
    axis="#404040",
    muted="#595959",
    hint="#707070",
    explanation_bg="#eef5fb",
    legend_bg="#ffffff",
    legend_border="#c8c8c8",
    error="#c62828",
    good="#00734f",
    link="#0057a0",
    highlight="#2f6ea5",
    disabled="#8a8a8a",
    banner_error=("#fde8e4", "#a12a00"),
    banner_warning=("#fff4d6", "#7a5200"),
    banner_info=("#e6f1fa", "#084d80"),
)
DARK = Scheme(
    name="dark",
    window="#2b2b2b",
    base="#1e1e1e",
    button="#3a3a3a",
    plot_bg="#1c1c1c",
    card_border="#4a4a4a",
    text="#e4e4e4",
    axis="#b4b4b4",
    muted="#bdbdbd",
    hint="#9a9a9a",
    explanation_bg="#1d2d3b",
    legend_bg="#262626",
    legend_border="#5a5a5a",
    error="#ff9f80",
    good="#6fd6ab",
    link="#8cc4f5",
    highlight="#2f6ea5",
    disabled="#7c7c7c",
    banner_error=("#3e1f18", "#ffb39c"),
    banner_warning=("#3a2f10", "#f3cf73"),
    banner_info=("#15283a", "#a3d0f5"),
)
SCHEMES = {"light": LIGHT, "dark": DARK}

_current: Scheme = LIGHT
_mode: str = "system"
_styled: weakref.WeakKeyDictionary[QWidget, str | Callable[[Scheme], str]] = weakref.WeakKeyDictionary()


def scheme() -> Scheme:
    """The theme the window shows now."""
    return _current


def mode() -> str:
    """What the user chose: "system", "light" or "dark"."""
    return _mode


def system_is_dark() -> bool:
    """The desktop's colour scheme (Qt 6.5+: QStyleHints.colorScheme); light when it does not say."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    from PySide6.QtCore import Qt

    hints = QGuiApplication.styleHints()
    return getattr(hints, "colorScheme", lambda: None)() == Qt.ColorScheme.Dark


def resolve(choice: str) -> Scheme:
    return DARK if choice == "dark" or (choice == "system" and system_is_dark()) else LIGHT


def palette_for(s: Scheme) -> QPalette:
    """The Qt palette of a scheme: every role Qt's own widgets draw text or a surface with."""
    p = QPalette()
    roles = QPalette.ColorRole
    colours = {
        roles.Window: s.window,
        roles.WindowText: s.text,
        roles.Base: s.base,
        roles.AlternateBase: s.window,
        roles.ToolTipBase: s.base,
        roles.ToolTipText: s.text,
        roles.PlaceholderText: s.hint,
        roles.Text: s.text,
        roles.Button: s.button,
        roles.ButtonText: s.text,
        roles.BrightText: "#ffffff",
        roles.Light: "#ffffff" if not s.is_dark else "#505050",
        roles.Midlight: "#e3e3e3" if not s.is_dark else "#444444",
        roles.Mid: "#a0a0a0" if not s.is_dark else "#5a5a5a",
        roles.Dark: "#a0a0a0" if not s.is_dark else "#1a1a1a",
        roles.Shadow: "#696969" if not s.is_dark else "#0a0a0a",
        roles.Highlight: s.highlight,
        roles.HighlightedText: "#ffffff",
        roles.Link: s.link,
        roles.LinkVisited: s.link,
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(s.disabled))
    return p


def apply_theme(choice: str, app: QApplication | None = None) -> Scheme:
    """Show the window in ``choice`` ("system", "light" or "dark"); returns the scheme now shown.
    Widgets already built follow (see :func:`restyle`); ``system`` follows the desktop when it changes."""
    global _current, _mode
    if choice not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {choice!r}")
    app = app or QApplication.instance()
    _mode = choice
    _current = resolve(choice)
    if app is not None:
        if _current.is_dark:
            app.setStyle("Fusion")  # the one style that draws every widget from the palette alone
            app.setPalette(palette_for(_current))
        else:  # the style's own light colours (a light desktop's look stays as it was)
            app.setPalette(app.style().standardPalette())
        _follow_system(app)
    restyle()
    return _current


_following = False


def _follow_system(app: QApplication) -> None:
    global _following
    hints = QGuiApplication.styleHints()
    if _following or not hasattr(hints, "colorSchemeChanged"):
        return
    hints.colorSchemeChanged.connect(lambda *_: _mode == "system" and apply_theme("system", app))
    _following = True


def themed(widget: QWidget, sheet: str | Callable[[Scheme], str]) -> None:
    """Give ``widget`` a style sheet that names the scheme's colours (``"color: {text};"``, filled from
    :class:`Scheme`'s fields, or a function of the scheme), set again whenever the theme changes."""
    _styled[widget] = sheet
    widget.setStyleSheet(_sheet(sheet, _current))


def _sheet(sheet: str | Callable[[Scheme], str], s: Scheme) -> str:
    if callable(sheet):
        return sheet(s)
    return sheet.format(**{f.name: getattr(s, f.name) for f in dataclasses.fields(s)})


def restyle() -> None:
    """Set every registered style sheet and pyqtgraph plot to the current scheme."""
    for widget, sheet in list(_styled.items()):
        try:
            widget.setStyleSheet(_sheet(sheet, _current))
        except RuntimeError:  # deleted on the C++ side
            _styled.pop(widget, None)
    app = QApplication.instance()
    if app is not None and "pyqtgraph" in sys.modules:  # no plot exists before pyqtgraph is imported
        from playground.ui.plots.repaint import recolour_plots

        for top in QApplication.topLevelWidgets():
            recolour_plots(top, _current)


# Okabe-Ito colours used as *text* (a model's name in its colour): on the dark background the blue
# and the vermillion fall under 4.5:1, so there they are written in lighter shades of themselves.
DARK_TEXT = {BLUE: "#5cb8ee", VERMILLION: "#ff8a4c", GREEN: "#2fcf9f", PURPLE: "#e39bc4"}


def text_colour(colour: str, s: Scheme) -> str:
    """``colour`` for words drawn in it on scheme ``s``'s background."""
    return DARK_TEXT.get(colour, colour) if s.is_dark else colour


def font(points: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f


def __getattr__(name: str) -> Any:
    """TEXT_COLOUR, AXIS_COLOUR and HINT_COLOUR read through the module: the current theme's; the
    colour maps SEQUENTIAL and DIVERGING are palettes.py's, made on first use (no pyqtgraph before)."""
    if name in ("SEQUENTIAL", "DIVERGING"):
        from playground.ui import palettes

        return getattr(palettes, name)
    read = {"TEXT_COLOUR": lambda s: s.text, "AXIS_COLOUR": lambda s: s.axis, "HINT_COLOUR": lambda s: s.hint}
    if name not in read:
        raise AttributeError(name)
    return read[name](_current)
