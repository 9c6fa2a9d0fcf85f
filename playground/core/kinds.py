"""The data kinds: one registry entry per kind, and the protocol every task implements.

A data kind ("what the network learns from") is described once, here: what a user reads
about it, the sources it takes, its loss unit, whether the sequence-length setting applies,
which page of the prediction panel tries it, its held-out metrics and how its task is
built. The window, the CLI, model files and inference ask this registry
(``kind_spec(task.kind)`` or ``task.spec``) instead of comparing kind names.

Adding a kind: write its task (``playground/core/data/<kind>.py``, implementing
:class:`Task`), add one :class:`KindSpec` to ``_SPECS`` below, its builder to
``data/builders.py``, and a preset if it deserves one (``core/presets.py``). This module
imports nothing of the project but its errors: what a kind *is* lives here, how its task is
*built* lives in ``data`` (which imports this registry, never the other way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEFAULT_KIND",
    "KINDS",
    "LOSS_UNITS",
    "PREDICTION_PAGES",
    "SHAPES",
    "KindSpec",
    "Task",
    "kind_names",
    "kind_spec",
]

PREDICTION_PAGES = ("complete", "chat", "forecast", "classify")  # the prediction panel's pages
SHAPES = ("many-to-many", "many-to-one", "one-to-many")
LOSS_UNITS = ("nats", "MSE")


@runtime_checkable
class Task(Protocol):
    """What every task implements: the trainer, the probes, inference and the window rely on it.

    Inputs are token ids (``tokens``: characters or words, with a ``vocab``) or one float per
    step (``vocab`` is None). ``many_to_many``: a target at every step (next character), else
    one after the last step (a class, the next value). Classification tasks name their
    ``classes``; the others have ``classes = None``.
    """

    kind: str
    vocab: tuple[str, ...] | None
    classes: tuple[str, ...] | None
    many_to_many: bool
    tokens: bool
    has_data: bool  # False: a model reopened without its data (it samples, it cannot train)
    mlp_bag_of_words: bool  # the feed-forward reference averages its inputs (order-blind)
    notes: list[str]

    @property
    def spec(self) -> KindSpec: ...

    @property
    def n_inputs(self) -> int: ...

    @property
    def n_outputs(self) -> int: ...

    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: Any
    ) -> tuple[torch.Tensor, torch.Tensor]: ...

    def val_batches(
        self, batch_size: int, seq_len: int, max_batches: int, device: Any
    ) -> list[tuple[torch.Tensor, torch.Tensor]]: ...

    def probe(self, seq_len: int, text: str | None = None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """One sequence to look inside: x, y and the time-axis labels of its inputs."""
        ...

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor: ...

    def state_dict(self) -> dict[str, Any]:
        """What a model file stores to encode and decode as before (vocabulary, normalizer...)."""
        ...


@dataclass(frozen=True)
class ScriptSpec:
    """How "Export as PyTorch Script" writes a model of this kind (playground.core.export.script)."""

    parts: tuple[str, ...]  # the script's data parts, by the names of their templates (TEXT_DATA, ...)
    data_class: str  # the class in the script that draws its training batches
    commands: tuple[str, ...]  # the script's commands that use the model: sample, reply, forecast, ...
    data_file: str | None = None  # what `train --data FILE` reads, in words; None: it takes no file
    stdlib: tuple[str, ...] = ()  # standard modules the data parts need besides the usual ones
    fields: tuple[str, ...] = ()  # the DataConfig settings the script's CONFIG shows
    carried: tuple[str, ...] = ()  # word lists the script carries (JOKE_WORDS, ORDER_WORDS)
    bundled: str | None = None  # playground.paths function naming its bundled data file


_TEXT_FILE = "a UTF-8 text file"
_DIALOG_FILE = "a dialog file (a turn a line, a blank line between dialogs)"


@dataclass(frozen=True)
class KindSpec:
    """One data kind: everything the window, the CLI, model files and inference ask about it."""

    name: str  # the DataConfig.kind value, stored in model files
    label: str  # what a user reads in the data panel's kind box
    description: str  # the kind box's tooltip
    noun: str  # the data in a sentence: "bidirectional is off for <noun>"
    # (value, label, tooltip) per source, the default first; ``sources`` lists the values
    source_options: tuple[tuple[str, str, str], ...]
    loss_unit: str  # "nats" (cross-entropy) or "MSE"
    seq_len_applies: bool  # the training sequence-length setting cuts the examples
    prediction_page: str  # the prediction panel page that tries the model: one of PREDICTION_PAGES
    # "many-to-many" (an input and a target at every step), "many-to-one" (one target after the last
    # step) or "one-to-many" (one input, then a target at every step)
    shape: str
    generated: bool  # made by a seeded generator: no file, no pasted text
    tokens: bool  # token ids in (characters, words); else one number per step
    supports_seq2seq: bool  # the encoder-decoder can be trained on this data (dialogs)
    # held-out figures: "unigram_entropy" from the task, the others from inference.evaluate
    metrics: tuple[str, ...]
    settings: tuple[str, ...]  # DataConfig fields this kind reads, besides kind, source, path and text
    preview: str  # how the data panel previews it: "text", "dialogs", "series" or "examples"
    default_hidden: int = 32  # hidden units the CLI picks when none is given
    default_attention: bool = False  # a recurrent model the CLI builds attends over its past states
    default_lr: float = 3e-3  # the CLI's learning rate, batch size and sequence length when none is given
    default_batch: int = 32
    default_seq_len: int = 64
    paste_placeholder: str = ""  # the paste box's grey hint
    file_dialog: tuple[str, str, str] = (  # the file button, the dialog's caption and filter
        "Choose file…",
        "Open a text file",
        "Text files (*.txt *.md);;All files (*)",
    )
    step_unit: str = "steps"  # what one time step is, plural: "characters", "words", "steps"
    demo_question: str = ""  # what a demo (or a new user) asks the model first
    demo_hint: str = ""  # one line under the classify box saying what to type
    info_format: str = "{source}"  # `rnn-playground info`: the data line's details (DataConfig fields)
    # the compare demo: architectures, steps each and the gaps d of a sweep (() for no sweep)
    demo_comparison: tuple[tuple[str, ...], int, tuple[int, ...]] | None = None
    # a model whose data is gone still samples: its task can be built from the stored vocabulary
    # alone (``data.vocab_only_task``)
    reopens_from_vocab: bool = False
    script: ScriptSpec | None = None  # how its exported PyTorch script is made; None: not exported

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(value for value, _, _ in self.source_options)

    @property
    def default_source(self) -> str:
        return self.source_options[0][0]

    @property
    def loss_label(self) -> str:
        return f"loss ({self.loss_unit})"

    @property
    def many_to_many(self) -> bool:
        """An input and a target at every step: the target is the next input (next character)."""
        return self.shape == "many-to-many"

    @property
    def has_accuracy(self) -> bool:
        """Accuracy (against chance) is the lesson's figure: the classification kinds."""
        return "accuracy" in self.metrics

    @property
    def gap_sweep(self) -> bool:
        """The compare view can sweep the gap d (the memory lesson)."""
        return "gap" in self.settings

    def describe(self, data: Mapping[str, Any]) -> str:
        """The details of a stored DataConfig dict for `rnn-playground info` (``data``: every
        DataConfig field, the defaults filled in by the caller)."""
        return self.info_format.format(**data)


_NEXT_CHARACTER_METRICS = ("unigram_entropy",)
_SERIES_SETTINGS = (
    "generator",
    "values",
    "length",
    "start",
    "slope",
    "period",
    "amplitude",
    "noise",
    "seed",
    "column",
    "inputs",
    "gaps",
    "window",
    "val_fraction",
)

_SPECS: tuple[KindSpec, ...] = (
    KindSpec(
        name="text",
        label="Text",
        description="Plain text, one character at a time: the network learns to guess the next character, "
        "and can then autocomplete a prompt and write text in the same style.",
        noun="text",
        source_options=(
            (
                "bundled",
                "Bundled corpus",
                "The text that comes with the playground: about 50,000 characters.",
            ),
            ("file", "File", "A UTF-8 text file of your own (up to 50 MB)."),
            ("inline", "Paste", "Text you paste or type below; press Apply to use it."),
        ),
        loss_unit="nats",
        seq_len_applies=True,
        prediction_page="complete",
        shape="many-to-many",
        generated=False,
        tokens=True,
        supports_seq2seq=False,
        metrics=_NEXT_CHARACTER_METRICS,
        settings=("val_fraction",),
        preview="text",
        default_hidden=128,
        paste_placeholder="Paste or type some text to learn from…",
        step_unit="characters",
        demo_question="The ",
        reopens_from_vocab=True,
        script=ScriptSpec(
            ("TEXT_DATA",),
            "TextData",
            ("sample",),
            _TEXT_FILE,
            fields=("source", "val_fraction"),
            bundled="bundled_text",
        ),
    ),
    KindSpec(
        name="knock-knock",
        label="Knock-knock dialogs",
        description="Short dialogs with two speakers: the network learns whose turn it is and what the "
        "listener answers, so you can tell it a joke and it replies.",
        noun="knock-knock dialogs",
        source_options=(
            (
                "bundled",
                "Bundled corpus",
                "The knock-knock jokes that come with the playground, and made-up ones mixed in.",
            ),
            (
                "file",
                "File",
                "Your own dialogs: one turn per line, a blank line between dialogs, # starts a comment.",
            ),
            ("inline", "Paste", "Dialogs you paste below (one turn per line, a blank line between dialogs)."),
        ),
        loss_unit="nats",
        seq_len_applies=True,
        prediction_page="chat",
        shape="many-to-many",
        generated=False,
        tokens=True,
        supports_seq2seq=True,
        metrics=_NEXT_CHARACTER_METRICS,
        settings=("val_fraction", "made_up_jokes", "seed"),
        preview="dialogs",
        default_hidden=128,
        default_attention=True,  # copying a name it never saw: see ModelConfig.attention
        # a training window holds a whole joke (they start where a joke starts: dialogs.JokeStream), so
        # the reply after a punchline is learnt with "Knock, knock!" in view, as in a chat
        default_lr=5e-3,  # copying switched on by step 1,500 instead of 2,500 (seed 0)
        default_batch=16,
        default_seq_len=128,
        paste_placeholder="Knock, knock!\nWho's there?\nLettuce.\nLettuce who?\nLettuce in, it's cold!",
        step_unit="characters",
        demo_question="Knock, knock!",
        reopens_from_vocab=True,
        script=ScriptSpec(
            ("TEXT_DATA", "DIALOG_DATA"),
            "DialogData",
            ("sample", "reply"),
            _DIALOG_FILE,
            fields=("source", "val_fraction", "made_up_jokes"),
            carried=("JOKE_WORDS",),
            bundled="bundled_dialogs",
        ),
    ),
    KindSpec(
        name="prices",
        label="Price series",
        description="A series of numbers (made by a generator or read from a CSV file): the network sees "
        "the last N values and predicts the next one, then forecasts further ahead.",
        noun="price series",
        source_options=(
            ("generator", "Generator", "A made-up series whose shape you control: ideal for experiments."),
            (
                "file",
                "CSV file",
                "A column of numbers from a CSV file, optionally with other columns as inputs; a column "
                "of dates becomes the chart's time axis.",
            ),
            ("inline", "Paste numbers", "Numbers you paste below, such as 10, 11, 12, 13; press Apply."),
        ),
        loss_unit="MSE",
        seq_len_applies=False,
        prediction_page="forecast",
        shape="many-to-one",  # a window of N values in, the next value out
        generated=False,
        tokens=False,
        supports_seq2seq=False,
        metrics=("mae", "rmse", "baseline_mae", "baseline_rmse"),
        settings=_SERIES_SETTINGS,
        preview="series",
        paste_placeholder="10, 11, 12, 13, 14, 15 …",
        file_dialog=("CSV file…", "Open a CSV file", "CSV files (*.csv *.tsv *.txt);;All files (*)"),
        script=ScriptSpec(
            ("SERIES_DATA",),
            "SeriesData",
            ("forecast",),
            "a CSV file",
            stdlib=("csv",),
            fields=("source", "window", "val_fraction", "column", "inputs"),
        ),
    ),
    KindSpec(
        name="memory",
        label="Memory lesson",
        description="'Japan is where I grew up ... I speak fluent ___': a key letter, then d random digits, "
        "then a question. The answer is the key's partner, seen d steps earlier. A vanilla RNN forgets as "
        "d grows; an LSTM or GRU remembers.",
        noun="memory sequences",
        source_options=(
            ("generator", "Generator", "Sequences made from the seed: as many as training needs."),
        ),
        loss_unit="nats",
        seq_len_applies=False,
        prediction_page="classify",
        shape="many-to-one",
        generated=True,
        tokens=True,
        supports_seq2seq=False,
        metrics=("accuracy", "chance"),
        settings=("seed", "gap", "keys"),  # no val_fraction: a fixed 512 sequences are held out
        preview="examples",
        demo_question="A 3 9 1 4 ?",
        demo_hint="A key letter, some digits, then '?': which partner does the model answer?",
        info_format="gap {gap}, {keys} keys, seed {seed}",
        demo_comparison=(("rnn", "lstm", "gru"), 1000, (2, 5, 10, 20, 40)),
        script=ScriptSpec(
            ("CLASSIFY_DATA", "MEMORY_DATA"), "MemoryData", ("classify",), fields=("gap", "keys", "seed")
        ),
    ),
    KindSpec(
        name="order",
        label="Word-order lesson",
        description="'The food was good, not bad at all' against 'The food was bad, not good at all': the "
        "same words, the opposite meaning. A bag of words cannot tell them apart; a recurrent network "
        "reads the order.",
        noun="word-order sentences",
        source_options=(
            ("generator", "Generator", "Sentences made from the seed, every word set in both orders."),
        ),
        loss_unit="nats",
        seq_len_applies=False,
        prediction_page="classify",
        shape="many-to-one",
        generated=True,
        tokens=True,
        supports_seq2seq=False,
        metrics=("accuracy", "chance"),
        settings=("seed", "val_fraction"),
        preview="examples",
        step_unit="words",
        demo_question="the food was good , not bad at all",
        demo_hint="A sentence in the data's words: is it positive or negative? Swap two words and ask again.",
        info_format="seed {seed}",
        demo_comparison=(("rnn", "lstm", "gru", "mlp"), 300, ()),
        script=ScriptSpec(
            ("CLASSIFY_DATA", "ORDER_DATA"),
            "OrderData",
            ("classify",),
            stdlib=("itertools", "re"),
            fields=("seed", "val_fraction"),
            carried=("ORDER_WORDS",),
        ),
    ),
    KindSpec(
        name="spell",
        label="One-to-many lesson",
        description="From one letter, a whole word: the network sees the word's first letter once, then "
        "only blanks, and writes the word one letter per step from what its hidden state remembers. A "
        "feed-forward network whose window is shorter than the word cannot finish it.",
        noun="one-to-many words",
        source_options=(("generator", "Word list", "Sixteen words, one per first letter, 3 to 11 letters."),),
        loss_unit="nats",
        seq_len_applies=False,
        prediction_page="classify",
        shape="one-to-many",
        generated=True,
        tokens=True,
        supports_seq2seq=False,
        metrics=("accuracy", "chance"),
        settings=(),
        preview="examples",
        step_unit="letters",
        demo_question="g",
        demo_hint="One letter: the model writes the word that starts with it, from that one input.",
        info_format="sixteen words from their first letters",
        demo_comparison=(("rnn", "lstm", "gru", "mlp"), 300, ()),
        script=ScriptSpec(("SPELL_DATA",), "SpellData", ("write",)),
    ),
    KindSpec(
        name="quotes",
        label="Quotes and brackets",
        description="Made-up prose in which everything said is written in CAPITALS between double quotes, "
        "with asides in nested brackets: to guess the case of the next letter the network must remember "
        "whether a quotation is open, and small LSTMs grow a unit that does just that (find it with "
        "`rnn-playground neurons MODEL --track quotes`).",
        noun="quoted prose",
        source_options=(
            (
                "generator",
                "Generator",
                "300,000 characters made from the seed: quotations, asides, paragraphs.",
            ),
        ),
        loss_unit="nats",
        seq_len_applies=True,
        prediction_page="complete",
        shape="many-to-many",
        generated=True,
        tokens=True,
        supports_seq2seq=False,
        metrics=_NEXT_CHARACTER_METRICS,
        settings=("seed", "val_fraction"),
        preview="text",
        default_hidden=64,
        step_unit="characters",
        demo_question='the miller said, "',
        info_format="seed {seed}",
        script=ScriptSpec(
            ("TEXT_DATA", "QUOTES_DATA"),
            "QuotesData",
            ("sample",),
            _TEXT_FILE,
            fields=("seed", "val_fraction"),
        ),
    ),
)

_CLASSIC_SOURCE = (("generator", "Generator", "Sequences made from the seed: fresh ones every step, 2,560 held out."),)

_SPECS += (
    KindSpec(
        name="adding",
        label="Adding problem (1997)",
        description="Hochreiter & Schmidhuber's adding problem: T pairs (a number in [0, 1], a marker); two "
        "are marked, both in the first half, and the answer after the last pair is the sum of the two marked "
        "numbers. Solved when at most 1 of 2,560 held-out answers is off by more than 0.04. Answering the mean "
        "scores MSE 0.167; a tanh RNN stays there as T grows, an LSTM finds the markers.",
        noun="adding-problem sequences",
        source_options=_CLASSIC_SOURCE,
        loss_unit="MSE",
        seq_len_applies=False,
        # a sequence typed in, one number out, beside the rule's: the question page (nothing to forecast)
        prediction_page="classify",
        shape="many-to-one",
        generated=True,
        tokens=False,
        supports_seq2seq=False,
        metrics=("mse", "solved_fraction", "solved", "wrong", "baseline_mse"),
        settings=("seed", "span"),
        preview="examples",
        info_format="T = {span}, seed {seed}",
        demo_question="0.2 0.7* 0.1 0.4* 0.9 0.3",
        demo_hint="Values from 0 to 1, two of them starred: the model answers their sum after the last one.",
        demo_comparison=(("rnn", "lstm", "gru"), 1000, ()),
    ),
    KindSpec(
        name="temporal-order",
        label="Temporal order (1997)",
        description="Hochreiter & Schmidhuber's task 6a: 100 to 110 symbols (for T = 100), mostly distractors, "
        "with an X or a Y early on and another near the middle; the class is their order (XX, XY, YX, YY). "
        "Chance is 25%.",
        noun="temporal-order sequences",
        source_options=_CLASSIC_SOURCE,
        loss_unit="nats",
        seq_len_applies=False,
        prediction_page="classify",
        shape="many-to-one",
        generated=True,
        tokens=True,
        supports_seq2seq=False,
        metrics=("accuracy", "chance"),
        settings=("seed", "span"),
        preview="examples",
        step_unit="symbols",
        demo_question="E a X b c d Y a b B",
        demo_hint="E, the distractors a-d, an X or Y twice, the trigger B: which order does the model answer?",
        info_format="base length T = {span}, seed {seed}",
        demo_comparison=(("rnn", "lstm", "gru"), 1000, ()),
    ),
    KindSpec(
        name="copy",
        label="Copy memory (2016)",
        description="Arjovsky, Shah & Bengio's copy task: ten symbols from 1-8, T - 1 blanks, the delimiter ':', "
        "then the network writes the ten symbols back. Forgetting them scores 10 ln 8 / (T + 20) nats and 1/8 "
        "of the symbols.",
        noun="copy-memory sequences",
        source_options=_CLASSIC_SOURCE,
        loss_unit="nats",
        seq_len_applies=False,
        prediction_page="classify",
        # a target at every step, the inputs read but nothing fed back: the window's one-to-many page
        # (it writes from what it read), as for the spelling lesson
        shape="one-to-many",
        generated=True,
        tokens=True,
        supports_seq2seq=False,
        metrics=("accuracy", "chance", "sequences_right", "baseline_loss"),
        settings=("seed", "span"),
        preview="examples",
        default_hidden=64,
        step_unit="symbols",
        demo_question="3 1 4 1 5 2 6 5 3 5",
        demo_hint="Ten symbols from 1 to 8: the model reads them, waits T steps and writes its copy.",
        info_format="delay T = {span}, seed {seed}",
        demo_comparison=(("rnn", "lstm", "gru"), 1000, ()),
    ),
)

KINDS: Mapping[str, KindSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
DEFAULT_KIND = _SPECS[0].name  # a new DataConfig's kind


def kind_names() -> tuple[str, ...]:
    """Every kind's name, in the order the data panel and `--data` list them."""
    return tuple(KINDS)


def kind_spec(name: str) -> KindSpec:
    """The registry entry of a kind, or a one-line error naming the kinds there are."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise PlaygroundError(f"unknown data kind {name!r}: choose one of {', '.join(KINDS)}") from None
