"""Mutated model files (issue 12): real files of every data kind and several architectures, changed the
way a damaged or crafted file would be (metadata values of another type, extreme numbers, deep
nesting, deleted and duplicated keys; header lengths, offsets, dtypes and shapes changed; tensors
truncated or filled with NaN), then opened by `info`, `sample` or `forecast` and `train --resume`.

Every case ends in success or in one line and exit status 2: never an internal error, never a
traceback, never more than a few seconds, and never more memory than a bound set for the whole run
(RLIMIT_DATA: an allocation past it fails, and would show here as an internal error).

The default suite runs FAST_CASES cases; ``-m fuzz`` (run by .ci/run) runs FULL_CASES.

The exported script (``rnn-playground export MODEL --script OUT.py``) reads the same files on its own,
so the same mutations go through each base's exported script too: its ``sample`` (or ``forecast``,
``classify``, ``write``) and ``train``, exit status 0 or 2, never a traceback (SCRIPT_CASES, in one
`python -I` process: tests/script_helpers.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import resource
import struct
import sys
import time
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from playground.cli import main  # noqa: E402
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig  # noqa: E402
from playground.core.train import checkpoint  # noqa: E402
from playground.core.train.trainer import Trainer  # noqa: E402

FAST_CASES = 60
FULL_CASES = 1000
SCRIPT_FAST_CASES, SCRIPT_CASES = 20, 300  # mutated files through the exported scripts
CASE_SECONDS = 10.0  # one case, all its commands (a loaded 2-core machine; most take ~0.1 s)
MEMORY_HEADROOM = 2 * 2**30  # the whole run may allocate this much beyond what it started with

TEXT = "the cat sat on the mat. the dog sat on the log. " * 20

BASES = {  # name: (kind, arch, extra settings)
    "text-lstm": ("text", "lstm", {}),
    "text-file-gru": ("text-file", "gru", {}),  # carries its file's text (data/text), mutated too
    "text-rnn-2layers": ("text", "rnn", {"layers": 2}),
    "dialog-gru": ("knock-knock", "gru", {}),
    "prices-lstm": ("prices", "lstm", {}),
    "prices-mlp": ("prices", "mlp", {}),
    "memory-transformer": ("memory", "transformer", {}),
    "memory-bigru": ("memory", "gru", {"bidirectional": True}),
    "order-rnn": ("order", "rnn", {}),
    "spell-lstm": ("spell", "lstm", {}),
}


def _session(kind: str, arch: str, extra: dict, folder: Path | None = None) -> SessionConfig:
    if kind == "text-file":  # the file is deleted once the model is saved: only the model carries it
        assert folder is not None
        (folder / "story.txt").write_text(TEXT, encoding="utf-8")
        data = DataConfig(kind="text", source="file", path=str(folder / "story.txt"))
    elif kind == "text":
        data = DataConfig(kind="text", source="inline", text=TEXT)
    elif kind == "knock-knock":
        data = DataConfig(kind="knock-knock", made_up_jokes=50)
    elif kind == "prices":
        data = DataConfig(kind="prices", source="generator", length=300, window=12)
    else:
        data = DataConfig(kind=kind)
    return SessionConfig(
        model=ModelConfig(arch=arch, hidden=8, embed=4, **extra),
        data=data,
        train=TrainConfig(batch_size=4, seq_len=12, val_every=0),
    )


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz-bases")
    out = {}
    for name, (kind, arch, extra) in BASES.items():
        trainer = Trainer(_session(kind, arch, extra, folder))
        for _ in range(2):
            trainer.step()
        path = folder / f"{name}.safetensors"
        checkpoint.save(trainer, path)
        out[name] = path.read_bytes()
        (folder / "story.txt").unlink(missing_ok=True)
    return out


# -- the file's parts ---------------------------------------------------------------------------------


def split(blob: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def join(header: dict, body: bytes, pad: bool = True) -> bytes:
    text = json.dumps(header, allow_nan=True).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def _paths(value, prefix=()):
    """Every place in a JSON value: (path, value)."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _set(root, path, value):
    if not path:
        return value
    node = root
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return root


def _delete(root, path):
    node = root
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]
    return root


ODD_VALUES = st.sampled_from(
    [
        None, True, False, 0, -1, 1, 2**31, 2**63, -(2**63), 2**64, 10**30, 1e308, -1e308, 1e-320,
        math.inf, -math.inf, math.nan, "", "x", "lstm", "é" * 5000, [], [1, 2], [[1.0, 2.0], [3.0, 4.0]],
        {}, {"a": 1}, "null", "[]", "{}",
    ]
)  # fmt: skip

DTYPES = st.sampled_from(["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "X9"])


# -- mutations: each takes the file and a hypothesis `data` and returns new bytes -------------------------


def m_meta_value(blob: bytes, data) -> bytes:
    """A value inside the settings, task or optimizer JSON replaced by something else."""
    header, body = split(blob)
    meta = header["__metadata__"]
    field = data.draw(st.sampled_from(sorted(meta)))
    try:
        inner = json.loads(meta[field])
    except ValueError:
        inner = meta[field]
    places = [p for p, _ in _paths(inner)]
    path = data.draw(st.sampled_from(places))
    how = data.draw(st.sampled_from(["replace", "delete", "deep", "duplicate"]))
    if how == "replace" or not path:
        inner = _set(inner, path, data.draw(ODD_VALUES))
        meta[field] = json.dumps(inner, allow_nan=True)
    elif how == "delete":
        meta[field] = json.dumps(_delete(inner, path), allow_nan=True)
    elif how == "deep":  # written as text: json itself would recurse too deep to write it
        depth = data.draw(st.sampled_from([50, 5000, 100_000]))
        text = json.dumps(_set(inner, path, "__DEEP__"), allow_nan=True)
        meta[field] = text.replace('"__DEEP__"', "[" * depth + "1" + "]" * depth, 1)
    else:  # the same key twice, the second with another value (json keeps the last)
        text = json.dumps(inner, allow_nan=True)
        if isinstance(path[-1], str) and text.startswith("{"):
            text = text[:-1] + f', "{path[-1]}": {json.dumps(data.draw(ODD_VALUES), allow_nan=True)}}}'
        meta[field] = text
    return join(header, body)


def m_meta_top(blob: bytes, data) -> bytes:
    """The metadata table itself: a field removed, or replaced by text that is not what it should be."""
    header, body = split(blob)
    meta = header["__metadata__"]
    field = data.draw(st.sampled_from(sorted(meta)))
    if data.draw(st.booleans()):
        del meta[field]
    else:
        meta[field] = data.draw(
            st.sampled_from(
                ["", "null", "[]", "{}", "1e999", "-1", "NaN", "x" * 100_000, '"text"', "[" * 5000]
            )
        )
    return join(header, body)


def m_tensor_header(blob: bytes, data) -> bytes:
    """One tensor's dtype, shape or offsets changed in the header (the bytes stay)."""
    header, body = split(blob)
    names = sorted(k for k in header if k != "__metadata__")
    name = data.draw(st.sampled_from(names))
    entry = header[name]
    how = data.draw(st.sampled_from(["dtype", "shape", "offsets", "drop", "rename"]))
    if how == "dtype":
        entry["dtype"] = data.draw(DTYPES)
    elif how == "shape":
        entry["shape"] = data.draw(
            st.sampled_from(
                [[], [0], [1], [2**40], [-1], [3, 7], list(reversed(entry["shape"])), [*entry["shape"], 1]]
            )
        )
    elif how == "offsets":
        a, b = entry["data_offsets"]
        entry["data_offsets"] = data.draw(
            st.sampled_from([[b, a], [a, b + 8], [a + 4, b], [0, 0], [a, 2**62], [-8, b], [a, 1e30]])
        )
    elif how == "drop":
        del header[name]
    else:
        header[name.replace("/", "/x", 1)] = header.pop(name)
    return join(header, body)


def m_bytes(blob: bytes, data) -> bytes:
    """The file cut short, its length field changed, or a tensor's bytes overwritten (NaN, garbage)."""
    how = data.draw(st.sampled_from(["truncate", "length", "nan", "garbage"]))
    if how == "truncate":
        return blob[: data.draw(st.integers(0, len(blob) - 1))]
    if how == "length":
        n = data.draw(st.sampled_from([0, 1, 7, 2**32, 2**63, 2**64 - 1, len(blob)]))
        return struct.pack("<Q", n) + blob[8:]
    header, body = split(blob)
    names = sorted(k for k in header if k != "__metadata__" and header[k]["dtype"] in ("F32", "F64"))
    name = data.draw(st.sampled_from(names))
    a, b = header[name]["data_offsets"]
    width = 4 if header[name]["dtype"] == "F32" else 8
    if how == "nan":
        fill = (struct.pack("<f", math.nan) if width == 4 else struct.pack("<d", math.nan)) * (
            (b - a) // width
        )
    else:
        fill = bytes((i * 97 + 13) % 256 for i in range(b - a))
    body = body[:a] + fill + body[b:]
    return join(header, body, pad=False)


MUTATIONS = [m_meta_value, m_meta_top, m_tensor_header, m_bytes]


# -- running the commands -----------------------------------------------------------------------------


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    return code, err.getvalue()


USE = {  # each kind's question, as a user asks it
    "text": ["sample", "--length", "5"],
    "text-file": ["sample", "--length", "5"],
    "knock-knock": ["sample", "--reply", "Lettuce.", "--history", "Knock, knock!", "Who's there?"],
    "prices": ["forecast", "--horizon", "3"],
    "spell": ["sample", "--prompt", "d"],
    "order": ["sample", "--next", "2", "--prompt", "the food was good , not bad"],
}


def _commands(path: Path, kind: str, out: Path) -> list[list[str]]:
    train = ["train", "--resume", str(path), "--steps", "1", "--quiet", "--out", str(out)]
    use = [USE[kind][0], str(path), *USE[kind][1:]] if kind in USE else ["info", "--json", str(path)]
    return [["info", str(path)], use, train]


@contextlib.contextmanager
def memory_bound(extra: int):
    """RLIMIT_DATA at what this process uses now plus ``extra``; restored after."""
    if sys.platform != "linux":
        yield
        return
    used = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmData:"):
                used = int(line.split()[1]) * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = used + extra if hard == resource.RLIM_INFINITY else min(hard, used + extra)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _fuzz(bases: dict[str, bytes], tmp_path: Path, cases: int) -> None:
    failures: list[str] = []
    folder = tmp_path / "cases"
    folder.mkdir()

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases in every run: a failure here is reproducible
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def case(data) -> None:
        base = data.draw(st.sampled_from(sorted(bases)), label="base")
        mutate = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        try:
            blob = mutate(bases[base], data)
        except (KeyError, IndexError, ValueError, TypeError):
            return  # this mutation does not apply to this file
        path = folder / "case.safetensors"
        out = folder / "out.safetensors"
        path.write_bytes(blob)
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        for argv in _commands(path, BASES[base][0], out):
            code, err = _run(argv)
            lines = [line for line in err.splitlines() if line.strip() and not line.startswith("warning")]
            if code not in (0, 2) or (code == 2 and len(lines) != 1) or "Traceback" in err:
                failures.append(f"{base} {mutate.__name__} {argv[0]}: exit {code}: {err.strip()[:300]}")
                return
        took = time.perf_counter() - t0
        if took > CASE_SECONDS:
            failures.append(f"{base} {mutate.__name__}: {took:.1f} s")

    with memory_bound(MEMORY_HEADROOM):
        case()
    assert not failures, f"{len(failures)} of {cases} cases broke the promise:\n" + "\n".join(failures[:25])


def test_mutated_model_files_fail_cleanly(bases, tmp_path):
    _fuzz(bases, tmp_path, FAST_CASES)


@pytest.mark.fuzz
def test_a_thousand_mutated_model_files_fail_cleanly(bases, tmp_path):
    _fuzz(bases, tmp_path, FULL_CASES)


def test_the_bases_open_and_run(bases, tmp_path):
    """Unchanged, every base file passes each command (the fuzz starts from good files)."""
    for name, blob in bases.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(blob)
        for argv in _commands(path, BASES[name][0], tmp_path / "out.safetensors"):
            code, err = _run(argv)
            assert code == 0, (name, argv[0], err)


# -- the exported script ------------------------------------------------------------------------------
SCRIPT_USE = {  # each kind's question to its exported script
    "text": ["sample", "--length", "5"],
    "text-file": ["sample", "--prompt", "the ", "--length", "5", "--temperature", "0.7"],
    "knock-knock": ["sample", "--length", "5", "--greedy"],
    "prices": ["forecast", "--horizon", "3"],
    "memory": ["classify", "--text", "A 3 9 1 ?"],
    "order": ["classify", "--text", "the food was good , not bad"],
    "spell": ["write", "--letter", "d"],
}


@pytest.fixture(scope="module")
def scripts(bases, tmp_path_factory) -> dict[str, Path]:
    """Each base file exported as a PyTorch script."""
    from playground.core.export import export_script

    folder = tmp_path_factory.mktemp("fuzz-scripts")
    out = {}
    for name, blob in bases.items():
        (folder / f"{name}.safetensors").write_bytes(blob)
        out[name] = export_script(folder / f"{name}.safetensors", folder / f"{name.replace('-', '_')}.py")
    return out


def _script_jobs(script: Path, path: Path, kind: str, out: Path) -> dict[str, list[str]]:
    weights = ["--weights", str(path)]
    return {
        "use": [str(script), *SCRIPT_USE[kind], *weights],
        "train": [str(script), "train", "--steps", "1", "--out", str(out), *weights],
    }


def _fuzz_scripts(bases: dict[str, bytes], scripts: dict[str, Path], tmp_path: Path, cases: int) -> None:
    """``cases`` mutated files through their scripts; the unchanged bases first, in the same process
    (one torch import), each of which must pass (the fuzz starts from good files)."""
    from script_helpers import drive

    jobs: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for name, blob in bases.items():
        (tmp_path / f"{name}.safetensors").write_bytes(blob)
        base_jobs = _script_jobs(scripts[name], tmp_path / f"{name}.safetensors", BASES[name][0], tmp_path / f"{name}-out")
        jobs |= {f"base {name} {what}": argv for what, argv in base_jobs.items()}

    @settings(
        max_examples=cases, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def case(data) -> None:
        base = data.draw(st.sampled_from(sorted(bases)), label="base")
        mutate = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        try:
            blob = mutate(bases[base], data)
        except (KeyError, IndexError, ValueError, TypeError):
            return  # this mutation does not apply to this file
        n = len(labels)
        path = tmp_path / f"case{n}.safetensors"
        path.write_bytes(blob)
        labels[str(n)] = f"{base} {mutate.__name__}"
        for what, argv in _script_jobs(scripts[base], path, BASES[base][0], tmp_path / f"out{n}").items():
            jobs[f"{n} {what}"] = argv

    case()
    results = drive(tmp_path, jobs, seconds=CASE_SECONDS, headroom=MEMORY_HEADROOM)
    failures = []
    for job, argv in jobs.items():
        r = results[job]
        if job.startswith("base "):
            assert r["code"] == 0 and not r["err"], (job, r)
            continue
        lines = [line for line in r["err"].splitlines() if line.strip()]
        if r["code"] not in (0, 2) or (r["code"] == 2 and len(lines) != 1) or "Traceback" in r["err"]:
            n, what = job.split(" ", 1)
            failures.append(f"{labels[n]} {argv[1]} ({what}): exit {r['code']}: {r['err'].strip()[-400:]}")
    assert len(labels) >= cases // 2, f"only {len(labels)} of {cases} mutations applied"
    assert not failures, f"{len(failures)} of {len(jobs)} script runs broke the promise:\n" + "\n".join(failures[:25])


def test_mutated_model_files_through_exported_scripts_fail_cleanly(bases, scripts, tmp_path):
    _fuzz_scripts(bases, scripts, tmp_path, SCRIPT_FAST_CASES)


@pytest.mark.fuzz
def test_hundreds_of_mutated_model_files_through_exported_scripts_fail_cleanly(bases, scripts, tmp_path):
    _fuzz_scripts(bases, scripts, tmp_path, SCRIPT_CASES)
