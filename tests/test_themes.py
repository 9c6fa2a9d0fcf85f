"""Dark mode (issue 33): the light and the dark theme, chosen by View > Theme, `gui --theme` or the
desktop; text readable against its background in both (WCAG AA: 4.5:1), from the colours the app sets
and from pixels of the window drawn offscreen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QWidget

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.ui import lessons_view
from playground.ui.banner import banner_sheet
from playground.ui.palettes import BLUE, VERMILLION
from playground.ui.plots import theme
from playground.ui.plots.theme import DARK, LIGHT, Scheme, apply_theme

ROOT = Path(__file__).resolve().parents[1]
AA = 4.5  # WCAG 2 level AA for normal text


def luminance(colour) -> float:
    c = QColor(colour)
    rgb = np.array([c.redF(), c.greenF(), c.blueF()])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def over(colour: str, alpha: int, background: str) -> str:
    """``colour`` at ``alpha`` (0..255) composited over ``background``."""
    c, b, a = QColor(colour), QColor(background), alpha / 255
    mix = [round(a * x + (1 - a) * y) for x, y in zip(c.getRgb()[:3], b.getRgb()[:3], strict=True)]
    return QColor(*mix).name()


@pytest.fixture
def restore_theme(qapp):
    """Tests here change the application's theme: put the light one back for the tests after."""
    yield
    theme._current, theme._mode = LIGHT, "system"
    qapp.setPalette(qapp.style().standardPalette())
    theme.restyle()


def test_the_light_and_dark_text_colours_meet_aa_on_their_backgrounds():
    """Each (text, background) pair the app sets, in each theme."""
    for s in (LIGHT, DARK):
        pairs = {
            "title / axis text on a plot": (s.text, s.plot_bg),
            "axis text on the window": (s.text, s.window),
            "muted note on the window": (s.muted, s.window),
            "muted note on a plot card": (s.muted, s.plot_bg),
            "empty-plot hint": (s.hint, s.plot_bg),
            "error words on the window": (s.error, s.window),
            "error words in a field": (s.error, s.base),
            "right words": (s.good, s.window),
            "explanation under a title": (s.text, s.explanation_bg),
            "legend text": (s.text, over(s.legend_bg, 220, s.plot_bg)),
            "banner, error": s.banner("error"),
            "banner, warning": s.banner("warning")[::-1],
            "banner, info": s.banner("info"),
            "link": (s.link, s.base),
        }
        for what, (fg, bg) in pairs.items():
            assert contrast(fg, bg) >= AA, f"{s.name}: {what}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


def test_coloured_words_are_readable_in_both_themes():
    """A lesson's verdict and a model's name in its colour: lighter shades on the dark background."""
    for colour in (lessons_view.PASS_COLOUR, lessons_view.NOT_YET_COLOUR, lessons_view.DIFFERS_COLOUR,
                   lessons_view.REVEAL_COLOUR):
        assert contrast(colour, LIGHT.window) >= AA
        assert contrast(lessons_view.DARK_COLOURS[colour], DARK.window) >= AA
    for colour in (BLUE, VERMILLION):
        assert contrast(theme.text_colour(colour, DARK), DARK.window) >= AA
        assert contrast(theme.text_colour(colour, DARK), DARK.base) >= AA
        assert contrast(theme.text_colour(colour, DARK), DARK.window) > contrast(colour, DARK.window)


def test_the_dark_palette_gives_qt_widgets_readable_text():
    p = theme.palette_for(DARK)
    roles = QPalette.ColorRole
    for fg, bg in ((roles.WindowText, roles.Window), (roles.Text, roles.Base), (roles.ButtonText, roles.Button),
                   (roles.HighlightedText, roles.Highlight), (roles.ToolTipText, roles.ToolTipBase),
                   (roles.PlaceholderText, roles.Base)):
        assert contrast(p.color(fg), p.color(bg)) >= AA, (fg, bg)


def _config() -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(arch="gru", hidden=16, embed=8),
        data=DataConfig(kind="text", source="inline", text="the cat sat on the mat. " * 40),
        train=TrainConfig(batch_size=8, seq_len=24, lr=1e-2, val_every=0),
    )


def pixels(widget: QWidget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    return np.frombuffer(img.constBits(), np.uint8, bpl * h).reshape(h, bpl)[:, : w * 3].reshape(h, w, 3)


def drawn_contrast(widget: QWidget) -> tuple[float, str]:
    """The contrast of the text drawn in ``widget`` against its background, from its pixels: the
    background is the commonest colour; the text, of the colours drawn often (2% of the rest or more:
    the glyphs' cores, not a stray edge or a coloured sub-pixel fringe), the furthest from it."""
    px = pixels(widget).reshape(-1, 3)
    colours, counts = np.unique(px, axis=0, return_counts=True)
    top = int(np.argmax(counts))
    bg = QColor(*map(int, colours[top]))
    rest = len(px) - counts[top]
    often = [QColor(*map(int, c)) for i, (c, n) in enumerate(zip(colours, counts, strict=True))
             if i != top and n >= max(3, 0.02 * rest)]
    return max((contrast(c, bg) for c in often), default=1.0), bg.name()


@pytest.mark.parametrize("choice", ["light", "dark"])
def test_the_window_drawn_in_each_theme_has_readable_text(qtbot, qapp, open_window, restore_theme, choice):
    s = apply_theme(choice, qapp)
    assert s is (DARK if choice == "dark" else LIGHT)
    w = open_window(_config())
    loss = w.loss_plot
    samples: dict[str, QWidget] = {
        "plot title": loss.title_label,
        "muted note": w.controls.note,
        "undo note": w.controls.undo_label,
    }
    w.banner.show_message("Training stopped: the loss is NaN.", "error")
    qtbot.wait(50)
    samples["banner"] = w.banner
    for what, widget in samples.items():
        ratio, bg = drawn_contrast(widget)
        assert ratio >= AA, f"{choice}: {what}: {ratio:.2f}:1 on {bg}"
    # the plot: its background is the scheme's, and its axis text reads on it
    plot_px = pixels(loss.plot)
    h = plot_px.shape[0]
    axis_strip = plot_px[h - 40 : h - 5]  # the bottom axis: tick numbers and the label "step"
    values, counts = np.unique(axis_strip.reshape(-1, 3), axis=0, return_counts=True)
    assert QColor(*map(int, values[np.argmax(counts)])).name() == s.plot_bg
    darkest_or_lightest = max(contrast(QColor(*map(int, v)), s.plot_bg) for v in values)
    assert darkest_or_lightest >= AA
    axis = loss.plot.getPlotItem().getAxis("bottom")
    assert axis.textPen().color().name() == s.text
    assert w.banner.styleSheet().count(s.banner("error")[1]) >= 1
    if choice == "dark":
        assert luminance(qapp.palette().color(QPalette.ColorRole.Window)) < 0.05


def test_switching_the_theme_recolours_a_window_already_open(qtbot, qapp, open_window, restore_theme):
    apply_theme("light", qapp)
    w = open_window(_config())
    w.banner.show_message("A note.", "info")
    before = w.banner.styleSheet()
    w.theme_actions["dark"].trigger()
    assert theme.scheme() is DARK and w.settings.value("theme") == "dark"
    assert w.theme_actions["dark"].isChecked() and not w.theme_actions["light"].isChecked()
    assert w.banner.styleSheet() != before and DARK.banner("info")[0] in w.banner.styleSheet()
    assert w.loss_plot.plot.backgroundBrush().color().name() == DARK.plot_bg
    assert w.loss_plot.plot.getPlotItem().getAxis("left").textPen().color().name() == DARK.text
    assert DARK.plot_bg in w.loss_plot.styleSheet()
    ratio, _bg = drawn_contrast(w.loss_plot.title_label)
    assert ratio >= AA
    w.theme_actions["light"].trigger()
    assert w.loss_plot.plot.backgroundBrush().color().name() == LIGHT.plot_bg
    assert w.settings.value("theme") == "light"


def test_system_follows_the_desktop(monkeypatch, qapp, restore_theme):
    monkeypatch.setattr(theme, "system_is_dark", lambda: True)
    assert apply_theme("system", qapp) is DARK and theme.mode() == "system"
    monkeypatch.setattr(theme, "system_is_dark", lambda: False)
    assert apply_theme("system", qapp) is LIGHT
    with pytest.raises(ValueError):
        apply_theme("purple", qapp)


def test_banner_sheet_is_the_schemes():
    for s in (LIGHT, DARK):
        for kind in ("error", "warning", "info"):
            bg, fg = s.banner(kind)
            sheet = banner_sheet(s, kind)
            assert f"background: {bg}" in sheet and f"color: {fg}" in sheet
    assert isinstance(DARK, Scheme) and DARK.is_dark and not LIGHT.is_dark


def test_the_theme_flag_is_checked_before_any_window():
    out = subprocess.run(
        [sys.executable, "-m", "playground", "gui", "--theme", "purple"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert out.returncode == 2 and "invalid choice: 'purple'" in out.stderr
    assert "Traceback" not in out.stderr


def test_gui_theme_reaches_the_window_and_the_demo(monkeypatch, qapp, restore_theme):
    """`gui --theme dark --demo S --screenshot P`: the command passes the theme on, and the demo's
    window is built in it (the drawn demo itself: the screenshot in docs/images/)."""
    import playground.ui.app as app_module
    import playground.ui.demo as demo_module
    from playground.cli import main

    seen: dict = {}
    monkeypatch.setattr(app_module, "main", lambda **kw: seen.update(kw) or 0)
    assert main(["gui", "--demo", "8", "--theme", "dark", "--screenshot", "d.png"]) == 0
    assert seen["theme"] == "dark" and seen["demo"] == 8 and seen["screenshot"] == "d.png"
    monkeypatch.undo()

    built: list[Scheme] = []

    class FakeDemo:
        def __init__(self, *args, **kwargs):
            pass

        def run(self) -> int:
            return 0

    monkeypatch.setattr(demo_module, "demo_window", lambda preset, data: built.append(theme.scheme()))
    monkeypatch.setattr(demo_module, "Demo", FakeDemo)
    assert app_module.main(demo=1.0, screenshot=None, theme="dark") == 0
    assert built == [DARK]
    assert app_module.main(demo=1.0, screenshot=None, theme="light") == 0
    assert built[-1] is LIGHT


def test_the_pixel_check_fails_on_unreadable_text(qtbot, qapp, restore_theme):
    """The look-alike: dark grey words on the dark theme's window are caught from the pixels."""
    from PySide6.QtWidgets import QLabel

    apply_theme("dark", qapp)
    label = QLabel("Optimizer and seed apply at Reset.")
    qtbot.addWidget(label)
    label.setStyleSheet("color: #555555;")
    label.show()
    ratio, bg = drawn_contrast(label)
    assert bg == DARK.window and ratio < AA
    theme.themed(label, "color: {muted};")
    assert drawn_contrast(label)[0] >= AA
