"""The `rnn-playground` command line: train, sample, forecast, info, gui.

Every mistake a user can make (a bad file, a bad setting) ends with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from playground.cli_args import EXIT_USAGE, build_parser
from playground.cli_neurons import cmd_clamped_sample, cmd_neurons, cmd_patch
from playground.cli_runs import cmd_export, cmd_forecast, cmd_frontier, cmd_info, cmd_replay, cmd_report
from playground.cli_window import cmd_gui, cmd_lessons
from playground.core.errors import PlaygroundError
from playground.core.shown import printable
from playground.core.train.out_path import check_out


# -- train ------------------------------------------------------------------------------
def _session_from_args(a: argparse.Namespace):
    from playground.core import config as C
    from playground.core.kinds import KINDS, kind_spec

    arch = C.arch_shorthand(a.arch, a.activation, a.init)  # irnn: a ReLU RNN with W_hh = I
    a.arch, a.activation, a.init = arch.arch, arch.activation, arch.init
    spec = kind_spec(a.data)
    if a.length is not None and "span" in spec.settings:  # the length T: named as the option
        from playground.core.bounds import BOUNDS

        BOUNDS["data.span"].check(a.length, "--length")
    numbers = not spec.tokens  # a number series: --text holds its values
    generated = spec.generated
    flags = (
        ("--gap", a.gap),
        ("--keys", a.keys),
        ("--made-up-jokes", a.made_up_jokes),
        (
            "--column",
            a.column or None,
        ),  # a CSV series' settings: silently ignored elsewhere, they would mislead
        ("--inputs", a.inputs or None),
        ("--gaps", None if a.gaps == "refuse" else a.gaps),
    )
    given = [f for f, v in flags if v is not None and f[2:].replace("-", "_") not in spec.settings]
    if given:
        wanted = {flag[2:].replace("-", "_") for flag in given}
        owners = " or ".join(f"--data {n}" for n, s in KINDS.items() if wanted <= set(s.settings))
        verb = "belongs" if len(given) == 1 else "belong"
        raise PlaygroundError(f"{' and '.join(given)} {verb} to {owners}, not --data {a.data}")
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
        inputs=a.inputs,
        gaps=a.gaps,
        generator=a.generator,
        values=tuple(a.values or ()),
        length=400 if a.length is None or "span" in spec.settings else a.length,
        span=a.length if a.length is not None and "span" in spec.settings else C.DataConfig.span,
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
        hidden=spec.default_hidden if a.hidden is None else a.hidden,
        layers=a.layers,
        bidirectional=a.bidirectional,
        activation=a.activation,
        dropout=a.dropout,
        init=a.init,
        embed=a.embed,
        heads=a.heads,
        window=a.mlp_window if a.mlp_window is not None else (a.window if numbers else 16),
        # the kind's default only where it applies: a recurrent model reading one way
        attention=(
            spec.default_attention and a.arch in C.RECURRENT_ARCHS and not a.bidirectional
            if a.attention is None
            else a.attention
        ),
    )
    train = C.TrainConfig(
        optimizer=a.optimizer,
        lr=spec.default_lr if a.lr is None else a.lr,
        batch_size=spec.default_batch if a.batch_size is None else a.batch_size,
        seq_len=spec.default_seq_len if a.seq_len is None else a.seq_len,
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


# `train --lesson ID`: the lesson card's set-up (lessons.setup_session), then the options given beside it.
_LESSON_DATA = (  # DataConfig fields the lesson sets wherever its kind reads them (argparse name, field)
    ("column", "column"),
    ("inputs", "inputs"),
    ("generator", "generator"),
    ("length", "length"),
    ("start", "start"),
    ("slope", "slope"),
    ("period", "period"),
    ("amplitude", "amplitude"),
    ("noise", "noise"),
    ("data_seed", "seed"),
    ("window", "window"),
    ("val_fraction", "val_fraction"),
)
_LESSON_KIND = (("gap", "gap"), ("keys", "keys"), ("made_up_jokes", "made_up_jokes"), ("gaps", "gaps"))
_LESSON_MODEL = (
    ("arch", "arch"),
    ("hidden", "hidden"),
    ("layers", "layers"),
    ("bidirectional", "bidirectional"),
    ("activation", "activation"),
    ("dropout", "dropout"),
    ("init", "init"),
    ("embed", "embed"),
    ("heads", "heads"),
    ("mlp_window", "window"),
    ("attention", "attention"),
)
_LESSON_TRAIN = (
    "optimizer",
    "lr",
    "batch_size",
    "seq_len",
    "clip",
    "clip_value",
    "tbptt",
    "weight_decay",
    "momentum",
    "val_every",
    "seed",
)


def _given_options(argv: Sequence[str]) -> set[str]:
    """The `train` options the user actually typed (argparse fills in the rest with defaults)."""
    parser = build_parser()
    train = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["train"]
    for action in train._actions:
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(list(argv)))) - {"command"}


def _lesson_setup(a: argparse.Namespace, given: set[str]) -> None:
    """Fill the options not given with the lesson's own settings; the session is then made from them as
    from any other options, so what is given overrides the lesson and is checked the same way."""
    from playground.core import lessons
    from playground.core.kinds import kind_spec

    if a.resume:
        raise PlaygroundError("--lesson sets up a new model: it cannot --resume one")
    card = lessons.lesson(a.lesson)
    session = lessons.setup_session(a.lesson)
    data, model, train = session.data, session.model, session.train

    def put(**values: Any) -> None:
        for name, value in values.items():
            if name not in given:
                setattr(a, name, value)

    put(data=data.kind)
    spec = kind_spec(a.data)
    if a.data == data.kind:  # the lesson's own data (unless --data chose other data)
        if data.source == "file":
            put(file=data.path)
        elif data.source == "inline" and spec.tokens:
            put(text=data.text)
        elif data.source == "inline":
            put(values=data.values)
        for name, field in _LESSON_DATA:
            if name == "length" and "span" in spec.settings:
                field = "span"  # a classic's length T is --length too (lesson 17: T = 30)
            put(**{name: getattr(data, field)})
        for name, field in _LESSON_KIND:
            if field in spec.settings:
                put(**{name: getattr(data, field)})
    for name, field in _LESSON_MODEL:
        put(**{name: getattr(model, field)})
    for name in _LESSON_TRAIN:
        put(**{name: getattr(train, name)})
    if not a.steps and not a.seconds:
        a.steps = card.steps or None


class _Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% in a log."""

    def __init__(self, total_steps: int | None, total_seconds: float | None, enabled: bool):
        self.total_steps, self.total_seconds = total_steps, total_seconds
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.last_draw = 0.0
        self.last_tenth = -1

    def clear(self) -> None:
        """Clear a bar drawn in place, so that a line printed now stands on its own."""
        if self.enabled and self.tty and self.last_draw:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

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
    import torch

    from playground.core.inspect.diagnosis import VerdictWatch
    from playground.core.train import checkpoint
    from playground.core.train.device import share_the_cpu
    from playground.core.train.stopping import EarlyStop, Stopped
    from playground.core.train.trainer import Trainer

    if a.steps and a.seconds:
        raise PlaygroundError("give either --steps or --seconds, not both")
    if a.lesson is not None:
        _lesson_setup(a, _given_options(getattr(a, "argv", None) or sys.argv[1:]))
    target = a.out if a.out is not None else a.resume
    if target is not None:  # before any training: work that cannot be saved is not started
        check_out(target)
    record = None
    if a.record is not None:
        from playground.core.train.session_file import SUFFIX as SESSION_SUFFIX

        if a.resume:
            raise PlaygroundError("--record records a run from its start: it cannot --resume a model")
        record = check_out(a.record, SESSION_SUFFIX, "--record")
    if a.resume:
        # The device is this machine's choice, not the file's: a model trained with --device cuda
        # resumes on a laptop with the default auto (the file's "cuda" would refuse there).
        # --file names a text or dialog model's data again (one saved before its text travelled
        # inside it); the data file its settings name is never read
        trainer = checkpoint.load(a.resume, device=a.device, data_file=a.file)
        out = target
    else:
        session = _session_from_args(a)
        trainer = Trainer(session)
        out = a.out
        if record is not None:  # every step, change and restore from here on (session_file.py)
            from playground.core.train.session_file import Recorder

            trainer.recorder = Recorder(session)
    steps_goal = a.steps if a.steps else (None if a.seconds else 500)
    threads_before = torch.get_num_threads()
    # The same thread policy as the window's training process: measured, re-checked while training.
    tuner = share_the_cpu(same_process=False, beside_window=False)
    progress = _Progress(steps_goal, a.seconds, enabled=not a.quiet)
    watch = VerdictWatch(trainer)  # the window's diagnosis, said as each verdict comes
    given = [
        f
        for f, v in (("--patience", a.patience), ("--stop-at-val-loss", a.stop_at_val_loss))
        if v is not None
    ]
    if given and not trainer.session.train.val_every:
        need = "needs" if len(given) == 1 else "need"
        raise PlaygroundError(
            f"{' and '.join(given)} {need} validation losses, and this run never validates: give --val-every N"
        )
    stop_rule = EarlyStop(trainer, a.patience or 0, a.stop_at_val_loss)
    stopped: Stopped | None = None
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
            t_step = time.perf_counter()
            r = trainer.step()
            if tuner is not None:  # a step that also validated is more than a step
                tuner.step_took(time.perf_counter() - t_step, comparable=r.val_loss is None)
            verdict = watch.add(r)
            if verdict is not None:
                progress.clear()
                print(json.dumps(verdict.as_dict()) if a.json else _verdict_line(verdict), flush=True)
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
            with (
                trainer.recorder.why("patience") if trainer.recorder is not None else contextlib.nullcontext()
            ):
                stopped = stop_rule.add(r)  # (patience: the best weights come back, a rewind)
            if stopped is not None:
                progress.clear()
                if not a.json:
                    print(stopped.message, flush=True)
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        threads_used = torch.get_num_threads()
        torch.set_num_threads(threads_before)  # as it was (the tests run this command in-process)
    elapsed = time.perf_counter() - t0
    val = trainer.validate()  # in the run's own batch size: part of the saved history
    tail = losses[-50:]
    train_loss = sum(tail) / len(tail) if tail else float("nan")
    progress.update(done, train_loss, val, final=True)
    # saved before anything else can fail (the held-out evaluation below): a run is never lost to
    # it; a run whose weights went NaN or infinite is not saved, over the file it resumed or at all
    saved = str(checkpoint.save(trainer, out)) if out else None
    if record is not None:
        from playground.core.train.session_file import save_session

        recorded = str(save_session(trainer, record))
    result: dict[str, Any] = {
        "steps": trainer.steps,
        "steps_this_run": trainer.steps - start_steps,
        "stopped": stopped.as_dict() if stopped is not None else None,  # --patience, --stop-at-val-loss
        "refused_steps": refused,
        "train_loss": train_loss,
        "val_loss": val,
        "steps_per_s": done / elapsed if elapsed > 0 else 0.0,
        "seconds": elapsed,
        "device": str(trainer.device),
        "threads": threads_used,  # at the end of training (core/train/threads.py picks it)
        "thread_trials": tuner.trials if tuner is not None else 0,
        "thread_trials_skipped": tuner.skipped if tuner is not None else 0,  # no core free for more
        # the classics count training sequences, not steps (the 1997 paper: "after 74,000 sequences")
        "sequences_seen": trainer.steps * trainer.session.train.batch_size,
        "parameters": trainer.model.n_params(),
        "model": trainer.session.model.describe(),
        "verdicts": [v.as_dict() for v in watch.verdicts],
    }
    if a.lesson is not None:
        result["lesson"] = a.lesson
    task = trainer.task
    metrics = task.spec.metrics
    if "unigram_entropy" in metrics and task.has_data:
        result["unigram_entropy"] = task.unigram_entropy()
    evaluated = [k for k in metrics if k != "unigram_entropy"]
    if evaluated:
        from playground.core import inference

        ev = inference.evaluate(trainer.model, task)
        result.update({k: ev[k] for k in evaluated})
    if saved:
        result["out"] = saved
    if record is not None:
        result["record"] = recorded
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
        if record is not None:
            print(f"recorded the session in {recorded} (check it: rnn-playground replay {recorded})")
    if interrupted:
        print(
            "interrupted: " + ("the model so far was saved" if out else "nothing saved (no --out)"),
            file=sys.stderr,
        )
        return 130
    return 0


def _verdict_line(v) -> str:
    """A verdict on one line: 'verdict at step 455 (exploding): ...'."""
    return f"verdict at step {v.step:,} ({v.kind}): {' '.join(v.message.split())}"


# -- sample / forecast / info -------------------------------------------------------------
def cmd_sample(a: argparse.Namespace) -> int:
    from playground.core import inference
    from playground.core.train import checkpoint

    if a.clamp:  # units pinned while sampling: cli_neurons.py
        return cmd_clamped_sample(a)
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
    """Memory, order, the copy, adding: the answer to the sequence given as --prompt (or the K likeliest)."""
    from playground.core import inference

    name = Path(a.model).name
    if a.reply is not None:
        raise PlaygroundError(f"{name} answers {task.kind} sequences, not dialogs: use --prompt")
    if not a.prompt.strip():
        example = task.spec.demo_question or task.decode(task.val_x[0])
        raise PlaygroundError(
            f"{name} answers {task.kind} sequences: pass one with --prompt, e.g. --prompt {example!r}"
        )
    if a.next is not None and a.next < 1:
        raise PlaygroundError(f"--next must be at least 1, got {a.next}")
    if task.vocab is None and hasattr(task, "answer_for"):  # the adding problem: a number, beside the rule's
        value, rule = inference.number(model, task, a.prompt), task.answer_for(task.tokenize(a.prompt))
        if a.json:
            print(json.dumps({"prompt": a.prompt, "answer": value, "rule": rule, "error": abs(value - rule)}))
        else:
            print(f"{value:.4f}  (the two marked values add up to {rule:.4f})")
        return 0
    if task.spec.shape == "one-to-many":  # one letter in, a word out
        word, steps = inference.write(model, task, a.prompt)
        if a.json:
            print(
                json.dumps(
                    {"prompt": a.prompt, "written": word, "steps": [{"char": c, "p": p} for c, p in steps]}
                )
            )
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


COMMANDS = {
    "train": cmd_train,
    "sample": cmd_sample,
    "forecast": cmd_forecast,
    "frontier": cmd_frontier,
    "info": cmd_info,
    "replay": cmd_replay,
    "export": cmd_export,
    "report": cmd_report,
    "lessons": cmd_lessons,
    "gui": cmd_gui,
    "neurons": cmd_neurons,
    "patch": cmd_patch,
}


def _survive_any_encoding() -> None:
    """Whatever the terminal's encoding (LC_ALL=C, PYTHONIOENCODING=ascii:strict), a character it
    cannot show is written as an escape, never a UnicodeEncodeError (after a file was saved, say)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot change now: leave it
                pass


def main(argv: Sequence[str] | None = None) -> int:
    _survive_any_encoding()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    args.argv = list(sys.argv[1:] if argv is None else argv)  # train --lesson: which options were given
    debug = bool(os.environ.get("RNN_PLAYGROUND_DEBUG"))
    try:
        return COMMANDS[args.command](args)
    except PlaygroundError as e:
        print(f"rnn-playground: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(
            f"rnn-playground: error: {e.strerror or e}"
            + (f": {printable(e.filename, 120)}" if e.filename else ""),
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
