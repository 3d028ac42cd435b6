"""LivePlot: a pyqtgraph plot fed from growing buffers and redrawn on a timer (~10 Hz).

Training events append to numpy buffers (cheap, any rate); a single-shot QTimer, started by
new data, redraws only the curves that changed since the last frame, so a fast job never
floods the GUI thread with repaints and an idle plot never wakes the event loop. A hidden
plot (another step, another tab) draws nothing: it draws its newest data when shown.
A frame costs the same after a week of points: the moving average is kept as points come
and at most a few thousand points are drawn (``peaks``: each part's lowest and highest).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPen, QShowEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QSizePolicy, QWidget

from ssl_studio.gui.curve_buffer import CurveBuffer

REDRAW_MS = 100
FEW_POINTS = 3  # a curve of fewer points is drawn with dots too (a lone health check)
# the least a plot is high, in lines of the app's text: the title, the axes and a few grid
# lines, even on a small screen (120 px at the usual 9 pt), and as many at large fonts
MIN_LINES = 8.5
TITLE_SCALE = 10 / 9  # a plot's title beside the app's text (10 pt beside 9 pt)
# Okabe–Ito: told apart under the common colour-vision deficiencies (red/green blindness);
# its yellow is left out (faint on the white plots), and its black (the map's ring round
# the chosen dot) gives way to a brown.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#8c564b")
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
SYMBOLS = ("o", "s", "t", "d", "star", "+", "x")  # map groups: a shape each, not only a colour
# the raw curve under a smoothed one: a pale tint of its colour (this share of it, the
# rest white), opaque, so thousands of overlapping segments stay pale and the trend reads
RAW_TINT = 0.3
# axes, ticks and their numbers and labels on the white plots: 12.6:1 against white
# (pyqtgraph's default grey, 150, is 3:1, under the 4.5:1 that text needs)
INK = "#333"


def font_points() -> float:
    """The app's text size in points (9 where its font is set in pixels)."""
    size = QApplication.font().pointSizeF()
    return size if size > 0 else 9.0


def lines_high(widget: QWidget, lines: float) -> int:
    """The height of ``lines`` lines of ``widget``'s text, in pixels."""
    return math.ceil(lines * widget.fontMetrics().lineSpacing())


def set_title(plot: pg.PlotWidget, title: str) -> None:
    """``title`` over ``plot`` in dark ink (``INK``), a little larger than the app's text
    and growing with it (a fixed 10 pt was smaller than the text at large fonts), its row
    as high as it needs (pyqtgraph fixes it at 30 px, which cut a large title)."""
    points = font_points() * TITLE_SCALE
    item = plot.getPlotItem()
    item.setTitle(title, color=INK, size=f"{points:.1f}pt")
    font = QFont(QApplication.font())
    font.setPointSizeF(points)
    height = max(30, QFontMetrics(font).lineSpacing() + 8)
    item.titleLabel.setMaximumHeight(height)
    item.layout.setRowFixedHeight(0, height)


def legend_size() -> str:
    """A legend's text size: the app's (pyqtgraph's 9 pt stayed small at large fonts)."""
    return f"{font_points():.1f}pt"


def on_white(plot: pg.PlotWidget) -> None:
    """Give ``plot`` the app's white background with dark axes and text (``INK``), in the
    light and the dark theme alike (the curves' colours are chosen for white)."""
    plot.setBackground("w")
    item = plot.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(INK)
        axis.setTextPen(INK)


def curve_pen(index: int, width: float = 2.0) -> QPen:
    """The pen of overlaid curve ``index``: the colours in turn, then again with the next
    dash style, so no two of the first 28 curves look alike."""
    colour = COLOURS[index % len(COLOURS)]
    dash = DASHES[index // len(COLOURS) % len(DASHES)]
    return pg.mkPen(colour, width=width, style=dash)


def log_toggle(plot: LivePlot, text: str = "Log scale") -> QCheckBox:
    """A small checkbox that puts ``plot``'s y axis on a log scale and back (a loss that
    fell a hundredfold stays readable at its end); Tab reaches it and Space toggles it."""
    box = QCheckBox(text)
    box.setAccessibleName(text)  # (the plot it acts on: its description)

    def describe(name: str) -> None:
        box.setAccessibleDescription(f"The y axis of the plot “{name}” on a log scale.")

    describe(plot.accessibleName())
    plot.renamed.connect(describe)  # (the plot's title says what it shows now)
    box.setToolTip(
        "Show the y axis on a log scale: small late changes of a loss that fell a lot stay "
        "visible. Values at or below zero are not drawn on a log scale."
    )
    box.setChecked(plot.getPlotItem().ctrl.logYCheck.isChecked())
    box.toggled.connect(lambda on: plot.setLogMode(y=on))
    return box


def add_legend(plot: pg.PlotWidget, **options: object) -> pg.LegendItem:
    """A legend on a pale backing with dark text, readable over the curves it names."""
    return plot.addLegend(
        brush=pg.mkBrush(255, 255, 255, 210),
        labelTextColor="#222",
        labelTextSize=legend_size(),
        **options,
    )


class LivePlot(pg.PlotWidget):
    """A titled plot of named curves; ``append(name, x, y)`` and the timer does the rest.
    ``renamed(title)``: ``reset_view`` gave it another title, which is its accessible name."""

    renamed = Signal(str)

    def __init__(
        self,
        title: str,
        x_label: str = "step",
        y_label: str = "",
        *,
        log_y: bool = False,
        legend: bool = True,
        legend_offset: tuple[int, int] | None = (-10, 10),
        smooth: bool = False,
    ) -> None:
        """``legend``: name the curves, even a single one (which model, which measure);
        off for a plot whose title already names its only curve. ``legend_offset``: its
        corner (pyqtgraph's offset: negative x from the right, negative y from the bottom);
        top right by default, where falling curves (losses) leave room; None: in a row of
        its own above the curves, right-aligned, where it hides none of them (curves that
        rise and fall alike end anywhere: a corner would cover one). ``smooth``: each
        curve is drawn faint with its moving average (``smoothing.smoothed``) over it in full colour
        (noisy losses); ``curves`` keeps the raw ones, ``smooth_curves`` the averages."""
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes through the controls only
        self.setAccessibleName(title)  # what a screen reader calls it
        self.setAccessibleDescription(
            f"A plot of {y_label or 'values'} against {x_label}; one curve per named series."
        )
        on_white(self)
        set_title(self, title)
        self.setLabel("bottom", x_label)
        if y_label:
            self.setLabel("left", y_label)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLogMode(y=log_y)
        self.min_lines = MIN_LINES
        self.setMinimumHeight(lines_high(self, self.min_lines))
        self.getPlotItem().setClipToView(True)
        self.getPlotItem().setDownsampling(auto=True, mode="peak")
        self._legend = None
        self._wants_legend = legend
        self._legend_offset = legend_offset
        self._smooth = smooth
        self.buffers: dict[str, CurveBuffer] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.smooth_curves: dict[str, pg.PlotDataItem] = {}  # (with ``smooth``)
        self._dirty: set[str] = set()
        self._drawn_range: tuple[float, float] | None = None  # (see _x_in_view)
        self.getPlotItem().getViewBox().sigXRangeChanged.connect(self._view_moved)
        # one shot, started by new data: at most one redraw per REDRAW_MS, none when idle
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """As low as its minimum (pyqtgraph asks for 400 px): a plot takes the height it
        is given, and a page in a scroll area (screen_fit.scrolling) that sums its plots'
        wishes would otherwise scroll on a screen with room for it all."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumHeight())

    def set_min_lines(self, lines: float) -> None:
        """The least height, in lines of text (``MIN_LINES`` unless set here)."""
        self.min_lines = lines
        self.setMinimumHeight(lines_high(self, lines))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        """Another font: the least height follows it."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setMinimumHeight(lines_high(self, self.min_lines))

    def append(self, name: str, x: float, y: float) -> None:
        if not np.isfinite(y):
            return
        self._ensure_curve(name)
        self.buffers[name].append(x, y)
        self._changed(name)

    def set_curve(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        """Replace a whole curve (for finished runs and overlays) with the points of
        ``x, y: [N]`` whose y is finite (as ``append`` drops the others), in one go."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in shape: {x.shape} and {y.shape}")
        finite = np.isfinite(y)
        if not finite.any() and name not in self.buffers:
            return  # (as append: no curve for no point)
        self._ensure_curve(name)
        self.buffers[name].replace(x[finite], y[finite])
        self._changed(name)
        self.redraw()

    def _ensure_curve(self, name: str) -> None:
        """The buffer and the drawn curve(s) of ``name``, made the first time."""
        if name in self.buffers:
            return
        self.buffers[name] = CurveBuffer()
        if self._legend is None and self._wants_legend:
            self._legend = self._make_legend()
            for existing in self.curves:
                self._legend.addItem(self._named_item(existing), existing)
        pen = curve_pen(len(self.buffers) - 1)
        colour = pen.color()
        if not self._smooth:
            self.curves[name] = self.plot(
                [], [], pen=pen, name=name, symbolSize=7, symbolBrush=colour, symbolPen=colour
            )
            return
        pale = [round(255 - RAW_TINT * (255 - c)) for c in colour.getRgb()[:3]]
        faint = pg.mkPen(pale, width=1)
        self.curves[name] = self.plot(
            [], [], pen=faint, symbolSize=7, symbolBrush=colour, symbolPen=colour
        )
        self.smooth_curves[name] = self.plot([], [], pen=pen, name=name)
        self.smooth_curves[name].setZValue(1)  # over every raw curve

    def _make_legend(self) -> pg.LegendItem:
        """The legend, in its corner (``legend_offset``) or in a row above the curves."""
        if self._legend_offset is not None:
            return add_legend(self, offset=self._legend_offset)
        item = self.getPlotItem()
        legend = pg.LegendItem(
            offset=None,  # (placed by the layout, not anchored)
            colCount=len(COLOURS),  # one row: side by side
            brush=pg.mkBrush(255, 255, 255, 210),
            labelTextColor="#222",
            labelTextSize=legend_size(),
        )
        # in the row under the title, which holds the top axis (never shown here)
        item.layout.removeItem(item.getAxis("top"))
        # as wide as its names, not the whole row, and narrower when the plot is (a fixed
        # width pushed a narrow plot's right end out of sight)
        legend.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        legend.setMinimumWidth(0)
        item.layout.addItem(legend, 1, 1)
        item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignRight)
        item.legend = legend  # (named curves are listed in it as they come)
        return legend

    def _named_item(self, name: str) -> pg.PlotDataItem:
        """The item the legend shows for ``name`` (the average of a smoothed curve)."""
        return self.smooth_curves.get(name, self.curves[name])

    def _changed(self, name: str) -> None:
        self._dirty.add(name)
        if not self.timer.isActive() and self.isVisible():  # (hidden: see showEvent)
            self.timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        """Shown again (its step or tab chosen): draw what came while it was hidden."""
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def points(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """All the points of curve ``name`` (what is drawn may be fewer: see redraw)."""
        return self.buffers[name].points()

    def _x_in_view(self) -> tuple[float, float] | None:
        """The x range shown when the user has zoomed or panned; None while the x axis
        follows the curves (auto range: all of each curve is drawn)."""
        item = self.getPlotItem()
        if item.getViewBox().autoRangeEnabled()[0]:
            return None
        low, high = item.getViewBox().viewRange()[0]
        if item.ctrl.logXCheck.isChecked():  # (the plot's menu can put x on a log scale)
            low, high = 10.0**low, 10.0**high
        return low, high

    def _view_moved(self) -> None:
        """Zoomed, panned or back to auto range: draw the stretch now in view (with its
        detail, or all of each curve again)."""
        if self.buffers and self._x_in_view() != self._drawn_range:
            for name in self.buffers:
                self._changed(name)

    def clear_curves(self) -> None:
        for curve in [*self.curves.values(), *self.smooth_curves.values()]:
            self.removeItem(curve)
        if self._legend is not None:
            self._legend.clear()
        self.buffers.clear()
        self.curves.clear()
        self.smooth_curves.clear()
        self._dirty.clear()
        self.timer.stop()

    def reset_view(self, title: str) -> None:
        """No curves: a fresh frame (not the last run's axes) under ``title``, which says
        what to do or why nothing is drawn; the next curves scale the axes again."""
        self.clear_curves()
        set_title(self, title)
        if title != self.accessibleName():  # what a screen reader calls it: the title shown
            self.setAccessibleName(title)
            self.renamed.emit(title)
        self.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self.getPlotItem().enableAutoRange()

    def redraw(self) -> None:
        """Draw the curves that changed since the last frame (the timer calls it once
        after new data; calling it directly draws at once). Hidden, it draws nothing:
        the curves stay marked changed and are drawn when the plot is shown."""
        self.timer.stop()
        if not self.isVisible():
            return
        x_range = self._drawn_range = self._x_in_view()
        dirty, self._dirty = self._dirty, set()
        for name in dirty:
            if name in self.curves:
                buffer = self.buffers[name]
                curve = self.curves[name]
                # a line through one or two points draws little or nothing: dots show them
                # (set first: a symbol on each of thousands of points costs seconds)
                dots = "o" if buffer.n < FEW_POINTS else None
                if curve.opts.get("symbol") != dots:
                    curve.setSymbol(dots)
                curve.setData(*buffer.drawn(x_range))
                if name in self.smooth_curves:
                    self.smooth_curves[name].setData(*buffer.drawn_smooth(x_range))
