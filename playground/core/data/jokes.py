"""Knock-knock jokes made up on the spot, so that a dialog model learns the rule and not the jokes.

Seventy bundled jokes teach a character model seventy names: asked about a name it never saw, it
answers with the "who?" of one it did. The rule of the game is to copy the name: "Lettuce." is
answered "Lettuce who?". To make copying the cheapest way to lower the loss, the training data
mixes the bundled jokes with many more jokes built here from names nobody wrote down (random
letters, everyday words, names made of syllables) in the same turn structure. The bundled jokes stay as they are; their
held-out part stays the validation set, so the validation loss still measures real jokes.

Each made-up joke has a sixth turn: the listener laughs (or asks for another one) after the
punchline, so that a model given a punchline ends the joke instead of knocking again.

Everything is drawn from a seeded ``numpy`` generator: the same seed gives the same jokes. The
language model does not train on one fixed set of them: every batch is cut from jokes made for it
(``dialogs.JokeStream``), so no name is seen twice and learning them by heart does not pay; only
copying does.
"""

from __future__ import annotations

import re

import numpy as np

# Syllables: an onset and a vowel, sometimes a closing consonant. "Ka" + "lu" + "men" -> "Kalumen".
ONSETS = ("b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "ch", "sh")
VOWELS = ("a", "e", "i", "o", "u")
CODAS = ("", "", "", "n", "r", "l", "s", "m")

# Everyday words that can knock, written for this module.
WORDS = (
    "Pencil", "Window", "Carrot", "Ladder", "Bucket", "Pillow", "Teapot", "Blanket", "Button", "Candle",
    "Basket", "Mirror", "Hammer", "Kettle", "Ribbon", "Saucer", "Sponge", "Wallet", "Zipper", "Anchor",
    "Bottle", "Cactus", "Donkey", "Feather", "Garden", "Helmet", "Jacket", "Lemon", "Magnet", "Napkin",
    "Orange", "Parrot", "Rabbit", "Salmon", "Tomato", "Violin", "Walrus", "Yogurt", "Biscuit", "Cabbage",
    "Dolphin", "Engine", "Forest", "Ginger", "Harbor", "Iceberg", "Jungle", "Kitten", "Lantern", "Meadow",
    "Noodle", "Oyster", "Pepper", "Quilt", "Rocket", "Sandal", "Tunnel", "Umbrella", "Velvet", "Wagon",
    "Bench", "Cloud", "Drum", "Fork", "Grape", "Horse", "Lamp", "Mango", "Nest", "Pear", "River", "Stone",
    "Tiger", "Whale", "Apple", "Bread", "Chair", "Dragon", "Eagle", "Flute", "Goose", "Honey", "Island",
    "Jelly", "Koala", "Melon", "Ocean", "Piano", "Robin", "Shovel", "Turtle", "Waffle", "Cookie", "Muffin",
)

# Generic punchlines: {name} is the name as knocked. Made-up names cannot carry a pun, so these are
# the ordinary things a visitor says.
PUNCHLINES = (
    "{name} here, open the door!",
    "It's {name}, let me in, it's cold out here!",
    "{name} from next door. Have you seen my cat?",
    "Just {name}. I brought cake!",
    "{name}, and I forgot my key again.",
    "{name}! Don't you remember me?",
    "{name} with a parcel for you.",
    "{name}. Open up, it's raining!",
)
# The listener's last turn: the joke is over.
LAUGHS = ("Ha! Tell me another one.", "Ha ha, good one!", "Ha! That was a good one.", "Ha ha! Another one?")

_SYLLABLE = re.compile(
    "(?:" + "|".join(sorted(ONSETS, key=len, reverse=True)) + ")(?:" + "|".join(VOWELS) + ")(?:[nrlsm])?"
)


LETTERS = "abcdefghijklmnopqrstuvwxyz"

# How the knocker's name is typed in the made-up jokes (``typed``): its ending, and its case (as it
# is, all lower case, all capitals). Most end with "." as the bundled jokes do.
ENDINGS = (".", "", "!", "?")
ENDING_P = (0.55, 0.25, 0.12, 0.08)
CASE_P = (0.75, 0.17, 0.08)


def make_name(rng: np.random.Generator) -> str:
    """One name for a made-up joke: a third are strings of random letters ("Qxomtel"), a third everyday
    words ("Pencil"), a third two or three syllables ("Kalumen"). The random ones matter most: no
    guess about what names look like predicts them, only copying does."""
    u = rng.random()
    if u < 1 / 3:
        return "".join(LETTERS[i] for i in rng.integers(len(LETTERS), size=int(rng.integers(3, 11)))).capitalize()
    if u < 2 / 3:
        return str(WORDS[rng.integers(len(WORDS))])
    parts = []
    for _ in range(int(rng.integers(2, 4))):
        parts.append(ONSETS[rng.integers(len(ONSETS))] + VOWELS[rng.integers(len(VOWELS))] + CODAS[rng.integers(len(CODAS))])
    return "".join(parts).capitalize()


def could_generate(name: str) -> bool:
    """Whether this is one of the words or a name of two or three of the syllables: the names
    ``make_name`` makes on purpose (its random letters can spell anything, rarely)."""
    if name in WORDS:
        return True
    return re.fullmatch(f"(?:{_SYLLABLE.pattern}){{2,3}}", name.lower()) is not None


def typed(name: str, rng: np.random.Generator) -> tuple[str, str]:
    """How a knocker types ``name``: (their turn, the name as the answer repeats it).

    People type a name with a period or without, with "!" or "?", capitalised, in lower case or in
    capitals; the answer copies the name as it was typed, without the mark ("theodora!" is answered
    "theodora who?"). A model that only ever saw "Name." learns that the letter before "." ends the
    name, and answers "Theodora" with "owo who?": the forms are in the data so that copying is what
    is learned, whatever the ending."""
    case = rng.random()
    if case < CASE_P[0]:
        shown = name
    elif case < CASE_P[0] + CASE_P[1]:
        shown = name.lower()
    else:
        shown = name.upper()
    ending = ENDINGS[int(rng.choice(len(ENDINGS), p=ENDING_P))]
    return shown + ending, shown


def make_joke(rng: np.random.Generator) -> list[str]:
    """One joke in the bundled jokes' turn structure, plus the listener's laugh after the punchline."""
    turn, name = typed(make_name(rng), rng)
    punchline = PUNCHLINES[rng.integers(len(PUNCHLINES))].format(name=name)
    laugh = LAUGHS[rng.integers(len(LAUGHS))]
    return ["Knock, knock!", "Who's there?", turn, f"{name} who?", punchline, laugh]


def made_up_jokes(n: int, seed: int = 0) -> list[list[str]]:
    """``n`` jokes from ``seed`` (the data panel lists them; the encoder-decoder trains on them)."""
    rng = np.random.default_rng(seed)
    return [make_joke(rng) for _ in range(n)]
