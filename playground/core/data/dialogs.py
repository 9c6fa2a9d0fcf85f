"""Knock-knock dialogs as a character stream with turn markers.

File format (the bundled ``resources/dialogs/knock_knock.txt`` follows it):
one turn per line, a blank line between dialogs, lines starting with ``#`` are
comments. Speakers alternate, starting with the one who knocks.

Each dialog becomes ``START A turn1 \\n B turn2 \\n A turn3 \\n ...`` where START,
A and B are single marker characters. A character model trained on that stream
learns who speaks when: given ``START A "Knock, knock!" \\n B`` it writes the
listener's line, "Who's there?", and stops at the newline.
"""

from __future__ import annotations

from collections.abc import Sequence

from playground.core.data import text as text_data
from playground.core.data.text import TokenTask, decode_text_bytes, read_text_file
from playground.core.errors import PlaygroundError

KIND = "knock-knock"  # this module's data kind (core/kinds.py)
DIALOG_START = "\x02"
SPEAKERS = ("\x11", "\x12")  # the teller (who knocks), the listener
END_OF_TURN = "\n"
MARKERS = (DIALOG_START, *SPEAKERS)
_MARKER_LABELS = {
    DIALOG_START: "\u00a7",
    SPEAKERS[0]: "A:",
    SPEAKERS[1]: "B:",
    END_OF_TURN: "\u21b5",
    " ": "\u2423",
}


def parse_dialogs(text: str, name: str = "dialogs") -> list[list[str]]:
    """Split text into dialogs (lists of turns). Raises a one-line error if none are usable."""
    dialogs: list[list[str]] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            if current:
                dialogs.append(current)
                current = []
            continue
        bad = [m for m in MARKERS if m in line]
        if bad:
            raise PlaygroundError(f"{name} contains control characters the dialog format reserves")
        current.append(line)
    if current:
        dialogs.append(current)
    short = [i + 1 for i, d in enumerate(dialogs) if len(d) < 2]
    if short:
        raise PlaygroundError(
            f"{name}: dialog {short[0]} has a single turn; a dialog needs at least two lines "
            "(one turn per line, a blank line between dialogs)"
        )
    if not dialogs:
        raise PlaygroundError(
            f"{name} holds no dialogs: write one turn per line, a blank line between dialogs"
        )
    return dialogs


def read_dialog_file(path: str) -> list[list[str]]:
    from pathlib import Path

    return parse_dialogs(read_text_file(path), Path(path).name)


def parse_dialog_text(text: str) -> list[list[str]]:
    return parse_dialogs(decode_text_bytes(text.encode("utf-8"), "the pasted dialogs"), "the pasted dialogs")


def encode_turns(turns: Sequence[str], open_next: bool = False) -> str:
    """The marked-up stream for a dialog; with open_next, end with the next speaker's marker."""
    s = DIALOG_START + "".join(SPEAKERS[i % 2] + t + END_OF_TURN for i, t in enumerate(turns))
    if open_next:
        s += SPEAKERS[len(turns) % 2]
    return s


def label(ch: str) -> str:
    return _MARKER_LABELS.get(ch, ch if ch.isprintable() else f"\\x{ord(ch):02x}")


class JokeStream:
    """Training batches cut from jokes made for each batch: a bundled training joke or, with the share
    ``made_up / (made_up + bundled)``, a made-up one (``jokes.make_joke``) that no batch saw before.

    A fixed set of made-up jokes is learnt by heart by a long enough run (measured: an LSTM with
    attention copied 57 of 60 unseen names after 1,000 steps on 3,000 fixed jokes and 46 after 3,000;
    on fresh ones it stays at 59-60). Everything is drawn from the trainer's batch generator, so
    undo, save and resume replay the same batches.
    """

    def __init__(self, task: TokenTask, bundled: Sequence[Sequence[str]], made_up: int) -> None:
        self._encode = task.encode
        self._bundled = [task.encode(encode_turns(d), what="training dialogs") for d in bundled]
        self.share = made_up / (made_up + len(bundled))

    def __call__(self, gen, n_chars: int):
        """At least ``n_chars`` token ids of whole jokes (a numpy array) and where each joke starts,
        drawn with ``gen`` (torch)."""
        import numpy as np
        import torch

        from playground.core.data.jokes import make_joke
        rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=gen)))
        parts: list = []
        starts: list[int] = []
        total = 0
        while total < n_chars:
            if rng.random() < self.share:
                ids = self._encode(encode_turns(make_joke(rng)), what="made-up jokes")
            else:
                ids = self._bundled[int(rng.integers(len(self._bundled)))]
            parts.append(ids)
            starts.append(total)
            total += len(ids)
        return np.concatenate(parts), np.asarray(starts)


def build_dialog_task(
    dialogs: list[list[str]],
    val_fraction: float,
    vocab: Sequence[str] | None = None,
    notes: Sequence[str] = (),
    made_up: int = 0,
    seed: int = 0,
) -> TokenTask:
    """The dialogs as a marked-up character stream; the last ``val_fraction`` of them held out.

    ``made_up``: that many made-up knock-knock jokes (``jokes.made_up_jokes``, from ``seed``) are
    mixed into the training part, so that the model learns to copy any name; the held-out part is
    the given dialogs only.
    """
    if len(dialogs) < 2:
        raise PlaygroundError("give at least two dialogs: one to learn from and one to validate on")
    n_val = max(1, round(len(dialogs) * val_fraction))
    training = list(dialogs[:-n_val])
    extra: list[list[str]] = []
    if made_up:
        import numpy as np

        from playground.core.data.jokes import made_up_jokes

        extra = made_up_jokes(made_up, seed)
        training += extra
        order = np.random.default_rng(seed).permutation(len(training))
        training = [training[i] for i in order]
        notes = [f"{made_up} made-up jokes (names from syllables and everyday words) mixed into training", *notes]
    train = "".join(encode_turns(d) for d in training)
    val = "".join(encode_turns(d) for d in dialogs[-n_val:])
    if vocab is None:
        # Every marker and printable ASCII character is in the vocabulary even if the data never
        # uses it, so a user can knock with any name and the model still answers (if badly).
        printable = {chr(c) for c in range(32, 127)}
        vocab = sorted(set(train) | set(val) | set(MARKERS) | {END_OF_TURN} | printable)
    else:
        missing = sorted(set(train + val) - set(vocab))
        if missing:
            shown = ", ".join(repr(c) for c in missing[:8])
            raise PlaygroundError(f"the dialogs have characters this model's vocabulary lacks ({shown})")
    notes = [f"{len(dialogs)} dialogs ({len(dialogs) - n_val} for training, {n_val} held out)", *notes]
    task = TokenTask(KIND, train, val, vocab=vocab, notes=notes, labeler=label)
    task.dialogs = dialogs
    task.made_up = extra
    task.made_up_spec = (made_up, seed) if made_up else (0, 0)
    if made_up:  # training batches come from jokes made for each batch (the list above is a preview)
        task.batch_stream = JokeStream(task, dialogs[:-n_val], made_up)
    return task


def build_vocab_only_task(vocab: Sequence[str]) -> TokenTask:
    """A dialog task without dialogs: a model whose data is gone still replies."""
    return text_data.build_vocab_only_task(vocab, KIND, labeler=label)
