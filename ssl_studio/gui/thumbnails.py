"""A virtualised thumbnail grid: the model makes a thumbnail only when the view asks for it.

The view (QListView in icon mode, uniform item sizes) asks only for the rows on screen, and
the model keeps the newest few thousand pixmaps, so 100 000 items scroll as fast as 100.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QListView, QStyle

from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.colours import tone
from ssl_studio.gui.markup import tip
from ssl_studio.gui.pictures import to_pixmap

THUMB = 72
KEEP = 3000  # pixmaps kept in memory (about 15 MB at 72 px)
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


class ThumbnailModel(QAbstractListModel):
    """Rows are the items of one DatasetView; labels (item id -> class) tint the caption."""

    def __init__(self) -> None:
        super().__init__()
        self.view: DatasetView | None = None
        self.labels: dict[int, str] = {}
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self.made = 0  # thumbnails made so far (the benchmark of laziness)

    def set_view(self, view: DatasetView | None, labels: dict[int, str] | None = None) -> None:
        self.beginResetModel()
        self.view = view
        self.labels = dict(labels or {})
        self._cache.clear()
        self.endResetModel()

    def set_labels(self, labels: dict[int, str]) -> None:
        self.labels = dict(labels)
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if self.view is None or parent.isValid() else len(self.view.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.view is None or not index.isValid():
            return None
        row = index.row()
        item = self.view.items[row]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.labels.get(int(item["id"]), "") or f"#{item['id']}"
        if role == Qt.ItemDataRole.ToolTipRole:
            label = self.labels.get(int(item["id"]))
            name = f"{self.view.item_name(row)}, {item['modality']}"
            return tip(name + (f": {label}" if label else ""))  # (a name may look like HTML)
        if role == Qt.ItemDataRole.AccessibleTextRole:  # what a screen reader says
            label = self.labels.get(int(item["id"])) or "unlabeled"
            return f"{self.view.item_name(row)}: {label}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return str(item["modality"])
        if role == Qt.ItemDataRole.ForegroundRole and self.labels.get(int(item["id"])):
            return QColor(tone("blue"))  # (the application's palette: a model has none)
        if role == ITEM_ID_ROLE:
            return int(item["id"])
        return None

    def _pixmap(self, row: int) -> QPixmap:
        pixmap = self._cache.get(row)
        if pixmap is not None:
            self._cache.move_to_end(row)
            return pixmap
        assert self.view is not None
        pixmap = to_pixmap(self.view.thumbnail(row, THUMB), THUMB)
        self.made += 1
        self._cache[row] = pixmap
        if len(self._cache) > KEEP:
            self._cache.popitem(last=False)
        return pixmap


def thumbnail_view(model: ThumbnailModel) -> QListView:
    """An icon grid over ``model`` that lays out in batches and never measures every item."""
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(500)
    view.setIconSize(QSize(THUMB, THUMB))
    view.setGridSize(QSize(THUMB + 16, THUMB + 24))
    view.setSpacing(2)
    view.setWordWrap(False)
    view.setModel(model)
    return view


def columns_width(view: QListView, columns: int) -> int:
    """The width that shows ``columns`` whole columns of ``view``'s grid beside its scroll
    bar (a minimum width: squeezed further, the grid was one column cut at its right)."""
    spacing = view.spacing()
    scroll_bar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
    cells = columns * (view.gridSize().width() + spacing) + spacing
    return cells + scroll_bar + 2 * view.frameWidth() + 2


GridPlace = tuple[str, int | None, int]  # (dataset, the chosen item's id, the scroll)


def grid_place(view: QListView, model: ThumbnailModel) -> GridPlace | None:
    """Where the user is in ``view``'s grid of ``model``'s dataset: its name, the chosen
    item's id (None: none chosen) and how far the grid is scrolled; None: none shown."""
    if model.view is None:
        return None
    current = view.currentIndex()
    chosen = model.view.item_id(current.row()) if current.isValid() else None
    return model.view.name, chosen, view.verticalScrollBar().value()


def go_back(view: QListView, model: ThumbnailModel, place: GridPlace | None) -> None:
    """Choose the item ``place`` chose again and scroll as it was, when ``model`` shows
    the same dataset (read again: the item may have moved, or gone)."""
    if place is None or model.view is None or model.view.name != place[0]:
        return
    row = model.view.row_of(place[1]) if place[1] is not None else None
    if row is not None and row < model.rowCount():
        view.setCurrentIndex(model.index(row))
    view.doItemsLayout()  # (the scroll bar's range, for the rows now in the model)
    view.verticalScrollBar().setValue(place[2])
