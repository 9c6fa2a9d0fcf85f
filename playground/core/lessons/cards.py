"""The fourteen lesson cards, as data: the words, the set-up, what to watch, what to try.

Their checks (what each card measures on the live model) are in playground.core.lessons.
"""

from __future__ import annotations

from dataclasses import dataclass

# The views a lesson can open (tab ids the window knows) and the parts it can outline.
TABS = ("training", "step", "scrubber", "history", "compare", "unrolled", "shapes")
OUTLINES = ("loss", "grad_norm", "gradient", "gates", "hidden", "predict", "compare", "scrubber", "unrolled", "shapes")


@dataclass(frozen=True)
class Lesson:
    id: str
    number: int
    title: str
    text: str  # two to four sentences, in our own words
    preset: str  # the session "Set it up" loads (playground.core.presets.PRESETS)
    tab: str  # the view it opens (TABS)
    outline: str  # the part of that view it outlines (OUTLINES)
    watch: str  # what to look at while it trains
    try_label: str  # the one action the card offers, as its button reads
    try_action: str  # what that button does (the window's action id, see ui/lessons_view.py)
    steps: int = 0  # optimizer steps "Set it up" trains before the check means something (0: none)
    seeds: tuple[int, ...] = ()  # where the claim depends on luck: the seeds its spread is shown over
    # More buttons beside "Try this", as (label, action): a setting the claim depends on (lesson 2's
    # hidden size), or the card's other set-ups (lesson 14's four uses). Actions as ``try_action``.
    more: tuple[tuple[str, str], ...] = ()



SEEDS = (0, 1, 2, 3, 4)
# Lesson 3's sweep: the memory task at these gaps d, a GRU against a feed-forward network with a window
# of 16 inputs (the lesson-window preset): the key is inside the window while d <= 14.
WINDOW_GAPS = "4, 8, 12, 16, 20"
WINDOW_SWEEP_STEPS = 1000

CARDS: tuple[Lesson, ...] = (
    Lesson(
        id="order",
        number=1,
        title="Order matters",
        text="“The food was good, not bad at all” and “the food was bad, not good at all” use the same "
        "words and mean opposite things. A model that only counts words cannot tell them apart; a "
        "recurrent network reads the words one after another, so the order reaches its answer.",
        preset="lesson-order",
        tab="compare",
        outline="compare",
        watch="The accuracy column: the recurrent models climb towards 100% while the word-averaging "
        "model (the feed-forward reference, given the average of the word vectors) stays at a coin toss.",
        try_label="Compare with a word counter",
        try_action="compare:rnn,gru,mlp",
        steps=300,
        seeds=SEEDS,
    ),
    Lesson(
        id="long-context",
        number=2,
        title="Long context",
        text="“I grew up in Japan … I speak fluent ___”: the word that decides the answer came long "
        "before it. The memory task makes that exact: a key letter, d random digits, then a question "
        "whose answer is the key's partner. At d = 20, over five seeds, the GRU carried the key every "
        "time and the LSTM in most (where it fell short it still knew 7 of the 8 keys); the vanilla "
        "RNN stayed at chance in four and found it in one: run the seeds to see. All with 32 units: with "
        "128 the vanilla RNN gets partway or all the way in most seeds, a lesson about capacity.",
        preset="lesson-memory",
        tab="training",
        outline="loss",
        watch="The loss: it stays flat near chance while the model has not found the key, then drops. "
        "Ask it a sequence in the Predict panel.",
        try_label="Try a vanilla RNN instead",
        try_action="arch:rnn",
        steps=2000,
        seeds=SEEDS,
        more=(("Vanilla RNN with 128 units", "model:arch=rnn,hidden=128"),),
    ),
    Lesson(
        id="recurrent-vs-feedforward",
        number=3,
        title="Recurrent against feed-forward",
        text="Prices 10, 11, 12, 13, 14: what comes next? Averaging them, which throws their order away, "
        "says 12. A recurrent network carries a state from one price to the next, so it can learn that "
        "each price is one more than the last and say 15. A feed-forward network that gets the five "
        "prices in five inputs of their own sees their order too, and says 15 as well: its limit is "
        "length, a fixed window: the second button shows where it runs out.",
        preset="lesson-prices",
        tab="training",
        outline="predict",
        watch="The forecast in the Predict panel continues the rising line; the check feeds it 10 to 14.",
        try_label="Forecast",
        try_action="forecast",
        steps=400,
        more=(("Where the window runs out (GRU against feed-forward)", f"sweep:gru,mlp:{WINDOW_GAPS}"),),
    ),
    Lesson(
        id="unrolled",
        number=4,
        title="The recurrence, unrolled",
        text="A recurrent network is one small network used again at every step: it takes the input x_t "
        "and its own previous state h_{t-1} and makes h_t. Drawn out over a sequence it looks like a "
        "long chain, but every link uses the same weights W_hh and W_xh.",
        preset="lesson-unrolled",
        tab="unrolled",
        outline="unrolled",
        watch="One box per step, each with its input below and h_t as a coloured strip; every arrow "
        "between boxes is the same matrix W_hh. Click a box to open that step in the scrubber.",
        try_label="Step once",
        try_action="step",
        steps=50,
    ),
    Lesson(
        id="bptt",
        number=5,
        title="Backpropagation through time",
        text="To learn, the error at the end flows backwards along the same chain, step by step, by the "
        "chain rule. Because every step shares W_hh, each step adds its own share to the gradient of "
        "W_hh; steps whose error arrives weakened add little.",
        preset="lesson-unrolled",
        tab="unrolled",
        outline="unrolled",
        watch="The gradient flowing right to left under the boxes, and how much each step adds to "
        "dL/dW_hh. The gradient-through-time plot shows the same curve on a log scale.",
        try_label="Step once",
        try_action="step",
        steps=50,
    ),
    Lesson(
        id="vanishing",
        number=6,
        title="Vanishing gradients",
        text="Each step back multiplies the error by W_hh and by the slope of tanh, both usually below "
        "one. After twenty steps little is left, so a vanilla RNN gets almost no signal about the key "
        "it should have kept: its loss stays at chance. Set it up trains seed 1: in seed 0 this RNN "
        "finds the key after all (one of five; Run 5 seeds shows the spread).",
        preset="lesson-vanishing",
        tab="training",
        outline="gradient",
        watch="The gradient through time: a steep slope down towards the start, below 10⁻³ at the key, "
        "while the loss stays flat.",
        try_label="Switch to an LSTM",
        try_action="arch:lstm",
        steps=2000,
        seeds=SEEDS,
    ),
    Lesson(
        id="exploding",
        number=7,
        title="Exploding gradients",
        text="When the factors along the chain are above one instead, the error grows at every step "
        "back. One step can then throw the weights far away, and the loss jumps or becomes NaN.",
        preset="lesson-exploding",
        tab="training",
        outline="grad_norm",
        watch="The gradient norm during training: spikes a hundred times its usual size, and the banner "
        "that names them.",
        try_label="Clip at norm 1",
        try_action="fix:clip",
        steps=300,
        seeds=SEEDS,
    ),
    Lesson(
        id="activations",
        number=8,
        title="ReLU and other activations",
        text="tanh squashes big inputs, and where it is flat its slope is near zero, so the error shrinks "
        "at each step back. ReLU's slope is one wherever it is active, but that alone does not carry the "
        "gradient further: it still passes through a small random W_hh at every step. The start does: "
        "with W_hh = I, ReLU passes the error on unchanged and tanh shrinks it less.",
        preset="lesson-vanishing",
        tab="training",
        outline="gradient",
        watch="The gradient through time of a fresh model: how far back it reaches with tanh, then with "
        "ReLU and the same default init. Check compares all four: tanh or ReLU, default or identity init.",
        try_label="ReLU, default init",
        try_action="activation:relu",
    ),
    Lesson(
        id="identity-init",
        number=9,
        title="Identity initialisation",
        text="Start W_hh as the identity matrix and the biases at zero, and a ReLU network copies its "
        "state forward unchanged at first: the error travels back through time without shrinking or "
        "growing, and training can find long-range links.",
        preset="lesson-identity",
        tab="training",
        outline="gradient",
        watch="At step 0 the gradient through time is nearly flat: the first step gets almost as much "
        "as the last.",
        try_label="Default init instead",
        try_action="init:default",
    ),
    Lesson(
        id="clipping",
        number=10,
        title="Gradient clipping",
        text="Clipping rescales a gradient whose norm is larger than a limit down to that limit, "
        "keeping its direction. A bad batch can then move the weights only so far, and the exploding "
        "network trains calmly.",
        preset="lesson-clipping",
        tab="training",
        outline="grad_norm",
        watch="Two lines: the gradient norm before clipping (grey, dashed) keeps spiking, the one after "
        "clipping stays at the limit, and the loss keeps falling.",
        try_label="Start again without clipping",
        try_action="restart:clip-off",
        steps=300,
        seeds=SEEDS,
    ),
    Lesson(
        id="gates",
        number=11,
        title="LSTM and GRU gates",
        text="An LSTM keeps a separate cell state and three gates decide what to forget, what to write "
        "and what to show; a GRU does it with two. A forget gate held near one lets the cell carry the "
        "key across the digits untouched, and the gradient back along it.",
        preset="lesson-memory",
        tab="training",
        outline="gates",
        watch="The gates plot: the forget gate f stays open (near 1) between the key and the question.",
        try_label="Switch to a GRU",
        try_action="arch:gru",
        steps=2000,
        seeds=SEEDS,
    ),
    Lesson(
        id="bidirectional",
        number=12,
        title="Bidirectional, where the whole sequence is known",
        text="A bidirectional model runs a second network from the end to the start. On the memory task "
        "at d = 40 that backward pass reads the key one step before the answer, so even a vanilla RNN "
        "solves it. For next-character prediction the window refuses it: reading backwards would see "
        "the very character it has to predict.",
        preset="lesson-bidirectional",
        tab="training",
        outline="predict",
        watch="The loss falls although the key is 40 steps back; the scrubber shows both directions.",
        try_label="One direction only",
        try_action="bidirectional:off",
        steps=600,
        seeds=SEEDS,
    ),
    Lesson(
        id="shapes",
        number=13,
        title="The shapes of sequence tasks",
        text="Many-to-many: an output after every input (next character). Many-to-one: a whole sequence, "
        "then one answer (memory, word order). Encoder-decoder: one network reads, another writes a reply "
        "of its own length (knock-knock). One-to-many, set up here: a word's first letter goes in once, "
        "then only blanks, and the network writes the whole word from what its hidden state kept.",
        preset="lesson-shapes",
        tab="shapes",
        outline="shapes",
        watch="The four shapes, one-to-many highlighted. Then type a letter in the Predict panel: the model "
        "writes its word. A feed-forward network with a window of 4 loses the letter after 4 steps.",
        try_label="Feed-forward, window of 4",
        try_action="arch:mlp",
        steps=600,
        seeds=SEEDS,
    ),
    Lesson(
        id="uses",
        number=14,
        title="What recurrent networks are used for",
        text="Autocomplete (the text data), a joke partner (knock-knock), a price forecast, and anomaly "
        "detection: a model that predicts the next value well makes large errors exactly where "
        "something unusual happens.",
        preset="anomalies",
        tab="training",
        outline="predict",
        watch="The forecast chart in the Predict panel: circles where the one-step error is many times "
        "the usual one.",
        try_label="Forecast and mark anomalies",
        try_action="forecast",
        steps=400,
        more=(
            ("Set up autocomplete (text)", "preset:text"),
            ("Set up a joke partner (knock-knock)", "preset:knock-knock"),
            ("Set up a price forecast", "preset:prices"),
        ),
    ),
)
