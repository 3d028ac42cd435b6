"""Choosing the Map's dots without a mouse: an arrow key moves to the nearest dot in that
direction on screen (the map's x and y axes need not share a scale)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

# an arrow key as a direction on screen (x right, y down)
ARROWS = {
    Qt.Key.Key_Left: (-1.0, 0.0),
    Qt.Key.Key_Right: (1.0, 0.0),
    Qt.Key.Key_Up: (0.0, -1.0),
    Qt.Key.Key_Down: (0.0, 1.0),
}
HOW_TO_KEYS = (
    "Arrow keys move to the nearest dot in that direction, Home picks the first item, "
    "Enter opens the chosen one in the viewer."
)
FOCUS_FRAME = (
    "QGraphicsView { border: 2px solid transparent; }"
    "QGraphicsView:focus { border: 2px solid palette(highlight); }"
)


def on_screen(plot: pg.PlotWidget, xy: np.ndarray) -> np.ndarray:
    """xy [N, 2] in the plot's units -> [N, 2] in screen pixels (x right, y down)."""
    box = plot.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = box.viewRange()
    sx = max(box.width(), 1.0) / max(x1 - x0, 1e-12)
    sy = max(box.height(), 1.0) / max(y1 - y0, 1e-12)
    x = (xy[:, 0] - x0) * sx
    y = (xy[:, 1] - y0) * sy
    return np.stack([-x if box.xInverted() else x, y if box.yInverted() else -y], axis=1).astype(
        np.float64
    )


def nearest_in_direction(
    screen: np.ndarray, current: int, direction: tuple[float, float]
) -> int | None:
    """The dot nearest to dot ``current`` among those within 45° of ``direction``, else
    among those on that side of it; None when there is none. screen: [N, 2] pixels."""
    offset = screen - screen[current]
    along = offset @ np.array(direction)
    across = np.abs(offset @ np.array([-direction[1], direction[0]]))
    distance = np.hypot(offset[:, 0], offset[:, 1])
    for wanted in ((along > 0) & (along >= across), along > 0):
        if wanted.any():
            found = np.flatnonzero(wanted)
            return int(found[np.argmin(distance[found])])
    return None
