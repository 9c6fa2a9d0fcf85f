"""An encoder-decoder (sequence-to-sequence) model for knock-knock dialogs, beside the turn-marker
language model.

The turn-marker language model (``data/dialogs.py`` + ``inference.reply``) reads a whole dialog as
one text and continues it. This model splits the work in two: an encoder RNN reads a turn, its
final state is handed to a decoder RNN of the same kind, and the decoder writes the reply one
character at a time until it writes the end symbol.

What the encoder reads: the previous ``context`` turns (default 1) and the turn to answer, joined
with a separator symbol, e.g. ``"Who's there?" SEP "Walter."``. The first turn of a dialog has an
empty slot before its separator (``SEP "Knock, knock!"``). Without the previous turn a name and a
punchline look alike; with it the model knows whether it is answering "Knock, knock!" (reply
"Who's there?") or a name (reply "<name> who?").

Training uses teacher forcing (the decoder is fed the true previous character); replies are
greedy, or sampled with a temperature. The model file is one safetensors file in the format of
``checkpoint.py`` with ``model = "seq2seq"`` in its metadata: weights, optimizer state, loss
history and, as JSON, the settings, the vocabulary, the step and the dialogs it learns from.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import playground
from playground.core import paths
from playground.core.config import MAX_MADE_UP_JOKES
from playground.core.data.dialogs import build_dialog_task, read_dialog_file
from playground.core.data.jokes import made_up_jokes, make_joke
from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec
from playground.core.model.seq2seq_net import MAX_REPLY, Seq2Seq
from playground.core.train.checkpoint import (
    FORMAT,
    SUFFIX,
    _canonical,
    read,
    restore_training,
    training_tensors,
    write_atomic,
)
from playground.core.train.trainer import History, make_optimizer, pick_device

__all__ = [
    "END",
    "MODEL_KIND",
    "PAD",
    "SEP",
    "START",
    "Seq2Seq",
    "Seq2SeqConfig",
    "Seq2SeqTrainer",
    "pairs_from_dialogs",
    "source_text",
]

# Symbols of our own, never in a dialog: single control characters, so the vocabulary stays a
# tuple of characters like every other task's. PAD is index 0 (the embedding's padding row).
PAD, START, END, SEP = "\x00", "\x01", "\x03", "\x1f"
SPECIALS = (PAD, START, END, SEP)
MODEL_KIND = "seq2seq"  # the "model" entry of a model file's metadata
FILE_VERSION = 1  # this module's layout inside the checkpoint format
MAX_TURN = 200  # characters of one turn the encoder reads (the end of a longer one)
VAL_CHUNK = 256  # held-out pairs per validation batch


# -- data ----------------------------------------------------------------------------------------
def source_text(turn: str, history: Sequence[str] = (), context: int = 1) -> str:
    """What the encoder reads: the last ``context`` turns of ``history`` and ``turn``, joined by SEP.

    Missing earlier turns (the start of a dialog) are empty slots, so the first turn reads
    ``SEP + "Knock, knock!"`` and the encoder always sees ``context`` separators.
    """
    prev = [t[-MAX_TURN:] for t in list(history)[-context:]] if context > 0 else []
    slots = [""] * (context - len(prev)) + prev
    return SEP.join([*slots, turn[-MAX_TURN:]])


def pairs_from_dialogs(dialogs: Sequence[Sequence[str]], context: int = 1) -> list[tuple[str, str]]:
    """Every (encoder input, reply) pair of the dialogs, in order.

    Turn i of a dialog is answered by turn i + 1; the encoder input is ``source_text`` of turn i
    with the turns before it (so with context 1, ``"Who's there?" SEP "Walter."`` -> ``"Walter
    who?"`` and ``SEP "Knock, knock!"`` -> ``"Who's there?"``). Context 0 gives bare turns.
    """
    if context < 0:
        raise PlaygroundError(f"context must be zero or more turns, got {context}")
    pairs: list[tuple[str, str]] = []
    for turns in dialogs:
        for i in range(len(turns) - 1):
            pairs.append((source_text(turns[i], turns[:i], context), turns[i + 1]))
    return pairs


# -- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seq2SeqConfig:
    """Settings of an encoder-decoder model and its training (all saved in the model file)."""

    cell: str = "gru"  # "gru" or "lstm": the encoder's and the decoder's kind
    hidden: int = 128  # state size of both RNNs (the encoder's final state is the decoder's first)
    embed: int = 32  # character embedding size, shared by encoder and decoder
    layers: int = 1
    lr: float = 3e-3
    batch_size: int = 32  # (turn, reply) pairs per step
    seed: int = 0  # initial weights and batch order: the same seed gives the same CPU run
    device: str = "auto"
    context: int = 1  # earlier turns the encoder reads before the turn it answers
    val_fraction: float = 0.1  # share of dialogs held out (the last ones), as in the dialog task
    optimizer: str = "adam"  # for make_optimizer: sgd, adam, adamw or rmsprop
    weight_decay: float = 0.0
    momentum: float = 0.9
    clip_norm: float = 1.0  # gradients are clipped to this total norm
    attention: bool = True  # the decoder looks back at every encoder state (files before it: off)
    copy: bool = True  # with attention: the decoder may copy the letter it looks at (older files: off)
    fresh_jokes: bool = True  # made-up jokes are made afresh for each batch (older files: one fixed set)

    def validate(self) -> Seq2SeqConfig:
        checks = [
            (self.cell in ("gru", "lstm"), f"cell must be gru or lstm, got {self.cell!r}"),
            (1 <= self.hidden <= 4096, f"hidden size must be 1 to 4096, got {self.hidden}"),
            (1 <= self.embed <= 1024, f"embedding size must be 1 to 1024, got {self.embed}"),
            (1 <= self.layers <= 8, f"layers must be 1 to 8, got {self.layers}"),
            (math.isfinite(self.lr) and self.lr > 0, f"learning rate must be more than zero, got {self.lr}"),
            (1 <= self.batch_size <= 4096, f"batch size must be 1 to 4096, got {self.batch_size}"),
            (0 <= self.context <= 4, f"context must be 0 to 4 earlier turns, got {self.context}"),
            (
                0 < self.val_fraction < 1,
                f"held-out fraction must be between 0 and 1, got {self.val_fraction}",
            ),
            (self.device in ("auto", "cpu", "cuda", "mps"), f"unknown device {self.device!r}"),
            (self.clip_norm > 0, f"clip norm must be more than zero, got {self.clip_norm}"),
            *(
                (isinstance(v, bool), f"{name.replace('_', ' ')} must be true or false, got {v!r}")
                for name, v in (
                    ("attention", self.attention),
                    ("copy", self.copy),
                    ("fresh_jokes", self.fresh_jokes),
                )
            ),
            (
                self.optimizer in ("sgd", "adam", "adamw", "rmsprop"),
                f"unknown optimizer {self.optimizer!r}: choose sgd, adam, adamw or rmsprop",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise PlaygroundError(message)
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Seq2SeqConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise PlaygroundError(f"unknown encoder-decoder settings: {', '.join(unknown)}")
        return cls(**d).validate()


# -- training ------------------------------------------------------------------------------------
class _Encoded:
    """Pairs as padded id tensors on the device: src (N, S), tgt_in/tgt_out (N, T), lengths on CPU."""

    def __init__(self, pairs: list[tuple[str, str]], encode, device: torch.device) -> None:
        start, end, pad = 1, 2, 0
        srcs = [encode(s) for s, _ in pairs]
        tgts = [encode(r[:MAX_REPLY]) for _, r in pairs]
        self.n = len(pairs)
        self.src_len = torch.tensor([max(1, len(s)) for s in srcs], dtype=torch.long)  # (N,) CPU
        self.tgt_len = torch.tensor([len(t) + 1 for t in tgts], dtype=torch.long)  # (N,) CPU, + END
        src = np.full((self.n, int(self.src_len.max()) if self.n else 1), pad, np.int64)
        tin = np.full((self.n, int(self.tgt_len.max()) if self.n else 1), pad, np.int64)
        tout = np.full_like(tin, pad)
        for i, (s, t) in enumerate(zip(srcs, tgts)):
            src[i, : len(s)] = s
            tin[i, 0] = start
            tin[i, 1 : len(t) + 1] = t
            tout[i, : len(t)] = t
            tout[i, len(t)] = end
        self.src = torch.from_numpy(src).to(device)
        self.tgt_in = torch.from_numpy(tin).to(device)
        self.tgt_out = torch.from_numpy(tout).to(device)

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Rows ``idx`` (CPU), cut to their longest source and reply: src, lengths, tgt_in, tgt_out."""
        lengths = self.src_len[idx]
        s, t = int(lengths.max()), int(self.tgt_len[idx].max())
        dev_idx = idx.to(self.src.device)
        return self.src[dev_idx, :s], lengths, self.tgt_in[dev_idx, :t], self.tgt_out[dev_idx, :t]


class Seq2SeqTrainer:
    """Owns an encoder-decoder, its optimizer and its dialogs; ``step()`` trains, ``reply()`` answers.

    Give ``dialogs`` (lists of turns) or a knock-knock ``task`` (its dialogs and vocabulary are
    used); with neither, the bundled knock-knock corpus. The last ``val_fraction`` of the dialogs
    is held out for ``validate()``.
    """

    def __init__(
        self,
        config: Seq2SeqConfig | None = None,
        dialogs: Sequence[Sequence[str]] | None = None,
        task: Any = None,
        device: str | torch.device | None = None,
        vocab: Sequence[str] | None = None,
        made_up: tuple[int, int] = (0, 0),
    ) -> None:
        self.config = (config or Seq2SeqConfig()).validate()
        cfg = self.config
        if dialogs is None and task is not None:
            if not kind_spec(task.kind).supports_seq2seq or not task.dialogs:
                raise PlaygroundError("an encoder-decoder needs dialogs: choose the knock-knock data")
            dialogs = task.dialogs
            vocab = vocab or task.vocab
            made_up = task.made_up_spec
        if dialogs is None:
            dialogs = read_dialog_file(str(paths.bundled_dialogs()))
        self.dialogs = [[str(t) for t in d] for d in dialogs]
        if len(self.dialogs) < 2:
            raise PlaygroundError("give at least two dialogs: one to learn from and one to validate on")
        used = {ch for d in self.dialogs for t in d for ch in t}
        if used & set(SPECIALS):
            raise PlaygroundError("the dialogs contain control characters the encoder-decoder reserves")
        if vocab is None:  # the dialog task's vocabulary: every printable character and the markers
            vocab = build_dialog_task(self.dialogs, cfg.val_fraction).vocab
        self.vocab: tuple[str, ...] = (*SPECIALS, *(ch for ch in vocab if ch not in SPECIALS))
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}
        missing = sorted(used - set(self.stoi))
        if missing:
            shown = ", ".join(repr(c) for c in missing[:8])
            raise PlaygroundError(f"the dialogs have characters this model's vocabulary lacks ({shown})")

        # made-up jokes (count, seed) train, never the held-out ones (data/jokes.py): made afresh for
        # each batch (a row is one with the share count / (count + bundled training jokes)), or
        # in files from before that, a fixed set of ``count`` jokes joins the training pairs
        self.made_up = (int(made_up[0]), int(made_up[1]))
        n_val = max(1, round(len(self.dialogs) * cfg.val_fraction))
        fixed = made_up_jokes(*self.made_up) if self.made_up[0] and not cfg.fresh_jokes else []
        bundled = len(self.dialogs) - n_val
        self.fresh_share = self.made_up[0] / (self.made_up[0] + bundled) if cfg.fresh_jokes else 0.0
        self.train_pairs = pairs_from_dialogs([*self.dialogs[:-n_val], *fixed], cfg.context)
        self.val_pairs = pairs_from_dialogs(self.dialogs[-n_val:], cfg.context)
        if not self.train_pairs:
            raise PlaygroundError(
                "the training dialogs hold no turn with a reply: give dialogs of two turns or more"
            )

        self.device = device if isinstance(device, torch.device) else pick_device(device or cfg.device)
        with torch.random.fork_rng(devices=[]):  # the same seed, the same weights; global RNG untouched
            torch.manual_seed(cfg.seed)
            self.model = Seq2Seq(
                len(self.vocab), cfg.cell, cfg.embed, cfg.hidden, cfg.layers, cfg.attention, cfg.copy
            )
        self.model.to(self.device).train()
        self._params = list(self.model.parameters())
        self.optimizer = make_optimizer(self._params, cfg)
        self.batch_gen = torch.Generator().manual_seed(cfg.seed)
        self._train = _Encoded(self.train_pairs, self._encode_data, self.device)
        self._val = _Encoded(self.val_pairs, self._encode_data, self.device) if self.val_pairs else None
        self.steps = 0
        self.history = History()  # the same loss record as Trainer's
        self.last_message = ""  # why the last step was refused; empty when it was taken
        self.last_seconds = 0.0  # how long the last step took

    # -- text <-> ids ------------------------------------------------------------------
    def _encode_data(self, text: str) -> list[int]:
        return [self.stoi[ch] for ch in text]

    def encode(self, text: str, what: str = "turn") -> list[int]:
        """Ids of a user's text; a one-line error names characters the model cannot read."""
        unknown = sorted({ch for ch in text if ch not in self.stoi or ch in SPECIALS})
        if unknown:
            shown = ", ".join(repr(ch) for ch in unknown[:8])
            raise PlaygroundError(f"the {what} has characters the model never saw: {shown}")
        return [self.stoi[ch] for ch in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.vocab[i] for i in ids if i >= len(SPECIALS))

    # -- training ------------------------------------------------------------------------
    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def losses(self) -> np.ndarray:
        """Training loss per step taken (mean cross-entropy per reply character, in nats)."""
        return self.history.losses

    def _loss(self, data: _Encoded, idx: torch.Tensor) -> torch.Tensor:
        src, lengths, tgt_in, tgt_out = data.batch(idx)
        logits = self.model(src, lengths, tgt_in)  # (B, T, V)
        # Padding (id 0) after each reply's END adds nothing: the mean is over real characters.
        return F.cross_entropy(logits.flatten(0, 1).float(), tgt_out.flatten(), ignore_index=0)

    def _batch(self) -> tuple[_Encoded, torch.Tensor]:
        """The next batch, drawn with the batch generator (undo, save and resume replay it): rows of
        the training pairs and, with fresh jokes, a pair of a joke made for this batch in their
        place with the share ``fresh_share``."""
        n = self.config.batch_size
        idx = torch.randint(self._train.n, (n,), generator=self.batch_gen)
        if not self.fresh_share:
            return self._train, idx
        rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=self.batch_gen)))
        pairs = []
        for i in idx.tolist():
            if rng.random() < self.fresh_share:
                joke = pairs_from_dialogs([make_joke(rng)], self.config.context)
                pairs.append(joke[int(rng.integers(len(joke)))])
            else:
                pairs.append(self.train_pairs[i])
        return _Encoded(pairs, self._encode_data, self.device), torch.arange(n)

    def step(self) -> float:
        """One optimizer step on a random batch of training pairs; returns its loss.

        A NaN or infinite loss or gradient is refused as in ``Trainer.step``: the weights are not
        changed, the step is not counted and ``last_message`` says why.
        """
        t0 = time.perf_counter()
        data, idx = self._batch()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._loss(data, idx)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self._params, self.config.clip_norm)
        loss_v, norm_v = (float(v) for v in torch.stack([loss.detach(), norm.detach()]).cpu())
        self.last_seconds = time.perf_counter() - t0
        if not (math.isfinite(loss_v) and math.isfinite(norm_v)):
            what, value = ("loss", loss_v) if not math.isfinite(loss_v) else ("gradient", norm_v)
            self.optimizer.zero_grad(set_to_none=True)
            self.last_message = (
                f"step refused: the {what} is {'NaN' if math.isnan(value) else 'infinite'}; "
                "the weights were not changed (lower the learning rate)"
            )
            return loss_v
        self.optimizer.step()
        self.steps += 1
        self.history.add(loss_v)
        self.last_message = ""
        return loss_v

    def train(self, steps: int) -> float:
        """Take ``steps`` steps (a convenience for scripts and tests); the last loss."""
        loss = float("nan")
        for _ in range(steps):
            loss = self.step()
        return loss

    @torch.no_grad()
    def validate(self) -> float | None:
        """Mean loss per reply character on the held-out dialogs (teacher forcing); None if none."""
        if self._val is None:
            return None
        self.model.eval()
        try:
            total, chars = 0.0, 0
            for lo in range(0, self._val.n, VAL_CHUNK):  # bounded memory for a large corpus
                idx = torch.arange(lo, min(lo + VAL_CHUNK, self._val.n))
                n = int(self._val.tgt_len[idx].sum())
                total += float(self._loss(self._val, idx)) * n
                chars += n
            loss = total / chars
        finally:
            self.model.train()
        self.history.val_steps.append(self.steps)
        self.history.val_loss.append(loss)
        return loss

    # -- answers -------------------------------------------------------------------------
    def reply(
        self,
        turn: str,
        history: Sequence[str] = (),
        max_chars: int = MAX_REPLY,
        temperature: float = 0.0,
        seed: int | None = 0,
    ) -> str:
        """Answer ``turn`` after the earlier turns ``history``: greedy, or sampled with a temperature."""
        return self.replies([(turn, list(history))], max_chars, temperature, seed)[0]

    def replies(
        self,
        turns: Sequence[tuple[str, Sequence[str]]],
        max_chars: int = MAX_REPLY,
        temperature: float = 0.0,
        seed: int | None = 0,
    ) -> list[str]:
        """``reply`` for many (turn, history) at once, in one batch."""
        rows, _, _ = self._generate(turns, max_chars, temperature, seed)
        return [self.decode(r).strip() for r in rows]

    def _generate(
        self,
        turns: Sequence[tuple[str, Sequence[str]]],
        max_chars: int,
        temperature: float,
        seed: int | None,
        keep_weights: bool = False,
    ) -> tuple[list[list[int]], list[list[np.ndarray]], list[str]]:
        """Replies as ids, the attention weights (when kept) and the texts the encoder read."""
        if temperature < 0 or not math.isfinite(temperature):
            raise PlaygroundError(f"temperature must be zero or more, got {temperature}")
        srcs, sources, context = [], [], self.config.context
        for turn, history in turns:
            turn = turn.strip()
            if not turn:
                raise PlaygroundError("say something first, for example: Knock, knock!")
            history = [h.strip() for h in history]
            for text, what in (
                (turn, "turn"),
                *((h, "dialog so far") for h in (history[-context:] if context else [])),
            ):
                self.encode(text, what)  # names characters the model cannot read
            sources.append(source_text(turn, history, context))
            srcs.append(self._encode_data(sources[-1]))
        lengths = torch.tensor([len(s) for s in srcs], dtype=torch.long)
        src = torch.zeros((len(srcs), int(lengths.max())), dtype=torch.long)
        for i, s in enumerate(srcs):
            src[i, : len(s)] = torch.tensor(s)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        weights: list[list[np.ndarray]] | None = [] if keep_weights else None
        was_training = self.model.training
        self.model.eval()
        try:
            rows = self.model.generate(
                src.to(self.device), lengths, 1, 2, max_chars, temperature=temperature, generator=gen, weights=weights
            )
        finally:
            self.model.train(was_training)
        return rows, weights or [], sources

    def reply_with_attention(self, turn: str, history: Sequence[str] = ()) -> tuple[str, str, np.ndarray | None]:
        """The greedy reply, the text the encoder read, and the attention (reply characters + END,
        input characters): row k is where the decoder looked while writing character k. None
        without attention."""
        rows, weights, source = self._generate([(turn, list(history))], MAX_REPLY, 0.0, 0, keep_weights=True)
        reply = self.decode(rows[0])
        if not self.config.attention or len(reply) != len(rows[0]) or not weights[0]:
            return reply.strip(), source[0], None  # (a special symbol written: rows would not line up)
        return reply, source[0], np.stack(weights[0])

    def exact_match(self, pairs: Sequence[tuple[str, Sequence[str], str]]) -> float:
        """Share of (turn, history, expected reply) whose greedy reply is exactly the expected one."""
        if not pairs:
            return float("nan")
        got = self.replies([(t, h) for t, h, _ in pairs])
        return sum(g == want for g, (_, _, want) in zip(got, pairs)) / len(pairs)

    def summary(self) -> dict[str, Any]:
        return {
            "model": f"encoder-decoder {self.config.cell.upper()} {self.config.layers}x{self.config.hidden}",
            "parameters": sum(p.numel() for p in self._params),
            "device": str(self.device),
            "steps": self.steps,
            "pairs": f"{len(self.train_pairs)} for training, {len(self.val_pairs)} held out",
        }

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write one safetensors model file atomically (a failed save leaves the old file intact)."""
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        tensors, optim_meta = training_tensors(self.model, self.optimizer, self.history, self.batch_gen)
        meta = {
            "format": FORMAT,
            "format_version": "1",
            "model": MODEL_KIND,
            "seq2seq_version": str(FILE_VERSION),
            "app_version": playground.__version__,
            "config": json.dumps(self.config.to_dict()),
            "vocab": json.dumps(list(self.vocab)),
            "dialogs": json.dumps(self.dialogs),
            "made_up": json.dumps(list(self.made_up)),
            "optimizer": json.dumps(optim_meta),
            "steps": str(self.steps),
            "trained_on": str(self.device),
        }
        from safetensors.torch import save as st_save

        write_atomic(path, _canonical(st_save(tensors, metadata=meta)))
        return path

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device | None = None) -> Seq2SeqTrainer:
        """Reopen a model file written by ``save``: ready to reply and to train on where it stopped."""
        try:
            return cls._load(path, device)
        except PlaygroundError:
            raise
        except (KeyError, TypeError, IndexError, AttributeError, ValueError, RuntimeError) as e:
            raise PlaygroundError(f"{Path(path).name} is corrupted: {type(e).__name__}: {e}") from None

    @classmethod
    def _load(cls, path: str | Path, device: str | torch.device | None) -> Seq2SeqTrainer:
        name = Path(path).name

        def an_encoder_decoder(meta: dict[str, str]) -> None:  # judged before its tensors are
            if meta.get("model") != MODEL_KIND:
                raise PlaygroundError(
                    f"{name} holds a turn-marker language model, not an encoder-decoder: open it as a model"
                )

        meta, tensors = read(path, check_meta=an_encoder_decoder)  # framing, types, tensors checked there
        if int(meta.get("seq2seq_version", "0")) > FILE_VERSION:
            raise PlaygroundError(f"{name} was written by a newer RNN Playground: update the app to open it")
        try:
            settings = json.loads(meta["config"])
            if isinstance(settings, dict):  # settings a file from before them did not have: off
                for missing in ("attention", "copy", "fresh_jokes"):
                    settings.setdefault(missing, False)
            config = Seq2SeqConfig.from_dict(settings)
            made_up = json.loads(meta.get("made_up", "[0, 0]"))
            if not (
                isinstance(made_up, list)
                and len(made_up) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in made_up)
                and 0 <= made_up[0] <= MAX_MADE_UP_JOKES
            ):
                raise ValueError("made_up must be [count, seed]")
            vocab = json.loads(meta["vocab"])
            dialogs = json.loads(meta["dialogs"])
            optim_meta = json.loads(meta["optimizer"])
            steps = int(meta["steps"])
        except PlaygroundError as e:
            raise PlaygroundError(f"{name}: {e}") from None
        except (KeyError, ValueError, TypeError) as e:
            raise PlaygroundError(f"{name} is corrupted: its settings cannot be read ({e})") from None
        if not isinstance(vocab, list) or list(vocab[: len(SPECIALS)]) != list(SPECIALS):
            raise PlaygroundError(f"{name} is corrupted: its vocabulary is not an encoder-decoder's")
        trainer = cls(config, dialogs=dialogs, device=device, vocab=vocab[len(SPECIALS) :], made_up=tuple(made_up))
        if list(trainer.vocab) != vocab:
            raise PlaygroundError(f"{name} is corrupted: its vocabulary repeats characters")
        restore_training(
            name, trainer.model, trainer.optimizer, trainer.history, trainer.batch_gen, tensors, optim_meta
        )
        trainer.steps = steps
        return trainer
