"""The File menu's lists and exports: example models, recent files, plot exports and the model as a
PyTorch script."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from playground.core.errors import PlaygroundError

MAX_RECENT = 8  # model files listed under File > Open Recent
MODEL_FILTER = "RNN Playground models (*.safetensors);;All files (*)"
OPEN_FILTER = "RNN Playground models and sessions (*.safetensors *.session);;All files (*)"
SESSION_FILTER = "RNN Playground sessions (*.session);;All files (*)"
LESSON_FILTER = "Lesson files (*.toml);;All files (*)"
SCRIPT_FILTER = "Python scripts (*.py);;All files (*)"


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

    def save_session_dialog(self) -> None:
        """File > Save Session: asks where, then the window sends SaveSession."""
        w = self.parent
        if not w.state.has_model:
            return
        path, _ = QFileDialog.getSaveFileName(w, "Save the session", self.last_dir(), SESSION_FILTER)
        if path:
            w.controller.save_session_to(path)

    def written(self, a) -> None:
        """A SessionSaved or ReportWritten (playground.app.messages): said in the status line (a failed
        report in the banner)."""
        w = self.parent
        if hasattr(a, "identical"):  # a report
            w.state.set_loading("")
            if a.error:
                w.report(f"Could not write the report: {a.error}")
                return
            same = "identical" if a.identical else "NOT identical"
            text = f"wrote the report {a.path}: {a.steps:,} steps replayed ({same}), {a.verdicts} verdicts"
        else:
            text = f"saved the session ({a.steps:,} steps recorded) in {a.path}"
        self.remember_dir(a.path)
        w.statusBar().showMessage(text, 10_000)

    def open_lesson_dialog(self) -> None:
        """File > Open Lesson: a lesson file (.toml), read whole; its card joins the Lessons dock."""
        w = self.parent
        path, _ = QFileDialog.getOpenFileName(w, "Open a lesson", self.last_dir(), LESSON_FILTER)
        if path:
            self.remember_dir(path)
            w.lesson_actions.open_lesson_file(path)

    def export_report_dialog(self) -> None:
        """File > Export Report: asks where, then the training process replays the session and writes it."""
        w = self.parent
        if not w.state.has_model:
            return
        path, _ = QFileDialog.getSaveFileName(
            w, "Export a report", str(Path(self.last_dir()) / "report.html"), "Web page (*.html)"
        )
        if path:
            if not Path(path).suffix:
                path += ".html"
            self.export_report_to(path, w.lessons_view.report_note())

    def export_report_to(self, path: str, lesson: dict | None = None) -> None:
        """Training pauses; the training process replays the session and writes the page (``ReportWritten``
        answers, ``written`` says so)."""
        from playground.app.messages import ExportReport

        w = self.parent
        w.controller.play(False)
        w.state.set_loading("writing the report: replaying the session…")
        w.controller.send(ExportReport(path, lesson))

    def export_script_dialog(self) -> None:
        """File > Export as PyTorch Script: the script reads the weights from the saved model file,
        so unsaved work is saved first (asked)."""
        w = self.parent
        if not w.state.has_model:
            return
        w.controller.play(False)
        model = w.path
        if model is None or w.dirty:
            answer = QMessageBox.question(
                w,
                "Export as a PyTorch script",
                "The script reads the model's weights from its saved file. Save the model first?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                return
            model = model or QFileDialog.getSaveFileName(w, "Save the model", self.last_dir(), MODEL_FILTER)[0]
            if not model:
                return
        default = str(Path(model).with_suffix(".py"))
        script, _ = QFileDialog.getSaveFileName(w, "Export as a PyTorch script", default, SCRIPT_FILTER)
        if script:
            self.export_script_to(script, model)

    def export_script_to(self, script: str, model: str | None = None) -> None:
        """Write the script; with ``model`` other than the window's file, or unsaved work, the model is
        saved (there) first and the script written once the file is."""
        w = self.parent
        model = model or w.path
        if model is None:
            self.report("save the model first: the script reads its weights from the saved file")
        elif model != w.path or w.dirty:
            w.controller.save_to(model, then=lambda written: self.export_script(written, script))
        else:
            self.export_script(model, script)

    def export_script(self, model: str, script: str) -> None:
        """Write ``model`` (a saved model file) as one PyTorch script (core/export/script.py): the model
        is loaded in the training process, never on the window's thread; ``exported`` says how it went."""
        self.parent.controller.export_script(model, script)

    def exported(self, answer: Any) -> None:
        """The training process's answer to an export (an Exported): the script in the status bar, or why not."""
        if answer.error:
            self.report(answer.error)
            return
        self.status(f"exported {answer.path}: run python {Path(answer.path).name} --help")

    def export_to(self, card: Any, path: str) -> bool:
        from playground.ui.export import export_card

        return self._exported(lambda: export_card(card, path))

    def _exported(self, write: Callable[[], Path], then: str = "") -> bool:
        """Run ``write``; what it wrote in the status bar, or why not in the banner."""
        try:
            written = Path(write())
        except PlaygroundError as e:
            self.report(str(e))
            return False
        self.status(f"exported {written}" + then.format(name=written.name))
        return True
