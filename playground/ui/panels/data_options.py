"""The Data panel's choices and words: the kinds and their sources (from the registry, core/kinds.py),
the generators and what each of them uses, the gap policies, and every control's tooltip."""

from __future__ import annotations

from playground.core.kinds import KINDS

# The kinds, their sources and what the panel shows for them come from the registry (core/kinds.py).
KIND_OPTIONS = tuple((spec.name, spec.label, spec.description) for spec in KINDS.values())
SOURCE_OPTIONS = {name: spec.source_options for name, spec in KINDS.items()}
GENERATED_KINDS = tuple(name for name, spec in KINDS.items() if spec.generated)

GENERATOR_OPTIONS = (
    ("linear", "Linear", "A straight line: the same step every time. The easiest series to learn."),
    ("sine", "Sine wave", "A repeating wave: the model has to work out where in the cycle it is."),
    (
        "random-walk",
        "Random walk",
        "Random steps up and down: nothing can be predicted, so repeating the last value is the best "
        "anyone can do. A good test of whether a model fools itself.",
    ),
    ("trend-seasonal", "Trend + seasonal", "A rising line plus a wave, like sales or temperatures."),
)

GAPS_OPTIONS = (
    ("refuse", "Refuse", "Stop with a message naming the rows with missing values, so you can fix them."),
    ("interpolate", "Interpolate", "Fill each gap on a straight line between its neighbours."),
    ("ffill", "Fill forward", "Repeat the last value seen before each gap."),
)

# Which generator settings each generator uses.
GENERATOR_FIELDS = {
    "linear": ("length", "start", "slope", "noise", "seed"),
    "sine": ("length", "start", "amplitude", "period", "noise", "seed"),
    "random-walk": ("length", "start", "noise", "seed"),
    "trend-seasonal": ("length", "start", "slope", "amplitude", "period", "noise", "seed"),
}

TIPS = {
    "gap": "d: how many random digits stand between the key and the question. The network must carry the "
    "key across d steps; watch a vanilla RNN fail as d grows while an LSTM or GRU still answers.",
    "span": "T, the length the classic experiments vary: the adding problem's pairs per sequence, the "
    "temporal-order task's base length (sequences are T to T + T/10 long), the copy task's delay between "
    "the ten symbols and their copy. The longer T, the further back the network must remember.",
    "keys": "How many keys (A, B, ...) and answers (a, b, ...) there are: chance is one in this many.",
    "made_up_jokes": "Made-up knock-knock jokes mixed into the bundled ones for training: names nobody wrote "
    "down, so copying the name is what pays. 0 turns them off: the model then learns the bundled jokes by "
    "heart and answers a new name with an old one. The held-out jokes are always bundled ones.",
    "data_kind": "What the network learns from. Each kind teaches something different about memory.",
    "source": "Where the data comes from.",
    "file": "Choose the file to learn from. Problems with it (empty, not text, no numbers) are explained here.",
    "paste": "Type or paste data here, then press Apply.",
    "apply": "Use the text in the box above as the data.",
    "generator": "The shape of the made-up series.",
    "length": "How many values the generator makes. More values give more training examples.",
    "start": "The value the series starts at (or oscillates around).",
    "slope": "How much the series rises at each step (negative: falls).",
    "period": "How many steps one full cycle of the wave lasts. A window shorter than a cycle sees only part of it.",
    "amplitude": "How far the wave swings above and below its middle.",
    "noise": (
        "Random jitter added to each value (its standard deviation). Noise cannot be predicted: it sets "
        "a floor under the error that no model can beat."
    ),
    "step": "The typical size of each random step (standard deviation).",
    "seed": "Fixes the random numbers: the same settings and seed always give the same series.",
    "gaps": "What to do with empty or NA cells in the chosen column.",
    "window": (
        "How many past values the network sees to predict the next one. A longer window lets it see "
        "longer patterns (a whole cycle), but leaves fewer training examples and takes longer to learn; "
        "too short, and it cannot tell where it is in a cycle."
    ),
    "val": (
        "The share of the data kept aside at the end and never trained on. The loss on this held-out "
        "tail shows whether the network learned the pattern or only memorised its training data."
    ),
}
