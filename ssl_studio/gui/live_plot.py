"""LivePlot: a pyqtgraph plot fed from growing buffers and redrawn on a timer (~10 Hz).

Training events append to numpy buffers (cheap, any rate); a QTimer redraws only the curves
that changed since the last frame, so a fast job never floods the GUI thread with repaints.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QPen

REDRAW_MS = 100
FEW_POINTS = 3  # a curve of fewer points is drawn with dots too (a lone health check)
MIN_HEIGHT = 120  # the title, the axes and a few grid lines, even on a small screen
# Okabe–Ito: told apart under the common colour-vision deficiencies (red/green blindness);
# its yellow is left out (faint on the white plots), and its black (the map's ring round
# the chosen dot) gives way to a brown.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#8c564b")
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
SYMBOLS = ("o", "s", "t", "d", "star", "+", "x")  # map groups: a shape each, not only a colour


def curve_pen(index: int, width: float = 2.0) -> QPen:
    """The pen of overlaid curve ``index``: the colours in turn, then again with the next
    dash style, so no two of the first 28 curves look alike."""
    colour = COLOURS[index % len(COLOURS)]
    dash = DASHES[index // len(COLOURS) % len(DASHES)]
    return pg.mkPen(colour, width=width, style=dash)


def add_legend(plot: pg.PlotWidget, **options: object) -> pg.LegendItem:
    """A legend on a pale backing with dark text, readable over the curves it names."""
    return plot.addLegend(brush=pg.mkBrush(255, 255, 255, 210), labelTextColor="#222", **options)


class _Buffer:
    """A growing pair of float64 arrays with amortised O(1) appends."""

    def __init__(self) -> None:
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1


class LivePlot(pg.PlotWidget):
    """A titled plot of named curves; ``append(name, x, y)`` and the timer does the rest."""

    def __init__(
        self,
        title: str,
        x_label: str = "step",
        y_label: str = "",
        *,
        log_y: bool = False,
        legend: bool = True,
        legend_offset: tuple[int, int] = (-10, 10),
    ) -> None:
        """``legend``: name the curves, even a single one (which model, which measure);
        off for a plot whose title already names its only curve. ``legend_offset``: its
        corner (pyqtgraph's offset: negative x from the right, negative y from the bottom);
        top right by default, where falling curves (losses) leave room."""
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes through the controls only
        self.setAccessibleName(title)  # what a screen reader calls it
        self.setAccessibleDescription(
            f"A plot of {y_label or 'values'} against {x_label}; one curve per named series."
        )
        self.setBackground("w")
        self.setTitle(title, color="#333", size="10pt")
        self.setLabel("bottom", x_label)
        if y_label:
            self.setLabel("left", y_label)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLogMode(y=log_y)
        self.setMinimumHeight(MIN_HEIGHT)
        self.getPlotItem().setClipToView(True)
        self.getPlotItem().setDownsampling(auto=True, mode="peak")
        self._legend = None
        self._wants_legend = legend
        self._legend_offset = legend_offset
        self.buffers: dict[str, _Buffer] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._dirty: set[str] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """As low as its minimum (pyqtgraph asks for 400 px): a plot takes the height it
        is given, and a page in a scroll area (screen_fit.scrolling) that sums its plots'
        wishes would otherwise scroll on a screen with room for it all."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumHeight())

    def append(self, name: str, x: float, y: float) -> None:
        if not np.isfinite(y):
            return
        if name not in self.buffers:
            self.buffers[name] = _Buffer()
            if self._legend is None and self._wants_legend:
                self._legend = add_legend(self, offset=self._legend_offset)
                for existing, curve in self.curves.items():
                    self._legend.addItem(curve, existing)
            pen = curve_pen(len(self.buffers) - 1)
            colour = pen.color()
            self.curves[name] = self.plot(
                [], [], pen=pen, name=name, symbolSize=7, symbolBrush=colour, symbolPen=colour
            )
        self.buffers[name].append(x, y)
        self._dirty.add(name)

    def set_curve(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        """Replace a whole curve (for finished runs and overlays)."""
        if name in self.buffers:
            self.buffers[name] = _Buffer()
        for xi, yi in zip(np.asarray(x, float), np.asarray(y, float), strict=True):
            self.append(name, xi, yi)
        self.redraw()

    def points(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        buffer = self.buffers[name]
        return buffer.x[: buffer.n], buffer.y[: buffer.n]

    def clear_curves(self) -> None:
        for curve in self.curves.values():
            self.removeItem(curve)
        if self._legend is not None:
            self._legend.clear()
        self.buffers.clear()
        self.curves.clear()
        self._dirty.clear()

    def reset_view(self, title: str) -> None:
        """No curves: a fresh frame (not the last run's axes) under ``title``, which says
        what to do or why nothing is drawn; the next curves scale the axes again."""
        self.clear_curves()
        self.setTitle(title, color="#333", size="10pt")
        self.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self.getPlotItem().enableAutoRange()

    def redraw(self) -> None:
        for name in self._dirty:
            if name in self.curves:
                x, y = self.points(name)
                curve = self.curves[name]
                curve.setData(x, y)
                # a line through one or two points draws little or nothing: dots show them
                dots = "o" if len(x) < FEW_POINTS else None
                if curve.opts.get("symbol") != dots:
                    curve.setSymbol(dots)
        self._dirty.clear()
