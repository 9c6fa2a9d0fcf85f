"""Your own data into the window: a file dropped anywhere on it, or text pasted from the clipboard
(Edit > Paste Data). What it is comes from ``core/data/recognise.py`` (extension and content); a model file
opens as File > Open does, data goes to the Data panel (where another kind can be chosen), the reason
goes to the banner (a note), and a file that is none of ours gets a one-line message in the banner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QGuiApplication

from playground.core.data.recognise import Recognised, recognise_file, recognise_text
from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

SHOWN_MS = 20_000  # how long the status bar says which model file was opened


class DataDrop(QObject):
    """Installed on the main window: accepts dropped local files and pasted text."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.said = ""  # what was recognised last (in the banner, as a note)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            mime = event.mimeData()
            if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
                event.acceptProposedAction()
                return True
            return False
        if kind == QEvent.Type.Drop:
            files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
            if not files:
                return False
            event.acceptProposedAction()
            if len(files) > 1:
                self.w.report(f"{len(files)} files dropped: drop one at a time (the first, {files[0]}, is used)")
            self.take_file(files[0])
            return True
        return False

    def take_file(self, path: str) -> Recognised | None:
        """Recognise ``path`` and use it; None (and a message in the banner) when it is none of ours."""
        try:
            found = recognise_file(path)
        except PlaygroundError as e:
            self.w.report(str(e))
            return None
        self._use(found)
        return found

    def paste(self) -> Recognised | None:
        """Edit > Paste Data: the clipboard's text as dialogs or plain text."""
        try:
            found = recognise_text(QGuiApplication.clipboard().text())
        except PlaygroundError as e:
            self.w.report(str(e))
            return None
        self._use(found)
        return found

    def _use(self, found: Recognised) -> None:
        w = self.w
        if found.config is None:
            w.open_path(found.path)
            w.statusBar().showMessage(found.why, SHOWN_MS)
            return
        w.data_dock.raise_()
        self.said = f"Recognised {found.why}. Not right? Choose the kind in the Data panel."
        w.data_panel.set_config(found.config)
        w.controller.data_changed(found.config)
        w.banner.show_message(self.said, "info")
