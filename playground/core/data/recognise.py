"""What a dropped or pasted file is: a model, dialogs, a CSV series or plain text, recognised by its
extension and its content, with the reason in words (the window shows it, and the Data panel lets the
user choose otherwise). Kinds are found in the registry by what they preview, never by name.

A drop and a paste are input like a file named on the command line, and meet the same limits:
a dropped file must be an ordinary file of at most the data files' size (``files.check_regular``,
``open_bounded``: a FIFO, a device or a 20 GB file is refused before a byte is read), and pasted text
is a text file's (``checked_paste``: at most ``MAX_TEXT_BYTES`` as UTF-8, valid Unicode, and the text
checks of ``decode_text_bytes``). Both can take a while on a large input: the window runs them off
its GUI thread. No Qt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.core.config import DataConfig
from playground.core.errors import PlaygroundError
from playground.core.files import check_regular, open_bounded
from playground.core.kinds import KINDS

MODEL_SUFFIX = ".safetensors"
CSV_SUFFIXES = (".csv", ".tsv")
SAMPLE = 65536  # bytes read to decide
MAX_TURN = 200  # a dialog line longer than this is prose, not a turn


@dataclass(frozen=True)
class Recognised:
    """A model file to open (``config`` None) or data for the Data panel, and why."""

    path: str
    config: DataConfig | None
    why: str


def _kind(preview: str) -> str:
    """The registry's file-reading kind that previews as ``preview`` ("text", "dialogs", "series")."""
    return next(s.name for s in KINDS.values() if s.preview == preview and "file" in s.sources)


def looks_like_dialogs(text: str) -> tuple[bool, str]:
    """Blocks of short lines (turns) with a blank line between blocks: dialogs. The reason, either way."""
    blocks = [b for b in (blk.strip() for blk in text.replace("\r\n", "\n").split("\n\n")) if b]
    if len(blocks) < 2:
        return False, "no blank lines split it into dialogs"
    turns = [b.split("\n") for b in blocks]
    dialog_like = sum(1 for t in turns if 2 <= len(t) <= 20 and all(len(line) <= MAX_TURN for line in t))
    if dialog_like < 0.8 * len(blocks):
        return False, f"only {dialog_like} of its {len(blocks)} paragraphs look like turns of a dialog"
    mean = sum(len(t) for t in turns) / len(turns)
    return True, f"{len(blocks)} blocks of short lines, about {mean:.0f} turns each, a blank line between them"


def _text_head(path: Path) -> str:
    from playground.core.data.series_io import MAX_CSV_BYTES
    from playground.core.data.text import MAX_TEXT_BYTES, decode_text_bytes

    limit = MAX_CSV_BYTES if path.suffix.lower() in CSV_SUFFIXES else MAX_TEXT_BYTES
    with open_bounded(path, limit, "data file") as (f, _size):
        try:
            head = f.read(SAMPLE)
        except OSError as e:
            raise PlaygroundError(f"cannot read {path.name}: {e.strerror or e}") from None
    if not head:
        raise PlaygroundError(f"{path.name} is empty: there is nothing to learn from")
    cut = len(head)
    while cut > 0:  # a multi-byte character cut at the end of the sample is not an error
        try:
            return decode_text_bytes(head[:cut], path.name)
        except PlaygroundError:
            if cut < len(head) - 3:
                raise
            cut -= 1
    return ""


def _csv_like(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 3:
        return False
    delimiter = max(",;\t", key=lambda d: sum(line.count(d) for line in lines))
    counts = {line.count(delimiter) for line in lines[1:]}
    return len(counts) == 1 and counts != {0} and any(ch.isdigit() for ch in lines[-1])


def recognise_file(path: str | Path) -> Recognised:
    """Recognise a dropped file; a one-line PlaygroundError for one that is none of ours."""
    p = Path(path)
    if p.is_dir():
        raise PlaygroundError(f"{p.name} is a folder: drop a model, a text, a dialog or a CSV file")
    check_regular(p, "file")  # a FIFO, a device, a link that loops: refused before it is opened
    if p.suffix.lower() == MODEL_SUFFIX:
        return Recognised(str(p), None, f"{p.name} is a model file (.safetensors): opened as a model")
    head = _text_head(p)
    if p.suffix.lower() in CSV_SUFFIXES or _csv_like(head):
        why = "its extension is .csv" if p.suffix.lower() in CSV_SUFFIXES else "its lines are columns of numbers"
        return Recognised(str(p), DataConfig(kind=_kind("series"), source="file", path=str(p)).validate(),
                          f"{p.name}: a series in a CSV file ({why})")
    dialogs, reason = looks_like_dialogs(head)
    if dialogs:
        config = DataConfig(kind=_kind("dialogs"), source="file", path=str(p)).validate()
        return Recognised(str(p), config, f"{p.name}: dialogs ({reason})")
    config = DataConfig(kind=_kind("text"), source="file", path=str(p)).validate()
    return Recognised(str(p), config, f"{p.name}: plain text for next-character prediction ({reason})")


def checked_paste(text: str, what: str = "the pasted text") -> str:
    """``text`` as a text file's would be read: at most ``MAX_TEXT_BYTES`` in UTF-8 (a longer one is
    refused before it is encoded), every character valid Unicode, then ``decode_text_bytes``' checks
    (NUL and control bytes, whitespace only). Line ends come back as "\\n". A one-line error otherwise."""
    from playground.core.data.text import MAX_TEXT_BYTES, decode_text_bytes
    from playground.core.files import _size_text

    limit = f"text up to {_size_text(MAX_TEXT_BYTES)} can be used, as for a text file"
    if len(text) > MAX_TEXT_BYTES:  # a character is at least one byte: too long, whatever it holds
        raise PlaygroundError(f"{what} is {len(text):,} characters long: {limit}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise PlaygroundError(
            f"{what} is not valid Unicode text (a lone surrogate, U+{ord(text[e.start]):04X}, at character "
            f"{e.start:,})"
        ) from None
    if len(data) > MAX_TEXT_BYTES:
        raise PlaygroundError(f"{what} is {_size_text(len(data))} as UTF-8: {limit}")
    return decode_text_bytes(data, what)


def recognise_text(text: str) -> Recognised:
    """Recognise pasted text: dialogs or plain text (a series is given as a file or in the Data panel),
    checked first as a text file is (``checked_paste``)."""
    if not text.strip():
        raise PlaygroundError("the clipboard holds no text to learn from")
    text = checked_paste(text)
    dialogs, reason = looks_like_dialogs(text)
    kind = _kind("dialogs") if dialogs else _kind("text")
    what = "dialogs" if dialogs else "plain text for next-character prediction"
    return Recognised("", DataConfig(kind=kind, source="inline", text=text).validate(), f"pasted {what} ({reason})")
