"""What a screen reader (Orca, NVDA) says for the thumbnail grid's items."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible

from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.thumbnails import ThumbnailModel, thumbnail_view

from gui_helpers import import_shapes


def test_a_thumbnail_is_announced_by_its_place_its_id_and_its_class(qtbot, project, tmp_path):
    view = DatasetView.open(import_shapes(project, tmp_path), "shapes")
    model = ThumbnailModel()
    model.set_view(view, {int(view.items[0]["id"]): "normal"})
    said = [model.data(model.index(row), Qt.ItemDataRole.AccessibleTextRole) for row in (0, 1)]
    assert said == ["Image 1 of 4 (item 1): normal", "Image 2 of 4 (item 2): unlabeled"]
    described = model.data(model.index(0), Qt.ItemDataRole.AccessibleDescriptionRole)
    assert described == view.items[0]["modality"] and described
    grid = thumbnail_view(model)
    qtbot.addWidget(grid)
    grid.show()
    cell = QAccessible.queryAccessibleInterface(grid).child(0)  # what the reader is given
    assert cell.text(QAccessible.Text.Name) == "Image 1 of 4 (item 1): normal"
    assert cell.text(QAccessible.Text.Description) == described
