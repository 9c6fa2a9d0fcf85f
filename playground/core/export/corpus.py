"""The part of an exported text script that trains on a text larger than memory (``train --data FILE``).

The map of ids itself is the app's own code (``core/data/corpus_map.py``), pasted here from its
shared part down, so the script and the app read and write the same files and the script stays one
file that needs only torch, numpy and the standard library. Around it, what only the script needs:
its error class, which texts travel inside the new model file, and batches as tensors.
"""

from pathlib import Path

from playground.core.data import corpus_map

_MARK = "# -- shared with the exported script"


def _shared() -> str:
    """corpus_map's source from its shared part down (read from the module's file: its text, as the
    app runs it)."""
    source = Path(corpus_map.__file__).read_text(encoding="utf-8")
    at = source.index(_MARK)
    return source[source.index("\n", at) + 1 :]


_HEAD = r'''
# --------------------------------------------------------------------------------------------------
# A text larger than memory: `train --data FILE` encodes FILE once, CORPUS_CHUNK bytes at a time, to
# FILE.ids-XXXXXXXX (token ids, uint8 or uint16, XXXXXXXX names the vocabulary) and FILE.ids-XXXXXXXX.json
# (its vocabulary, and the size and time of the text it was made from: a changed text is encoded
# again). Batches are read from the ids through a memory map: memory holds a batch, not the text.
# The app reads a large text the same way (its core/data/corpus_map.py, from which this part comes):
# the two find each other's maps.
CorpusError = UsageError  # a mistake in the text: one line on stderr, exit status 2
CARRY_BYTES = MAX_TEXT_BYTES  # a text up to this size also travels inside the model file, as the app's do
'''

_TAIL = r'''

def take(ids, index):
    """ids[index] as a LongTensor: from a tensor, or (a text read through its map) take_rows."""
    if torch.is_tensor(ids):
        return ids[index]
    return torch.from_numpy(take_rows(ids, index.numpy()))
'''

CORPUS = _HEAD + "\n\n" + _shared() + _TAIL
