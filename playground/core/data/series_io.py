"""Reading number series: pasted values and CSV columns, with every mistake a one-line message.

Used by the series task (playground.core.data.series) and by the data panel, which lists a CSV's
columns and preselects the one a price most likely sits in (:func:`likely_price_column`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from playground.core.config import GAP_POLICIES
from playground.core.data.csv_table import MAX_CSV_BYTES, Table, read_table
from playground.core.data.dates import Dates, parse_dates
from playground.core.errors import PlaygroundError
from playground.core.shown import cut, listing

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

__all__ = ["MAX_CSV_BYTES", "SeriesTable", "csv_columns", "parse_values", "read_csv_series", "read_csv_table"]


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

_PRICE_WORDS = {"close", "price", "value", "adjclose", "closing"}


def _list_rows(rows: Sequence[int], total: int, limit: int = 10) -> str:
    """The first ``limit`` of ``total`` row numbers (``rows`` holds at least those)."""
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f", ... ({total} in all)" if total > limit else "")


def csv_columns(path: str | Path) -> tuple[list[str], list[str]]:
    """(every column name, the numeric ones) of a CSV: what a user may pass as --column."""
    table = read_table(path)
    return list(table.names), [table.names[j] for j in table.numeric_cols]


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
    table = read_table(path)
    name, names, numeric_cols, commas = table.name, table.names, table.numeric_cols, table.decimal_commas
    notes: list[str] = []
    date_notes: list[str] = []
    dates, newest_first = _find_dates(table, date_notes)
    if commas:
        notes.append("decimal commas: '1.234,5' read as 1234.5 (semicolons between columns)")
    try:
        col = _choose_column(column, names, numeric_cols, name, notes)
    except PlaygroundError as e:
        if not commas:
            raise
        raise PlaygroundError(f"{e} (it writes decimals with commas, as in 12,5: a point may only group "
                              "thousands, as in 1.234,5)") from None
    reader = _ColumnReader(table, gaps, newest_first)  # newest first: read oldest first, so gaps fill forward
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


def _find_dates(table: Table, notes: list[str]) -> tuple[Dates | None, bool]:
    """The first column whose every cell is a date of one kind, with a note: (its dates oldest first,
    whether the file runs newest first); (None, False) when no column holds dates. Dates that repeat,
    or that neither rise nor fall row by row, are refused naming the rows: a series has one point per
    date, in order."""
    for j, column in enumerate(table.columns):
        if not len(column) or column.cells is None:
            continue  # no rows, or every cell below the first a plain number: not dates
        if parse_dates([column.cell(0)]) is None:
            continue  # the first cell already says no: the column is not read whole
        dates = parse_dates(column.all_cells())
        if dates is None:
            continue
        if not (dates.increasing or dates.decreasing):
            _refuse_date_order(table, j, dates)
        forward = dates if dates.increasing else dates.reversed()
        how = "" if dates.increasing else "; the file runs newest first: read oldest first"
        notes.append(f"dates from column '{table.names[j]}': {forward.describe()}{how}")
        return forward, not dates.increasing
    return None, False


def _refuse_date_order(table: Table, j: int, dates: Dates) -> None:
    """One line naming the first row whose date repeats the one before it, or runs against the
    file's order (set by its first and last dates)."""
    ords = dates.ordinals
    rising = ords[-1] >= ords[0]
    steps = np.diff(ords)
    bad = int(np.flatnonzero(steps <= 0 if rising else steps >= 0)[0])
    r1, r2 = int(table.rows[bad]), int(table.rows[bad + 1])
    c1, c2 = _shown(table.cell_text(bad, j)), _shown(table.cell_text(bad + 1, j))
    where = f"column '{table.names[j]}' of {table.name}"
    if steps[bad] == 0:
        times = " (a time of day is not read: one row per day)" if dates.unit == "day" and ":" in c2 else ""
        raise PlaygroundError(
            f"dates in {where} repeat: row {r2} has {c2}, the same {dates.unit} as row {r1} ({c1}){times}; "
            "a series needs one row per date: remove or merge the repeated rows"
        )
    order = "oldest first" if rising else "newest first"
    raise PlaygroundError(
        f"dates in {where} are out of order: row {r2} has {c2} after row {r1} ({c1}), but the file runs "
        f"{order}: sort the rows by date"
    )


@dataclass
class _ColumnReader:
    """One numeric column of a read table as float64 values, refusing or filling what is missing.
    ``reverse``: the file runs newest first, and is read oldest first."""

    table: Table
    gaps: str
    reverse: bool = False

    def values(self, col: int, role: str, notes: list[str]) -> np.ndarray:
        table = self.table
        name, names = table.name, table.names
        label = names[col]
        column = table.columns[col]
        values = column.values.copy()
        row_nums = table.rows
        if self.reverse:
            values, row_nums = values[::-1].copy(), row_nums[::-1]
            texts = np.flatnonzero(column.is_text()[::-1])
            text_at = -1 if not texts.size else len(values) - 1 - int(texts[0])
        else:
            text_at = column.first_text()
        if text_at >= 0:
            numeric_names = listing(names[j] for j in table.numeric_cols) or "none"
            how = " (this file writes decimals with commas: a point may only group thousands)" if table.decimal_commas else ""
            flag = "--inputs" if role else "--column"
            raise PlaygroundError(
                f"{role}column '{label}' in {name} is not numeric: row {table.rows[text_at]} has "
                f"{_shown(table.cell_text(text_at, col))}{how}; "
                f"fix that cell or choose numeric columns with {flag} (numeric: {numeric_names})"
            )
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            i = int(infinite[0])
            at = len(values) - 1 - i if self.reverse else i
            raise PlaygroundError(
                f"{role}column '{label}' in {name} has a non-finite value {_shown(table.cell_text(at, col))} at row "
                f"{row_nums[i]}: replace it with a number"
            )
        present = ~np.isnan(values)
        n_present = int(present.sum())
        if n_present < 2:
            raise PlaygroundError(
                f"{role}column '{label}' in {name} has {n_present} value{'s' if n_present != 1 else ''}: "
                "a series needs at least 2"
            )
        missing = np.flatnonzero(~present)
        if missing.size:
            rows_txt = _list_rows(row_nums[missing[:10]].tolist(), missing.size)
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

