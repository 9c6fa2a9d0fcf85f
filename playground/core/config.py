"""Typed settings for a model, its data and its training.

Three frozen dataclasses hold everything needed to rebuild a session; they are
stored as plain JSON inside each model file (``to_dict``/``from_dict``), so a
model can be rebuilt from its file alone. ``validate()`` turns every value a
user could get wrong into a one-line :class:`PlaygroundError`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from playground.core.bounds import BOUNDS, MAX_SEED
from playground.core.errors import PlaygroundError
from playground.core.kinds import DEFAULT_KIND, KINDS, kind_names, kind_spec

MAX_MADE_UP_JOKES = int(BOUNDS["data.made_up_jokes"].hi)
MAX_INPUTS_TEXT = 1000  # prices: the --inputs column list
CONFIG_VERSION = 2  # 2: DataConfig.made_up_jokes (files of version 1 had none)

ARCHS = ("rnn", "lstm", "gru", "transformer", "mlp")
RECURRENT_ARCHS = ("rnn", "lstm", "gru")
ARCH_NAMES = {
    "rnn": "vanilla RNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "transformer": "Transformer",
    "mlp": "feed-forward network",
}
ACTIVATIONS = ("tanh", "relu")
INITS = ("default", "xavier", "he", "orthogonal", "identity")
# Training settings that may change between steps (the optimizer and seed need a new model).
LIVE_TRAIN_SETTINGS = ("lr", "batch_size", "seq_len", "clip", "clip_value", "tbptt", "val_every")
DATA_KINDS = kind_names()  # the registry's (core/kinds.py)
GENERATED_KINDS = tuple(n for n, s in KINDS.items() if s.generated)  # seeded: no file, no pasted text
MAX_GAP = int(BOUNDS["data.gap"].hi)  # memory: the sequence is gap + 2 steps; the Transformer covers 1024
MAX_KEYS = int(BOUNDS["data.keys"].hi)  # memory: keys are the letters A to Z
SPAN_BOUND = BOUNDS["data.span"]  # the classics' length T
SOURCES = ("bundled", "file", "inline", "generator")
GENERATORS = ("linear", "sine", "random-walk", "trend-seasonal")
GAP_POLICIES = ("refuse", "interpolate", "ffill")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
CLIP_MODES = ("norm", "value", "off")
DEVICES = ("auto", "cpu", "cuda", "mps")


# Names that stand for a set-up of an architecture: (arch, activation, init)
ARCH_SHORTHANDS = {"irnn": ("rnn", "relu", "identity")}  # Le, Jaitly & Hinton 2015: ReLU, W_hh = I, b = 0


class ArchChoice(NamedTuple):
    arch: str
    activation: str
    init: str


def arch_shorthand(name: str, activation: str = "tanh", init: str = "default") -> ArchChoice:
    """An architecture as the command line and the frontier take it: one of ``ARCHS``, or a shorthand
    (``irnn``: a vanilla ReLU RNN whose W_hh starts as the identity, its biases 0). A shorthand fixes
    the activation and the init: another init beside it is refused rather than silently replaced."""
    if name in ARCH_SHORTHANDS:
        arch, act, scheme = ARCH_SHORTHANDS[name]
        if init not in ("default", scheme):
            raise PlaygroundError(f"--arch {name} sets the init to {scheme}: leave out --init {init}")
        return ArchChoice(arch, act, scheme)
    if name not in ARCHS:
        raise PlaygroundError(
            f"unknown architecture {name!r}: choose one of {', '.join((*ARCHS, *ARCH_SHORTHANDS))}"
        )
    return ArchChoice(name, activation, init)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise PlaygroundError(f"unknown {name} {value!r}: choose one of {', '.join(choices)}")


# Ceilings that fit a desktop (core/bounds.py's table): each is named in the error that enforces it.
MAX_HIDDEN = int(BOUNDS["model.hidden"].hi)
MAX_LAYERS = int(BOUNDS["model.layers"].hi)
MAX_EMBED = int(BOUNDS["model.embed"].hi)
MAX_HEADS = int(BOUNDS["model.heads"].hi)
MAX_MLP_WINDOW = int(BOUNDS["model.window"].hi)
MAX_BATCH = int(BOUNDS["train.batch_size"].hi)
MAX_SEQ_LEN = int(BOUNDS["train.seq_len"].hi)
MAX_SERIES_LENGTH = int(BOUNDS["data.length"].hi)  # points a generator makes
MAX_SERIES_WINDOW = int(BOUNDS["data.window"].hi)  # past values per prediction
MAX_VAL_BATCHES = int(BOUNDS["train.val_batches"].hi)


def _at_most(name: str, value: float, ceiling: int, unit: str = "") -> None:
    if value > ceiling:
        raise PlaygroundError(f"{name} {value:,} is too large: at most {ceiling:,}{unit}")


def _seed(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEED:
        raise PlaygroundError(f"{name} must be a whole number from 0 to 2^63 - 1, got {value!r}")


def _positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        bound = "zero or more" if allow_zero else "more than zero"
        raise PlaygroundError(f"{name} must be {bound}, got {value}")


@dataclass(frozen=True)
class ModelConfig:
    """What the network is. Defaults give a model that learns the bundled data in minutes on a CPU."""

    arch: str = "lstm"
    hidden: int = 128  # units per layer and direction; 128 is enough for character text
    layers: int = 1
    bidirectional: bool = False  # only where the whole input is known before predicting
    activation: str = "tanh"  # vanilla RNN and feed-forward only; LSTM/GRU gates fix their own
    dropout: float = 0.0  # between stacked layers (torch applies none after the last)
    # "default": torch's, but an LSTM's forget-gate bias starts at 1 (nets.init_weights);
    # "identity" sets W_hh = I, b = 0 (Le et al.'s IRNN trick)
    init: str = "default"
    embed: int = 32  # width of the learned character vector x_t fed to the core
    heads: int = 2  # Transformer attention heads; must divide hidden
    window: int = 16  # feed-forward only: how many past inputs it sees at once
    # RNN, LSTM, GRU: the output at each step also reads an attention-weighted mix of the core's
    # states so far (it can look back at a name instead of carrying it in the hidden state)
    attention: bool = False

    def validate(self) -> ModelConfig:
        _choice("architecture", self.arch, ARCHS)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("weight init", self.init, INITS)
        for name in ("hidden", "layers", "embed", "heads", "window"):
            value = getattr(self, name)
            said = BOUNDS[f"model.{name}"].name if name != "window" or self.arch == "mlp" else "window"
            if not isinstance(value, int) or isinstance(value, bool):
                raise PlaygroundError(f"{said} must be a whole number, got {value!r}")
            _positive(said, value)
        if self.hidden > MAX_HIDDEN:
            raise PlaygroundError(f"hidden size {self.hidden} is too large (at most {MAX_HIDDEN})")
        if self.layers > MAX_LAYERS:
            raise PlaygroundError(f"{self.layers} layers is too many (at most {MAX_LAYERS})")
        _at_most("embedding size", self.embed, MAX_EMBED)
        _at_most("attention heads", self.heads, MAX_HEADS)
        if self.arch == "mlp":
            _at_most("feed-forward window", self.window, MAX_MLP_WINDOW, " inputs")
        else:  # only a copy of a price series' window (the data's setting): no feed-forward window to name
            BOUNDS["data.window"].check(self.window)
        if not 0.0 <= self.dropout < 1.0:
            raise PlaygroundError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.arch == "transformer" and self.hidden % self.heads:
            raise PlaygroundError(
                f"Transformer hidden size {self.hidden} must be divisible by heads {self.heads}"
            )
        if self.arch == "mlp" and self.bidirectional:
            raise PlaygroundError(
                "the feed-forward network has no direction: it sees its whole window at once"
            )
        if self.attention and self.arch not in RECURRENT_ARCHS:
            raise PlaygroundError(
                "attention over past states is for RNN, LSTM and GRU (the Transformer is attention throughout)"
            )
        if self.attention and self.bidirectional:
            raise PlaygroundError("attention over past states is for unidirectional models: choose one or the other")
        if self.init == "identity" and self.arch not in RECURRENT_ARCHS:
            raise PlaygroundError("identity init sets the recurrent matrix W_hh: only for RNN, LSTM, GRU")
        return self

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def recurrent(self) -> bool:
        return self.arch in RECURRENT_ARCHS

    def describe(self) -> str:
        parts = [("bidirectional " if self.bidirectional else "") + ARCH_NAMES[self.arch]]
        if self.arch == "rnn":
            parts.append(self.activation)
        parts.append(f"{self.layers} layer{'s' if self.layers > 1 else ''} x {self.hidden}")
        if self.attention:
            parts.append("attention")
        if self.init != "default":
            parts.append(f"{self.init} init")
        return ", ".join(parts)


@dataclass(frozen=True)
class DataConfig:
    """Where the data comes from and how it is cut into examples."""

    kind: str = DEFAULT_KIND  # a name in the registry (core/kinds.py)
    source: str = "bundled"  # bundled corpus, a file, pasted (inline) text, or a generator (prices)
    # memory and order are always generated (from ``seed``): source is "generator" or "bundled", never a file
    path: str = ""  # text, dialog or CSV file
    text: str = ""  # pasted text or dialogs (source="inline")
    column: str = ""  # CSV column: a header name or a 1-based number; "" = the only numeric one
    inputs: str = ""  # other CSV columns the model sees beside it, comma-separated; "" = none
    gaps: str = "refuse"  # what to do with missing CSV values: refuse, interpolate or ffill
    generator: str = "sine"
    values: tuple[float, ...] = ()  # an explicit series such as 10, 11, 12, 13, 14
    length: int = 400  # points a generator makes
    start: float = 100.0
    slope: float = 0.1  # per step, for linear and trend-seasonal
    period: float = 40.0  # steps per cycle, for sine and trend-seasonal
    amplitude: float = 10.0
    noise: float = 1.0  # standard deviation of the added noise
    seed: int = 0  # generators (prices, memory, order) are seeded: the same settings give the same data
    window: int = 16  # prices: N past values predict the next one
    val_fraction: float = 0.1  # the tail held out for validation (order: the share of word sets held out)
    gap: int = 10  # memory: distractor steps between the key and the question mark
    keys: int = 8  # memory: how many keys (A, B, ...) and answers (a, b, ...) there are
    # knock-knock, bundled jokes: made-up jokes (from ``seed``) mixed into training, so the model learns
    # to copy any name; 0: off (the model learns the bundled jokes by heart)
    made_up_jokes: int = 3000
    # the classics: adding, the pairs a sequence holds; temporal-order, the base length (T to T + T/10);
    # copy, the delay between the ten symbols and their copy (the papers' T)
    span: int = 100

    @property
    def question_size(self) -> int | None:
        """What sizes the example question offered in the window (data/demo_questions.py): the memory
        task's digits between key and "?", temporal order's and the adding problem's length T."""
        return self.span if "span" in kind_spec(self.kind).settings else self.gap  # (the copy's is fixed)

    def validate(self) -> DataConfig:
        _choice("data kind", self.kind, DATA_KINDS)
        _choice("data source", self.source, SOURCES)
        _choice("series generator", self.generator, GENERATORS)
        _choice("gap policy", self.gaps, GAP_POLICIES)
        spec = kind_spec(self.kind)
        if spec.generated:
            if self.source not in ("generator", "bundled"):
                raise PlaygroundError(
                    f"{self.kind} sequences are generated from the seed: they take no file or pasted text"
                )
        elif self.source == "generator" and "generator" not in spec.sources:
            raise PlaygroundError("generators make price series, memory and order sequences only")
        if self.source == "file" and not self.path:
            raise PlaygroundError("no file given: pass a path")
        _positive("window", self.window)
        _positive("series length", self.length)
        for name in ("window", "length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise PlaygroundError(f"{name} must be a whole number, got {value!r}")
        _at_most("window", self.window, MAX_SERIES_WINDOW, " past values")
        _at_most("series length", self.length, MAX_SERIES_LENGTH, " points")
        _seed("data seed", self.seed)
        for name in ("start", "slope", "period", "amplitude", "noise"):
            if not math.isfinite(float(getattr(self, name))):
                raise PlaygroundError(f"{name} must be a finite number, got {getattr(self, name)}")
        _positive("period", self.period)
        _positive("noise", self.noise, allow_zero=True)
        for name in ("start", "slope", "period", "amplitude", "noise"):
            BOUNDS[f"data.{name}"].check(float(getattr(self, name)))
        for name in ("gap", "keys"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise PlaygroundError(f"{name} must be a whole number, got {value!r}")
        if not 1 <= self.gap <= MAX_GAP:
            raise PlaygroundError(
                f"gap must be 1 to {MAX_GAP} steps between key and question, got {self.gap}"
            )
        if not 2 <= self.keys <= MAX_KEYS:
            raise PlaygroundError(f"keys must be 2 to {MAX_KEYS} (the letters A to Z), got {self.keys}")
        if (
            not isinstance(self.made_up_jokes, int)
            or isinstance(self.made_up_jokes, bool)
            or not 0 <= self.made_up_jokes <= MAX_MADE_UP_JOKES
        ):
            raise PlaygroundError(f"made-up jokes must be 0 to {MAX_MADE_UP_JOKES:,}, got {self.made_up_jokes!r}")
        BOUNDS["data.span"].check(self.span)
        if not isinstance(self.inputs, str) or len(self.inputs) > MAX_INPUTS_TEXT:
            raise PlaygroundError(f"inputs must be column names separated by commas, up to {MAX_INPUTS_TEXT} characters")
        if self.inputs.strip() and self.source != "file":
            raise PlaygroundError("input columns come from a CSV file: choose a file, or leave the inputs empty")
        if not 0.0 < self.val_fraction < 0.9:
            raise PlaygroundError(f"validation fraction must be in (0, 0.9), got {self.val_fraction}")
        return self


@dataclass(frozen=True)
class TrainConfig:
    """How the optimizer steps. Changing lr between steps is allowed (Trainer.set_lr)."""

    optimizer: str = "adam"
    lr: float = 3e-3  # Adam at 3e-3 trains small character models quickly without blowing up
    batch_size: int = 32
    seq_len: int = 64  # characters per training example (text and dialogs)
    clip: str = "norm"  # by total norm, by value, or off (to watch gradients explode)
    clip_value: float = 1.0  # max total norm, or max |g| per element
    tbptt: int = 0  # truncated BPTT: gradient flows back at most this many steps; 0 = whole sequence
    weight_decay: float = 0.0
    momentum: float = 0.0  # SGD and RMSprop
    val_every: int = 50  # steps between validation losses; 0 = never
    val_batches: int = 4
    seed: int = 0
    device: str = "auto"  # auto = CUDA, then Apple MPS, then CPU

    def validate(self) -> TrainConfig:
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("clipping mode", self.clip, CLIP_MODES)
        _choice("device", self.device, DEVICES)
        _positive("learning rate", self.lr)
        _positive("batch size", self.batch_size)
        _positive("sequence length", self.seq_len)
        _positive("clip value", self.clip_value)
        _positive("truncated BPTT length", self.tbptt, allow_zero=True)
        _positive("weight decay", self.weight_decay, allow_zero=True)
        _positive("momentum", self.momentum, allow_zero=True)
        _positive("validation interval", self.val_every, allow_zero=True)
        _positive("validation batches", self.val_batches)
        if self.seq_len > MAX_SEQ_LEN:
            raise PlaygroundError(f"sequence length {self.seq_len} is too long (at most {MAX_SEQ_LEN})")
        _at_most("batch size", self.batch_size, MAX_BATCH, " sequences")
        _at_most("truncated BPTT length", self.tbptt, MAX_SEQ_LEN, " steps")
        _at_most("validation batches", self.val_batches, MAX_VAL_BATCHES)
        # what the lines above leave open: a learning rate, decay or momentum that trains to NaN
        for name in ("lr", "clip_value", "weight_decay", "momentum", "val_every"):
            value = getattr(self, name)
            BOUNDS[f"train.{name}"].check(float(value) if name != "val_every" else value)
        _seed("seed", self.seed)
        return self


def describe_data(data: dict[str, Any]) -> str:
    """A stored DataConfig dict in a few words, for `rnn-playground info` (its kind's ``info_format``,
    with the defaults for the fields the file leaves out)."""
    return kind_spec(str(data.get("kind"))).describe({**dataclasses.asdict(DataConfig()), **data})


def to_dict(cfg: Any) -> dict[str, Any]:
    d = dataclasses.asdict(cfg)
    for k, v in d.items():
        if isinstance(v, tuple):
            d[k] = list(v)
    return d


def from_dict(cls: type, d: dict[str, Any]) -> Any:
    """Rebuild a config from what a file or the window's settings hold, checking every value's type
    against the field's (its default's type: these configs hold only str, int, float, bool and a
    tuple of floats) before ``validate`` checks its range; keys this version does not know (a newer
    file) are refused. One-line errors naming the setting."""
    if not isinstance(d, dict):
        raise PlaygroundError(f"{cls.__name__} must be a mapping, got {type(d).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(str(k)[:40] for k in set(d) - set(known))
    if unknown:
        raise PlaygroundError(f"{cls.__name__} has settings this version does not know: {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for k, v in d.items():
        kwargs[k] = _typed(k, known[k].default, v)
    return cls(**kwargs).validate()


def _typed(name: str, default: Any, v: Any) -> Any:
    def wrong(expected: str) -> PlaygroundError:
        return PlaygroundError(f"setting {name} must be {expected}, not {type(v).__name__}")

    if isinstance(default, bool):
        if not isinstance(v, bool):
            raise wrong("true or false")
        return v
    if isinstance(default, int):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise wrong("a whole number")
        return v
    if isinstance(default, float):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise wrong("a number")
        if not math.isfinite(v):
            raise PlaygroundError(f"setting {name} must be a finite number, not {v}")
        return float(v)
    if isinstance(default, str):
        if not isinstance(v, str):
            raise wrong("text")
        return v
    if isinstance(default, tuple):
        if not isinstance(v, (list, tuple)) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v):
            raise wrong("a list of numbers")
        return tuple(float(x) for x in v)
    return v


@dataclass(frozen=True)
class SessionConfig:
    """The three together: what a model file and the window's settings hold."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": CONFIG_VERSION,
            "model": to_dict(self.model),
            "data": to_dict(self.data),
            "train": to_dict(self.train),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SessionConfig:
        version = d.get("version", CONFIG_VERSION)
        if not isinstance(version, int) or version > CONFIG_VERSION:
            raise PlaygroundError(
                f"settings version {version} is newer than this RNN Playground reads ({CONFIG_VERSION})"
            )
        data = d.get("data", {})
        if version < 2 and isinstance(data, dict) and "made_up_jokes" not in data:
            data = {**data, "made_up_jokes": 0}  # an older file trained on the bundled jokes alone
        return cls(
            model=from_dict(ModelConfig, d.get("model", {})),
            data=from_dict(DataConfig, data),
            train=from_dict(TrainConfig, d.get("train", {})),
        )
