"""Tables of many rows (an import report of 100 000 files left out): a model over the rows
and a view of it. A QTableWidget made an item per cell on the GUI thread (3.3 s for 100 000
rows, each time the dataset was chosen); the model keeps the rows as given and Qt asks it
only for the cells it shows or measures, so 100 000 rows show in about 0.06 s, as 1 000 do
(tests/bench/bench_report_table.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ssl_studio.gui.markup import tip
from ssl_studio.gui.tables import is_number

Index = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole
DISPLAY, TOOLTIP, ALIGNMENT, BACKGROUND, FOREGROUND = (
    int(role.value)
    for role in (
        Role.DisplayRole,
        Role.ToolTipRole,
        Role.TextAlignmentRole,
        Role.BackgroundRole,
        Role.ForegroundRole,
    )
)
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
FIT_ROWS = 200  # rows measured to fit a column to its contents (besides those on screen)


class RowsModel(QAbstractTableModel):
    """Read-only rows of values under ``headers``: each cell shows its value as text (None
    as nothing), numbers (also formatted ones) right-aligned, its text whole as tooltip.
    ``shade(values)``: a row's background and foreground brushes, or None (unshaded)."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[Sequence[Any]] = []
        self.shade: Callable[[Sequence[Any]], tuple[QBrush, QBrush] | None] | None = None

    def set_rows(self, rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None) -> None:
        """Show ``rows`` instead (and ``headers``, when given)."""
        self.beginResetModel()
        self.rows = list(rows)
        if headers is not None:
            self.headers = list(headers)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.headers)

    def text(self, row: int, column: int) -> str:
        """The text shown in a cell."""
        values = self.rows[row]
        value = values[column] if column < len(values) else None
        return "" if value is None else str(value)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        # (asked for some ten roles per cell painted or measured: plain ints, few steps)
        if role == DISPLAY:
            return self.text(index.row(), index.column())
        if role == TOOLTIP:  # (a file's name as written, not as markup)
            return tip(self.text(index.row(), index.column()))
        if role == ALIGNMENT:
            values = self.rows[index.row()]
            value = values[index.column()] if index.column() < len(values) else None
            if isinstance(value, int | float) or is_number(self.text(index.row(), index.column())):
                return RIGHT
            return None
        if (role == BACKGROUND or role == FOREGROUND) and self.shade is not None:
            brushes = self.shade(self.rows[index.row()])
            if brushes is not None:
                return brushes[0] if role == BACKGROUND else brushes[1]
        return None

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY
    ) -> Any:
        if role != DISPLAY:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        if orientation == Qt.Orientation.Vertical:  # (hidden; a screen reader's row names)
            return str(section + 1)
        return None


class RowTable(QTableView):
    """The view of a RowsModel, set up as ``tables.make_table`` sets up a QTableWidget: read
    only, whole rows selected (several when ``multi``), Tab moves on to the next control,
    columns as wide as their contents (the last stretched unless ``stretch_last``). Rows
    are one height (the vertical header's default) unless resized to their contents, and
    a column is fitted to the rows on screen and at most FIT_ROWS others."""

    def __init__(
        self, headers: Sequence[str], *, stretch_last: bool = True, multi: bool = False
    ) -> None:
        super().__init__()
        self.rows_model = RowsModel(headers, self)
        self.setModel(self.rows_model)
        self.setTabKeyNavigation(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        mode = QAbstractItemView.SelectionMode
        self.setSelectionMode(mode.ExtendedSelection if multi else mode.SingleSelection)
        self.setAlternatingRowColors(True)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setResizeContentsPrecision(FIT_ROWS)
        self.stretch_last = stretch_last
        self._column_modes()

    def _column_modes(self) -> None:
        """Columns fitted by set_rows (not ResizeToContents, which measured them again at
        each resize of the window; like those, not resized by hand), the last stretched.
        ColumnCaps makes its capped columns Interactive: it fits them itself."""
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        if self.stretch_last and self.columnCount():  # long texts elided; the tooltip has them
            header.setSectionResizeMode(self.columnCount() - 1, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None) -> None:
        """Replace the rows (and the columns, when ``headers`` is given); the columns are
        fitted to the new rows (but those ColumnCaps fits)."""
        self.rows_model.set_rows(rows, headers)
        if headers is not None:
            self._column_modes()
        header = self.horizontalHeader()
        for column in range(self.columnCount()):
            if header.sectionResizeMode(column) == QHeaderView.ResizeMode.Fixed:
                self.resizeColumnToContents(column)

    def rowCount(self) -> int:  # noqa: N802 - as QTableWidget's
        return self.rows_model.rowCount()

    def columnCount(self) -> int:  # noqa: N802 - as QTableWidget's
        return self.rows_model.columnCount()

    def text(self, row: int, column: int) -> str:
        """The text of a cell."""
        return self.rows_model.text(row, column)

    def tool_tip(self, row: int, column: int) -> str:
        """The tooltip of a cell."""
        return self.rows_model.data(self.rows_model.index(row, column), TOOLTIP)

    def background(self, row: int, column: int) -> QBrush:
        """A cell's background (no brush: the table's own)."""
        return self.rows_model.data(self.rows_model.index(row, column), BACKGROUND) or QBrush()

    def foreground(self, row: int, column: int) -> QBrush:
        """A cell's text colour (no brush: the table's own)."""
        return self.rows_model.data(self.rows_model.index(row, column), FOREGROUND) or QBrush()
