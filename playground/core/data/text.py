"""Character-level text: next-character prediction and autocomplete.

The vocabulary is the sorted set of characters of the data; it travels with the
model (it is stored in the model file), so a reopened model decodes exactly as
it did when it was trained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.data.base import VocabTask
from playground.core.errors import PlaygroundError
from playground.core.files import read_bounded

KIND = "text"  # this module's data kind (core/kinds.py)
_IDS = np.int16  # how a task stores its texts' ids (MAX_VOCAB fits)
MAX_TEXT_BYTES = 50 * 2**20  # larger files are refused with a message, not read into memory
MAX_VOCAB = 1000  # characters; beyond this a character model is the wrong tool
# Long texts are scanned this many characters at a time, so that a task built in a background
# thread holds the GIL only briefly at a time and the window keeps answering (a 45 MB file).
_CHUNK = 1 << 18

# How unprintable characters are shown on a time axis or in a preview.
_VISIBLE = {"\n": "\u21b5", " ": "\u2423", "\t": "\u21e5"}


def read_text_file(path: str | Path) -> str:
    """Read a UTF-8 text file, or raise a one-line error that says what is wrong with it."""
    p = Path(path)
    name = p.name or str(p)
    data = read_bounded(p, MAX_TEXT_BYTES, "text file", missing="no such file: {path}")
    if not data:
        raise PlaygroundError(f"{name} is empty: there is no text to learn from")
    return decode_text_bytes(data, name)


# Bytes below 32 that a text may hold: tab, newline, form feed, carriage return. In UTF-8 every other
# byte below 32 is a control character itself (no multi-byte character holds one).
_ALLOWED_CONTROLS = b"\t\n\x0c\r"
_NOT_CONTROL = _ALLOWED_CONTROLS + bytes(range(32, 256))  # deleted, what is left is the control bytes
_CONTROL_BLOCK = 65536  # a binary stretch this long shows: more than 5% control characters in it


def _check_not_binary(data: bytes, name: str) -> None:
    """Refuse ``data`` that holds a NUL byte anywhere, or in which some 64 kB (the whole, when shorter)
    holds control characters for more than 5% of 64 kB. Every byte is checked, the end as the start."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise PlaygroundError(
            f"{name} looks like a binary file, not text (it contains NUL bytes, the first at byte offset {nul:,})"
        )
    limit = 0.05 * min(len(data), _CONTROL_BLOCK)
    if len(data.translate(None, _NOT_CONTROL)) <= limit:
        return  # not even all of them together in one block would be too many
    codes = np.frombuffer(data, dtype=np.uint8)
    control = np.ones(256, dtype=bool)
    control[32:] = False
    control[list(_ALLOWED_CONTROLS)] = False
    at = np.flatnonzero(control[codes])
    per_block = np.bincount(at // _CONTROL_BLOCK)
    over = np.flatnonzero(per_block > limit)
    if over.size:
        start = int(over[0]) * _CONTROL_BLOCK
        raise PlaygroundError(
            f"{name} looks like a binary file, not text (many control characters, from byte offset {start:,})"
        )


def decode_text_bytes(data: bytes, name: str) -> str:
    """``data`` as text (UTF-8, a BOM dropped, line ends made \\n), or a one-line error: a binary file
    (checked whole: a NUL or a stretch of control bytes anywhere), not UTF-8, only whitespace."""
    _check_not_binary(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlaygroundError(
            f"{name} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}): save it as UTF-8"
        ) from None
    if "\r" in text:  # a search is far cheaper than a replace that finds nothing
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or text.isspace():
        raise PlaygroundError(f"{name} holds only whitespace: there is no text to learn from")
    return text


class TokenTask(VocabTask):
    """Characters in, the next character out, at every time step (many-to-many).

    ``kind`` is this module's ``KIND`` or the dialogs' (``dialogs.KIND``): dialogs reuse this
    class with turn markers in the character stream (see ``dialogs.py``).
    """

    many_to_many = True
    tokens = True
    classes = None  # a next-character task: no classes
    mlp_bag_of_words = False

    def __init__(
        self,
        kind: str,
        train_text: str,
        val_text: str,
        vocab: Sequence[str] | None = None,
        notes: Sequence[str] = (),
        labeler: Callable[[str], str] | None = None,
        *,
        split_at: int | None = None,
    ) -> None:
        """``train_text`` and ``val_text`` are the two parts; or, with ``split_at``, ``train_text`` is
        the whole text and ``val_text`` is empty: the held-out part starts at character ``split_at``."""
        if split_at is not None and (val_text or not 0 <= split_at <= len(train_text)):
            raise ValueError("split_at needs the whole text as train_text and an empty val_text")
        self.kind = kind
        self.notes = list(notes)
        if vocab is None:
            vocab = text_vocab(train_text, val_text)
        self.vocab: tuple[str, ...] = tuple(vocab)
        if len(self.vocab) > MAX_VOCAB:
            raise PlaygroundError(
                f"the text uses {len(self.vocab)} different characters: at most {MAX_VOCAB} are supported"
            )
        if len(self.vocab) < 2:
            raise PlaygroundError("the text needs at least two different characters")
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}
        self._lookup: np.ndarray | None = None  # code point -> id (-1: not in the vocabulary)
        self._labeler = labeler
        self.dialogs: list[list[str]] = []  # set for knock-knock tasks: the preview lists them
        self.made_up: list[list[str]] = []  # knock-knock: the made-up jokes mixed into training
        self.made_up_spec: tuple[int, int] = (0, 0)  # and (how many, seed): they are made again from it
        # the text of a data file as read: a model file carries it (``checkpoint``), so a reopened
        # model trains on without the file, and the path in its settings is never read again
        self.source_text: str | None = None
        # where set, training batches are cut from a stream it makes for each batch (the dialogs'
        # made-up jokes: ``dialogs.JokeStream``) instead of from ``train_ids``
        self.batch_stream: Callable[[torch.Generator, int], tuple[np.ndarray, np.ndarray]] | None = None
        # stored as int16 (at most MAX_VOCAB ids): a 40 MB text holds 80 MB of ids, not 320; batches are int64
        if split_at is None:
            self.train_ids = self.encode(train_text, what="training text", dtype=_IDS)
            self.val_ids = self.encode(val_text, what="validation text", dtype=_IDS)
        else:  # one text, encoded once and cut at ``split_at`` (no copy of either part)
            ids = self.encode(train_text, what="text", dtype=_IDS)
            self.train_ids, self.val_ids = ids[:split_at], ids[split_at:]
        self._train_dev: dict[str, torch.Tensor] = {}
        self._offsets_cache: dict[int, torch.Tensor] = {}
        self._val_cache: dict[tuple, list] = {}

    @property
    def fresh_share(self) -> float:
        """The share of training examples made afresh for each batch and never seen again (the
        dialogs' made-up jokes): a model cannot learn those by heart."""
        return float(getattr(self.batch_stream, "share", 0.0))

    # -- the vocabulary -----------------------------------------------------------
    @property
    def has_data(self) -> bool:
        return len(self.train_ids) > 1

    def encode(self, text: str, what: str = "text", dtype: type = np.int64) -> np.ndarray:
        """The ids of ``text``'s characters (int64, or ``dtype``): a table from character code to id,
        looked up a chunk at a time with numpy; a character outside the vocabulary is a one-line error."""
        if self._lookup is None:
            codes = np.array([ord(ch) for ch in self.vocab], dtype=np.int64)
            self._lookup = np.full(int(codes.max(initial=0)) + 2, -1, dtype=np.int64)
            self._lookup[codes] = np.arange(len(codes))
        lookup = self._lookup if dtype == np.int64 else self._lookup.astype(dtype)
        # its last entry is -1: a code past the table is clipped onto it
        ids = np.empty(len(text), dtype=dtype)
        unknown: set[int] = set()
        for start, codes in _code_chunks(text):
            part = ids[start : start + len(codes)]
            np.take(lookup, codes, out=part, mode="clip")
            if part.size and part.min() < 0:
                unknown.update(np.unique(codes[part < 0]).tolist())
        if unknown:
            chars = [chr(c) for c in sorted(unknown)]
            shown = ", ".join(repr(ch) for ch in chars[:8])
            more = f" and {len(chars) - 8} more" if len(chars) > 8 else ""
            raise PlaygroundError(f"the {what} has characters the model never saw: {shown}{more}")
        return ids

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return "".join(self.vocab[int(i)] for i in ids)

    def label(self, ch: str) -> str:
        """How one character is shown on a time axis."""
        if self._labeler is not None:
            return self._labeler(ch)
        return _VISIBLE.get(ch, ch if ch.isprintable() else f"\\x{ord(ch):02x}")

    def unigram_entropy(self) -> float:
        """Cross-entropy (nats) of always predicting the character frequencies: the bar to beat."""
        counts = np.bincount(self.train_ids, minlength=len(self.vocab)).astype(np.float64)
        p = counts[counts > 0] / counts.sum()
        return float(-(p * np.log(p)).sum())

    # -- batches ------------------------------------------------------------------
    def check_seq_len(self, seq_len: int) -> None:
        if len(self.train_ids) < seq_len + 1:
            raise PlaygroundError(
                f"the training text has {len(self.train_ids)} characters, fewer than the sequence length "
                f"{seq_len} + 1: give more text or lower the sequence length"
            )

    def _train_on(self, device: torch.device) -> torch.Tensor:
        key = str(device)
        if key not in self._train_dev:
            self._train_dev[key] = torch.from_numpy(self.train_ids).to(device)
        return self._train_dev[key]

    def sample_batch(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows of the training text: x (B, T) and y = x shifted by one (B, T)."""
        if self.batch_stream is not None:
            return self._sample_stream(batch_size, seq_len, gen, device)
        data = self._train_on(device)
        hi = len(self.train_ids) - seq_len  # window of T+1 characters starts in [0, hi)
        if hi < 1:
            self.check_seq_len(seq_len)
        arange = self._offsets_cache.get(seq_len)
        if arange is None or arange.device != data.device:
            arange = torch.arange(seq_len + 1, device=data.device)
            self._offsets_cache[seq_len] = arange
        starts = torch.randint(hi, (batch_size, 1), generator=gen).to(device, non_blocking=True)
        chunk = data[starts + arange].long()  # (B, T+1)
        return chunk[:, :-1], chunk[:, 1:]

    def _sample_stream(
        self, batch_size: int, seq_len: int, gen: torch.Generator, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows of a stream made for this batch (``batch_stream``), each starting where a joke starts,
        as a chat does: the whole joke is in the window when the reply after its punchline is learnt."""
        ids, joke_starts = self.batch_stream(gen, batch_size * (seq_len + 1) + 2 * seq_len)
        stream = torch.from_numpy(ids)
        usable = torch.from_numpy(joke_starts[joke_starts < len(ids) - seq_len])
        order = torch.randperm(len(usable), generator=gen).repeat(batch_size // len(usable) + 1)
        starts = usable[order[:batch_size]][:, None]  # different jokes, as far as the stream has them
        chunk = stream[starts + torch.arange(seq_len + 1)].to(device, non_blocking=True)  # (B, T+1)
        return chunk[:, :-1], chunk[:, 1:]

    def val_batches(
        self, batch_size: int, seq_len: int, max_batches: int, device: torch.device
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Fixed, evenly spaced windows of the held-out text, so validation losses compare."""
        key = (batch_size, seq_len, max_batches, str(device))
        if key in self._val_cache:
            return self._val_cache[key]
        n = len(self.val_ids)
        if n < 2:
            return []
        t = min(seq_len, n - 1)
        n_windows = min(batch_size * max_batches, max(1, (n - 1) // t))
        starts = np.linspace(0, n - t - 1, n_windows).astype(np.int64)
        idx = starts[:, None] + np.arange(t + 1)[None, :]
        chunk = self._windows(self.val_ids, idx).to(device).long()
        batches = [
            (chunk[i : i + batch_size, :-1], chunk[i : i + batch_size, 1:])
            for i in range(0, n_windows, batch_size)
        ]
        self._val_cache[key] = batches
        return batches

    def _windows(self, ids: np.ndarray, index: np.ndarray) -> torch.Tensor:
        """ids[index] as a tensor (a map of ids reads it a few windows at a time: text_map)."""
        return torch.from_numpy(ids[index])

    def probe(self, seq_len: int, text: str | None = None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """One sequence to look inside: x (1, T), y (1, T) and the input characters as labels."""
        if text is not None:
            ids = self.encode(text, what="probe text")
            if len(ids) < 2:
                raise PlaygroundError("the probe text needs at least two characters")
        else:
            ids = self.val_ids if len(self.val_ids) >= 2 else self.train_ids
        ids = ids[: seq_len + 1]
        x = torch.from_numpy(ids[:-1].astype(np.int64))[None]
        y = torch.from_numpy(ids[1:].astype(np.int64))[None]
        return x, y, [self.label(self.vocab[i]) for i in ids[:-1]]

    @staticmethod
    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # out (B, T, V) logits, y (B, T) character ids
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))

    def state_dict(self) -> dict:
        return {"kind": self.kind, "vocab": list(self.vocab), "notes": self.notes}


def _code_chunks(text: str) -> Iterator[tuple[int, np.ndarray]]:
    """(start, the code points of text[start:start + _CHUNK]) for every chunk of ``text``."""
    for start in range(0, len(text), _CHUNK):
        piece = text[start : start + _CHUNK]
        if piece.isascii():  # constant time in CPython; then the bytes are the code points
            yield start, np.frombuffer(piece.encode("ascii"), dtype=np.uint8)
        else:
            yield start, np.frombuffer(piece.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def text_vocab(*texts: str) -> list[str]:
    """The sorted set of characters of ``texts`` (``sorted(set(text))``, a chunk at a time): each
    chunk's code points marked in a table over every code point there is."""
    seen = np.zeros(0x110000, dtype=bool)
    for text in texts:
        for _, codes in _code_chunks(text):
            seen[codes] = True
    return [chr(c) for c in np.flatnonzero(seen).tolist()]


def _cut(n: int, val_fraction: float) -> int:
    """Where the held-out part of a text of ``n`` characters starts."""
    return round(n * (1.0 - val_fraction))


def split_text(text: str, val_fraction: float) -> tuple[str, str]:
    cut = _cut(len(text), val_fraction)
    return text[:cut], text[cut:]


def build_text_task(
    text: str, val_fraction: float, vocab: Sequence[str] | None = None, notes: Sequence[str] = ()
) -> TokenTask:
    if len(text) < 3:
        raise PlaygroundError(f"the text has {len(text)} characters: give at least a sentence")
    if vocab is not None:
        known = set(vocab)
        missing = [ch for ch in text_vocab(text) if ch not in known]
        if missing:
            shown = ", ".join(repr(c) for c in missing[:8])
            raise PlaygroundError(
                f"the text has characters this model's vocabulary lacks ({shown}): "
                "train a new model on it instead"
            )
    return TokenTask(KIND, text, "", vocab=vocab, notes=notes, split_at=_cut(len(text), val_fraction))


def build_vocab_only_task(
    vocab: Sequence[str], kind: str = KIND, labeler: Callable[[str], str] | None = None
) -> TokenTask:
    """A task that encodes and decodes but has no data: a model whose data is gone still samples."""
    return TokenTask(kind, "", "", vocab=vocab, notes=["the training data is not available"], labeler=labeler)
