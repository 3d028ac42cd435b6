"""How the results page's tables fit the wizard: rows as tall as a line of text, and
tables that show all their rows and columns, or scroll where the page is too small."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHeaderView, QStyle


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
    """The table never taller than its header and rows, but scrolling itself when the page
    has less room than that (the confusion matrix of many classes, in a column that does
    not scroll): at least ``rows`` rows and as wide as a few columns stay in view."""
    width, height = full_size(table)
    bar = table.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    shown = height - sum(table.rowHeight(r) for r in range(rows, table.rowCount()))
    narrow = 30 * table.fontMetrics().averageCharWidth()
    table.setMinimumSize(min(width, narrow + bar), min(height, shown + bar))
    # never taller than its rows: when a horizontal bar shows, the rows scroll too (room
    # kept for a bar would stand empty under the small matrices of most results)
    table.setMaximumHeight(height)


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
