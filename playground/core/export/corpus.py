"""The part of an exported text script that trains on a text larger than memory (``train --data FILE``).

The file is read once, a few megabytes at a time, and its characters written as token ids (one
byte each, or two for a vocabulary of more than 256 characters) to a file beside it; training then
draws its windows from that file through ``np.memmap``, so only the pages a batch touches are in
memory. The ids are the ones ``Chars.encode`` gives for the whole text read at once (the same BOM,
line-end and NUL rules), so a small file trains exactly as before. Script text: torch, numpy and the
standard library only.
"""

CORPUS = r'''
# --------------------------------------------------------------------------------------------------
# A text larger than memory: `train --data FILE` encodes FILE once, CORPUS_CHUNK bytes at a time, to
# FILE.ids-XXXXXXXX (token ids, uint8 or uint16, XXXXXXXX names the vocabulary) and FILE.ids-XXXXXXXX.json
# (its vocabulary, and the size and time of the text it was made from: a changed text is encoded
# again). Batches are read from the ids through np.memmap: memory holds a batch, not the text.
CORPUS_CHUNK = 4 * 2**20  # bytes of text read at a time: what encoding holds in memory, a few times over
BOM = b"\xef\xbb\xbf"
CARRY_BYTES = MAX_TEXT_BYTES  # a text up to this size also travels inside the model file, as the app's do


def id_table(vocab):
    """A lookup table from a character's code point to its id (-1: not in the vocabulary), one entry
    per code point up to the largest in the vocabulary plus one that stands for all above it, and
    at least one per byte (an ASCII chunk is looked up byte by byte)."""
    codes = [ord(ch) for ch in vocab]
    table = np.full(max(256, max(codes) + 2), -1, dtype=np.int16)  # ids < MAX_VOCAB
    table[codes] = np.arange(len(codes), dtype=np.int16)
    return table


def encode_chunk(text, table, name):
    """The ids of `text` (str, line ends already LF; or ASCII bytes without CR), vectorised: its code
    points (or bytes) looked up in `table`."""
    if isinstance(text, bytes):
        codes = np.frombuffer(text, dtype=np.uint8)
        ids = table[codes]
    else:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        ids = table[np.minimum(codes, len(table) - 1)]
    if ids.size and int(ids.min()) < 0:
        unknown = sorted({chr(c) for c in np.unique(codes[ids < 0]).tolist()})
        more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
        raise UsageError(f"{shown(name)} has characters the model never saw: "
                         f"{', '.join(repr(ch) for ch in unknown[:8])}{more}")
    return ids


def encode_corpus(path, target, vocab):
    """Write the ids of the text file `path` to `target` (through a temporary file beside it, so an
    interrupted run leaves no half map); how many there are. Bytes that are not UTF-8, NUL bytes and
    characters outside the vocabulary are refused in one line, naming the place."""
    table, dtype = id_table(vocab), np.uint8 if len(vocab) <= 256 else np.uint16
    decoder, carry, count, offset = codecs.getincrementaldecoder("utf-8")(), "", 0, 0
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            if src.read(len(BOM)) == BOM:  # a byte order mark is not text
                offset = len(BOM)
            src.seek(offset)
            while True:
                data = src.read(CORPUS_CHUNK)
                if b"\x00" in data:
                    raise UsageError(f"{shown(path.name)} holds NUL bytes: it is not text")
                pending = len(decoder.getstate()[0])  # bytes of a character the last chunk cut
                if data and not pending and not carry and data.isascii() and b"\r" not in data:
                    ids = encode_chunk(data, table, path.name).astype(dtype)  # bytes are characters
                    dst.write(ids.tobytes())
                    count, offset = count + len(ids), offset + len(data)
                    continue
                try:
                    text = carry + decoder.decode(data, final=not data)
                except UnicodeDecodeError as e:
                    at = offset - pending + e.start
                    byte = (e.object[e.start] if e.start < len(e.object) else 0)
                    raise UsageError(f"{shown(path.name)} is not UTF-8 text (byte 0x{byte:02x} at offset {at:,})") from None
                offset += len(data)
                carry = "\r" if data and text.endswith("\r") else ""  # "\r" and "\n" may lie in two chunks
                text = text[: len(text) - len(carry)].replace("\r\n", "\n").replace("\r", "\n")
                ids = encode_chunk(text, table, path.name).astype(dtype)
                dst.write(ids.tobytes())
                count += len(ids)
                if not data:
                    break
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def corpus_ids(path, vocab):
    """The token ids of the text file `path` as a read-only array over a memory map (mapped), encoded on first use beside
    the file (else, where that folder takes no file, in the current one) and reused while the text
    and the vocabulary stay the same."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such file: {shown(path)}")
    vocab = list(vocab)
    digest = hashlib.sha256(json.dumps(vocab).encode("utf-8")).hexdigest()[:8]
    stat, dtype = path.stat(), "uint8" if len(vocab) <= 256 else "uint16"
    made_from = {"text": path.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "vocab": vocab, "dtype": dtype}
    for folder in (path.parent, Path.cwd()):
        ids, about = folder / f"{path.name}.ids-{digest}", folder / f"{path.name}.ids-{digest}.json"
        try:
            if json.loads(about.read_text(encoding="utf-8")) == {**made_from, "ids": ids.stat().st_size // np.dtype(dtype).itemsize}:
                return mapped(ids, dtype)
        except (OSError, ValueError):
            pass  # not made yet, or made from another text: encode
        try:
            if stat.st_size > CORPUS_CHUNK:  # a wait worth a word
                print(f"encoding {shown(path.name)} ({stat.st_size / 2**20:,.0f} MB) once, into {shown(ids)}", flush=True)
            count = encode_corpus(path, ids, vocab)
            tmp = about.with_name(f".{about.name}.tmp")
            tmp.write_text(json.dumps({**made_from, "ids": count}), encoding="utf-8")
            os.replace(tmp, about)
        except PermissionError:
            continue  # a folder that takes no file (a shared corpus): the next place
        except OSError as e:
            raise UsageError(f"cannot write {shown(ids)}: {shown(e.strerror or e)}") from None
        return mapped(ids, dtype)
    raise UsageError(f"cannot write the ids of {shown(path.name)} beside it or in the current folder")


def mapped(path, dtype):
    """The ids file as a read-only array over a memory map (np.frombuffer of an mmap: a np.memmap whose
    mapping `take` can advise)."""
    if path.stat().st_size == 0:
        return np.zeros(0, dtype)
    with open(path, "rb") as f:
        return np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), dtype=dtype)


def take(ids, index):
    """ids[index] as a LongTensor: from a tensor, or (a text read through its map) from an array, a few
    windows at a time, letting the map's pages go after each: a read may bring megabytes around it
    into this process (the system's read-ahead, whole large pages; 2 MB a window on Linux 6), which
    would otherwise add up, batch after batch, to the whole text."""
    if torch.is_tensor(ids):
        return ids[index]
    view = ids.base
    while view is not None and not isinstance(view, mmap.mmap):  # array, array, memoryview, mmap
        view = view.obj if isinstance(view, memoryview) else getattr(view, "base", None)
    release = view is not None and hasattr(mmap, "MADV_DONTNEED")  # not on Windows
    index = index.numpy()
    rows = index.reshape(len(index), -1) if index.ndim > 1 else index[None]
    out = np.empty(rows.shape, dtype=np.int64)
    for r in range(0, len(rows), 4):
        out[r : r + 4] = ids[rows[r : r + 4]]
        if release:
            view.madvise(mmap.MADV_DONTNEED)  # a read-only map: its pages stay in the file's cache
    return torch.from_numpy(out.reshape(index.shape))
'''
