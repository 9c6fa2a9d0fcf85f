"""The File menu's lists: example models, recent files, and plot exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from playground.core.errors import PlaygroundError

MAX_RECENT = 8  # model files listed under File > Open Recent
MODEL_FILTER = "RNN Playground models (*.safetensors);;All files (*)"


class FileLists:
    """Fills File > Open Example, Open Recent and Export Plot, and remembers recent files and folders."""

    def __init__(
        self,
        parent: QWidget,
        open_path: Callable[[str], None],
        report: Callable[[str], None],
        status: Callable[[str], None],
        cards: Callable[[], list[tuple[str, Any]]],
    ) -> None:
        self.parent = parent  # its ``settings`` (QSettings) hold the recent files and the last folder
        self.open_path = open_path
        self.report = report  # an error for the banner
        self.status = status  # a note for the status bar
        self.cards = cards  # (title, plot card) pairs that can be exported

    @property
    def settings(self) -> QSettings:
        return self.parent.settings

    # -- folders and recent files ------------------------------------------------------------
    def last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    def remember_dir(self, path: str) -> None:
        self.settings.setValue("last_dir", str(Path(path).parent))

    def recent_files(self) -> list[str]:
        raw = self.settings.value("recent_files", [])
        files = [raw] if isinstance(raw, str) else list(raw or [])
        return [f for f in files if isinstance(f, str) and f][:MAX_RECENT]

    def remember(self, path: str) -> None:
        """A model file was saved or opened: it goes first in Open Recent, its folder is remembered."""
        self.remember_dir(path)
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])

    # -- menus ----------------------------------------------------------------------------------
    def fill_examples(self, menu: QMenu) -> None:
        from playground.core.examples import list_examples

        menu.clear()
        try:
            examples = list_examples()
        except PlaygroundError as e:
            examples = []
            self.report(str(e))
        for ex in examples:
            action = menu.addAction(f"{ex.title}: {ex.description}")
            action.setToolTip(str(ex.path))
            action.triggered.connect(lambda _checked=False, path=str(ex.path): self.open_path(path))
        if not examples:
            menu.addAction("(no example models found)").setEnabled(False)

    def fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        files = self.recent_files()
        for f in files:
            action = menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _checked=False, path=f: self.open_path(path))
        if not files:
            menu.addAction("(none yet)").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list", lambda: self.settings.setValue("recent_files", []))

    def fill_export(self, menu: QMenu) -> None:
        menu.clear()
        for title, card in self.cards():
            menu.addAction(f"{title}...", lambda c=card, t=title: self.export_dialog(c, t))

    # -- exports ----------------------------------------------------------------------------------
    def export_dialog(self, card: Any, title: str) -> None:
        from playground.ui.export import FORMATS

        name = title.lower().replace(" ", "-")
        path, chosen = QFileDialog.getSaveFileName(
            self.parent,
            f"Export {title.lower()}",
            str(Path(self.last_dir()) / f"{name}.png"),
            ";;".join(FORMATS.values()),
        )
        if not path:
            return
        if not Path(path).suffix:
            path += "." + next((k for k, v in FORMATS.items() if v == chosen), "png")
        self.export_to(card, path)

    def export_to(self, card: Any, path: str) -> bool:
        from playground.ui.export import export_card

        try:
            written = export_card(card, path)
        except PlaygroundError as e:
            self.report(str(e))
            return False
        self.status(f"exported {written}")
        return True
