"""The report a student hands in (core/export/report.py): `rnn-playground report SESSION --out PAGE`.

The page is checked as a reader's browser will take it: one file, every picture inline and well-formed,
the numbers the run's own, the verdicts on the way where a run had trouble and none where it did not,
markup from names escaped, and a replay that differs said so. A real headless Chromium (Debian's
``chromium-headless-shell``) opens it with every request sent to a proxy that counts them: every image
loads and nothing leaves the file.
"""

from __future__ import annotations

import base64
import re
import shutil
import socket
import struct
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_helpers import assert_error, cli

from playground.core.export.report import LessonNote, collect, render
from playground.core.train.session_file import read_session

SMALL = ("--hidden", "16", "--batch-size", "8", "--seq-len", "32")


def record(folder: Path, name: str, *args: str, steps: int = 60) -> Path:
    from playground.cli import main

    session = folder / name
    code = main(
        [
            "train",
            "--steps",
            str(steps),
            *args,
            "--record",
            str(session),
            "--out",
            str(folder / f"{name}.safetensors"),
            "--quiet",
        ]
    )
    assert code == 0
    return session


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    return record(tmp_path_factory.mktemp("report"), "calm.session", "--data", "text", *SMALL)


def images(page: str) -> list[ET.Element]:
    """Every picture of the page, decoded and parsed (a malformed SVG fails here)."""
    found = re.findall(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="[^"]+">', page)
    assert len(found) == page.count("<img"), "every picture is an inline SVG"
    return [ET.fromstring(base64.b64decode(data)) for data in found]


def test_the_page_holds_the_runs_own_numbers_inline(capsys, healthy, tmp_path):
    out = tmp_path / "page"
    code, text, err = cli(capsys, "report", healthy, "--out", out)
    page_path = tmp_path / "page.html"  # .html added
    assert code == 0 and page_path.exists(), err
    assert "60 steps replayed (identical)" in text
    page = page_path.read_text(encoding="utf-8")
    svgs = images(page)
    assert len(svgs) == 3  # loss, gradient norm, gradient through time
    ns = "{http://www.w3.org/2000/svg}"
    loss_line = svgs[0].find(f"{ns}polyline")
    assert loss_line is not None and len(loss_line.get("points", "").split()) == 60  # one point per step
    _meta, _tensors, rec = read_session(healthy)
    assert f"The last training loss {float(rec.losses[-1]):.4f} at step 60" in page
    assert "Replayed from its recorded actions on the CPU" in page and "bit for bit" in page
    assert "None: the diagnosis" in page  # a calm run: no verdict
    assert "trained 60 steps" in page and "kind = text" in page and rec.start["data"]["sha256"] in page
    # nothing that a browser would fetch: no script, no link, no http(s) address but the SVG namespace
    assert "<script" not in page and "<link" not in page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == set()
    assert all(
        set(re.findall(r"https?://[^\s\"'<>]+", ET.tostring(s, encoding="unicode")))
        <= {"http://www.w3.org/2000/svg"}
        for s in svgs
    )


def test_a_run_that_blows_up_has_its_verdicts_with_their_steps(tmp_path):
    """The look-alike of the calm run: lesson 7's set-up (a ReLU RNN, identity init, clipping off) blows up."""
    session = record(tmp_path, "wild.session", "--lesson", "exploding", steps=20)
    run = collect(session)
    kinds = [v.kind for v in run.verdicts]
    assert (
        kinds
        and set(kinds) <= {"exploding", "nan", "vanishing", "overfitting"}
        and kinds[0] in ("exploding", "nan")
    )
    page = render(run)
    first = run.verdicts[0]
    assert f"<tr><td>{first.step:,}</td><td>{first.kind}</td>" in page


def test_the_lesson_and_the_prediction_stand_side_by_side_and_names_are_escaped(healthy, tmp_path):
    run = collect(healthy, name="<b>mine</b>")
    note = LessonNote(
        "6. Vanishing <gradients>",
        "Which model reaches the key?",
        "the LSTM",
        "the LSTM (share 0.03)",
        "Seen.",
        True,
    )
    page = render(run, note)
    assert "&lt;b&gt;mine&lt;/b&gt;" in page and "<b>mine</b>" not in page
    assert "Vanishing &lt;gradients&gt;" in page
    assert "<tr><th>Predicted</th><td>the LSTM</td></tr>" in page and "the LSTM (share 0.03)" in page
    assert "✓ Seen." in page and "File &gt; Save Session" in page  # a window's report: not a file yet


def test_a_tampered_session_is_reported_as_different(healthy, tmp_path, capsys):
    import json

    blob = bytearray(healthy.read_bytes())
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    begin, _ = header["session/losses"]["data_offsets"]
    at = 8 + n + begin + 8 * 30
    (loss,) = struct.unpack("<d", blob[at : at + 8])
    blob[at : at + 8] = struct.pack("<d", loss + 1e-3)
    tampered = tmp_path / "tampered.session"
    tampered.write_bytes(bytes(blob))
    code, text, _ = cli(capsys, "report", tampered, "--out", tmp_path / "t.html")
    assert code == 0 and "DIFFERENT" in text
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "✗ The replay differs" in page and "step 31" in page


def test_bad_input_is_one_line_and_an_old_page_survives(capsys, healthy, tmp_path):
    assert_error(
        capsys,
        "report",
        tmp_path / "missing.session",
        "--out",
        tmp_path / "r.html",
        words=("missing.session",),
    )
    not_a_session = tmp_path / "x.session"
    not_a_session.write_bytes(b"\x00" * 40)
    assert_error(capsys, "report", not_a_session, "--out", tmp_path / "r.html", words=("x.session",))
    assert_error(capsys, "report", healthy, "--out", tmp_path, words=("folder",))
    old = tmp_path / "old.html"
    old.write_text("the old page", encoding="utf-8")
    assert_error(capsys, "report", not_a_session, "--out", old, words=("x.session",))
    assert old.read_text(encoding="utf-8") == "the old page"


# -- in a real browser ----------------------------------------------------------------------------------
CHROMIUM = next(
    (shutil.which(n) for n in ("chromium-headless-shell", "chromium", "chromium-browser") if shutil.which(n)),
    None,
)
CHECK = (  # appended to a copy of the page: the browser writes what it found into the title
    "<script>window.addEventListener('load', () => { const i = [...document.images]; "
    "document.title = 'images ' + i.length + ' loaded ' + i.filter(x => x.complete && x.naturalWidth > 0).length; });"
    "</script>"
)


class CountingProxy:
    """A proxy that accepts connections and counts them (and answers nothing): every request the
    browser sends goes here, and there must be none."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium: apt-get install chromium-headless-shell")
def test_a_real_browser_loads_every_image_and_sends_nothing(capsys, healthy, tmp_path):
    assert cli(capsys, "report", healthy, "--out", tmp_path / "r.html")[0] == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", CHECK + "</body>"), encoding="utf-8")
    proxy = CountingProxy()
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
         "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    title = re.search(r"<title>([^<]*)</title>", run.stdout)
    assert title is not None, run.stderr[-2000:]
    assert title.group(1) == "images 3 loaded 3"
    assert proxy.connections == 0
    shot = tmp_path / "r.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}", "--window-size=1000,1400",
         (tmp_path / "r.html").as_uri()],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 20_000  # the page drew (text and three charts)
