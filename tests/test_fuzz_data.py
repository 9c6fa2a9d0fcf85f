"""Mutated data files (issue 28): a CSV series and a text, changed the way a damaged, crafted or merely
unusual file would be (bytes inserted, deleted or overwritten, NULs and control bytes, invalid UTF-8,
another encoding, rows repeated or swapped, cells that are not numbers, a decimal comma, a row of
more cells than the header names, the header gone, the file cut short), then trained on:

- by the command line, ``rnn-playground train --data prices|text --file F --steps 1``;
- by an exported script, ``python -I SCRIPT train --data F --steps 1`` (it reads files on its own).

Every case ends in a trained step (exit 0) or one line and exit status 2: never a traceback, never
an internal error, never more than a few seconds. The default suite runs FAST_CASES cases; ``-m
fuzz`` (run by .ci/run) runs FULL_CASES.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from playground.cli import main  # noqa: E402

FAST_CASES, FULL_CASES = 40, 400
SCRIPT_FAST_CASES, SCRIPT_CASES = 16, 160
CASE_SECONDS = 15.0  # one case on a loaded 2-core machine (most take well under a second)

# A small quarterly series with a date column, two inputs and a text column, written for this test.
CSV_ROWS = ["quarter,price,rate,jobs,note"] + [
    f"{2000 + q // 4}Q{q % 4 + 1},{100 + 0.7 * q + (q % 4) * 1.5:.2f},{2 + (q % 7) * 0.25:.2f},{5 + (q % 5) * 0.1:.1f},"
    + ("calm" if q % 3 else "busy")
    for q in range(60)
]
TEXT = (
    "The kettle sang on the stove while the rain drummed on the roof. "
    "Nobody in the house could remember who had planted the pear tree by the gate. "
) * 30

# Cells a spreadsheet or a crafted file may hold where a number belongs.
ODD_CELLS = [
    "", " ", "nan", "NaN", "inf", "-inf", "1e309", "-", "NA", "n/a", "1,5", "1.000,5", "1 000", "0x1F", "١٢",
    "１２", "1e-400", "12abc", "\x00", "\x07", "💰", '"', '"12"', "9" * 400, "-0", "+3", "3.", ".5",
]  # fmt: skip
ODD_BYTES = [b"\x00", b"\x01\x02\x03", b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc3", b"\r", b"\r\n", b"\x1b[31m"]


def _mutate_csv(data) -> bytes:
    rows = list(CSV_ROWS)
    how = data.draw(st.sampled_from(["cell", "swap", "repeat", "drop-header", "extra-cell", "short-row", "bytes"]))
    if how == "cell":
        r = data.draw(st.integers(1, len(rows) - 1))
        cells = rows[r].split(",")
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(st.sampled_from(ODD_CELLS))
        rows[r] = ",".join(cells)
    elif how == "swap":
        a, b = data.draw(st.integers(1, len(rows) - 1)), data.draw(st.integers(1, len(rows) - 1))
        rows[a], rows[b] = rows[b], rows[a]
    elif how == "repeat":
        r = data.draw(st.integers(1, len(rows) - 1))
        rows.insert(r, rows[r])
    elif how == "drop-header":
        rows = rows[1:]
    elif how == "extra-cell":
        r = data.draw(st.integers(0, len(rows) - 1))
        rows[r] += "," + data.draw(st.sampled_from(["5", "x", ""]))
    elif how == "short-row":
        r = data.draw(st.integers(1, len(rows) - 1))
        rows[r] = ",".join(rows[r].split(",")[:2])
    blob = ("\n".join(rows) + "\n").encode("utf-8")
    if how == "bytes":
        blob = _mutate_bytes(blob, data)
    return blob


def _mutate_text(data) -> bytes:
    return _mutate_bytes(TEXT.encode("utf-8"), data)


def _mutate_bytes(blob: bytes, data) -> bytes:
    how = data.draw(st.sampled_from(["insert", "delete", "overwrite", "truncate", "encoding", "repeat"]))
    at = data.draw(st.integers(0, len(blob)))
    if how == "insert":
        return blob[:at] + data.draw(st.sampled_from(ODD_BYTES)) * data.draw(st.integers(1, 50)) + blob[at:]
    if how == "delete":
        return blob[:at] + blob[at + data.draw(st.integers(1, 200)) :]
    if how == "overwrite":
        junk = data.draw(st.binary(min_size=1, max_size=64))
        return blob[:at] + junk + blob[at + len(junk) :]
    if how == "truncate":
        return blob[:at]
    if how == "encoding":
        text = blob.decode("utf-8")
        return text.encode(data.draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])), errors="replace")
    return blob * data.draw(st.integers(2, 40))  # the same text, longer (a valid file must train)


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    return code, err.getvalue()


TRAIN = {
    "prices": ["--data", "prices", "--window", "4", "--hidden", "8", "--steps", "1", "--batch-size", "4"],
    "text": ["--data", "text", "--hidden", "8", "--steps", "1", "--batch-size", "4", "--seq-len", "12"],
}


def _broken(code, err: str) -> bool:
    """Not one of the two endings a user may see: a trained step, or one line and exit 2."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("warning", "note"))]
    return code not in (0, 2) or (code == 2 and len(lines) != 1) or "Traceback" in err or "internal error" in err


def _fuzz_cli(tmp_path: Path, cases: int) -> None:
    failures: list[str] = []
    endings = {0: 0, 2: 0}

    @settings(max_examples=cases, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def case(data) -> None:
        kind = data.draw(st.sampled_from(sorted(TRAIN)), label="kind")
        blob = _mutate_csv(data) if kind == "prices" else _mutate_text(data)
        path = tmp_path / ("case.csv" if kind == "prices" else "case.txt")
        path.write_bytes(blob)
        t0 = time.perf_counter()
        code, err = _run(["train", *TRAIN[kind], "--file", str(path), "--quiet"])
        took = time.perf_counter() - t0
        if _broken(code, err):
            failures.append(f"{kind}: exit {code}: {err.strip()[-300:]!r} from {blob[:120]!r}")
        elif took > CASE_SECONDS:
            failures.append(f"{kind}: {took:.1f} s")
        else:
            endings[code] += 1

    case()
    assert not failures, f"{len(failures)} of {cases} cases broke the promise:\n" + "\n".join(failures[:20])
    # the fuzz reaches both endings: some mutations leave a file that trains, some are refused
    assert endings[0] > 0 and endings[2] > 0, endings


def test_mutated_data_files_train_or_are_refused_in_one_line(tmp_path):
    _fuzz_cli(tmp_path, FAST_CASES)


@pytest.mark.fuzz
def test_hundreds_of_mutated_data_files_train_or_are_refused_in_one_line(tmp_path):
    _fuzz_cli(tmp_path, FULL_CASES)


# -- the exported scripts read data files on their own -----------------------------------------------


@pytest.fixture(scope="module")
def scripts(tmp_path_factory) -> dict[str, Path]:
    """A series model and a text model trained on the unmutated files, exported as scripts."""
    from playground.core.export import export_script

    folder = tmp_path_factory.mktemp("fuzz-data-scripts")
    (folder / "base.csv").write_text("\n".join(CSV_ROWS) + "\n", encoding="utf-8")
    (folder / "base.txt").write_text(TEXT, encoding="utf-8")
    out = {}
    for kind, name in (("prices", "base.csv"), ("text", "base.txt")):
        model = folder / f"{kind}.safetensors"
        extra = ["--column", "price"] if kind == "prices" else []
        code, err = _run(["train", *TRAIN[kind], *extra, "--file", str(folder / name), "--quiet", "--out", str(model)])
        assert code == 0, err
        out[kind] = export_script(model, folder / f"{kind}_script.py")
    return out


def _fuzz_scripts(scripts: dict[str, Path], tmp_path: Path, cases: int) -> None:
    from script_helpers import drive

    jobs: dict[str, list[str]] = {}
    shown: dict[str, bytes] = {}
    for kind, script in scripts.items():  # the unmutated files train first, in the same process
        base = tmp_path / f"base-{kind}"
        base.write_bytes(("\n".join(CSV_ROWS) + "\n").encode() if kind == "prices" else TEXT.encode())
        jobs[f"base {kind}"] = [str(script), "train", "--data", str(base), "--steps", "1", "--out", str(tmp_path / f"b{kind}")]

    @settings(max_examples=cases, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def case(data) -> None:
        kind = data.draw(st.sampled_from(sorted(scripts)), label="kind")
        blob = _mutate_csv(data) if kind == "prices" else _mutate_text(data)
        n = len(shown)
        path = tmp_path / f"case{n}.{'csv' if kind == 'prices' else 'txt'}"
        path.write_bytes(blob)
        shown[str(n)] = blob[:120]
        jobs[str(n)] = [str(scripts[kind]), "train", "--data", str(path), "--steps", "1", "--out", str(tmp_path / f"o{n}")]

    case()
    results = drive(tmp_path, jobs, seconds=CASE_SECONDS)
    failures = []
    for job, argv in jobs.items():
        r = results[job]
        if job.startswith("base "):
            assert r["code"] == 0, (job, r)
            continue
        if _broken(r["code"], r["err"]):
            failures.append(f"{Path(argv[0]).name}: exit {r['code']}: {r['err'].strip()[-300:]!r} from {shown[job]!r}")
    assert not failures, f"{len(failures)} of {len(shown)} script runs broke the promise:\n" + "\n".join(failures[:20])


def test_mutated_data_files_through_exported_scripts_train_or_are_refused(scripts, tmp_path):
    _fuzz_scripts(scripts, tmp_path, SCRIPT_FAST_CASES)


@pytest.mark.fuzz
def test_hundreds_of_mutated_data_files_through_exported_scripts(scripts, tmp_path):
    _fuzz_scripts(scripts, tmp_path, SCRIPT_CASES)
