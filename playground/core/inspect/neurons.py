"""Find the neuron: which hidden unit of a character model follows a property of the text?

A *track* is a number for every character of a text, computed from the text alone: whether
the character is inside a quotation, how deep in brackets it is, how far along its line.
:func:`rank_units` runs a recurrent character model over the text, records every unit's
activation after each character, and ranks the units by how closely they follow the track
(the absolute Pearson correlation; for a yes/no track also the accuracy of the best single
threshold on the unit). A unit that follows "inside a quotation" with r = 0.95 is the
network's own quote detector; ``clamp.sample`` then pins it to see what it does.

Conventions (each track says what is true *after reading* the character at that position,
as the hidden state there is the state after reading it):

* ``quotes``: 1 from an opening double quote mark up to the last character before the closing
  one; the opening mark is 1, the closing mark 0. ``"`` opens and closes in turn; the curly
  marks open (“) and close (”) as they say. An unclosed quotation runs to the end. Binary.
* ``brackets``: how many of ( [ { are open after this character (all three kinds counted
  together): an opening bracket counts itself, a closing one does not; a closing bracket with
  none open is ignored. Not binary.
* ``line-position``: characters since the last newline, this one included; a newline is 0.
  Not binary.
* ``word``: 1 on a letter, a digit or an apostrophe (' or ’). Binary.
* ``digit``: 1 on a decimal digit. Binary.
* ``vowel``: 1 on a, e, i, o, u in either case, with or without an accent (y is not). Binary.
* ``regex:PATTERN``: 1 on every character inside a match of the Python regular expression
  PATTERN (non-overlapping matches, left to right; an empty match marks nothing). Binary.

Bounds: only the first ``MAX_CHARS`` characters of a text are read, a chunk of ``CHUNK``
characters at a time with the state carried from one chunk to the next (a bidirectional model,
whose backward half reads from the end, reads the capped text in one piece). Characters the
model's vocabulary lacks are left out of what the model reads, and their positions out of the
track, so both stay aligned; ``Ranking.skipped`` counts them. Measured on one thread of a 2-core
CPU: an LSTM of 64 units reads 20,000 characters and ranks its 128 units (h and c) in 0.18 s; one
of 128 units in 0.9 s; two layers of 512 (2,048 units, read twice: see ``KEEP_ALL``) in about 50 s.
"""

from __future__ import annotations

import contextlib
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from playground.core.errors import PlaygroundError
from playground.core.shown import cut

__all__ = [
    "CHUNK",
    "MAX_CHARS",
    "TRACKS",
    "Ranking",
    "Track",
    "UnitScore",
    "check_track",
    "default_text",
    "rank_units",
    "single_layers",
    "small_ops_threads",
    "units_of",
]

MAX_CHARS = 20_000  # characters of a text that are read; the rest is left out (Ranking.truncated)
CHUNK = 2_048  # characters the model reads at once, its state carried between chunks
# activations (characters x units, float32) kept in memory from the first pass: 100 MB; beyond (more than
# 1,250 units over 20,000 characters), the text is read a second time for the top units' activations
KEEP_ALL = 25_000_000
REGEX = "regex:"


@dataclass(frozen=True)
class Track:
    """A number for each character of a text (``values``, float64, one per character)."""

    name: str
    values: np.ndarray
    binary: bool  # only 0 and 1: the best single threshold's accuracy is measured too


def _quotes(text: str) -> np.ndarray:
    out = np.zeros(len(text))
    inside = False
    for t, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif ch == "\u201c":
            inside = True
        elif ch == "\u201d":
            inside = False
        out[t] = inside
    return out


def _brackets(text: str) -> np.ndarray:
    out = np.zeros(len(text))
    depth = 0
    for t, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth > 0:
            depth -= 1
        out[t] = depth
    return out


def _line_position(text: str) -> np.ndarray:
    out = np.zeros(len(text))
    since = 0
    for t, ch in enumerate(text):
        since = 0 if ch == "\n" else since + 1
        out[t] = since
    return out


def _per_character(test: Callable[[str], bool]) -> Callable[[str], np.ndarray]:
    """A track that looks at each character on its own (worked out once per different character)."""

    def track(text: str) -> np.ndarray:
        table = {ch: float(test(ch)) for ch in set(text)}
        return np.fromiter((table[ch] for ch in text), dtype=np.float64, count=len(text))

    return track


def _is_vowel(ch: str) -> bool:
    base = unicodedata.normalize("NFD", ch)[:1]
    return base.lower() in ("a", "e", "i", "o", "u")


# name -> (the track's values for a text, binary?)
TRACKS: dict[str, tuple[Callable[[str], np.ndarray], bool]] = {
    "quotes": (_quotes, True),
    "brackets": (_brackets, False),
    "line-position": (_line_position, False),
    "word": (_per_character(lambda ch: ch.isalnum() or ch in "'\u2019"), True),
    "digit": (_per_character(str.isdecimal), True),
    "vowel": (_per_character(_is_vowel), True),
}


REGEX_SECONDS = 5.0  # a regex track's matching runs in a child process stopped after this long
MAX_PATTERN = 1000  # characters of a regex track's pattern
# The child: Python's own re (the same syntax as re.compile here), the spans of the non-empty matches.
_MATCHER = (
    "import json, re, sys\n"
    "d = json.loads(sys.stdin.read())\n"
    "print(json.dumps([m.span() for m in re.finditer(d['p'], d['t']) if m.end() > m.start()]))\n"
)


def _pattern(name: str) -> re.Pattern[str]:
    pattern = name[len(REGEX) :]
    if not pattern:
        raise PlaygroundError("the regex track needs a pattern: regex:PATTERN, e.g. regex:[A-Z]+")
    if len(pattern) > MAX_PATTERN:
        raise PlaygroundError(
            f"the regular expression {cut(pattern, 40)!r} is too long: at most {MAX_PATTERN:,} characters"
        )
    try:
        return re.compile(pattern)
    except re.error as e:
        where = f" at position {e.pos}" if e.pos is not None else ""
        raise PlaygroundError(f"bad regular expression {cut(pattern, 60)!r}: {e.msg}{where}") from None


def _matches(pattern: str, text: str) -> list[tuple[int, int]]:
    """The spans of ``pattern``'s non-empty matches in ``text``, found in a child process that is
    stopped after REGEX_SECONDS: a pattern that backtracks catastrophically ((a|a)*b) costs seconds,
    not hours, in any thread."""
    import json
    import subprocess
    import sys

    try:
        run = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _MATCHER],
            input=json.dumps({"p": pattern, "t": text}),  # ASCII: lone surrogates travel as escapes
            capture_output=True,
            text=True,
            encoding="ascii",
            timeout=REGEX_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise PlaygroundError(
            f"the regular expression {cut(pattern, 60)!r} took more than {REGEX_SECONDS:g} s on "
            f"{len(text):,} characters: it backtracks (repeats inside repeats, or alternatives that "
            "match the same text, such as (a|a)*); simplify it"
        ) from None
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        raise PlaygroundError(f"the regular expression {cut(pattern, 60)!r} could not be matched: {cut(last, 80)}")
    return [(int(a), int(b)) for a, b in json.loads(run.stdout)]


def check_track(name: str) -> None:
    """A one-line error for a track that does not exist or a regular expression that does not compile."""
    if not isinstance(name, str):
        raise PlaygroundError(f"a track is named by a string, got {type(name).__name__}")
    if name.startswith(REGEX):
        _pattern(name)
    elif name not in TRACKS:
        raise PlaygroundError(f"unknown track {cut(name, 60)!r}: choose {', '.join(TRACKS)} or regex:PATTERN")


def track(name: str, text: str) -> Track:
    """The track ``name`` (one of ``TRACKS`` or ``regex:PATTERN``) of ``text``."""
    check_track(name)
    if name.startswith(REGEX):
        values = np.zeros(len(text))
        for start, end in _matches(_pattern(name).pattern, text):
            values[start:end] = 1.0
        return Track(name, values, True)
    make, binary = TRACKS[name]
    return Track(name, make(text), binary)


# -- the model's units -------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitScore:
    """How closely one unit follows a track. ``unit`` counts across directions as torch's output does
    (a bidirectional layer of H units: 0..H-1 forward, H..2H-1 backward); ``kind`` is "h" (the hidden
    state, what the next step and the next layer read) or "c" (an LSTM's cell state)."""

    layer: int
    unit: int
    kind: str
    correlation: float  # Pearson r with the track; 0 for a unit that never changes
    accuracy: float | None  # binary tracks: the best single threshold's accuracy (either direction)
    activations: np.ndarray | None = field(default=None, repr=False, compare=False)  # (characters,)

    @property
    def state(self) -> str:
        return self.kind

    def as_dict(self) -> dict:
        return {
            "layer": self.layer,
            "unit": self.unit,
            "state": self.kind,
            "correlation": self.correlation,
            "accuracy": self.accuracy,
        }


@dataclass(frozen=True)
class Ranking:
    track: str
    binary: bool
    units: tuple[UnitScore, ...]  # best first by |correlation|
    n_units: int  # units scored (every layer, both states of an LSTM)
    characters: int  # characters the model read
    skipped: int  # characters left out: the model's vocabulary lacks them
    truncated: bool  # the text was longer than MAX_CHARS: only its start was read
    seconds: float
    every: np.ndarray | None = None  # r of every unit, in the order of ``units_of(model)``


SMALL_MODEL = 1_000_000  # parameters: below this, one CPU thread reads faster than several


@contextlib.contextmanager
def small_ops_threads(model) -> Iterator[None]:
    """One torch thread for a small model on the CPU, then back: its steps are small matrix products,
    and threads that wait for each other at every step are slower (measured on a busy 2-core machine:
    0.2 s on one thread, 0.7 to 70 s on two, for 20,000 characters through an LSTM of 64)."""
    before = torch.get_num_threads()
    small = sum(p.numel() for p in model.parameters()) < SMALL_MODEL
    if small and next(model.parameters()).device.type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _recurrent(model) -> nn.RNNBase:
    if not getattr(model, "recurrent", False):
        arch = getattr(getattr(model, "cfg", None), "arch", "this")
        raise PlaygroundError(
            f"a {arch} model has no recurrent hidden units: this works on RNN, LSTM and GRU models"
        )
    return model.core


def single_layers(model) -> list[nn.RNNBase]:
    """The model's recurrent core as one single-layer module per layer, with the very weights (copied),
    so that each layer's states can be read (and changed) between layers. Eval mode: no dropout."""
    core = _recurrent(model)
    kind = type(core)
    hidden, dirs = core.hidden_size, 2 if core.bidirectional else 1
    layers = []
    for layer in range(core.num_layers):
        size = core.input_size if layer == 0 else hidden * dirs
        extra = {"nonlinearity": core.nonlinearity} if kind is nn.RNN else {}
        one = kind(size, hidden, 1, bias=core.bias, batch_first=True, bidirectional=core.bidirectional, **extra)
        with torch.no_grad():
            for name, p in one.named_parameters():
                source = getattr(core, name.replace("_l0", f"_l{layer}"))
                p.data = source.detach().clone()
        layers.append(one.eval())
    return layers


def units_of(model) -> list[tuple[int, int, str]]:
    """(layer, unit, kind) for every unit ``rank_units`` scores, in the order of its activation columns:
    per layer the hidden state h, then for an LSTM its cell state c."""
    core = _recurrent(model)
    width = core.hidden_size * (2 if core.bidirectional else 1)
    kinds = ("h", "c") if isinstance(core, nn.LSTM) else ("h",)
    return [(layer, u, k) for layer in range(core.num_layers) for k in kinds for u in range(width)]


def _cell_states(one: nn.LSTM, x: torch.Tensor, out: torch.Tensor, h0, c0) -> torch.Tensor:
    """The LSTM cell state after every step (torch returns only the last): the gates worked out from
    the inputs and the previous hidden states (``out`` shifted by one), then c_t = f c_{t-1} + i g."""
    hidden = one.hidden_size
    steps = x.shape[1]
    per_dir = []
    for d in range(2 if one.bidirectional else 1):
        sfx = "_l0_reverse" if d else "_l0"
        h_seq = out[0, :, d * hidden : (d + 1) * hidden]  # (T, H)
        h_prev = torch.cat([h0[d], h_seq[:-1]]) if d == 0 else torch.cat([h_seq[1:], h0[d]])
        pre = x[0] @ getattr(one, "weight_ih" + sfx).T + h_prev @ getattr(one, "weight_hh" + sfx).T
        if one.bias:
            pre = pre + getattr(one, "bias_ih" + sfx) + getattr(one, "bias_hh" + sfx)
        i, f, g, _ = pre.double().cpu().chunk(4, dim=-1)
        i, f, g = torch.sigmoid(i).numpy(), torch.sigmoid(f).numpy(), torch.tanh(g).numpy()
        ig = i * g
        c = np.empty((steps, hidden))
        state = c0[d].double().cpu().numpy()[0]
        for t in range(steps - 1, -1, -1) if d else range(steps):
            state = f[t] * state + ig[t]
            c[t] = state
        per_dir.append(c)
    return torch.from_numpy(np.concatenate(per_dir, axis=1))  # (T, D*H)


@torch.no_grad()
def _activations(model, ids: np.ndarray) -> Iterator[np.ndarray]:
    """Every unit's activation after each character of ``ids``, a chunk at a time: (chunk, units)
    float64 arrays, columns as ``units_of``. The state is carried from chunk to chunk."""
    layers = single_layers(model)
    device = next(model.parameters()).device
    both = layers[0].bidirectional
    states: list = [None] * len(layers)
    size = len(ids) if both else CHUNK
    for start in range(0, len(ids), size):
        x = model.encode(torch.from_numpy(ids[start : start + size])[None].to(device))
        columns = []
        for n, one in enumerate(layers):
            if states[n] is None:  # zeros, as the model starts every text
                zeros = x.new_zeros(2 if both else 1, 1, one.hidden_size)
                states[n] = (zeros, zeros.clone()) if isinstance(one, nn.LSTM) else zeros
            before = states[n]
            out, states[n] = one(x, before)
            columns.append(out[0].double().cpu())
            if isinstance(one, nn.LSTM):
                h0, c0 = before
                columns.append(_cell_states(one, x, out, h0, c0))
            x = out
        yield torch.cat(columns, dim=1).numpy()


def _accuracy(a: np.ndarray, y: np.ndarray) -> float:
    """The best accuracy of "y is 1 where a is above a threshold" (or below it), over every threshold."""
    n = len(a)
    order = np.argsort(a, kind="stable")
    a_sorted, y_sorted = a[order], y[order]
    below = np.concatenate([[0.0], np.cumsum(y_sorted)])  # ones among the k lowest, k = 0..n
    k = np.arange(n + 1)
    right = (k - below) + (below[-1] - below)  # zeros below the threshold + ones above it
    cut = np.ones(n + 1, dtype=bool)  # a threshold can only fall between two different values
    cut[1:-1] = a_sorted[:-1] < a_sorted[1:]
    return float(max(right[cut].max(), n - right[cut].min()) / n)


def _encodable(task, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids of the characters the vocabulary has, and which positions of ``text`` they are."""
    stoi = task.stoi
    ids = np.fromiter((stoi.get(ch, -1) for ch in text), dtype=np.int64, count=len(text))
    keep = ids >= 0
    return ids[keep], keep


def _check_character_model(model, task) -> None:
    spec = task.spec
    if not (spec.tokens and spec.many_to_many and getattr(task, "stoi", None)):
        raise PlaygroundError(
            f"a {task.kind} model does not read text one character at a time: tracks follow the characters "
            "of a text, so use a model of text, knock-knock dialogs or quotes"
        )
    _recurrent(model)


def default_text(task) -> str:
    """The text a model is looked at on when none is given: its held-out text (else its training text),
    from the first line break in its first 2,000 characters on. The held-out part is cut from the data at
    a character count, maybe in the middle of a quotation or an aside; from a line's start the tracks
    that count from the start of a text (quotes, brackets, line-position) read it as it was written."""
    for ids in (getattr(task, "val_ids", ()), getattr(task, "train_ids", ())):
        if len(ids) >= 2:
            text = task.decode(ids[: MAX_CHARS + 2_000])
            cut = text.find("\n", 0, 2_000)
            if 0 <= cut < len(text) - 2:
                text = text[cut + 1 :]
            return text[:MAX_CHARS]
    raise PlaygroundError("this model's data is not available: give a text to read (--file or --text)")


def rank_units(
    model, task, text: str, track_name: str, top: int | None = 10, keep_activations: bool = False
) -> Ranking:
    """Run ``model`` over (the first ``MAX_CHARS`` characters of) ``text`` and rank its units by how
    closely they follow the track: |Pearson r|, best first. ``top``: how many units to return (None:
    all). ``keep_activations``: each returned unit carries its activation after every character read."""
    t0 = time.perf_counter()
    check_track(track_name)
    _check_character_model(model, task)
    if top is not None and top < 1:
        raise PlaygroundError(f"top must be at least 1, got {top}")
    truncated = len(text) > MAX_CHARS
    text = text[:MAX_CHARS]
    tr = track(track_name, text)
    ids, keep = _encodable(task, text)
    y = tr.values[keep]
    if len(ids) < 2:
        raise PlaygroundError(
            "the text has fewer than two characters this model knows: nothing to correlate with"
        )
    if float(y.std()) == 0.0:
        raise PlaygroundError(
            f"the track {track_name!r} is {y[0]:g} at every character of this text: give a text where it changes"
        )
    units = units_of(model)
    n = len(ids)
    keep_all = n * len(units) <= KEEP_ALL
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), small_ops_threads(model):
            sums, kept = _correlation_sums(model, ids, y, keep_all)
            r = _pearson(sums, n, y)
            order = np.argsort(-np.abs(r), kind="stable")[: top if top is not None else len(units)]
            # the top units' activations: for the accuracy of a yes/no track, or when asked for
            chosen = _columns(model, ids, order, kept) if tr.binary or keep_activations else None
    finally:
        model.train(was_training)
    scores = []
    for i, j in enumerate(order):
        layer, unit, kind = units[j]
        col = chosen[:, i] if chosen is not None else None
        accuracy = _accuracy(col, y) if tr.binary else None
        activations = col.astype(np.float32) if keep_activations else None
        scores.append(UnitScore(layer, unit, kind, float(r[j]), accuracy, activations))
    return Ranking(
        track=track_name,
        binary=tr.binary,
        units=tuple(scores),
        n_units=len(units),
        characters=n,
        skipped=len(text) - n,
        truncated=truncated,
        seconds=time.perf_counter() - t0,
        every=np.asarray(r, dtype=np.float32),
    )


def _correlation_sums(model, ids: np.ndarray, y: np.ndarray, keep_all: bool) -> tuple[dict, list | None]:
    """One pass over the text: the sums Pearson's r needs, per unit, each activation measured from the
    unit's first-chunk mean (so a nearly constant unit loses no precision); the activations themselves
    too when they fit in ``KEEP_ALL``."""
    sums: dict = {}
    kept: list[np.ndarray] | None = [] if keep_all else None
    start = 0
    for acts in _activations(model, ids):
        part = y[start : start + len(acts)]
        start += len(acts)
        if not sums:
            sums = {"shift": acts.mean(axis=0), "a": 0.0, "aa": 0.0, "ay": 0.0}
        a = acts - sums["shift"]
        sums["a"] = sums["a"] + a.sum(axis=0)
        sums["aa"] = sums["aa"] + (a * a).sum(axis=0)
        sums["ay"] = sums["ay"] + part @ a
        if kept is not None:
            kept.append(acts.astype(np.float32))
    return sums, kept


def _pearson(sums: dict, n: int, y: np.ndarray) -> np.ndarray:
    y_mean = y.mean()
    var_y = float(((y - y_mean) ** 2).sum())
    var_a = np.maximum(sums["aa"] - sums["a"] ** 2 / n, 0.0)
    cov = sums["ay"] - sums["a"] * y_mean
    flat = var_a <= 1e-18 * n  # a unit that never changes (a standard deviation below 1e-9): r = 0
    r = np.where(flat, 0.0, cov / np.sqrt(np.where(flat, 1.0, var_a) * var_y))
    return np.clip(r, -1.0, 1.0)


def _columns(model, ids: np.ndarray, which: np.ndarray, kept: list | None) -> np.ndarray:
    """The activations of the units ``which`` (column numbers) after each character: (characters,
    len(which)) float64, from memory or read again."""
    source = kept if kept is not None else _activations(model, ids)
    chunks = [acts[:, which] for acts in source]
    return np.concatenate(chunks, axis=0).astype(np.float64)
