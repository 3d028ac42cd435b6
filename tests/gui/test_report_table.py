"""The import report of a dataset with very many files left out: shown whole, at once,
from a model over the rows (a QTableWidget made an item per cell: 3.3 s for 100 000)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

ROWS = 100_000
FOLDER = "/data/PACS_export/ward-3 intensive care/pneumonia follow-up/second series"
REASON = "The file is not a DICOM, PNG, TIFF, JPEG, CSV or NPY file; it was left out."


def _errors(n: int) -> list[dict[str, str]]:
    return [
        {
            "severity": "skipped",
            "path": f"{FOLDER}/study_{i // 50:05d}/IM{i:06d}.txt",
            "code": "not_an_image",
            "message": f"{REASON} ({i})",
        }
        for i in range(n)
    ]


def _shown_report(make_window, project, n: int):
    window = make_window(project)
    window.resize(1280, 800)
    window.show()
    window.show_step(0)
    panel = window.data
    panel.tabs.setCurrentIndex(1)
    panel._show_report("scans", _errors(n))
    QApplication.processEvents()
    return window, panel.report_table


def test_a_report_of_100000_files_shows_every_row_first_to_last(make_window, project):
    _, table = _shown_report(make_window, project, ROWS)
    assert table.rowCount() == ROWS and table.columnCount() == 4
    first = ["skipped", f"{FOLDER}/study_00000/IM000000.txt", "not_an_image"]
    assert [table.text(0, c) for c in range(3)] == first
    assert table.text(0, 3) == f"{REASON} (0)"
    last = f"{FOLDER}/study_{(ROWS - 1) // 50:05d}/IM{ROWS - 1:06d}.txt"
    assert table.text(ROWS - 1, 1) == last and table.text(ROWS - 1, 3) == f"{REASON} (99999)"
    assert table.tool_tip(ROWS - 1, 1) == last  # the path whole in its tooltip
    table.scrollToBottom()
    QApplication.processEvents()
    bottom = table.rowAt(table.viewport().height() - 2)
    assert bottom == ROWS - 1  # scrolled to the end: the last row is on screen
    assert table.rowHeight(0) == table.rowHeight(ROWS - 1)  # one height (not measured)
    assert table.accessibleName() == "Import report: files not imported"
    table.selectRow(ROWS - 1)
    rows = table.selectionModel().selectedRows()
    assert [index.row() for index in rows] == [ROWS - 1]  # a whole row, one at a time
    table.selectRow(5)
    assert [index.row() for index in table.selectionModel().selectedRows()] == [5]


def test_resizing_the_window_does_not_measure_the_report_again(
    qtbot, make_window, project, monkeypatch
):
    """Each resize measured the capped columns' contents again (1 000 rows each, 43 ms at
    100 000 rows); they are measured once per change of rows."""
    window, table = _shown_report(make_window, project, 5_000)
    measured: list[int] = []
    original = table.sizeHintForColumn

    def counting(column: int) -> int:
        measured.append(column)
        return original(column)

    monkeypatch.setattr(table, "sizeHintForColumn", counting)
    widths = []
    for width in (1200, 1100, 1280):
        window.resize(width, 800)
        qtbot.wait(50)
        widths.append(table.columnWidth(1))
    assert measured == [] and widths[0] > widths[1]  # still capped to its share, refitted
    window.data._show_report("scans", _errors(3))  # other rows: measured again
    assert {1, 2} <= set(measured)
    assert table.rowCount() == 3


def test_rows_have_numbers_for_screen_readers():
    """The rows' header (hidden) names each row by its number, as the QTableWidget did:
    a screen reader said an empty row name (a review)."""
    from PySide6.QtCore import Qt

    from ssl_studio.gui.row_table import RowTable

    table = RowTable(["file", "reason"])
    table.set_rows([["a.dcm", "unreadable"], ["b.dcm", "empty"]])
    names = [table.model().headerData(r, Qt.Orientation.Vertical) for r in range(2)]
    assert names == ["1", "2"]
