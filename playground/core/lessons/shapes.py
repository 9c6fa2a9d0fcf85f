"""The shapes of sequence tasks (lesson 13), and which of the app's data kinds has which.

A recurrent network reads a sequence one step at a time; what differs between
tasks is where inputs go in and where outputs come out:

* many-to-many: an input and an output at every step (next-character prediction);
* many-to-one: a whole sequence in, one answer after the last step (a class, the next value);
* one-to-many: one input, then a sequence out (the one-to-many lesson: a word's first letter,
  then blanks, and the whole word comes out; sampling text from a first letter is one-to-many
  too, with each generated letter fed back in as the next input);
* encoder-decoder: one network reads the whole input, a second writes the output from
  what the first one ended with (the knock-knock dialogs' encoder-decoder).

No Qt here: the Shapes view draws what this says.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.kinds import KINDS, kind_spec

SHAPES = ("many-to-many", "many-to-one", "one-to-many", "encoder-decoder")

CAPTIONS = {
    "many-to-many": "an output at every step: the next character after each one",
    "many-to-one": "the whole sequence in, one answer after the last step",
    "one-to-many": "one input, a sequence out: a word's first letter, then blanks, and the whole word "
    "comes out of the hidden state (sampling text from a first letter is one-to-many too)",
    "encoder-decoder": "an encoder reads the whole input (a line of the joke), a decoder starts from the "
    "encoder's last state and writes the reply, looking back at the encoder's states as it goes (attention)",
}


@dataclass(frozen=True)
class Badge:
    """One data kind under one shape: ``text`` is what the badge says."""

    kind: str  # the KindSpec name
    text: str


def shape_of(kind: str, seq2seq: bool = False) -> str:
    """The shape of a data kind's task; ``seq2seq``: the encoder-decoder is trained on it."""
    spec = kind_spec(kind)
    if seq2seq and spec.supports_seq2seq:
        return "encoder-decoder"
    return spec.shape


def badges() -> dict[str, list[Badge]]:
    """For each shape, the data kinds that have it, from the kinds registry."""
    out: dict[str, list[Badge]] = {shape: [] for shape in SHAPES}
    for spec in KINDS.values():
        out.setdefault(spec.shape, []).append(Badge(spec.name, spec.label))
        if spec.many_to_many and spec.tokens:  # a next-character model also generates
            out["one-to-many"].append(Badge(spec.name, f"{spec.label} (sampling)"))
        if spec.supports_seq2seq:
            out["encoder-decoder"].append(Badge(spec.name, spec.label))
    return out
