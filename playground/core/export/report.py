"""A session as one page a student hands in: ``rnn-playground report SESSION --out report.html`` and
the window's File > Export Report.

The page is one self-contained HTML file: no script, no style sheet or font from elsewhere, its
pictures inline (SVG written here, as ``data:`` images), so it opens in any browser with no network
and can be mailed or uploaded as it is. It holds:

* the model, data and training settings the session started from (and each reset's),
* the replay: the session re-run on the CPU from its recorded actions, and whether every loss and the
  final weights came out the same bit for bit (the report is made from the replay, so its curves are
  the run's own numbers, not a copy someone could edit),
* the loss per step (and the validation loss), the gradient norm per step before and after
  clipping, and the gradient through time of the final model on its probe sequence,
* the verdicts the window's diagnosis gives on the way (``VerdictWatch``: exploding, vanishing,
  NaN, overfitting), each with the step it came at,
* the actions in order, and, from the window, the lesson's check beside the learner's prediction.

Everything shown is escaped: a file name or a data text cannot inject markup.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from playground.core.errors import PlaygroundError

__all__ = ["LessonNote", "Run", "collect", "render", "write_report"]

MAX_POINTS = 800  # a curve is thinned to at most this many points (every step's number is in the replay)
# Okabe-Ito: told apart with the common colour-vision deficiencies; dashes tell them apart too.
BLUE, ORANGE, VERMILLION, GREY = "#0072B2", "#E69F00", "#D55E00", "#606060"


@dataclass(frozen=True)
class LessonNote:
    """What the window adds: the lesson, the learner's prediction and the check's result."""

    title: str
    question: str = ""
    predicted: str = ""  # the learner's answer before Check ("" when not asked or not answered)
    measured: str = ""  # what the check's numbers say the answer was
    result: str = ""  # the check's sentence
    passed: bool | None = None


@dataclass
class Run:
    """What the replay saw."""

    name: str
    sessions: list[dict] = field(default_factory=list)  # the settings each build started from
    data_hashes: list[str] = field(default_factory=list)  # the SHA-256 of each build's data, as recorded
    build_steps: list[int] = field(default_factory=list)  # steps (accepted or refused) each build trained
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    grad: list[float] = field(default_factory=list)
    grad_clipped: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)  # diagnosis.Verdict, in order
    replay: dict = field(default_factory=dict)
    actions: tuple = ()
    probe_labels: tuple[str, ...] = ()
    probe_grad: np.ndarray | None = None  # (T,) ||dL_T/dh_t||, the final model's top layer
    describe: str = ""
    saved: bool = True  # the session is a file its reader can replay (the window's report: not yet saved)


def collect(path: str | Path, name: str | None = None) -> Run:
    """Replay the session at ``path`` and keep what the page shows (``name``: what the page calls it,
    the file's name by default). A bad file or changed data is the replay's one-line error."""
    from playground.core.inspect.diagnosis import VerdictWatch
    from playground.core.train.replay import replay_trainer
    from playground.core.train.session_file import read_session

    run = Run(name or Path(path).name)
    run.saved = name is None  # the page names a session file its reader can replay
    _meta, _tensors, rec = read_session(path)
    run.actions = rec.actions
    run.data_hashes = [rec.start["data"].get("sha256", "")] + [
        a.get("data", {}).get("sha256", "") for a in rec.actions if a.get("do") == "reset"
    ]
    offset = [0]  # steps of the builds before this one (a reset starts a model at step 0 again)

    def watch(trainer):
        verdicts = VerdictWatch(trainer)
        run.sessions.append(trainer.session.to_dict())
        run.build_steps.append(0)
        offset[0] = run.steps[-1] if run.steps else 0
        base = offset[0]

        def on_step(report) -> None:
            run.build_steps[-1] += 1
            verdict = verdicts.add(report)
            if verdict is not None:
                run.verdicts.append(verdict)
            if report.refused:
                return
            run.steps.append(base + int(report.step))
            run.losses.append(float(report.loss))
            run.grad.append(float(report.grad_norm))
            run.grad_clipped.append(float(report.grad_norm_clipped))
            if report.val_loss is not None:
                run.val_steps.append(base + int(report.step))
                run.val_losses.append(float(report.val_loss))

        return on_step

    result, trainer = replay_trainer(path, watch)
    run.replay = result
    run.describe = trainer.session.model.describe()
    try:
        probe = trainer.probe()
        run.probe_labels = tuple(probe.labels)
        run.probe_grad = np.asarray(probe.grad_norm[-1], dtype=np.float64)
    except (PlaygroundError, RuntimeError, ValueError):  # a model without a probe: no picture of it
        run.probe_grad = None
    return run


# -- pictures ----------------------------------------------------------------------------------------
def _thin(xs: Sequence[float], ys: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    if len(x) > MAX_POINTS:
        keep = np.unique(np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(int))
        x, y = x[keep], y[keep]
    return x, y


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}"
    return f"{v:.4g}"


def svg_plot(
    series: Sequence[tuple[str, Sequence[float], Sequence[float], str, str]],
    title: str,
    x_label: str,
    y_label: str,
    log_y: bool = False,
    whole_x: bool = True,
    width: int = 680,
    height: int = 280,
) -> str:
    """A line chart as SVG text. ``series``: (name, xs, ys, colour, "solid"/"dashed"/"dots")."""
    left, right, top, bottom = 64, 16, 30, 46
    pw, ph = width - left - right, height - top - bottom
    pts = []
    for name, xs, ys, colour, style in series:
        x, y = _thin(xs, ys)
        ok = np.isfinite(y) & ((y > 0) if log_y else True)
        pts.append((name, x[ok], np.log10(y[ok]) if log_y else y[ok], colour, style))
    xs_all = np.concatenate([p[1] for p in pts]) if pts else np.zeros(0)
    ys_all = np.concatenate([p[2] for p in pts]) if pts else np.zeros(0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" fill="#202020">{html.escape(title)}</text>',
    ]
    if len(xs_all) == 0:
        out.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{GREY}">no numbers to draw</text>'
        )
        return "".join(out) + "</svg>"
    x0, x1 = float(xs_all.min()), float(xs_all.max())
    y0, y1 = float(ys_all.min()), float(ys_all.max())
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    pad = (y1 - y0) * 0.05 or (abs(y0) * 0.1 or 1.0)
    y0, y1 = y0 - pad, y1 + pad

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / (y1 - y0) * ph

    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#c8c8c8"/>')
    decades = [float(d) for d in range(math.ceil(y0), math.floor(y1) + 1)] if log_y else []
    for t in decades if len(decades) >= 2 else _ticks(y0, y1):
        yy = sy(t)
        if decades and len(decades) >= 2:  # a log axis over decades: 1e-3, 0.01, 0.1, 1, 10, 1e2 ...
            shown = {-2: "0.01", -1: "0.1", 0: "1", 1: "10"}.get(int(t), f"1e{int(t)}")
        else:
            shown = f"{10**t:.3g}" if log_y else _label(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ececec"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="#404040">{shown}</text>')
    for t in _ticks(x0, x1):
        if whole_x and t != int(t):  # steps and time steps are whole numbers
            continue
        xx = sx(t)
        out.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#808080"/>'
        )
        out.append(
            f'<text x="{xx:.1f}" y="{top + ph + 17}" text-anchor="middle" fill="#404040">{_label(t)}</text>'
        )
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle" fill="#202020">{html.escape(x_label)}</text>'
    )
    out.append(
        f'<text x="14" y="{top + ph / 2}" text-anchor="middle" fill="#202020" transform="rotate(-90 14 {top + ph / 2})">'
        f"{html.escape(y_label + (' (log scale)' if log_y else ''))}</text>"
    )
    legend_x = left + 8
    for name, x, y, colour, style in pts:
        if style == "dots":
            out += [
                f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.6" fill="{colour}"/>'
                for a, b in zip(x, y, strict=True)
            ]
        elif len(x):
            dash = ' stroke-dasharray="6 4"' if style == "dashed" else ""
            line = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(x, y, strict=True))
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.6"{dash}/>')
        dashes = ' stroke-dasharray="6 4"' if style == "dashed" else ""
        mark = (
            f'<circle cx="{legend_x + 9}" cy="{top + 12}" r="3" fill="{colour}"/>'
            if style == "dots"
            else f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{top + 12}" y2="{top + 12}" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>'
        )
        out.append(mark)
        out.append(f'<text x="{legend_x + 24}" y="{top + 16}" fill="#202020">{html.escape(name)}</text>')
        legend_x += 40 + 7 * len(name)
    return "".join(out) + "</svg>"


def _img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}">'


# -- the page ----------------------------------------------------------------------------------------
STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#202020;line-height:1.45}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}.ok{color:#006b3c}.bad{color:#a12a00}"
    "img{max-width:100%;display:block;margin:.6em 0}.note{color:#505050;font-size:.92em}"
)


def _settings_table(d: dict, data_hash: str = "") -> str:
    """The settings as a table: the model's and training's in full, the data's that say what it is."""
    from playground.core.config import describe_data

    rows = []
    for part in ("model", "data", "train"):
        values = d.get(part, {})
        if part == "data":
            from playground.core.kinds import kind_spec

            spec = kind_spec(str(values.get("kind")))  # (a recorded kind was checked when the file was read)
            keys = ("kind", "source", "path", *spec.settings)
            kept = {k: values[k] for k in keys if k in values and values[k] not in ("", [], None)}
            shown = f"{describe_data(values)}: " + ", ".join(f"{k} = {v}" for k, v in kept.items())
            if data_hash:
                shown += f"; SHA-256 of the data {data_hash}"
        else:
            shown = ", ".join(f"{k} = {v}" for k, v in values.items() if v not in ("", [], None))
        rows.append(f"<tr><th>{part}</th><td>{html.escape(shown)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _action_words(a: dict) -> str:
    do = a.get("do")
    if do == "train":
        return f"trained {a['steps']:,} step{'s' if a['steps'] != 1 else ''}"
    if do == "set":
        return "changed " + ", ".join(f"{k} to {v}" for k, v in a.get("changes", {}).items())
    if do == "rewind":
        return f"went back to moment {a['to']} ({a.get('why', '')})"
    if do == "reset":
        return "started a new model (Reset or new settings)"
    if do == "fix":
        return f"applied the fix “{a.get('fix', '')}” from the diagnosis"
    if do == "clamp":
        return f"wrote text with unit {a['layer']}:{a['unit']} pinned to {a['value']}"
    return str(do)


def render(run: Run, lesson: LessonNote | None = None, when: datetime.datetime | None = None) -> str:
    """The page, as HTML text."""
    esc = html.escape
    when = when or datetime.datetime.now()
    r = run.replay
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>RNN Playground report: {esc(run.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>RNN Playground report: {esc(run.name)}</h1>",
        f"<p class='note'>Made {esc(when.strftime('%Y-%m-%d %H:%M'))} from "
        f"{f'the session file {esc(run.name)}' if run.saved else 'the session in the window'}: "
        f"{esc(run.describe)}, {r.get('steps', 0):,} recorded steps, {len(run.actions)} actions.</p>",
    ]
    if r.get("identical"):
        parts.append(
            f"<p class='ok'>✓ Replayed from its recorded actions on the CPU: every step's loss and the final "
            f"weights are the same bit for bit ({r.get('weights_compared', 0)} weight tensors compared).</p>"
        )
    else:
        from playground.core.train.replay import mismatch_line

        parts.append(
            f"<p class='bad'>✗ The replay differs: {esc(mismatch_line(r))}. The curves below are the replay's.</p>"
        )
    if lesson is not None:
        parts.append(f"<h2>Lesson: {esc(lesson.title)}</h2>")
        if lesson.question:
            parts.append(f"<p><b>Question</b>: {esc(lesson.question)}</p>")
        rows = [
            ("Predicted", lesson.predicted or "(no prediction made)"),
            ("Measured", lesson.measured or "(not checked)"),
        ]
        parts.append(
            "<table>" + "".join(f"<tr><th>{a}</th><td>{esc(b)}</td></tr>" for a, b in rows) + "</table>"
        )
        if lesson.result:
            mark = "✓ " if lesson.passed else ("✗ " if lesson.passed is False else "")
            cls = "ok" if lesson.passed else ("bad" if lesson.passed is False else "note")
            parts.append(f"<p class='{cls}'>{mark}{esc(lesson.result)}</p>")
    parts.append("<h2>Settings</h2>")
    builds = list(zip(run.sessions, run.data_hashes, run.build_steps, strict=True))
    skipped = 0
    for i, (s, digest, trained) in enumerate(builds):
        if (
            trained == 0 and i < len(builds) - 1
        ):  # a model replaced before it trained a step: no part of the run
            skipped += 1
            continue
        where = "At the start" if i == 0 else f"After reset {i}"
        parts.append(f"<p>{where} ({trained:,} steps trained):</p>" + _settings_table(s, digest))
    if skipped:
        parts.append(
            f"<p class='note'>({skipped} model{'s' if skipped > 1 else ''} replaced before training a step "
            "left out.)</p>"
        )
    parts.append("<h2>Loss</h2>")
    loss_series = [("training loss", run.steps, run.losses, BLUE, "solid")]
    if run.val_steps:
        loss_series.append(("validation loss", run.val_steps, run.val_losses, ORANGE, "dots"))
    parts.append(
        _img(svg_plot(loss_series, "Loss per step", "optimizer step", "loss"), "The loss at every step")
    )
    if run.losses:
        last = run.losses[-1]
        val = (
            f"; the last validation loss {run.val_losses[-1]:.4f} at step {run.val_steps[-1]:,}"
            if run.val_losses
            else ""
        )
        parts.append(f"<p>The last training loss {last:.4f} at step {run.steps[-1]:,}{val}.</p>")
    parts.append("<h2>Gradients</h2>")
    grads = [("before clipping", run.steps, run.grad, VERMILLION, "solid")]
    if any(a != b for a, b in zip(run.grad, run.grad_clipped, strict=True)):
        grads.append(("after clipping", run.steps, run.grad_clipped, BLUE, "dashed"))
    parts.append(
        _img(
            svg_plot(grads, "Gradient norm per step", "optimizer step", "||gradient||", log_y=True),
            "The gradient norm at every step",
        )
    )
    finite = run.probe_grad is not None and len(run.probe_grad) and bool(np.isfinite(run.probe_grad).all())
    if run.probe_grad is not None and not finite:
        parts.append(
            "<p>The final model's gradient through time is not a finite number at every step: its weights "
            "blew up, so there is no picture of it.</p>"
        )
    elif run.probe_grad is not None and len(run.probe_grad):
        t = np.arange(len(run.probe_grad))
        parts.append(
            _img(
                svg_plot(
                    [("||dL/dh_t||", t, run.probe_grad, BLUE, "solid")],
                    "Gradient through time at the end (the last prediction's loss against each h_t)",
                    "time step t of the probe sequence",
                    "||dL/dh_t||",
                    log_y=True,
                ),
                "The gradient through time of the final model",
            )
        )
        g = run.probe_grad[run.probe_grad > 0]
        if len(g) > 1:
            ratio = float(g[-1] / g[0])
            words = (
                "the first steps get almost nothing: the gradient vanishes on its way back through time"
                if ratio > 1e3
                else "it grows on its way back: exploding"
                if ratio < 1e-1
                else "it reaches back to the first steps"
            )
            parts.append(
                f"<p class='note'>||dL/dh_t|| at the last step is {ratio:.3g} times the first step's over "
                f"{len(run.probe_grad)} steps: {words}.</p>"
            )
    parts.append("<h2>Verdicts on the way</h2>")
    if run.verdicts:
        parts.append(
            "<table><tr><th>step</th><th>verdict</th><th>what the app said</th></tr>"
            + "".join(
                f"<tr><td>{v.step:,}</td><td>{esc(v.kind)}</td><td>{esc(v.message)}</td></tr>"
                for v in run.verdicts
            )
            + "</table>"
        )
    else:
        parts.append(
            "<p>None: the diagnosis the window's banner gives (exploding and vanishing gradients, NaN, "
            "overfitting) found no trouble at any step.</p>"
        )
    parts.append("<h2>What was done, in order</h2><ol>")
    parts += [f"<li>{esc(_action_words(a))}</li>" for a in run.actions]
    parts.append("</ol>")
    parts.append(
        f"<p class='note'>Check it yourself: <code>rnn-playground replay {esc(run.name)}</code> re-runs every "
        "action and compares.</p></body></html>"
        if run.saved
        else "<p class='note'>To let others check it, save the session too (File &gt; Save Session) and hand it in "
        "beside this page: <code>rnn-playground replay</code> re-runs every action and compares.</p></body></html>"
    )
    return "".join(parts)


def write_report(
    session: str | Path, out: str | Path, lesson: LessonNote | None = None, name: str | None = None
) -> tuple[Path, Run]:
    """Replay ``session`` and write its page to ``out`` (atomically: a failed write leaves an older file
    as it was)."""
    from playground.core.files import atomic_write

    run = collect(session, name)
    page = render(run, lesson).encode("utf-8")
    target = Path(out)
    with atomic_write(target, "write the report") as tmp:
        tmp.write_bytes(page)
    return target, run
