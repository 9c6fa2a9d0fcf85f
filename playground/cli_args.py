"""The command line's options: ``build_parser()`` and the argument types it uses. What each
command does with them is ``cli.py``'s (and ``cli_window.py``'s for the window's commands)."""

from __future__ import annotations

import argparse
from typing import NoReturn

from playground.core.errors import PlaygroundError

EXIT_USAGE = 2  # a usage mistake, as every other mistake a user can make


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit status 2), like every other mistake."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _floats(text: str) -> tuple[float, ...]:
    from playground.core.data.series import parse_values

    try:
        return tuple(float(v) for v in parse_values(text))
    except PlaygroundError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class Setting:
    """An argparse type for a numeric option, from core/bounds.py's table: parses a number of the
    setting's kind (a whole number or any number) and, for a command's own options (``checked``),
    checks its range too; a model's, data's or training's setting is checked by its config's
    ``validate``, which reads the same table, so the message is the same wherever the value came from."""

    def __init__(self, key: str, checked: bool):
        from playground.core.bounds import BOUNDS

        self.key, self.bound, self.checked = key, BOUNDS[key], checked
        self.__name__ = "int" if self.bound.whole else "float"  # argparse's "invalid int value"

    def __call__(self, text: str) -> float:
        try:
            value = self.bound.parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        if self.checked and not self.bound.contains(value):
            raise argparse.ArgumentTypeError(self.bound.message(value))
        return value

    def help(self, text: str = "") -> str:
        return (text + "; " if text else "") + self.bound.range_text()


def setting(key: str) -> Setting:
    """A setting the configs validate (``model.``, ``data.``, ``train.``): parsed here, checked there."""
    return Setting(key, checked=False)


def option(key: str) -> Setting:
    """A command's own option (``run.``, ``sample.``, ...): parsed and range-checked here."""
    return Setting(key, checked=True)


def build_parser() -> argparse.ArgumentParser:
    from playground import __version__
    from playground.cli_neurons import (
        CLAMP_HELP,
        NEURONS_DESCRIPTION,
        PATCH_DESCRIPTION,
        TRACK_HELP,
        at_arg,
        clamp_arg,
        units_arg,
    )
    from playground.core import config as C
    from playground.core.presets import DEFAULT_PRESET, PRESETS

    p = _Parser(
        prog="rnn-playground",
        description="Train recurrent networks and watch why they learn, forget and explode. "
        "With no command, opens the window.",
    )
    p.add_argument("--version", action="version", version=f"rnn-playground {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    t = sub.add_parser("train", help="train a model and save it", description="Train a model and save it.")
    t.add_argument(
        "--lesson",
        metavar="ID",
        help="start from a lesson's set-up, as its card's Set it up does (see `lessons`); options given beside "
        "it override its settings, and --steps defaults to the lesson's",
    )
    d = t.add_argument_group("data")
    default_kind = C.DataConfig().kind
    d.add_argument(
        "--data", choices=C.DATA_KINDS, default=default_kind, help=f"what to learn (default: {default_kind})"
    )
    d.add_argument(
        "--file", help="a UTF-8 text file, a dialog file, or a CSV of prices (default: bundled data)"
    )
    d.add_argument("--text", help="text (or dialogs) given on the command line instead of a file")
    d.add_argument(
        "--column", default="", help="CSV column with the prices: a header name or a number from 1"
    )
    d.add_argument(
        "--inputs",
        default="",
        help="other CSV columns the model sees beside --column, e.g. 'volume,open' (each scaled on its own)",
    )
    d.add_argument(
        "--gaps", choices=C.GAP_POLICIES, default="refuse", help="missing CSV values (default: refuse)"
    )
    d.add_argument(
        "--generator", choices=C.GENERATORS, default="sine", help="synthetic series (default: sine)"
    )
    d.add_argument("--values", type=_floats, help="an explicit series, e.g. '10,11,12,13,14'")
    d.add_argument(
        "--length",
        type=setting("data.length"),
        help="prices: points a generator makes (default: 400); adding, temporal-order, copy: the length T "
        "(the sequence, the base length, the delay; default: 100) [4 to 1,000 steps for those]",
    )
    d.add_argument("--start", type=setting("data.start"), default=100.0, help="generator: first value (default: 100)")
    d.add_argument("--slope", type=setting("data.slope"), default=0.1, help="generator: change per step (default: 0.1)")
    d.add_argument(
        "--period", type=setting("data.period"), default=40.0, help="generator: steps per cycle (default: 40)"
    )
    d.add_argument("--amplitude", type=setting("data.amplitude"), default=10.0, help="generator: size of the cycle (default: 10)")
    d.add_argument(
        "--noise", type=setting("data.noise"), default=1.0, help="generator: noise standard deviation (default: 1)"
    )
    d.add_argument("--data-seed", type=setting("data.seed"), default=0, help="generator seed (default: 0)")
    d.add_argument(
        "--window", type=setting("data.window"), default=16, help="prices: past values per prediction (default: 16)"
    )
    d.add_argument(
        "--val-fraction", type=setting("data.val_fraction"), default=0.1, help="share held out for validation (default: 0.1)"
    )
    d.add_argument(
        "--gap",
        type=setting("data.gap"),
        help="memory: distractor steps between the key and the question (default: 10)",
    )
    d.add_argument("--keys", type=setting("data.keys"), help="memory: how many keys to remember, 2 to 26 (default: 8)")
    d.add_argument(
        "--made-up-jokes",
        type=setting("data.made_up_jokes"),
        help="knock-knock, bundled jokes: made-up jokes mixed into training so the model learns to copy "
        "any name; 0 = off, it learns the bundled jokes by heart (default: 3000)",
    )

    m = t.add_argument_group("model")
    m.add_argument(
        "--arch",
        default="lstm",
        help="rnn, lstm, gru, transformer or mlp, or irnn: a ReLU RNN with W_hh = I (Le, Jaitly & Hinton 2015), "
        "the same as --arch rnn --activation relu --init identity (default: lstm)",
    )
    m.add_argument(
        "--bidirectional",
        action="store_true",
        help="read forwards and backwards (prices, memory, order: not for next-character prediction)",
    )
    m.add_argument("--layers", type=setting("model.layers"), default=1, help="stacked layers (default: 1)")
    m.add_argument(
        "--hidden", type=setting("model.hidden"), help="units per layer (default: 128; prices, memory, order 32)"
    )
    m.add_argument("--activation", choices=C.ACTIVATIONS, default="tanh", help="vanilla RNN activation")
    m.add_argument("--dropout", type=setting("model.dropout"), default=0.0, help="dropout between layers (default: 0)")
    m.add_argument(
        "--init", choices=C.INITS, default="default", help="weight initialisation (default: torch's)"
    )
    m.add_argument("--embed", type=setting("model.embed"), default=32, help="character vector width (default: 32)")
    m.add_argument("--heads", type=setting("model.heads"), default=2, help="Transformer attention heads (default: 2)")
    m.add_argument("--mlp-window", type=setting("model.window"), help="feed-forward: inputs it sees (default: 16)")
    m.add_argument(
        "--attention",
        action=argparse.BooleanOptionalAction,
        help="RNN, LSTM, GRU: the output also reads an attention-weighted mix of the states so far, so a "
        "name can be looked back at and copied (default: on for knock-knock, off otherwise)",
    )

    o = t.add_argument_group("training")
    o.add_argument("--optimizer", choices=C.OPTIMIZERS, default="adam", help="(default: adam)")
    o.add_argument("--lr", type=setting("train.lr"), help="learning rate (default: 0.003; knock-knock 0.005)")
    o.add_argument("--batch-size", type=setting("train.batch_size"), help="(default: 32; knock-knock 16)")
    o.add_argument(
        "--seq-len",
        type=setting("train.seq_len"),
        help="characters per example (default: 64; knock-knock 128, a whole joke and the next one's start)",
    )
    o.add_argument("--clip", choices=C.CLIP_MODES, default="norm", help="gradient clipping (default: norm)")
    o.add_argument("--clip-value", type=setting("train.clip_value"), default=1.0, help="clipping threshold (default: 1)")
    o.add_argument("--tbptt", type=setting("train.tbptt"), default=0, help="truncated BPTT length; 0 = whole sequence")
    o.add_argument("--weight-decay", type=setting("train.weight_decay"), default=0.0)
    o.add_argument("--momentum", type=setting("train.momentum"), default=0.0, help="SGD and RMSprop momentum")
    o.add_argument("--val-every", type=setting("train.val_every"), default=50, help="steps between validation losses (default: 50)")
    o.add_argument("--steps", type=option("run.steps"), help="optimizer steps to take (default: 500)")
    o.add_argument("--seconds", type=option("run.seconds"), help="train for this long instead of a step count")
    o.add_argument(
        "--patience",
        type=option("run.patience"),
        metavar="N",
        help="stop after N validations without a better validation loss, and keep the best weights",
    )
    o.add_argument(
        "--stop-at-val-loss",
        type=option("run.stop_at_val_loss"),
        metavar="X",
        help="stop once a validation loss is X or lower",
    )
    o.add_argument("--device", choices=C.DEVICES, default="auto", help="auto = CUDA, then MPS, then CPU")
    o.add_argument("--seed", type=setting("train.seed"), default=0, help="same seed, same run on a CPU (default: 0)")
    o.add_argument("--resume", metavar="MODEL", help="train on from a saved model (its settings win; --file gives a text or dialog model its data again)")
    o.add_argument("--out", help="where to save the model (.safetensors); default: the --resume file")
    o.add_argument(
        "--record",
        metavar="SESSION",
        help="also save the run as a session file (.session): its settings, seeds, data hash, every step's "
        "loss and the final weights, for `rnn-playground replay` to check",
    )
    o.add_argument("--json", action="store_true", help="end with one JSON line of results")
    o.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser(
        "sample", help="continue a text, autocomplete, answer a knock, or answer a sequence (memory, order, adding, ...)"
    )
    s.add_argument("model", help="a saved model file")
    s.add_argument("--prompt", default="", help="text to continue; memory and order: the sequence to answer")
    s.add_argument("--length", type=option("sample.length"), default=200, help="characters to write (default: 200)")
    s.add_argument(
        "--temperature", type=option("sample.temperature"), default=1.0, help="below 1 safer, above 1 wilder (default: 1)"
    )
    s.add_argument("--top-k", type=option("sample.top_k"), default=0, help="only the k likeliest characters; 0 = all")
    s.add_argument("--greedy", action="store_true", help="always the likeliest character")
    s.add_argument("--seed", type=option("sample.seed"), default=0, help="same seed, same text (default: 0)")
    s.add_argument(
        "--next", type=option("sample.next"), metavar="K", help="print the K likeliest next characters (or answers) instead"
    )
    s.add_argument("--reply", metavar="TURN", help="dialog models: answer this turn")
    s.add_argument("--history", nargs="*", default=[], help="earlier turns of the dialog, in order")
    s.add_argument("--clamp", action="append", type=clamp_arg, metavar="L:U=V", help=CLAMP_HELP)
    s.add_argument("--json", action="store_true")

    n = sub.add_parser(
        "neurons", help="find the hidden units that follow a property of the text", description=NEURONS_DESCRIPTION
    )
    n.add_argument("model", help="a saved character model (text, knock-knock or quotes)")
    n.add_argument("--track", required=True, help=TRACK_HELP)
    n.add_argument("--file", help="a UTF-8 text file to read (default: the model's held-out text)")
    n.add_argument("--text", help="text given on the command line instead of a file")
    n.add_argument("--top", type=option("neurons.top"), default=10, metavar="K", help="units to list (default: 10)")
    n.add_argument(
        "--ablate",
        action="store_true",
        help="also hold each listed h unit (yes/no tracks) at zero or its mean and measure the rise of the loss "
        "inside and outside the track, beside 10 random units of the top unit's layer (reads 5,000 characters)",
    )
    n.add_argument(
        "--mode", choices=["zero", "mean"], default="zero", help="--ablate holds a unit at zero or at its mean over the text"
    )
    n.add_argument("--json", action="store_true", help='end with one JSON line: {"units": [...]}, best first')

    pt = sub.add_parser("patch", help="carry a hidden state from one text into another and compare", description=PATCH_DESCRIPTION)
    pt.add_argument("model", help="a saved character model (text, knock-knock or quotes) without attention")
    pt.add_argument("--source", required=True, metavar="TEXT", help="the text whose state is carried")
    pt.add_argument("--target", required=True, metavar="TEXT", help="the text it is put into")
    pt.add_argument("--units", type=units_arg, metavar="L:U,...", help="carry only these units (h, and an LSTM's c)")
    pt.add_argument(
        "--direction", type=option("patch.direction"), metavar="N",
        help="carry only the part along principal direction N of the top layer's states over both texts",
    )  # fmt: skip
    pt.add_argument(
        "--at", type=at_arg, default=(None, None), metavar="S:T",
        help="take the state after S characters of the source and put it in after T of the target, which then "
        "reads on (default: after each whole text); either side may be left empty",
    )  # fmt: skip
    pt.add_argument("--length", type=option("sample.length"), default=80, help="characters to write (default: 80)")
    pt.add_argument("--temperature", type=option("sample.temperature"), default=1.0, help="as sample's (default: 1)")
    pt.add_argument("--greedy", action="store_true", help="always the likeliest character (temperature 0)")
    pt.add_argument("--seed", type=option("sample.seed"), default=0, help="both continuations draw from this seed")
    pt.add_argument("--json", action="store_true", help='one JSON line: {"unpatched": ..., "patched": ..., ...}')

    fr = sub.add_parser(
        "frontier",
        help="how many seeds of each architecture solve a classic task at each length T",
        description="For each architecture and length T, train each seed until it solves the task by the "
        "paper's criterion (checked on 2,560 held-out sequences) or its steps run out; one line per cell as "
        "each finishes: the seeds that solved and the training sequences they needed.",
    )
    fr.add_argument("--data", default="adding", help="adding, temporal-order or copy (default: adding)")
    fr.add_argument("--lengths", default="10,20,50", help="the lengths T, comma-separated (default: 10,20,50)")
    fr.add_argument("--arch", default="rnn,lstm,gru,irnn", help="architectures, comma-separated (default: rnn,lstm,gru,irnn)")
    fr.add_argument("--seeds", type=option("frontier.seeds"), default=3, help="seeds 0 to N - 1 per cell (default: 3)")
    fr.add_argument("--steps", type=option("run.steps"), default=5000, help="at most this many steps a seed (default: 5000)")
    fr.add_argument(
        "--check-every", type=option("frontier.check_every"), default=100, help="steps between verdicts (default: 100)"
    )
    fr.add_argument("--clip", type=option("frontier.clip"), default=1.0, help="gradient norm clip; 0 = off (default: 1)")
    fr.add_argument("--hidden", type=setting("model.hidden"), default=32, help="units (default: 32)")
    fr.add_argument("--lr", type=setting("train.lr"), default=3e-3, help="Adam's learning rate (default: 0.003)")
    fr.add_argument("--batch-size", type=setting("train.batch_size"), default=32, help="(default: 32)")
    fr.add_argument("--json", action="store_true", help="one JSON object per cell, a line each, as each finishes")

    f = sub.add_parser("forecast", help="forecast a price series with a saved model")
    f.add_argument("model")
    f.add_argument("--horizon", type=option("forecast.horizon"), default=10, help="steps ahead (default: 10)")
    f.add_argument("--json", action="store_true")

    r = sub.add_parser(
        "replay",
        help="re-run a session file from its start and check every step's loss and the final weights",
        description="Re-run a session file's actions (train --record, or File > Save Session in the window) "
        "from the start on the CPU, and check that every recorded step's loss is the same bit for bit and "
        "the final weights are equal tensor for tensor. Exit 0: identical; 1: a difference (the first is "
        "named); 2: a bad file, or data that changed since it was recorded.",
    )
    r.add_argument("session", help="a session file (.session)")
    r.add_argument("--json", action="store_true", help='one JSON line: {"steps": N, "identical": true, ...}')

    rp = sub.add_parser(
        "report",
        help="write a session as one HTML page to hand in (settings, curves, verdicts, the replay's check)",
        description="Replay a session file (as `replay` does) and write one self-contained HTML page: the "
        "settings, the loss and gradient curves, the gradient through time at the end, the diagnosis' "
        "verdicts on the way with their steps, the actions in order, and whether the replay came out the "
        "same bit for bit. Its pictures are inline: it opens in any browser with no network.",
    )
    rp.add_argument("session", help="a session file (.session)")
    rp.add_argument("--out", required=True, metavar="REPORT.html", help="the page to write (.html added when missing)")

    i = sub.add_parser("info", help="show what a model file holds")
    i.add_argument("model")
    i.add_argument("--json", action="store_true")

    x = sub.add_parser(
        "export",
        help="write a model as one PyTorch script (needs only torch, numpy, safetensors)",
        description="Write one readable Python file that rebuilds the model in plain PyTorch: its settings, "
        "the model class, the data encoding, training and prediction. It reads this app's model files and "
        "writes files the app opens; run it with --help.",
    )
    x.add_argument("model", help="a saved model file")
    x.add_argument("--script", required=True, metavar="OUT.py", help="the Python file to write")

    les = sub.add_parser(
        "lessons",
        help="list the lessons (set one up in the window: gui --demo S --lesson ID; train one: train --lesson ID)",
        description="The built-in lessons: their ids and titles, what each sets up and what its check measures.",
    )
    les.add_argument("--json", action="store_true", help='one JSON object: {"lessons": [{"id", "title", ...}]}')
    les.add_argument(
        "--file", metavar="LESSON.toml",
        help="read a lesson file (docs/lessons.md) and say what it sets up, tries and checks; a mistake in it is "
        "one line naming the line and the key (exit 2)",
    )  # fmt: skip

    g = sub.add_parser("gui", help="open the window")
    g.add_argument(
        "--demo", type=option("gui.demo"), metavar="SECONDS", help="train a preset for SECONDS, then exit"
    )
    g.add_argument("--screenshot", metavar="PATH", help="with --demo: save a PNG of the window")
    g.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        choices=list(PRESETS),
        help="with --demo: what to train (default: an LSTM on knock-knock jokes)",
    )
    g.add_argument(
        "--view",
        default="training",
        choices=["training", "step", "scrubber", "history", "compare", "chat", "neurons", "trajectory", "export"],
        help="with --demo: the tab to show (live plots, step debugger, time scrubber, gradients over "
        "training, or compare: runs the preset's comparison, for memory the gap sweep, for adding, "
        "temporal-order and copy the frontier; export: saves "
        "the model and exports its script, the File menu drawn open)",
    )
    g.add_argument(
        "--lesson",
        metavar="ID",
        help="with --demo: set up this lesson (see `lessons`), train it, run its check and show its card",
    )
    g.add_argument(
        "--json",
        action="store_true",
        help="with --demo: at exit, print one JSON line: steps, steps_per_s, frames_per_s, latency_p95_ms",
    )
    g.add_argument(
        "--file",
        metavar="PATH",
        help="with --demo: train the preset's model on this file instead (a CSV for --preset prices)",
    )
    g.add_argument(
        "--theme",
        choices=["system", "light", "dark"],
        default=None,
        help="the window's colours for this run (default: the one View > Theme remembers, else the system's)",
    )
    g.add_argument("--column", default="", help="with --file: the CSV column to forecast")
    g.add_argument("--inputs", default="", help="with --file: CSV columns the model sees beside it (A,B,...)")
    for command in sub.choices.values():  # every numeric option's --help names its range, from the table
        for action in command._actions:
            if isinstance(action.type, Setting) and action.help is not argparse.SUPPRESS:
                action.help = f"{action.help or ''} [{action.type.bound.range_text()}]".lstrip().replace("%", "%%")
    return p


def bounded_options(parser: argparse.ArgumentParser) -> dict[str, list[tuple[str, Setting]]]:
    """Each command's numeric options and their types: {command: [(--flag, Setting)]}."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: [(a.option_strings[-1], a.type) for a in command._actions if isinstance(a.type, Setting)]
        for name, command in sub.choices.items()
    }
