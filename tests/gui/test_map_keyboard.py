"""The Map without a mouse: Tab reaches the plot, Home picks the first item, the arrow keys
move to the nearest dot in that direction on screen, Enter opens the chosen one."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ssl_studio.core.evaluation.embedding_map import EmbeddingMap
from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.panels.map_keys import ARROWS, nearest_in_direction

from gui_helpers import import_shapes

# a plus sign: the centre, then right, left, up (far), down (near)
XY = np.array([[0, 0], [2, 0], [-2, 0], [0, 2], [0, -1]], np.float32)


def test_the_arrow_keys_choose_dots_and_enter_opens_one(qtbot, make_window, project, tmp_path):
    window = make_window(import_shapes(project, tmp_path, n=5))
    window.show_step(4)
    panel = window.map
    view = DatasetView.open(project, "shapes")
    ids = [int(item["id"]) for item in view.items]
    vectors = np.eye(5, dtype=np.float32)
    labels = ["a", "b", "", "a", "b"]
    panel._computed((EmbeddingMap(ids, XY, vectors, labels, "pca"), view))
    plot = panel.plot
    assert plot.focusPolicy() & Qt.FocusPolicy.TabFocus and plot.accessibleName()
    plot.setFocus()
    qtbot.waitUntil(plot.hasFocus)
    frame = plot.grab().toImage().pixelColor(0, 0)  # a frame shows where the keys go
    assert frame == plot.palette().highlight().color()

    def press(key: Qt.Key) -> int | None:
        QTest.keyClick(plot, key)
        return panel.selected_item

    assert press(Qt.Key.Key_Home) == ids[0]
    assert "Image 1 of 5" in panel.chosen.text() and panel.open_button.isEnabled()
    assert "Chosen: Image 1 of 5 (item 1), a." in plot.accessibleDescription()
    assert press(Qt.Key.Key_Right) == ids[1]
    assert press(Qt.Key.Key_Right) == ids[1]  # nothing further right: it stays
    assert press(Qt.Key.Key_Left) == ids[0]
    assert press(Qt.Key.Key_Left) == ids[2]
    assert "(unlabeled)" in panel.chosen.text() and "unlabeled." in plot.accessibleDescription()
    assert press(Qt.Key.Key_Right) == ids[0]
    assert press(Qt.Key.Key_Up) == ids[3]
    assert press(Qt.Key.Key_Down) == ids[0]  # the centre is nearer than the dot below it
    assert press(Qt.Key.Key_Down) == ids[4]
    assert panel.marked is not None and panel.marked[0] == 4  # ringed as after a click
    panel.colour_by.setCurrentText("folder")  # the side text names the group too
    assert "(b; folder: " in panel.chosen.text() and "b; folder: " in plot.accessibleDescription()
    QTest.keyClick(plot, Qt.Key.Key_Return)
    assert window.nav.currentRow() == 0  # the Data step, with the item in the viewer
    assert "Image 5 of 5 (item 5)" in window.data.viewer.title.text()


def test_an_arrow_goes_to_the_nearest_dot_that_way_else_to_any_on_that_side():
    screen = np.array([[0, 0], [10, 1], [3, 2.5], [1, 8], [-5, -30]], np.float64)  # y down
    right, down = ARROWS[Qt.Key.Key_Right], ARROWS[Qt.Key.Key_Down]
    assert nearest_in_direction(screen, 0, right) == 2  # within 45°, nearer than dot 1
    assert nearest_in_direction(screen, 0, down) == 3
    assert nearest_in_direction(screen, 3, ARROWS[Qt.Key.Key_Left]) == 0  # none within 45°
    assert nearest_in_direction(screen, 4, ARROWS[Qt.Key.Key_Left]) is None  # none that side
    assert nearest_in_direction(screen, 1, down) == 2  # only on that side: the nearest there
    assert nearest_in_direction(screen, 4, ARROWS[Qt.Key.Key_Up]) is None
