"""benchmarks/run_all.py --markdown rewrites the table at the top of docs/benchmarks.md and keeps
the measurements written below it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_table_replaces_the_old_one_and_keeps_the_notes_below_it(run_all, tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\n| figure | ours |\n|---|---|\n| old | 1 |\n"
        f"{run_all.KEPT}\n\n## The window's cost\n\nmeasured by hand: 0.78\n",
        encoding="utf-8",
    )
    run_all.write_table(doc, "# Benchmarks\n\n| figure | ours |\n|---|---|\n| new | 2 |\n")
    text = doc.read_text(encoding="utf-8")
    assert "| new | 2 |" in text and "| old | 1 |" not in text
    assert text.endswith(f"{run_all.KEPT}\n\n## The window's cost\n\nmeasured by hand: 0.78\n")
    assert text.index("| new | 2 |") < text.index(run_all.KEPT)
    # again: the same notes, once
    run_all.write_table(doc, "# Benchmarks\n\n| new | 3 |\n")
    text = doc.read_text(encoding="utf-8")
    assert text.count("measured by hand") == 1 and text.count(run_all.KEPT) == 1


def test_a_file_without_the_line_loses_nothing_and_a_failed_write_leaves_it(run_all, tmp_path, monkeypatch):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("notes from before the line existed\n", encoding="utf-8")
    run_all.write_table(doc, "| t | 1 |\n")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("| t | 1 |\n") and "notes from before the line existed" in text
    before = doc.read_bytes()

    def refuse(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", refuse)
    with pytest.raises(OSError):
        run_all.write_table(doc, "| t | 2 |\n")
    assert doc.read_bytes() == before
