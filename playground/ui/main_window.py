"""The main window: panels on the sides, live plots in the middle, training in a QThread.

The window only sends commands to the worker and draws what comes back. Plots
redraw from one timer (~30 fps) from the newest data in :class:`Session`;
a training step never paints.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.errors import PlaygroundError
from playground.ui.compare_view import CompareView
from playground.ui.panels import DataPanel, ModelPanel, PredictionPanel
from playground.ui.plots import GatesPlot, GradientThroughTimePlot, GradNormPlot, HiddenStatePlot, LossPlot
from playground.ui.plots.grad_history import GradHistoryPlot
from playground.ui.scrubber import TimeScrubber
from playground.ui.session import Session
from playground.ui.step_view import StepDebugger
from playground.ui.training_controls import TrainingControls
from playground.ui.worker import WorkerThread

FRAME_MS = 33  # plots redraw at most ~30 times a second
SETTINGS_VERSION = 1
MAX_RECENT = 8  # model files listed under File > Open Recent
MODEL_FILTER = "RNN Playground models (*.safetensors);;All files (*)"


def default_session() -> SessionConfig:
    """The first thing a newcomer sees: an LSTM learning knock-knock jokes (answers within a minute)."""
    return SessionConfig(
        model=ModelConfig(arch="lstm", hidden=128),
        data=DataConfig(kind="knock-knock"),
        train=TrainConfig(lr=3e-3, batch_size=32, seq_len=64),
    )


def _spiked_series() -> tuple[float, ...]:
    """A seasonal series with five planted one-point spikes (the anomalies preset), made without numpy."""
    import math
    import random

    rng = random.Random(1)
    values = [100 + 0.05 * i + 8 * math.sin(2 * math.pi * i / 40) + rng.gauss(0, 0.5) for i in range(500)]
    for i, jump in ((90, 6), (170, -6), (260, 6), (340, -6), (470, 6)):
        values[i] += jump
    return tuple(round(v, 3) for v in values)


PRESETS: dict[str, tuple[str, SessionConfig]] = {
    "knock-knock": ("An LSTM learning knock-knock jokes", default_session()),
    "text": (
        "A GRU learning to write English, one character at a time",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=128),
            data=DataConfig(kind="text"),
            train=TrainConfig(lr=3e-3, batch_size=32, seq_len=64),
        ),
    ),
    "prices": (
        "A GRU forecasting a trend with seasons and noise",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=64),
            data=DataConfig(kind="prices", source="generator", generator="trend-seasonal", window=24),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
    "vanishing": (
        "A vanilla tanh RNN on long sequences: the gradient through time vanishes",
        SessionConfig(
            model=ModelConfig(arch="rnn", hidden=128, activation="tanh"),
            data=DataConfig(kind="text"),
            train=TrainConfig(lr=1e-3, batch_size=32, seq_len=100),
        ),
    ),
    "exploding": (
        "A vanilla ReLU RNN with identity init, plain SGD and no clipping: the gradient explodes",
        SessionConfig(
            model=ModelConfig(arch="rnn", hidden=128, activation="relu", init="identity"),
            data=DataConfig(kind="text"),
            train=TrainConfig(lr=0.01, optimizer="sgd", clip="off", batch_size=32, seq_len=64),
        ),
    ),
    "anomalies": (
        "A GRU on a seasonal series with five planted spikes: the forecast errors find them",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=32),
            data=DataConfig(kind="prices", source="inline", values=_spiked_series(), window=24),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
    "memory": (
        "The memory lesson: answer with a key seen d steps earlier",
        SessionConfig(
            model=ModelConfig(arch="lstm", hidden=32),
            data=DataConfig(kind="memory", source="generator", gap=20),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
    "order": (
        "The word-order lesson: the same words in another order flip the meaning",
        SessionConfig(
            model=ModelConfig(arch="gru", hidden=32),
            data=DataConfig(kind="order", source="generator"),
            train=TrainConfig(lr=3e-3, batch_size=32),
        ),
    ),
}


def share_the_cpu() -> None:
    """Leave the window a core and the GIL often enough to stay responsive while training runs.

    Training and drawing share one Python process: torch's own threads get all cores but one,
    and Python hands the interpreter between threads every millisecond instead of every five.
    """
    import torch

    cores = os.cpu_count() or 1
    torch.set_num_threads(max(1, min(torch.get_num_threads(), cores - 1)))
    sys.setswitchinterval(0.001)


class Banner(QFrame):
    """A message across the top of the plots: errors, diagnoses and their fixes, never a modal box."""

    fix_clicked = Signal(str)  # a fix id from playground.core.diagnosis.FIX_TEXT
    dismissed = Signal(str)  # the kind of the message the user closed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 6, 6, 6)
        outer.setSpacing(4)
        row = QHBoxLayout()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("\u2715")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip("Dismiss")
        close.clicked.connect(self._dismiss)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        outer.addLayout(row)
        self.fix_row = QHBoxLayout()
        self.fix_row.setSpacing(6)
        outer.addLayout(self.fix_row)
        self.fix_buttons: dict[str, QPushButton] = {}
        self.kind = ""
        self.hide()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit(self.kind)

    def set_fixes(self, fixes: tuple[str, ...]) -> None:
        from playground.core.diagnosis import FIX_TEXT, FIX_TIPS

        while self.fix_row.count():
            item = self.fix_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.fix_buttons = {}
        if not fixes:
            return
        self.fix_row.addWidget(QLabel("Try:"))
        for fix in fixes:
            button = QPushButton(FIX_TEXT[fix])
            button.setToolTip(FIX_TIPS[fix])
            button.clicked.connect(lambda _checked=False, f=fix: self.fix_clicked.emit(f))
            self.fix_row.addWidget(button)
            self.fix_buttons[fix] = button
        self.fix_row.addStretch(1)

    def show_message(self, text: str, kind: str = "error") -> None:
        colours = {
            "error": ("#fde8e4", "#a12a00"),
            "warning": ("#fff4d6", "#7a5200"),
            "info": ("#e6f1fa", "#084d80"),
        }
        self.kind = kind
        self.set_fixes(())
        bg, fg = colours.get(kind, colours["info"])
        self.setStyleSheet(
            f"QFrame#banner {{ background: {bg}; border: 1px solid {fg}; border-radius: 4px; }}"
            f" QLabel {{ color: {fg}; }}"
        )
        self.label.setText(text)
        self.show()

    def show_diagnosis(self, diagnosis) -> None:
        """A diagnosis (playground.core.diagnosis): its words, and a button for each fix."""
        self.show_message(
            diagnosis.message, "info" if diagnosis.kind in ("vanishing", "overfitting") else "warning"
        )
        self.kind = diagnosis.kind
        self.set_fixes(diagnosis.fixes)

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class MainWindow(QMainWindow):
    # Commands to the worker (queued across threads).
    _cmd_build = Signal(object)
    _cmd_play = Signal()
    _cmd_pause = Signal()
    _cmd_step = Signal(int)
    _cmd_train_settings = Signal(object)
    _cmd_save = Signal(str)
    _cmd_open = Signal(str)
    _cmd_predict = Signal(object)
    _cmd_probe = Signal()
    _cmd_undo = Signal(int)
    _cmd_inspect = Signal(object)
    _cmd_compare = Signal(object)
    _cmd_stop_compare = Signal()
    _cmd_adopt = Signal(str)
    _cmd_train_seq2seq = Signal(int)
    model_ready = Signal()  # a model was built or opened (emitted in the window's thread)

    def __init__(self, config: SessionConfig | None = None, settings: QSettings | None = None):
        super().__init__()
        sys.setswitchinterval(0.001)  # the rest of share_the_cpu() runs with the first model (torch)
        self.setWindowTitle("RNN Playground")
        self.settings = settings if settings is not None else QSettings("RNN Playground", "RNN Playground")
        self.ask_before_discard = True  # tests turn the questions off
        remembered = self._remembered_config() if config is None else None
        self.config: SessionConfig = config or remembered or default_session()
        self.session = Session()
        self.summary: dict = {}
        self.state = "paused"
        self.dirty = False  # trained since the last save
        self._changed_since_save = False  # a Play, Step or Undo was sent after the newest save or open
        self.path: str | None = None
        self.last_error = ""
        self.diagnosis = None  # the trouble the banner shows now (playground.core.diagnosis.Diagnosis)
        self._dismissed_kinds: set[str] = set()  # diagnoses the user closed, not shown again for this model
        self._diagnosed_at = 0.0

        self._build_widgets()
        self._build_menus()
        self._build_shortcuts()
        self._start_worker()
        self._restore_layout()

        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self._on_frame)
        self.frame_timer.start()
        self._shown_undo: tuple[int, ...] = ()
        self.frames = 0  # redraws that found something new (for the frame-rate benchmark)

        self._builds_sent = 0  # build commands sent; the worker counts those it handled (see _superseded)
        # The first model is built once the event loop runs: the window paints first, and the
        # training thread's import of torch does not compete with that first paint.
        QTimer.singleShot(0, lambda: self._builds_sent == 0 and self._send_build(self.config))

    # -- construction ------------------------------------------------------------------
    def _build_widgets(self) -> None:
        cfg = self.config
        self.banner = Banner()
        self.loss_plot = LossPlot(self.session)
        self.grad_norm_plot = GradNormPlot(self.session)
        self.gradient_plot = GradientThroughTimePlot(self.session)
        self.hidden_plot = HiddenStatePlot(self.session)
        self.gates_plot = GatesPlot(self.session)
        self.grad_history_plot = GradHistoryPlot(self.session)
        self.plots = [
            self.loss_plot,
            self.grad_norm_plot,
            self.gradient_plot,
            self.hidden_plot,
            self.gates_plot,
            self.grad_history_plot,
        ]
        self.step_view = StepDebugger(self.session)
        self.scrubber = TimeScrubber()
        self.compare_view = CompareView()

        grid = QGridLayout()
        grid.setSpacing(6)
        # Two columns: what training does (loss, gradient size) above, what happens inside below.
        grid.addWidget(self.loss_plot, 0, 0)
        grid.addWidget(self.grad_norm_plot, 0, 1)
        grid.addWidget(self.gradient_plot, 1, 0)
        grid.addWidget(self.gates_plot, 1, 1)
        grid.addWidget(self.hidden_plot, 2, 0, 1, 2)
        for c in range(2):
            grid.setColumnStretch(c, 1)
        for r in range(3):
            grid.setRowStretch(r, 1)
        live = QWidget()
        live.setLayout(grid)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.training_tab = self.tabs.addTab(live, "Training")
        self.step_tab = self.tabs.addTab(self.step_view, "Step debugger")
        self.scrubber_tab = self.tabs.addTab(self.scrubber, "Inside a sequence")
        self.history_tab = self.tabs.addTab(self.grad_history_plot, "Gradients over training")
        self.compare_tab = self.tabs.addTab(self.compare_view, "Compare")
        self.tabs.setTabToolTip(
            self.compare_tab, "Train two to four architectures on the same data and batches, side by side."
        )
        self.tabs.setTabToolTip(self.training_tab, "Live plots while training: loss, gradients, gates, h_t.")
        self.tabs.setTabToolTip(
            self.step_tab, "The last Step laid open: batch, predictions, loss per time step, update sizes."
        )
        self.tabs.setTabToolTip(
            self.scrubber_tab,
            "Walk through one sequence step by step: h_t, gates, the equation, and what the model remembers.",
        )
        self.tabs.setTabToolTip(
            self.history_tab, "The gradient through time of every probe so far: watch vanishing develop."
        )
        self.tabs.currentChanged.connect(self._on_tab_changed)
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
        self.data_panel = DataPanel(cfg.data, deferred=True)
        self.prediction_panel = PredictionPanel()
        self.prediction_panel.set_kind(cfg.data.kind)
        self.prediction_panel.set_enabled_for_model(False)

        self.controls_dock = self._dock("Training", self.controls, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.model_dock = self._dock(
            "Model", self.model_panel, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=True
        )
        self.data_dock = self._dock(
            "Data", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=True
        )
        self.tabifyDockWidget(self.model_dock, self.data_dock)
        self.model_dock.raise_()
        self.prediction_dock = self._dock(
            "Predict", self.prediction_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )

        self.controls.play_toggled.connect(self._on_play_toggled)
        self.controls.step_requested.connect(self.step)
        self.controls.reset_requested.connect(self.reset)
        self.controls.undo_requested.connect(self.undo)
        self.banner.fix_clicked.connect(self.apply_fix)
        self.banner.dismissed.connect(self._dismissed_kinds.add)
        self.scrubber.inspect_requested.connect(self._on_inspect_request)
        self.compare_view.run_requested.connect(self._on_compare_request)
        self.compare_view.stop_requested.connect(self._cmd_stop_compare.emit)
        self.compare_view.adopt_requested.connect(self._on_adopt_request)
        self.controls.live_changed.connect(self._on_live_changed)
        self.model_panel.changed.connect(self._on_model_changed)
        self.data_panel.changed.connect(self._on_data_changed)
        self.prediction_panel.request.connect(self._on_predict_request)
        self.prediction_panel.dialog_compare.train_requested.connect(self._on_train_seq2seq)

        status = self.statusBar()
        self.device_label = QLabel("device: -")
        self.steps_label = QLabel("step 0")
        self.rate_label = QLabel("0 steps/s")
        self.state_label = QLabel("paused")
        for w in (self.state_label, self.steps_label, self.rate_label, self.device_label):
            w.setContentsMargins(8, 0, 8, 0)
            status.addPermanentWidget(w)
        self.device_label.setToolTip(
            "Where training runs: a CUDA GPU when there is one, then Apple's MPS, else the CPU."
        )

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

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
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
        self.examples_menu.aboutToShow.connect(self._fill_examples_menu)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("E&xport Plot")
        self.export_menu.aboutToShow.connect(self._fill_export_menu)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = QAction(
            "&Undo Step", self, shortcut=QKeySequence.StandardKey.Undo, triggered=lambda: self.undo(1)
        )
        self.undo_action.setToolTip("Go back one Step, or to where the last Play started")
        self.undo_action.setEnabled(False)
        edit.addAction(self.undo_action)
        view = self.menuBar().addMenu("&View")
        for dock in (self.controls_dock, self.model_dock, self.data_dock, self.prediction_dock):
            view.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(QAction("&About RNN Playground", self, triggered=self._about))

    def _build_shortcuts(self) -> None:
        def key(seq: str, slot) -> None:
            sc = QShortcut(QKeySequence(seq), self)
            sc.activated.connect(slot)

        key("Space", self.toggle_play)
        key("S", lambda: self.step(1))
        key("Right", lambda: self._arrow(+1))
        key("Left", lambda: self._arrow(-1))
        key("Ctrl+R", self.reset)

    def _start_worker(self) -> None:
        self.worker_thread = WorkerThread(self)
        w = self.worker_thread.worker
        self._cmd_build.connect(w.build)
        self._cmd_play.connect(w.play)
        self._cmd_pause.connect(w.pause)
        self._cmd_step.connect(w.step)
        self._cmd_train_settings.connect(w.update_train)
        self._cmd_save.connect(w.save)
        self._cmd_open.connect(w.open)
        self._cmd_predict.connect(w.predict)
        self._cmd_probe.connect(w.probe)
        self._cmd_undo.connect(w.undo)
        self._cmd_inspect.connect(w.inspect)
        self._cmd_compare.connect(w.compare)
        self._cmd_stop_compare.connect(w.stop_compare)
        self._cmd_adopt.connect(w.adopt)
        self._cmd_train_seq2seq.connect(w.train_seq2seq)
        w.seq2seq_progress.connect(self._on_seq2seq_progress)
        w.compared.connect(self.compare_view.show_answer)
        w.adopted.connect(self._on_adopted)
        w.undone.connect(self._on_undone)
        w.inspected.connect(self.scrubber.show_answer)
        w.progress.connect(self._on_progress)
        w.state_changed.connect(self._on_state)
        w.built.connect(self._on_built)
        w.opened.connect(self._on_opened)
        w.failed.connect(self._on_failed)
        w.saved.connect(self._on_saved)
        w.predicted.connect(self.prediction_panel.show_answer)

    # -- commands --------------------------------------------------------------------
    def toggle_play(self) -> None:
        self._on_play_toggled(self.state != "playing")

    def play(self) -> None:
        self._on_play_toggled(True)

    def pause(self) -> None:
        self._on_play_toggled(False)

    def _mark_dirty(self) -> None:
        self._changed_since_save = True
        if not self.dirty:
            self.dirty = True
            self._update_title()

    def _on_play_toggled(self, play: bool) -> None:
        if play and self.summary:
            self._mark_dirty()
            self._cmd_play.emit()
        elif not play:
            self._cmd_pause.emit()

    def step(self, n: int = 1) -> None:
        if self.state == "playing" or not self.summary:
            return
        self._mark_dirty()
        self._cmd_step.emit(int(n))

    def undo(self, n: int = 1) -> None:
        """Go back n Steps (or to where the last Play started): weights and optimizer exactly as they were."""
        if self.summary and self.session.undo_steps:
            self._mark_dirty()  # the weights are no longer those of the last save
            self._cmd_undo.emit(int(n))

    # -- gradient diagnosis ---------------------------------------------------------------------
    def _diagnose(self, force: bool = False) -> None:
        """Look for exploding or vanishing gradients (twice a second at most) and say so in the banner."""
        import time

        from playground.core.diagnosis import diagnose

        now = time.perf_counter()
        if not force and now - self._diagnosed_at < 0.5:
            return
        self._diagnosed_at = now
        s = self.session
        _, loss = s.loss.view()
        _, grad = s.grad.view()
        val_x, val_y = s.val.view()
        found = diagnose(
            self.config.model,
            self.config.train,
            loss[:, 0],
            grad[:, 0],
            refused=s.refused,
            last_refusal=s.last_refusal,
            probe_grad=None if s.probe is None else s.probe.grad_norm[-1],
            val_steps=val_x,
            val_losses=val_y[:, 0],
        )
        if found is None or found.kind in self._dismissed_kinds:
            return
        if (
            self.diagnosis is not None
            and found.kind == self.diagnosis.kind
            and found.message == self.diagnosis.message
        ):
            return
        if found.kind in ("nan", "exploding") and s.undo_steps:  # the blown-up weights can be undone
            found = dataclasses.replace(found, fixes=(*found.fixes, "undo"))
        self.diagnosis = found
        self.banner.show_diagnosis(found)

    def apply_fix(self, fix: str) -> None:
        """One click from the diagnosis banner: change the setting that addresses the trouble."""
        from playground.core.diagnosis import FIX_TEXT

        if fix == "clip":
            self.controls.clip_value.setValue(1.0)
            self.controls.clip.setCurrentIndex(self.controls.clip.findData("norm"))
        elif fix == "lower_lr":
            self.controls.lr.setValue(max(self.controls.lr.minimum(), self.config.train.lr / 10))
        elif fix == "undo":
            self.undo(1)
        elif fix in ("relu_identity", "lstm", "gru", "dropout"):
            model = self.config.model
            if fix == "dropout":
                model = dataclasses.replace(model, layers=max(2, model.layers), dropout=0.3)
            elif fix == "relu_identity":
                model = dataclasses.replace(model, activation="relu", init="identity")
            else:
                model = dataclasses.replace(model, arch=fix, activation="tanh")
            self.model_panel.set_config(model)
            self._on_model_changed(self.model_panel.config())
        else:
            return
        if (
            fix in ("relu_identity", "lstm", "gru", "dropout")
            and self.config.model != self.model_panel.config()
        ):
            return  # the user kept the current model
        self.session.refused = 0  # judged afresh from here
        self.diagnosis = None
        self.banner.show_message(f"Applied: {FIX_TEXT[fix]}. Press Play to see whether it helps.", "info")

    def _show_undo_steps(self, steps: tuple[int, ...]) -> None:
        self._shown_undo = steps
        self.controls.set_undo_steps(steps)
        self.undo_action.setEnabled(bool(steps))

    def _arrow(self, delta: int) -> None:
        """Right steps training; in the scrubber, Left and Right move along the sequence instead."""
        if self.tabs.currentIndex() == self.scrubber_tab:
            self.scrubber.move(delta)
        elif delta > 0:
            self.step(1)

    def _on_inspect_request(self, request: dict) -> None:
        if self.summary:
            self._cmd_inspect.emit(request)
        else:
            self.scrubber.clear()

    def _on_train_seq2seq(self, steps: int) -> None:
        if not self.summary:
            self.prediction_panel.dialog_compare.show_error("no model yet: wait until it is built")
            return
        self.pause()
        self._cmd_train_seq2seq.emit(int(steps))

    @Slot(object)
    def _on_seq2seq_progress(self, info: dict) -> None:
        compare = self.prediction_panel.dialog_compare
        if "error" in info:
            compare.show_error(str(info["error"]))
            return
        compare.set_progress(int(info["steps"]), int(info["total"]), float(info["loss"]))
        if info.get("done"):
            compare.set_ready(True)

    def _on_compare_request(self, request: dict) -> None:
        """Run a comparison with the panels' data and training settings (the main model waits)."""
        try:
            config = self._panel_config()
        except PlaygroundError as e:
            self._on_failed(str(e))
            return
        self.pause()
        self.compare_view.running = True
        self.compare_view._sync_buttons()
        self._cmd_compare.emit({**request, "session": config})

    def _on_adopt_request(self, arch: str) -> None:
        if self._may_discard("Continue with the compared model?"):
            self._cmd_adopt.emit(arch)

    @Slot(object)
    def _on_adopted(self, summary: dict) -> None:
        """A compared model becomes the main model: its settings, curves and plots."""
        if self._superseded(summary):
            return
        self._show_model(summary)
        self.path = None
        self.dirty = True
        self._update_title()
        self.banner.show_message(
            f"Continuing with the compared {summary['model']}: {summary['steps']} steps trained.", "info"
        )
        self.tabs.setCurrentIndex(self.training_tab)
        self.model_ready.emit()

    def _on_tab_changed(self, index: int) -> None:
        self._drawn_version = -1  # draw the newly shown plots at the next frame
        if index == self.scrubber_tab and self.scrubber.stale and self.summary and self.state != "playing":
            self.scrubber.request()

    def reset(self) -> None:
        """A fresh model with the current settings (asks first if trained work would be lost)."""
        try:
            config = self._panel_config()
        except PlaygroundError as e:
            self._on_failed(str(e))
            return
        if not self._may_discard("Start a new model?"):
            return
        self._rebuild(config)

    def _panel_config(self) -> SessionConfig:
        return SessionConfig(
            model=self.model_panel.config(),
            data=self.data_panel.config(),
            train=self.controls.config(self.config.train),
        )

    def _rebuild(self, config: SessionConfig) -> None:
        self._cmd_pause.emit()
        self.config = config
        self.session = Session()
        for plot in self.plots:
            plot.reset(self.session)
        self.step_view.reset(self.session)
        self.scrubber.clear()
        self._show_undo_steps(())
        self._dismissed_kinds.clear()
        self.diagnosis = None
        self.prediction_panel.dialog_compare.set_ready(False)  # a new model gets new dialogs: train again
        self.summary = {}
        self.dirty = False
        self.path = None
        self.prediction_panel.set_enabled_for_model(False)
        self.banner.hide()
        self._send_build(config)
        self._update_title()

    def _send_build(self, config: SessionConfig) -> None:
        self._builds_sent += 1
        self._cmd_build.emit(config)

    def _superseded(self, summary: dict) -> bool:
        """True for a model opened or adopted before a later Reset or settings change reached the
        worker: the fresh model replaces it there, so the window must not show it (nor its file)."""
        return int(summary.get("builds", self._builds_sent)) < self._builds_sent

    def _may_discard(self, question: str) -> bool:
        """Pause, and if trained work would be lost, ask. False means: leave everything as it is."""
        was_playing = self.state == "playing"
        if was_playing:
            self._cmd_pause.emit()
        if not (self.dirty and self.session.steps > 0) or not self.ask_before_discard:
            return True
        saved = "" if self.path is None else f" (last saved to {Path(self.path).name})"
        ok = self._confirm(
            question,
            f"The current model has trained {self.session.steps} steps that are not saved{saved}. "
            "A new model starts from random weights.",
        )
        if not ok and was_playing:
            self._cmd_play.emit()
        return ok

    def _confirm(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        discard = box.addButton("Discard and continue", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is discard

    def _on_model_changed(self, model: ModelConfig) -> None:
        self._settings_changed(dataclasses.replace(self.config, model=model))

    def _on_data_changed(self, data: DataConfig) -> None:
        self.model_panel.set_data_kind(data.kind)
        try:
            model = self.model_panel.config()
        except PlaygroundError:
            model = self.config.model
        self._settings_changed(dataclasses.replace(self.config, data=data, model=model))

    def _settings_changed(self, config: SessionConfig) -> None:
        if config == self.config:
            return
        if not self._may_discard("Change the model or data?"):
            # Put the panels back to what is actually training.
            self.model_panel.set_config(self.config.model)
            self.data_panel.set_config(self.config.data)
            return
        self._rebuild(dataclasses.replace(config, train=self.controls.config(self.config.train)))

    def _on_live_changed(self, changes: dict) -> None:
        self.config = dataclasses.replace(
            self.config, train=dataclasses.replace(self.config.train, **changes)
        )
        self._cmd_train_settings.emit(changes)

    def _on_predict_request(self, request: dict) -> None:
        if self.summary:
            self._cmd_predict.emit(request)

    # -- files ------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", self._last_dir(), MODEL_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        if not self._may_discard("Open another model?"):
            return
        self._changed_since_save = False  # set again by a Play, Step or Undo sent after this open
        if self._builds_sent == 0:  # opened before the first model was asked for: build it first,
            self._send_build(self.config)  # so the opened one is the newer and stays
        self._cmd_open.emit(path)

    def save(self) -> None:
        if self.path is None:
            self.save_as()
        else:
            self._send_save(self.path)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the model", self._last_dir(), MODEL_FILTER)
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        self._send_save(path)

    def _send_save(self, path: str) -> None:
        self._changed_since_save = False  # set again by a Play, Step or Undo sent after this save
        self._cmd_save.emit(path)

    # -- examples, recent files, exports ------------------------------------------------------
    def _fill_examples_menu(self) -> None:
        from playground.core.examples import list_examples

        self.examples_menu.clear()
        try:
            examples = list_examples()
        except PlaygroundError as e:
            examples = []
            self._on_failed(str(e))
        for ex in examples:
            action = self.examples_menu.addAction(f"{ex.title}: {ex.description}")
            action.setToolTip(str(ex.path))
            action.triggered.connect(lambda _checked=False, path=str(ex.path): self.open_path(path))
        if not examples:
            self.examples_menu.addAction("(no example models found)").setEnabled(False)

    def recent_files(self) -> list[str]:
        raw = self.settings.value("recent_files", [])
        files = [raw] if isinstance(raw, str) else list(raw or [])
        return [f for f in files if isinstance(f, str) and f][:MAX_RECENT]

    def _remember_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _checked=False, path=f: self.open_path(path))
        if not files:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: self.settings.setValue("recent_files", []))

    def _fill_export_menu(self) -> None:
        self.export_menu.clear()
        cards = [
            ("Loss", self.loss_plot),
            ("Gradient norm during training", self.grad_norm_plot),
            ("Gradient through time", self.gradient_plot),
            ("Gates", self.gates_plot),
            ("Hidden state", self.hidden_plot),
            ("Gradients over training", self.grad_history_plot),
        ]
        for title, card in cards:
            self.export_menu.addAction(f"{title}...", lambda c=card, t=title: self.export_dialog(c, t))

    def export_dialog(self, card, title: str) -> None:
        from playground.ui.export import FORMATS

        name = title.lower().replace(" ", "-")
        path, chosen = QFileDialog.getSaveFileName(
            self,
            f"Export {title.lower()}",
            str(Path(self._last_dir()) / f"{name}.png"),
            ";;".join(FORMATS.values()),
        )
        if not path:
            return
        if not Path(path).suffix:
            path += "." + next((k for k, v in FORMATS.items() if v == chosen), "png")
        self.export_to(card, path)

    def export_to(self, card, path: str) -> bool:
        from playground.ui.export import export_card

        try:
            written = export_card(card, path)
        except PlaygroundError as e:
            self._on_failed(str(e))
            return False
        self.statusBar().showMessage(f"exported {written}", 5000)
        return True

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    # -- what comes back from the worker ----------------------------------------------------
    @Slot(object)
    def _on_progress(self, progress) -> None:
        if not self.summary:  # sent by the model being replaced (Reset, new settings) before it went
            return
        self.session.add(progress)  # numbers only; drawing waits for the frame timer
        if progress.refused:
            self._diagnose(force=True)

    @Slot(object)
    def _on_undone(self, info: dict) -> None:
        if not self.summary:  # the model it undid is being replaced
            return
        self.session.truncate(int(info["step"]))
        self.session.undo_steps = tuple(info["undo_steps"])
        self._show_undo_steps(self.session.undo_steps)
        self.scrubber.stale = True
        self.statusBar().showMessage(f"went back to step {info['step']:,}", 4000)
        if info.get("rescued"):  # the weights went NaN: the worker restored the last healthy copy
            self.diagnosis = None
            self._diagnose(force=True)
            self.banner.label.setText(
                self.banner.label.text()
                + f" The weights themselves had become NaN, so training went back to step {info['step']:,}, "
                "the last healthy state, and paused."
            )

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if state == "paused" and self.state != "paused":
            self.scrubber.stale = True
            if self.tabs.currentIndex() == self.scrubber_tab and self.summary:
                self.scrubber.request()
        self.state = state
        self.controls.set_playing(state == "playing")
        self.state_label.setText({"playing": "training", "stepping": "stepping"}.get(state, "paused"))

    @Slot(object)
    def _on_built(self, summary: dict) -> None:
        self.summary = summary
        self._after_model(summary)
        self._cmd_probe.emit()  # show the untrained model's insides at once
        self.model_ready.emit()

    def _show_model(self, summary: dict) -> None:
        """Show a model that arrived whole (opened or adopted): settings, history, plots."""
        self.summary = summary
        self.config = summary["session"]
        self.session = Session()
        for plot in self.plots:
            plot.reset(self.session)
        self.step_view.reset(self.session)
        self.scrubber.clear()
        self._show_undo_steps(())
        losses, val_steps, val_loss = summary["history"]
        self.session.load_history(losses, val_steps, val_loss)
        self.model_panel.set_data_kind(self.config.data.kind)
        self.model_panel.set_config(self.config.model)
        self.data_panel.set_config(self.config.data)
        self.controls.set_config(self.config.train)
        self._after_model(summary)

    @Slot(object)
    def _on_opened(self, summary: dict) -> None:
        if self._superseded(summary):
            return
        self._show_model(summary)
        self.path = summary["path"]
        self.dirty = self._changed_since_save  # a Step sent before the file arrived trains it on
        self.settings.setValue("last_dir", str(Path(self.path).parent))
        self._remember_recent(self.path)
        self._update_title()
        self.banner.show_message(f"Opened {Path(self.path).name}: {summary['steps']} steps trained.", "info")
        self.model_ready.emit()

    def _after_model(self, summary: dict) -> None:
        self.data_panel.build_now()  # torch is loaded now: the data preview costs little
        kind = summary["task"].kind
        self.device_label.setText(f"device: {summary['device']}")
        self.model_panel.set_param_count(summary["parameters"])
        self.prediction_panel.set_kind(kind)
        self.compare_view.set_data_kind(kind)
        self.prediction_panel.set_enabled_for_model(True)
        self.loss_plot.set_loss_label("loss (MSE)" if kind == "prices" else "loss (nats)")
        self.controls.set_seq_len_enabled(kind in ("text", "knock-knock"))  # the others set their own length
        self._update_title()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self.banner.show_message(message, "error")

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        self.settings.setValue("last_dir", str(Path(path).parent))
        self._remember_recent(path)
        self.statusBar().showMessage(f"saved {path}", 5000)
        if not self.summary:  # written for the model that a Reset or new settings is replacing
            return
        self.path = path
        # Training that went on after the save (Play running, a Step or Undo sent since) is not in it.
        self.dirty = self.state != "paused" or self._changed_since_save
        self._update_title()

    def _update_title(self) -> None:
        name = Path(self.path).name if self.path else "untitled"
        self.setWindowTitle(f"{name}{' *' if self.dirty else ''} - RNN Playground")

    # -- drawing ---------------------------------------------------------------------------
    def _on_frame(self) -> None:
        s = self.session
        if getattr(self, "_drawn_version", -1) == s.version:
            return
        self._drawn_version = s.version
        for plot in self.plots:
            if plot.isVisible():  # hidden tabs draw when they are shown
                plot.refresh()
        if self.step_view.isVisible():
            self.step_view.refresh()
        self._diagnose()
        if s.undo_steps != self._shown_undo:
            self._show_undo_steps(s.undo_steps)
        self.frames += 1
        self.steps_label.setText(f"step {s.steps:,}")
        self.rate_label.setText(f"{s.steps_per_s:,.0f} steps/s" if self.state == "playing" else "")

    # -- settings and closing --------------------------------------------------------------------
    def _remembered_config(self) -> SessionConfig | None:
        raw = self.settings.value("last_config")
        if not raw or int(self.settings.value("settings_version", 0) or 0) != SETTINGS_VERSION:
            return None
        try:
            return SessionConfig.from_dict(json.loads(str(raw)))
        except (PlaygroundError, ValueError, TypeError):
            return None  # settings from another version: start from the defaults

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1500, 950)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:  # first run: the plots get the width, the side panels what their controls need
            self.resizeDocks(
                [self.controls_dock, self.prediction_dock], [360, 300], Qt.Orientation.Horizontal
            )

    def save_settings(self) -> None:
        self.settings.setValue("settings_version", SETTINGS_VERSION)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("last_config", json.dumps(self.config.to_dict()))
        self.settings.sync()

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
                    or QFileDialog.getSaveFileName(self, "Save the model", self._last_dir(), MODEL_FILTER)[0]
                )
                if not path:
                    event.ignore()
                    return
                self.shutdown()
                if not self._save_now(path):
                    event.ignore()  # the work is still here: start training's thread and timer again
                    self.worker_thread.restart()
                    self.frame_timer.start()
                    return
                event.accept()
                return
        self.shutdown()
        event.accept()

    def _save_now(self, path: str) -> bool:
        """Save from this thread once training has stopped (on quit). False if it failed."""
        from playground.core import checkpoint

        trainer = self.worker_thread.worker.trainer if self.worker_thread else None
        if trainer is None:
            return True
        try:
            checkpoint.save(trainer, path)
        except PlaygroundError as e:
            QMessageBox.warning(self, "Not saved", str(e))
            return False
        return True

    def shutdown(self) -> None:
        """Stop the timer and the training thread (within a second) and remember the layout."""
        self.frame_timer.stop()
        self.save_settings()
        self.worker_thread.shutdown(1000)

    def ask_demo_question(self) -> None:
        """Ask the model the natural question for its data, through the panel, as a user would."""
        panel = self.prediction_panel
        kind = self.config.data.kind
        if kind == "knock-knock":
            panel._on_new_joke()
            panel.chat_edit.setText("Knock, knock!")
            panel.send_button.click()
        elif kind == "text":
            panel.prompt_edit.setText("The ")
            panel.complete_button.click()
        elif kind in ("memory", "order"):
            panel.classify_edit.setText(panel.classify_edit.placeholderText())
            panel.classify_button.click()
        else:
            panel.forecast_button.click()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About RNN Playground",
            "RNN Playground: train recurrent networks and watch why they learn, forget and explode.",
        )
