"""Reading number series: pasted values and CSV columns, with every mistake a one-line message.

Used by the series task (playground.core.data.series) and by the data panel, which lists a CSV's
columns and preselects the one a price most likely sits in (:func:`likely_price_column`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.core.config import GAP_POLICIES
from playground.core.data.dates import Dates, parse_dates
from playground.core.errors import PlaygroundError
from playground.core.files import MB, read_bounded
from playground.core.shown import cut, listing

MAX_CSV_BYTES = 50 * MB  # a larger CSV is refused before it is read


MAX_MAGNITUDE = 1e30  # a price series' values, in size (float32 reaches 3.4e38)


def _finite_values(values: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    """A float64 1-D copy of ``values``, refusing inf and NaN (they would poison every loss)."""
    try:
        arr = np.array(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise PlaygroundError(f"{what} are not all numbers: {e}") from None
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise PlaygroundError(
            f"{what} contain a non-finite value ({arr[bad[0]]}) at position {bad[0] + 1}: use finite numbers"
        )
    huge = np.flatnonzero(np.abs(arr) > MAX_MAGNITUDE)
    if huge.size:  # past float32 once normalised and trained on: refused rather than turned into inf
        raise PlaygroundError(
            f"{what} contain {arr[huge[0]]:.3g} at position {huge[0] + 1}: values up to "
            f"{MAX_MAGNITUDE:.0e} in size are supported"
        )
    return arr


_NUMBER_SPLIT = re.compile(r"[\s,;]+")


def _shown(cell: str, limit: int = 40) -> str:
    """A cell quoted in an error message: a long one is cut, saying how long it was."""
    cell = cell.strip()
    return repr(cell) if len(cell) <= limit else f"{cell[:limit]!r}… ({len(cell):,} characters)"


def parse_values(text: str) -> np.ndarray:
    """Numbers pasted as text ("10, 11, 12" or one a line) as a float64 array."""
    cells = [c for c in _NUMBER_SPLIT.split(text.strip()) if c]
    out = []
    for i, cell in enumerate(cells, start=1):
        try:
            out.append(float(cell))
        except ValueError:
            raise PlaygroundError(
                f"pasted value {i} ({_shown(cell)}) is not a number: give numbers such as 10, 11, 12"
            ) from None
    return _finite_values(out, "the pasted values")


# ---------------------------------------------------------------- CSV reading

_MISSING = {"", "na", "n/a", "#n/a", "nan", "null", "none", "-", "--", "?"}
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_PRICE_WORDS = {"close", "price", "value", "adjclose", "closing"}
_TEXT = object()  # a cell that is neither a number nor a missing marker
_MISSING_CELL = object()


def _parse_cell(cell: str) -> float | object:
    """A float, ``_MISSING_CELL`` or ``_TEXT``. Accepts "$1,234.5" and "-$5".

    Thousands commas must group exactly three digits, so "1,5" (a decimal comma) stays text
    rather than silently becoming 15. In a comma-delimited file a comma inside a cell can only
    come from quotes ("1,234.5"), so it is unambiguous there too.
    """
    s = cell.strip()
    if s.lower() in _MISSING:
        return _MISSING_CELL
    sign = ""
    if s.startswith(("+", "-")):
        sign, s = s[0], s[1:]
    if s.startswith("$"):
        s = s[1:].lstrip()
        if not sign and s.startswith(("+", "-")):
            sign, s = s[0], s[1:]
    if "," in s:
        if not _THOUSANDS.match(s):
            return _TEXT
        s = s.replace(",", "")
    if not s or "_" in s or s.startswith(("+", "-")) or s != s.strip():
        return _TEXT
    try:
        value = float(sign + s)
    except ValueError:
        return _TEXT
    return _MISSING_CELL if math.isnan(value) else value


_DECIMAL_COMMA = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?")
_HAS_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")


def _parse_decimal_comma_cell(cell: str) -> float | object:
    """A cell of a semicolon file that writes decimals with commas: "1.234,5" is 1234.5, "12,75" is
    12.75, "1.234" is 1234 (points only group thousands, in threes); anything else ("1.5") is text, so
    a mixed file is refused rather than misread."""
    s = cell.strip()
    if s.lower() in _MISSING:
        return _MISSING_CELL
    m = _DECIMAL_COMMA.fullmatch(s)
    if not m:
        return _TEXT
    sign, whole, fraction = m.groups()
    return float(f"{sign}{whole.replace('.', '')}.{fraction or '0'}")


def _csv_rows(lines, delim: str, name: str) -> list[list[str]]:
    """csv.reader's rows; a cell of any length up to the file's own limit is read (the csv module's
    default stops at 128 KB), and what it cannot parse is one line naming the file."""
    if csv.field_size_limit() < MAX_CSV_BYTES:
        csv.field_size_limit(MAX_CSV_BYTES)  # a cell can be as long as the file may be, no longer
    try:
        return list(csv.reader(lines, delimiter=delim))
    except csv.Error as e:
        raise PlaygroundError(f"{name} cannot be read as CSV: {e}") from None


def _sniff_delimiter(text: str, name: str = "the CSV") -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number (>1) of cells."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    best, best_key = ",", (-1.0, 0)
    for delim in (",", ";", "\t"):
        counts = [len(r) for r in _csv_rows(lines, delim, name)]
        if not counts or max(counts) < 2:
            continue
        width = max(set(counts), key=counts.count)
        key = (counts.count(width) / len(counts), width)
        if key > best_key:
            best, best_key = delim, key
    return best


def _list_rows(rows: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f", ... ({len(rows)} in all)" if len(rows) > limit else "")


def _read_text(path: Path, name: str) -> str:
    """The file's text, refusing missing, empty, binary and non-UTF-8 files."""
    raw = read_bounded(path, MAX_CSV_BYTES, "CSV file", missing="file not found: {path} (check the path)")
    if not raw.strip():
        raise PlaygroundError(f"{name} is an empty file: give a CSV with a column of numbers")
    if b"\x00" in raw:
        raise PlaygroundError(f"{name} looks like a binary file, not CSV text: export it as CSV")
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise PlaygroundError(
            f"{name} is not UTF-8 text (bad byte 0x{raw[bom + e.start]:02x} at byte offset {bom + e.start}): "
            "save it as UTF-8 CSV"
        ) from None


def _read_table(
    path: str | Path,
) -> tuple[str, list[str], list[tuple[int, list[str]]], list[list], list[int], bool]:
    """A CSV's name, column names, data rows (file row number, cells), parsed cells, numeric columns and
    whether it writes decimals with commas.

    The delimiter (comma, semicolon or tab) and a header row are detected the same way for
    reading a series and for listing the columns a user can choose from. A semicolon file with a
    number such as "12,5" or "1.234,5" in it is read with decimal commas (``_parse_decimal_comma_cell``).
    """
    path = Path(path)
    name = path.name or str(path)
    text = _read_text(path, name)
    delim = _sniff_delimiter(text, name)
    rows = [
        (num, cells)
        for num, cells in enumerate(_csv_rows(io.StringIO(text), delim, name), start=1)
        if any(c.strip() for c in cells)
    ]
    if not rows:
        raise PlaygroundError(f"{name} is an empty file: give a CSV with a column of numbers")
    width = max(len(cells) for _, cells in rows)
    commas = delim == ";" and any(_HAS_DECIMAL_COMMA.fullmatch(c.strip()) for _, cells in rows for c in cells)
    parse = _parse_decimal_comma_cell if commas else _parse_cell
    parsed = [[parse(c) for c in cells] + [_MISSING_CELL] * (width - len(cells)) for _, cells in rows]

    def numeric(col: int, start: int) -> bool:
        kinds = [p[col] for p in parsed[start:]]
        return any(isinstance(k, float) for k in kinds) and not any(k is _TEXT for k in kinds)

    first = parsed[0]
    below = [numeric(j, 1) for j in range(width)]
    if any(below):
        has_header = any(below[j] and first[j] is _TEXT for j in range(width))
    else:
        has_header = any(k is _TEXT for k in first)
    if has_header:
        header = rows[0][1] + [""] * (width - len(rows[0][1]))
        names = [h.strip() or str(j + 1) for j, h in enumerate(header)]
        data, parsed = rows[1:], parsed[1:]
        if not data:
            raise PlaygroundError(f"{name} has a header but no data rows: add values below it")
    else:
        names = [str(j + 1) for j in range(width)]
        data = rows
    return name, names, data, parsed, [j for j in range(width) if numeric(j, 0)], commas


def csv_columns(path: str | Path) -> tuple[list[str], list[str]]:
    """(every column name, the numeric ones) of a CSV: what a user may pass as --column."""
    _, names, _, _, numeric_cols, _ = _read_table(path)
    return names, [names[j] for j in numeric_cols]


def read_csv_series(path: str | Path, column: str = "", gaps: str = "refuse") -> tuple[np.ndarray, list[str]]:
    """One numeric column of a CSV file as a float64 series, plus notes on what was done to it.

    The delimiter (comma, semicolon or tab) and a header row are detected; dates and other
    text columns are allowed and ignored. ``column`` is a header name (any case) or a 1-based
    number; "" picks the only numeric column, or the last close/price/value one among several.
    Missing cells (empty, NA, NaN, null, -) are refused or filled according to ``gaps``.
    """
    table = read_csv_table(path, column, "", gaps)
    return table.values, table.notes


@dataclass(eq=False)
class SeriesTable:
    """What a CSV gives a series task: the target, the input columns beside it, their dates and notes."""

    values: np.ndarray  # (n,) the column predicted
    inputs: np.ndarray | None  # (n, k) the other columns the model sees, or None
    input_names: list[str]
    dates: Dates | None  # the file's dates when a column holds them, in increasing order
    notes: list[str]


def split_inputs(inputs: str) -> list[str]:
    """"volume, open" -> ["volume", "open"]: the column names (or 1-based numbers) of --inputs."""
    return [c.strip() for c in str(inputs).split(",") if c.strip()]


def read_csv_table(path: str | Path, column: str = "", inputs: str = "", gaps: str = "refuse") -> SeriesTable:
    """The target column, the ``inputs`` columns (comma-separated names or numbers) and the dates of a CSV.

    Every column is checked as the target is: text in an input column, or a column that does not
    exist, is one line naming it; missing cells in any of them are refused or filled by ``gaps``,
    each column on its own. A column of dates (see :mod:`dates`) becomes the series' time axis.
    """
    if gaps not in GAP_POLICIES:
        raise PlaygroundError(f"unknown gap policy {gaps!r}: choose one of {', '.join(GAP_POLICIES)}")
    name, names, data, parsed, numeric_cols, commas = _read_table(path)
    notes: list[str] = []
    date_notes: list[str] = []
    dates, newest_first = _find_dates(names, data, date_notes)
    if newest_first:  # read oldest first, so that gaps fill forward in time
        data, parsed = data[::-1], parsed[::-1]
    if commas:
        notes.append("decimal commas: '1.234,5' read as 1234.5 (semicolons between columns)")
    try:
        col = _choose_column(column, names, numeric_cols, name, notes)
    except PlaygroundError as e:
        if not commas:
            raise
        raise PlaygroundError(f"{e} (it writes decimals with commas, as in 12,5: a point may only group "
                              "thousands, as in 1.234,5)") from None
    reader = _ColumnReader(name, names, data, parsed, numeric_cols, commas, gaps)
    values = reader.values(col, "", notes)
    notes.insert(0, f"read {len(values)} values from column '{names[col]}' of {name}")
    wanted = split_inputs(inputs)
    cols: list[int] = []
    for spec in wanted:
        j = _choose_column(spec, names, numeric_cols, name, notes, flag="--inputs")
        if j == col:
            raise PlaygroundError(
                f"column '{names[j]}' is the target: the model always sees it; leave it out of the inputs"
            )
        if j in cols:
            raise PlaygroundError(f"column '{names[j]}' is named twice among the inputs: name it once")
        cols.append(j)
    columns = [reader.values(j, "input ", notes) for j in cols]
    if cols:
        notes.append(f"inputs beside '{names[col]}': {listing(names[j] for j in cols)} (each scaled on its own)")
    notes += date_notes
    return SeriesTable(
        values=values,
        inputs=np.stack(columns, axis=1) if columns else None,
        input_names=[names[j] for j in cols],
        dates=dates,
        notes=notes,
    )


def _find_dates(
    names: list[str], data: list[tuple[int, list[str]]], notes: list[str]
) -> tuple[Dates | None, bool]:
    """The first column whose every cell is a date of one kind, with a note: (its dates oldest first,
    whether the file runs newest first); (None, False) when no column holds dates, or they neither
    rise nor fall row by row."""
    for j in range(len(names)):
        if not data or parse_dates([data[0][1][j] if j < len(data[0][1]) else ""]) is None:
            continue  # the first cell already says no: the column is not read whole
        dates = parse_dates([cells[j] if j < len(cells) else "" for _, cells in data])
        if dates is None:
            continue
        if not (dates.increasing or dates.decreasing):
            notes.append(f"dates in column '{names[j]}' do not increase row by row: the chart counts steps instead")
            return None, False
        forward = dates if dates.increasing else dates.reversed()
        how = "" if dates.increasing else "; the file runs newest first: read oldest first"
        notes.append(f"dates from column '{names[j]}': {forward.describe()}{how}")
        return forward, not dates.increasing
    return None, False


@dataclass
class _ColumnReader:
    """One numeric column of a read table as float64 values, refusing or filling what is missing."""

    name: str
    names: list[str]
    data: list[tuple[int, list[str]]]
    parsed: list[list]
    numeric_cols: list[int]
    commas: bool
    gaps: str

    def values(self, col: int, role: str, notes: list[str]) -> np.ndarray:
        name, names, data = self.name, self.names, self.data
        label = names[col]
        kinds = [p[col] for p in self.parsed]
        row_nums = [num for num, _ in data]
        for k, (num, cells) in zip(kinds, data):
            if k is _TEXT:
                numeric_names = listing(names[j] for j in self.numeric_cols) or "none"
                how = " (this file writes decimals with commas: a point may only group thousands)" if self.commas else ""
                flag = "--inputs" if role else "--column"
                raise PlaygroundError(
                    f"{role}column '{label}' in {name} is not numeric: row {num} has {_shown(cells[col])}{how}; "
                    f"fix that cell or choose numeric columns with {flag} (numeric: {numeric_names})"
                )
            if isinstance(k, float) and not math.isfinite(k):
                raise PlaygroundError(
                    f"{role}column '{label}' in {name} has a non-finite value {_shown(cells[col])} at row {num}: "
                    "replace it with a number"
                )
        present = np.array([isinstance(k, float) for k in kinds])
        n_present = int(present.sum())
        if n_present < 2:
            raise PlaygroundError(
                f"{role}column '{label}' in {name} has {n_present} value{'s' if n_present != 1 else ''}: "
                "a series needs at least 2"
            )
        values = np.array([k if isinstance(k, float) else np.nan for k in kinds], dtype=np.float64)
        missing = np.flatnonzero(~present)
        if missing.size:
            rows_txt = _list_rows([row_nums[i] for i in missing])
            count = f"{missing.size} missing value{'s' if missing.size > 1 else ''}"
            plural = "s" if missing.size > 1 else ""
            if self.gaps == "refuse":
                raise PlaygroundError(
                    f"{role}column '{label}' in {name} has {count} (row{plural} {rows_txt}): "
                    "use --gaps interpolate or --gaps ffill"
                )
            if self.gaps == "interpolate":
                idx = np.arange(len(values))
                values[missing] = np.interp(missing, idx[present], values[present])
                how = "linear interpolation"
            else:
                first_value = values[np.argmax(present)]
                last_seen = np.maximum.accumulate(np.where(present, np.arange(len(values)), -1))
                values = np.where(last_seen >= 0, values[np.maximum(last_seen, 0)], first_value)
                how = "carrying the last value forward"
            notes.append(f"filled {count} in '{label}' (row{plural} {rows_txt}) by {how}")
        return values


def _choose_column(
    column: str, names: list[str], numeric_cols: list[int], name: str, notes: list[str], flag: str = "--column"
) -> int:
    """The 0-based index of the column the user asked for (or the one obvious numeric column);
    ``flag``: the setting a message tells the user to change."""
    shown = listing(names)
    column = column.strip()
    if column:
        if column.isdigit():
            j = int(column) - 1
            if not 0 <= j < len(names):
                raise PlaygroundError(
                    f"column {column} does not exist in {name}: it has {len(names)} column"
                    f"{'s' if len(names) > 1 else ''} ({shown}); use {flag} 1 to {len(names)} or a name"
                )
            return j
        for j, n in enumerate(names):
            if n.lower() == column.lower():
                return j
        raise PlaygroundError(f"no column '{cut(column, 40)}' in {name}: columns are {shown}")
    if not numeric_cols:
        raise PlaygroundError(f"no numeric column in {name}: columns are {shown}")
    if len(numeric_cols) == 1:
        return numeric_cols[0]
    liked = [j for j in numeric_cols if is_price_name(names[j])]
    numeric_names = listing(names[j] for j in numeric_cols)
    if not liked:
        raise PlaygroundError(
            f"{name} has {len(numeric_cols)} numeric columns ({numeric_names}): choose one with --column"
        )
    j = max(liked)
    notes.append(
        f"picked column '{names[j]}' of numeric columns {numeric_names}: choose another with --column"
    )
    return j


def is_price_name(name: str) -> bool:
    """A column whose name says price: close, price, value, adjclose, closing (any case, any separators)."""
    return bool(_PRICE_WORDS & set(re.split(r"[^a-z]+", name.lower())))


def likely_price_column(numeric: list[str]) -> str:
    """Of a CSV's numeric columns, the one a price most likely sits in: the last price-named one, else
    the first (what the core picks by itself, where it has to pick)."""
    liked = [n for n in numeric if is_price_name(n)]
    return liked[-1] if liked else numeric[0]

