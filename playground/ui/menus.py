"""The window's menus and keyboard shortcuts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from playground.ui.drop import DataDrop

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow


def build_menus(self: MainWindow) -> None:
    """File, Edit, View and Help."""
    file_menu = self.menuBar().addMenu("&File")
    file_menu.setToolTipsVisible(True)
    self.new_action = QAction("&New model", self, shortcut=QKeySequence("Ctrl+N"), triggered=self.reset)
    self.open_action = QAction(
        "&Open...", self, shortcut=QKeySequence.StandardKey.Open, triggered=self.open_dialog
    )
    self.save_action = QAction("&Save", self, shortcut=QKeySequence.StandardKey.Save, triggered=self.save)
    self.save_as_action = QAction(
        "Save &As...", self, shortcut=QKeySequence("Ctrl+Shift+S"), triggered=self.save_as
    )
    quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
    file_menu.addAction(self.new_action)
    file_menu.addAction(self.open_action)
    self.examples_menu = file_menu.addMenu("Open &Example")
    self.examples_menu.setToolTipsVisible(True)
    self.examples_menu.aboutToShow.connect(lambda: self.files.fill_examples(self.examples_menu))
    self.recent_menu = file_menu.addMenu("Open &Recent")
    self.recent_menu.aboutToShow.connect(lambda: self.files.fill_recent(self.recent_menu))
    file_menu.addSeparator()
    file_menu.addAction(self.save_action)
    file_menu.addAction(self.save_as_action)
    self.save_session_action = QAction("Save Sessio&n...", self, triggered=self.files.save_session_dialog)
    self.export_report_action = QAction("Export &Report...", self, triggered=self.files.export_report_dialog)
    self.open_lesson_action = QAction("Open &Lesson...", self, triggered=self.files.open_lesson_dialog)
    self.open_lesson_action.setToolTip(
        "A lesson written as a TOML file (docs/lessons.md): its card joins the Lessons dock, with its own set-up, "
        "Try this, question and check; dropping the file on the window does the same"
    )
    self.export_report_action.setToolTip(
        "One web page to hand in: the settings, the loss and gradient curves, the verdicts on the way, the "
        "lesson's check beside your prediction, made from a replay of the session (no network needed to open it)"
    )
    self.save_session_action.setToolTip(
        "Everything done to this model since it was built (each Step and Play, setting changes, Undo, "
        "Reset, fixes, clamps), every step's loss and the final weights, in one .session file: "
        "`rnn-playground replay FILE` re-runs it and checks it bit for bit; File > Open restores its end"
    )
    file_menu.addAction(self.save_session_action)
    file_menu.addAction(self.open_lesson_action)
    file_menu.addSeparator()
    self.export_menu = file_menu.addMenu("E&xport Plot")
    self.export_menu.aboutToShow.connect(lambda: self.files.fill_export(self.export_menu))
    self.export_script_action = QAction(
        "Export as PyTorch &Script...", self, triggered=self.files.export_script_dialog
    )
    self.export_script_action.setToolTip(
        "The saved model as one readable Python file that needs only torch, numpy and safetensors: its "
        "settings, the model class, the data encoding, training and prediction (python FILE.py --help)"
    )
    file_menu.addAction(self.export_script_action)
    file_menu.addAction(self.export_report_action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    edit = self.menuBar().addMenu("&Edit")
    self.undo_action = QAction(
        "&Undo Step", self, shortcut=QKeySequence.StandardKey.Undo, triggered=lambda: self.undo(1)
    )
    self.undo_action.setToolTip("Go back one Step, or to where the last Play started")
    self.undo_action.setEnabled(False)
    edit.addAction(self.undo_action)
    self.data_drop = DataDrop(self)  # files dropped on the window, and pasted data
    self.paste_data_action = QAction(
        "&Paste Data", self, shortcut=QKeySequence("Ctrl+Shift+V"), triggered=self.data_drop.paste
    )
    self.paste_data_action.setToolTip(
        "Train on the text in the clipboard: dialogs (turns on lines, a blank line between dialogs) or "
        "plain text. You can also drop a text, dialog, CSV or model file anywhere on the window."
    )
    edit.addAction(self.paste_data_action)
    edit.setToolTipsVisible(True)
    training = self.menuBar().addMenu("&Training")
    training.setToolTipsVisible(True)
    for text, keys, slot, tip in (
        (
            "&Play / Pause",
            "F5",
            self.toggle_play,
            "Train until paused (Space does the same where no button has the focus)",
        ),
        ("&Step", "F6", lambda: self.step(1), "One optimizer step (S does the same)"),
        (
            "Step ×&N",
            "F7",
            lambda: self.controls.step_n_button.click(),
            "As many steps as the Training panel's Step ×N says",
        ),
        (
            "&Check the Lesson",
            "F8",
            lambda: self.lessons_view.check_button.click(),
            "Check the lesson card shown in the Lessons dock",
        ),
    ):
        action = QAction(text, self, shortcut=QKeySequence(keys), triggered=slot)
        action.setToolTip(tip)
        training.addAction(action)
    view = self.menuBar().addMenu("&View")
    for dock in (
        self.controls_dock,
        self.model_dock,
        self.data_dock,
        self.prediction_dock,
        self.lessons_dock,
    ):
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    build_theme_menu(self, view)
    help_menu = self.menuBar().addMenu("&Help")
    self.lessons_action = QAction(
        "&Lessons",
        self,
        shortcut=QKeySequence.StandardKey.HelpContents,
        # the keyboard goes on from the list: arrows, then Tab to the card
        triggered=lambda: (self.show_lessons(), self.lessons_view.list.setFocus()),
    )
    self.lessons_action.setToolTip(
        f"{len(self.lessons_view.cards)} lessons, each set up in one click and checked on your model"
    )
    help_menu.addAction(self.lessons_action)
    self.keyboard_action = QAction("&Keyboard", self, triggered=lambda: keyboard_help(self))
    self.keyboard_action.setToolTip("Every shortcut of the window, in one list")
    help_menu.addAction(self.keyboard_action)
    help_menu.addSeparator()
    help_menu.addAction(QAction("&About RNN Playground", self, triggered=lambda: about(self)))


def build_theme_menu(self: MainWindow, view) -> None:
    """View > Theme: System (follows the desktop), Light or Dark; the choice is remembered."""
    from PySide6.QtGui import QActionGroup

    from playground.ui.plots import theme

    menu = view.addMenu("&Theme")
    menu.setToolTipsVisible(True)
    group = QActionGroup(self)
    group.setExclusive(True)
    self.theme_actions = {}
    tips = {
        "system": "Follow the desktop's light or dark colour scheme",
        "light": "Dark text on light backgrounds",
        "dark": "Light text on dark backgrounds",
    }
    for choice in theme.THEMES:
        action = QAction(f"&{choice.capitalize()}", self, checkable=True)
        action.setToolTip(tips[choice])
        action.setChecked(choice == theme.mode())
        action.triggered.connect(lambda _checked=False, c=choice: set_theme(self, c))
        group.addAction(action)
        menu.addAction(action)
        self.theme_actions[choice] = action


def set_theme(self: MainWindow, choice: str) -> None:
    """Show ``choice`` now and remember it for the next start."""
    from playground.ui.plots.theme import apply_theme

    apply_theme(choice)
    self.theme_actions[choice].setChecked(True)
    self.settings.setValue("theme", choice)


class SpacePlays(QObject):
    """Space plays and pauses, but only when the control with the focus does not use Space itself: a
    focused button presses, a check box ticks, a list selects, a text box types a space. A key a control
    leaves unhandled goes on to the window, where this filter takes it (a QShortcut would take Space
    from every control first, and a keyboard user could never press a button)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:
        if (
            obj is self.window
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Space
            and not event.modifiers()
            and not event.isAutoRepeat()
        ):
            self.window.toggle_play()
            return True
        return False


def build_shortcuts(self: MainWindow) -> None:
    """Space plays and pauses, S steps, the arrows step or scrub, Ctrl+R resets; and for the keyboard
    and screen readers, every control built so far named and Tab let out of text boxes and tables
    (ui/accessible.py; the pages made on first use do the same when they are made)."""
    from playground.ui.accessible import name_unnamed

    name_unnamed(self)

    def key(seq: str, slot) -> None:
        QShortcut(QKeySequence(seq), self).activated.connect(slot)

    self._space_plays = SpacePlays(self)  # Space: only where no control takes it (a button presses)
    self.installEventFilter(self._space_plays)
    key("S", lambda: self.step(1))
    key("Right", lambda: self.arrow(+1))
    key("Left", lambda: self.arrow(-1))
    key("Ctrl+R", self.reset)


OTHER_KEYS = (  # the window's own shortcuts (build_shortcuts) and the ways round it
    ("Space", "play or pause, where no button has the focus"),
    ("S", "one step"),
    ("Right / Left", "one step; in Inside a sequence, move along the sequence"),
    ("Ctrl+R", "reset: a new model from the settings"),
    ("Tab / Shift+Tab", "the next / previous control; arrows move inside lists, tables and sliders"),
    ("Alt + the underlined letter", "open a menu"),
)


def keyboard_lines(window: MainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every menu action with a shortcut, then the window's own keys."""
    from PySide6.QtGui import QKeySequence

    lines = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        for action in menu.actions() if menu is not None else ():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                where = menu_action.text().replace("&", "")
                lines.append((keys, f"{where} > {action.text().replace('&', '')}"))
    return lines + list(OTHER_KEYS)


def keyboard_help(window: MainWindow) -> None:
    """Help > Keyboard: every shortcut, in one list."""
    import html

    from PySide6.QtWidgets import QMessageBox

    rows = "".join(
        f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
        for k, v in keyboard_lines(window)
    )
    box = QMessageBox(window)
    box.setWindowTitle("Keyboard")
    box.setText(f"<table>{rows}</table>")
    box.setObjectName("keyboard_help")
    box.open()


def about(window: MainWindow) -> None:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.about(
        window,
        "About RNN Playground",
        "RNN Playground: train recurrent networks and watch why they learn, forget and explode.",
    )
