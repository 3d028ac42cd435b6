"""Read-only tables: the one way the app builds and fills a QTableWidget (a table of few
rows; one of many rows is a row_table.RowTable), and the column caps of either."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
)

from ssl_studio.gui.markup import tip


def make_table(
    headers: tuple[str, ...],
    *,
    stretch_last: bool = True,
    multi: bool = False,
    kind: type[QTableWidget] = QTableWidget,
) -> QTableWidget:
    """A read-only table that selects whole rows (several when ``multi``). Tab moves on
    to the next control (Qt's tables keep it to go from cell to cell, a trap for keyboard
    users); the arrow keys move within the table. ``kind``: QTableWidget or a subclass."""
    table = kind(0, len(headers))
    table.setTabKeyNavigation(False)
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


class ColumnCaps(QObject):
    """Columns as wide as their contents but each at most its share of the table's width,
    so that a long file path leaves the stretched last column (a reason, a message) room
    to be read. Texts cut short are elided in the middle (a path keeps its folder and its
    file name); every cell's tooltip has it whole. Refitted when the table is resized, and
    then wrapped rows too while the table has at most ``wrap_rows`` rows. The contents'
    widths are measured once per change of rows, not at each resize (a RowTable of 100 000
    rows measures those on screen and a bounded number of others)."""

    def __init__(self, table: QTableView, shares: dict[int, float], wrap_rows: int = 0) -> None:
        super().__init__(table)
        self.table = table
        self.wrap_rows = wrap_rows
        self.natural: dict[int, int] = {}  # the capped columns' contents' widths, measured
        self.set_shares(shares)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.viewport().installEventFilter(self)
        model = table.model()
        for changed in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            changed.connect(self.natural.clear)
        model.layoutChanged.connect(self.natural.clear)

    def set_shares(self, shares: dict[int, float]) -> None:
        """Cap these columns (for a table whose columns changed); the others keep their
        resize mode."""
        self.shares = shares
        self.natural.clear()
        header = self.table.horizontalHeader()
        for column in shares:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)

    def fit(self) -> None:
        """Size the capped columns for the rows now in the table (call after filling)."""
        width = self.table.viewport().width()
        header = self.table.horizontalHeader()
        for column, share in self.shares.items():
            if column not in self.natural:
                hint = self.table.sizeHintForColumn(column)
                self.natural[column] = max(hint, header.sectionSizeHint(column))
            self.table.setColumnWidth(
                column, min(self.natural[column], max(int(share * width), 40))
            )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize:
            self.fit()
            if 0 < self._rows() <= self.wrap_rows:
                # after the header has stretched the last column to its new width: measured
                # now, the rows kept the heights of the old width (a widened report's rows
                # stayed three times too tall)
                QTimer.singleShot(0, self._wrap_rows)
        return False

    def _rows(self) -> int:
        return self.table.model().rowCount()

    def _wrap_rows(self) -> None:
        if 0 < self._rows() <= self.wrap_rows:
            self.table.resizeRowsToContents()


class ElideRight(QStyledItemDelegate):
    """Cells cut short at their end (for sentences, whose start says most), in a table
    that elides its other columns in the middle (paths)."""

    def initStyleOption(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


def fill_row(table: QTableWidget, row: int, values: list[Any]) -> None:
    """Put ``values`` in ``row`` (numbers, also formatted ones, right-aligned; every cell
    has its text as tooltip)."""
    for column, value in enumerate(values):
        item = QTableWidgetItem()
        _show(item, value)
        table.setItem(row, column, item)


def _show(item: QTableWidgetItem, value: Any) -> None:
    text = "" if value is None else str(value)
    item.setText(text)
    item.setToolTip(tip(text))  # (a file's name as written, not as markup)
    if isinstance(value, int | float) or is_number(text):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def is_number(text: str) -> bool:
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


def refill_table(table: QTableWidget, rows: list[list[Any]]) -> None:
    """Replace the rows of a table listed again (another process changed the project, a
    refresh), keeping the user's view of it. Rows the same as before, by their first
    column (a run's or an export's id), have only their changed cells set: the
    selection, the current row and the scroll stay as they are. Else the table is filled
    anew, the rows selected before (by their first column) are selected again, the current
    row is the one of the same key (else the first selected), and the row at the top
    stays at the top (at the table's top new rows come into sight)."""
    keys = [str(values[0]) if values else "" for values in rows]
    if keys == _keys(table, range(table.rowCount())):
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = table.item(row, column)
                text = "" if value is None else str(value)
                if item is None:
                    fill_row(table, row, values)
                elif item.text() != text:
                    _show(item, value)
        return
    chosen = set(_keys(table, selected_rows(table)))
    current = table.currentIndex()
    current_key = _keys(table, [current.row()])[0] if current.isValid() else None
    top = table.rowAt(0)
    top_key = _keys(table, [top])[0] if top > 0 else None  # (row 0: stay at the top)
    fill_table(table, rows)
    selection = QItemSelection()
    last = table.columnCount() - 1
    for row, key in enumerate(keys):
        if key in chosen:
            selection.select(table.model().index(row, 0), table.model().index(row, last))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
    table.selectionModel().select(selection, flags | QItemSelectionModel.SelectionFlag.Rows)
    # the current row (where the arrow keys go on from) on its key, else the first chosen
    row = next((r for r, key in enumerate(keys) if key in chosen), None)
    row = keys.index(current_key) if current_key in keys else row
    if row is not None:
        column = max(current.column(), 0)
        no_update = QItemSelectionModel.SelectionFlag.NoUpdate
        table.selectionModel().setCurrentIndex(table.model().index(row, column), no_update)
    if top_key in keys:
        hint = QAbstractItemView.ScrollHint.PositionAtTop
        table.scrollTo(table.model().index(keys.index(top_key), 0), hint)
    else:  # (at the top, or its row gone: the current row's own scroll is not kept)
        table.scrollToTop()


def _keys(table: QTableWidget, rows: Any) -> list[str]:
    """The texts of the first column of ``rows`` (their keys)."""
    found = [table.item(row, 0) for row in rows]
    return [item.text() if item is not None else "" for item in found]


def selected_rows(table: QTableWidget) -> list[int]:
    return sorted(index.row() for index in table.selectionModel().selectedRows())
