"""The item viewer: an image with window presets and window/level by mouse drag, or a
multi-channel series plot; and the item's non-identifying metadata."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.viewing import (
    WINDOW_PRESETS,
    DatasetView,
    apply_window,
    drag_window,
    safe_metadata,
    window_of,
)
from ssl_studio.gui.live_plot import COLOURS
from ssl_studio.gui.pictures import to_pixmap
from ssl_studio.gui.tables import fill_table, make_table

DEFAULT = next(iter(WINDOW_PRESETS))


class ImageCanvas(QWidget):
    """Paints a picture scaled to fit; a left-button drag reports (dx, dy) in pixels."""

    dragged = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self.pixmap = QPixmap()
        self.setMinimumSize(240, 240)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip("Drag: left/right changes the window width, up/down the level.")
        self._last: QPoint | None = None

    def set_picture(self, picture: np.ndarray) -> None:
        self.pixmap = to_pixmap(picture)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.pixmap.isNull():
            return
        side = min(self.width(), self.height())
        target = QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, self.pixmap)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = event.position().toPoint()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._last is not None:
            now = event.position().toPoint()
            delta = now - self._last
            self._last = now
            if delta.x() or delta.y():
                self.dragged.emit(delta.x(), delta.y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._last = None


class ItemViewer(QWidget):
    """Shows one item of a DatasetView: picture or series, window controls, metadata."""

    def __init__(self) -> None:
        super().__init__()
        self.view: DatasetView | None = None
        self.row = -1
        self.values: np.ndarray | None = None  # real units [S, S] of the shown grey image
        self.center = self.width_ = 0.0
        self.title = QLabel("Select an item to view it.")
        self.title.setWordWrap(True)
        self.preset = QComboBox()
        self.preset.addItems(list(WINDOW_PRESETS))
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.window_label = QLabel()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Window"))
        controls.addWidget(self.preset, 1)
        controls.addWidget(self.window_label)
        self.canvas = ImageCanvas()
        self.canvas.dragged.connect(self._dragged)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setLabel("bottom", "time step")
        self.plot.addLegend()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.plot)
        self.metadata = make_table(("Fact", "Value"))
        self.metadata.setMaximumHeight(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        self.controls = QWidget()
        self.controls.setLayout(controls)
        layout.addWidget(self.controls)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.metadata)

    def show_item(self, view: DatasetView, row: int) -> None:
        self.view, self.row = view, row
        item = view.items[row]
        self.title.setText(f"<b>Item {item['id']}</b> of dataset '{view.name}'")
        fill_table(self.metadata, [[k, v] for k, v in safe_metadata(item).items()])
        if view.modality == "timeseries":
            self.controls.hide()
            self._show_series(view, row)
            return
        self.controls.show()
        self.stack.setCurrentWidget(self.canvas)
        image = view.image(row)
        grey = image.shape[0] == 1 or item["source_kind"] == "dicom"
        self.values = image.mean(axis=0) if grey else None
        self.preset.setEnabled(grey)
        if grey:
            self._set_window(*window_of(item, self.preset.currentText()))
        else:
            self.window_label.setText("colour image")
            self.canvas.set_picture(view.display(row))

    def _show_series(self, view: DatasetView, row: int) -> None:
        self.stack.setCurrentWidget(self.plot)
        self.plot.clear()
        values, mask = view.series(row)
        for c, (channel, seen) in enumerate(zip(values, mask, strict=True)):
            y = np.where(seen, channel, np.nan)
            pen = pg.mkPen(COLOURS[c % len(COLOURS)], width=1.5)
            self.plot.plot(y, pen=pen, name=f"channel {c + 1}", connect="finite")

    def _preset_chosen(self, preset: str) -> None:
        if self.view is not None and self.values is not None:
            self._set_window(*window_of(self.view.items[self.row], preset))

    def _dragged(self, dx: int, dy: int) -> None:
        if self.values is None or self.view is None:
            return
        item = self.view.items[self.row]
        span = float(item["p_high"]) - float(item["p_low"])
        self._set_window(*drag_window(self.center, self.width_, dx, dy, span))

    def _set_window(self, center: float, width: float) -> None:
        assert self.values is not None
        self.center, self.width_ = center, width
        self.window_label.setText(f"C {center:.0f}  W {width:.0f}")
        self.canvas.set_picture(apply_window(self.values, center, width))
