"""Every colour the window draws data with, in one place, chosen to be told apart by colour-blind readers.

- Lines: the Okabe-Ito colours (Okabe and Ito, "Color Universal Design", 2008), which stay apart under
  the common kinds of colour blindness. ``LINE_GROUPS`` names the colours each plot shows side by side;
  tests/test_palettes.py simulates deuteranopia and protanopia on every group and checks each pair
  stays at least 10 CIELAB units apart.
- Magnitudes (gates 0..1, gradient sizes, time along a trajectory): cividis, a perceptually uniform map
  made for colour-blind readers: its lightness rises steadily, so the order reads in grey too.
- Signed values (the hidden state h_t, candidates, weights): a diverging blue-white-orange map whose
  stops are below; the two signs differ in hue *and* lightness under every simulation.
- Right and wrong are never colour alone: ``RIGHT_MARK`` / ``WRONG_MARK`` go beside the colour.

The window's light and dark themes (text, backgrounds) are ``playground.ui.plots.theme``'s.
"""

from __future__ import annotations

from typing import Any

# -- lines: Okabe-Ito -------------------------------------------------------------------------------
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
YELLOW = "#F0E442"
GREY = "#8c8c8c"  # a neutral line (the real values behind a forecast)
# The total gradient before clipping, dashed: lighter than green and purple, so that it stays apart
# from the per-layer lines under deuteranopia (a mid grey did not: 9.6 units from green).
BEFORE_CLIP = "#b4b4b4"
SERIES_COLOURS = (BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION, YELLOW)  # yellow last: faint on white

# What each comparison draws in (rnn, lstm, gru, transformer, mlp), everywhere the five meet.
ARCH_COLOURS = {"rnn": VERMILLION, "lstm": BLUE, "gru": GREEN, "transformer": ORANGE, "mlp": PURPLE}
LOSS_COLOURS = {"training": BLUE, "validation": ORANGE}
# The gate lines of one cell (the LSTM's i, f, g, o and its cell state c; the GRU's r, z, n).
GATE_COLOURS = {
    "i": BLUE,
    "f": VERMILLION,
    "g": GREEN,
    "o": ORANGE,
    "c": PURPLE,
    "r": SKY,
    "z": VERMILLION,
    "n": GREEN,
}
SPLIT_COLOURS = {"training": BLUE, "held out": VERMILLION}  # the data preview's two parts
FORECAST_COLOURS = {"real values": GREY, "one step ahead": BLUE, "forecast": VERMILLION}
SPEAKER_COLOURS = {"language model": BLUE, "encoder-decoder": VERMILLION}  # the two chat models
HALF_COLOURS = {"forward": BLUE, "backward": ORANGE}  # a bidirectional layer's halves

# Colours shown together in one plot (the test checks every pair of each group).
LINE_GROUPS: dict[str, tuple[str, ...]] = {
    "loss: training and validation": tuple(LOSS_COLOURS.values()),
    "compare: the five architectures": tuple(ARCH_COLOURS.values()),
    "gates: an LSTM's": tuple(GATE_COLOURS[k] for k in "ifgoc"),
    "gates: a GRU's": tuple(GATE_COLOURS[k] for k in "rzn"),
    "gradient norm: layers and the total before clipping": (*SERIES_COLOURS[:6], BEFORE_CLIP),
    "data preview: training and held out": tuple(SPLIT_COLOURS.values()),
    "forecast: real, one step ahead, forecast": tuple(FORECAST_COLOURS.values()),
    "chat: the two models": tuple(SPEAKER_COLOURS.values()),
    "scrubber: the two halves of a bidirectional layer": tuple(HALF_COLOURS.values()),
}

# -- maps -------------------------------------------------------------------------------------------
# Blue (negative) - near white (zero) - orange (positive). Both ends darker than the middle, the
# blue end darker still, so the sign reads from lightness alone too.
DIVERGING_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (8, 48, 107)),
    (0.25, (84, 146, 205)),
    (0.5, (247, 247, 247)),
    (0.75, (245, 168, 82)),
    (1.0, (153, 70, 0)),
)

# The two maps are pyqtgraph ColorMaps, made on first use: ``SEQUENTIAL`` (cividis, for 0..1 values
# such as gates: dark = closed, light = open) and ``DIVERGING`` (the stops above). The window's first
# paint imports no pyqtgraph (issue 27), so this module must not either.
_MAPS: dict[str, Any] = {}


def _colour_map(name: str) -> Any:
    if name not in _MAPS:
        import numpy as np
        import pyqtgraph as pg

        if name == "SEQUENTIAL":
            _MAPS[name] = pg.colormap.get("cividis")
        else:
            _MAPS[name] = pg.ColorMap(
                pos=np.array([p for p, _ in DIVERGING_STOPS]),
                color=np.array([c for _, c in DIVERGING_STOPS], dtype=np.ubyte),
                name="blue-white-orange",
            )
    return _MAPS[name]


def __getattr__(name: str) -> Any:
    if name in ("SEQUENTIAL", "DIVERGING"):
        return _colour_map(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def signed_tint(v: float, strongest: float = 0.6) -> str:
    """A character's background for a signed value v in [-1, 1] (the Neurons tab's activations): the
    diverging map, at most ``strongest`` of the way to either end, so that the letters stay readable."""
    t = max(-1.0, min(1.0, float(v)))
    return _colour_map("DIVERGING").mapToQColor(0.5 + 0.5 * strongest * t).name()


TRACK_ON = (204, 121, 167)  # the Neurons tab's track cells: white to Okabe-Ito's reddish purple


def track_tint(g: float) -> str:
    """A track cell's colour for g in [0, 1] (0: white)."""
    g = max(0.0, min(1.0, float(g)))
    r, gr, b = (round(255 - (255 - c) * g) for c in TRACK_ON)
    return f"#{r:02x}{gr:02x}{b:02x}"


# -- right and wrong: a mark as well as a colour ----------------------------------------------------
RIGHT_MARK = "\u2713"  # ✓
WRONG_MARK = "\u2717"  # ✗
RIGHT_BG = "#d2e8f5"  # pale blue (not green: green against red is the pair colour blindness merges)
WRONG_BG = "#fbdcc4"  # pale orange
