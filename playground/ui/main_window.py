"""The main window: panels on the sides, live plots in the middle, training in a QThread.

This module is wiring: widgets, docks, menus, shortcuts, the layout and its settings. The session's
state lives in :class:`playground.app.state.AppState`; commands to training and the answers coming
back go through :class:`playground.ui.controller.Controller`. Plots redraw from one timer (~30 fps)
from the newest data in :class:`Session`; a training step never paints.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QGridLayout,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.app.messages import Unroll
from playground.app.state import AppState
from playground.core.config import SessionConfig
from playground.core.errors import PlaygroundError
from playground.core.kinds import kind_spec
from playground.core.presets import default_session
from playground.ui import gc_guard
from playground.ui.banner import Banner
from playground.ui.controller import Controller
from playground.ui.file_menu import MODEL_FILTER, OPEN_FILTER, FileLists
from playground.ui.frames import FramePacer
from playground.ui.lesson_actions import LessonActions
from playground.ui.lessons_view import LessonsView
from playground.ui.live_plots import LivePlots, label_loss, live
from playground.ui.menus import build_menus, build_shortcuts
from playground.ui.pages import add_tab, lazy_pages, page
from playground.ui.panels import DataPanel, ModelPanel, PredictionPanel
from playground.ui.session import Session
from playground.ui.status_line import StatusLine
from playground.ui.training_controls import TrainingControls
from playground.ui.window_settings import remembered_config, restore_layout, save_settings


class MainWindow(QMainWindow):
    def __init__(self, config: SessionConfig | None = None, settings: QSettings | None = None):
        super().__init__()
        sys.setswitchinterval(0.001)  # the rest of share_the_cpu() runs with the first model (torch)
        gc_guard.hold(self)  # Python's collector runs in this thread only (a freeze otherwise)
        self.setWindowTitle("RNN Playground")
        self.settings = settings if settings is not None else QSettings("RNN Playground", "RNN Playground")
        self.ask_before_discard = True  # tests turn the questions off
        remembered = remembered_config(self.settings) if config is None else None
        self.state = AppState(config or remembered or default_session())
        self.files = FileLists(self, self.open_path, self.report, self._status, self._cards)
        self.frames = 0  # redraws that found something new (for the frame-rate benchmark)
        self._drawn_version = -1

        # The training process starts first, so that its import of torch runs while the widgets
        # are built (the command line may have started it earlier still: playground.app.launch).
        self.controller = Controller(self, self.state)
        self.worker_thread = self.controller.worker_thread
        self.model_ready = self.controller.model_ready
        self.answered = self.controller.answered
        self._build_widgets()
        self.neurons_tab = add_tab(self, "neurons")
        add_tab(self, "trajectory")
        build_menus(self)
        build_shortcuts(self)
        self._connect()
        self.lesson_actions = LessonActions(self)
        restore_layout(self)
        self._point_to_lessons()

        self.frame_timer = FramePacer(self, self._on_frame)  # the controller says when data arrives
        self.frame_timer.start()
        # The first model is asked for once the window is painted (a window not shown: at once); the
        # training process loads torch meanwhile, or, with no core free, from then on (process.warm_up).
        first = lambda: self.state.generation == 0 and self.controller.build(self.config)  # noqa: E731
        self._live.after_paint(first)
        QTimer.singleShot(0, lambda: self.isVisible() or first())
        QTimer.singleShot(1000, first)  # shown but never painted (minimised at start)

    # -- what the rest of the program reads -----------------------------------------------------
    @property
    def config(self) -> SessionConfig:
        return self.state.config

    @property
    def session(self) -> Session:
        return self.controller.session

    @property
    def summary(self) -> dict:
        return self.state.summary

    @property
    def path(self) -> str | None:
        return self.state.path

    @property
    def dirty(self) -> bool:
        return self.state.dirty

    @property
    def diagnosis(self):
        return self.state.diagnosis

    @property
    def last_error(self) -> str:
        return self.controller.last_error

    # the pages made on first use (playground.ui.pages): built when first shown or asked for
    step_view = page("step")
    scrubber = page("scrubber")
    grad_history_plot = page("grad_history")
    compare_view = page("compare")
    unrolled_view = page("unrolled")
    shapes_view = page("shapes")
    neurons_view = page("neurons")
    trajectory_plot = page("trajectory")

    # the live plots, made after the first paint or when first read (playground.ui.live_plots)
    loss_plot = live()
    grad_norm_plot = live()
    gradient_plot = live()
    hidden_plot = live()
    gates_plot = live()
    plots = live()  # the five, then each lazy page's plot once it is made

    # -- construction ------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        cfg = self.config
        self.banner = Banner()
        # The other tabs are made when first shown or asked for (LazyPage): the first paint does
        # not wait for pages nobody has opened yet.
        self._pages = lazy_pages(self)

        grid = QGridLayout()
        grid.setSpacing(6)
        # The live plots take their places after the first paint (or when first read): LivePlots.
        self._live = LivePlots(self, grid)
        for c in range(2):
            grid.setColumnStretch(c, 1)
        for r in range(3):
            grid.setRowStretch(r, 1)
        live = QWidget()
        live.setLayout(grid)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        pages = self._pages
        tabs = [
            (live, "Training", "Live plots while training: loss, gradients, gates, h_t."),
            (
                pages["step"],
                "Step debugger",
                "The last Step laid open: batch, predictions, loss per time step, update sizes.",
            ),
            (
                pages["scrubber"],
                "Inside a sequence",
                "Walk through one sequence step by step: h_t, gates, the equation, and what the model remembers.",
            ),
            (
                pages["grad_history"],
                "Gradients over training",
                "The gradient through time of every probe so far: watch vanishing develop.",
            ),
            (
                pages["compare"],
                "Compare",
                "Train two to four architectures on the same data and batches, side by side.",
            ),
            (
                pages["unrolled"],
                "Unrolled",
                "The network drawn unrolled over the probe sequence: the same W_hh at every step, and the "
                "gradient flowing back through time.",
            ),
            (
                pages["shapes"],
                "Shapes",
                "The four shapes of sequence tasks; the current data's highlighted.",
            ),
        ]
        for widget, title, tip in tabs:
            if widget is live:  # big pages scroll: the window fits a laptop (the lazy ones: theirs)
                widget = _scrolled(widget)
            self.tabs.setTabToolTip(self.tabs.addTab(widget, title), tip)
        self.training_tab, self.step_tab, self.scrubber_tab, self.history_tab = range(4)
        self.compare_tab, self.unrolled_tab, self.shapes_tab = range(4, 7)
        self.extra_tabs = {"unrolled": self.unrolled_tab, "shapes": self.shapes_tab}
        self.unrolled_stale = True
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self.banner)
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.controls = TrainingControls(cfg.train)
        self.controls.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.model_panel = ModelPanel(cfg.model)
        self.model_panel.set_data_kind(cfg.data.kind)
        self.data_panel = DataPanel(cfg.data, deferred=True, ask=self.controller.send)  # previews: training's
        self.prediction_panel = PredictionPanel()
        self.prediction_panel.set_kind(cfg.data.kind, cfg.data.question_size)
        self.prediction_panel.set_enabled_for_model(False)

        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.controls_dock = self._dock("Training", self.controls, left)
        self.model_dock = self._dock("Model", self.model_panel, left, scroll=True)
        self.data_dock = self._dock("Data", self.data_panel, left, scroll=True)
        self.tabifyDockWidget(self.model_dock, self.data_dock)
        self.model_dock.raise_()
        self.prediction_dock = self._dock("Predict", self.prediction_panel, right)
        self.lessons_view = LessonsView(self.settings)
        # beside Model and Data (left), not behind Predict: a lesson often points at a prediction
        self.lessons_dock = self._dock("Lessons", self.lessons_view, left, scroll=True)
        self.tabifyDockWidget(self.data_dock, self.lessons_dock)
        self.model_dock.raise_()

        self.status_line = StatusLine(self.statusBar())
        self.state_label, self.device_label = self.status_line.state_label, self.status_line.device_label

    def _dock(
        self, title: str, widget: QWidget, area: Qt.DockWidgetArea, scroll: bool = False
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        if scroll:
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QFrame.Shape.NoFrame)
            area_widget.setWidget(widget)
            dock.setWidget(area_widget)
        else:
            dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        c, st = self.controller, self.state
        self.controls.play_toggled.connect(c.play)
        self.controls.step_requested.connect(self.step)
        self.controls.reset_requested.connect(self.reset)
        self.controls.undo_requested.connect(self.undo)
        self.controls.live_changed.connect(c.live_changed)
        self.controls.stop_rule_changed.connect(c.stop_rule_changed)
        self.banner.fix_clicked.connect(c.apply_fix)
        self.banner.dismissed.connect(st.dismissed.add)
        self.model_panel.changed.connect(c.model_changed)
        self.model_panel.notice.connect(lambda text: self.banner.show_message(text, "info"))
        self.data_panel.changed.connect(c.data_changed)
        self.prediction_panel.request.connect(c.predict)
        self.prediction_panel.dialog_compare.train_requested.connect(c.train_seq2seq)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.data_panel.loading.connect(
            lambda on: (
                self.statusBar().showMessage("loading the data…") if on else self.statusBar().clearMessage()
            )
        )
        st.events.play.connect(self._on_play_state)
        st.events.undo.connect(self._on_undo_steps)
        st.events.file.connect(lambda _path: self._update_title())
        st.events.loading.connect(self._on_loading)

    # -- commands (menus, shortcuts, the demo and tests call these) -------------------------------
    def toggle_play(self) -> None:
        self.controller.play(not self.state.playing)

    def play(self) -> None:
        self.controller.play(True)

    def pause(self) -> None:
        self.controller.play(False)

    def step(self, n: int = 1) -> None:
        self.controller.step(n)

    def undo(self, n: int = 1) -> None:
        """Go back n Steps (or to where the last Play started): weights and optimizer exactly as they were."""
        self.controller.undo(n)

    def show_lessons(self, lesson_id: str | None = None) -> None:
        """Help > Lessons: bring the Lessons dock forward (at one lesson's card)."""
        self.lessons_dock.show()
        self.lessons_dock.raise_()
        if lesson_id:
            self.lessons_view.select(lesson_id)

    def setup_lesson(self, lesson_id: str) -> bool:
        """Set up a lesson as its card's button does (the demo and tests call this)."""
        self.show_lessons(lesson_id)
        return self.lesson_actions.setup(lesson_id)

    def _point_to_lessons(self) -> None:
        """On the very first start, say where the lessons are."""
        if self.settings.value("lessons_pointed"):
            return
        self.settings.setValue("lessons_pointed", True)
        self.banner.show_message(
            f"New to recurrent networks? Help > Lessons (F1) walks through {len(self.lessons_view.cards)} "
            "lessons, each set up in one click and checked on your own model.",
            "info",
        )

    def apply_fix(self, fix: str) -> None:
        self.controller.apply_fix(fix)

    def report(self, message: str) -> None:
        self.controller.report(message)

    def arrow(self, delta: int) -> None:
        """Right steps training; in the scrubber, Left and Right move along the sequence instead."""
        if self.tabs.currentIndex() == self.scrubber_tab:
            self.scrubber.move(delta)
        elif delta > 0:
            self.step(1)

    def reset(self) -> None:
        """A fresh model with the current settings (asks first if trained work would be lost)."""
        try:
            config = self.controller.panel_config()
        except PlaygroundError as e:
            self.report(str(e))
            return
        if self.may_discard("Start a new model?"):
            self.rebuild(config)

    def rebuild(self, config: SessionConfig) -> None:
        """Forget the model on screen and ask for a fresh one (no question asked)."""
        self.controller.build(config)
        self.prediction_panel.dialog_compare.set_ready(False)  # a new model gets new dialogs: train again
        self.prediction_panel.clear_answers()  # they came from the model that is gone
        if self._pages["compare"].built:
            self.compare_view.clear()  # a comparison still running stops with the old model
        self.prediction_panel.set_enabled_for_model(False)
        self.banner.hide()
        self._update_title()

    def _on_compare_request(self, request: dict) -> None:
        """Run a comparison with the panels' data and training settings (the main model waits)."""
        try:
            config = self.controller.panel_config()
        except PlaygroundError as e:
            self.report(str(e))
            return
        self.compare_view.running = True
        self.compare_view._sync_buttons()
        self.controller.compare(request, config)

    def _on_adopt_request(self, arch: str) -> None:
        if self.may_discard("Continue with the compared model?"):
            self.controller.adopt(arch)

    # -- what the controller shows through the window ------------------------------------------------
    def session_replaced(self, session: Session) -> None:
        """A new model: every plot draws the new session from now on."""
        for plot in self.plots if self._live.built else ():  # (plots made later start from it)
            plot.reset(session)
        if self._pages["step"].built:  # (a page made later starts from the session then current)
            self.step_view.reset(session)
        if self._pages["scrubber"].built:
            self.scrubber.clear()
        self._drawn_version = -1

    def show_config(self, config: SessionConfig, preview=None) -> None:
        """Put the panels to ``config`` (an opened or adopted model's, or the one still training);
        ``preview``: of an opened file's own data, which the data panel shows as it is."""
        self.model_panel.set_data_kind(config.data.kind)
        self.model_panel.set_config(config.model)
        self.data_panel.set_config(config.data, preview)
        self.controls.set_config(config.train)

    def model_shown(self, summary: dict) -> None:
        # the preview of the model's own task (built once, in the training process) is the data panel's
        self.data_panel.build_now(summary.get("preview"), getattr(summary.get("session"), "data", None))
        kind = summary["preview"].kind
        self.device_label.setText(f"device: {summary['device']}")
        self.model_panel.set_param_count(summary["parameters"])
        data = getattr(summary.get("session"), "data", None)
        self.prediction_panel.set_kind(kind, getattr(data, "question_size", None))
        if self._pages["compare"].built:
            self.compare_view.set_data_kind(kind)
        if self._pages["shapes"].built:
            self.shapes_view.set_kind(kind)
        if self._pages["unrolled"].built:
            self.unrolled_view.clear()
        self.unrolled_stale = True
        if self.tabs.currentIndex() == self.unrolled_tab:
            self.controller.send(Unroll())
        self.prediction_panel.set_enabled_for_model(True)
        spec = kind_spec(kind)
        if self._live.built:
            label_loss(self, summary)
        self.controls.set_seq_len_enabled(spec.seq_len_applies)  # the others set their own length
        self._update_title()

    def _on_play_state(self, play: str) -> None:
        self.controls.set_playing(play == "playing")
        self.state_label.setText({"playing": "training", "stepping": "stepping"}.get(play, "paused"))
        s = self.session
        self.status_line.show_counters(s.steps, s.steps_per_s, play == "playing", now=True)

    def _on_undo_steps(self, steps: tuple[int, ...]) -> None:
        self.controls.set_undo_steps(steps)
        self.undo_action.setEnabled(bool(steps))

    def _on_loading(self, text: str) -> None:
        if text:
            self.state_label.setText("loading…")
            self.statusBar().showMessage(text + "…")
        else:
            self._on_play_state(self.state.play)
            self.statusBar().clearMessage()

    def _on_tab_changed(self, index: int) -> None:
        self._drawn_version = -1  # draw the newly shown plots at the next frame
        idle = bool(self.summary) and not self.state.playing
        if index == self.scrubber_tab and self.scrubber.stale and idle:
            self.scrubber.request()
        if index == self.unrolled_tab and self.unrolled_stale and idle:
            self.controller.send(Unroll())

    def _on_unrolled_step(self, t: int) -> None:
        """A box of the Unrolled view was clicked: that step in the scrubber."""
        self.tabs.setCurrentIndex(self.scrubber_tab)
        self.scrubber.slider.setValue(t)

    def _update_title(self) -> None:
        name = Path(self.path).name if self.path else "untitled"
        self.setWindowTitle(f"{name}{' *' if self.dirty else ''} - RNN Playground")

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    # -- files ------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a model or a session", self.files.last_dir(), OPEN_FILTER
        )
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        if self.may_discard("Open another model?"):
            self.controller.open_path(path)

    def save(self) -> None:
        if self.path is None:
            self.save_as()
        else:
            self.controller.save_to(self.path)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the model", self.files.last_dir(), MODEL_FILTER)
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        self.controller.save_to(path)

    def recent_files(self) -> list[str]:
        return self.files.recent_files()

    def export_to(self, card, path: str) -> bool:
        return self.files.export_to(card, path)

    def _cards(self) -> list[tuple[str, object]]:
        return [
            ("Loss", self.loss_plot),
            ("Gradient norm during training", self.grad_norm_plot),
            ("Gradient through time", self.gradient_plot),
            ("Gates", self.gates_plot),
            ("Hidden state", self.hidden_plot),
            ("Gradients over training", self.grad_history_plot),
        ]

    def may_discard(self, question: str) -> bool:
        """Pause, and if trained work would be lost, ask. False means: leave everything as it is."""
        was_playing = self.state.playing
        if was_playing:
            self.controller.play(False)
        if not (self.dirty and self.session.steps > 0) or not self.ask_before_discard:
            return True
        saved = "" if self.path is None else f" (last saved to {Path(self.path).name})"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            question,
            f"The current model has trained {self.session.steps} steps that are not saved{saved}. "
            "A new model starts from random weights.",
            parent=self,
        )
        discard = box.addButton("Discard and continue", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        ok = box.clickedButton() is discard
        if not ok and was_playing:
            self.controller.play(True)
        return ok

    # -- drawing -------------------------------------------------------------------------------
    def _on_frame(self) -> bool:
        """Draw what is new in the session (True), or nothing when nothing is (False)."""
        s = self.session
        if self._drawn_version == s.version or not self._live.built:  # (plots: after the first paint)
            return False
        self._drawn_version = s.version
        for plot in self.plots:
            if plot.isVisible():  # hidden tabs draw when they are shown
                plot.refresh()
        if self._pages["step"].built and self.step_view.isVisible():
            self.step_view.refresh()
        self.controller.diagnose()
        self.frames += 1
        self.status_line.show_counters(s.steps, s.steps_per_s, self.state.playing)
        return True

    def redraw_now(self) -> None:
        """Draw the newest data at once (the demo, before a screenshot)."""
        self._drawn_version = -1
        self._on_frame()
        s = self.session
        self.status_line.show_counters(s.steps, s.steps_per_s, self.state.playing, now=True)

    # -- settings and closing --------------------------------------------------------------------
    def save_settings(self) -> None:
        save_settings(self)

    def closeEvent(self, event) -> None:
        if self.ask_before_discard and self.dirty and self.session.steps > 0:
            answer = QMessageBox.question(
                self,
                "Quit RNN Playground?",
                f"The model has {self.session.steps} trained steps that are not saved. Quit anyway?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                path = (
                    self.path
                    or QFileDialog.getSaveFileName(
                        self, "Save the model", self.files.last_dir(), MODEL_FILTER
                    )[0]
                )
                if not path:
                    event.ignore()
                    return
                self.frame_timer.stop()
                error = self.worker_thread.save_now(path)
                if error:
                    QMessageBox.warning(self, "Not saved", error)
                    event.ignore()  # the work is still here: training's thread or process runs on
                    self.frame_timer.start()
                    return
                self.shutdown()
                event.accept()
                return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the timer and the training thread (within a second) and remember the layout."""
        self.frame_timer.stop()
        self.save_settings()
        # a Python event filter must not outlive the window's own events: while a closed window is
        # destroyed (garbage collection) Qt still sends it events, and the filter's object may be gone
        self.removeEventFilter(self.data_drop)
        self.worker_thread.shutdown(1000)
        gc_guard.release(self)

    def ask_demo_question(self) -> None:
        """Ask the model the natural question for its data, through the panel, as a user would."""
        self.prediction_panel.ask_natural_question()


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area
