"""A table listed again with other rows (a run added elsewhere) keeps its current row on
the same key: the arrow keys go on from where the user was, not from row 0."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from ssl_studio.gui.tables import fill_table, make_table, refill_table, selected_rows


def _table(qtbot, ids: list[int]):
    table = make_table(("Run", "Status"), multi=True)
    qtbot.addWidget(table)
    fill_table(table, [[i, "done"] for i in ids])
    return table


def test_the_current_row_follows_its_key_when_rows_change(qtbot):
    table = _table(qtbot, [3, 2, 1])
    table.setCurrentCell(1, 1)  # (run 2, its status)
    refill_table(table, [[4, "running"], [3, "done"], [2, "done"], [1, "done"]])
    assert (table.currentRow(), table.currentColumn()) == (2, 1)
    assert selected_rows(table) == [2]


def test_the_current_row_gone_goes_to_the_first_selected(qtbot):
    table = _table(qtbot, [3, 2, 1])
    model, flags = table.selectionModel(), QItemSelectionModel.SelectionFlag
    model.select(table.model().index(2, 0), flags.Select | flags.Rows)
    model.setCurrentIndex(table.model().index(1, 0), flags.NoUpdate)  # (run 2)
    refill_table(table, [[4, "running"], [3, "done"], [1, "done"]])  # (run 2 deleted)
    assert table.currentRow() == 2 and selected_rows(table) == [2]  # (run 1)


def test_a_table_at_its_top_stays_there_with_the_current_row_below(qtbot):
    table = _table(qtbot, list(range(60, 0, -1)))
    table.resize(300, 200)
    table.show()
    qtbot.waitExposed(table)
    last_seen = table.rowAt(table.viewport().height() - 2)
    table.setCurrentCell(last_seen, 0)
    table.verticalScrollBar().setValue(0)
    refill_table(table, [[i, "done"] for i in range(65, 0, -1)])  # (five new, at the top)
    assert table.verticalScrollBar().value() == 0 and table.currentRow() == last_seen + 5
