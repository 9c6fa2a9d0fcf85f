"""Files that are not files (issue 12, part): a FIFO, /dev/zero, a folder, a symlink loop and a sparse
20 GB file, named as a model file and as a data file (text, dialogs, CSV). Each is refused with one
line and exit status 2, in well under a second, without being read."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import assert_error

from playground.core.errors import PlaygroundError
from playground.core.files import read_bounded

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.safetensors"
    os.mkfifo(path)  # opening it for reading would wait for a writer forever
    return path


def _loop(tmp_path: Path) -> Path:
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _sparse(tmp_path: Path) -> Path:
    path = tmp_path / "huge.safetensors"
    with open(path, "wb") as f:
        f.truncate(20 * 2**30)  # 20 GB that take no disk space: reading them would fill the memory
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.safetensors"
    path.mkdir()
    return path


HOSTILE = {
    "fifo": (_fifo, "FIFO"),
    "dev-zero": (lambda _: Path("/dev/zero"), "device"),
    "folder": (_folder, "folder"),
    "symlink-loop": (_loop, "loops back"),
    "sparse-20GB": (_sparse, "20.0 GB"),
}


@pytest.fixture(params=list(HOSTILE))
def hostile(request, tmp_path) -> tuple[Path, str]:
    make, words = HOSTILE[request.param]
    return make(tmp_path), words


def _quick(run) -> None:
    t0 = time.perf_counter()
    run()
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("command", [("info",), ("sample", "--prompt", "a"), ("forecast", "--horizon", "2")])
def test_as_a_model_file(capsys, hostile, command):
    path, words = hostile
    _quick(lambda: assert_error(capsys, command[0], path, *command[1:], words=(words,)))


@pytest.mark.parametrize("kind", ["text", "knock-knock", "prices"])
def test_as_a_data_file(capsys, hostile, kind, tmp_path):
    path, words = hostile
    _quick(
        lambda: assert_error(
            capsys, "train", "--data", kind, "--file", path, "--steps", "1", "--hidden", "8", words=(words,)
        )
    )


def test_a_regular_file_over_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(PlaygroundError, match="text files up to 1,000 bytes are supported"):
        read_bounded(path, 1000, "text file")
    assert read_bounded(path, 2000, "text file") == b"x" * 2000
    link = tmp_path / "link.txt"
    link.symlink_to(path)  # a symlink to a regular file is read through
    assert read_bounded(link, 2000) == b"x" * 2000


def test_the_window_says_so_and_keeps_its_model(qtbot, open_window, tmp_path):
    """Open a FIFO as a model in the window: a message, and the model in the window stays."""
    from window_helpers import answer_is

    from playground.core.presets import default_session

    w = open_window(default_session())
    before = w.config
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is("failed"), timeout=10_000) as got:
        w.open_path(str(_fifo(tmp_path)))
    assert "FIFO" in got.args[0].message
    assert w.config == before and w.state.has_model


def test_a_price_model_without_its_series_never_reads_the_file_it_names(tmp_path, monkeypatch):
    """A crafted price model whose series was removed and whose settings name another file (a private
    CSV, and a FIFO, which would hang a read): refused with one line; neither file is opened."""
    import json

    from safetensors.torch import save_file

    from playground.cli import main
    from playground.core import checkpoint
    from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
    from playground.core.trainer import Trainer

    private = tmp_path / "private.csv"
    private.write_text("salary,secret_column\n" + "\n".join(f"{i},{i * 2}" for i in range(200)))
    trainer = Trainer(
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=8),
            data=DataConfig(kind="prices", source="file", path=str(private), column="salary", window=8),
            train=TrainConfig(batch_size=4),
        )
    )
    trainer.step()
    good = tmp_path / "good.safetensors"
    checkpoint.save(trainer, good)
    meta, tensors = checkpoint.read(good)
    del tensors["data/series"]
    fifo = tmp_path / "prices.csv"
    os.mkfifo(fifo)
    opened: list[str] = []
    real_open = os.open

    def watched_open(p, *a, **k):
        opened.append(str(p))
        return real_open(p, *a, **k)

    for target in (private, fifo):
        session = json.loads(meta["session"])
        session["data"]["path"] = str(target)
        crafted = tmp_path / f"crafted-{target.stem}.safetensors"
        save_file(tensors, str(crafted), metadata={**meta, "session": json.dumps(session)})
        opened.clear()
        monkeypatch.setattr(os, "open", watched_open)
        t0 = time.perf_counter()
        codes = [
            main(["forecast", str(crafted)]),
            main(["train", "--resume", str(crafted), "--steps", "1", "--quiet"]),
        ]
        monkeypatch.setattr(os, "open", real_open)
        assert codes == [2, 2] and time.perf_counter() - t0 < 10
        assert not any(p.endswith(target.name) for p in opened), opened
        with pytest.raises(PlaygroundError, match="never allowed to open the data file"):
            checkpoint.load(crafted)


def test_the_window_previews_an_opened_models_own_data_and_never_reads_the_file_it_names(
    qtbot, open_window, tmp_path, monkeypatch
):
    """Opened in the window, a text model (its file since replaced by a FIFO) and a price model (its
    CSV since replaced by another with other columns) preview the data inside them; the files
    their settings name are never opened."""
    from window_helpers import answer_is

    from playground.core import checkpoint
    from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
    from playground.core.presets import default_session
    from playground.core.trainer import Trainer

    text = "a small story about a cat and a hat. " * 40
    story = tmp_path / "story.txt"
    story.write_text(text)
    prices = tmp_path / "prices.csv"
    prices.write_text("day,close\n" + "\n".join(f"{i},{100 + i % 7}" for i in range(120)))
    models = {}
    for name, data in (
        ("story", DataConfig(kind="text", source="file", path=str(story))),
        ("prices", DataConfig(kind="prices", source="file", path=str(prices), column="close", window=8)),
    ):
        trainer = Trainer(SessionConfig(model=ModelConfig(arch="gru", hidden=8), data=data, train=TrainConfig(batch_size=4)))
        trainer.step()
        models[name] = (checkpoint.save(trainer, tmp_path / f"{name}.safetensors"), trainer.task)
    story.unlink()
    os.mkfifo(story)
    prices.write_text("salary,secret_column\n" + "\n".join(f"{i},{i * 2}" for i in range(200)))

    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    w = open_window(default_session())
    for name, (path, task) in models.items():
        with qtbot.waitSignal(w.answered, check_params_cb=answer_is("opened"), timeout=20_000):
            w.open_path(str(path))
        assert w.data_panel.wait_idle(10)
        panel = w.data_panel
        assert panel.error_text() == "", panel.error_text()
        if name == "story":
            assert panel.task().source_text == text
            assert panel.preview_box.text_view.toPlainText().startswith("a small story")
        else:
            assert list(panel.task().values) == list(task.values)
            columns = [panel.column_combo.itemText(i) for i in range(panel.column_combo.count())]
            assert columns == ["close"] and "secret_column" not in panel.column_combo.toolTip()
    assert not any(p.endswith(("story.txt", "prices.csv")) for p in opened), opened


def test_a_csv_cell_of_any_length_is_parsed_or_refused_in_one_line(capsys, tmp_path):
    """The csv module stops at 128 KB a cell by default ("field larger than field limit", which was
    an internal error): a 200 KB cell is now read like any other, as a number or as text."""
    from cli_helpers import cli

    long_number = tmp_path / "long_number.csv"
    long_number.write_text("day,close\n" + "".join(f"{i},{100 + i % 9}\n" for i in range(299)) + "299,1" + "0" * 200_000 + "\n")
    long_text = tmp_path / "long_text.csv"
    long_text.write_text("day,close\n" + "1,2\n" * 5 + '6,"' + "x" * 200_000 + '"\n')
    code, _out, err = cli(capsys, "train", "--data", "prices", "--file", long_number, "--column", "close", "--steps", "1", "--quiet")
    assert code == 2 and "non-finite value '1000" in err, err  # 1e200000 is not a finite price
    assert "(200,001 characters)" in err and len(err) < 300, err  # the cell is named, not echoed whole
    assert_error(capsys, "train", "--data", "prices", "--file", long_text, "--column", "close", "--steps", "1", words=("long_text.csv",))
