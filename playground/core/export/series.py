"""The data part of an exported series model's script: windows of the target, with the input columns
the model sees beside it (each z-scored with its training part's mean and std, kept in the model
file), the forecast that feeds each prediction back, and the CSV reader of ``train --data FILE``.
It computes what ``data/series.py`` computes: ``tests/test_export.py`` checks the numbers."""

SERIES_DATA = r'''
# --------------------------------------------------------------------------------------------------
# The data: a number series, and the input columns the model sees beside it where it was trained
# with some (CONFIG["data"]["inputs"]). The model never sees raw values: each window of `window` past
# values is taken relative to its own last value and divided by `scale` (the RMS step of the training
# part, stored in the model file); each input column becomes (value - mean) / std, with the mean and
# std of its training part (the file's task["inputs"]). The model predicts the change to the next
# value, in the target's units.
def encode_windows(windows, scale, inputs=None, input_scales=()):
    """Target windows (M, W) and their input columns (M, W, k) -> model inputs (M, W, 1 + k)."""
    w = np.asarray(windows, dtype=np.float64)
    x = ((w - w[..., -1:]) / scale).astype(np.float32)[..., None]
    if not input_scales:
        return x
    inputs = np.asarray(inputs, dtype=np.float64)
    z = [(inputs[..., j] - s["mean"]) / s["std"] for j, s in enumerate(input_scales)]
    return np.concatenate([x, np.stack(z, axis=-1).astype(np.float32)], axis=-1)


def forecast(model, values, window, scale, horizon, inputs=None, input_scales=()):
    """`horizon` values after `values`, each prediction fed back as the newest input. The input
    columns are not forecast: past the data they stay at their last values."""
    buf, out, cols = [float(v) for v in values[-window:]], [], None
    if input_scales:
        rows = np.asarray(inputs, dtype=np.float64)[-window:]
        cols = np.concatenate([rows, np.repeat(rows[-1:], horizon, axis=0)])
    with torch.no_grad():
        for i in range(horizon):
            hist = np.asarray(buf[-window:], dtype=np.float64)
            extra = None if cols is None else cols[None, i : i + window]
            x = torch.as_tensor(encode_windows(hist[None, :], scale, extra, input_scales))
            delta = float(model(x)[0].reshape(-1).double()[0])  # the scaled change
            buf.append(float(hist[-1]) + delta * scale)
            out.append(buf[-1])
    return out


def is_number(cell):
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def read_csv_series(path, column, inputs=""):
    """The target column of a CSV file as numbers: `column` (a header name or a number from 1), else the
    only column of numbers, else one named like a price (close, price, value); and the `inputs`
    columns (names or numbers, comma-separated) as an (n, k) array, or None. Gaps are refused."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such file: {shown(path)}")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise UsageError(f"{shown(path.name)} is over {MAX_TEXT_BYTES // 2**20} MB: the app reads smaller CSV files")
    text = decode_text(path.read_bytes(), shown(path.name))
    try:
        rows = [r for r in csv.reader(text.splitlines()) if "".join(r).strip()]
    except csv.Error as e:  # a cell longer than csv's limit...
        raise UsageError(f"{shown(path.name)} is not a CSV file this script reads ({shown(e)})") from None
    names = [c.strip().lower() for c in rows[0]] if rows and not all(map(is_number, rows[0])) else []
    body = rows[1:] if names else rows
    width = len(body[0]) if body else 0
    numeric = [c for c in range(width) if all(c < len(r) and is_number(r[c]) for r in body)]
    priced = [c for c in numeric if c < len(names) and names[c] in ("close", "adj close", "price", "value")]

    def pick(spec):  # a header name, else a number from 1; -1: no such column
        named = names.index(spec.lower()) if spec.lower() in names else -1
        return int(spec) - 1 if spec.isdigit() and named < 0 else named

    def gap_free(c):
        return c >= 0 and bool(body) and all(c < len(r) and is_number(r[c]) for r in body)

    col = pick(column) if column else (numeric if len(numeric) == 1 else priced or [-1])[0]
    if not gap_free(col):
        raise UsageError(f"{shown(path.name)}: no gap-free column of numbers; name one in CONFIG['data']['column']")
    specs = [s.strip() for s in inputs.split(",") if s.strip()]
    for spec in specs:
        if not gap_free(pick(spec)):
            raise UsageError(f"{shown(path.name)}: input column {shown(spec)!r} is not a gap-free column of numbers")
    extra = np.array([[float(r[pick(s)]) for s in specs] for r in body]) if specs else None
    return np.array([float(r[col]) for r in body]), extra, (rows[0][col].strip() if names else str(col + 1))


class SeriesData:
    """Windows of `window` values, each predicting the next; the last val_fraction of the targets is
    held out. The model file carries its series (and input columns); --data FILE trains on CSV
    columns instead, encoded with the model file's scales as the app encodes them."""

    def __init__(self, settings, tensors, data_file):
        task, self.session_changes, self.tensors = settings["task"], {}, {}
        w, scale, scales = task["window"], task["normalizer"]["scale"], task.get("inputs") or []
        values = tensors["data/series"].double().numpy()
        inputs = tensors["data/inputs"].double().numpy() if scales else None
        self.task_changes = {}
        if data_file:  # the new series travels inside the new file, as the app's files carry theirs
            d = CONFIG["data"]
            values, inputs, name = read_csv_series(data_file, d["column"], d["inputs"])
            k = 0 if inputs is None else inputs.shape[1]
            if k != len(scales):
                raise UsageError(f"the model sees {len(scales)} input column(s) beside the series; "
                                 f"CONFIG['data']['inputs'] names {k}")
            where = str(Path(data_file).resolve())
            self.session_changes = {"source": "file", "path": where, "column": name, "values": [], "text": ""}
            self.tensors = {"data/series": torch.from_numpy(values)}
            if k:
                self.tensors["data/inputs"] = torch.from_numpy(np.ascontiguousarray(inputs))
            tensors.pop("data/dates", None)  # the old file's dates do not fit the new rows: none are written
            self.task_changes = {"notes": [f"{len(values)} values from {name}"], "dates": None}
        n = len(values)
        split = n - max(1, round(CONFIG["data"]["val_fraction"] * n))  # the first held-out target
        if split - w < 1:
            raise UsageError(f"a series of {n} values is too short for a window of {w}")
        self.task_changes["split"] = split
        windows = np.lib.stride_tricks.sliding_window_view(values, w)[: n - w]  # row i -> target i + w
        extra = None  # each window's input columns, (M, W, k)
        if inputs is not None:
            extra = np.lib.stride_tricks.sliding_window_view(inputs, w, axis=0)[: n - w].transpose(0, 2, 1)
        x = torch.from_numpy(encode_windows(windows, scale, extra, scales))  # (M, W, 1 + k)
        y = torch.from_numpy(((values[w:] - windows[:, -1]) / scale).astype(np.float32)[:, None])  # (M, 1)
        m = split - w
        self.train_x, self.train_y, self.val_x, self.val_y = x[:m], y[:m], x[m:], y[m:]

    def sample_batch(self, batch_size, seq_len, gen):  # seq_len does not apply: the window is fixed
        idx = torch.randint(len(self.train_x), (batch_size,), generator=gen)
        return self.train_x[idx], self.train_y[idx]

    def held_out(self, seq_len):
        return self.val_x, self.val_y

    @staticmethod
    def loss(out, y):  # the mean squared error of the scaled change
        return F.mse_loss(out.reshape(y.shape), y)
'''
