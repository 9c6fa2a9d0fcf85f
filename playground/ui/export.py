"""Export a plot card as PNG, SVG (pyqtgraph's exporters) or CSV (the numbers behind it).

Every export is written to a temporary file beside the target and renamed over it, so a failed
export never leaves half a file where an earlier one was.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtWidgets import QWidget

from playground.core.errors import PlaygroundError
from playground.core.files import atomic_write
from playground.ui.plots.live_curve import LiveCurve

FORMATS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV numbers (*.csv)"}


def card_views(card: QWidget) -> list[pg.GraphicsView]:
    return card.findChildren(pg.GraphicsView)


def csv_rows(card: QWidget) -> tuple[list[str], list[list]]:
    """The numbers a card draws, as (header, rows): every curve (x, y), or an image matrix."""
    image = getattr(card, "image", None)
    if isinstance(image, pg.ImageItem) and image.image is not None and image.isVisible():
        data = np.asarray(image.image)
        header = ["row"] + [f"t={t}" for t in range(data.shape[1])]
        return header, [[i, *(f"{v:.6g}" for v in row)] for i, row in enumerate(data)]
    header: list[str] = []
    columns: list[np.ndarray] = []
    for view in card_views(card):
        for item in view.items():
            if isinstance(item, pg.PlotDataItem | LiveCurve) and item.isVisible():
                x, y = item.getOriginalDataset()
                if x is None or len(x) == 0:
                    continue
                name = item.name() or f"curve {len(columns) // 2 + 1}"
                header += [f"{name} x", f"{name} y"]
                columns += [np.asarray(x), np.asarray(y)]
    if not columns:
        raise PlaygroundError("this plot has nothing to export yet: train a few steps first")
    n = max(len(c) for c in columns)
    rows = [[(f"{c[i]:.8g}" if i < len(c) else "") for c in columns] for i in range(n)]
    return header, rows


def _qt_svg(scene, path: str) -> None:
    """The scene drawn by Qt's own SVG generator (vector, like pyqtgraph's, without its post-processing)."""
    from PySide6.QtCore import QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    rect = scene.sceneRect()
    gen = QSvgGenerator()
    gen.setFileName(path)
    gen.setSize(QSize(int(rect.width()), int(rect.height())))
    gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle("RNN Playground plot")
    painter = QPainter(gen)
    try:
        scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    finally:
        painter.end()


def export_card(card: QWidget, path: str | Path) -> Path:
    """Write ``card`` to ``path``; the suffix (.png, .svg, .csv) picks the format."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise PlaygroundError(f"cannot export to {path.name}: use .png, .svg or .csv")
    if not path.parent.is_dir():
        raise PlaygroundError(f"cannot export to {path}: the folder does not exist")
    # one atomic write for every file the app saves (core/files.py): a failed export leaves the old file
    with atomic_write(path, verb="export", suffix=path.suffix) as target:
        tmp = str(target)
        if fmt == "csv":
            header, rows = csv_rows(card)
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
        else:
            views = card_views(card)
            if not views:
                raise PlaygroundError("this card has no plot to export")
            scene = views[0].scene()
            if fmt == "png":
                exporter = exporters.ImageExporter(scene)
                exporter.parameters()["width"] = max(800, int(views[0].width() * 2))
                exporter.export(tmp)
            else:
                try:
                    exporters.SVGExporter(scene).export(tmp)
                except ValueError:  # pyqtgraph cannot re-read some paths Qt 6 writes: let Qt draw it
                    _qt_svg(scene, tmp)
            if not Path(tmp).exists() or Path(tmp).stat().st_size == 0:
                raise PlaygroundError(f"could not write {path.name}")
    return path
