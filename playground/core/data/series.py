"""Number series ("prices"): generators, CSV reading, normalization and the task.

A series task cuts a 1-D series into windows of ``window`` past values, each
predicting the next value. The model never sees raw levels: every window is
expressed relative to its own last value and divided by a scale taken from the
training part, and the model predicts the *change* to the next value. That
makes a model translation-invariant (trained on 10..14 it continues 15, 16, ...)
and keeps inputs near unit size whatever the price level.

Everything a user can get wrong (a file, a column, a gap, a window too long for
the data) raises :class:`PlaygroundError` with one line naming the fix.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.config import GAP_POLICIES, GENERATORS, DataConfig
from playground.core.data._batching import in_batches
from playground.core.errors import PlaygroundError
from playground.core.kinds import KindSpec, kind_spec

ModelFn = Callable[[torch.Tensor], torch.Tensor]

# ---------------------------------------------------------------- generators


def linear(length: int, start: float, slope: float) -> np.ndarray:
    """start, start + slope, start + 2*slope, ...: the simplest thing to learn (always "+slope")."""
    return start + slope * np.arange(length, dtype=np.float64)


def sine(length: int, start: float, amplitude: float, period: float) -> np.ndarray:
    """A wave around ``start``: the model must learn where in the cycle it is."""
    t = np.arange(length, dtype=np.float64)
    return start + amplitude * np.sin(2.0 * np.pi * t / period)


def random_walk(length: int, start: float, step_std: float, rng: np.random.Generator) -> np.ndarray:
    """Begins at ``start`` and takes N(0, step_std) steps: unpredictable, so "last value" is optimal."""
    steps = rng.normal(0.0, step_std, length)
    steps[0] = 0.0
    return start + np.cumsum(steps)


def trend_seasonal(length: int, start: float, slope: float, amplitude: float, period: float) -> np.ndarray:
    """A trend plus a cycle, like many real series (sales, temperatures)."""
    return linear(length, start, slope) + sine(length, 0.0, amplitude, period)


def generate(cfg: DataConfig) -> np.ndarray:
    """The series ``cfg`` describes: its explicit ``values`` if any, else its seeded generator's output.

    The same settings always give the same series (numpy ``default_rng(cfg.seed)``), so a model
    file can rebuild its data. Gaussian noise of std ``cfg.noise`` is added to linear, sine and
    trend-seasonal; for the random walk ``cfg.noise`` is the step size (1.0 when it is 0).
    """
    if cfg.values:
        return _finite_values(cfg.values, "the given values")
    if cfg.generator not in GENERATORS:
        raise PlaygroundError(
            f"unknown series generator {cfg.generator!r}: choose one of {', '.join(GENERATORS)}"
        )
    length = int(cfg.length)
    if length < 1:
        raise PlaygroundError(f"length must be more than zero, got {cfg.length}")
    if cfg.generator in ("sine", "trend-seasonal") and not cfg.period > 0:
        raise PlaygroundError(f"period must be more than zero, got {cfg.period}")
    if not cfg.noise >= 0:
        raise PlaygroundError(f"noise must be zero or more, got {cfg.noise}")
    rng = np.random.default_rng(cfg.seed)
    if cfg.generator == "random-walk":
        return random_walk(length, cfg.start, cfg.noise if cfg.noise > 0 else 1.0, rng)
    if cfg.generator == "linear":
        series = linear(length, cfg.start, cfg.slope)
    elif cfg.generator == "sine":
        series = sine(length, cfg.start, cfg.amplitude, cfg.period)
    else:
        series = trend_seasonal(length, cfg.start, cfg.slope, cfg.amplitude, cfg.period)
    if cfg.noise > 0:
        series = series + rng.normal(0.0, cfg.noise, length)
    return series


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
    return arr


_NUMBER_SPLIT = re.compile(r"[\s,;]+")


def parse_values(text: str) -> np.ndarray:
    """Numbers pasted as text ("10, 11, 12" or one a line) as a float64 array."""
    cells = [c for c in _NUMBER_SPLIT.split(text.strip()) if c]
    out = []
    for i, cell in enumerate(cells, start=1):
        try:
            out.append(float(cell))
        except ValueError:
            raise PlaygroundError(
                f"pasted value {i} ({cell!r}) is not a number: give numbers such as 10, 11, 12"
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


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number (>1) of cells."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    best, best_key = ",", (-1.0, 0)
    for delim in (",", ";", "\t"):
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PlaygroundError(f"file not found: {path} (check the path)") from None
    except IsADirectoryError:
        raise PlaygroundError(f"{path} is a folder, not a CSV file: give the file inside it") from None
    except OSError as e:
        raise PlaygroundError(f"cannot read {name}: {e.strerror or e}") from None
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
) -> tuple[str, list[str], list[tuple[int, list[str]]], list[list], list[int]]:
    """A CSV's name, column names, data rows (file row number, cells), parsed cells and numeric columns.

    The delimiter (comma, semicolon or tab) and a header row are detected the same way for
    reading a series and for listing the columns a user can choose from.
    """
    path = Path(path)
    name = path.name or str(path)
    text = _read_text(path, name)
    delim = _sniff_delimiter(text)
    rows = [
        (num, cells)
        for num, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delim), start=1)
        if any(c.strip() for c in cells)
    ]
    if not rows:
        raise PlaygroundError(f"{name} is an empty file: give a CSV with a column of numbers")
    width = max(len(cells) for _, cells in rows)
    parsed = [[_parse_cell(c) for c in cells] + [_MISSING_CELL] * (width - len(cells)) for _, cells in rows]

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
    return name, names, data, parsed, [j for j in range(width) if numeric(j, 0)]


def csv_columns(path: str | Path) -> tuple[list[str], list[str]]:
    """(every column name, the numeric ones) of a CSV: what a user may pass as --column."""
    _, names, _, _, numeric_cols = _read_table(path)
    return names, [names[j] for j in numeric_cols]


def read_csv_series(path: str | Path, column: str = "", gaps: str = "refuse") -> tuple[np.ndarray, list[str]]:
    """One numeric column of a CSV file as a float64 series, plus notes on what was done to it.

    The delimiter (comma, semicolon or tab) and a header row are detected; dates and other
    text columns are allowed and ignored. ``column`` is a header name (any case) or a 1-based
    number; "" picks the only numeric column, or the last close/price/value one among several.
    Missing cells (empty, NA, NaN, null, -) are refused or filled according to ``gaps``.
    """
    if gaps not in GAP_POLICIES:
        raise PlaygroundError(f"unknown gap policy {gaps!r}: choose one of {', '.join(GAP_POLICIES)}")
    name, names, data, parsed, numeric_cols = _read_table(path)
    notes: list[str] = []

    col = _choose_column(column, names, numeric_cols, name, notes)
    label = names[col]
    kinds = [p[col] for p in parsed]
    row_nums = [num for num, _ in data]
    for k, (num, cells) in zip(kinds, data):
        if k is _TEXT:
            numeric_names = ", ".join(names[j] for j in numeric_cols) or "none"
            raise PlaygroundError(
                f"column '{label}' in {name} is not numeric: row {num} has {cells[col].strip()!r}; "
                f"fix that cell or choose a numeric column with --column (numeric: {numeric_names})"
            )
        if isinstance(k, float) and not math.isfinite(k):
            raise PlaygroundError(
                f"column '{label}' in {name} has a non-finite value {cells[col].strip()!r} at row {num}: "
                "replace it with a number"
            )
    present = np.array([isinstance(k, float) for k in kinds])
    n_present = int(present.sum())
    if n_present < 2:
        raise PlaygroundError(
            f"column '{label}' in {name} has {n_present} value{'s' if n_present != 1 else ''}: "
            "a series needs at least 2"
        )
    values = np.array([k if isinstance(k, float) else np.nan for k in kinds], dtype=np.float64)
    missing = np.flatnonzero(~present)
    notes.insert(0, f"read {len(values)} values from column '{label}' of {name}")
    if missing.size:
        rows_txt = _list_rows([row_nums[i] for i in missing])
        count = f"{missing.size} missing value{'s' if missing.size > 1 else ''}"
        plural = "s" if missing.size > 1 else ""
        if gaps == "refuse":
            raise PlaygroundError(
                f"column '{label}' in {name} has {count} (row{plural} {rows_txt}): "
                "use --gaps interpolate or --gaps ffill"
            )
        if gaps == "interpolate":
            idx = np.arange(len(values))
            values[missing] = np.interp(missing, idx[present], values[present])
            how = "linear interpolation"
        else:
            first_value = values[np.argmax(present)]
            last_seen = np.maximum.accumulate(np.where(present, np.arange(len(values)), -1))
            values = np.where(last_seen >= 0, values[np.maximum(last_seen, 0)], first_value)
            how = "carrying the last value forward"
        notes.append(f"filled {count} in '{label}' (row{plural} {rows_txt}) by {how}")
    return values, notes


def _choose_column(
    column: str, names: list[str], numeric_cols: list[int], name: str, notes: list[str]
) -> int:
    """The 0-based index of the column the user asked for (or the one obvious numeric column)."""
    listing = ", ".join(names)
    column = column.strip()
    if column:
        if column.isdigit():
            j = int(column) - 1
            if not 0 <= j < len(names):
                raise PlaygroundError(
                    f"column {column} does not exist in {name}: it has {len(names)} column"
                    f"{'s' if len(names) > 1 else ''} ({listing}); use --column 1 to {len(names)} or a name"
                )
            return j
        for j, n in enumerate(names):
            if n.lower() == column.lower():
                return j
        raise PlaygroundError(f"no column '{column}' in {name}: columns are {listing}")
    if not numeric_cols:
        raise PlaygroundError(f"no numeric column in {name}: columns are {listing}")
    if len(numeric_cols) == 1:
        return numeric_cols[0]
    liked = [j for j in numeric_cols if _PRICE_WORDS & set(re.split(r"[^a-z]+", names[j].lower()))]
    numeric_names = ", ".join(names[j] for j in numeric_cols)
    if not liked:
        raise PlaygroundError(
            f"{name} has {len(numeric_cols)} numeric columns ({numeric_names}): choose one with --column"
        )
    j = max(liked)
    notes.append(
        f"picked column '{names[j]}' of numeric columns {numeric_names}: choose another with --column"
    )
    return j


def load_series(cfg: DataConfig, base_dir: Path | None = None) -> tuple[np.ndarray, list[str]]:
    """The raw series ``cfg`` names and notes about it: explicit values, a CSV file or a generator.

    A relative CSV path is taken relative to ``base_dir`` when one is given (a model file's folder).
    There is no bundled price CSV, so "bundled" means the configured generator.
    """
    if cfg.values:
        return _finite_values(cfg.values, "the given values"), []
    if cfg.source == "inline":
        if cfg.text.strip():
            return parse_values(cfg.text), []
        raise PlaygroundError("no values given: pass a series such as 10, 11, 12, 13, 14")
    if cfg.source == "file":
        if not cfg.path:
            raise PlaygroundError("no file given: pass the path of a CSV file")
        path = Path(cfg.path).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        return read_csv_series(path, cfg.column, cfg.gaps)
    series = generate(cfg)
    note = f"{cfg.generator} series of {len(series)} points (seed {cfg.seed})"
    return series, [note]


# ---------------------------------------------------------------- normalization


@dataclass(frozen=True)
class Normalizer:
    """Windows relative to their last value, divided by ``scale``; the model predicts the scaled change.

    ``scale`` is the RMS of the training part's first differences, so a typical step is about 1.
    Stored with the model as JSON so predictions decode to the same units later.
    """

    scale: float

    @classmethod
    def fit(cls, train_values: np.ndarray) -> Normalizer:
        """The scale from a training series: RMS step size, or 1.0 where that is 0 or undefined."""
        values = np.asarray(train_values, dtype=np.float64)
        if values.size < 2:
            return cls(1.0)
        scale = float(np.sqrt(np.mean(np.diff(values) ** 2)))
        return cls(scale if math.isfinite(scale) and scale > 0 else 1.0)

    def encode_windows(self, windows: np.ndarray) -> np.ndarray:
        """(M, W) raw windows -> (M, W) each relative to its row's last value, over ``scale``."""
        w = np.asarray(windows, dtype=np.float64)
        return (w - w[..., -1:]) / self.scale

    def encode_delta(self, last: np.ndarray | float, target: np.ndarray | float) -> np.ndarray | float:
        """The training target: the change from ``last`` to ``target``, over ``scale``."""
        d = (np.asarray(target, dtype=np.float64) - np.asarray(last, dtype=np.float64)) / self.scale
        return float(d) if d.ndim == 0 else d

    def decode_delta(self, last: np.ndarray | float, delta_rel: Any) -> np.ndarray | float:
        """A predicted scaled change back to raw units: ``last + delta_rel * scale``."""
        if isinstance(delta_rel, torch.Tensor):
            delta_rel = delta_rel.detach().cpu().double().numpy()
        if np.ndim(last) == 0 and np.ndim(delta_rel) == 0:
            return float(last) + float(delta_rel) * self.scale
        return np.asarray(last, dtype=np.float64) + np.asarray(delta_rel, dtype=np.float64) * self.scale

    def to_dict(self) -> dict[str, Any]:
        return {"method": "relative-to-last", "scale": float(self.scale)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalizer:
        """Rebuild from a model file, refusing a missing or unusable scale."""
        if not isinstance(d, dict):
            raise PlaygroundError(f"series normalizer must be a mapping, got {type(d).__name__}")
        method = d.get("method", "relative-to-last")
        if method != "relative-to-last":
            raise PlaygroundError(
                f"unknown series normalization {method!r}: this version reads relative-to-last"
            )
        scale = d.get("scale")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, (int, float))
            or not math.isfinite(scale)
            or scale <= 0
        ):
            raise PlaygroundError(f"series normalizer scale must be a finite number above 0, got {scale!r}")
        return cls(float(scale))


# ---------------------------------------------------------------- the task


def _split_point(n: int, val_fraction: float) -> int:
    """Index of the first held-out target: the last ``max(1, round(val_fraction * n))`` points are held out."""
    return n - max(1, round(val_fraction * n))


class SeriesTask:
    """Windows of ``window`` past values, each predicting the next value; the tail is held out.

    Train windows are those whose target index is before ``split``; validation windows those
    whose target is at or after it (their inputs may reach back into the training part). Inputs
    are (B, W, 1) float32, targets (B, 1) float32, both normalized (see :class:`Normalizer`).
    """

    kind = "prices"
    many_to_many = False  # a window predicts one next value
    tokens = False  # one float per time step
    n_inputs = 1
    n_outputs = 1
    vocab = None
    classes = None
    has_data = True  # the raw series travels with the model
    mlp_bag_of_words = False

    @property
    def spec(self) -> KindSpec:
        return kind_spec(self.kind)

    def __init__(
        self,
        values: np.ndarray,
        window: int,
        val_fraction: float,
        notes: Sequence[str] = (),
        normalizer: Normalizer | None = None,
    ) -> None:
        self.values = _finite_values(values, "the series values")
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise PlaygroundError(f"window must be a whole number above 0, got {window!r}")
        if not 0.0 < val_fraction < 1.0:
            raise PlaygroundError(f"validation fraction must be in (0, 1), got {val_fraction}")
        self.window = int(window)
        self.val_fraction = float(val_fraction)
        self.notes = list(notes)
        n = len(self.values)
        self.split = _split_point(n, val_fraction)
        if self.split - self.window < 1:
            raise PlaygroundError(self._too_short_message(n))
        self.normalizer = normalizer if normalizer is not None else Normalizer.fit(self.values[: self.split])

        w = self.window
        windows = np.lib.stride_tricks.sliding_window_view(self.values, w)[: n - w]  # row i -> target i + w
        self.target_index = np.arange(w, n)
        self._last = windows[:, -1].copy()
        self._x = self.normalizer.encode_windows(windows).astype(np.float32)[:, :, None]
        self._y = self.normalizer.encode_delta(self._last, self.values[w:]).astype(np.float32)[:, None]
        self._n_train = self.split - w
        self._cache: dict[str, tuple[torch.Tensor, ...]] = {}

    def _too_short_message(self, n: int) -> str:
        w, f = self.window, self.val_fraction
        need = w + 2
        while _split_point(need, f) - w < 1:
            need += 1
        held = need - _split_point(need, f)
        fix = "use a longer series"
        max_w = _split_point(n, f) - 1
        if max_w >= 1:
            fix = f"lower the window to at most {max_w} or use a longer series"
        return (
            f"series of {n} points is too short for a window of {w}: need at least {need} points "
            f"(window {w} + 1 training target + {held} held-out); {fix}"
        )

    # -- sizes

    @property
    def n_train_windows(self) -> int:
        return self._n_train

    @property
    def n_val_windows(self) -> int:
        return len(self.values) - self.split

    # -- tensors

    def _tensors(self, device: torch.device | str) -> tuple[torch.Tensor, ...]:
        """(X_train, Y_train, X_val, Y_val) on ``device``, built once per device."""
        key = str(torch.device(device))
        if key not in self._cache:
            x = torch.from_numpy(self._x).to(device)
            y = torch.from_numpy(self._y).to(device)
            m = self._n_train
            self._cache[key] = (x[:m], y[:m], x[m:], y[m:])
        return self._cache[key]

    def train_tensors(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """All training windows: X (M, W, 1) and Y (M, 1), float32."""
        x, y, _, _ = self._tensors(device)
        return x, y

    def val_tensors(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """All validation windows: X (M, W, 1) and Y (M, 1), float32."""
        _, _, x, y = self._tensors(device)
        return x, y

    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator | None, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch_size`` random training windows, with replacement (``seq_len`` is ignored: the window is fixed).

        Indices are drawn on the CPU from ``gen`` (reproducible on any device), then one gather.
        """
        x, y = self.train_tensors(device)
        idx = self.sample_indices(batch_size, gen)
        if idx.device != x.device:
            idx = idx.to(x.device)
        return x[idx], y[idx]

    def sample_indices(self, batch_size: int, gen: torch.Generator | None) -> torch.Tensor:
        """The training windows ``sample_batch`` draws from ``gen`` (CPU indices): a replayed generator state
        names the windows of a past batch, so the step debugger can show them in raw units."""
        return torch.randint(self._n_train, (batch_size,), generator=gen)

    def window_values(self, idx: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Raw inputs (M, W) and raw targets (M,) of training windows ``idx``, in the series' own units."""
        rows = np.asarray(idx, dtype=np.int64).reshape(-1)
        targets = self.target_index[rows]  # (M,)
        inputs = self.values[targets[:, None] - self.window + np.arange(self.window)[None, :]]
        return inputs, self.values[targets]

    def val_batches(
        self,
        batch_size: int,
        seq_len: int,
        max_batches: int | None = None,
        device: torch.device | str = "cpu",
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The validation windows in order, cut into batches of ``batch_size``; at most ``max_batches``."""
        x, y = self.val_tensors(device)
        return in_batches(x, y, batch_size, max_batches)

    def probe(
        self, seq_len: int = 0, text: str | None = None, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """One window to look inside (x (1, W, 1), y (1, 1)) and its raw inputs as axis labels.

        Without ``text``: the first validation window. With ``text`` (numbers typed by a user,
        "10, 11, 12, ..."): its last ``window`` + 1 values, the last one being the target.
        """
        if text is None:
            x, y = self.val_tensors(device)
            raw = self.values[self.split - self.window : self.split]
            return x[:1], y[:1], [f"{v:.4g}" for v in raw]
        values = parse_values(text)
        w = self.window
        if len(values) < w + 1:
            raise PlaygroundError(
                f"give at least {w + 1} values: a window of {w} and the value that follows it "
                f"(got {len(values)})"
            )
        raw, target = values[-w - 1 : -1], values[-1]
        x = self.normalizer.encode_windows(raw[None, :]).astype(np.float32)[:, :, None]  # (1, W, 1)
        y = np.array([[self.normalizer.encode_delta(raw[-1], target)]], np.float32)  # (1, 1)
        return (
            torch.from_numpy(x).to(device),
            torch.from_numpy(y).to(device),
            [f"{v:.4g}" for v in raw],
        )

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error between predicted and true scaled changes; ``out`` is (B, 1)."""
        return F.mse_loss(out.reshape(y.shape), y)

    # -- using a trained model

    def _run(self, model_fn: ModelFn, x: np.ndarray, device: torch.device | str) -> np.ndarray:
        """Scaled changes model_fn predicts for encoded windows ``x`` (M, W, 1), as float64 (M,)."""
        with torch.no_grad():
            out = model_fn(torch.as_tensor(x, dtype=torch.float32, device=device))
        return out.detach().reshape(-1).double().cpu().numpy()

    def _check_history(self, history: np.ndarray) -> np.ndarray:
        hist = _finite_values(history, "the history values")
        if len(hist) < self.window:
            raise PlaygroundError(
                f"history of {len(hist)} values is shorter than the window of {self.window}: "
                f"give at least {self.window} values"
            )
        return hist

    def predict_next(
        self, model_fn: ModelFn, history: np.ndarray, device: torch.device | str = "cpu"
    ) -> float:
        """The value after ``history`` (raw units), from its last ``window`` values."""
        hist = self._check_history(history)
        x = self.normalizer.encode_windows(hist[-self.window :][None, :])[:, :, None]
        delta = self._run(model_fn, x, device)[0]
        return float(self.normalizer.decode_delta(float(hist[-1]), delta))

    def forecast(
        self, model_fn: ModelFn, history: np.ndarray, horizon: int, device: torch.device | str = "cpu"
    ) -> np.ndarray:
        """``horizon`` values after ``history``, each prediction fed back as the newest input."""
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise PlaygroundError(f"forecast horizon must be at least 1 step, got {horizon!r}")
        buf = list(self._check_history(history)[-self.window :])
        out = np.empty(int(horizon), dtype=np.float64)
        for i in range(int(horizon)):
            out[i] = self.predict_next(model_fn, np.asarray(buf[-self.window :]), device)
            buf.append(out[i])
        return out

    def evaluate(self, model_fn: ModelFn, device: torch.device | str = "cpu") -> dict[str, Any]:
        """One-step-ahead predictions for every held-out target, in raw units, against "repeat the last value"."""
        m = self._n_train
        delta = self._run(model_fn, self._x[m:], device)
        last = self._last[m:]
        predictions = np.asarray(self.normalizer.decode_delta(last, delta))
        target_index = self.target_index[m:]
        targets = self.values[target_index]
        err = predictions - targets
        base = last - targets
        return {
            "mae": float(np.mean(np.abs(err))),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "baseline_mae": float(np.mean(np.abs(base))),
            "baseline_rmse": float(np.sqrt(np.mean(base**2))),
            "predictions": predictions,
            "targets": targets,
            "target_index": target_index.copy(),
        }

    def state_dict(self) -> dict[str, Any]:
        """What a model file needs besides the raw values (JSON-able)."""
        return {
            "kind": self.kind,
            "window": self.window,
            "normalizer": self.normalizer.to_dict(),
            "split": int(self.split),
            "notes": list(self.notes),
        }


def build_task(
    cfg: DataConfig, base_dir: Path | None = None, normalizer: Normalizer | None = None
) -> SeriesTask:
    """Load the series ``cfg`` names and cut it into a :class:`SeriesTask`."""
    values, notes = load_series(cfg, base_dir)
    return SeriesTask(values, cfg.window, cfg.val_fraction, notes, normalizer)
