"""The core never loads Qt: it must run in a script, a notebook or a server."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path


def test_core_and_cli_import_no_qt():
    code = (
        "import sys\n"
        "import playground.core.train.trainer, playground.core.train.checkpoint, playground.core.inference\n"
        "import playground.core.inspect.probes, playground.core.data.series, playground.core.data.dialogs\n"
        "import playground.core.examples\n"
        "import playground.cli\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6', 'shiboken6'))\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported Qt modules: {out.stdout}"


# -- the rooms of core/, and the direction of their imports --------------------------------------------

CORE = Path(__file__).resolve().parents[1] / "playground" / "core"
# Each room may import only the rooms listed (and itself); the root modules are named one by one.
# Read top down: nothing imports a room below it in this list.
ALLOWED = {
    "errors": set(),
    "files": {"errors"},
    "shown": set(),
    "paths": set(),
    "kinds": {"errors"},  # what a data kind is; how its task is built is data's (data/builders.py)
    "bounds": {"errors", "shown"},
    "config": {"bounds", "errors", "kinds"},
    "budget": {"config", "errors"},
    "presets": {"config", "kinds"},
    "data": {"budget", "config", "errors", "files", "kinds", "paths", "shown"},
    "model": {"config", "errors", "kinds", "data"},
    "inference": {"bounds", "budget", "config", "data", "errors", "kinds", "model", "shown"},
    "inspect": {"bounds", "config", "data", "errors", "inference", "kinds", "model", "shown"},
    "train": {"bounds", "budget", "config", "data", "errors", "files", "inference", "inspect", "kinds", "model",
              "paths", "shown"},
    "examples": {"config", "errors", "paths", "train"},
    "export": {"config", "data", "errors", "files", "inspect", "kinds", "paths", "train", "shown", "bounds"},
    "lessons": {"config", "data", "errors", "files", "inference", "inspect", "kinds", "paths", "presets", "train",
                "model", "budget", "bounds", "shown"},
}


def _core_modules() -> dict[str, Path]:
    found = {}
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every core module ``path`` imports, at the top or inside a function (a cycle behind a lazy
    import is still a cycle), but not under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("playground.core"):
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    found.add(full if full in known else child.module)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("playground.core"))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in known}


def _room(module: str) -> str:
    return module.split(".")[2] if module.count(".") >= 2 else "core"


def test_core_has_at_most_twelve_modules_at_its_root_and_the_rest_in_rooms():
    root = sorted(p.name for p in CORE.glob("*.py"))
    assert len(root) <= 12, root
    rooms = sorted(p.name for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert rooms == ["data", "export", "inspect", "lessons", "model", "train"], rooms


def test_cores_modules_import_one_another_without_a_cycle():
    modules = _core_modules()
    graph = {m: _imports(p, set(modules)) - {m} for m, p in modules.items()}
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}  # a package's own __init__
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle = [*path[path.index(d) :], d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                walk(d)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)


def test_each_room_imports_only_the_rooms_below_it():
    modules = _core_modules()
    wrong = []
    for m, p in modules.items():
        room = _room(m)
        if room == "core":
            continue
        for d in _imports(p, set(modules)):
            other = _room(d)
            if other not in (room, "core") and other not in ALLOWED[room]:
                wrong.append(f"{m} imports {d} ({room} -> {other})")
    assert not wrong, "\n".join(wrong)


def test_one_atomic_write():
    """Every file the app saves goes through core/files.atomic_write; only the exported script, which
    must run without the app installed, carries its own copy."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "playground"
    writers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py") if re.search(r"\bos\.replace\(", p.read_text(encoding="utf-8"))
    )
    # the script's text: template.py, and corpus_map.py (the map of a big text's ids, streamed to disk:
    # the app's code, pasted into the script by export/corpus.py)
    assert writers == ["core/data/corpus_map.py", "core/export/template.py", "core/files.py"], writers
