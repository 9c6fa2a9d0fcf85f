"""Colour (issue 33): the colours the window shows side by side stay apart for colour-blind readers.

Deuteranopia and protanopia are simulated with Machado, Oliveira and Fernandes (2009), "A
Physiologically-based Model for Simulation of Color Vision Deficiency", at severity 1.0: their 3x3
matrices, applied to linear RGB. Distances are CIE76 (Euclidean in CIELAB, D65 white). The palettes
are read from the app's own module, so a change there is what gets checked.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from playground.ui import palettes

# Machado et al. 2009, Table 1, severity 1.0 (rows: output R, G, B; columns: input linear R, G, B).
PROTANOPIA = np.array(
    [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]
)
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
VISIONS = {"typical": np.eye(3), "deuteranopia": DEUTERANOPIA, "protanopia": PROTANOPIA}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = SRGB_TO_XYZ @ np.ones(3)
APART = 10.0  # CIE76 units between two lines of one plot


def rgb(colour: str | tuple[int, int, int]) -> np.ndarray:
    if isinstance(colour, str):
        h = colour.lstrip("#")
        return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.asarray(colour, dtype=float) / 255.0


def linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(lin: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ lin / WHITE
    d = 6 / 29
    f = np.where(xyz > d**3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour, vision: str) -> np.ndarray:
    """CIELAB of ``colour`` as a reader with ``vision`` sees it."""
    return lab(np.clip(VISIONS[vision] @ linear(rgb(colour)), 0.0, 1.0))


def delta_e(a, b, vision: str) -> float:
    return float(np.linalg.norm(seen(a, vision) - seen(b, vision)))


def closest_pair(colours, vision: str) -> tuple[float, str, str]:
    return min((delta_e(a, b, vision), a, b) for a, b in itertools.combinations(colours, 2))


def test_the_simulation_keeps_grey_grey_and_merges_red_with_green():
    """The test's own check: greys do not move (each matrix's rows sum to 1), and the classic red/green
    pair that colour-blind readers confuse is far apart for typical vision but not under deuteranopia."""
    for m in (PROTANOPIA, DEUTERANOPIA):
        assert np.allclose(m.sum(axis=1), 1.0, atol=1e-3)
    assert delta_e("#808080", "#808080", "deuteranopia") == 0.0
    red, green = "#D62728", "#2CA02C"  # the look-alike: a common red and green of plotting libraries
    assert delta_e(red, green, "typical") > 100
    assert delta_e(red, green, "deuteranopia") < APART


@pytest.mark.parametrize("vision", ["deuteranopia", "protanopia"])
@pytest.mark.parametrize("group", sorted(palettes.LINE_GROUPS))
def test_lines_shown_together_stay_apart(group, vision):
    d, a, b = closest_pair(palettes.LINE_GROUPS[group], vision)
    assert d >= APART, f"{group}: {a} and {b} are {d:.1f} apart under {vision}"


# Red/green look-alikes: far apart for typical vision, merged by the simulated one.
LOOK_ALIKES = {"deuteranopia": ("#D62728", "#2CA02C"), "protanopia": ("#FF0000", "#406810")}


@pytest.mark.parametrize("vision", ["deuteranopia", "protanopia"])
def test_the_check_fails_a_red_green_pair_put_among_the_lines(vision):
    """A group with a red/green look-alike in it must fail: the assertion above can fail."""
    red, green = LOOK_ALIKES[vision]
    assert delta_e(red, green, "typical") > 80
    d, a, b = closest_pair((*palettes.LINE_GROUPS["loss: training and validation"], red, green), vision)
    assert d < APART and {a, b} == {red, green}


def test_the_groups_are_the_colours_the_plots_draw():
    """LINE_GROUPS is what the window uses, not a copy beside it."""
    from playground.ui import compare_view, scrubber
    from playground.ui.panels import seq2seq_chat
    from playground.ui.plots import gates, gradients, loss

    assert compare_view.ARCH_COLOURS is palettes.ARCH_COLOURS
    assert gates.GATES["f"][1] == palettes.GATE_COLOURS["f"] and gates.GATES["r"][1] == palettes.GATE_COLOURS["r"]
    assert gradients.BEFORE_CLIP == palettes.BEFORE_CLIP
    assert gradients.layer_colour(2) == palettes.SERIES_COLOURS[2]
    assert palettes.HALF_COLOURS["backward"] == scrubber.BACKWARD_COLOUR
    assert set(seq2seq_chat.COLOURS.values()) == set(palettes.SPEAKER_COLOURS.values())
    assert "LOSS_COLOURS" in vars(loss)


def _map_colours(cmap, n: int = 11) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in c[:3]) for c in cmap.map(np.linspace(0, 1, n), mode="byte")]


@pytest.mark.parametrize("vision", ["typical", "deuteranopia", "protanopia"])
def test_the_magnitude_map_grows_lighter_steadily(vision):
    """Cividis: lightness rises at every step, so larger reads as lighter whatever the colour vision."""
    lightness = [seen(c, vision)[0] for c in _map_colours(palettes.SEQUENTIAL)]
    steps = np.diff(lightness)
    assert (steps > 2.0).all(), lightness
    assert lightness[-1] - lightness[0] > 60


@pytest.mark.parametrize("vision", ["typical", "deuteranopia", "protanopia"])
def test_the_signed_map_tells_the_two_signs_apart(vision):
    """h_t's map: -v and +v differ (at every size), both differ from 0, and the ends are far apart."""
    cs = _map_colours(palettes.DIVERGING, 21)  # 0 .. 1, the middle (index 10) is zero
    zero = cs[10]
    for k in range(3, 11):  # |v| from 0.3 to 1: the sign must show
        neg, pos = cs[10 - k], cs[10 + k]
        assert delta_e(neg, pos, vision) >= APART, (k, vision)
    for k in range(4, 11):
        assert delta_e(cs[10 - k], zero, vision) >= APART and delta_e(cs[10 + k], zero, vision) >= APART
    assert delta_e(cs[0], cs[-1], vision) > 40
    assert palettes.DIVERGING.name == "blue-white-orange"


def test_the_heatmaps_use_the_palettes():
    from playground.ui.plots import grad_history, hidden, theme, trajectory

    assert grad_history.CMAP is palettes.SEQUENTIAL and trajectory.CMAP is palettes.SEQUENTIAL
    assert theme.DIVERGING is palettes.DIVERGING and hidden.DIVERGING is palettes.DIVERGING
    assert theme.SEQUENTIAL is palettes.SEQUENTIAL


@pytest.mark.parametrize("vision", ["typical", "deuteranopia", "protanopia"])
def test_right_and_wrong_cells_differ_and_carry_a_mark(vision):
    assert delta_e(palettes.RIGHT_BG, palettes.WRONG_BG, vision) >= APART
    assert palettes.RIGHT_MARK != palettes.WRONG_MARK and palettes.RIGHT_MARK.strip() and palettes.WRONG_MARK.strip()


def test_the_step_table_marks_right_and_wrong_without_colour(qtbot):
    from playground.ui import step_view

    right = step_view._cell("a", step_view.RIGHT, palettes.RIGHT_MARK)
    wrong = step_view._cell("b", step_view.WRONG, palettes.WRONG_MARK)
    assert right.text() == "a \u2713" and wrong.text() == "b \u2717"
    assert right.toolTip().endswith("(right)") and wrong.toolTip().endswith("(wrong)")


def test_the_classify_verdict_says_right_or_wrong_in_words_and_a_mark():
    from playground.ui.panels.predict_classify import _verdict

    assert "\u2713 (right: the rule says" in _verdict("a", "a", "the rule says")
    assert "\u2717 (wrong: the rule says" in _verdict("a", "b", "the rule says")


@pytest.mark.parametrize("vision", ["typical", "deuteranopia", "protanopia"])
def test_the_neurons_tab_tints_tell_the_signs_apart_and_keep_the_letters_readable(vision):
    """The Neurons tab colours each character by its unit's activation: -v and +v differ, each differs
    from 0, and black letters keep WCAG AA contrast on the strongest tint; the track's purple differs
    from white."""
    from playground.ui.neurons_view import STRONGEST

    for v in (0.4, 0.7, 1.0):
        neg, pos, zero = palettes.signed_tint(-v), palettes.signed_tint(v), palettes.signed_tint(0)
        assert delta_e(neg, pos, vision) >= APART and delta_e(neg, zero, vision) >= APART
        assert delta_e(pos, zero, vision) >= APART
    from test_themes import contrast

    for end in (-1.0, 1.0):
        assert contrast("#000000", palettes.signed_tint(end, STRONGEST)) >= 4.5
    assert delta_e(palettes.track_tint(1.0), "#ffffff", vision) >= APART
