"""Questions the engine asks the model in training, between two steps: predictions, an inspection of
a typed text, the unrolled picture, a lesson's check. Each returns the typed answer; none trains.
No Qt here."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from playground.app import messages as m
from playground.core.errors import PlaygroundError, error_text


def predict(tr: Any, seq2seq: Any, req: m.PredictRequest, generation: int) -> m.Predicted:
    """Answer a prediction request; a request the model cannot answer comes back with its reason."""
    from playground.core import anomalies, inference

    result: dict[str, Any] = {}
    error = ""
    try:
        match req:
            case m.SampleText():
                result["text"] = inference.sample(
                    tr.model, tr.task, req.prompt, req.length, req.temperature, req.top_k, seed=req.seed
                )
                result["next"] = inference.top_next(tr.model, tr.task, req.prompt, req.k)
            case m.NextChars():
                result["next"] = inference.top_next(tr.model, tr.task, req.prompt, req.k)
            case m.Reply():
                # with attention over its past (the first-run model), where it looked, for the heatmap
                lm, result["lm_attention"] = inference.reply_with_attention(tr.model, tr.task, req.turn, list(req.history))
                s2s, looked = None, None
                if seq2seq is not None:
                    s2s, source, weights = seq2seq.reply_with_attention(req.turn, list(req.history))
                    if weights is not None:  # where the decoder looked, for the chat's heatmap
                        looked = {"source": source, "reply": s2s, "weights": weights}
                    s2s = s2s.strip()
                result["s2s_attention"] = looked
                use_s2s = req.model == "seq2seq" and s2s is not None
                result.update(lm_reply=lm, s2s_reply=s2s, reply=s2s if use_s2s else lm)
            case m.Classify() if tr.task.spec.shape == "one-to-many":
                result["written"], result["steps"] = inference.write(tr.model, tr.task, req.text)
                result["rule"] = tr.task.answer_for(tr.task.tokenize(req.text))
            case m.Classify():
                result["classes"] = inference.classify(tr.model, tr.task, req.text)
                try:  # what the data's own rule says, so the user sees right or wrong
                    result["rule"] = tr.task.answer_for(tr.task.tokenize(req.text))
                except PlaygroundError:
                    result["rule"] = None
            case m.Forecast():
                # The forecast first: it refuses, in words, a model that is not a series model.
                result["forecast"] = inference.forecast(tr.model, tr.task, req.horizon)
                result.update(inference.evaluate(tr.model, tr.task))
                result["values"] = tr.task.values
                result["split"] = tr.task.split
                result["dates"] = tr.task.dates  # the chart's time axis, or None
                result["inputs_held"] = tr.task.held_inputs()
                threshold = anomalies.DEFAULT_THRESHOLD if req.threshold is None else req.threshold
                result["anomalies"] = anomalies.anomalies(tr.model, tr.task, threshold)
            case _:
                raise TypeError(f"not a prediction request: {req!r}")
    except TypeError:
        raise
    except Exception as exc:
        error = error_text(exc, report_bug=False)
    return m.Predicted(generation, req, tr.steps, error, result)


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
    from playground.core.equations import recurrence_terms_all
    from playground.core.probes import connectivity, run_probe

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
    from playground.core.unroll import unroll as unroll_probe

    try:
        return m.UnrolledAnswer(generation, tr.steps, unroll_probe(tr))
    except Exception as exc:
        return m.UnrolledAnswer(generation, tr.steps, error=error_text(exc))


def check_lesson(tr: Any, lesson_id: str, grads: np.ndarray, refused: int) -> Any:
    """A lesson's check on the live model (``grads``: recent (before, after clipping) gradient norms)."""
    from playground.core import lessons

    ctx = lessons.LessonContext(tr, grads[:, 0], grads[:, 1], refused)
    try:
        return lessons.check(lesson_id, ctx)
    except Exception as exc:
        return lessons.LessonCheck(lesson_id, False, error_text(exc), {})


SHOWN = 2_000  # characters of the ranked text whose activations go back to the window


def rank_units(tr: Any, cmd: m.RankUnits, generation: int) -> m.RankedUnits:
    """The Neurons tab's ranking: the top units and, for the first ``SHOWN`` characters the model read,
    their activations and the track."""
    from playground.core import neurons

    try:
        text = cmd.text or neurons.default_text(tr.task)
        ranking = neurons.rank_units(tr.model, tr.task, text, cmd.track, top=cmd.top, keep_activations=True)
        read = text[: neurons.MAX_CHARS]
        keep = np.fromiter((ch in tr.task.stoi for ch in read), dtype=bool, count=len(read))
        values = neurons.track(cmd.track, read).values[keep][:SHOWN]
        shown = "".join(ch for ch, k in zip(read, keep, strict=True) if k)[:SHOWN]
        acts = np.stack([u.activations[:SHOWN] for u in ranking.units]).astype(np.float32)
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
        unit_keys=tuple(tuple(k) for k in neurons.units_of(tr.model)),
    )


def clamp_sample(tr: Any, cmd: m.ClampSample, generation: int) -> m.ClampSampled:
    """The same prompt and seed written twice: free, then with one unit pinned."""
    from playground.core import clamp

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
