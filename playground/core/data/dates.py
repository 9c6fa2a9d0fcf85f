"""Dates in a series' CSV: found, parsed and written back as the chart's time axis.

Three kinds of date are read, each in a few spellings:

- days: ``2024-03-31``, ``2024/03/31`` (ISO order; a time after the date is ignored)
- months: ``2024-03``, ``2024/03``
- quarters: ``1959Q1``, ``1959-Q1``, ``1959 Q1``, ``1959q1``

A column is a date column when every filled cell of it is a date of one kind. Dates are kept
as whole numbers (days since 1970-01-01, or months since year 0: a quarter is its first
month), so a model file stores them as one small tensor, and a step past the last date
(a forecast) is labelled by adding the usual step between dates.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

__all__ = ["UNITS", "Dates", "parse_dates"]

UNITS = ("day", "month", "quarter")
_EPOCH = _dt.date(1970, 1, 1).toordinal()

_DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")
_QUARTER = re.compile(r"(\d{4})[- ]?[Qq]([1-4])")
# The same patterns for a whole column of ASCII cells at once (RE2 syntax, named groups).
_ARROW_PATTERNS = {
    "day": r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    "month": r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$",
    "quarter": r"^(?P<y>\d{4})[- ]?[Qq](?P<m>[1-4])$",  # m: the quarter
}
_WS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() removes from an ASCII cell


def _one(cell: str) -> tuple[str, int] | None:
    """(unit, ordinal) of one cell, or None when it is not a date we read."""
    s = cell.strip()
    m = _QUARTER.fullmatch(s)
    if m:
        return "quarter", int(m[1]) * 12 + (int(m[2]) - 1) * 3
    m = _DAY.fullmatch(s)
    if m:
        try:
            day = _dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return "day", day.toordinal() - _EPOCH
    m = _MONTH.fullmatch(s)
    if m and 1 <= int(m[2]) <= 12:
        return "month", int(m[1]) * 12 + int(m[2]) - 1
    return None


def parse_dates(cells: Sequence[str] | Any) -> Dates | None:
    """The dates of a column's cells, or None when any filled cell is not a date of the same kind
    as the others (or none is filled). Empty cells are refused too: a date column has no holes.

    ``cells``: strings, or a pyarrow string array (a CSV column as read). A column of ASCII cells is
    read at once by the same patterns run over the whole column (Arrow's regular expressions); any
    other is read cell by cell (``\\d`` matches every script's digits there, as in Python).
    """
    if len(cells) == 0:
        return None
    first = cells[0]
    first = first.as_py() if hasattr(first, "as_py") else first
    got = _one(first) if isinstance(first, str) else None
    if got is None:
        return None
    if len(cells) < 64 and not hasattr(cells, "type"):
        return _parse_each(cells)
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = cells if hasattr(cells, "type") else pa.array(list(cells), type=pa.large_string())
    if arr.null_count or not pc.all(pc.string_is_ascii(arr)).as_py():
        return _parse_each(arr.to_pylist())
    unit = got[0]
    fixed = _fixed_width(arr, unit)
    if fixed is not None:
        return fixed
    parts = pc.extract_regex(pc.ascii_trim(arr, _WS), _ARROW_PATTERNS[unit])
    if parts.null_count:
        return None  # a cell that is not a date of this kind
    year, second = (pc.cast(parts.field(k), pa.int64()).to_numpy() for k in ("y", "m"))
    if unit == "quarter":
        return Dates(unit, year * 12 + (second - 1) * 3)
    if not np.all((second >= 1) & (second <= 12)):
        return None
    months = year * 12 + second - 1
    if unit == "month":
        return Dates(unit, months)
    day = pc.cast(parts.field("d"), pa.int64()).to_numpy()
    return _days(unit, year, months, day)


def _digits(block: np.ndarray) -> np.ndarray | None:
    """The number each row of ASCII digit bytes (n, k) spells, or None when a byte is not a digit."""
    d = block - np.uint8(48)  # a byte below "0" wraps round to a large number
    if d.size and d.max() > 9:
        return None
    out = np.zeros(len(block), dtype=np.int64)
    for k in range(block.shape[1]):
        out = out * 10 + d[:, k]
    return out


def _fixed_width(arr: Any, unit: str) -> Dates | None:
    """The dates of a column written the usual way, every cell the same length (2024-03-31, 2024-03,
    1959Q1), read straight from the Arrow buffer; None when the column is written any other way (the
    patterns read it then)."""
    import pyarrow as pa

    width = {"day": 10, "month": 7, "quarter": 6}[unit]
    n = len(arr)
    wide = pa.types.is_large_string(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if wide else np.int32)[arr.offset : arr.offset + n + 1]
    if not np.all(np.diff(offsets) == width):
        return None
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(n, width)
    year = _digits(data[:, :4])
    if year is None:
        return None
    if unit == "quarter":
        q = data[:, 5].astype(np.int64) - ord("0")
        if not (np.all((data[:, 4] == ord("Q")) | (data[:, 4] == ord("q"))) and np.all((q >= 1) & (q <= 4))):
            return None
        return Dates(unit, year * 12 + (q - 1) * 3)
    seps = (data[:, 4:5] if unit == "month" else data[:, [4, 7]])
    month = _digits(data[:, 5:7])
    if month is None or not np.all((seps == ord("-")) | (seps == ord("/"))):
        return None
    if not np.all((month >= 1) & (month <= 12)):
        return None  # what the patterns say too: no 13th month
    months = year * 12 + month - 1
    if unit == "month":
        return Dates(unit, months)
    day = _digits(data[:, 8:10])
    return None if day is None else _days(unit, year, months, day)


def _days(unit: str, year: np.ndarray, months: np.ndarray, day: np.ndarray) -> Dates | None:
    """Days since 1970-01-01 of (year, months since year 0, day of month), or None for a day that does
    not exist (30 February, year 0)."""
    start = (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    length = (months - 1970 * 12 + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - start
    if not np.all((year >= 1) & (day >= 1) & (day <= length)):
        return None
    return Dates(unit, start + day - 1)


def _parse_each(cells: Sequence[str | None]) -> Dates | None:
    """``parse_dates`` a cell at a time (the reference the column-at-once reading must agree with)."""
    unit, out = None, np.empty(len(cells), dtype=np.int64)
    for i, cell in enumerate(cells):
        got = _one(cell) if isinstance(cell, str) else None
        if got is None or (unit is not None and got[0] != unit):
            return None
        unit, out[i] = got[0], got[1]
    return Dates(str(unit), out)


@dataclass(frozen=True, eq=False)
class Dates:
    """One date per point of a series: ``unit`` (day, month or quarter) and whole-number ``ordinals``."""

    unit: str
    ordinals: np.ndarray

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise PlaygroundError(f"unknown date unit {self.unit!r}: this version reads {', '.join(UNITS)}")
        ords = np.asarray(self.ordinals)
        if ords.ndim != 1 or ords.size < 1 or not np.issubdtype(ords.dtype, np.integer):
            raise PlaygroundError("dates must be a non-empty list of whole numbers")
        object.__setattr__(self, "ordinals", ords.astype(np.int64))

    def __len__(self) -> int:
        return int(self.ordinals.size)

    @property
    def increasing(self) -> bool:
        return bool(np.all(np.diff(self.ordinals) > 0))

    @property
    def decreasing(self) -> bool:
        """Newest first, as some downloads write them (a single date is increasing, not this)."""
        return self.ordinals.size > 1 and bool(np.all(np.diff(self.ordinals) < 0))

    def reversed(self) -> Dates:
        return Dates(self.unit, self.ordinals[::-1].copy())

    @property
    def step(self) -> int:
        """The usual step between two dates (the median; 1 quarter, 1 month or 1 day when there is one date)."""
        if self.ordinals.size < 2:
            return 3 if self.unit == "quarter" else 1
        return max(1, int(np.median(np.diff(self.ordinals))))

    def ordinal(self, index: int) -> int:
        """The date of point ``index``; past either end, the nearest date plus the usual steps."""
        n = self.ordinals.size
        if index < 0:
            return int(self.ordinals[0]) + index * self.step
        if index >= n:
            return int(self.ordinals[-1]) + (index - n + 1) * self.step
        return int(self.ordinals[index])

    def label(self, index: int) -> str:
        """Point ``index`` written as the file writes its kind of date: 2024-03-31, 2024-03 or 1959Q1."""
        o = self.ordinal(int(index))
        if self.unit == "day":
            try:
                return _dt.date.fromordinal(o + _EPOCH).isoformat()
            except (ValueError, OverflowError):
                return str(index)
        year, month = divmod(o, 12)
        if not 1 <= year <= 9999:
            return str(index)
        if self.unit == "month":
            return f"{year:04d}-{month + 1:02d}"
        return f"{year:04d}Q{month // 3 + 1}"

    def labels(self) -> list[str]:
        return [self.label(i) for i in range(len(self))]

    def describe(self) -> str:
        """A few words for the notes: "quarterly, 1959Q1 to 2009Q3"."""
        how = {"day": "daily", "month": "monthly", "quarter": "quarterly"}[self.unit]
        if self.unit == "day" and self.step > 1:
            how = f"every {self.step} days"
        return f"{how}, {self.label(0)} to {self.label(len(self) - 1)}"

    def state(self) -> dict[str, str]:
        """What the task state keeps (the ordinals travel as a tensor)."""
        return {"unit": self.unit}
