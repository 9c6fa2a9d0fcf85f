"""`train --data FILE` of an exported text script reads the text through a memory map of token ids.

The script is loaded as a module here (runpy, not as __main__) so that its encoder can be driven with
tiny chunks: the ids must be the ones the whole text read at once gives, whatever the chunk size
cuts (a character's bytes, a CR and its LF, the byte order mark), and its refusals must name the
same byte the app names.
"""

from __future__ import annotations

import mmap
import runpy

import numpy as np
import pytest
import torch

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.export import export_script
from playground.core.train import checkpoint
from playground.core.train.trainer import Trainer

TEXT = "the café sat on the mat.\nüber die brücke, the dog ate the log.\n" * 6


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    """A text model (vocabulary of TEXT) exported; the script's globals, loaded without running main."""
    folder = tmp_path_factory.mktemp("corpus")
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=12, embed=6),
        data=DataConfig(kind="text", source="inline", text=TEXT),
        train=TrainConfig(batch_size=4, seq_len=16, device="cpu"),
    )
    trainer = Trainer(session)
    trainer.step()
    model = checkpoint.save(trainer, folder / "model.safetensors")
    path = export_script(model, folder / "model.py")
    rng = torch.get_rng_state()
    yield {"ns": runpy.run_path(str(path), run_name="exported"), "folder": folder, "model": model, "vocab": trainer.task.vocab}
    torch.set_rng_state(rng)


def _ids(script, data: bytes, chunk: int, name: str = "t.txt") -> np.ndarray:
    ns, path = script["ns"], script["folder"] / name
    path.write_bytes(data)
    ns["encode_corpus"].__globals__["CORPUS_CHUNK"] = chunk
    try:
        ns["encode_corpus"](path, path.with_suffix(".ids"), script["vocab"])
    finally:
        ns["encode_corpus"].__globals__["CORPUS_CHUNK"] = 8 * 2**20
    return np.fromfile(path.with_suffix(".ids"), dtype=np.uint8)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 8 * 2**20])
def test_ids_are_those_of_the_whole_text_whatever_the_chunks(script, chunk):
    raw = b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode("utf-8")[:200] + b"\rthe end\r"  # BOM, CRLF, lone CRs
    whole = script["ns"]["decode_text"](raw, "t.txt")
    expected = script["ns"]["Chars"](script["vocab"]).encode(whole).numpy()
    assert "\r" not in whole and whole.endswith("the end\n") and "é" in whole
    assert np.array_equal(_ids(script, raw, chunk), expected)


@pytest.mark.parametrize("chunk", [1, 4, 13, 8 * 2**20])
def test_bytes_that_are_not_utf8_are_named_as_the_app_names_them(script, chunk):
    raw = "the café\n".encode() * 2 + b"the \xc3( mat"  # byte 24: a lead byte without its follower
    with pytest.raises(script["ns"]["UsageError"], match=r"^t.txt is not UTF-8 text \(byte 0xc3 at offset 24\)$"):
        _ids(script, raw, chunk)
    with pytest.raises(script["ns"]["UsageError"], match=r"^t.txt is not UTF-8 text \(byte 0xc3 at offset 24\)$"):
        script["ns"]["decode_text"](raw, "t.txt")
    cut = "the café".encode()[:-1]  # the file ends inside a character
    with pytest.raises(script["ns"]["UsageError"], match=r"byte 0xc3 at offset 7\)$"):
        _ids(script, cut, chunk)


def test_characters_outside_the_vocabulary_and_nul_are_refused_in_one_line(script):
    with pytest.raises(script["ns"]["UsageError"], match=r"^t.txt has characters the model never saw: 'Q', 'Z'$"):
        _ids(script, b"the cat Zat Q mat", 8 * 2**20)
    with pytest.raises(script["ns"]["UsageError"], match=r"^t.txt has characters the model never saw: 'Z'$"):
        _ids(script, b"the cat Zat Q mat", 4)  # those of the first chunk that has any
    with pytest.raises(script["ns"]["UsageError"], match=r"^t.txt holds NUL bytes: it is not text$"):
        _ids(script, b"the cat\x00", 4)


def test_the_map_is_made_once_and_again_when_the_text_changes(script, monkeypatch):
    ns, path = script["ns"], script["folder"] / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    first = ns["corpus_ids"](path, script["vocab"])
    assert isinstance(first.base.obj, mmap.mmap) and first.dtype == np.uint8 and len(first) == len(TEXT)
    made = sorted(p.name for p in script["folder"].glob("corpus.txt.ids-*"))
    assert len(made) == 2 and made[1] == made[0] + ".json"
    real = ns["encode_corpus"]
    monkeypatch.setitem(ns["corpus_ids"].__globals__, "encode_corpus", lambda *a: pytest.fail("encoded again"))
    assert np.array_equal(ns["corpus_ids"](path, script["vocab"]), first)  # reused
    monkeypatch.setitem(ns["corpus_ids"].__globals__, "encode_corpus", real)
    path.write_text(TEXT + "the end.\n", encoding="utf-8")
    assert len(ns["corpus_ids"](path, script["vocab"])) == len(TEXT) + 9  # a changed text: encoded again
    wide = [chr(0x4E00 + i) for i in range(300)] + list(script["vocab"])  # more than 256: two bytes an id
    ids = ns["corpus_ids"](path, wide)
    assert ids.dtype == np.uint16 and int(ids[0]) == wide.index("t")


def test_training_on_a_mapped_text_takes_the_steps_of_the_text_in_memory(script, monkeypatch):
    """--data FILE holding the model's own text: the very weights as training on the text the model
    file carries. Over CARRY_BYTES (the app's 50 MB) the new file names the text instead of carrying it, and the
    app opens it."""
    ns, folder = script["ns"], script["folder"]
    (folder / "same.txt").write_text(TEXT, encoding="utf-8")
    main = ns["main"]
    assert main(["train", "--steps", "4", "--weights", str(script["model"]), "--out", str(folder / "mem")]) == 0
    assert main(["train", "--steps", "4", "--weights", str(script["model"]), "--data", str(folder / "same.txt"),
                 "--out", str(folder / "mapped")]) == 0
    a, b = (checkpoint.load(folder / f"{n}.safetensors", device="cpu") for n in ("mem", "mapped"))
    for (key, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(x, y), key
    assert b.task.source_text == TEXT and b.session.data.source == "file"
    monkeypatch.setitem(main.__globals__, "CARRY_BYTES", 100)  # as if the text were over 50 MB
    assert main(["train", "--steps", "2", "--weights", str(folder / "mapped.safetensors"), "--data",
                 str(folder / "same.txt"), "--out", str(folder / "big")]) == 0
    big = checkpoint.load(folder / "big.safetensors", device="cpu")
    assert big.steps == b.steps + 2 and getattr(big.task, "source_text", None) is None
    assert big.session.data.path == str((folder / "same.txt").resolve())
    assert "data/text" not in ns["read_model_file"](folder / "big.safetensors")[2]


def test_training_never_imports_the_compiler(script):
    """torch's optimizers import torch._dynamo (about 70 MB) on first use; the script's train settles
    what they import it for (skip_compiler_import), so a run that does not compile never holds it."""
    import subprocess
    import sys

    code = ("import runpy, sys; ns = runpy.run_path(sys.argv[1], run_name='exported'); "
            "assert ns['main'](['train', '--steps', '3', '--out', sys.argv[2]]) == 0; "
            "print('dynamo' if 'torch._dynamo' in sys.modules else 'no dynamo')")
    folder = script["folder"]
    done = subprocess.run([sys.executable, "-I", "-c", code, str(folder / "model.py"), str(folder / "plain")],
                          capture_output=True, text=True, timeout=120, env={"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("no dynamo"), done.stdout
