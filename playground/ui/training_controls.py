"""Play, Pause, Step, Step xN, Reset, and the settings that steer training.

The learning rate, batch size, sequence length and clipping change between
steps, live; the optimizer and seed apply when the model is reset (a new
optimizer would forget its momentum, and a seed only means something at the
start of a run).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.core.bounds import BOUNDS
from playground.core.config import TrainConfig
from playground.ui.plots.theme import themed

OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}
CLIP_NAMES = {"norm": "by norm", "value": "by value", "off": "off"}


class LogSpinBox(QDoubleSpinBox):
    """A learning-rate box whose arrows multiply and divide (1e-4 -> 2e-4 -> 5e-4 -> 1e-3...)."""

    _STEPS = (1.0, 2.0, 5.0)

    def stepBy(self, steps: int) -> None:
        v = self.value()
        for _ in range(abs(steps)):
            exp = math.floor(math.log10(v) + 1e-9)
            mant = v / 10**exp
            if steps > 0:
                nxt = next((m for m in self._STEPS if m > mant + 1e-9), None)
                v = nxt * 10**exp if nxt else 10 ** (exp + 1)
            else:
                prev = next((m for m in reversed(self._STEPS) if m < mant - 1e-9), None)
                v = prev * 10**exp if prev else 5 * 10 ** (exp - 1)
        self.setValue(v)


def undo_text(steps: tuple[int, ...]) -> str:
    """What Undo would do, in a few words."""
    if not steps:
        return "nothing to undo yet"
    return f"back to step {steps[-1]:,} ({len(steps)} kept)"


class TrainingControls(QWidget):
    play_toggled = Signal(bool)  # True = play
    step_requested = Signal(int)  # how many steps
    reset_requested = Signal()
    stop_rule_changed = Signal(int, object)  # patience (0: off), the target validation loss (None: off)
    undo_requested = Signal(int)  # go back this many entries of the undo ring
    live_changed = Signal(
        dict
    )  # settings that apply between steps: lr, batch_size, seq_len, clip, clip_value

    def __init__(self, config: TrainConfig, parent: QWidget | None = None):
        super().__init__(parent)
        self._playing = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        buttons = QHBoxLayout()
        self.play_button = QPushButton("\u25b6  Play")
        self.play_button.setToolTip("Train continuously in the background (Space). Press again to pause.")
        self.play_button.setMinimumHeight(34)
        self.play_button.setStyleSheet("QPushButton { font-weight: bold; }")
        self.play_button.clicked.connect(self._on_play_clicked)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip(
            "Take exactly one optimizer step (S or Right arrow): one batch, one backward pass, one update. "
            "Watch how a single update moves the loss and the gradients."
        )
        self.step_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.step_n = QSpinBox()
        self.step_n.setRange(2, 10_000)
        self.step_n.setValue(10)
        self.step_n.setToolTip("How many steps 'Step xN' takes before pausing.")
        self.step_n_button = QPushButton("Step \u00d7N")
        self.step_n_button.setToolTip("Take N optimizer steps, then pause.")
        self.step_n_button.clicked.connect(lambda: self.step_requested.emit(self.step_n.value()))
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip(
            "Throw the trained weights away and start again from fresh random weights (Ctrl+R), "
            "with the current model, data, optimizer and seed."
        )
        self.reset_button.clicked.connect(self.reset_requested.emit)
        buttons.addWidget(self.play_button, 2)
        buttons.addWidget(self.step_button, 1)
        buttons.addWidget(self.step_n_button, 1)
        buttons.addWidget(self.step_n)
        buttons.addWidget(self.reset_button, 1)
        layout.addLayout(buttons)

        undo_row = QHBoxLayout()
        self.undo_button = QPushButton("\u21b6  Undo")
        self.undo_button.setToolTip(
            "Go back one Step (Ctrl+Z), or back to where the last Play started: the weights and the "
            "optimizer's memory come back exactly as they were, and the next Step takes the same batch again."
        )
        self.undo_button.clicked.connect(lambda: self.undo_requested.emit(1))
        self.undo_label = QLabel()
        themed(self.undo_label, "color: {muted};")
        undo_row.addWidget(self.undo_button)
        undo_row.addWidget(self.undo_label, 1)
        layout.addLayout(undo_row)
        self.set_undo_steps(())

        live = QGroupBox("Training settings")
        form = QFormLayout(live)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.lr = LogSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(*BOUNDS["train.lr"].window_range())
        self.lr.setValue(config.lr)
        self.lr.setToolTip(
            "Learning rate: how far each step moves the weights along the gradient. Too small and nothing "
            "happens; too large and the loss jumps around or explodes to NaN. Changes apply at the next step."
        )
        self.batch = QSpinBox()
        self.batch.setRange(*BOUNDS["train.batch_size"].window_range())
        self.batch.setValue(config.batch_size)
        self.batch.setToolTip(
            "Examples averaged in each step. Larger batches give smoother, slower steps; smaller ones are noisy."
        )
        self.seq_len = QSpinBox()
        self.seq_len.setRange(*BOUNDS["train.seq_len"].window_range())
        self.seq_len.setValue(config.seq_len)
        self.seq_len.setToolTip(
            "Characters per training example: how far back in time the network is unrolled, and how far "
            "the gradient has to travel. Longer sequences show vanishing gradients more clearly."
        )
        self.clip = QComboBox()
        for key, name in CLIP_NAMES.items():
            self.clip.addItem(name, key)
        self.clip.setCurrentIndex(list(CLIP_NAMES).index(config.clip))
        self.clip.setToolTip(
            "Gradient clipping: 'by norm' shrinks the whole gradient when its length exceeds the threshold "
            "(the usual cure for exploding gradients); 'by value' caps each number; 'off' lets you watch "
            "gradients explode."
        )
        self.clip_value = QDoubleSpinBox()
        self.clip_value.setDecimals(3)
        self.clip_value.setRange(*BOUNDS["train.clip_value"].window_range())
        self.clip_value.setValue(config.clip_value)
        self.clip_value.setToolTip("The clipping threshold: the largest gradient norm (or value) allowed.")
        self.optimizer = QComboBox()
        for key, name in OPTIMIZER_NAMES.items():
            self.optimizer.addItem(name, key)
        self.optimizer.setCurrentIndex(list(OPTIMIZER_NAMES).index(config.optimizer))
        self.optimizer.setToolTip(
            "How the gradient becomes an update. SGD follows it directly; Adam, AdamW and RMSprop scale each "
            "weight's step by its recent gradient size, which copes better with very different gradients "
            "per weight. Applies at Reset."
        )
        self.seed = QSpinBox()
        self.seed.setRange(*BOUNDS["train.seed"].window_range())
        self.seed.setValue(config.seed)
        self.seed.setToolTip(
            "The random seed: the same seed gives the same initial weights and batches. Applies at Reset."
        )
        clip_row = QHBoxLayout()
        clip_row.addWidget(self.clip, 1)
        clip_row.addWidget(self.clip_value, 1)
        form.addRow("Learning rate", self.lr)
        form.addRow("Batch size", self.batch)
        form.addRow("Sequence length", self.seq_len)
        form.addRow("Clipping", clip_row)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Seed", self.seed)
        self.patience = QSpinBox()
        self.patience.setRange(0, int(BOUNDS["run.patience"].hi))
        self.patience.setSpecialValueText("never")
        self.patience.setSuffix(" validations")
        self.patience.setToolTip(
            "Stop training by itself after this many validations without a better validation loss, and go "
            "back to the weights of the best one (as Undo does; the banner says which step). 'never': off. "
            "Needs a model that validates (the presets other than the lessons' do, every 50 steps)."
        )
        self.stop_loss = QDoubleSpinBox()
        self.stop_loss.setDecimals(4)
        self.stop_loss.setRange(0.0, 1e6)
        self.stop_loss.setSpecialValueText("never")
        self.stop_loss.setToolTip(
            "Stop training by itself at the first validation loss this low or lower. 'never' (0): off."
        )
        form.addRow("Stop after", self.patience)
        form.addRow("Stop at val. loss", self.stop_loss)
        self.note = QLabel("Optimizer and seed apply at Reset.")
        themed(self.note, "color: {muted};")
        form.addRow(self.note)
        layout.addWidget(live)

        self.lr.valueChanged.connect(lambda v: self.live_changed.emit({"lr": float(v)}))
        self.batch.valueChanged.connect(lambda v: self.live_changed.emit({"batch_size": int(v)}))
        self.seq_len.valueChanged.connect(lambda v: self.live_changed.emit({"seq_len": int(v)}))
        self.clip.currentIndexChanged.connect(self._on_clip_changed)
        self.clip_value.valueChanged.connect(self._on_clip_changed)
        self.patience.valueChanged.connect(self._on_stop_changed)
        self.stop_loss.valueChanged.connect(self._on_stop_changed)

    def stop_rule(self) -> tuple[int, float | None]:
        """(patience, target validation loss): 0 and None where off."""
        target = float(self.stop_loss.value())
        return int(self.patience.value()), (target if target > 0 else None)

    def _on_stop_changed(self, *_: object) -> None:
        self.stop_rule_changed.emit(*self.stop_rule())

    def _on_clip_changed(self, *_: object) -> None:
        self.clip_value.setEnabled(self.clip.currentData() != "off")
        self.live_changed.emit(
            {"clip": self.clip.currentData(), "clip_value": float(self.clip_value.value())}
        )

    def _on_play_clicked(self) -> None:
        self.play_toggled.emit(not self._playing)

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.play_button.setText("\u23f8  Pause" if playing else "\u25b6  Play")
        self.step_button.setEnabled(not playing)
        self.step_n_button.setEnabled(not playing)

    @property
    def playing(self) -> bool:
        return self._playing

    def config(self, base: TrainConfig) -> TrainConfig:
        return TrainConfig(
            **{
                **base.__dict__,
                "lr": float(self.lr.value()),
                "batch_size": int(self.batch.value()),
                "seq_len": int(self.seq_len.value()),
                "clip": self.clip.currentData(),
                "clip_value": float(self.clip_value.value()),
                "optimizer": self.optimizer.currentData(),
                "seed": int(self.seed.value()),
            }
        ).validate()

    def set_config(self, cfg: TrainConfig) -> None:
        widgets = (self.lr, self.batch, self.seq_len, self.clip, self.clip_value, self.optimizer, self.seed)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.lr.setValue(cfg.lr)
            self.batch.setValue(cfg.batch_size)
            self.seq_len.setValue(cfg.seq_len)
            self.clip.setCurrentIndex(list(CLIP_NAMES).index(cfg.clip))
            self.clip_value.setValue(cfg.clip_value)
            self.clip_value.setEnabled(cfg.clip != "off")
            self.optimizer.setCurrentIndex(list(OPTIMIZER_NAMES).index(cfg.optimizer))
            self.seed.setValue(cfg.seed)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def set_seq_len_enabled(self, enabled: bool) -> None:
        """Series use their window instead of a sequence length."""
        self.seq_len.setEnabled(enabled)
        self.seq_len.setToolTip(
            self.seq_len.toolTip()
            if enabled
            else "Price series use the data panel's window as their sequence length."
        )

    def set_undo_steps(self, steps: tuple[int, ...]) -> None:
        self.undo_button.setEnabled(bool(steps))
        self.undo_label.setText(undo_text(steps))
