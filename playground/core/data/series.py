"""Number series ("prices"): generators, normalization and the task (reading them: series_io).

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

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.budget import check_windows, eval_rows
from playground.core.config import GENERATORS, DataConfig
from playground.core.data.base import TaskBase
from playground.core.data.dates import Dates
from playground.core.data.series_io import (
    SeriesTable,
    _finite_values,
    csv_columns,
    parse_values,
    read_csv_series,
    read_csv_table,
)
from playground.core.data.series_scale import InputScale, Normalizer
from playground.core.errors import PlaygroundError

__all__ = [
    "InputScale",
    "Normalizer",
    "SeriesTask",
    "build_task",
    "csv_columns",
    "generate",
    "load_series",
    "load_table",
    "parse_values",
    "read_csv_series",
]

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


def load_series(cfg: DataConfig, base_dir: Path | None = None) -> tuple[np.ndarray, list[str]]:
    """The raw series ``cfg`` names and notes about it: explicit values, a CSV file or a generator."""
    table = load_table(cfg, base_dir)
    return table.values, table.notes


def load_table(cfg: DataConfig, base_dir: Path | None = None) -> SeriesTable:
    """The raw series ``cfg`` names, with its input columns and dates when a CSV has them.

    A relative CSV path is taken relative to ``base_dir`` when one is given (a model file's folder).
    There is no bundled price CSV, so "bundled" means the configured generator. Input columns come
    from a CSV only: any other source with ``cfg.inputs`` set is refused.
    """
    if cfg.inputs.strip() and (cfg.values or cfg.source != "file"):
        raise PlaygroundError("input columns come from a CSV file: choose a file, or leave the inputs empty")
    if cfg.values:
        return SeriesTable(_finite_values(cfg.values, "the given values"), None, [], None, [])
    if cfg.source == "inline":
        if cfg.text.strip():
            return SeriesTable(parse_values(cfg.text), None, [], None, [])
        raise PlaygroundError("no values given: pass a series such as 10, 11, 12, 13, 14")
    if cfg.source == "file":
        if not cfg.path:
            raise PlaygroundError("no file given: pass the path of a CSV file")
        path = Path(cfg.path).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        return read_csv_table(path, cfg.column, cfg.inputs, cfg.gaps)
    series = generate(cfg)
    note = f"{cfg.generator} series of {len(series)} points (seed {cfg.seed})"
    return SeriesTable(series, None, [], None, [note])


# ---------------------------------------------------------------- the task


_ENCODE_BLOCK = 1 << 18  # values of a window block worked out at once (``SeriesTask._encode``)


def _split_point(n: int, val_fraction: float) -> int:
    """Index of the first held-out target: the last ``max(1, round(val_fraction * n))`` points are held out."""
    return n - max(1, round(val_fraction * n))


class SeriesTask(TaskBase):
    """Windows of ``window`` past values, each predicting the next value; the tail is held out.

    Train windows are those whose target index is before ``split``; validation windows those
    whose target is at or after it (their inputs may reach back into the training part). Inputs
    are (B, W, 1 + k) float32, targets (B, 1) float32, both normalized (see :class:`Normalizer`):
    feature 0 is the target column relative to its last value, features 1..k the ``inputs``
    columns (a CSV's other columns) each scaled on its own (:class:`InputScale`). ``dates``, when
    the file has them, label the points.
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

    def __init__(
        self,
        values: np.ndarray,
        window: int,
        val_fraction: float,
        notes: Sequence[str] = (),
        normalizer: Normalizer | None = None,
        inputs: np.ndarray | None = None,
        input_names: Sequence[str] = (),
        input_scales: Sequence[InputScale] | None = None,
        dates: Dates | None = None,
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
        self._set_inputs(inputs, input_names, input_scales)
        if dates is not None and len(dates) != n:
            raise PlaygroundError(f"the series has {n} points but {len(dates)} dates: give one date per point")
        self.dates = dates

        w = self.window
        check_windows(n, w, self.n_inputs)  # every window is kept: refuse, in one line, what would not fit
        windows = np.lib.stride_tricks.sliding_window_view(self.values, w)[: n - w]  # row i -> target i + w
        self.target_index = np.arange(w, n)
        self._last = windows[:, -1].copy()
        self._x = self._encode(windows, self.target_index - w)
        self._y = self.normalizer.encode_delta(self._last, self.values[w:]).astype(np.float32)[:, None]
        self._n_train = self.split - w
        self._cache: dict[str, tuple[torch.Tensor, ...]] = {}

    def _set_inputs(
        self, inputs: np.ndarray | None, names: Sequence[str], scales: Sequence[InputScale] | None
    ) -> None:
        """The input columns (n, k) beside the target, checked, and their scales (fitted on the training part)."""
        n = len(self.values)
        if inputs is None or np.size(inputs) == 0:
            if scales:
                raise PlaygroundError("the model file names input columns but carries none of their values")
            self.inputs, self.input_scales = None, []
            self.n_inputs = 1
            return
        cols = np.asarray(inputs, dtype=np.float64)
        if cols.ndim == 1:
            cols = cols[:, None]
        if cols.ndim != 2 or cols.shape[0] != n:
            raise PlaygroundError(f"the input columns must have one row per point of the series ({n}), got {cols.shape}")
        for j in range(cols.shape[1]):
            _finite_values(cols[:, j], "the input column values")
        names = list(names) or [f"input {j + 1}" for j in range(cols.shape[1])]
        if len(names) != cols.shape[1]:
            raise PlaygroundError(f"{cols.shape[1]} input columns but {len(names)} names")
        if scales is None:
            scales = [InputScale.fit(nm, cols[: self.split, j]) for j, nm in enumerate(names)]
        if len(scales) != cols.shape[1]:
            raise PlaygroundError(f"{cols.shape[1]} input columns but {len(scales)} scales")
        self.inputs, self.input_scales = cols, list(scales)
        self.n_inputs = 1 + cols.shape[1]

    @property
    def input_names(self) -> list[str]:
        return [s.name for s in self.input_scales]

    def held_inputs(self) -> dict[str, float]:
        """Each input column's last value: what a forecast past the data holds it at ({}: none)."""
        return {s.name: float(v) for s, v in zip(self.input_scales, self.inputs[-1])} if self.input_scales else {}

    def _encode(self, windows: np.ndarray, starts: np.ndarray, inputs: np.ndarray | None = None) -> np.ndarray:
        """Raw target windows (M, W) starting at points ``starts`` -> model inputs (M, W, 1 + k) float32.

        The input columns are read from ``inputs`` (default: the task's own) at the same points. Worked
        out a block of rows at a time into the float32 result, so a long series (a 50 MB CSV) never
        holds its windows in float64 all at once.
        """
        windows = np.asarray(windows)
        m, w = windows.shape
        cols = self.inputs if inputs is None else inputs
        k = len(self.input_scales)
        out = np.empty((m, w, 1 + k), dtype=np.float32)
        starts = np.asarray(starts, dtype=np.int64)
        offsets = np.arange(w)
        step = max(1, _ENCODE_BLOCK // max(1, w))
        # each input column scaled once, then gathered into the windows (the same numbers)
        scaled = [s.encode(cols[:, j]) for j, s in enumerate(self.input_scales)]
        for a in range(0, m, step):
            b = min(m, a + step)
            out[a:b, :, 0] = self.normalizer.encode_windows(windows[a:b])
            if k:
                rows = starts[a:b, None] + offsets[None, :]  # (rows, W)
                for j in range(k):
                    out[a:b, :, 1 + j] = scaled[j][rows]
        return out

    def encoded_windows(self) -> tuple[np.ndarray, np.ndarray]:
        """Every window of the series in order (row r predicts point r + window): model inputs
        (M, W, 1 + k) float32 and each window's last raw value (M,)."""
        return self._x, self._last

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

    def _val_tensors(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        return self.val_tensors(device)

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
        if self.input_scales:
            raise PlaygroundError(
                f"this model also sees {', '.join(self.input_names)}: typed numbers cannot give those columns; "
                "look inside with the held-out window instead"
            )
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
        """Scaled changes model_fn predicts for encoded windows ``x`` (M, W, k), as float64 (M,): in
        slices of at most budget.EVAL_STEPS time steps, so that the held-out part of a long series (a
        million points, windows of 4,096) never asks for its activations at once."""
        rows = eval_rows(x.shape[1] if x.ndim > 1 else 1)  # a slice at a time: memory that does not grow with x
        outs = [np.empty(0)]
        with torch.no_grad():
            for i in range(0, len(x), rows):
                out = model_fn(torch.as_tensor(x[i : i + rows], dtype=torch.float32, device=device))
                outs.append(out.detach().reshape(-1).double().cpu().numpy())
        return np.concatenate(outs)

    def _check_history(self, history: np.ndarray) -> np.ndarray:
        hist = _finite_values(history, "the history values")
        if len(hist) < self.window:
            raise PlaygroundError(
                f"history of {len(hist)} values is shorter than the window of {self.window}: "
                f"give at least {self.window} values"
            )
        return hist

    def _input_rows(self, length: int, inputs: np.ndarray | None) -> np.ndarray | None:
        """The input columns beside a history of ``length`` values: ``inputs`` (length, k) when given,
        else the task's own last ``length`` rows (a history that ends where the series ends)."""
        if not self.input_scales:
            return None
        k = len(self.input_scales)
        if inputs is None:
            if length > len(self.values):
                raise PlaygroundError(
                    f"this model also sees {', '.join(self.input_names)}: give their values beside a history "
                    f"longer than the series ({length} > {len(self.values)})"
                )
            return self.inputs[len(self.values) - length :]
        cols = np.asarray(inputs, dtype=np.float64).reshape(length, -1) if np.size(inputs) == length * k else None
        if cols is None:
            raise PlaygroundError(f"give {k} input value(s) for each of the {length} history values")
        return cols

    def predict_next(
        self,
        model_fn: ModelFn,
        history: np.ndarray,
        device: torch.device | str = "cpu",
        inputs: np.ndarray | None = None,
    ) -> float:
        """The value after ``history`` (raw units), from its last ``window`` values (and the input
        columns' values beside them, default: the series' own)."""
        hist = self._check_history(history)
        rows = self._input_rows(len(hist), inputs)
        w = self.window
        x = self._encode(hist[-w:][None, :], np.zeros(1, np.int64), None if rows is None else rows[-w:])
        delta = self._run(model_fn, x, device)[0]
        return float(self.normalizer.decode_delta(float(hist[-1]), delta))

    def forecast(
        self,
        model_fn: ModelFn,
        history: np.ndarray,
        horizon: int,
        device: torch.device | str = "cpu",
        inputs: np.ndarray | None = None,
    ) -> np.ndarray:
        """``horizon`` values after ``history``, each prediction fed back as the newest input.

        The input columns are not forecast: past the history they stay at their last values.
        """
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise PlaygroundError(f"forecast horizon must be at least 1 step, got {horizon!r}")
        hist = self._check_history(history)
        rows = self._input_rows(len(hist), inputs)
        w = self.window
        buf = list(hist[-w:])
        cols = None if rows is None else np.concatenate([rows[-w:], np.repeat(rows[-1:], int(horizon), 0)])
        out = np.empty(int(horizon), dtype=np.float64)
        for i in range(int(horizon)):
            window = None if cols is None else cols[i : i + w]
            out[i] = self.predict_next(model_fn, np.asarray(buf[-w:]), device, window)
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
        """What a model file needs besides the raw values (JSON-able); the input columns and dates
        travel as tensors beside the series (checkpoint)."""
        out = {
            "kind": self.kind,
            "window": self.window,
            "normalizer": self.normalizer.to_dict(),
            "split": int(self.split),
            "notes": list(self.notes),
        }
        if self.input_scales:
            out["inputs"] = [s.to_dict() for s in self.input_scales]
        if self.dates is not None:
            out["dates"] = self.dates.state()
        return out


def build_task(
    cfg: DataConfig, base_dir: Path | None = None, normalizer: Normalizer | None = None
) -> SeriesTask:
    """Load the series ``cfg`` names (with its input columns and dates) and cut it into a :class:`SeriesTask`."""
    t = load_table(cfg, base_dir)
    return SeriesTask(
        t.values, cfg.window, cfg.val_fraction, t.notes, normalizer, t.inputs, t.input_names, dates=t.dates
    )
