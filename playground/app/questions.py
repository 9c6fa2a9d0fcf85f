"""Questions the engine asks the model in training, between two steps: predictions, an inspection of
a typed text, the unrolled picture, a lesson's check. Each returns the typed answer; none trains.
No Qt here."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.app import messages as m
from playground.core.errors import PlaygroundError, error_text

if TYPE_CHECKING:
    from playground.core.kinds import Task
    from playground.core.train.seq2seq import Seq2SeqTrainer
    from playground.core.train.trainer import Trainer


def predict(tr: Trainer, seq2seq: Seq2SeqTrainer | None, req: m.PredictRequest, generation: int) -> m.Predicted:
    """Answer a prediction request; a request the model cannot answer comes back with its reason."""
    try:
        result = _answer(tr, seq2seq, req)
    except TypeError:
        raise
    except Exception as exc:
        return m.Predicted(generation, req, tr.steps, error_text(exc, report_bug=False))
    return m.Predicted(generation, req, tr.steps, "", result)


def _answer(tr: Trainer, seq2seq: Seq2SeqTrainer | None, req: m.PredictRequest) -> m.PredictResult:
    """The request's own answer class (``SampleAnswer`` for ``SampleText`` ...)."""
    from playground.core import inference
    from playground.core.data.adding import TOLERANCE, AddingTask
    from playground.core.data.series import SeriesTask
    from playground.core.inspect import anomalies

    match req:
        case m.SampleText():
            text = inference.sample(
                tr.model, tr.task, req.prompt, req.length, req.temperature, req.top_k, seed=req.seed
            )
            return m.SampleAnswer(req, text, tuple(inference.top_next(tr.model, tr.task, req.prompt, req.k)))
        case m.NextChars():
            return m.NextAnswer(req, tuple(inference.top_next(tr.model, tr.task, req.prompt, req.k)))
        case m.Reply():
            # with attention over its past (the first-run model), where it looked, for the heatmap
            lm, lm_looked = inference.reply_with_attention(tr.model, tr.task, req.turn, list(req.history))
            s2s, s2s_looked = None, None
            if seq2seq is not None:
                s2s, source, weights = seq2seq.reply_with_attention(req.turn, list(req.history))
                if weights is not None:  # where the decoder looked, for the chat's heatmap
                    s2s_looked = m.Attention(source, s2s, weights)
                s2s = s2s.strip()
            use_s2s = req.model == "seq2seq" and s2s is not None
            return m.ReplyAnswer(
                req,
                s2s if use_s2s and s2s is not None else lm,
                lm,
                s2s,
                None if lm_looked is None else m.Attention(**lm_looked),
                s2s_looked,
            )
        case m.Classify() if isinstance(tr.task, AddingTask):  # numbers in, one number out, beside the rule's
            adding = tr.task
            value = inference.number(tr.model, adding, req.text)
            tokens = adding.tokenize(req.text)
            return m.NumberAnswer(req, value, adding.answer_for(tokens), TOLERANCE, len(tokens), adding.length)
        case m.Classify() if tr.task.spec.shape == "one-to-many":
            written, steps = inference.write(tr.model, tr.task, req.text)
            first = int(getattr(tr.task, "writes_from", 0))  # the copy writes after its delay, a word from step 0
            return m.WrittenAnswer(req, written, tuple(steps), _rule(tr.task, req.text), first)
        case m.Classify():
            classes = tuple(inference.classify(tr.model, tr.task, req.text))
            try:  # what the data's own rule says, so the user sees right or wrong
                rule: str | None = _rule(tr.task, req.text)
            except PlaygroundError:
                rule = None
            return m.ClassifyAnswer(req, classes, rule)
        case m.Forecast():
            # The forecast first: it refuses, in words, a model that is not a series model.
            forecast = inference.forecast(tr.model, tr.task, req.horizon)
            task = tr.task
            if not isinstance(task, SeriesTask):
                raise PlaygroundError(f"a {task.kind} model does not forecast: only number series do")
            ev = inference.evaluate(tr.model, task)
            threshold = anomalies.DEFAULT_THRESHOLD if req.threshold is None else req.threshold
            found = anomalies.anomalies(tr.model, task, threshold)
            return m.ForecastAnswer(
                req,
                values=task.values,
                mae=ev["mae"],
                baseline_mae=ev["baseline_mae"],
                rmse=ev["rmse"],
                baseline_rmse=ev["baseline_rmse"],
                forecast=forecast,
                predictions=ev["predictions"],
                target_index=ev["target_index"],
                split=task.split,
                dates=task.dates,  # the chart's time axis, or None
                inputs_held=task.held_inputs(),
                anomalies=m.AnomalyScores(**found),
            )
        case _:
            raise TypeError(f"not a prediction request: {req!r}")


def _rule(task: Task, text: str) -> str:
    """What the data's own rule answers for ``text`` (memory, order, temporal order, spelling, the copy)."""
    answer_for, tokenize = getattr(task, "answer_for", None), getattr(task, "tokenize", None)
    if answer_for is None or tokenize is None:
        raise PlaygroundError(f"{task.kind} data has no rule that answers a sequence")
    return str(answer_for(tokenize(text)))


def inspect(tr: Any, cmd: m.Inspect, generation: int) -> m.Inspected:
    """A typed text (or the probe text): its probe, connectivity, and each step's recurrence terms.
    The text becomes the probe text of the live plots too."""
    text, layer = cmd.text or None, int(cmd.layer)
    try:
        tr.set_probe_text(text)
        probe = tr.probe()
        labels, conn = tr.connectivity()
        terms = None
        if tr.model.recurrent:
            layer = min(layer, probe.hidden.shape[0] - 1)
            terms = tr.recurrence_terms_all(layer)
    except Exception as exc:
        return m.Inspected(generation, cmd.text or "", layer, error=error_text(exc, report_bug=False))
    return m.Inspected(generation, cmd.text or "", layer, tr.steps, probe, tuple(labels), conn, terms)


def compared_example(cmp: Any, cmd: m.InspectCompared, generation: int) -> m.ComparedExample:
    """One held-out example the first seed's ``cmd.arch`` of comparison ``cmp`` answers wrong, inspected
    as the scrubber shows a typed text; the model's own probe text is left as it was."""
    from playground.core.inspect.equations import recurrence_terms_all
    from playground.core.inspect.probes import connectivity, run_probe

    where = "" if cmd.gap is None else f" at gap d = {cmd.gap}"
    if cmp is None or cmd.arch not in cmp.trainers:
        why = f"no compared {cmd.arch}{where} to look into: run the comparison again"
        return m.ComparedExample(generation, cmd.arch, cmd.gap, message=why)
    seed = cmp.seeds[0]
    tr = cmp.trainers[cmd.arch]
    found = cmp.failing(cmd.arch)
    if found is None:
        why = "only a memory or order model answers held-out examples right or wrong"
        return m.ComparedExample(generation, cmd.arch, cmd.gap, seed, message=why)
    wrong, ev = found
    name, total = tr.session.model.describe().split(",")[0], len(ev["targets"])
    if len(wrong) == 0:
        why = f"the {name}{where} (seed {seed}) answers all {total} held-out examples right: none fails"
        return m.ComparedExample(generation, cmd.arch, cmd.gap, seed, total=total, message=why)
    task = tr.task
    index = int(wrong[int(cmd.nth) % len(wrong)])
    text = task.decode(task.val_x[index])
    right, answered = task.classes[int(ev["targets"][index])], task.classes[int(ev["predictions"][index])]
    example = m.ComparedExample(
        generation, cmd.arch, cmd.gap, seed, index, text, right, answered, len(wrong), total
    )
    layer = int(cmd.layer)
    try:
        x, y, labels = task.probe(tr.session.train.seq_len, text)
        probe = run_probe(tr.model, task, x, y, labels)
        conn = connectivity(tr.model, task, x)
        terms = None
        if tr.model.recurrent:
            layer = min(layer, probe.hidden.shape[0] - 1)
            terms = recurrence_terms_all(tr.model, x, layer)
        seen = m.Inspected(generation, text, layer, tr.steps, probe, tuple(labels), conn, terms)
    except Exception as exc:
        seen = m.Inspected(generation, text, layer, error=error_text(exc, report_bug=False))
    return dataclasses.replace(example, inspected=seen)


def unroll(tr: Any, generation: int) -> m.UnrolledAnswer:
    from playground.core.inspect.unroll import unroll as unroll_probe

    try:
        return m.UnrolledAnswer(generation, tr.steps, unroll_probe(tr))
    except Exception as exc:
        return m.UnrolledAnswer(generation, tr.steps, error=error_text(exc))


def check_lesson(tr: Any, lesson_id: str, grads: np.ndarray, refused: int, card: Any = None) -> Any:
    """A lesson's check on the live model (``grads``: recent (before, after clipping) gradient norms;
    ``card``: a lesson read from a teacher's file, else a built-in one by id)."""
    from playground.core import lessons

    ctx = lessons.LessonContext(tr, grads[:, 0], grads[:, 1], refused)
    try:
        return lessons.check(lesson_id, ctx, card)
    except Exception as exc:
        return lessons.LessonCheck(lesson_id, False, error_text(exc), {})


SHOWN = 2_000  # characters of the ranked text whose activations go back to the window


def rank_units(tr: Any, cmd: m.RankUnits, generation: int) -> m.RankedUnits:
    """The Neurons tab's ranking: the top units and, for the first ``SHOWN`` characters the model read,
    their activations and the track."""
    from playground.core.inspect import neurons

    try:
        text = cmd.text or neurons.default_text(tr.task)
        ranking = neurons.rank_units(tr.model, tr.task, text, cmd.track, top=cmd.top, keep_activations=True)
        read = text[: neurons.MAX_CHARS]
        keep = np.fromiter((ch in tr.task.stoi for ch in read), dtype=bool, count=len(read))
        values = neurons.track(cmd.track, read).values[keep][:SHOWN]
        shown = "".join(ch for ch, k in zip(read, keep, strict=True) if k)[:SHOWN]
        rows = []
        for u in ranking.units:
            assert u.activations is not None  # asked for with keep_activations
            rows.append(u.activations[:SHOWN])
        acts = np.stack(rows).astype(np.float32)
    except Exception as exc:
        return m.RankedUnits(generation, cmd.track, tr.steps, error=error_text(exc, report_bug=False))
    units = tuple((u.layer, u.unit, u.kind, u.correlation, u.accuracy) for u in ranking.units)
    return m.RankedUnits(
        generation,
        cmd.track,
        tr.steps,
        units,
        shown,
        acts,
        values.astype(np.float32),
        ranking.characters,
        ranking.n_units,
        ranking.seconds,
        every_r=ranking.every,
        unit_keys=tuple((layer, unit, state) for layer, unit, state in neurons.units_of(tr.model)),
    )


def clamp_sample(tr: Any, cmd: m.ClampSample, generation: int) -> m.ClampSampled:
    """The same prompt and seed written twice: free, then with one unit pinned."""
    from playground.core.inspect import clamp

    try:
        if not (tr.task.spec.tokens and tr.task.spec.many_to_many and getattr(tr.task, "stoi", None)):
            raise PlaygroundError(
                f"a {tr.task.kind} model does not write text a character at a time: clamping reads character "
                "models (text, knock-knock, quotes)"
            )
        pin = {(int(cmd.layer), int(cmd.unit)): float(cmd.value)}
        clamp.check_clamp(tr.model, pin)
        args = (tr.model, tr.task, cmd.prompt, cmd.length, cmd.temperature)
        free = clamp.sample(*args, seed=cmd.seed)
        pinned = clamp.sample(*args, seed=cmd.seed, clamp=pin)
    except Exception as exc:
        return m.ClampSampled(generation, cmd, error=error_text(exc, report_bug=False))
    return m.ClampSampled(generation, cmd, free, pinned)


def ablate_units(tr: Any, cmd: m.AblateUnits, generation: int) -> m.AblatedUnits:
    """The Neurons tab's Ablate: each ranked unit held alone, beside ten random units of the top one's layer."""
    from playground.core.inspect import intervene, neurons

    try:
        text = cmd.text or neurons.default_text(tr.task)
        a = intervene.ablate(tr.model, tr.task, text, list(cmd.units), cmd.track, mode=cmd.mode)
    except Exception as exc:
        return m.AblatedUnits(generation, cmd, error=error_text(exc, report_bug=False))
    return m.AblatedUnits(
        generation,
        cmd,
        tuple((c.inside, c.outside) for c in a.units),
        tuple((c.inside, c.outside) for c in a.random),
        (a.base_inside, a.base_outside),
        a.characters,
        a.inside_chars,
        a.seconds,
    )


def transplant(tr: Any, cmd: m.Transplant, generation: int) -> m.Transplanted:
    """The scrubber's "Put it here": the target's continuation with and without the source's state."""
    from playground.core.inspect import intervene

    try:
        target = cmd.target or tr.probe_text()  # "": the probe text the scrubber showed
        p = intervene.patch(
            tr.model,
            tr.task,
            cmd.source or tr.probe_text(),
            target if cmd.target_at is None else target[: cmd.target_at],  # the model writes on from there
            at=(cmd.source_at, None),
            length=cmd.length,
            temperature=cmd.temperature,
            seed=cmd.seed,
        )
    except Exception as exc:
        return m.Transplanted(generation, cmd, error=error_text(exc, report_bug=False))
    return m.Transplanted(generation, cmd, p.unpatched, p.patched, p.next_unpatched, p.next_patched, p.moved)
