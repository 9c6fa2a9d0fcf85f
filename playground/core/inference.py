"""Ask a trained model things: continue a text, autocomplete, answer a knock, forecast a series,
answer a memory sequence or tell the sentiment of a sentence."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from playground.core.bounds import BOUNDS, MAX_FORECAST_WORK, MAX_SAMPLE_REREAD
from playground.core.data.dialogs import END_OF_TURN, MARKERS, encode_turns
from playground.core.errors import PlaygroundError
from playground.core.model.nets import MAX_LEN, SequenceModel


@contextlib.contextmanager
def inference_mode(model: SequenceModel) -> Iterator[None]:
    """Eval mode (no dropout) and no autograd, then back to what the model was doing."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _device(model: SequenceModel) -> torch.device:
    return next(model.parameters()).device


class _Stepper:
    """Feeds a growing context one character at a time.

    Recurrent models carry their hidden state (the whole past in a fixed-size
    vector); the references re-read their window: the Transformer up to its
    longest context, the feed-forward network only its last few inputs. A
    recurrent model with attention re-reads too: its attention looks back over
    every state so far, which a carried hidden state does not hold.
    """

    def __init__(self, model: SequenceModel, prefix: np.ndarray):
        self.model = model
        self.dev = _device(model)
        self.context = [int(i) for i in prefix]
        self.carries = model.recurrent and not model.attends
        if self.carries:
            x = torch.tensor([self.context], dtype=torch.long, device=self.dev)
            out, self.state = model(x)
            self._logits = out[0, -1]
        else:
            self._logits = self._reread()

    def _reread(self) -> torch.Tensor:
        limit = self.model.cfg.window if self.model.cfg.arch == "mlp" else MAX_LEN
        x = torch.tensor([self.context[-limit:]], dtype=torch.long, device=self.dev)
        return self.model(x)[0][0, -1]

    @property
    def logits(self) -> torch.Tensor:
        return self._logits  # (V,)

    def push(self, token: int) -> None:
        self.context.append(token)
        if self.carries:
            x = torch.tensor([[token]], dtype=torch.long, device=self.dev)
            out, self.state = self.model(x, self.state)
            self._logits = out[0, -1]
        else:
            self._logits = self._reread()


def _prefix(task, prompt: str) -> np.ndarray:
    if not task.vocab:
        raise PlaygroundError("this model predicts numbers, not text: use forecast")
    if not task.many_to_many:
        raise PlaygroundError(f"this {task.kind} model answers a whole sequence: use classify")
    if prompt:
        return task.encode(prompt, what="prompt")
    start = "\n" if "\n" in task.stoi else task.vocab[0]  # an empty prompt starts a fresh line
    return task.encode(start)


# core/bounds.py's table: what one request may ask for
MAX_SAMPLE = int(BOUNDS["sample.length"].hi)  # characters one request may write
MAX_HORIZON = int(BOUNDS["forecast.horizon"].hi)  # values one forecast may make
# below: the softmax overflows; use 0 for greedy
MIN_TEMPERATURE, MAX_TEMPERATURE = BOUNDS["sample.temperature"].lo, BOUNDS["sample.temperature"].hi


def rereads(model: SequenceModel) -> bool:
    """Whether the model re-reads its whole context (up to MAX_LEN) for each character it writes."""
    return not (model.recurrent and not model.attends) and model.cfg.arch != "mlp"


def check_sample_length(model: SequenceModel, length: int) -> None:
    """A one-line error for a length the model would take minutes to write."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not 0 <= length <= MAX_SAMPLE:
        raise PlaygroundError(f"length must be 0 to {MAX_SAMPLE:,} characters, got {length}")
    if length > MAX_SAMPLE_REREAD and rereads(model):
        what = "a Transformer" if model.cfg.arch == "transformer" else "a model with attention"
        raise PlaygroundError(
            f"length {length:,} is too long for {what}: it re-reads up to {MAX_LEN:,} characters for each "
            f"one it writes, so it writes at most {MAX_SAMPLE_REREAD:,} in one request"
        )

NOT_FINITE = (
    "the model's predictions are NaN or infinite: its weights have blown up (exploding gradients). "
    "Undo back to before it happened, or Reset with a lower learning rate and clipping on"
)


def _choose(logits: torch.Tensor, temperature: float, top_k: int, gen: torch.Generator | None) -> int:
    if not bool(torch.isfinite(logits).all()):
        raise PlaygroundError(NOT_FINITE)
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits.float() / temperature
    if 0 < top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = torch.where(logits < kth, torch.full_like(logits, -float("inf")), logits)
    probs = torch.softmax(logits, dim=-1).cpu()
    return int(torch.multinomial(probs, 1, generator=gen))


def sample(
    model: SequenceModel,
    task,
    prompt: str = "",
    length: int = 200,
    temperature: float = 1.0,
    top_k: int = 0,
    greedy: bool = False,
    seed: int | None = 0,
    stop: Sequence[str] = (),
    stepper=None,
) -> str:
    """Continue ``prompt`` by ``length`` characters. Greedy (or temperature 0) takes the most likely one.

    A seed makes sampling repeatable: the same model, prompt and seed give the same text. ``stepper``:
    what runs the model a character at a time, ``stepper(model, prefix ids)`` with ``logits`` and
    ``push(token)`` (default ``_Stepper``; ``clamp.py`` gives one that pins units).
    """
    check_sample_length(model, length)
    if not (temperature == 0 or MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE):
        raise PlaygroundError(
            f"temperature must be 0 (greedy) or {MIN_TEMPERATURE} to {MAX_TEMPERATURE:g}, got {temperature}"
        )
    if top_k < 0:
        raise PlaygroundError(f"top-k must be zero (off) or more, got {top_k}")
    temperature = 0.0 if greedy else temperature
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    out: list[str] = []
    with inference_mode(model):
        steps = (stepper or _Stepper)(model, _prefix(task, prompt))
        for _ in range(length):
            token = _choose(steps.logits, temperature, top_k, gen)
            ch = task.vocab[token]
            if ch in stop:
                break
            out.append(ch)
            steps.push(token)
    return "".join(out)


def top_next(model: SequenceModel, task, prompt: str, k: int = 5) -> list[tuple[str, float]]:
    """Autocomplete: the k most likely next characters after ``prompt``, with their probabilities."""
    if k < 1:
        raise PlaygroundError(f"k must be at least 1, got {k}")
    with inference_mode(model):
        logits = _Stepper(model, _prefix(task, prompt)).logits.float()
        if not bool(torch.isfinite(logits).all()):
            raise PlaygroundError(NOT_FINITE)
        probs = torch.softmax(logits, dim=-1)
        values, ids = torch.topk(probs, min(k, probs.numel()))
    return [(task.vocab[int(i)], float(v)) for v, i in zip(values, ids)]


REPLY_CHARS = 120  # the longest reply the chat waits for


def reply(model: SequenceModel, task, turn: str, history: Sequence[str] = (), max_chars: int = REPLY_CHARS) -> str:
    """Answer the turn ``turn`` after the earlier turns ``history`` in a dialog model (greedy)."""
    return _raw_reply(model, task, _checked_turn(task, turn), history, max_chars).strip()


def _checked_turn(task, turn: str) -> str:
    if task.spec.prediction_page != "chat":
        raise PlaygroundError("replies need a model trained on dialogs")
    turn = turn.strip()
    if not turn:
        raise PlaygroundError("say something first, for example: Knock, knock!")
    return turn


def _raw_reply(model: SequenceModel, task, turn: str, history: Sequence[str], max_chars: int = REPLY_CHARS) -> str:
    prompt = encode_turns([*history, turn], open_next=True)
    return sample(model, task, prompt, length=max_chars, greedy=True, stop=(END_OF_TURN, *MARKERS))


def reply_with_attention(
    model: SequenceModel, task, turn: str, history: Sequence[str] = ()
) -> tuple[str, dict | None]:
    """``reply`` and, for a model with attention, where it looked (``{"source", "reply", "weights"}``:
    the chat's map; a row for each character written and, when the turn ended, one for its end)."""
    turn = _checked_turn(task, turn)
    raw = _raw_reply(model, task, turn, history)
    looked = reply_attention(model, task, turn, history, raw)
    if looked is None:
        return raw.strip(), None
    source, weights = looked
    if len(raw) >= REPLY_CHARS:  # cut off: no end of the turn was written
        weights = weights[:-1]
    return raw.strip(), {"source": source, "reply": raw, "weights": weights}


ATTENTION_SHOWN = 48  # the chat's map of a language model's attention: the last this many characters read (they fit the dock)


def reply_attention(
    model: SequenceModel, task, turn: str, history: Sequence[str], written: str
) -> tuple[str, np.ndarray] | None:
    """Where a language model with attention looked while writing ``written`` (its greedy reply, as
    ``sample`` returned it, before stripping) after ``turn``: (the text read, one character per
    column, turn markers as "\x1f" and ends of turns as newlines; weights (rows: each character
    written and the end of the turn, columns: the last ``ATTENTION_SHOWN`` characters read)).
    None for a model without attention."""
    if not model.attends:
        return None
    prompt = encode_turns([*history, turn], open_next=True)
    ids = _prefix(task, prompt + written)
    if len(ids) > MAX_LEN:
        return None
    with inference_mode(model):
        x = torch.from_numpy(ids)[None].to(_device(model))
        feats = model.features(model.encode(x))[0]
        weights = model.attend(feats)[1][0].float().cpu().numpy()  # (T, T)
    first = len(ids) - len(written) - 1  # the step whose output was the first character written
    rows = weights[first:]  # each written character, then the end of the turn
    cut = max(0, len(ids) - ATTENTION_SHOWN)
    source = "".join("\x1f" if ch in MARKERS else ch for ch in task.decode(ids[cut:]))
    return source, rows[:, cut:]


def classify(model: SequenceModel, task, text: str) -> list[tuple[str, float]]:
    """Memory and order: every answer (class) for the sequence ``text`` with its probability, likeliest first.

    ``text`` is written as the task shows its sequences: "A 3 9 1 4 ?" for memory, "the food was
    good , not bad" for order (shorter sentences are padded as in training).
    """
    if task.classes is None:
        raise PlaygroundError(
            f"a {task.kind} model continues sequences, it does not classify them: use sample"
        )
    ids = task.encode(text)
    with inference_mode(model):
        x = torch.from_numpy(ids)[None].to(_device(model))
        probs = torch.softmax(model(x)[0][0].float(), dim=-1).cpu()
    ranked = torch.argsort(probs, descending=True).tolist()
    return [(task.classes[i], float(probs[i])) for i in ranked]


def number(model: SequenceModel, task, text: str) -> float:
    """The adding problem: the model's one number for the typed sequence ``text`` ("0.2 0.7* 0.1 0.4*")."""
    if task.vocab is not None or not hasattr(task, "answer_for"):
        raise PlaygroundError(f"a {task.kind} model does not answer a typed sequence with a number")
    x = torch.from_numpy(task.encode(text))[None]
    with inference_mode(model):
        out = model(x.to(_device(model)))[0].float().cpu().reshape(-1)
    if not bool(torch.isfinite(out).all()):
        raise PlaygroundError(NOT_FINITE)
    return float(out[-1])


def write(model: SequenceModel, task, text: str) -> tuple[str, list[tuple[str, float]]]:
    """One-to-many: the one input ``text`` (a word's first letter) in, what the model writes out: the
    word (the likeliest letter at every step, up to the end mark) and each step's letter with its
    probability."""
    if task.spec.shape != "one-to-many":
        raise PlaygroundError(f"a {task.kind} model does not write from one input: use sample or classify")
    ids = task.encode(text)
    with inference_mode(model):
        x = torch.from_numpy(ids)[None].to(_device(model))
        logits = model(x)[0][0].float().cpu()
    if not bool(torch.isfinite(logits).all()):
        raise PlaygroundError(NOT_FINITE)
    return task.written(logits)


def answer(model: SequenceModel, task, text: str) -> str:
    """Memory and order: the likeliest answer for ``text`` ("a", "positive", ...)."""
    return classify(model, task, text)[0][0]


def model_fn(model: SequenceModel):
    """A plain callable: series windows (B, W, 1) -> (B, 1) predicted changes; token ids (B, T) of
    memory or order sequences -> (B, C) class logits."""

    def fn(x: torch.Tensor) -> torch.Tensor:
        with inference_mode(model):
            return model(x.to(_device(model)))[0].cpu()

    return fn


def forecast(model: SequenceModel, task, horizon: int, history: np.ndarray | None = None) -> np.ndarray:
    """Multi-step forecast after ``history`` (default: the whole series), feeding predictions back."""
    if task.vocab is not None:
        raise PlaygroundError("this model predicts characters, not numbers: use sample")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= MAX_HORIZON:
        raise PlaygroundError(f"the horizon must be 1 to {MAX_HORIZON:,} steps ahead, got {horizon}")
    window = int(getattr(task, "window", 1))
    if horizon * window > MAX_FORECAST_WORK:  # each step feeds the whole window through the model
        raise PlaygroundError(
            f"a horizon of {horizon:,} steps is too far for a window of {window:,} values: each step reads "
            f"the whole window, so at most {MAX_FORECAST_WORK // window:,} steps ahead"
        )
    if not hasattr(task, "forecast"):  # numbers in, one number out, but no series to go on from
        raise PlaygroundError(
            f"this {task.kind} model answers each sequence with one number: it has no series to forecast "
            "(its held-out figures: `rnn-playground train --json`)"
        )
    hist = task.values if history is None else np.asarray(history, dtype=np.float64)
    return task.forecast(model_fn(model), hist, horizon)


def evaluate(model: SequenceModel, task) -> dict:
    """Prices: one-step-ahead MAE and RMSE on the held-out tail, beside the last-value baseline.
    Memory and order: accuracy on the held-out set, beside chance."""
    return task.evaluate(model_fn(model))
