"""The columns of a CSV series: the target the model forecasts, and the input columns it sees beside it.

Both are filled from the CSV's header once the file has been read (in the background, by the data
panel's loader). Only columns of numbers are offered; the target is never offered as an input. The
data panel turns the choice into ``DataConfig.column`` and ``DataConfig.inputs``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QSizePolicy

from playground.core.data.series_io import likely_price_column, split_inputs
from playground.ui.panels._common import choice_combo, combo_value, set_combo_value

TIPS = {
    "column": "Which column of the CSV file holds the series: the one the model forecasts. "
    "Only columns with numbers are listed.",
    "inputs": "Other columns the model sees beside the series at every step (tick them): a rate, "
    "a volume, a temperature. Each is scaled on its own (mean 0, spread 1 over the training part) "
    "and the scaling is saved with the model. When forecasting past the data, they stay at their "
    "last values.",
}
_ROWS_SHOWN = 3  # the inputs list shows this many rows before it scrolls


class CsvColumns:
    """The target combo box and the checkable list of input columns, for one CSV file at a time."""

    def __init__(self, on_edit: Callable[[], None]) -> None:
        """``on_edit``: called when the user changes the target or ticks an input."""
        self._on_edit = on_edit
        self.path_read = ""  # the CSV whose columns are listed
        self.target_combo = choice_combo((), TIPS["column"])
        self.inputs_list = QListWidget()
        self.inputs_list.setToolTip(TIPS["inputs"])
        self.inputs_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.inputs_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row = self.inputs_list.fontMetrics().height() + 6
        self.inputs_list.setFixedHeight(row * _ROWS_SHOWN + 2 * self.inputs_list.frameWidth())
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        self.inputs_list.itemChanged.connect(lambda _item: self._on_edit())

    # -- what is chosen ---------------------------------------------------------------------------
    def listed(self, path: str) -> bool:
        """Whether the boxes list ``path``'s columns (else a new file's are still being read)."""
        return bool(self.target_combo.count()) and self.path_read == path

    def target(self) -> str:
        return combo_value(self.target_combo) or ""

    def inputs(self) -> str:
        """The ticked input columns, comma-separated, in the file's order."""
        return ",".join(
            item.data(Qt.ItemDataRole.UserRole)
            for item in self._items()
            if not item.isHidden() and item.checkState() == Qt.CheckState.Checked
        )

    def _items(self) -> list[QListWidgetItem]:
        return [self.inputs_list.item(i) for i in range(self.inputs_list.count())]

    # -- filling ------------------------------------------------------------------------------------
    def fill(self, path: str, columns: tuple[list[str], list[str]] | None, target: str, inputs: str) -> None:
        """List a CSV's numeric columns (``None``: unreadable), choosing ``target`` and ticking ``inputs``."""
        ticked = set(split_inputs(inputs))
        self.target_combo.blockSignals(True)
        self.inputs_list.blockSignals(True)
        try:
            self.target_combo.clear()
            self.inputs_list.clear()
            self.path_read = path
            if columns is None:
                return
            names, numeric = columns
            for name in numeric:
                self.target_combo.addItem(name, name)
                i = self.target_combo.count() - 1
                self.target_combo.setItemData(i, f"column '{name}'", Qt.ItemDataRole.ToolTipRole)
                item = QListWidgetItem(name)
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                checked = name in ticked
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                item.setToolTip(f"Let the model see column '{name}' beside the series")
                self.inputs_list.addItem(item)
            if numeric:
                set_combo_value(self.target_combo, target if target in numeric else likely_price_column(numeric))
            others = [n for n in names if n not in numeric]
            note = f"\n\nAll columns: {', '.join(names)}"
            if others:
                note += f"\nNot numbers (not offered): {', '.join(others)}"
            self.target_combo.setToolTip(TIPS["column"] + note)
            self.inputs_list.setToolTip(TIPS["inputs"] + note)
        finally:
            self.target_combo.blockSignals(False)
            self.inputs_list.blockSignals(False)
        self._hide_target()

    def _hide_target(self) -> None:
        """The target is always seen: it is not offered (nor ticked) as an input."""
        target = self.target()
        self.inputs_list.blockSignals(True)
        try:
            for item in self._items():
                is_target = item.data(Qt.ItemDataRole.UserRole) == target
                item.setHidden(is_target)
                if is_target:
                    item.setCheckState(Qt.CheckState.Unchecked)
        finally:
            self.inputs_list.blockSignals(False)

    def _on_target_changed(self) -> None:
        self._hide_target()
        self._on_edit()
