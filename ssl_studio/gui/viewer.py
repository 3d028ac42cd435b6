"""The item viewer: an image with window presets and window/level by mouse drag or arrow keys, or a
multi-channel series plot; and the item's non-identifying metadata.

Images come from the import cache at once; with *Full resolution* ticked, the original file
is then read again off the GUI thread (background_read.py: the window never waits on a large
file) and replaces the cached picture when it arrives, unless another item was chosen
meanwhile."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.viewing import (
    WINDOW_PRESETS,
    DatasetView,
    apply_window,
    drag_window,
    fact_title,
    in_hounsfield,
    is_grey,
    safe_metadata,
    series_axes,
    to_display,
    window_number,
    window_of,
)
from ssl_studio.gui.background_read import BackgroundReader
from ssl_studio.gui.live_plot import curve_pen, on_white
from ssl_studio.gui.markup import esc, plain, rich
from ssl_studio.gui.pictures import to_pixmap
from ssl_studio.gui.tables import fill_table, make_table

DEFAULT = next(iter(WINDOW_PRESETS))
CHOOSE = "Select an item to view it."
LEGEND_COLUMNS = 4  # channel names per row above a series
LEGEND_MOST = 15  # channels named (more: "+N more")
KEY_STEP = 10  # an arrow key moves the window as a drag of this many pixels (2 % of the range)
SHIFT_STEP = 50  # with Shift (10 % of the range)
# an arrow key as a drag (dx, dy): Right widens the window, Up raises its centre
KEY_DRAG = {
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Up: (0, 1),
    Qt.Key.Key_Down: (0, -1),
}


class ImageCanvas(QWidget):
    """Paints a picture scaled to fit; a left-button drag reports (dx, dy) in pixels, and so
    does an arrow key (KEY_DRAG, times KEY_STEP, or SHIFT_STEP with Shift): the window can
    be set without a mouse."""

    dragged = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self.pixmap = QPixmap()
        self.setMinimumSize(240, 240)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip(
            "Drag: left/right changes the window width, up/down the level. Keys: Left/Right "
            "narrow or widen the window, Up/Down raise or lower its centre (Shift: bigger steps)."
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Image")
        self.describe("")
        self._last: QPoint | None = None

    def describe(self, window: str) -> None:
        """Tell a screen reader the window shown ("centre 40 HU, width 400 HU"; "" for none)
        and the keys that change it."""
        keys = self.toolTip().split(". ", 1)[1]
        self.setAccessibleDescription(
            f"The chosen item, window {window}. {keys}" if window else f"The chosen item. {keys}"
        )

    def set_picture(self, picture: np.ndarray) -> None:
        self.pixmap = to_pixmap(picture)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if not self.pixmap.isNull():
            fit = self.pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            corner = QPoint((self.width() - fit.width()) // 2, (self.height() - fit.height()) // 2)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(QRect(corner, QSize(fit)), self.pixmap)
        if self.hasFocus():  # where the arrow keys go
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        direction = KEY_DRAG.get(Qt.Key(event.key()))
        if direction is None:
            super().keyPressEvent(event)
            return
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        step = SHIFT_STEP if shift else KEY_STEP
        self.dragged.emit(direction[0] * step, direction[1] * step)

    def focusInEvent(self, event: Any) -> None:  # noqa: N802
        super().focusInEvent(event)
        self.update()  # the focus frame

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.update()

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
        # the original file at full resolution; only the newest item's answer arrives
        self.source_reader = BackgroundReader(self)
        self.source_reader.arrived.connect(self._source_arrived)
        self.values: np.ndarray | None = None  # real units [H, W] of the shown grey image
        self.center = self.width_ = 0.0
        self.title = rich(QLabel())  # names in it escaped
        self.title.setWordWrap(True)
        self.placeholder = QLabel(CHOOSE)  # until an item is chosen: no black box, no controls
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)  # greyed, as a hint
        self.preset = QComboBox()
        self.preset.addItems(list(WINDOW_PRESETS))
        # (as wide as there is room for, elided below: the Data page fits 1024 px screens)
        self.preset.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.preset.setMinimumContentsLength(10)
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.window_label = QLabel()
        self.full_res = QCheckBox("Full resolution")
        self.full_res.setToolTip(
            "Read the original file again at its own size (the thumbnails and the training "
            "use the cached copy, which is smaller)."
        )
        self.full_res.toggled.connect(self._reshow)
        self.resolution = plain(QLabel())  # (why a file cannot be read: as written)
        self.resolution.setWordWrap(True)
        controls = QHBoxLayout()
        window_title = QLabel("&Window")  # Alt+W: the preset list
        window_title.setBuddy(self.preset)
        controls.addWidget(window_title)
        controls.addWidget(self.preset, 1)
        controls.addWidget(self.window_label)
        controls.addWidget(self.full_res)
        self.canvas = ImageCanvas()
        self.canvas.dragged.connect(self._dragged)
        self.plot = pg.PlotWidget()
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot.setAccessibleName("Series")
        self.plot.setAccessibleDescription("The chosen series: one curve per channel over time.")
        on_white(self.plot)
        self.plot.setLabel("bottom", "time step")
        # the channels' names above the curves, not over them
        self.legend = pg.LegendItem(colCount=LEGEND_COLUMNS, labelTextColor="#222")
        self.legend.setParentItem(self.plot.getPlotItem())
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(40, 0))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.placeholder)
        self.metadata = make_table(("Fact", "Value"))
        self.metadata.setAccessibleName("Facts about the item")
        self.metadata.setMaximumHeight(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        self.controls = QWidget()
        self.controls.setLayout(controls)
        layout.addWidget(self.controls)
        layout.addWidget(self.resolution)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.metadata)
        self.clear()

    def clear(self, note: str = CHOOSE) -> None:
        """Show nothing but ``note`` (another dataset or project was opened, or there is
        nothing to view): no picture, no window controls, no facts."""
        self.view, self.row, self.values = None, -1, None
        self.source_reader.forget()  # a full-resolution read still on its way is dropped
        self.title.setText("")
        self.title.hide()
        self.controls.hide()
        self.resolution.hide()
        self.metadata.hide()
        self.placeholder.setText(note)
        self.stack.setCurrentWidget(self.placeholder)
        self.window_label.setText("")
        self.resolution.setText("")
        self.metadata.setRowCount(0)
        self.canvas.pixmap = QPixmap()
        self.canvas.describe("")
        self.canvas.update()
        self.plot.clear()

    def show_item(self, view: DatasetView, row: int) -> None:
        self.view, self.row = view, row
        self.source_reader.forget()  # (the one shown before)
        item = view.item(row)  # all its columns (the view may hold only the grid's)
        self.title.show()
        self.metadata.show()
        where = html.escape(str(item.get("rel_path") or ""))  # stored redacted
        self.title.setText(
            f"<b>{esc(view.item_name(row))}</b> in dataset '{html.escape(view.name)}'"
            + (f": {where}" if where else "")
        )
        series = view.modality == "timeseries"
        rows = [
            [
                "File format" if series and k == "modality" else fact_title(k),
                ", ".join(str(_fact(x)) for x in v) if isinstance(v, list) else _fact(v),
            ]
            for k, v in safe_metadata(item).items()
        ]
        fill_table(self.metadata, rows)
        if view.modality == "timeseries":
            self.controls.hide()
            self.resolution.hide()
            self._show_series(view, row)
            return
        self.controls.show()
        self.resolution.show()
        self.stack.setCurrentWidget(self.canvas)
        image = view.image(row)
        self._show_values(image)
        self.preset.setEnabled(is_grey(item) and in_hounsfield(item))  # presets are HU
        size = f"{item['width']} x {item['height']} px"
        if not self.full_res.isChecked():
            self.resolution.setText(f"Cached copy ({image.shape[-1]} px); the original is {size}.")
            return
        self.resolution.setText(f"Reading the original file ({size})…")
        self.source_reader.read(lambda: read_source(view, row))

    def _source_arrived(self, answer: tuple[np.ndarray | None, str] | None) -> None:
        """The original of the item shown (values [C, H, W], or None and why not)."""
        if self.view is None:
            return
        values, why = answer or (None, "The original file could not be read.")
        if values is None:
            self.resolution.setText(why)
            return
        self._show_values(values, keep_window=True)  # a window dragged meanwhile stays
        self.resolution.setText(
            f"Full resolution: {values.shape[2]} x {values.shape[1]} px from the original file."
        )

    def _show_values(self, values: np.ndarray, keep_window: bool = False) -> None:
        """Show an image of the current item (real units [C, H, W], cached or original)."""
        assert self.view is not None
        item = self.view.items[self.row]
        if is_grey(item):
            self.values = values.mean(axis=0)
            window = (self.center, self.width_) if keep_window else None
            self._set_window(*(window or window_of(item, self.preset.currentText())))
        else:
            self.values = None
            self.window_label.setText("colour image")
            self.canvas.describe("")
            self.canvas.set_picture(to_display(values, item))

    def _reshow(self) -> None:
        if self.view is not None and self.row >= 0:
            self.show_item(self.view, self.row)

    def _show_series(self, view: DatasetView, row: int) -> None:
        self.stack.setCurrentWidget(self.plot)
        self.plot.clear()
        values, mask = view.series(row)
        names, rate = series_axes(view.item(row), len(values))
        steps = np.arange(values.shape[1], dtype=np.float64)
        x = steps / rate if rate else steps  # seconds when the sampling rate is known
        self.plot.setLabel("bottom", "time (s)" if rate else "time step")
        self.legend.clear()
        for c, (channel, seen) in enumerate(zip(values, mask, strict=True)):
            y = np.where(seen, channel, np.nan)
            pen = curve_pen(c, width=1.5)
            name = esc(names[c])  # a column's name, in the legend's markup
            curve = self.plot.plot(x, y, pen=pen, name=name, connect="finite")
            if c < LEGEND_MOST:
                self.legend.addItem(curve, name)
        if len(values) > LEGEND_MOST:  # (a note, not a curve: a blank sample line)
            self.legend.addItem(pg.PlotDataItem(pen=None), f"+{len(values) - LEGEND_MOST} more")
        self.legend.updateSize()  # (its rows' height, in the current font)
        height = self.legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).height()
        self.plot.getPlotItem().layout.setContentsMargins(0, height + 4, 0, 0)

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
        unit = " HU" if self.view is not None and in_hounsfield(self.view.items[self.row]) else ""
        c, w = window_number(center), window_number(width)
        self.window_label.setText(f"C {c}{unit}  W {w}{unit}")
        self.canvas.describe(f"centre {c}{unit}, width {w}{unit}")
        self.canvas.set_picture(apply_window(self.values, center, width))


def read_source(view: DatasetView, row: int) -> tuple[np.ndarray | None, str]:
    """The original file of item ``row`` (values [C, H, W]), or None and why not (any
    thread)."""
    try:
        return view.source_image(row), ""
    except SSLStudioError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - the viewer must survive any file
        # the type only: a reader's text may quote the file's header
        return None, f"The original file could not be read ({type(exc).__name__})."


def _fact(value: object) -> object:
    """A fact as shown: a float to 4 significant digits (121.26250000000005 reads
    121.3, as the window controls show it); other values as they are."""
    return f"{value:.4g}" if isinstance(value, float) else value
