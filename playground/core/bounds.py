"""The one table of bounds on every numeric setting.

The command line's options (``cli_args.py``), the configs' ``validate`` (and so every model file's
settings, ``core/train/file_checks.py`` and ``checkpoint``), the window's controls (their minimum and
maximum) and the requests a model answers (``inference``) all read :data:`BOUNDS`. A control in the
window may offer a narrower range than the table allows (``window``): a desktop-sized slice of it,
never more. No Qt, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.core.shown import cut

MAX_SEED = 2**63 - 1
MAX_SPIN = 2**31 - 1  # the largest whole number a Qt spin box holds


@dataclass(frozen=True)
class Bound:
    """A setting's range: ``lo`` to ``hi`` (either end open when ``lo_open``/``hi_open``), whole
    numbers only when ``whole``; ``also`` are single values allowed outside it (temperature 0)."""

    name: str  # as messages say it: "learning rate"
    lo: float
    hi: float
    whole: bool = True
    unit: str = ""  # after the upper bound in messages: " sequences"
    lo_open: bool = False
    hi_open: bool = False
    also: tuple[float, ...] = ()
    hi_text: str = ""  # the upper bound as messages spell it ("2^63 - 1")
    window: tuple[float, float] | None = None  # the window's control range, inside the bound

    def contains(self, value: float) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.whole and not isinstance(value, int):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if value in self.also:
            return True
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return above and below

    def _num(self, v: float) -> str:
        if self.whole or (float(v).is_integer() and abs(v) < 1e15):
            return f"{int(v):,}"
        return f"{v:g}"

    def range_text(self) -> str:
        hi = self.hi_text or self._num(self.hi)
        if self.lo_open and self.hi_open:
            text = f"between {self._num(self.lo)} and {hi}{self.unit}"
        elif self.lo_open:
            text = f"more than {self._num(self.lo)} and at most {hi}{self.unit}"
        elif self.hi_open:
            text = f"{self._num(self.lo)} or more and below {hi}{self.unit}"
        else:
            text = f"{self._num(self.lo)} to {hi}{self.unit}"
        if self.also:
            text = " or ".join(self._num(v) for v in self.also) + " or " + text
        return text

    def message(self, value: object, label: str | None = None) -> str:
        """One line: what is wrong with ``value`` for this setting (``label``: the option's name)."""
        shown = value if isinstance(value, str) else self._shown(value)
        who = self.name
        if label:
            who = label if self.name.replace(" ", "-") in label else f"{label} ({self.name})"
        return f"{who} must be {self.range_text()}, got {shown}"

    def _shown(self, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return cut(repr(value), 40)
        if isinstance(value, int):
            text = f"{value:,}"
            return text if len(text) <= 40 else f"{value:.3g}"
        return f"{value:g}"

    def check(self, value: object, label: str | None = None) -> object:
        """``value`` if it is in range, else a one-line :class:`PlaygroundError`."""
        if not self.contains(value):  # type: ignore[arg-type]
            raise PlaygroundError(self.message(value, label))
        return value

    def parse(self, text: str) -> float:
        """A value from the command line: a number of the right kind (a one-line ValueError if not);
        its range is checked by :meth:`check`."""
        text = text.strip()
        if self.whole:
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"invalid int value {cut(text, 40)!r}: expected a whole number") from None
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"invalid number {cut(text, 40)!r}: expected a number") from None

    def window_range(self) -> tuple[float, float]:
        """The window's control range: its own slice of the bound, or the bound (open ends nudged in)."""
        if self.window is not None:
            return self.window
        step = 1 if self.whole else 1e-3
        lo = self.lo + step if self.lo_open else self.lo
        hi = self.hi - step if self.hi_open else self.hi
        return lo, (min(hi, MAX_SPIN) if self.whole else hi)


def _seed(name: str, window: tuple[float, float] | None = (0, MAX_SPIN)) -> Bound:
    return Bound(name, 0, MAX_SEED, hi_text="2^63 - 1", window=window)


# Ceilings that fit a desktop. Keys: "model.", "data.", "train." are the configs' fields (model files
# and the window hold the same); "run.", "sample.", "forecast.", "neurons.", "gui." are a command's.
BOUNDS: dict[str, Bound] = {
    # the model
    "model.hidden": Bound("hidden size", 1, 4096, window=(4, 512)),
    "model.layers": Bound("layers", 1, 8, window=(1, 4)),
    "model.embed": Bound("embedding size", 1, 4096),
    "model.heads": Bound("attention heads", 1, 64, window=(1, 8)),
    "model.window": Bound("feed-forward window", 1, 1024, unit=" inputs", window=(1, 256)),
    "model.dropout": Bound("dropout", 0.0, 1.0, whole=False, hi_open=True, window=(0.0, 0.9)),
    # the data
    "data.length": Bound("series length", 1, 1_000_000, unit=" points", window=(10, 100_000)),
    "data.start": Bound("start", -1e9, 1e9, whole=False, window=(-1e6, 1e6)),
    "data.slope": Bound("slope", -1e6, 1e6, whole=False, window=(-1e4, 1e4)),
    "data.period": Bound("period", 0.0, 1e6, whole=False, lo_open=True, unit=" steps", window=(2, 1e5)),
    "data.amplitude": Bound("amplitude", -1e9, 1e9, whole=False, window=(0, 1e6)),
    "data.noise": Bound("noise", 0.0, 1e9, whole=False, window=(0, 1e6)),
    "data.seed": _seed("data seed"),
    "data.window": Bound("window", 1, 4096, unit=" past values", window=(1, 1000)),
    # the window shows it in percent: 1 % to 80 %
    "data.val_fraction": Bound("validation fraction", 0.0, 0.9, whole=False, lo_open=True, hi_open=True, window=(0.01, 0.8)),
    "data.gap": Bound("gap", 1, 1000, unit=" steps", window=(1, 100)),
    "data.keys": Bound("keys", 2, 26),
    # the classics (adding, temporal-order, copy): the sequence length T, the base length, the delay
    "data.span": Bound("length T", 4, 1000, unit=" steps"),
    "data.made_up_jokes": Bound("made-up jokes", 0, 100_000),
    # training
    "train.lr": Bound("learning rate", 0.0, 100.0, whole=False, lo_open=True, window=(1e-6, 100.0)),
    "train.batch_size": Bound("batch size", 1, 8192, unit=" sequences", window=(1, 1024)),
    "train.seq_len": Bound("sequence length", 1, 4096, unit=" steps", window=(2, 1024)),
    "train.clip_value": Bound("clip value", 0.0, 1e6, whole=False, lo_open=True, window=(0.001, 1000.0)),
    "train.tbptt": Bound("truncated BPTT length", 0, 4096, unit=" steps"),
    "train.weight_decay": Bound("weight decay", 0.0, 1.0, whole=False),
    "train.momentum": Bound("momentum", 0.0, 1.0, whole=False, hi_open=True),
    "train.val_every": Bound("validation interval", 0, 1_000_000, unit=" steps"),
    "train.val_batches": Bound("validation batches", 1, 1000),
    "train.seed": _seed("seed"),
    # a command's own
    "run.steps": Bound("steps", 1, 10_000_000),
    "run.seconds": Bound("seconds", 0.0, 7 * 86_400.0, whole=False, lo_open=True, unit=" (a week)"),
    "run.patience": Bound("patience", 1, 100_000, unit=" validations"),
    "run.stop_at_val_loss": Bound("stop-at-val-loss", 0.0, 1e6, whole=False),
    "sample.length": Bound("length", 0, 10_000, unit=" characters"),
    "sample.temperature": Bound("temperature", 0.001, 100.0, whole=False, also=(0.0,)),
    "sample.top_k": Bound("top-k", 0, 100_000),
    "sample.seed": _seed("seed", None),
    "sample.next": Bound("next", 1, 1000, unit=" answers"),
    "frontier.seeds": Bound("seeds", 1, 100),
    "frontier.check_every": Bound("check interval", 1, 1_000_000, unit=" steps"),
    "frontier.clip": Bound("clip", 0.0, 1e6, whole=False),
    "forecast.horizon": Bound("horizon", 1, 10_000, unit=" steps ahead"),
    "neurons.top": Bound("top", 1, 10_000, unit=" units"),
    "patch.direction": Bound("direction", 1, 4096),
    "gui.demo": Bound("demo seconds", 0.0, 86_400.0, whole=False, lo_open=True),
}

# A model that re-reads its context for every character it writes (a Transformer, a recurrent model
# with attention) writes at most this many in one request: each costs up to a whole context's pass.
MAX_SAMPLE_REREAD = 1000
# A forecast feeds each prediction back through the whole window: horizon x window at most this.
MAX_FORECAST_WORK = 2_000_000

# The optimizer's own hyper-parameters as a model file stores them (param_groups), for the file
# checks: each named as the optimizer calls it.
OPTIMIZER_BOUNDS: dict[str, Bound] = {
    "lr": BOUNDS["train.lr"],
    "weight_decay": BOUNDS["train.weight_decay"],
    "momentum": BOUNDS["train.momentum"],
}


def bound(key: str) -> Bound:
    return BOUNDS[key]


def check(key: str, value: object, label: str | None = None) -> object:
    """``value`` for the setting ``key`` if in range, else a one-line :class:`PlaygroundError`."""
    return BOUNDS[key].check(value, label)
