"""The embedding map's neighbours are named, not only drawn: each picture has an
accessible name ("Neighbour 1: Image 2 of 5 (item 2): b"), and the map's description
lists them ("Neighbours: item 2 (b), …"). Their names and classes were in tooltips only."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAccessible

from ssl_studio.core.evaluation.embedding_map import EmbeddingMap
from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.panels.map_neighbours import neighbour_words

from gui_helpers import import_shapes

XY = np.array([[0, 0], [1, 0], [5, 0], [0, 9], [9, 9]], np.float32)


def test_the_chosen_dot_s_neighbours_are_named_and_listed(make_window, project, tmp_path):
    window = make_window(import_shapes(project, tmp_path, n=5))
    window.show_step(4)
    panel = window.map
    view = DatasetView.open(project, "shapes")
    ids = [int(item["id"]) for item in view.items]
    vectors = XY.copy()  # neighbours by distance in this plane: 1, 2, 3, 4 from dot 0
    panel._computed((EmbeddingMap(ids, XY, vectors, ["a", "b", "", "a", "b"], "pca"), view))
    found = panel.choose(0)
    assert found[:2] == [ids[1], ids[2]]
    pictures = panel.neighbours.labels
    said = QAccessible.queryAccessibleInterface(pictures[0]).text(QAccessible.Text.Name)
    assert said == f"Neighbour 1: Image 2 of 5 (item {ids[1]}): b"
    assert pictures[1].accessibleName() == f"Neighbour 2: Image 3 of 5 (item {ids[2]}): unlabeled"
    assert pictures[-1].accessibleName() == ""  # 4 neighbours, 8 slots: the rest empty
    described = panel.plot.accessibleDescription()
    assert f"Neighbours: item {ids[1]} (b), item {ids[2]} (unlabeled), " in described
    panel._forget()
    assert all(p.accessibleName() == "" for p in pictures)
    assert "Neighbours" not in panel.plot.accessibleDescription()


def test_neighbours_in_words():
    assert neighbour_words([(63, "normal"), (12, "unlabeled")]) == (
        "Neighbours: item 63 (normal), item 12 (unlabeled)."
    )
    assert neighbour_words([]) == ""
