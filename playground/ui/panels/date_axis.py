"""A chart's bottom axis that writes a series' dates (1959Q1, 2024-03, 2024-03-31) instead of step numbers.

The curves keep step numbers as x (point i of the series at x = i); only the tick labels change, so
zooming, the held-out band and the forecast past the end (whose dates are extrapolated by the
series' own step) need nothing else.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg

from playground.core.data.dates import Dates

_UNIT_WORDS = {"day": "date", "month": "month", "quarter": "quarter"}
# tick spacings, in points of the series, that read well for each unit
_NICE = {
    "quarter": (1, 2, 4, 8, 20, 40, 80, 200, 400, 800, 2000),
    "month": (1, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400),
    "day": (1, 2, 7, 14, 28, 91, 182, 364, 728, 1820, 3640, 7280, 18200),
}


class DateAxis(pg.AxisItem):
    """Bottom axis: step numbers, or the dates of a series once :meth:`set_dates` gives them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("bottom", **kwargs)
        self.dates: Dates | None = None
        self.setLabel("step")

    def set_dates(self, dates: Dates | None) -> None:
        """Label ticks with ``dates`` (None: step numbers again); the axis title says which."""
        self.dates = dates if dates is not None and len(dates) and dates.increasing else None
        self.setLabel(_UNIT_WORDS[self.dates.unit] if self.dates is not None else "step")
        self.picture = None  # the labels changed: redraw them
        self.update()

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]] | None:
        """With dates, one label per ~90 pixels, a whole number of steps apart that reads well for the
        unit (a year of quarters or months, a week of days)."""
        levels = super().tickSpacing(minVal, maxVal, size)
        if self.dates is None or size <= 0:
            return levels
        wanted = (maxVal - minVal) / max(1.0, size / 90)
        step = next((n for n in _NICE[self.dates.unit] if n >= wanted), _NICE[self.dates.unit][-1])
        return [(float(step), 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.dates is None:
            return super().tickStrings(values, scale, spacing)
        return [self.dates.label(round(v)) if float(v).is_integer() else "" for v in values]
