"""The model panel: which network to build, every choice explained on hover.

The panel shows a :class:`ModelConfig` and turns user edits into a new, validated
one (``changed``). Choices the core would refuse are greyed out with the reason
beside them, so a student sees *why* before trying.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.core.bounds import BOUNDS
from playground.core.config import RECURRENT_ARCHS, ModelConfig
from playground.core.errors import PlaygroundError
from playground.core.kinds import DEFAULT_KIND, KINDS
from playground.ui.panels._common import (
    choice_combo,
    combo_value,
    error_label,
    note_label,
    option_enabled,
    set_combo_value,
    set_error,
    set_option_enabled,
)

# Data kinds where the model predicts the next character at every step: a backward pass would cheat.
NEXT_CHARACTER_KINDS = tuple(name for name, spec in KINDS.items() if spec.many_to_many)
MAX_HEADS = int(BOUNDS["model.heads"].window_range()[1])  # the window offers 1 to 8 heads

ARCH_OPTIONS = (
    (
        "rnn",
        "Vanilla RNN",
        "h_t = activation(W_xh·x_t + W_hh·h_(t-1) + b). The same matrix W_hh acts on the state at every "
        "step, so a gradient sent back T steps is multiplied by it T times: it fades away (vanishes) or "
        "blows up (explodes). The clearest model for watching both happen.",
    ),
    (
        "lstm",
        "LSTM",
        "Long short-term memory: a separate cell state guarded by input, forget and output gates. The "
        "cell is updated by adding to it rather than by multiplying it again, so information (and its "
        "gradient) can travel across many steps without fading.",
    ),
    (
        "gru",
        "GRU",
        "Gated recurrent unit: an update gate mixes the old state with a new candidate, a reset gate "
        "decides how much of the past to look at. Fewer weights than an LSTM with a similar long memory.",
    ),
    (
        "transformer",
        "Transformer (reference)",
        "Reference model without recurrence: each position looks straight back at earlier positions "
        "through attention, so distance costs it nothing. It carries no state from one call to the next "
        "and reads at most 1024 steps.",
    ),
    (
        "mlp",
        "Feed-forward (reference)",
        "Reference model without memory: a plain network that sees only the last N inputs (its window). "
        "Anything older is invisible to it, however long you train.",
    ),
)

DIRECTION_OPTIONS = (
    (False, "Unidirectional", "Reads the sequence from first to last, like a person reading."),
    (
        True,
        "Bidirectional",
        "Adds a second network that reads from last to first and joins the two views. Useful when the "
        "whole input is known before answering.",
    ),
)

ACTIVATION_OPTIONS = (
    (
        "tanh",
        "tanh",
        "Squashes the state into (-1, 1). Stable, but its slope is below 1, so gradients shrink.",
    ),
    ("relu", "ReLU", "Slope exactly 1 where active: gradients survive longer, but the state is unbounded."),
)

INIT_OPTIONS = (
    ("default", "Framework default", "PyTorch's own choice: small uniform weights, about ±1/√hidden."),
    ("xavier", "Xavier (Glorot)", "Scaled so signals keep roughly the same size through tanh layers."),
    ("he", "He (Kaiming)", "Somewhat larger weights, scaled for ReLU, which zeroes half its inputs."),
    (
        "orthogonal",
        "Orthogonal",
        "W_hh is a rotation: at the start it neither shrinks nor stretches the state.",
    ),
    (
        "identity",
        "Identity (W_hh = I)",
        "The state is copied forward unchanged at the start (with ReLU: the IRNN trick).",
    ),
)

TIPS = {
    "arch": (
        "Which kind of network reads the sequence.\n\n"
        "Vanilla RNN: one hidden state, updated by the same matrix at every step. Easy to look inside, but "
        "its gradients fade or explode over long spans.\n"
        "LSTM and GRU: gates decide what to keep and what to forget, and the memory is updated by "
        "addition, so they can link things that are far apart.\n"
        "Transformer and feed-forward are references to compare with: neither has a recurrent state."
    ),
    "direction": (
        "Unidirectional reads left to right only. Bidirectional adds a second pass from right to left "
        "and combines both, which helps when the whole input is known before the answer (a finished "
        "window of prices).\n\n"
        "It cannot be used to predict the next character: its backward pass would already have read that "
        "character, so it would learn to copy the future instead of predicting it."
    ),
    "layers": (
        "How many layers are stacked; each one reads the sequence of states of the layer below. More "
        "layers can build more abstract features, but train more slowly and give the gradient a longer "
        "path to travel (through depth as well as through time)."
    ),
    "hidden": (
        "Size of the hidden state: the network's working memory at every step. A bigger state can hold "
        "more, but costs more computation and can memorise the training data instead of generalising."
    ),
    "activation": (
        "The squashing function of the vanilla RNN (and the feed-forward network).\n\n"
        "tanh keeps the state between -1 and 1, but its slope is below 1 almost everywhere, so a gradient "
        "passing back through many steps shrinks a little each time: it vanishes.\n"
        "ReLU has slope 1 wherever it is active, so gradients can survive many steps and long-range "
        "patterns become learnable, but nothing bounds the state: with large weights, values and "
        "gradients explode (gradient clipping helps).\n\n"
        "LSTM and GRU use fixed sigmoid and tanh gates; the Transformer has its own activations."
    ),
    "init": (
        "How the weights start before any training. The start decides whether signals and gradients "
        "shrink or grow as they pass through time, long before the optimiser can fix anything.\n\n"
        "Framework default: PyTorch's small uniform weights.\n"
        "Xavier: keeps signals about the same size through tanh.\n"
        "He: larger weights, meant for ReLU.\n"
        "Orthogonal: W_hh neither shrinks nor stretches the state at first.\n"
        "Identity (W_hh = I): the state is carried forward unchanged, so a plain RNN (best with ReLU) "
        "starts with a long memory and gradients do not vanish. The price: any growth is multiplied at "
        "every step, so gradients can explode. Only for networks with a recurrent matrix."
    ),
    "dropout": (
        "During training, randomly silences this fraction of the signals passed from one layer to the "
        "next, so the network cannot lean on a few units: less overfitting, slower learning. It is off "
        "when the model is evaluated.\n\n"
        "The RNN, LSTM and GRU apply it only between stacked layers, so it needs 2 or more layers."
    ),
    "heads": (
        "Transformer only: how many attention heads look at the past in parallel; each can learn to "
        "attend to a different kind of relation. The hidden size is split among them, so it must divide "
        "evenly."
    ),
    "attention": (
        "RNN, LSTM and GRU: at each step the output also reads a mix of the states the network had at "
        "earlier steps, weighted by how well each matches what it is looking for now (dot-product "
        "attention over its own past).\n\n"
        "Without it, everything the network knows about the past must fit in one hidden state, carried "
        "forward step by step: to answer \"Lettuce who?\" it must have stored \"Lettuce\" letter by "
        "letter, and it often garbles or swaps a name it never saw. With it, it can look back at the "
        "name and copy it. The chat shows where it looked."
    ),
    "window": (
        "Feed-forward only: how many past inputs the network sees at once. It knows nothing older, so a "
        "pattern that spans more steps than the window cannot be learned at all. A recurrent network has "
        "no such wall."
    ),
}


class ModelPanel(QWidget):
    """Controls for a :class:`ModelConfig`; emits a validated config when the user changes one."""

    changed = Signal(object)  # ModelConfig
    notice = Signal(str)  # a setting the panel changed by itself, and why (the window shows it)

    def __init__(self, config: ModelConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config.validate()
        self._data_kind = DEFAULT_KIND
        self._param_count: tuple[ModelConfig, int] | None = None
        self._updating = False

        self.arch_combo = choice_combo(ARCH_OPTIONS, TIPS["arch"])
        self.direction_combo = choice_combo(DIRECTION_OPTIONS, TIPS["direction"])
        self.layers_spin = QSpinBox()
        self.layers_spin.setRange(*BOUNDS["model.layers"].window_range())
        self.layers_spin.setToolTip(TIPS["layers"])
        self.hidden_spin = QSpinBox()
        self.hidden_spin.setRange(*BOUNDS["model.hidden"].window_range())
        self.hidden_spin.setSingleStep(8)
        self.hidden_spin.setToolTip(TIPS["hidden"])
        self.activation_combo = choice_combo(ACTIVATION_OPTIONS, TIPS["activation"])
        self.init_combo = choice_combo(INIT_OPTIONS, TIPS["init"])
        self.dropout_spin = QDoubleSpinBox()
        self.dropout_spin.setRange(*BOUNDS["model.dropout"].window_range())
        self.dropout_spin.setSingleStep(0.1)
        self.dropout_spin.setDecimals(2)
        self.dropout_spin.setToolTip(TIPS["dropout"])
        self.heads_combo = choice_combo(
            [(n, str(n), f"{n} attention head{'s' if n > 1 else ''}") for n in range(1, MAX_HEADS + 1)],
            TIPS["heads"],
        )
        self.attention_check = QCheckBox("over its past states")
        self.attention_check.setToolTip(TIPS["attention"])
        self.window_spin = QSpinBox()
        self.window_spin.setRange(*BOUNDS["model.window"].window_range())
        self.window_spin.setSuffix(" steps")
        self.window_spin.setToolTip(TIPS["window"])

        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.addRow("Architecture", self.arch_combo)
        self._form.addRow("Direction", self.direction_combo)
        self._form.addRow("Layers", self.layers_spin)
        self._form.addRow("Hidden size", self.hidden_spin)
        self._form.addRow("Activation", self.activation_combo)
        self._form.addRow("Weight init", self.init_combo)
        self._form.addRow("Dropout", self.dropout_spin)
        self._form.addRow("Attention heads", self.heads_combo)
        self._form.addRow("Attention", self.attention_check)
        self._form.addRow("Window", self.window_spin)
        for row in range(self._form.rowCount()):
            label = self._form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
            field = self._form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget()
            label.setToolTip(field.toolTip())

        self.reasons_label = note_label()  # why some options are greyed out
        self.error = error_label()
        self.summary_label = note_label()

        layout = QVBoxLayout(self)
        layout.addLayout(self._form)
        layout.addWidget(self.reasons_label)
        layout.addWidget(self.error)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(rule)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)

        self._show(self._config)

        self.arch_combo.currentIndexChanged.connect(self._on_arch_changed)
        self.init_combo.currentIndexChanged.connect(self._on_control_changed)
        self.direction_combo.currentIndexChanged.connect(self._on_control_changed)
        self.activation_combo.currentIndexChanged.connect(self._on_control_changed)
        self.heads_combo.currentIndexChanged.connect(self._on_control_changed)
        self.layers_spin.valueChanged.connect(self._on_control_changed)
        self.hidden_spin.valueChanged.connect(self._on_hidden_changed)
        self.dropout_spin.valueChanged.connect(self._on_control_changed)
        self.window_spin.valueChanged.connect(self._on_control_changed)
        self.attention_check.toggled.connect(self._on_control_changed)

    # -- public API -------------------------------------------------------------------
    def config(self) -> ModelConfig:
        return self._config

    def set_config(self, cfg: ModelConfig) -> None:
        """Show ``cfg`` (from a model file or the window); does not emit ``changed``."""
        self._config = cfg.validate()
        self._show(cfg)

    def set_data_kind(self, kind: str) -> None:
        """Grey out what this kind of data forbids; a config it forbids is fixed and emitted."""
        self._data_kind = kind
        reason = self._bidirectional_reason(self._config.arch) if self._config.bidirectional else ""
        if reason:
            self._updating = True
            set_combo_value(self.direction_combo, False)
            self._updating = False
            self._on_control_changed()
            self.notice.emit(f"The model is one-directional now: {reason}")
        else:
            self._update_enabled()

    def set_param_count(self, n: int) -> None:
        """The parameter count of the model built from the current config (shown in the summary)."""
        self._param_count = (self._config, int(n))
        self._update_summary()

    # -- building a config from the controls ----------------------------------------------
    def _from_controls(self) -> ModelConfig:
        return dataclasses.replace(
            self._config,
            arch=combo_value(self.arch_combo),
            bidirectional=bool(combo_value(self.direction_combo)),
            layers=self.layers_spin.value(),
            hidden=self.hidden_spin.value(),
            activation=combo_value(self.activation_combo),
            init=combo_value(self.init_combo),
            dropout=round(self.dropout_spin.value(), 2),
            heads=int(combo_value(self.heads_combo)),
            window=self.window_spin.value(),
            attention=self.attention_check.isChecked()
            and combo_value(self.arch_combo) in RECURRENT_ARCHS
            and not combo_value(self.direction_combo),
        )

    def _show(self, cfg: ModelConfig) -> None:
        self._updating = True
        try:
            set_combo_value(self.arch_combo, cfg.arch)
            set_combo_value(self.direction_combo, cfg.bidirectional)
            self.layers_spin.setValue(min(max(cfg.layers, 1), 4))
            self.hidden_spin.setValue(min(max(cfg.hidden, 4), 512))
            set_combo_value(self.activation_combo, cfg.activation)
            set_combo_value(self.init_combo, cfg.init)
            self.dropout_spin.setValue(cfg.dropout)
            if not set_combo_value(self.heads_combo, cfg.heads):
                self.heads_combo.addItem(str(cfg.heads), cfg.heads)
                set_combo_value(self.heads_combo, cfg.heads)
            self.window_spin.setValue(min(max(cfg.window, 1), 256))
            self.attention_check.setChecked(cfg.attention)
        finally:
            self._updating = False
        self._update_enabled()
        set_error(self.error, "")

    # -- slots ------------------------------------------------------------------------------
    def _on_arch_changed(self) -> None:
        """A new architecture may forbid the current direction or init: fall back before emitting."""
        if self._updating:
            return
        arch = combo_value(self.arch_combo)
        self._updating = True
        try:
            if combo_value(self.direction_combo) and self._bidirectional_reason(arch):
                set_combo_value(self.direction_combo, False)
            if combo_value(self.init_combo) == "identity" and arch not in RECURRENT_ARCHS:
                set_combo_value(self.init_combo, "default")
        finally:
            self._updating = False
        self._on_control_changed()

    def _on_hidden_changed(self) -> None:
        """Attention heads must divide the hidden size: keep the nearest allowed number of heads."""
        if self._updating:
            return
        hidden = self.hidden_spin.value()
        heads = int(combo_value(self.heads_combo))
        if hidden % heads:
            best = max(n for n in range(1, heads + 1) if hidden % n == 0)
            self._updating = True
            set_combo_value(self.heads_combo, best)
            self._updating = False
        self._on_control_changed()

    def _on_control_changed(self) -> None:
        if self._updating:
            return
        try:
            cfg = self._from_controls().validate()
        except PlaygroundError as e:
            set_error(self.error, str(e))
            self._update_enabled()
            return
        set_error(self.error, "")
        self._config = cfg
        self._update_enabled()
        self.changed.emit(cfg)

    # -- what is allowed -------------------------------------------------------------------
    def _bidirectional_reason(self, arch: str) -> str:
        if arch == "mlp":
            return "the feed-forward network sees its whole window at once, so it has no reading direction."
        spec = KINDS.get(self._data_kind)
        if spec is not None and spec.many_to_many:
            return (
                f"bidirectional is off for {spec.noun}: the model "
                "predicts the next character, and a backward pass would read that character before "
                "predicting it."
            )
        return ""

    def _update_enabled(self) -> None:
        arch = combo_value(self.arch_combo)
        recurrent = arch in RECURRENT_ARCHS
        reasons: list[str] = []

        bi_reason = self._bidirectional_reason(arch)
        set_option_enabled(self.direction_combo, True, not bi_reason, bi_reason)
        if bi_reason:
            reasons.append(bi_reason[0].upper() + bi_reason[1:])

        id_reason = (
            "" if recurrent else "identity init sets the recurrent matrix W_hh, which this model lacks."
        )
        set_option_enabled(self.init_combo, "identity", not id_reason, id_reason)
        if id_reason and arch == "transformer":
            reasons.append("Identity init needs a recurrent matrix W_hh; the Transformer has none.")
        elif id_reason:
            reasons.append("Identity init needs a recurrent matrix W_hh; the feed-forward network has none.")

        activation_on = arch in ("rnn", "mlp")
        self.activation_combo.setEnabled(activation_on)
        if not activation_on:
            reasons.append(
                "Activation: LSTM and GRU use fixed gate functions."
                if recurrent
                else "Activation: the Transformer uses its own."
            )

        dropout_on = not recurrent or self.layers_spin.value() > 1
        self.dropout_spin.setEnabled(dropout_on)
        if not dropout_on:
            reasons.append("Dropout acts between stacked layers: choose 2 or more layers to use it.")

        self._form.setRowVisible(self.heads_combo, arch == "transformer")
        self._form.setRowVisible(self.window_spin, arch == "mlp")
        self._form.setRowVisible(self.attention_check, recurrent)
        bidirectional = bool(combo_value(self.direction_combo))
        self.attention_check.setEnabled(not bidirectional)
        if recurrent and bidirectional:
            reasons.append("Attention over past states is for unidirectional models.")
        hidden = self.hidden_spin.value()
        for n in range(1, MAX_HEADS + 1):
            set_option_enabled(
                self.heads_combo, n, hidden % n == 0, f"hidden size {hidden} does not split into {n} heads."
            )

        self.reasons_label.setText("\n".join(f"\u2022 {r}" for r in reasons))
        self.reasons_label.setVisible(bool(reasons))
        self._update_summary()

    def _update_summary(self) -> None:
        text = self._config.describe()
        text = text[:1].upper() + text[1:]
        if self._param_count is not None and self._param_count[0] == self._config:
            text += f"\n{self._param_count[1]:,} trainable parameters"
        self.summary_label.setText(text)

    def option_enabled(self, control: str, value: object) -> bool:
        """Whether ``value`` can be chosen in a combo box ("direction", "init", "arch", ...)."""
        combo = getattr(self, f"{control}_combo")
        return option_enabled(combo, value)
