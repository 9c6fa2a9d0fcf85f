"""From correlation to cause: ablate hidden units and measure what it costs; carry a memory from one
text into another.

``neurons.rank_units`` finds a unit whose activation follows "inside a quotation". That is a
correlation. Two interventions ask whether the model *uses* it:

* :func:`ablate` holds units at zero (or at their mean over the text) after every step and measures
  the rise of the next-character loss where a yes/no track holds ("inside") and where it does not
  ("outside"), beside the same for units of the same layer drawn at random: the look-alike. A unit
  the model needs for quotations raises the loss inside more than any random unit does, and more
  than it raises it outside.
* :func:`patch` (an interchange intervention) reads a source text and a target text, puts the
  source's state (all of it, chosen units, or its part along a principal direction) into the
  target's, and lets the model write on: the continuation and the next-character probabilities with
  and without the transplant. Put the state after ``he said "`` into a plain sentence and a model
  that keeps "inside a quotation" in its state writes the quoted style.

Mechanics. The recurrent core is run one layer and one direction at a time (each a single-layer,
single-direction copy with the model's own weights); a layer with a held unit runs step by step and
overwrites the unit after each step, so the next step, the next layer and the readout all read the
held value. Several edited runs share one pass: each is a row of the batch. Holding an LSTM's cell
state c at a value acts from the next step on (the step's h was already made from its c). Units are
numbered as ``rnn-playground neurons`` lists them: layer and unit from 0, across both directions of
a bidirectional layer (0..H-1 forward, H..2H-1 backward), kind "h" or (LSTM) "c".

Holding unit u of h at zero at every step is the same as deleting its outgoing weights (its column
of every recurrent matrix and of what reads the layer): the tests check exactly that, for every
architecture and both directions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground.core import inference
from playground.core.errors import PlaygroundError
from playground.core.inspect import neurons
from playground.core.inspect.trajectory import project

__all__ = [
    "ABLATE_CHARS",
    "MODES",
    "Ablation",
    "Cost",
    "Patch",
    "ablate",
    "edited_logits",
    "parse_units",
    "patch",
]

ABLATE_CHARS = 5_000  # characters of a text an ablation reads (each edited run steps through them)
MAX_UNITS = 64  # units one ablation may ask about (each is a row of the batch)
RANDOM_UNITS = 10  # the look-alike: this many units of the same layer, drawn at random
ROW_FLOATS = 40_000_000  # floats of one pass's layer outputs (rows x characters x width): ~160 MB
MODES = ("zero", "mean")

Unit = tuple[int, int, str]  # (layer, unit, kind): kind "h", or "c" for an LSTM's cell state


# -- the units ---------------------------------------------------------------------------------------
def parse_units(text: str) -> list[Unit]:
    """ "0:5,1:17:c" -> [(0, 5, "h"), (1, 17, "c")]: a one-line error for anything else."""
    units: list[Unit] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        bits = part.split(":")
        kind = bits[2].strip() if len(bits) == 3 else "h"
        try:
            if len(bits) not in (2, 3) or kind not in ("h", "c"):
                raise ValueError
            layer, unit = int(bits[0]), int(bits[1])
        except ValueError:
            raise PlaygroundError(
                f"expected units as LAYER:UNIT (or LAYER:UNIT:c for an LSTM's cell state), such as 0:5,0:17, "
                f"got {part[:40]!r}"
            ) from None
        if layer < 0 or unit < 0:
            raise PlaygroundError(f"layer and unit count from 0, got {part[:40]!r}")
        units.append((layer, unit, kind))
    if not units:
        raise PlaygroundError("no units given: name them as LAYER:UNIT, such as 0:5,0:17")
    return units


def _core(model) -> nn.RNNBase:
    return neurons._recurrent(model)  # a one-line error for a model without recurrent units


def _check_units(model, units: Sequence[Unit]) -> list[Unit]:
    core = _core(model)
    width = core.hidden_size * (2 if core.bidirectional else 1)
    lstm = isinstance(core, nn.LSTM)
    seen: set[Unit] = set()
    out: list[Unit] = []
    for layer, unit, kind in units:
        if not 0 <= layer < core.num_layers:
            last = core.num_layers - 1
            raise PlaygroundError(
                f"layer {layer} does not exist: the model has layer{'s 0 to ' if last else ' '}{last}"
            )
        if not 0 <= unit < width:
            raise PlaygroundError(f"unit {unit} does not exist: layer {layer} has units 0 to {width - 1}")
        if kind == "c" and not lstm:
            raise PlaygroundError(f"unit {layer}:{unit}:c: only an LSTM has a cell state c")
        if (layer, unit, kind) in seen:
            raise PlaygroundError(f"unit {layer}:{unit} {kind} is named twice")
        seen.add((layer, unit, kind))
        out.append((int(layer), int(unit), kind))
    return out


# -- running the core with units held ----------------------------------------------------------------
def _directions(model) -> list[list[nn.RNNBase]]:
    """Per layer, per direction: a single-layer, single-direction copy of the core with its weights."""
    core = _core(model)
    kind, hidden = type(core), core.hidden_size
    dirs = 2 if core.bidirectional else 1
    extra = {"nonlinearity": core.nonlinearity} if kind is nn.RNN else {}
    layers = []
    for layer in range(core.num_layers):
        size = core.input_size if layer == 0 else hidden * dirs
        row = []
        for d in range(dirs):
            one = kind(size, hidden, 1, bias=core.bias, batch_first=True, **extra)
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            with torch.no_grad():
                for name, p in one.named_parameters():
                    p.data = getattr(core, name.replace("_l0", suffix)).detach().clone()
            row.append(one.to(next(core.parameters()).device).eval())
        layers.append(row)
    return layers


def _stepped(one: nn.RNNBase, x: torch.Tensor, reverse: bool, hold_h, hold_c) -> torch.Tensor:
    """One direction of one layer over x (R, T, In), a step at a time, units held after each step.
    ``hold_h``/``hold_c``: (mask (R, H) bool, values (R, H)) or None. Returns the outputs (R, T, H)."""
    rows, steps, _ = x.shape
    lstm = isinstance(one, nn.LSTM)
    h = x.new_zeros(1, rows, one.hidden_size)
    c = x.new_zeros(1, rows, one.hidden_size)
    out = x.new_empty(rows, steps, one.hidden_size)
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        if lstm:
            _, (h, c) = one(x[:, t : t + 1], (h, c))
        else:
            _, h = one(x[:, t : t + 1], h)
        if hold_h is not None:
            h = torch.where(hold_h[0], hold_h[1], h[0])[None]
        if hold_c is not None:
            c = torch.where(hold_c[0], hold_c[1], c[0])[None]
        out[:, t] = h[0]
    return out


def edited_logits(model, ids: np.ndarray, rows: Sequence[Mapping[Unit, float]]) -> torch.Tensor:
    """The model's outputs (R, T, V) reading ``ids`` once per row, row r with the units ``rows[r]``
    ({(layer, unit, kind): value}) held at their values after every step. A row with no units reads
    as the model does (up to float rounding)."""
    core = _core(model)
    hidden, dirs = core.hidden_size, 2 if core.bidirectional else 1
    dev = next(model.parameters()).device
    n = len(rows)
    holds: dict[tuple[int, int, str], tuple[torch.Tensor, torch.Tensor]] = {}
    for r, edits in enumerate(rows):
        for (layer, unit, kind), value in edits.items():
            d, u = divmod(int(unit), hidden)
            mask, values = holds.setdefault(
                (layer, d, kind),
                (torch.zeros(n, hidden, dtype=torch.bool, device=dev), torch.zeros(n, hidden, device=dev)),
            )
            mask[r, u] = True
            values[r, u] = float(value)
    x = model.encode(torch.as_tensor(ids, dtype=torch.long, device=dev)[None]).expand(n, -1, -1).contiguous()
    for layer, row in enumerate(_directions(model)):
        outs = []
        for d, one in enumerate(row):
            hold_h, hold_c = holds.get((layer, d, "h")), holds.get((layer, d, "c"))
            if hold_h is None and hold_c is None:  # nothing held here: the whole sequence at once
                seq = x.flip(1) if d else x
                out, _ = one(seq)
                outs.append(out.flip(1) if d else out)
            else:
                outs.append(_stepped(one, x, bool(d), hold_h, hold_c))
        x = torch.cat(outs, dim=-1) if dirs > 1 else outs[0]
    return model.readout(x)


# -- ablation ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cost:
    """What holding ``units`` costs: the rise of the mean next-character loss (nats per character)
    where the track holds (``inside``) and where it does not (``outside``)."""

    units: tuple[Unit, ...]
    inside: float
    outside: float

    def as_dict(self) -> dict:
        return {"inside": self.inside, "outside": self.outside}

    @property
    def name(self) -> str:
        return ", ".join(
            f"{layer}:{unit}" + (":c" if kind == "c" else "") for layer, unit, kind in self.units
        )


@dataclass(frozen=True)
class Ablation:
    track: str
    mode: str  # "zero" or "mean"
    characters: int  # characters read (the loss is measured on the next character after each but the last)
    inside_chars: int
    outside_chars: int
    base_inside: float  # the unedited model's mean loss inside / outside
    base_outside: float
    units: tuple[Cost, ...]  # each asked unit held alone, in the order asked
    together: Cost | None  # every asked unit held at once (when more than one was asked)
    random: tuple[Cost, ...]  # the look-alike: random units of the first asked unit's layer and kind
    random_groups: tuple[Cost, ...]  # with several units of one layer: random groups as large, held together
    truncated: bool
    seconds: float

    def spread(self) -> dict:
        """The random units' rises: {"inside": {"max", "mean"}, "outside": {...}, "units": n}."""
        out: dict = {"units": len(self.random)}
        for side in ("inside", "outside"):
            values = [getattr(c, side) for c in self.random]
            out[side] = {"max": max(values), "mean": float(np.mean(values))} if values else None
        return out

    def beats_random(self, cost: Cost) -> bool:
        """The unit (or group) costs more inside than every random unit (or random group as large), and more
        inside than outside."""
        pool = self.random_groups if len(cost.units) > 1 else self.random
        return bool(pool) and cost.inside > max(c.inside for c in pool) and cost.inside > cost.outside

    def group_spread(self) -> dict | None:
        """The random groups' rises, as ``spread`` (None without groups)."""
        if not self.random_groups:
            return None
        out: dict = {"groups": len(self.random_groups), "size": len(self.random_groups[0].units)}
        for side in ("inside", "outside"):
            values = [getattr(c, side) for c in self.random_groups]
            out[side] = {"max": max(values), "mean": float(np.mean(values))}
        return out


def _means(model, ids: np.ndarray) -> dict[Unit, float]:
    """Each unit's mean activation over ``ids`` (the unedited model)."""
    total = None
    for acts in neurons._activations(model, ids):
        part = acts.sum(axis=0)
        total = part if total is None else total + part
    assert total is not None
    return {u: float(v) for u, v in zip(neurons.units_of(model), total / len(ids), strict=True)}


def ablate(
    model,
    task,
    text: str,
    units: Sequence[Unit],
    track_name: str,
    mode: str = "zero",
    random_units: int = RANDOM_UNITS,
    seed: int = 0,
) -> Ablation:
    """Hold each of ``units`` (and all of them together) at zero or at its mean over ``text`` and
    measure the loss inside and outside the yes/no track, beside ``random_units`` random units of the
    first unit's layer and kind (and, with several units of one layer and kind, beside as many random
    groups as large, held together). Reads the first ``ABLATE_CHARS`` characters of ``text``."""
    t0 = time.perf_counter()
    if mode not in MODES:
        raise PlaygroundError(
            f"ablation holds a unit at zero or at its mean: mode must be zero or mean, got {mode!r}"
        )
    neurons.check_track(track_name)
    neurons._check_character_model(model, task)
    units = _check_units(model, units)
    if len(units) > MAX_UNITS:
        raise PlaygroundError(f"at most {MAX_UNITS} units can be ablated at once, got {len(units)}")
    if not isinstance(random_units, int) or not 0 <= random_units <= 100:
        raise PlaygroundError(f"random units must be 0 to 100, got {random_units}")
    truncated = len(text) > ABLATE_CHARS
    text = text[:ABLATE_CHARS]
    tr = neurons.track(track_name, text)
    if not tr.binary:
        raise PlaygroundError(
            f"ablation splits the loss where a yes/no track holds and where it does not: {track_name!r} is a "
            "number; choose quotes, word, digit, vowel or regex:PATTERN"
        )
    ids, keep = neurons._encodable(task, text)
    y = tr.values[keep][:-1] > 0.5  # the loss at t predicts character t+1 from the state after t
    if len(ids) < 3 or y.all() or not y.any():
        raise PlaygroundError(
            f"the track {track_name!r} must hold on some characters of the text and not on others: "
            "give a text where it changes"
        )
    core = _core(model)
    width = core.hidden_size * (2 if core.bidirectional else 1)
    rng = np.random.default_rng(seed)
    layer, _, kind = units[0]
    pool = [(layer, u, kind) for u in range(width) if (layer, u, kind) not in units]
    picked = [
        pool[i] for i in sorted(rng.choice(len(pool), size=min(random_units, len(pool)), replace=False))
    ]
    size = len(units) if all((lay, k) == (layer, kind) for lay, _, k in units) else 0  # one layer and kind
    draws = (
        [
            tuple(pool[i] for i in sorted(rng.choice(len(pool), size=size, replace=False)))
            for _ in range(random_units)
        ]
        if 1 < size <= len(pool)
        else []
    )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), neurons.small_ops_threads(model):
            means = _means(model, ids) if mode == "mean" else {}
            value = (lambda u: means[u]) if mode == "mean" else (lambda u: 0.0)
            groups: list[tuple[Unit, ...]] = [(u,) for u in units]
            if len(units) > 1:
                groups.append(tuple(units))
            groups += [(u,) for u in picked]
            groups += draws
            rows = [{}] + [{u: value(u) for u in g} for g in groups]
            losses = _row_losses(model, ids, rows, width * core.num_layers)
    finally:
        model.train(was_training)
    inside = losses[:, y].mean(axis=1)
    outside = losses[:, ~y].mean(axis=1)
    costs = [
        Cost(g, float(inside[i + 1] - inside[0]), float(outside[i + 1] - outside[0]))
        for i, g in enumerate(groups)
    ]
    k = len(units)
    together = costs[k] if k > 1 else None
    first = k + (1 if together else 0)
    return Ablation(
        track=track_name,
        mode=mode,
        characters=len(ids),
        inside_chars=int(y.sum()),
        outside_chars=int((~y).sum()),
        base_inside=float(inside[0]),
        base_outside=float(outside[0]),
        units=tuple(costs[:k]),
        together=together,
        random=tuple(costs[first : first + len(picked)]),
        random_groups=tuple(costs[first + len(picked) :]),
        truncated=truncated,
        seconds=time.perf_counter() - t0,
    )


def _row_losses(model, ids: np.ndarray, rows: list[dict], width: int) -> np.ndarray:
    """The next-character loss (rows, characters - 1) of each row's edited run, a few rows per pass."""
    per_pass = max(2, min(len(rows), ROW_FLOATS // max(1, len(ids) * width)))
    target = torch.as_tensor(ids[1:], dtype=torch.long, device=next(model.parameters()).device)
    out = []
    for start in range(0, len(rows), per_pass):
        logits = edited_logits(model, ids, rows[start : start + per_pass])[:, :-1]
        logp = torch.log_softmax(logits.double(), dim=-1)
        out.append(-logp.gather(-1, target.expand(len(logits), -1)[..., None])[..., 0].cpu().numpy())
    return np.concatenate(out)


# -- transplant --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Patch:
    what: str  # what was carried, in words
    source_at: int  # characters of the source read before its state was taken
    target_at: int  # characters of the target read before the state was put in
    unpatched: str  # the continuation of the target as it is
    patched: str  # the continuation with the source's state put in
    next_unpatched: tuple[tuple[str, float], ...]  # the most likely next characters, without / with
    next_patched: tuple[tuple[str, float], ...]
    moved: float  # how far the state moved: the norm of the change (every layer, h and c)

    def as_dict(self) -> dict:
        return {
            "carried": self.what,
            "source_at": self.source_at,
            "target_at": self.target_at,
            "unpatched": self.unpatched,
            "patched": self.patched,
            "next_unpatched": [{"char": ch, "p": p} for ch, p in self.next_unpatched],
            "next_patched": [{"char": ch, "p": p} for ch, p in self.next_patched],
            "moved": self.moved,
        }


def _check_patchable(model, task) -> None:
    if not getattr(model, "recurrent", False):
        if hasattr(model, "decoder") or getattr(getattr(model, "cfg", None), "arch", None) is None:
            raise PlaygroundError(
                "an encoder-decoder's decoder starts from the encoder's summary, not from a text it read: "
                "a transplant needs a model that reads and writes one text (text, knock-knock, quotes)"
            )
        raise PlaygroundError(
            f"a {model.cfg.arch} model carries no hidden state from step to step: there is no memory to "
            "transplant; use an RNN, LSTM or GRU"
        )
    if model.attends:
        raise PlaygroundError(
            "a model with attention also reads a mix of every earlier state, which a carried state does not "
            "hold: a transplant would move only part of its memory; train one with --no-attention"
        )
    if model.cfg.bidirectional:
        raise PlaygroundError("a bidirectional model does not write text: there is nothing to continue")
    if not (getattr(task, "vocab", None) and task.many_to_many):
        raise PlaygroundError(f"a {task.kind} model does not write text: a transplant continues a text")


def _zero_state(model):
    core = model.core
    dev = next(model.parameters()).device
    h = torch.zeros(core.num_layers, 1, core.hidden_size, device=dev)
    return (h, h.clone()) if isinstance(core, nn.LSTM) else h


def _read(model, ids: Sequence[int], state) -> tuple[torch.Tensor | None, object, torch.Tensor | None]:
    """Read ``ids`` from ``state``: (the top layer's outputs (T, H) or None, the state after, the logits
    after the last character or None)."""
    if not len(ids):
        return None, state, None
    dev = next(model.parameters()).device
    x = model.encode(torch.tensor([list(ids)], dtype=torch.long, device=dev))
    out, state = model.core(x, state)
    return out[0], state, model.readout(out)[0, -1]


def _states(state) -> list[torch.Tensor]:
    return list(state) if isinstance(state, tuple) else [state]


def _rebuild(parts: list[torch.Tensor]):
    return tuple(parts) if len(parts) == 2 else parts[0]


class _Continue:
    """``inference.sample``'s stepper, starting from a prepared state and its logits."""

    def __init__(self, model, state, logits: torch.Tensor):
        self.model, self.state, self.logits = model, state, logits

    def push(self, token: int) -> None:
        _, self.state, self.logits = _read(self.model, [token], self.state)


def _top(logits: torch.Tensor, task, k: int) -> tuple[tuple[str, float], ...]:
    p = torch.softmax(logits.double(), dim=-1)
    values, index = torch.topk(p, min(k, p.numel()))
    return tuple((task.vocab[int(i)], float(v)) for v, i in zip(values, index, strict=True))


def patch(
    model,
    task,
    source: str,
    target: str,
    units: Sequence[Unit] | None = None,
    direction: int | None = None,
    at: tuple[int | None, int | None] = (None, None),
    length: int = 80,
    temperature: float = 0.0,
    top_k: int = 0,
    seed: int | None = 0,
    top: int = 5,
) -> Patch:
    """Read ``source`` (its first ``at[0]`` characters; all by default) and ``target`` (its first
    ``at[1]``), put the source's state into the target's (all of it, the ``units`` (h, and c of an
    LSTM, of those units), or the part along principal ``direction`` N of the top layer's states over
    both texts), read the rest of the target, and write ``length`` characters on, beside the target's
    own continuation (the same settings and seed). Temperature 0 is greedy."""
    _check_patchable(model, task)
    if not source or not target:
        raise PlaygroundError("give both a source text and a target text (neither may be empty)")
    if units is not None and direction is not None:
        raise PlaygroundError("carry either chosen units or a principal direction, not both")
    units = _check_units(model, units) if units is not None else None
    src, tgt = task.encode(source, what="source text"), task.encode(target, what="target text")
    s = len(src) if at[0] is None else at[0]
    t = len(tgt) if at[1] is None else at[1]
    if not 1 <= s <= len(src):
        raise PlaygroundError(f"the source's state is taken after 1 to {len(src)} characters, got {s}")
    if not 0 <= t <= len(tgt):
        raise PlaygroundError(f"the state is put in after 0 to {len(tgt)} characters of the target, got {t}")
    hidden = model.core.hidden_size
    if direction is not None and not 1 <= direction <= hidden:
        raise PlaygroundError(
            f"the principal direction is 1 to {hidden} (the hidden state's size), got {direction}"
        )
    unpatched = inference.sample(model, task, target, length, temperature, top_k, False, seed)
    with inference.inference_mode(model), neurons.small_ops_threads(model):
        _, s_state, _ = _read(model, src[:s], _zero_state(model))
        _, t_state, t_logits = _read(model, tgt[:t], _zero_state(model))
        before = [p.clone() for p in _states(t_state)]
        parts = [p.clone() for p in _states(t_state)]
        carried = _states(s_state)
        if units is None and direction is None:
            parts = [p.clone() for p in carried]
            what = "the whole state"
        elif units is not None:
            for layer, unit, _kind in units:
                for mine, theirs in zip(parts, carried, strict=True):  # h, and an LSTM's c
                    mine[layer, 0, unit] = theirs[layer, 0, unit]
            what = "units " + ", ".join(f"{layer}:{unit}" for layer, unit, _ in units)
        else:
            axis = _direction(model, src, tgt, direction)
            top_layer = model.core.num_layers - 1
            shift = float((carried[0][top_layer, 0] - parts[0][top_layer, 0]) @ axis)
            parts[0][top_layer, 0] = parts[0][top_layer, 0] + shift * axis
            what = f"principal direction {direction} of the top layer's h"
        moved = float(sum(float(((a - b) ** 2).sum()) for a, b in zip(parts, before, strict=True)) ** 0.5)
        state = _rebuild(parts)
        logits = model.readout(parts[0][-1][None])[0, -1]  # what the patched top-layer h predicts
        if t < len(tgt):
            _, state, logits = _read(model, tgt[t:], state)
        next_patched = _top(logits, task, top)
        start = _Continue(model, state, logits)
        patched = inference.sample(
            model, task, target, length, temperature, top_k, False, seed, stepper=lambda m, p: start
        )
        if t_logits is None or t < len(tgt):
            _, _, t_logits = _read(model, tgt, _zero_state(model))
        next_unpatched = _top(t_logits, task, top)
    return Patch(what, s, t, unpatched, patched, next_unpatched, next_patched, moved)


def _direction(model, src: np.ndarray, tgt: np.ndarray, n: int) -> torch.Tensor:
    """Principal direction ``n`` (from 1) of the top layer's h over reading both texts."""
    a, _, _ = _read(model, src, _zero_state(model))
    b, _, _ = _read(model, tgt, _zero_state(model))
    states = torch.cat([a, b]).double().cpu().numpy()
    if n > min(states.shape):
        raise PlaygroundError(
            f"principal direction {n} does not exist: the two texts' {len(states)} states span at most "
            f"{min(states.shape)} directions"
        )
    comps = project(states, k=n).components
    return torch.as_tensor(comps[n - 1], dtype=a.dtype, device=a.device)
