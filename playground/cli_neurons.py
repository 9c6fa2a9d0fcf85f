"""The command line's look at single hidden units: `neurons` (which unit follows a property of the
text; with --ablate, what holding it costs), `sample --clamp` (write with units pinned) and `patch`
(carry a state from one text into another). The options are ``cli_args.py``'s; the work is
``core/inspect/``'s (neurons, clamp, intervene). Nothing here imports torch until a command runs."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from playground.core.errors import PlaygroundError

CLAMP_HELP = (
    "pin hidden unit U of layer L to the value V at every step, prompt included (L and U count from 0, "
    "as `neurons` lists them: 0:17=0.9); repeat for more units. RNN, LSTM and GRU models without attention"
)
TRACK_HELP = (
    "what to follow: quotes (1 from an opening double quote to just before the closing one), brackets "
    "(how many of ( [ { are open), line-position (characters since the last newline), word (letters, "
    "digits, apostrophes), digit, vowel, or regex:PATTERN (1 on characters inside a match)"
)
NEURONS_DESCRIPTION = (
    "Run a character model over a text and rank its hidden units (every layer; an LSTM's cell states "
    "too) by how closely each follows a property of the text: |Pearson r|, best first, and for yes/no "
    "tracks the accuracy of the best threshold on the unit. Reads the first 20,000 characters; "
    "characters the model's vocabulary lacks are left out."
)


PATCH_DESCRIPTION = (
    "Read a source text and a target text with a character model, put the source's hidden state (all of it, "
    "chosen units, or its part along a principal direction) into the target's, and write on: the continuation "
    "and the likeliest next characters with and without the transplant, from the same seed. Does the model "
    'carry "inside a quotation" in its state? Carry the state after `he said "` into a plain sentence.'
)


def units_arg(text: str) -> list[tuple[int, int, str]]:
    """An argparse type: "0:5,0:17" -> [(0, 5, "h"), (0, 17, "h")]."""
    from playground.core.inspect.intervene import parse_units  # torch: only when the option is given

    try:
        return parse_units(text)
    except PlaygroundError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def at_arg(text: str) -> tuple[int | None, int | None]:
    """An argparse type: "S:T", "S:" or ":T" -> (S or None, T or None)."""
    source, colon, target = text.partition(":")
    try:
        if not colon:
            raise ValueError
        return (int(source) if source.strip() else None, int(target) if target.strip() else None)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected SOURCE:TARGET character counts such as 9:0, got {text!r}"
        ) from None


def clamp_arg(text: str) -> tuple[int, int, float]:
    """An argparse type: "L:U=V" -> (layer, unit, value)."""
    wrong = f"expected LAYER:UNIT=VALUE such as 0:17=0.9, got {text!r}"
    where, eq, value = text.partition("=")
    layer, colon, unit = where.partition(":")
    if not (eq and colon):
        raise argparse.ArgumentTypeError(wrong)
    try:
        numbers = int(layer.strip()), int(unit.strip()), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(wrong) from None
    if numbers[0] < 0 or numbers[1] < 0:
        raise argparse.ArgumentTypeError(f"layer and unit count from 0, got {text!r}")
    if not math.isfinite(numbers[2]):
        raise argparse.ArgumentTypeError(f"the value must be a finite number, got {text!r}")
    return numbers


def _clamp_dict(pins: list[tuple[int, int, float]]) -> dict[tuple[int, int], float]:
    clamp: dict[tuple[int, int], float] = {}
    for layer, unit, value in pins:
        if (layer, unit) in clamp:
            raise PlaygroundError(f"unit {layer}:{unit} is clamped twice: give one value")
        clamp[(layer, unit)] = value
    return clamp


def cmd_clamped_sample(a: argparse.Namespace) -> int:
    """`sample MODEL --clamp L:U=V ...`: continue the prompt with the units pinned."""
    from playground.core.inspect import clamp
    from playground.core.train import checkpoint

    given = [flag for flag, v in (("--next", a.next), ("--reply", a.reply)) if v is not None]
    if given:
        raise PlaygroundError(f"--clamp writes text: it does not go with {' or '.join(given)}")
    pins = _clamp_dict(a.clamp)
    trainer = checkpoint.load(a.model, device="cpu")
    model, task = trainer.model, trainer.task
    if task.spec.prediction_page not in ("complete", "chat"):
        raise PlaygroundError(f"{Path(a.model).name} does not write text: --clamp needs a text model")
    text = clamp.sample(model, task, a.prompt, a.length, a.temperature, a.top_k, a.greedy, a.seed, clamp=pins)
    if a.json:
        shown = [{"layer": layer, "unit": unit, "value": v} for (layer, unit), v in pins.items()]
        print(json.dumps({"prompt": a.prompt, "text": text, "clamp": shown}))
    else:
        print(a.prompt + text)
    return 0


def cmd_neurons(a: argparse.Namespace) -> int:
    """`neurons MODEL --track T`: the units that follow the track best."""
    from playground.core.inspect import neurons

    neurons.check_track(a.track)  # a typo costs no model loading
    if a.file and a.text is not None:
        raise PlaygroundError("give either --file or --text, not both")
    if a.text is not None and not a.text:
        raise PlaygroundError("--text is empty: give some text to read")
    from playground.core.data.text import read_text_file
    from playground.core.train import checkpoint

    trainer = checkpoint.load(a.model, device="cpu")
    if a.file:
        text, source = read_text_file(a.file), Path(a.file).name
    elif a.text is not None:
        text, source = a.text, "the given text"
    else:
        text, source = neurons.default_text(trainer.task), "the model's held-out text"
    if a.ablate and not neurons.track(a.track, "x").binary:
        from playground.core.inspect.intervene import ablate

        ablate(trainer.model, trainer.task, text, [(0, 0, "h")], a.track)  # the one-line refusal, early
    ranking = neurons.rank_units(trainer.model, trainer.task, text, a.track, top=a.top)
    ablation = _ablate(trainer, text, ranking, a.mode) if a.ablate else None
    if a.json:
        units = [u.as_dict() for u in ranking.units]
        if ablation is not None:
            costs = {c.units[0]: c for c in ablation.units}
            for u, d in zip(ranking.units, units, strict=True):
                cost = costs.get((u.layer, u.unit, u.kind))
                d["ablation"] = cost.as_dict() if cost else None
        result = {
            "track": ranking.track,
            "characters": ranking.characters,
            "skipped": ranking.skipped,
            "truncated": ranking.truncated,
            "units": units,
        }
        if ablation is not None:
            result["ablation"] = {
                "mode": ablation.mode,
                "characters": ablation.characters,
                "inside_characters": ablation.inside_chars,
                "base": {"inside": ablation.base_inside, "outside": ablation.base_outside},
                "random": ablation.spread(),
            }
            if ablation.together is not None:  # every listed unit held at once, beside random groups as large
                result["ablation"]["together"] = ablation.together.as_dict()
                result["ablation"]["random_groups"] = ablation.group_spread()
        print(json.dumps(result))
        return 0
    kind = "yes/no" if ranking.binary else "a number"
    print(
        f"{ranking.track} ({kind}) on {ranking.characters:,} characters of {source}: "
        f"{ranking.n_units} units scored in {ranking.seconds:.1f} s"
    )
    notes = []
    if ranking.truncated:
        notes.append(f"only the first {neurons.MAX_CHARS:,} characters were read")
    if ranking.skipped:
        notes.append(f"{ranking.skipped:,} characters the model does not know were left out")
    if notes:
        print("(" + "; ".join(notes) + ")")
    print(f"{'rank':>4}  {'unit':<9} {'r':>7}  {'accuracy':>8}")
    costs = {c.units[0]: c for c in ablation.units} if ablation is not None else {}
    for i, u in enumerate(ranking.units, 1):
        acc = f"{u.accuracy:8.3f}" if u.accuracy is not None else f"{'-':>8}"
        cost = costs.get((u.layer, u.unit, u.kind))
        held = (
            f"  {cost.inside:+8.4f} {cost.outside:+8.4f}"
            + ("  beats random" if ablation.beats_random(cost) else "")
            if cost and ablation
            else ""
        )
        print(f"{i:>4}  {f'{u.layer}:{u.unit} {u.kind}':<9} {u.correlation:+7.3f}  {acc}{held}")
    if ablation is not None:
        s = ablation.spread()
        print(
            f"ablation: each h unit held at {'zero' if ablation.mode == 'zero' else 'its mean'} over "
            f"{ablation.characters:,} characters; the rise of the loss (nats per character) inside and outside "
            f"the track (base {ablation.base_inside:.3f} and {ablation.base_outside:.3f}). {s['units']} random units "
            f"of layer {ablation.random[0].units[0][0] if ablation.random else '-'}: inside at most "
            f"{s['inside']['max']:+.4f} (mean {s['inside']['mean']:+.4f})"
            if s["inside"]
            else "no random units"
        )
    print("clamp an h unit while sampling: rnn-playground sample MODEL --clamp LAYER:UNIT=VALUE")
    return 0


def _ablate(trainer, text: str, ranking, mode: str):
    """The listed h units' (and c units') costs, each held alone, beside 10 random units of the top one's layer."""
    from playground.core.inspect.intervene import MAX_UNITS, ablate

    units = [(u.layer, u.unit, u.kind) for u in ranking.units][:MAX_UNITS]
    return ablate(trainer.model, trainer.task, text, units, ranking.track, mode=mode)


def cmd_patch(a: argparse.Namespace) -> int:
    """`patch MODEL --source S --target T`: the target's continuation with and without the source's state."""
    from playground.core.inspect.intervene import patch
    from playground.core.train import checkpoint

    trainer = checkpoint.load(a.model, device="cpu")
    p = patch(
        trainer.model,
        trainer.task,
        a.source,
        a.target,
        units=a.units,
        direction=a.direction,
        at=a.at,
        length=a.length,
        temperature=0.0 if a.greedy else a.temperature,
        seed=a.seed,
    )
    if a.json:
        print(json.dumps(p.as_dict()))
        return 0

    def likeliest(pairs) -> str:
        return "  ".join(f"{ch!r} {prob:.2f}" for ch, prob in pairs)

    print(f"unpatched: {a.target}|{p.unpatched}")
    print(f"patched:   {a.target}|{p.patched}")
    print(f"(with {p.what} carried from after {p.source_at} characters of the source into the target after "
          f"{p.target_at}; the state moved by {p.moved:.3f})")  # fmt: skip
    print(f"next, unpatched: {likeliest(p.next_unpatched)}")
    print(f"next, patched:   {likeliest(p.next_patched)}")
    return 0
