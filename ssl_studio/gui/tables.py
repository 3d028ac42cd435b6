"""Read-only tables: the one way the app builds and fills a QTableWidget."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def make_table(
    headers: tuple[str, ...], *, stretch_last: bool = True, multi: bool = False
) -> QTableWidget:
    """A read-only table that selects whole rows (several when ``multi``)."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    mode = QAbstractItemView.SelectionMode
    table.setSelectionMode(mode.ExtendedSelection if multi else mode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_last:  # long texts are elided; the tooltip shows them whole
        header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def fill_row(table: QTableWidget, row: int, values: list[Any]) -> None:
    """Put ``values`` in ``row`` (numbers, also formatted ones, right-aligned; every cell
    has its text as tooltip)."""
    for column, value in enumerate(values):
        text = "" if value is None else str(value)
        item = QTableWidgetItem(text)
        item.setToolTip(text)
        if isinstance(value, int | float) or _is_number(text):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, column, item)


def _is_number(text: str) -> bool:
    """Whether ``text`` is a formatted number such as "0.750" (aligned like numbers)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def fill_table(table: QTableWidget, rows: list[list[Any]]) -> None:
    """Replace the table's rows. The old rows go first and the cells are set with updates
    off: refilling a shown table cell by cell made its fitted columns measure every row
    again at each cell (30 s for 300 runs)."""
    table.setUpdatesEnabled(False)
    try:
        table.setRowCount(0)
        table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            fill_row(table, row, values)
    finally:
        table.setUpdatesEnabled(True)


def selected_rows(table: QTableWidget) -> list[int]:
    return sorted(index.row() for index in table.selectionModel().selectedRows())
