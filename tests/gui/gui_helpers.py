"""Helpers of the GUI tests: real drag-and-drop events, a small imported dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data


def drop(widget, paths: list[Path]) -> None:
    """Send a real drag-enter and drop of ``paths`` to ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(widget.width() / 2, widget.height() / 2)
    action = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(point, action, mime, buttons, modifiers))


def import_shapes(project: Path, tmp_path: Path, n: int = 4) -> Path:
    """``project`` after importing ``n`` flat grey 16 px PNGs as dataset 'shapes' (grey
    levels 0, 40, 80, ... wrapping at 256)."""
    folder = tmp_path / "shapes"
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((16, 16), 40 * i % 256, np.uint8)).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    return project
