"""A text larger than memory, as token ids on disk read through a memory map.

The text is read once, a few megabytes at a time, and its characters written as ids (one byte each,
or two for a vocabulary of more than 256 characters) to ``FILE.ids-XXXXXXXX`` beside it (XXXXXXXX
names the vocabulary), with ``FILE.ids-XXXXXXXX.json``: the vocabulary, and the size and time of the
text it was made from, so a changed text is encoded again. Training then draws its windows from
that file through a memory map: only the pages a batch touches are in memory, and they are let go
after each read (``take_rows``). The ids are those ``TokenTask.encode`` gives for the whole text
read at once (the same BOM, line-end and NUL rules), so a small file trains exactly as in memory.

Used by the app (``text_map.MappedTextTask``, for ``--data text --file`` over ``MAP_BYTES``) and,
pasted into it, by the exported script's ``train --data FILE`` (``export/corpus.py`` copies the
part below the line that says so): the two read and write the same files, and the part pasted needs
numpy and the standard library only. No torch here.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import mmap
import os
from pathlib import Path

import numpy as np

from playground.core.errors import PlaygroundError as CorpusError

__all__ = ["CorpusError", "corpus_ids", "count_ids", "own_vocab", "take_rows", "text_vocab_of"]


def shown(text: object) -> str:
    """A name for a one-line message: as it is when printable, else escaped as repr does (the
    exported script has its own, the same)."""
    text = str(text)
    return text if text.isprintable() else repr(text)[1:-1]


# -- shared with the exported script: export/corpus.py pastes from here to the end --------------------
CORPUS_CHUNK = 4 * 2**20  # bytes of text read at a time: what encoding holds in memory, a few times over
RELEASE_ROWS = 4  # windows read from a map between two releases of its pages (take_rows)
BOM = b"\xef\xbb\xbf"


def text_chunks(path, name):
    """The text file `path`, CORPUS_CHUNK bytes at a time: ASCII bytes without CR as they are (a byte
    is a character), else str with its line ends made LF; a BOM is dropped. NUL bytes and bytes that
    are not UTF-8 are refused in one line that names the place."""
    decoder, carry, offset = codecs.getincrementaldecoder("utf-8")(), "", 0
    with open(path, "rb") as src:
        if src.read(len(BOM)) == BOM:  # a byte order mark is not text
            offset = len(BOM)
        src.seek(offset)
        while True:
            data = src.read(CORPUS_CHUNK)
            if b"\x00" in data:
                raise CorpusError(f"{shown(name)} holds NUL bytes: it is not text")
            pending = len(decoder.getstate()[0])  # bytes of a character the last chunk cut
            if data and not pending and not carry and data.isascii() and b"\r" not in data:
                offset += len(data)
                yield data
                continue
            try:
                text = carry + decoder.decode(data, final=not data)
            except UnicodeDecodeError as e:
                at = offset - pending + e.start
                byte = e.object[e.start] if e.start < len(e.object) else 0
                raise CorpusError(f"{shown(name)} is not UTF-8 text (byte 0x{byte:02x} at offset {at:,})") from None
            offset += len(data)
            carry = "\r" if data and text.endswith("\r") else ""  # "\r" and "\n" may lie in two chunks
            yield text[: len(text) - len(carry)].replace("\r\n", "\n").replace("\r", "\n")
            if not data:
                return


def code_points(text):
    """The code points of a chunk of text_chunks: its bytes, or its characters through UTF-32."""
    if isinstance(text, bytes):
        return np.frombuffer(text, dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def text_vocab_of(path, name=None):
    """The sorted set of the characters of the text file `path` (what a new model's vocabulary is),
    read a chunk at a time."""
    seen = np.zeros(0x110000, dtype=bool)
    for text in text_chunks(path, name or Path(path).name):
        seen[code_points(text)] = True
    return [chr(c) for c in np.flatnonzero(seen).tolist()]


def id_table(vocab):
    """A lookup table from a character's code point to its id (-1: not in the vocabulary), one entry
    per code point up to the largest in the vocabulary plus one that stands for all above it, and
    at least one per byte (an ASCII chunk is looked up byte by byte)."""
    codes = [ord(ch) for ch in vocab]
    table = np.full(max(256, max(codes) + 2), -1, dtype=np.int16)  # ids < 2**15
    table[codes] = np.arange(len(codes), dtype=np.int16)
    return table


def encode_chunk(text, table, name):
    """The ids of a chunk of text_chunks, vectorised: its code points looked up in `table`."""
    codes = code_points(text)  # bytes: the table has an entry for each
    ids = table[codes] if isinstance(text, bytes) else table[np.minimum(codes, len(table) - 1)]
    if ids.size and int(ids.min()) < 0:
        unknown = sorted({chr(c) for c in np.unique(codes[ids < 0]).tolist()})
        more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
        raise CorpusError(f"{shown(name)} has characters the model never saw: "
                          f"{', '.join(repr(ch) for ch in unknown[:8])}{more}")
    return ids


def encode_corpus(path, target, vocab):
    """Write the ids of the text file `path` to `target` (through a temporary file beside it, so an
    interrupted run leaves no half map); how many there are."""
    table, dtype, count = id_table(vocab), np.uint8 if len(vocab) <= 256 else np.uint16, 0
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with open(tmp, "wb") as dst:
            for text in text_chunks(path, path.name):
                ids = encode_chunk(text, table, path.name).astype(dtype)
                dst.write(ids.tobytes())
                count += len(ids)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def corpus_ids(path, vocab, say=print, own=False):
    """The token ids of the text file `path` as a read-only array over a memory map, encoded on first
    use beside the file (else, where that folder takes no file, in the current one) and reused while
    the text and the vocabulary stay the same. `say` hears of an encoding long enough to be worth a
    word; `own`: `vocab` is the text's own (text_vocab_of), which the map's description records
    (own_vocab finds it there)."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"no such file: {shown(path)}")
    vocab = list(vocab)
    digest = hashlib.sha256(json.dumps(vocab).encode("utf-8")).hexdigest()[:8]
    stat, dtype = path.stat(), "uint8" if len(vocab) <= 256 else "uint16"
    made_from = {"text": path.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "vocab": vocab, "dtype": dtype}
    for folder in (path.parent, Path.cwd()):
        ids, about = folder / f"{path.name}.ids-{digest}", folder / f"{path.name}.ids-{digest}.json"
        try:
            found, size = read_about(about), ids.stat().st_size // np.dtype(dtype).itemsize
            if all(found.get(k) == v for k, v in made_from.items()) and found.get("ids") == size:
                if own and not found.get("own"):  # made with this vocabulary, now known as the text's own
                    try:
                        write_about(about, {**found, "own": True})
                    except OSError:
                        pass  # unsaid: the next run reads the text for its vocabulary again
                return mapped(ids, dtype)
        except OSError:
            pass  # not made yet: encode
        try:
            if stat.st_size > CORPUS_CHUNK:  # a wait worth a word
                say(f"encoding {shown(path.name)} ({stat.st_size / 2**20:,.0f} MB) once, into {shown(ids)}")
            count = encode_corpus(path, ids, vocab)
            write_about(about, {**made_from, "ids": count, "own": own})
        except PermissionError:
            continue  # a folder that takes no file (a shared corpus): the next place
        except OSError as e:
            raise CorpusError(f"cannot write {shown(ids)}: {shown(e.strerror or e)}") from None
        return mapped(ids, dtype)
    raise CorpusError(f"cannot write the ids of {shown(path.name)} beside it or in the current folder")


def own_vocab(path):
    """The text file's own vocabulary (text_vocab_of), from the description of a map made with it
    before while the text is unchanged (no pass over the text), else read from the text."""
    path = Path(path)
    stat = path.stat()
    made_from = {"text": path.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "own": True}
    for folder in (path.parent, Path.cwd()):
        for about in sorted(folder.glob(f"{glob_escape(path.name)}.ids-*.json")):
            found = read_about(about)
            if all(found.get(k) == v for k, v in made_from.items()) and isinstance(found.get("vocab"), list):
                return [str(ch) for ch in found["vocab"]]
    return text_vocab_of(path)


def glob_escape(name):
    """`name` with the characters glob reads as patterns bracketed, so it matches itself only."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def read_about(about):
    """The description beside a map of ids (a dict; empty where it is missing or unreadable)."""
    try:
        found = json.loads(about.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def write_about(about, found):
    """Write the description beside a map of ids (through a temporary file: never half written)."""
    tmp = about.with_name(f".{about.name}.tmp")
    tmp.write_text(json.dumps(found), encoding="utf-8")
    os.replace(tmp, about)


def mapped(path, dtype):
    """The ids file as a read-only array over a memory map (np.frombuffer of an mmap, which
    take_rows can advise)."""
    if path.stat().st_size == 0:
        return np.zeros(0, dtype)
    with open(path, "rb") as f:
        return np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), dtype=dtype)


def the_map(ids):
    """The mmap under an array made by mapped (or a slice of one); None for an array in memory."""
    view = getattr(ids, "base", None)
    while view is not None and not isinstance(view, mmap.mmap):  # array, array, memoryview, mmap
        view = view.obj if isinstance(view, memoryview) else getattr(view, "base", None)
    return view


def take_rows(ids, index):
    """ids[index] (int64), for an index array of windows (B, T) or one row (T,): from a map, a few
    windows at a time, letting the map's pages go after each: a read may bring megabytes around it
    into this process (the system's read-ahead, whole large pages; 2 MB a window on Linux 6), which
    would otherwise add up, batch after batch, to the whole text."""
    view = the_map(ids)
    if view is None or not hasattr(mmap, "MADV_DONTNEED"):  # in memory, or on Windows
        return ids[index].astype(np.int64)
    rows = index.reshape(len(index), -1) if index.ndim > 1 else index[None]
    out = np.empty(rows.shape, dtype=np.int64)
    for r in range(0, len(rows), RELEASE_ROWS):
        out[r : r + RELEASE_ROWS] = ids[rows[r : r + RELEASE_ROWS]]
        view.madvise(mmap.MADV_DONTNEED)  # a read-only map: its pages stay in the file's cache
    return out.reshape(index.shape)


def count_ids(ids, n):
    """How often each of the ids 0..n-1 occurs in `ids`, read CORPUS_CHUNK ids at a time (a map's
    pages let go after each)."""
    view, counts = the_map(ids), np.zeros(n, dtype=np.int64)
    for start in range(0, len(ids), CORPUS_CHUNK):
        counts += np.bincount(ids[start : start + CORPUS_CHUNK], minlength=n)[:n]
        if view is not None and hasattr(mmap, "MADV_DONTNEED"):
            view.madvise(mmap.MADV_DONTNEED)
    return counts
