"""The `rnn-playground` command line: train, sample, forecast, info, gui.

Every mistake a user can make (a bad file, a bad setting) ends with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from playground.cli_window import cmd_gui, cmd_lessons
from playground.core.errors import PlaygroundError

EXIT_USAGE = 2


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


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be more than zero, got {text}")
    return v


def build_parser() -> argparse.ArgumentParser:
    from playground import __version__
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
        "--gaps", choices=C.GAP_POLICIES, default="refuse", help="missing CSV values (default: refuse)"
    )
    d.add_argument(
        "--generator", choices=C.GENERATORS, default="sine", help="synthetic series (default: sine)"
    )
    d.add_argument("--values", type=_floats, help="an explicit series, e.g. '10,11,12,13,14'")
    d.add_argument(
        "--length", type=_positive_int, default=400, help="points a generator makes (default: 400)"
    )
    d.add_argument("--start", type=float, default=100.0, help="generator: first value (default: 100)")
    d.add_argument("--slope", type=float, default=0.1, help="generator: change per step (default: 0.1)")
    d.add_argument(
        "--period", type=_positive_float, default=40.0, help="generator: steps per cycle (default: 40)"
    )
    d.add_argument("--amplitude", type=float, default=10.0, help="generator: size of the cycle (default: 10)")
    d.add_argument(
        "--noise", type=float, default=1.0, help="generator: noise standard deviation (default: 1)"
    )
    d.add_argument("--data-seed", type=int, default=0, help="generator seed (default: 0)")
    d.add_argument(
        "--window", type=_positive_int, default=16, help="prices: past values per prediction (default: 16)"
    )
    d.add_argument(
        "--val-fraction", type=float, default=0.1, help="share held out for validation (default: 0.1)"
    )
    d.add_argument(
        "--gap",
        type=int,
        help="memory: distractor steps between the key and the question (default: 10)",
    )
    d.add_argument("--keys", type=int, help="memory: how many keys to remember, 2 to 26 (default: 8)")
    d.add_argument(
        "--made-up-jokes",
        type=int,
        help="knock-knock, bundled jokes: made-up jokes mixed into training so the model learns to copy "
        "any name; 0 = off, it learns the bundled jokes by heart (default: 3000)",
    )

    m = t.add_argument_group("model")
    m.add_argument("--arch", default="lstm", help="rnn, lstm, gru, transformer or mlp (default: lstm)")
    m.add_argument(
        "--bidirectional",
        action="store_true",
        help="read forwards and backwards (prices, memory, order: not for next-character prediction)",
    )
    m.add_argument("--layers", type=_positive_int, default=1, help="stacked layers (default: 1)")
    m.add_argument(
        "--hidden", type=_positive_int, help="units per layer (default: 128; prices, memory, order 32)"
    )
    m.add_argument("--activation", choices=C.ACTIVATIONS, default="tanh", help="vanilla RNN activation")
    m.add_argument("--dropout", type=float, default=0.0, help="dropout between layers (default: 0)")
    m.add_argument(
        "--init", choices=C.INITS, default="default", help="weight initialisation (default: torch's)"
    )
    m.add_argument("--embed", type=_positive_int, default=32, help="character vector width (default: 32)")
    m.add_argument("--heads", type=_positive_int, default=2, help="Transformer attention heads (default: 2)")
    m.add_argument("--mlp-window", type=_positive_int, help="feed-forward: inputs it sees (default: 16)")

    o = t.add_argument_group("training")
    o.add_argument("--optimizer", choices=C.OPTIMIZERS, default="adam", help="(default: adam)")
    o.add_argument("--lr", type=_positive_float, default=3e-3, help="learning rate (default: 0.003)")
    o.add_argument("--batch-size", type=_positive_int, default=32, help="(default: 32)")
    o.add_argument("--seq-len", type=_positive_int, default=64, help="characters per example (default: 64)")
    o.add_argument("--clip", choices=C.CLIP_MODES, default="norm", help="gradient clipping (default: norm)")
    o.add_argument("--clip-value", type=_positive_float, default=1.0, help="clipping threshold (default: 1)")
    o.add_argument("--tbptt", type=int, default=0, help="truncated BPTT length; 0 = whole sequence")
    o.add_argument("--weight-decay", type=float, default=0.0)
    o.add_argument("--momentum", type=float, default=0.0, help="SGD and RMSprop momentum")
    o.add_argument("--val-every", type=int, default=50, help="steps between validation losses (default: 50)")
    o.add_argument("--steps", type=_positive_int, help="optimizer steps to take (default: 500)")
    o.add_argument("--seconds", type=_positive_float, help="train for this long instead of a step count")
    o.add_argument("--device", choices=C.DEVICES, default="auto", help="auto = CUDA, then MPS, then CPU")
    o.add_argument("--seed", type=int, default=0, help="same seed, same run on a CPU (default: 0)")
    o.add_argument("--resume", metavar="MODEL", help="train on from a saved model (its settings win)")
    o.add_argument("--out", help="where to save the model (.safetensors); default: the --resume file")
    o.add_argument("--json", action="store_true", help="end with one JSON line of results")
    o.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser(
        "sample", help="continue a text, autocomplete, answer a knock, or answer a memory/order sequence"
    )
    s.add_argument("model", help="a saved model file")
    s.add_argument("--prompt", default="", help="text to continue; memory and order: the sequence to answer")
    s.add_argument("--length", type=int, default=200, help="characters to write (default: 200)")
    s.add_argument(
        "--temperature", type=float, default=1.0, help="below 1 safer, above 1 wilder (default: 1)"
    )
    s.add_argument("--top-k", type=int, default=0, help="only the k likeliest characters; 0 = all")
    s.add_argument("--greedy", action="store_true", help="always the likeliest character")
    s.add_argument("--seed", type=int, default=0, help="same seed, same text (default: 0)")
    s.add_argument(
        "--next", type=int, metavar="K", help="print the K likeliest next characters (or answers) instead"
    )
    s.add_argument("--reply", metavar="TURN", help="dialog models: answer this turn")
    s.add_argument("--history", nargs="*", default=[], help="earlier turns of the dialog, in order")
    s.add_argument("--json", action="store_true")

    f = sub.add_parser("forecast", help="forecast a price series with a saved model")
    f.add_argument("model")
    f.add_argument("--horizon", type=_positive_int, default=10, help="steps ahead (default: 10)")
    f.add_argument("--json", action="store_true")

    i = sub.add_parser("info", help="show what a model file holds")
    i.add_argument("model")
    i.add_argument("--json", action="store_true")

    les = sub.add_parser(
        "lessons",
        help="list the lessons (set one up in the window: gui --demo S --lesson ID)",
        description="The fourteen lessons: their ids and titles, what each sets up and what its check measures.",
    )
    les.add_argument("--json", action="store_true", help='one JSON object: {"lessons": [{"id", "title", ...}]}')

    g = sub.add_parser("gui", help="open the window")
    g.add_argument(
        "--demo", type=_positive_float, metavar="SECONDS", help="train a preset for SECONDS, then exit"
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
        choices=["training", "step", "scrubber", "history", "compare", "chat"],
        help="with --demo: the tab to show (live plots, step debugger, time scrubber, gradients over "
        "training, or compare: runs the preset's comparison, for memory the gap sweep)",
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
    return p


# -- train ------------------------------------------------------------------------------
def _session_from_args(a: argparse.Namespace):
    from playground.core import config as C
    from playground.core.kinds import KINDS, kind_spec

    if a.arch not in C.ARCHS:
        raise PlaygroundError(f"unknown architecture {a.arch!r}: choose one of {', '.join(C.ARCHS)}")
    spec = kind_spec(a.data)
    numbers = not spec.tokens  # a number series: --text holds its values
    generated = spec.generated
    flags = (("--gap", a.gap), ("--keys", a.keys), ("--made-up-jokes", a.made_up_jokes))
    given = [f for f, v in flags if v is not None and f[2:].replace("-", "_") not in spec.settings]
    if given:
        wanted = {flag[2:].replace("-", "_") for flag in given}
        owners = " or ".join(f"--data {n}" for n, s in KINDS.items() if wanted <= set(s.settings))
        raise PlaygroundError(f"{' and '.join(given)} belong to {owners}, not --data {a.data}")
    if generated:
        given = [flag for flag, v in (("--file", a.file), ("--text", a.text), ("--values", a.values)) if v]
        if given or a.text is not None:
            flags = ", ".join(given) or "--text"
            raise PlaygroundError(f"--data {a.data} is generated from --data-seed: it takes no {flags}")
    if a.values:
        source = "inline"
    elif a.file:
        source = "file"
    elif a.text is not None:
        source = "inline"
    else:
        source = spec.default_source
    if a.file and a.text is not None:
        raise PlaygroundError("give either --file or --text, not both")
    if numbers and a.text is not None and not a.values:
        from playground.core.data.series import parse_values

        a.values = tuple(float(v) for v in parse_values(a.text))  # a bad value: one line, exit 2
    data = C.DataConfig(
        kind=a.data,
        source=source,
        path=str(Path(a.file).expanduser()) if a.file else "",
        text=a.text if (a.text is not None and not numbers) else "",
        column=a.column,
        gaps=a.gaps,
        generator=a.generator,
        values=tuple(a.values or ()),
        length=a.length,
        start=a.start,
        slope=a.slope,
        period=a.period,
        amplitude=a.amplitude,
        noise=a.noise,
        seed=a.data_seed,
        window=a.window,
        val_fraction=a.val_fraction,
        gap=10 if a.gap is None else a.gap,
        keys=8 if a.keys is None else a.keys,
        made_up_jokes=C.DataConfig.made_up_jokes if a.made_up_jokes is None else a.made_up_jokes,
    )
    model = C.ModelConfig(
        arch=a.arch,
        hidden=a.hidden or spec.default_hidden,
        layers=a.layers,
        bidirectional=a.bidirectional,
        activation=a.activation,
        dropout=a.dropout,
        init=a.init,
        embed=a.embed,
        heads=a.heads,
        window=a.mlp_window or (a.window if numbers else 16),
    )
    train = C.TrainConfig(
        optimizer=a.optimizer,
        lr=a.lr,
        batch_size=a.batch_size,
        seq_len=a.seq_len,
        clip=a.clip,
        clip_value=a.clip_value,
        tbptt=a.tbptt,
        weight_decay=a.weight_decay,
        momentum=a.momentum,
        val_every=a.val_every,
        seed=a.seed,
        device=a.device,
    )
    data.validate()  # first: a prices --window is the data's setting even where the model copies it
    return C.SessionConfig(model=model.validate(), data=data, train=train.validate())


class _Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% in a log."""

    def __init__(self, total_steps: int | None, total_seconds: float | None, enabled: bool):
        self.total_steps, self.total_seconds = total_steps, total_seconds
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.last_draw = 0.0
        self.last_tenth = -1

    def update(self, done: int, loss: float, val: float | None, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.t0
        frac = done / self.total_steps if self.total_steps else min(1.0, elapsed / (self.total_seconds or 1))
        tenth = int(frac * 10)
        if self.tty and not final and now - self.last_draw < 0.1:
            return
        if not self.tty and not final and tenth == self.last_tenth:
            return
        self.last_draw, self.last_tenth = now, tenth
        bar = "#" * int(frac * 24) + "." * (24 - int(frac * 24))
        rate = done / elapsed if elapsed > 0 else 0.0
        val_s = f"  val {val:.4f}" if val is not None else ""
        line = f"[{bar}] {done} steps  loss {loss:.4f}{val_s}  {rate:.1f} steps/s"
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if final else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def cmd_train(a: argparse.Namespace) -> int:
    from playground.core import checkpoint
    from playground.core.trainer import Trainer

    if a.steps and a.seconds:
        raise PlaygroundError("give either --steps or --seconds, not both")
    if a.out or a.resume:  # before any training: work that cannot be saved is not started
        checkpoint.check_writable(a.out or a.resume)
    if a.resume:
        # The device is this machine's choice, not the file's: a model trained with --device cuda
        # resumes on a laptop with the default auto (the file's "cuda" would refuse there).
        trainer = checkpoint.load(a.resume, device=a.device)
        out = a.out or a.resume
    else:
        session = _session_from_args(a)
        trainer = Trainer(session)
        out = a.out
    steps_goal = a.steps if a.steps else (None if a.seconds else 500)
    progress = _Progress(steps_goal, a.seconds, enabled=not a.quiet)
    start_steps = trainer.steps
    done, last_val, refused = 0, None, 0
    losses: list[float] = []
    t0 = time.perf_counter()
    interrupted = False
    try:
        while True:
            if steps_goal is not None and done >= steps_goal:
                break
            if a.seconds is not None and time.perf_counter() - t0 >= a.seconds:
                break
            r = trainer.step()
            if r.refused:
                refused += 1
                if refused >= 20 and refused == done + 1:
                    raise PlaygroundError(f"{r.message}; giving up after {refused} refused steps in a row")
            else:
                losses.append(r.loss)
            done += 1
            if r.val_loss is not None:
                last_val = r.val_loss
            progress.update(done, r.loss, last_val)
    except KeyboardInterrupt:
        interrupted = True
    elapsed = time.perf_counter() - t0
    val = trainer.validate()
    tail = losses[-50:]
    train_loss = sum(tail) / len(tail) if tail else float("nan")
    progress.update(done, train_loss, val, final=True)
    result: dict[str, Any] = {
        "steps": trainer.steps,
        "steps_this_run": trainer.steps - start_steps,
        "refused_steps": refused,
        "train_loss": train_loss,
        "val_loss": val,
        "steps_per_s": done / elapsed if elapsed > 0 else 0.0,
        "seconds": elapsed,
        "device": str(trainer.device),
        "parameters": trainer.model.n_params(),
        "model": trainer.session.model.describe(),
    }
    task = trainer.task
    metrics = task.spec.metrics
    if "unigram_entropy" in metrics and task.has_data:
        result["unigram_entropy"] = task.unigram_entropy()
    evaluated = [k for k in metrics if k != "unigram_entropy"]
    if evaluated:
        from playground.core import inference

        ev = inference.evaluate(trainer.model, task)
        result.update({k: ev[k] for k in evaluated})
    if out:
        result["out"] = str(checkpoint.save(trainer, out))
    if a.json:
        print(json.dumps(result))
    else:
        print(
            f"trained {result['model']} for {result['steps_this_run']} steps ({result['steps']} in all) "
            f"on {result['device']}: loss {train_loss:.4f}"
            + (f", validation {val:.4f}" if val is not None else "")
        )
        if "accuracy" in result:
            print(f"held-out accuracy {result['accuracy']:.3f} (chance {result['chance']:.3f})")
        if "mae" in result:
            print(
                f"held-out MAE {result['mae']:.4g} (last-value baseline {result['baseline_mae']:.4g}), "
                f"RMSE {result['rmse']:.4g}"
            )
        if out:
            print(f"saved {result['out']}")
    if interrupted:
        print(
            "interrupted: " + ("the model so far was saved" if out else "nothing saved (no --out)"),
            file=sys.stderr,
        )
        return 130
    return 0


# -- sample / forecast / info -------------------------------------------------------------
def cmd_sample(a: argparse.Namespace) -> int:
    from playground.core import checkpoint, inference

    trainer = checkpoint.load(a.model, device="cpu")
    model, task = trainer.model, trainer.task
    page = task.spec.prediction_page
    if page == "forecast":
        raise PlaygroundError(f"{Path(a.model).name} forecasts prices: use `rnn-playground forecast`")
    if page == "classify":
        return _answer(a, model, task)
    if a.reply is not None:
        text = inference.reply(model, task, a.reply, a.history)
        print(json.dumps({"reply": text}) if a.json else text)
        return 0
    if a.next is not None:
        pairs = inference.top_next(model, task, a.prompt, a.next)
        if a.json:
            print(json.dumps({"next": [{"char": c, "p": p} for c, p in pairs]}))
        else:
            for c, p in pairs:
                print(f"{task.label(c)!s:>4}  {p:.3f}")
        return 0
    text = inference.sample(model, task, a.prompt, a.length, a.temperature, a.top_k, a.greedy, a.seed)
    print(json.dumps({"prompt": a.prompt, "text": text}) if a.json else a.prompt + text)
    return 0


def _answer(a: argparse.Namespace, model, task) -> int:
    """Memory and order models: the answer to the sequence given as --prompt (or the K likeliest)."""
    from playground.core import inference

    name = Path(a.model).name
    if a.reply is not None:
        raise PlaygroundError(f"{name} answers {task.kind} sequences, not dialogs: use --prompt")
    if not a.prompt.strip():
        example = task.spec.demo_question or task.decode(task.val_x[0])
        raise PlaygroundError(f"{name} answers {task.kind} sequences: pass one with --prompt, e.g. --prompt {example!r}")
    if a.next is not None and a.next < 1:
        raise PlaygroundError(f"--next must be at least 1, got {a.next}")
    if task.spec.shape == "one-to-many":  # one letter in, a word out
        word, steps = inference.write(model, task, a.prompt)
        if a.json:
            print(json.dumps({"prompt": a.prompt, "written": word, "steps": [{"char": c, "p": p} for c, p in steps]}))
        else:
            print(word)
        return 0
    ranked = inference.classify(model, task, a.prompt)
    shown = ranked[: a.next] if a.next is not None else ranked[:1]
    if a.json:
        print(
            json.dumps(
                {
                    "prompt": a.prompt,
                    "answer": ranked[0][0],
                    "p": ranked[0][1],
                    "answers": [{"answer": c, "p": p} for c, p in shown],
                }
            )
        )
    else:
        for c, p in shown:
            print(f"{c}  (p = {p:.3f})")
    return 0


def cmd_forecast(a: argparse.Namespace) -> int:
    from playground.core import checkpoint, inference

    trainer = checkpoint.load(a.model, device="cpu")
    task = trainer.task
    page = task.spec.prediction_page
    if page != "forecast":
        what = "answers sequences" if page == "classify" else "predicts characters"
        raise PlaygroundError(f"{Path(a.model).name} {what}: use `rnn-playground sample`")
    values = inference.forecast(trainer.model, task, a.horizon)
    ev = inference.evaluate(trainer.model, task)
    result = {
        "forecast": [float(v) for v in values],
        "mae": ev["mae"],
        "rmse": ev["rmse"],
        "baseline_mae": ev["baseline_mae"],
        "baseline_rmse": ev["baseline_rmse"],
        "last_value": float(task.values[-1]),
    }
    if a.json:
        print(json.dumps(result))
    else:
        print("forecast: " + ", ".join(f"{v:.4g}" for v in values))
        print(
            f"held-out MAE {ev['mae']:.4g} (last-value baseline {ev['baseline_mae']:.4g}), RMSE {ev['rmse']:.4g}"
        )
    return 0


def cmd_info(a: argparse.Namespace) -> int:
    from playground.core import checkpoint
    from playground.core.kinds import KINDS

    info = checkpoint.describe(a.model)
    if a.json:
        print(json.dumps(info))
        return 0
    m = info["model"]
    print(f"{info['file']}: RNN Playground model, format {info['format_version']}")
    print(
        f"  model: {m['arch']} x{m['layers']} hidden {m['hidden']}"
        + (" bidirectional" if m["bidirectional"] else "")
        + f", {info['parameters']:,} parameters"
    )
    data = info["data"]
    spec = KINDS.get(data.get("kind"))
    details = spec.describe(data) if spec is not None else data.get("source")
    print(f"  data: {data.get('kind')} ({details})")
    print(f"  trained: {info['steps']} steps on {info['trained_on']}")
    if info["last_train_loss"] is not None:
        print(
            f"  last loss: {info['last_train_loss']:.4f}"
            + (f", validation {info['last_val_loss']:.4f}" if info["last_val_loss"] is not None else "")
        )
    return 0



COMMANDS = {
    "train": cmd_train,
    "sample": cmd_sample,
    "forecast": cmd_forecast,
    "info": cmd_info,
    "lessons": cmd_lessons,
    "gui": cmd_gui,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    debug = bool(os.environ.get("RNN_PLAYGROUND_DEBUG"))
    try:
        return COMMANDS[args.command](args)
    except PlaygroundError as e:
        print(f"rnn-playground: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(
            f"rnn-playground: error: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""),
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C outside training's own handler (while saving, say): no traceback
        print("rnn-playground: interrupted; a file being saved was left as it was before", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: say so in one line, keep the traceback for those who ask
        if debug:
            raise
        print(
            f"rnn-playground: internal error: {type(e).__name__}: {e} "
            "(set RNN_PLAYGROUND_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


def run() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    run()
