"""A CSV file as a table of columns: pandas' C reader does the parsing, our rules decide what each cell is.

The rules are the ones the series reader has always had (``parse_cell``): "1,234.5", "$1.5" and "-$5" are
numbers, "1,5" in a comma file is text (a decimal comma is never guessed at), the missing markers
(empty, NA, n/a, NaN, null, none, -, ?) are gaps, a semicolon file holding "12,5" writes decimals with
commas. pandas reads a column of plain numbers straight into floats; a column with anything else in it
stays text (Arrow strings, no Python object per cell), and its cells are sorted into numbers, gaps and
text by regular expressions run over the whole column at once. Only cells those leave undecided (an
"inf", a non-ASCII digit) go through :func:`parse_cell` one by one, and a column is read that way only
as far as its first text cell when that is all a question needs (a column of dates or names stops at
its first cell).

Row numbers in messages are the file's records (blank ones counted), as a spreadsheet numbers them.
Nothing here imports pandas or pyarrow until a file is read: the window starts without them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import math
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground.core.errors import PlaygroundError
from playground.core.files import MB, read_bounded

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: the window paints before it needs it
    from playground.lazy import np

MAX_CSV_BYTES = 50 * MB  # a larger CSV is refused before it is read

MISSING = {"", "na", "n/a", "#n/a", "nan", "null", "none", "-", "--", "?"}
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
TEXT = object()  # a cell that is neither a number nor a missing marker
MISSING_CELL = object()


def parse_cell(cell: str) -> float | object:
    """A float, ``MISSING_CELL`` or ``TEXT``. Accepts "$1,234.5" and "-$5".

    Thousands commas must group exactly three digits, so "1,5" (a decimal comma) stays text
    rather than silently becoming 15. In a comma-delimited file a comma inside a cell can only
    come from quotes ("1,234.5"), so it is unambiguous there too.
    """
    s = cell.strip()
    if s.lower() in MISSING:
        return MISSING_CELL
    sign = ""
    if s.startswith(("+", "-")):
        sign, s = s[0], s[1:]
    if s.startswith("$"):
        s = s[1:].lstrip()
        if not sign and s.startswith(("+", "-")):
            sign, s = s[0], s[1:]
    if "," in s:
        if not _THOUSANDS.match(s):
            return TEXT
        s = s.replace(",", "")
    if not s or "_" in s or s.startswith(("+", "-")) or s != s.strip():
        return TEXT
    try:
        value = float(sign + s)
    except ValueError:
        return TEXT
    return MISSING_CELL if math.isnan(value) else value


_DECIMAL_COMMA = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?")
HAS_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")


def parse_decimal_comma_cell(cell: str) -> float | object:
    """A cell of a semicolon file that writes decimals with commas: "1.234,5" is 1234.5, "12,75" is
    12.75, "1.234" is 1234 (points only group thousands, in threes); anything else ("1.5") is text, so
    a mixed file is refused rather than misread."""
    s = cell.strip()
    if s.lower() in MISSING:
        return MISSING_CELL
    m = _DECIMAL_COMMA.fullmatch(s)
    if not m:
        return TEXT
    sign, whole, fraction = m.groups()
    return float(f"{sign}{whole.replace('.', '')}.{fraction or '0'}")


# The same grammars as regular expressions over a whole column of ASCII cells (RE2 syntax, run by
# Arrow). Each accepts only cells that the function above reads as that number, so a cell they match
# is decided; every other cell goes through the function. Deleting [$, whitespace] (or, with decimal
# commas, the thousands points) from a matched cell leaves what ``float`` is given above.
_WS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() removes from an ASCII cell
_PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())  # what it removes from any
_NUMBER_RE = (
    r"^(?:[+-]|[+-]\$\s*|\$\s*[+-]?)?"
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$"
)
_COMMA_NUMBER_RE = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$"
_HAS_DECIMAL_COMMA_RE = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$"


def csv_rows(lines, delim: str, name: str) -> list[list[str]]:
    """csv.reader's rows; a cell of any length up to the file's own limit is read (the csv module's
    default stops at 128 KB), and what it cannot parse is one line naming the file."""
    if csv.field_size_limit() < MAX_CSV_BYTES:
        csv.field_size_limit(MAX_CSV_BYTES)  # a cell can be as long as the file may be, no longer
    try:
        return list(csv.reader(lines, delimiter=delim))
    except csv.Error as e:
        raise PlaygroundError(f"{name} cannot be read as CSV: {e}") from None


def _head_lines(text: str, want: int = 50) -> list[str]:
    """The first ``want`` non-blank lines of ``text``, splitting only as much of it as that takes."""
    size = 1 << 16
    while True:
        head = text[:size]
        lines = head.splitlines()
        if size < len(text):
            lines = lines[:-1]  # the last line of a cut head may be cut too
        filled = [ln for ln in lines if ln.strip()]
        if len(filled) >= want or size >= len(text):
            return filled[:want]
        size *= 4


def sniff_delimiter(text: str, name: str = "the CSV") -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number (>1) of cells."""
    lines = _head_lines(text)
    best, best_key = ",", (-1.0, 0)
    for delim in (",", ";", "\t"):
        counts = [len(r) for r in csv_rows(lines, delim, name)]
        if not counts or max(counts) < 2:
            continue
        width = max(set(counts), key=counts.count)
        key = (counts.count(width) / len(counts), width)
        if key > best_key:
            best, best_key = delim, key
    return best


def read_text(path: Path, name: str) -> tuple[bytes, str]:
    """The file's bytes (without a BOM) and text, refusing missing, empty, binary and non-UTF-8 files."""
    raw = read_bounded(path, MAX_CSV_BYTES, "CSV file", missing="file not found: {path} (check the path)")
    if not raw or raw.isspace():  # (isspace stops at the first other byte; strip would copy the file)
        raise PlaygroundError(f"{name} is an empty file: give a CSV with a column of numbers")
    if b"\x00" in raw:
        raise PlaygroundError(f"{name} looks like a binary file, not CSV text: export it as CSV")
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise PlaygroundError(
            f"{name} is not UTF-8 text (bad byte 0x{raw[bom + e.start]:02x} at byte offset {bom + e.start}): "
            "save it as UTF-8 CSV"
        ) from None
    return raw[bom:] if bom else raw, text


def _record_end(text: str, start: int, delim: str) -> int:
    """Where the CSV record that begins at ``start`` ends (after its line break), quotes respected."""
    stops = re.compile(f'[{re.escape(delim)}"\\r\\n]')
    i, n, field_start = start, len(text), True
    while i < n:
        m = stops.search(text, i)
        if m is None:
            return n
        j = m.start()
        c = text[j]
        if j > i:
            field_start = False
        if c == '"' and field_start and j == i:
            k = j + 1
            while True:  # to the closing quote ("" inside is a quote)
                q = text.find('"', k)
                if q < 0:
                    return n
                if text.startswith('"', q + 1):
                    k = q + 2
                    continue
                break
            i, field_start = q + 1, False
        elif c == '"':
            i, field_start = j + 1, False  # a quote inside a cell is a character
        elif c == delim:
            i, field_start = j + 1, True
        elif c == "\r":
            return j + 2 if text.startswith("\n", j + 1) else j + 1
        else:
            return j + 1
    return n


def _first_record(text: str, delim: str, name: str) -> tuple[int, list[str], int]:
    """(its record number, its cells, where it ends) of the first record with a filled cell."""
    pos, number = 0, 0
    while pos < len(text):
        end = _record_end(text, pos, delim)
        number += 1
        line = text[pos:end].rstrip("\r\n")
        cells = csv_rows([line], delim, name)[0] if line else []
        if any(c.strip() for c in cells):
            return number, cells, end
        pos = end
    raise PlaygroundError(f"{name} is an empty file: give a CSV with a column of numbers")


def _pc():
    import pyarrow.compute as pc

    return pc


class Column:
    """One column's data cells: the numbers pandas read, or the cells as Arrow strings, sorted here
    into numbers, gaps and text. ``head``: the file's first record's cell, (its kind, its text), when
    that record is data (a file without a header); it comes before the rows pandas read."""

    def __init__(
        self, numbers: np.ndarray | None, cells: Any, decimal_commas: bool, head: tuple[object, str] | None = None
    ) -> None:
        self.cells = cells  # pyarrow string array, or None for a column pandas read as numbers
        self.parse: Callable[[str], float | object] = parse_decimal_comma_cell if decimal_commas else parse_cell
        self.head = head
        self._lock = threading.Lock()
        if numbers is not None:
            body, self._pending = np.asarray(numbers, dtype=np.float64), np.empty(0, dtype=np.int64)
        else:
            body, self._pending = self._sort(cells, decimal_commas)
        self._done = 0  # how many of the pending cells have been parsed one by one
        self._text: list[int] = []  # the body's text cells found so far, in order
        self._is_text: np.ndarray | None = None
        self._offset = 0 if head is None else 1
        if head is not None:
            body = np.concatenate([[head[0] if isinstance(head[0], float) else np.nan], body])
        self.values = body  # every cell's number; NaN for a gap or text (see ``is_text``)

    def __len__(self) -> int:
        return len(self.values)

    @staticmethod
    def _sort(cells: Any, decimal_commas: bool) -> tuple[np.ndarray, np.ndarray]:
        """(values: the numbers decided at once, NaN elsewhere; the rows left to ``parse``)."""
        import pyarrow as pa

        pc = _pc()
        n = len(cells)
        values = np.full(n, np.nan)
        if n == 0:
            return values, np.empty(0, dtype=np.int64)
        ascii_ = pc.fill_null(pc.string_is_ascii(cells), False)
        trimmed = pc.ascii_trim(cells, _WS)
        missing = pc.fill_null(pc.is_in(pc.ascii_lower(trimmed), value_set=pa.array(sorted(MISSING))), True)
        pattern = _COMMA_NUMBER_RE if decimal_commas else _NUMBER_RE
        number = pc.and_(ascii_, pc.fill_null(pc.match_substring_regex(trimmed, pattern), False))
        chosen = pc.filter(trimmed, number)
        if decimal_commas:
            chosen = pc.replace_substring(pc.replace_substring(chosen, ".", ""), ",", ".")
        else:
            chosen = pc.replace_substring_regex(chosen, r"[$,\s]", "")
        number_np = number.to_numpy(zero_copy_only=False)
        values[number_np] = pc.cast(chosen, pa.float64()).to_numpy(zero_copy_only=False)
        null = cells.is_null().to_numpy(zero_copy_only=False)
        decided = number_np | null | (missing.to_numpy(zero_copy_only=False) & ascii_.to_numpy(zero_copy_only=False))
        return values, np.flatnonzero(~decided)

    def _parse_pending(self, stop_at_text: bool) -> None:
        """Parse the undecided cells one by one, in row order; with ``stop_at_text``, only up to the
        next text cell."""
        with self._lock:
            batch = 256
            while self._done < len(self._pending):
                rows = self._pending[self._done : self._done + batch]
                texts = self.cells.take(rows).to_pylist()
                for k, (row, cell) in enumerate(zip(rows.tolist(), texts)):
                    kind = self.parse(cell)
                    if kind is TEXT:
                        self._text.append(row)
                        if stop_at_text:
                            self._done += k + 1
                            return
                    elif kind is not MISSING_CELL:
                        self.values[row + self._offset] = kind
                self._done += len(rows)
                batch = min(batch * 4, 1 << 16)

    def _head_is_text(self) -> bool:
        return self.head is not None and self.head[0] is TEXT

    def first_text(self) -> int:
        """The index of the first text cell, or -1."""
        if self._head_is_text():
            return 0
        if not self._text:
            self._parse_pending(stop_at_text=True)
        return self._text[0] + self._offset if self._text else -1

    def is_text(self) -> np.ndarray:
        """Which cells are text (every cell parsed)."""
        if self._is_text is None:
            self._parse_pending(stop_at_text=False)
            mask = np.zeros(len(self.values), dtype=bool)
            mask[np.asarray(self._text, dtype=np.int64) + self._offset] = True
            mask[0] |= self._head_is_text()
            self._is_text = mask
        return self._is_text

    def numeric(self) -> bool:
        """A number somewhere and no text anywhere: a column a series can be read from."""
        if self.first_text() >= 0:
            return False
        self._parse_pending(stop_at_text=False)
        return not self._text and bool(np.any(~np.isnan(self.values)))

    def cell(self, i: int) -> str | None:
        """The text of cell ``i`` as the file writes it (None: a cell of a column read as numbers)."""
        if self.head is not None:
            if i == 0:
                return self.head[1]
            i -= 1
        if self.cells is None:
            return None
        value = self.cells[i].as_py()
        return "" if value is None else value

    def all_cells(self) -> Any:
        """Every cell as written, as one Arrow string array (a column not read as numbers)."""
        import pyarrow as pa

        if self.head is None:
            return self.cells
        return pa.concat_arrays([pa.array([self.head[1]], type=pa.large_string()), self.cells])

    def with_head(self, kind: object, cell: str) -> Column:
        """This column with the file's first record's cell before its rows."""
        out = Column.__new__(Column)
        out.__dict__.update(self.__dict__)
        out.head, out._lock, out._is_text, out._offset = (kind, cell), threading.Lock(), None, 1
        out._text = list(self._text)
        out.values = np.concatenate([[kind if isinstance(kind, float) else np.nan], self.values])
        return out


@dataclass(eq=False)
class Table:
    """A CSV's name, column names and data columns: what :func:`read_table` gives."""

    name: str
    names: list[str]
    rows: np.ndarray  # each data row's record number in the file
    columns: list[Column]  # the data rows of each column (the first row included when it is data)
    decimal_commas: bool
    numeric_cols: list[int]
    _raw: Callable[[int, int], str] = field(repr=False)

    def cell_text(self, i: int, j: int) -> str:
        """Data row ``i`` of column ``j`` as the file writes it (read again for a column of numbers)."""
        text = self.columns[j].cell(i)
        return text if text is not None else self._raw(i - (self.columns[j].head is not None), j)


class _Cache:
    """The table of the last file read, kept while its bytes stay the same: listing a file's columns
    and then reading its series (the window does both for each change) parses it once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.table: Table | None = None


_cache = _Cache()
_once = threading.local()  # inside ``read_once``: the tables this thread read, by resolved path


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Within it, a CSV this thread reads again is the table it read the first time, without opening
    the file again: the data preview lists a file's columns and builds its series from one read."""
    before = getattr(_once, "tables", None)
    _once.tables = {} if before is None else before
    try:
        yield
    finally:
        _once.tables = before


def read_table(path: str | Path) -> Table:
    """The table of the CSV at ``path``: delimiter (comma, semicolon or tab) and header row detected the
    same way for listing its columns and reading a series. A semicolon file with a number such as "12,5"
    or "1.234,5" in it is read with decimal commas (:func:`parse_decimal_comma_cell`)."""
    path = Path(path)
    name = path.name or str(path)
    once: dict[str, Table] | None = getattr(_once, "tables", None)
    if once is not None and os.path.abspath(path) in once:
        return once[os.path.abspath(path)]
    raw, text = read_text(path, name)
    key = (str(path.resolve()), len(raw), hashlib.blake2b(raw, digest_size=16).digest())
    with _cache.lock:
        table = _cache.table if _cache.key == key else None
    if table is None:
        table = _parse(raw, text, name)
        with _cache.lock:
            _cache.key, _cache.table = key, table
    if once is not None:
        once[os.path.abspath(path)] = table
    return table


def _read_frame(data: bytes, delim: str, name: str, as_text: bool):
    """pandas' C reader over ``data``: one row per record (blank ones too), no header, numbers as
    floats where a whole column is plain numbers, every other cell as written (empty: missing)."""
    import io

    import pandas as pd

    names = None
    for _ in range(20):
        kwargs: dict[str, Any] = dict(
            sep=delim, header=None, index_col=False, names=names, keep_default_na=False, na_values=[""],
            skip_blank_lines=False, low_memory=False, quotechar='"', doublequote=True, engine="c",
            encoding="utf-8", dtype=str if as_text else None,
        )  # fmt: skip
        if int(pd.__version__.split(".")[0]) < 3:  # pandas 3 reads every number as Python's float does
            kwargs["float_precision"] = "round_trip"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return pd.read_csv(io.BytesIO(data), **kwargs)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
        except pd.errors.ParserError as e:
            wider = re.search(r"Expected \d+ fields in line \d+, saw (\d+)", str(e))
            if wider is None:
                raise PlaygroundError(f"{name} cannot be read as CSV: {str(e).strip()}") from None
            names = list(range(int(wider[1])))  # a longer row: read again with room for it
    width = max(len(r) for r in csv_rows(io.StringIO(data.decode("utf-8")), delim, name))
    names = list(range(width))
    return pd.read_csv(io.BytesIO(data), **{**kwargs, "names": names})


def _arrow_strings(series) -> Any:
    """A column pandas read as text as Arrow strings (missing cells null); TypeError when it holds
    anything else (pandas keeps a number past 64 bits, or TRUE and FALSE, as Python objects)."""
    import pyarrow as pa

    try:
        arr = pa.array(series, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
        raise TypeError("not a column of text") from None
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _blank_cells(cells: Any) -> np.ndarray:
    """Which of these cells (Arrow strings) are empty or whitespace (as ``str.strip`` sees it)."""
    pc = _pc()
    return pc.fill_null(pc.equal(pc.utf8_trim(cells, _PY_WHITESPACE), ""), True).to_numpy(zero_copy_only=False)


def _has_decimal_comma(cells: Any) -> bool:
    pc = _pc()
    trimmed = pc.ascii_trim(cells, _WS)
    if pc.any(pc.fill_null(pc.match_substring_regex(trimmed, _HAS_DECIMAL_COMMA_RE), False)).as_py():
        return True
    wide = pc.invert(pc.fill_null(pc.string_is_ascii(cells), True))
    return any(HAS_DECIMAL_COMMA.fullmatch(c.strip()) for c in pc.filter(cells, wide).to_pylist())


def _parse(raw: bytes, text: str, name: str) -> Table:
    delim = sniff_delimiter(text, name)
    first_num, first_cells, end = _first_record(text, delim, name)
    body = raw[len(text[:end].encode("utf-8")) :]
    frame = _read_frame(body, delim, name, as_text=False)
    n_frame, frame_width = frame.shape
    text_frame: list = []  # every cell as written: read again only when a column or a message needs it

    def written(j: int):
        if not text_frame:
            text_frame.append(_read_frame(body, delim, name, as_text=True))
        return text_frame[0].iloc[:, j]

    texts: dict[int, Any] = {}

    def strings(j: int) -> Any:
        """Column ``j`` (every record) as Arrow strings, for a column pandas did not read as numbers."""
        if j not in texts:
            try:
                texts[j] = _arrow_strings(frame.iloc[:, j])
            except TypeError:  # "TRUE" and "FALSE", or a number past 64 bits: read as written
                texts[j] = _arrow_strings(written(j))
        return texts[j]

    def numbers(j: int) -> bool:
        return frame.iloc[:, j].dtype.kind in "iuf"

    blank = np.ones(n_frame, dtype=bool)
    for j in range(frame_width):
        blank &= frame.iloc[:, j].isna().to_numpy() if numbers(j) else _blank_cells(strings(j))
    kept = np.flatnonzero(~blank)
    every_row = len(kept) == n_frame  # no blank row: the columns are taken as they are, not copied

    def rows_of(cells: Any) -> Any:
        return cells if every_row else cells.take(kept)

    width = max(len(first_cells), frame_width)
    commas = delim == ";" and (
        any(HAS_DECIMAL_COMMA.fullmatch(c.strip()) for c in first_cells)
        or any(_has_decimal_comma(rows_of(strings(j))) for j in range(frame_width) if not numbers(j))
    )
    if commas:  # every cell is read again as written: "2.000" is 2000 there, "1.5" is text
        frame = _read_frame(body, delim, name, as_text=True)
        texts.clear()
    parse = parse_decimal_comma_cell if commas else parse_cell
    first = [parse(c) for c in first_cells] + [MISSING_CELL] * (width - len(first_cells))

    def column(j: int) -> Column:
        if j >= frame_width:
            return Column(np.full(len(kept), np.nan), None, commas)
        if numbers(j):
            series = frame.iloc[:, j] if every_row else frame.iloc[kept, j]
            return Column(series.to_numpy(dtype=np.float64, na_value=np.nan), None, commas)
        return Column(None, rows_of(strings(j)), commas)

    def raw_cell(i: int, j: int) -> str:
        value = written(j).iloc[kept[i]] if j < frame_width else None
        return value if isinstance(value, str) else ""

    below = [column(j) for j in range(width)]
    frame, texts = None, {}  # the columns hold what they need; a kept table does not keep these too
    below_numeric = [c.numeric() for c in below]
    if any(below_numeric):
        has_header = any(below_numeric[j] and first[j] is TEXT for j in range(width))
    else:
        has_header = any(k is TEXT for k in first)
    rows = first_num + 1 + kept
    if has_header:
        if not len(kept):
            raise PlaygroundError(f"{name} has a header but no data rows: add values below it")
        header = first_cells + [""] * (width - len(first_cells))
        names = [h.strip() or str(j + 1) for j, h in enumerate(header)]
        if delim == "," and width > len(first_cells):
            _refuse_cells_past_the_header(name, below, len(first_cells), rows)
        columns = below
        numeric_cols = [j for j in range(width) if below_numeric[j]]
    else:
        names = [str(j + 1) for j in range(width)]
        rows = np.concatenate([[first_num], rows])
        cells = first_cells + [""] * (width - len(first_cells))
        columns = [c.with_head(first[j], cells[j]) for j, c in enumerate(below)]
        numeric_cols = [j for j in range(width) if columns[j].numeric()]
    return Table(name, names, np.asarray(rows, dtype=np.int64), columns, commas, numeric_cols, raw_cell)


def _refuse_cells_past_the_header(name: str, below: list[Column], header_width: int, rows: np.ndarray) -> None:
    """A comma file whose header names fewer columns than a row fills: a number written with a comma
    (1,5 or 1,234) has been split in two there. Refused, naming the first such row."""
    filled_past = np.zeros(len(rows), dtype=bool)
    last = np.full(len(rows), header_width - 1)
    for j in range(header_width, len(below)):
        col = below[j]
        filled = ~np.isnan(col.values) if col.cells is None else ~_blank_cells(col.cells)
        filled_past |= filled
        last = np.where(filled, j, last)
    hit = np.flatnonzero(filled_past)
    if hit.size:
        i = int(hit[0])
        raise PlaygroundError(
            f"row {rows[i]} of {name} has {last[i] + 1} cells but its header names {header_width} "
            f"column{'s' if header_width != 1 else ''}: a comma inside a number (as in 1,5) splits it in two in a "
            "comma-separated file; write decimals with a point (1.5), quote numbers with thousands commas "
            '("1,234") and give every column a name in the header'
        )
