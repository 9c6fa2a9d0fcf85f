"""Your own data into the window: a file dropped anywhere on it, or text pasted from the clipboard
(Edit > Paste Data). What it is comes from ``core/data/recognise.py`` (extension and content); a model file
opens as File > Open does, data goes to the Data panel (where another kind can be chosen), the reason
goes to the banner (a note), and a file that is none of ours gets a one-line message in the banner.

A drop or a paste is input like a file named on the command line: it is read and checked with the
same limits (``recognise_file``, ``checked_paste``: the size limit of a text file, valid Unicode, no
NUL or control bytes), and off the GUI thread, since a large one takes seconds. Only the newest
drop or paste is answered; every refusal, the recogniser's, the Data panel's (the data does not
build) or the model file's (it does not open), is one line in the banner, and the model on screen
stays until the new data or model is there.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication

from playground.core.data.recognise import Recognised, recognise_file, recognise_text
from playground.core.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

SHOWN_MS = 20_000  # how long the status bar says which model file was opened


class _Relay(QObject):
    """Carries a check's outcome out of its thread. Parentless: it lives as long as that thread needs it."""

    done = Signal(int, object)  # the request's number, its Recognised or the refusal (str)


def _check(number: int, relay: _Relay, recognise: Callable[[], Recognised]) -> None:
    """A drop's or a paste's thread: recognise and check; touches no widget."""
    try:
        result: Recognised | str = recognise()
    except PlaygroundError as e:
        result = str(e)
    except Exception as e:  # a bug must not take the window down: say what happened
        result = f"unexpected error: {type(e).__name__}: {e}"
    with contextlib.suppress(RuntimeError):  # the relay is gone: the application is closing
        relay.done.emit(number, result)


class DataDrop(QObject):
    """Installed on the main window: accepts dropped local files and pasted text."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.said = ""  # what was recognised last (in the banner, as a note)
        self.found: Recognised | None = None  # what the newest drop or paste was recognised as
        self.refused = ""  # why the newest drop or paste was refused ("" when it was not)
        self._relay = _Relay()
        self._relay.done.connect(self._arrived, Qt.ConnectionType.QueuedConnection)
        self._number = 0
        self._waiting = 0  # the number of the drop or paste being checked, 0 when none is
        self._applying = False  # the Data panel builds the newest drop's or paste's data
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        window.data_panel.applied.connect(self._data_applied)

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
                names = ", ".join(Path(f).name for f in files[:3]) + (" ..." if len(files) > 3 else "")
                self._refuse(f"{len(files)} files were dropped at once ({names}): drop one file at a time")
            else:
                self.take_file(files[0])
            return True
        return False

    # -- the two ways in ---------------------------------------------------------------------------
    def take_file(self, path: str) -> None:
        """Recognise and check ``path`` in the background, then use it (or say why not in the banner). A
        lesson file (.toml) is opened as a lesson."""
        if Path(path).suffix.lower() == ".toml":
            self.w.lesson_actions.open_lesson_file(path)
            return
        self._start(lambda: recognise_file(path), f"reading {Path(path).name}…")

    def paste(self) -> None:
        """Edit > Paste Data: the clipboard's text, checked in the background as a text file is, then
        used as dialogs or plain text (or refused in the banner)."""
        text = QGuiApplication.clipboard().text()  # the clipboard is the GUI thread's: a copy, fast
        self._start(lambda: recognise_text(text), "checking the pasted text…")

    @property
    def busy(self) -> bool:
        """True while the newest drop or paste is being checked."""
        return self._waiting != 0

    def wait_idle(self, timeout_s: float = 10) -> bool:
        """Run the event loop until the newest drop or paste is answered; False if it took longer."""
        deadline = time.monotonic() + timeout_s
        while self.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
            if self.busy:
                time.sleep(0.002)  # lets the checking thread run
        return not self.busy

    # -- in the background, and back --------------------------------------------------------------------
    def _start(self, recognise: Callable[[], Recognised], doing: str) -> None:
        self._number += 1
        self._waiting = self._number
        self._applying = False
        self.found, self.refused = None, ""
        self.w.statusBar().showMessage(doing)
        threading.Thread(
            target=_check, args=(self._number, self._relay, recognise), name="drop-check", daemon=True
        ).start()

    def _arrived(self, number: int, result: Recognised | str) -> None:
        if not shiboken6.isValid(self) or number != self._waiting:
            return  # an older drop or paste: the newest one is answered
        self._waiting = 0
        self.w.statusBar().clearMessage()
        if isinstance(result, str):
            self._refuse(result)
        else:
            self.found = result
            self._use(result)

    def _refuse(self, message: str) -> None:
        self._waiting = 0  # (a refusal at once also answers a drop still being checked)
        self.refused = message
        self.w.report(message)

    def _use(self, found: Recognised) -> None:
        w = self.w
        if found.config is None:
            w.open_path(found.path)  # a refusal comes back from the worker, to the banner
            w.statusBar().showMessage(found.why, SHOWN_MS)
            return
        w.data_dock.raise_()
        self.said = f"Recognised {found.why}. Not right? Choose the kind in the Data panel."
        # the Data panel builds it in the background; only data that builds replaces the model's
        self._applying = True
        w.data_panel.apply(found.config)

    def _data_applied(self, error: str) -> None:
        """The Data panel's answer to ``apply``: "" (the data built, the window trains on it now: the
        note says what it was recognised as) or why not."""
        if not self._applying:
            return  # (an answer to the panel's own request)
        self._applying = False
        if error:
            self._refuse(error)
        else:
            self.w.banner.show_message(self.said, "info")
