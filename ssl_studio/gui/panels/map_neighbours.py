"""The embedding map's chosen dot's nearest neighbours: their pictures beside the map, each
named for a screen reader ("Neighbour 1: Image 3 of 40 (item 63), normal"), and the same
neighbours in words for the map's description ("Neighbours: item 63 (normal), …"). The
pictures alone told a screen-reader user nothing; the names were in tooltips only."""

from __future__ import annotations

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel

from ssl_studio.gui.markup import tip

PICTURE = 72  # px, each picture's square
PER_ROW = 4


def neighbour_words(neighbours: list[tuple[int, str]]) -> str:
    """``neighbours``' (item id, label) in a sentence: "Neighbours: item 63 (normal),
    item 12 (unlabeled)." ("" for none)."""
    if not neighbours:
        return ""
    return "Neighbours: " + ", ".join(f"item {i} ({label})" for i, label in neighbours) + "."


class NeighbourPictures:
    """``count`` picture slots in a grid (``grid``, for the panel's layout)."""

    def __init__(self, count: int) -> None:
        self.grid = QGridLayout()
        self.labels: list[QLabel] = []
        for i in range(count):
            label = QLabel()
            label.setFixedSize(PICTURE, PICTURE)
            self.grid.addWidget(label, i // PER_ROW, i % PER_ROW)
            self.labels.append(label)

    def show(self, pictures: list[tuple[QPixmap, str]]) -> None:
        """Each (picture, what it is: "Image 3 of 40 (item 63): normal") in its slot, in
        order; the slots left over empty."""
        for slot, label in enumerate(self.labels):
            if slot < len(pictures):
                pixmap, said = pictures[slot]
                label.setPixmap(pixmap)
                label.setToolTip(tip(said))
                label.setAccessibleName(f"Neighbour {slot + 1}: {said}")
            else:
                label.clear()
                label.setToolTip("")
                label.setAccessibleName("")

    def clear(self) -> None:
        self.show([])
