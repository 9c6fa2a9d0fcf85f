"""The command line's look at single hidden units: `neurons` (which unit follows a property of the
text) and `sample --clamp` (write with units pinned). The options are ``cli_args.py``'s; the work is
``core/inspect/neurons.py``'s and ``core/inspect/clamp.py``'s. Nothing here imports torch until a command runs."""

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
    text = clamp.sample(
        model, task, a.prompt, a.length, a.temperature, a.top_k, a.greedy, a.seed, clamp=pins
    )
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
    ranking = neurons.rank_units(trainer.model, trainer.task, text, a.track, top=a.top)
    if a.json:
        print(
            json.dumps(
                {
                    "track": ranking.track,
                    "characters": ranking.characters,
                    "skipped": ranking.skipped,
                    "truncated": ranking.truncated,
                    "units": [u.as_dict() for u in ranking.units],
                }
            )
        )
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
    for i, u in enumerate(ranking.units, 1):
        acc = f"{u.accuracy:8.3f}" if u.accuracy is not None else f"{'-':>8}"
        print(f"{i:>4}  {f'{u.layer}:{u.unit} {u.kind}':<9} {u.correlation:+7.3f}  {acc}")
    print("clamp an h unit while sampling: rnn-playground sample MODEL --clamp LAYER:UNIT=VALUE")
    return 0
