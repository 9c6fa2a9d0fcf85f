"""The data panel: what the network learns from, with a preview of exactly that.

The panel shows a :class:`DataConfig`. Every user edit is turned into a candidate config whose
task is built off the window's thread (``data_loader.py``: in the window by the training process,
which sends back a small preview and keeps the task for the next model; a 45 MB file takes a
second or two, the preview saying meanwhile that it is loading); only a candidate that builds
becomes the panel's config and is emitted. A refused one (an empty file, a CSV without
numbers...) is explained in red and the last good config stays. When edits come faster than
builds, only the newest one's result is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from playground.core.bounds import BOUNDS
from playground.core.config import DataConfig
from playground.core.data.preview import DataPreview
from playground.core.data.series_io import split_inputs
from playground.core.errors import PlaygroundError
from playground.core.kinds import DEFAULT_KIND, KINDS, kind_spec
from playground.ui.panels._common import (
    choice_combo,
    combo_value,
    error_label,
    float_spin,
    int_spin,
    set_combo_value,
    set_error,
)
from playground.ui.panels.csv_columns import CsvColumns
from playground.ui.panels.data_loader import PreviewLoader, reads_csv_columns
from playground.ui.panels.data_options import (
    GAPS_OPTIONS,
    GENERATOR_FIELDS,
    GENERATOR_OPTIONS,
    KIND_OPTIONS,
    SOURCE_OPTIONS,
    TIPS,
)
from playground.ui.panels.data_preview import PreviewBox, panel_words

DEBOUNCE_MS = 150  # rebuild the preview this long after the last edit, not on every keystroke
LOADING_DELAY_MS = 100  # say "loading" only for builds that take longer than this (no flicker)
# A longer pasted text shows its start in the box, read-only (the whole text is used): a text box
# holding 50 MB takes the GUI thread for minutes to lay out.
PASTE_BOX_CHARS = 100_000
APPLY = "apply"  # the tag of a request from ``apply``: emitted when it builds, ``applied`` either way

def _window(key: str) -> tuple[float, float]:
    """A control's range: its slice of core/bounds.py's table (whole numbers for a spin box of ints)."""
    lo, hi = BOUNDS[key].window_range()
    return (int(lo), int(hi)) if BOUNDS[key].whole else (lo, hi)


class DataPanel(QWidget):
    """Controls for a :class:`DataConfig` and a preview of the task it builds."""

    changed = Signal(object)  # DataConfig, validated and built
    applied = Signal(str)  # the answer to ``apply``: "" (built, and ``changed`` emitted) or why not
    loading = Signal(bool)  # True while a task builds in the background, False once the newest is done

    def __getattr__(self, name: str) -> Any:
        """The preview's parts (``text_view``, ``series_plot``…) as the panel's own (the plot: made on first use)."""
        if (box := self.__dict__.get("preview_box")) is not None and name in PreviewBox.PARTS:
            return getattr(box, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __init__(
        self, config: DataConfig, parent: QWidget | None = None, deferred: bool = False, ask: Callable | None = None
    ) -> None:
        """``deferred``: no preview until ``build_now()`` (the window shows its first model's);
        ``ask``: send a PreviewData to the training process (the window's panel; its answers come to
        ``previewed``), else the panel builds its previews in a thread of this process."""
        super().__init__(parent)
        self._config = config.validate()
        self._preview: DataPreview | None = None
        self._updating = False
        # What the user chose per kind, so switching kinds and back keeps it.
        self._sources = {name: spec.default_source for name, spec in KINDS.items()}
        self._paths = dict.fromkeys(self._sources, "")
        self._pasted = dict.fromkeys(self._sources, "")
        self._loading_text = ""  # what the preview says while the newest request builds
        self._box_cut = False  # the paste box shows only the start of a long pasted text (read-only)

        self._loader = PreviewLoader(self)
        if ask is not None:
            self._loader.use_engine(ask)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.loading.connect(self._on_loading)
        self._loader.loading.connect(self.loading)
        self._loading_timer = QTimer(self)
        self._loading_timer.setSingleShot(True)
        self._loading_timer.setInterval(LOADING_DELAY_MS)
        self._loading_timer.timeout.connect(self._show_state)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_debounced)

        self._build_controls()
        self.preview_box = PreviewBox()

        layout = QVBoxLayout(self)
        layout.addLayout(self._form)
        layout.addWidget(self.error)
        layout.addWidget(self.preview_box, 1)

        self._show(self._config)
        if not deferred:
            self._rebuild(emit=False)
        self._connect()

    def build_now(self, preview: DataPreview | None = None, config: DataConfig | None = None) -> None:
        """The first preview of a deferred panel (the window calls it once a model is built):
        ``preview``, of the task the training process built from ``config``, is shown rather than
        asked for again when ``config`` is what the panel shows."""
        if self._preview is not None or self.busy:
            return
        same = preview is not None and config == self._config and not self._timer.isActive()
        if same and (preview.columns is not None or not reads_csv_columns(self._config)):
            self._list_columns(self._config, preview.columns)  # (a CSV's: read with the model's series)
            self._adopt(self._config, preview)
        else:
            self._rebuild(emit=False)

    def previewed(self, answer: Any) -> None:
        """A DataPreviewed from the training process (the controller hands each one here)."""
        self._loader.arrived(answer)

    def ask_again(self) -> None:
        """The training process was started afresh: a preview it was building is asked for again."""
        self._loader.ask_again()

    # -- construction ----------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.kind_combo = choice_combo(KIND_OPTIONS, TIPS["data_kind"])
        self.source_combo = choice_combo(SOURCE_OPTIONS[DEFAULT_KIND], TIPS["source"])

        self.file_button = QPushButton("Choose file…")
        self.file_button.setToolTip(TIPS["file"])
        self.path_label = QLabel()
        self.path_label.setToolTip(TIPS["file"])
        self.path_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.file_row = QWidget()
        row = QHBoxLayout(self.file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.file_button)
        row.addWidget(self.path_label, 1)

        self.paste_edit = QPlainTextEdit()
        self.paste_edit.setToolTip(TIPS["paste"])
        self.paste_edit.setFixedHeight(90)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip(TIPS["apply"])
        self.paste_row = QWidget()
        paste = QVBoxLayout(self.paste_row)
        paste.setContentsMargins(0, 0, 0, 0)
        paste.addWidget(self.paste_edit)
        paste.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignRight)

        self.generator_combo = choice_combo(GENERATOR_OPTIONS, TIPS["generator"])
        self.length_spin = int_spin(*_window("data.length"), TIPS["length"], step=50)
        self.start_spin = float_spin(*_window("data.start"), 2, TIPS["start"], step=10)
        self.slope_spin = float_spin(*_window("data.slope"), 3, TIPS["slope"], step=0.1)
        self.period_spin = float_spin(*_window("data.period"), 1, TIPS["period"], step=5)
        self.amplitude_spin = float_spin(*_window("data.amplitude"), 2, TIPS["amplitude"], step=1)
        self.noise_spin = float_spin(*_window("data.noise"), 2, TIPS["noise"], step=0.5)
        self.seed_spin = int_spin(*_window("data.seed"), TIPS["seed"])
        self.columns = CsvColumns(self._on_edited)  # the target and the input columns of a CSV
        self.column_combo, self.inputs_list = self.columns.target_combo, self.columns.inputs_list
        self.gaps_combo = choice_combo(GAPS_OPTIONS, TIPS["gaps"])
        self.window_spin = int_spin(*_window("data.window"), TIPS["window"])
        self.window_spin.setSuffix(" values")
        self.val_spin = int_spin(*(round(100 * v) for v in _window("data.val_fraction")), TIPS["val"])
        self.val_spin.setSuffix(" % at the end")
        # memory: d, the distance to remember, on a slider (with its number beside it)
        self.gap_slider = QSlider(Qt.Orientation.Horizontal)
        self.gap_slider.setRange(*_window("data.gap"))
        self.gap_slider.setToolTip(TIPS["gap"])
        self.gap_value = QLabel()
        self.gap_value.setMinimumWidth(64)
        self.gap_slider.valueChanged.connect(lambda v: self.gap_value.setText(f"d = {v}"))
        self.gap_row = QWidget()
        gap_layout = QHBoxLayout(self.gap_row)
        gap_layout.setContentsMargins(0, 0, 0, 0)
        gap_layout.addWidget(self.gap_slider, 1)
        gap_layout.addWidget(self.gap_value)
        self.gap_row.setToolTip(TIPS["gap"])
        self.keys_spin = int_spin(*_window("data.keys"), TIPS["keys"])
        self.span_spin = int_spin(*_window("data.span"), TIPS["span"], step=10)  # the classics' T
        self.made_up_spin = int_spin(*_window("data.made_up_jokes"), TIPS["made_up_jokes"], step=500)
        self.made_up_spin.setSpecialValueText("off")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Data", self.kind_combo)
        form.addRow("Source", self.source_combo)
        form.addRow("File", self.file_row)
        form.addRow(self.paste_row)
        form.addRow("Generator", self.generator_combo)
        form.addRow("Length", self.length_spin)
        form.addRow("Start", self.start_spin)
        form.addRow("Slope", self.slope_spin)
        form.addRow("Period", self.period_spin)
        form.addRow("Amplitude", self.amplitude_spin)
        form.addRow("Noise", self.noise_spin)
        form.addRow("Seed", self.seed_spin)
        form.addRow("Column", self.column_combo)
        form.addRow("Inputs", self.inputs_list)
        form.addRow("Gaps", self.gaps_combo)
        form.addRow("Gap d", self.gap_row)
        form.addRow("Keys", self.keys_spin)
        form.addRow("Length T", self.span_spin)
        form.addRow("Made-up jokes", self.made_up_spin)
        form.addRow("Window", self.window_spin)
        form.addRow("Held out", self.val_spin)
        for i in range(form.rowCount()):
            label = form.itemAt(i, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(i, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None and field.widget() is not None:
                label.widget().setToolTip(field.widget().toolTip())
        self._form = form
        self.error = error_label()

    def _connect(self) -> None:
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.generator_combo.currentIndexChanged.connect(self._on_generator_changed)
        self.file_button.clicked.connect(self._on_choose_file)
        self.apply_button.clicked.connect(self._on_apply_paste)
        self.gaps_combo.currentIndexChanged.connect(self._on_edited)
        for spin in (
            self.length_spin, self.start_spin, self.slope_spin, self.period_spin, self.amplitude_spin,
            self.noise_spin, self.seed_spin, self.window_spin, self.val_spin, self.keys_spin,
            self.made_up_spin, self.gap_slider, self.span_spin,
        ):
            spin.valueChanged.connect(self._on_edited)

    def sizeHint(self) -> QSize:  # a dock's natural width; wrapped labels ask for far more
        hint = super().sizeHint()
        return QSize(max(self.minimumSizeHint().width(), 360), hint.height())

    # -- public API -------------------------------------------------------------------------
    def config(self) -> DataConfig:
        """The last config that built successfully (or was set)."""
        return self._config

    def set_config(self, cfg: DataConfig, preview: DataPreview | None = None) -> None:
        """Show ``cfg`` (from a model file or the window) at once, and preview it when its task is
        built (in the background); does not emit ``changed``. ``preview``: ``cfg`` is an opened
        model's, and this is the preview of the data that file carries, shown as it is (the data file
        ``cfg`` names is never read)."""
        self._timer.stop()
        self._config = cfg.validate()
        self._show(cfg)
        if preview is None:
            self._rebuild(emit=False, candidate=cfg)
            return
        self._loader.cancel()
        learnt = [cfg.column, *split_inputs(cfg.inputs)]  # a CSV's columns the model learnt from, no others
        self._list_columns(cfg, (learnt, learnt) if cfg.column else None)
        self._show_error("")
        self._adopt(self._config, preview)

    def apply(self, cfg: DataConfig) -> None:
        """Use ``cfg`` as if the user had set the controls to it (a dropped file, pasted text): shown
        at once, built in the background, and emitted as ``changed`` only if it builds (the last good
        config stays otherwise, as after an edit); ``applied`` answers "" or the refusal."""
        self._timer.stop()
        try:
            self._show(cfg.validate())
        except PlaygroundError as e:
            self._refuse(str(e))
            self.applied.emit(str(e))
            return
        self._rebuild(emit=APPLY, candidate=cfg)

    def preview(self) -> DataPreview | None:
        """The preview of the data the last good config built, or None."""
        return self._preview

    def error_text(self) -> str:
        """The error shown in red, "" when the data is fine."""
        return self.error.text()

    @property
    def busy(self) -> bool:
        """True while the task of the newest request is being built (in the background)."""
        return self._loader.busy

    def wait_idle(self, timeout_s: float = 10) -> bool:
        """Run the event loop until the newest build is done and shown; False if it took longer."""
        return self._loader.wait_idle(timeout_s)

    # -- dialogs (a method of its own so tests can replace it) ------------------------------------
    def _ask_open_path(self, caption: str, filter: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, caption, "", filter)
        return path

    # -- controls <-> config ----------------------------------------------------------------------
    def _kind(self) -> str:
        return combo_value(self.kind_combo)

    def _from_controls(self) -> DataConfig:
        kind = self._kind()
        source = combo_value(self.source_combo)
        path = self._paths[kind] if source == "file" else ""
        # columns of the CSV the boxes list, else (still being read) the config's own for its file;
        # for another file the loader picks the likely one
        column, inputs = "", ""
        if "column" in kind_spec(kind).settings and source == "file":
            if self.columns.listed(path):
                column, inputs = self.columns.target(), self.columns.inputs()
            elif path == self._config.path:
                column, inputs = self._config.column, self._config.inputs
        return dataclasses.replace(
            self._config,
            kind=kind,
            source=source,
            path=path,
            text=self._pasted[kind] if source == "inline" else "",
            column=column,
            inputs=inputs,
            gaps=combo_value(self.gaps_combo),
            generator=combo_value(self.generator_combo),
            values=(),
            length=self.length_spin.value(),
            start=self.start_spin.value(),
            slope=self.slope_spin.value(),
            period=self.period_spin.value(),
            amplitude=self.amplitude_spin.value(),
            noise=self.noise_spin.value(),
            seed=self.seed_spin.value(),
            window=self.window_spin.value(),
            val_fraction=self.val_spin.value() / 100,
            gap=self.gap_slider.value(),
            keys=self.keys_spin.value(),
            span=self.span_spin.value(),
            made_up_jokes=self.made_up_spin.value(),
        )

    def _show(self, cfg: DataConfig) -> None:
        self._updating = True
        try:
            kind = cfg.kind
            spec = kind_spec(kind)
            source = cfg.source
            if source == "bundled" and source not in spec.sources:
                source = "generator"  # no bundled file for these: "bundled" means the generator
            self._sources[kind] = source
            if source == "file":
                self._paths[kind] = cfg.path
            if source == "inline":
                self._pasted[kind] = cfg.text
            set_combo_value(self.kind_combo, kind)
            self._fill_sources(kind)
            set_combo_value(self.gaps_combo, cfg.gaps)
            set_combo_value(self.generator_combo, cfg.generator)
            self.length_spin.setValue(cfg.length)
            self.start_spin.setValue(cfg.start)
            self.slope_spin.setValue(cfg.slope)
            self.period_spin.setValue(cfg.period)
            self.amplitude_spin.setValue(cfg.amplitude)
            self.noise_spin.setValue(cfg.noise)
            self.seed_spin.setValue(cfg.seed)
            self.window_spin.setValue(cfg.window)
            self.val_spin.setValue(max(1, round(cfg.val_fraction * 100)))
            self.gap_slider.setMaximum(max(_window("data.gap")[1], cfg.gap))
            self.gap_slider.setValue(cfg.gap)
            self.gap_value.setText(f"d = {cfg.gap}")
            self.keys_spin.setValue(cfg.keys)
            self.span_spin.setValue(cfg.span)
            self.made_up_spin.setValue(cfg.made_up_jokes)
        finally:
            self._updating = False
        self._update_rows()

    def _fill_sources(self, kind: str) -> None:
        self.source_combo.clear()
        for value, text, tip in SOURCE_OPTIONS[kind]:
            self.source_combo.addItem(text, value)
            self.source_combo.setItemData(self.source_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        set_combo_value(self.source_combo, self._sources[kind])

    def _update_rows(self) -> None:
        """Show only the settings that matter for this kind, source and generator."""
        kind = self._kind()
        spec = kind_spec(kind)
        source = combo_value(self.source_combo)
        generator = "generator" in spec.settings and source == "generator"
        csv_file = "column" in spec.settings and source == "file"
        form = self._form
        form.setRowVisible(self.file_row, source == "file")
        form.setRowVisible(self.paste_row, source == "inline")
        form.setRowVisible(self.generator_combo, generator)
        used = GENERATOR_FIELDS.get(combo_value(self.generator_combo), ())
        for name in ("length", "start", "slope", "period", "amplitude", "noise", "seed"):
            form.setRowVisible(getattr(self, f"{name}_spin"), generator and name in used)
        noise_label = form.labelForField(self.noise_spin)
        walk = combo_value(self.generator_combo) == "random-walk"
        noise_label.setText("Step size" if walk else "Noise")
        tip = TIPS["step"] if walk else TIPS["noise"]
        self.noise_spin.setToolTip(tip)
        noise_label.setToolTip(tip)
        form.setRowVisible(self.column_combo, csv_file)
        form.setRowVisible(self.inputs_list, csv_file and self.inputs_list.count() > 1)
        form.setRowVisible(self.gaps_combo, csv_file)
        form.setRowVisible(self.window_spin, "window" in spec.settings)
        form.setRowVisible(self.gap_row, "gap" in spec.settings)
        form.setRowVisible(self.keys_spin, "keys" in spec.settings)
        form.setRowVisible(self.span_spin, "span" in spec.settings)
        made_up = "made_up_jokes" in spec.settings and source == "bundled"  # the made-up jokes' count and seed
        form.setRowVisible(self.made_up_spin, made_up)
        if (spec.generated and "seed" in spec.settings) or made_up:  # a word list (one-to-many) has no seed
            form.setRowVisible(self.seed_spin, True)
        # memory holds out a fixed 512 sequences: no validation share to set
        form.setRowVisible(self.val_spin, "val_fraction" in spec.settings)
        self.file_button.setText(spec.file_dialog[0])
        path = self._paths[kind]
        self.path_label.setText(Path(path).name if path else "no file chosen")
        self.path_label.setToolTip(path or TIPS["file"])
        self.paste_edit.setPlaceholderText(spec.paste_placeholder)
        if source == "inline":
            self._show_pasted(self._pasted[kind])

    def _show_pasted(self, text: str) -> None:
        """The paste box: the text, or the start of a long one, read-only (the whole text is used)."""
        self._box_cut = len(text) > PASTE_BOX_CHARS
        shown = text[:PASTE_BOX_CHARS] if self._box_cut else text
        self.paste_edit.setReadOnly(self._box_cut)
        self.paste_edit.setToolTip(
            f"The first {PASTE_BOX_CHARS:,} of its {len(text):,} characters: the whole text is used. A text "
            "this long is edited in a file (then choose the file, or drop it on the window)."
            if self._box_cut
            else TIPS["paste"]
        )
        if self.paste_edit.toPlainText() != shown:
            self.paste_edit.setPlainText(shown)

    # -- slots ------------------------------------------------------------------------------------
    def _on_kind_changed(self) -> None:
        if self._updating:
            return
        kind = self._kind()
        self._updating = True
        self._fill_sources(kind)
        self._updating = False
        self._update_rows()
        self._rebuild()

    def _on_source_changed(self) -> None:
        if self._updating:
            return
        kind = self._kind()
        source = combo_value(self.source_combo)
        previous = self._sources[kind]
        self._sources[kind] = source
        self._update_rows()
        if source == "file" and not self._paths[kind]:
            if not self._on_choose_file():  # cancelled: back to where the user was
                self._sources[kind] = previous
                self._updating = True
                set_combo_value(self.source_combo, previous)
                self._updating = False
                self._update_rows()
            return
        if source == "inline" and not self._pasted[kind]:
            self._refuse("")  # nothing to build: a build still running is forgotten
            self.paste_edit.setFocus()
            return  # nothing to use until Apply
        self._rebuild()

    def _on_generator_changed(self) -> None:
        if self._updating:
            return
        self._update_rows()
        self._on_edited()

    def _on_edited(self) -> None:
        if not self._updating:
            self._timer.start()  # restarts: only the last of a burst of edits rebuilds

    def _on_debounced(self) -> None:
        self._rebuild()

    def _on_choose_file(self) -> bool:
        kind = self._kind()
        spec = kind_spec(kind)
        _, caption, file_filter = spec.file_dialog
        path = self._ask_open_path(caption, file_filter)
        if not path:
            return False
        self._paths[kind] = path
        self._sources[kind] = "file"
        self._updating = True
        set_combo_value(self.source_combo, "file")
        self._updating = False
        self._update_rows()
        self._rebuild()  # a CSV's columns are read there too, in the background
        return True

    def _on_apply_paste(self) -> None:
        kind = self._kind()
        if not self._box_cut:  # (a long text's box is read-only: the whole text stays as it was)
            self._pasted[kind] = self.paste_edit.toPlainText()
        if not self._pasted[kind].strip():
            self._refuse("the box is empty: paste or type something first")
            return
        self._rebuild()

    # -- building the task ----------------------------------------------------------------------------
    def _rebuild(self, emit: bool | str = True, candidate: DataConfig | None = None) -> None:
        """Build the task the controls describe, in the background; ``_on_loaded`` adopts it.
        ``emit``: True (emit ``changed`` if it builds), False (do not) or APPLY (``apply``'s request)."""
        self._timer.stop()
        try:
            cfg = (candidate or self._from_controls()).validate()
        except Exception as e:  # PlaygroundError; anything else is a bug, which must not take the window down
            why = str(e) if isinstance(e, PlaygroundError) else f"unexpected error: {type(e).__name__}: {e}"
            self._refuse(why)
            if emit == APPLY:
                self.applied.emit(why)
            return
        name = Path(cfg.path).name if cfg.source == "file" and cfg.path else ""
        self._loading_text = f"Loading {name}…" if name else "Building the data…"
        self._loader.request(cfg, emit)
        self._show_state()

    def _on_loaded(self, result: Any, emit: bool | str) -> None:
        """The newest request's preview (a DataPreviewed, or its error): adopt and emit it only if it built."""
        cfg = result.config
        self._list_columns(cfg, result.columns)
        if result.error or result.preview is None:
            error = result.error or "unexpected error: no preview came back"
            self._show_error(error)
            if emit == APPLY:
                self.applied.emit(error)
            return
        self._show_error("")
        self._adopt(cfg, result.preview)
        if emit:
            self.changed.emit(cfg)
        if emit == APPLY:
            self.applied.emit("")

    def _list_columns(self, cfg: DataConfig, columns: tuple[Sequence[str], Sequence[str]] | None) -> None:
        """A CSV's columns (every one, the numeric ones; None: unreadable) in the lists; not for other data."""
        if reads_csv_columns(cfg):
            listed = None if columns is None else (list(columns[0]), list(columns[1]))
            self.columns.fill(cfg.path, listed, cfg.column, cfg.inputs)
            self._update_rows()

    def _adopt(self, cfg: DataConfig, preview: DataPreview) -> None:
        self._config = cfg
        self._preview = preview
        self.preview_box.show_preview(preview)
        self._show_state()

    def _on_loading(self, loading: bool) -> None:
        if loading:
            self._loading_timer.start()
        else:
            self._loading_timer.stop()
            self._show_state()

    def _refuse(self, text: str) -> None:
        """Say why nothing is built; a build still running for an earlier edit is forgotten."""
        self._loader.cancel()
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        set_error(self.error, panel_words(text))
        self._show_state()

    def _show_state(self) -> None:
        """The preview's title: loading (once a build takes a while), or still showing older data."""
        loading = self._loading_text if self.busy and not self._loading_timer.isActive() else ""
        self.preview_box.set_state(loading, stale=bool(self.error.text()) and self._preview is not None)
