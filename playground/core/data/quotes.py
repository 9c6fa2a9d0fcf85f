"""Quotes: made-up prose whose quoted passages are written in capitals, with nested brackets.

A character model that is to predict this text well has to know, at every letter, whether
it is inside a quotation: outside, every letter is lower case; between a pair of double
quote marks, every letter is upper case. A quotation runs for tens of characters, so the
network has to hold one bit for that long, and a small LSTM grows a unit that does exactly
that: the "quote neuron" (``rnn-playground neurons MODEL --track quotes`` finds it, and
``sample --clamp`` switches it by hand). Asides in nested brackets, ``( [ { } ] )``, ask
for a second kind of memory: which bracket to close next.

An example of what the generator writes::

    the old miller carried a sack of flour to the mill (slowly [as always]).
    the fisherman said, "THE BOATS WILL NOT COME BACK TONIGHT. WE WAIT BY THE FIRE."

Everything is made from the data seed by a seeded generator (the same seed, the same text),
from word lists written for this playground. The vocabulary is fixed (``VOCAB``), whatever
the seed, so models made from different seeds read the same characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from playground.core.data.text import TokenTask, split_text
from playground.core.errors import PlaygroundError

KIND = "quotes"  # this module's data kind (core/kinds.py)
CHARACTERS = 300_000  # the length of the generated text (a tenth is held out by default)

NAMES = (
    "anna", "bruno", "clara", "dmitri", "edith", "felix", "greta", "hugo", "ines", "jonas",
    "karin", "leon", "marta", "nils", "olga", "pavel", "rosa", "stefan", "tilda", "viktor",
)  # fmt: skip
PEOPLE = (
    "miller", "baker", "fisherman", "teacher", "sailor", "farmer", "weaver", "doctor", "priest",
    "shepherd", "blacksmith", "mayor", "widow", "carpenter", "innkeeper", "stranger", "child",
    "soldier", "tailor", "gardener",
)  # fmt: skip
THINGS = (
    "boat", "bread", "lantern", "ladder", "basket", "letter", "horse", "bell", "cart", "rope",
    "kettle", "window", "door", "coat", "map", "apple", "candle", "goat", "net", "barrel",
    "key", "hammer", "blanket", "wheel", "spoon",
)  # fmt: skip
PLACES = (
    "harbour", "market", "mill", "church", "bridge", "forest", "square", "river", "school",
    "tavern", "orchard", "station", "valley", "hill", "garden", "well", "barn", "quay",
)  # fmt: skip
ADJECTIVES = (
    "old", "young", "tired", "quiet", "angry", "cheerful", "grey", "small", "heavy", "wet",
    "broken", "lucky", "clever", "lonely", "careful", "red", "cold", "bright", "patient", "worried",
)  # fmt: skip
VERBS = (
    "carried", "found", "mended", "painted", "sold", "lost", "washed", "watched", "opened",
    "counted", "borrowed", "dropped", "hid", "fetched", "pushed", "cleaned", "dragged", "bought",
    "lifted", "locked",
)  # fmt: skip
MOTIONS = (
    "walked", "ran", "hurried", "wandered", "drove", "sailed", "climbed", "rode", "came back",
    "crept",
)  # fmt: skip
SPEECH = ("said", "asked", "shouted", "whispered", "replied", "called", "muttered", "cried", "answered")
TIMES = (
    "at dawn", "before noon", "after supper", "in the rain", "at night", "on sunday",
    "in the morning", "before the storm", "after the fair", "in winter",
)  # fmt: skip
ADVERBS = ("slowly", "quickly", "again", "as always", "without a word", "for once", "twice", "at last")
ASIDE_OPENERS = (
    "as everyone knew", "which was odd", "nobody asked why", "or so they said", "of course",
    "even the mayor laughed", "the dog agreed", "it was late", "who could blame them", "as usual",
)  # fmt: skip
# Things people say (written in capitals inside the quote marks, with the clauses below).
PHRASES = (
    "the boats will not come back tonight", "we wait by the fire", "bring the lantern",
    "nobody has seen the goat", "the bridge is broken again", "shut the door",
    "i told you so", "the river is rising", "where is my coat", "we sell the horse on sunday",
    "the bread is still warm", "do not touch the bell", "it will rain before noon",
    "my letter never came", "you are late again", "the key is under the barrel",
    "look at the sky", "the mill is closed", "help me with the cart", "i am not afraid",
)  # fmt: skip
BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"))
MAX_DEPTH = 3  # brackets inside brackets, at most this deep
# every character the generator can write; fixed, whatever the seed
VOCAB = tuple(
    sorted(
        set("abcdefghijklmnopqrstuvwxyz")
        | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        | set("0123456789")
        | set(" \n.,!?'\"()[]{}")
    )
)


class _Writer:
    """The seeded generator: one method per piece of prose."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, words: Sequence[str]) -> str:
        return words[int(self.rng.integers(len(words)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def number(self) -> str:
        return str(int(self.rng.integers(2, 40)))

    def someone(self) -> str:
        if self.chance(0.4):
            return self.pick(NAMES)
        adjective = f"{self.pick(ADJECTIVES)} " if self.chance(0.5) else ""
        return f"the {adjective}{self.pick(PEOPLE)}"

    def thing(self) -> str:
        if self.chance(0.15):
            return f"{self.number()} {self.pick(THINGS)}s"
        owner = f"{self.pick(NAMES)}'s " if self.chance(0.2) else "the "
        return f"{owner}{self.pick(ADJECTIVES)} {self.pick(THINGS)}" if self.chance(0.4) else owner + self.pick(THINGS)

    def clause(self) -> str:
        if self.chance(0.35):
            return f"{self.someone()} {self.pick(MOTIONS)} to the {self.pick(PLACES)}"
        tail = f" {self.pick(TIMES)}" if self.chance(0.3) else ""
        return f"{self.someone()} {self.pick(VERBS)} {self.thing()}{tail}"

    def aside(self, depth: int) -> str:
        """Words in brackets, maybe with more brackets inside: ``(slowly [as always])``."""
        opening, closing = BRACKETS[int(self.rng.integers(len(BRACKETS)))]
        words = self.pick(ASIDE_OPENERS) if self.chance(0.6) else self.pick(ADVERBS)
        if depth + 1 < MAX_DEPTH and self.chance(0.45):
            words += " " + self.aside(depth + 1)
            if self.chance(0.3):
                words += f" {self.pick(ADVERBS)}"
        return f"{opening}{words}{closing}"

    def quote(self) -> str:
        """What someone says, in capitals: one to three sentences, so that a full stop inside a quotation
        does not end it (only a memory of the opening mark tells)."""
        sentences = []
        for _ in range(int(self.rng.integers(1, 4))):
            said = self.pick(PHRASES) if self.chance(0.5) else self.clause()
            if self.chance(0.25):
                said += f", {self.pick(PHRASES)}"
            sentences.append(said + self.pick((".", ".", "!", "?")))
        return " ".join(sentences).upper()

    def sentence(self) -> str:
        roll = self.rng.random()
        if roll < 0.25:
            return f'{self.someone()} {self.pick(SPEECH)}, "{self.quote()}"'
        if roll < 0.4:
            words = self.quote()
            end = words[-1]
            words = words[:-1] + ("," if end == "." else end)
            return f'"{words}" {self.pick(SPEECH)} {self.someone()}.'
        if roll < 0.65:
            return f"{self.clause()} {self.aside(0)}."
        if roll < 0.75:
            return f"{self.clause()} and {self.clause()}."
        return f"{self.clause()}."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(int(self.rng.integers(2, 6))))


def generate(seed: int, characters: int = CHARACTERS) -> str:
    """``characters`` characters of prose (paragraphs end with a newline), the same for the same seed."""
    writer = _Writer(seed)
    parts: list[str] = []
    total = 0
    while total < characters:
        paragraph = writer.paragraph() + "\n"
        parts.append(paragraph)
        total += len(paragraph)
    return "".join(parts)[:characters]


def build_quotes_task(seed: int, val_fraction: float, saved_vocab: Sequence[str] | None = None) -> TokenTask:
    """The generated text as a next-character task, its tail (``val_fraction``) held out."""
    if saved_vocab is not None and tuple(saved_vocab) != VOCAB:
        raise PlaygroundError(
            "this quotes model was made with another vocabulary than this version's generator writes"
        )
    text = generate(seed)
    train, val = split_text(text, val_fraction)
    quoted = text.count('"') // 2
    notes = [
        f"{len(text):,} generated characters from seed {seed}: {quoted:,} quotations in capitals, "
        "everything else lower case, asides in nested brackets",
        "to predict the case of a letter the network must know whether a quotation is open",
    ]
    return TokenTask(KIND, train, val, vocab=VOCAB, notes=notes)
