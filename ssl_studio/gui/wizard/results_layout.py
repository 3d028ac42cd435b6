"""How the results page's tables fit the wizard: rows as tall as a line of text, and
tables that show all their rows and columns, or scroll where the page is too small."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QScrollArea,
    QStyle,
    QTableWidget,
    QWidget,
)


def compact(table: Any) -> None:
    """Rows as tall as a line of text (with a little air): the results fit the wizard."""
    rows = table.verticalHeader()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 8)


def fit(table: Any) -> None:
    """The table at least as tall as its header and rows (every row shows, no vertical
    scrolling) and as wide as its headers and cells need (none cut short): a minimum, so
    that the layout around it scrolls when the page is smaller, instead of squeezing it."""
    width, height = full_size(table)
    table.setMinimumSize(width, height)
    table.setMaximumHeight(height)


def fit_scrolling(table: Any, rows: int = 3) -> None:
    """A ContentsTable as large as all its rows and columns where the page has room for
    them (its size hint), scrolling itself where the page has less (the confusion matrix
    of many classes, in a column that does not scroll): at least ``rows`` rows and as wide
    as a few columns stay in view. Put it in its layout aligned left and top, so that it
    is never larger than its contents."""
    width, height = full_size(table)
    bar = table.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    shown = height - sum(table.rowHeight(r) for r in range(rows, table.rowCount()))
    narrow = 30 * table.fontMetrics().averageCharWidth()
    table.setMinimumSize(min(width, narrow + bar), min(height, shown + bar))
    # room for a scroll bar beside or under all its rows and columns: when the other
    # shows, the rows (or columns) still show whole
    table.setMaximumSize(width + bar, height + bar)
    table.updateGeometry()


class ContentsTable(QTableWidget):
    """A table that asks for the size of all its rows and columns, and room for a scroll
    bar where the layout gives it less than that the other way (so that the bar hides no
    row or column). Its least size is the one set on it (fit_scrolling): Qt's own, room
    for both scroll bars, stood as blank rows under a matrix of two classes."""

    def __init__(self, rows: int, columns: int) -> None:
        super().__init__(rows, columns)
        self._bars = (False, False)  # (across, down) as the size hint last had them

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(0, 0)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        width, height = full_size(self)
        across, down = self._bars_needed(width, height)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(width + bar * down, height + bar * across)

    def _bars_needed(self, width: int, height: int) -> tuple[bool, bool]:
        """Whether this size shows the scroll bars (across, down) for contents of
        ``width`` x ``height``."""
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        across = self.width() < width
        return across, self.height() < height + bar * across

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        bars = self._bars_needed(*full_size(self))
        if bars != self._bars:  # a bar comes or goes: the size it asks for changes
            self._bars = bars
            self.updateGeometry()


class FittedArea(QScrollArea):
    """A frameless scroll area whose size hint is as wide as its widget's minimum (and a
    vertical scroll bar, while the widget is taller than the area): a layout that gives
    it no stretch gives it that width where the page has room, the rest to the others;
    where the page has less, it scrolls."""

    def __init__(self, widget: QWidget, name: str) -> None:
        super().__init__()
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName(name)
        self._tall = False  # the widget is taller than the area (a vertical bar shows)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().sizeHint()
        widget = self.widget()
        if widget is None:
            return hint
        width = widget.minimumSizeHint().width() + 2 * self.frameWidth()
        if self._taller():
            width += self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(width, hint.height())

    def _taller(self) -> bool:
        widget = self.widget()
        inside = self.height() - 2 * self.frameWidth()
        return widget is not None and widget.minimumSizeHint().height() > inside

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._taller() != self._tall:  # a bar comes or goes: the width it needs too
            self._tall = not self._tall
            self.updateGeometry()


class ColumnArea(QScrollArea):
    """A frameless scroll area for a column that scrolls up and down only: never narrower
    than its widget's least width (and a vertical scroll bar), as the column was before it
    scrolled; its widget fills it where there is room (the ROC curve, then the confusion
    matrix: with large fonts on a small screen the curve's least height is more than the
    page has, and it slid under the matrix's title)."""

    def __init__(self, widget: QWidget, name: str) -> None:
        super().__init__()
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # (Tab goes to what is inside)
        self.setAccessibleName(name)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = super().minimumSizeHint()
        widget = self.widget()
        if widget is None:
            return hint
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(widget.minimumSizeHint().width() + bar, hint.height())


def full_size(table: Any) -> tuple[int, int]:
    """(width, height) that show every row and column of ``table`` whole."""
    header = table.horizontalHeader()
    widths = [
        max(header.sectionSizeHint(c), table.sizeHintForColumn(c))
        for c in range(table.columnCount())
    ]
    stretched = [
        w
        for c, w in enumerate(widths)
        if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch
    ]
    fixed = sum(
        w
        for c, w in enumerate(widths)
        if header.sectionResizeMode(c) != (QHeaderView.ResizeMode.Stretch)
    )
    # stretched columns share the width left alike: each gets at least the widest's need
    width = fixed + len(stretched) * max(stretched, default=0) + 2 * table.frameWidth()
    height = header.sizeHint().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    return width, height
