"""The results page on a small screen and with large fonts: the metrics table's rows
slid under the calibration note, and headers and figures were cut ("1.00…", "uned (l")
with no way to scroll to them (fixed heights, the horizontal scroll bar always off)."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QRect
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.test_results_export_reading import _six_items

SHOTS = os.environ.get("SSL_STUDIO_SHOTS")  # a folder: save what the test looked at


def _in(widget, ancestor) -> QRect:
    """``widget``'s rectangle in ``ancestor``'s coordinates."""
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def _headers_fit(table) -> list[str]:
    """The header texts of ``table`` that their sections cut short."""
    header = table.horizontalHeader()
    metrics = header.fontMetrics()
    cut = []
    for c in range(table.columnCount()):
        text = table.horizontalHeaderItem(c).text()
        if metrics.horizontalAdvance(text) > header.sectionSize(c):
            cut.append(text)
    return cut


def _cells_fit(table) -> list[str]:
    cut = []
    for c in range(table.columnCount()):
        if table.sizeHintForColumn(c) > table.columnWidth(c):
            cut.append(table.horizontalHeaderItem(c).text())
    return cut


@pytest.fixture
def big_font():
    font = QApplication.font()
    big = QApplication.font()
    big.setPointSizeF(font.pointSizeF() * 1.5)
    QApplication.setFont(big)
    yield
    QApplication.setFont(font)


def _check(window, size, name):
    wizard = window.open_wizard()
    wizard.result = _six_items()
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index("results")])
    wizard.restart()
    wizard.resize(*size)
    wizard.show()
    QTest.qWait(100)
    page = wizard.pages["results"]
    if SHOTS:
        wizard.grab().save(os.path.join(SHOTS, f"results_{name}.png"))
    column = page.metrics.parentWidget()  # the tables' column
    assert page.ece_note.isVisibleTo(page)
    assert not _in(page.metrics, column).intersects(_in(page.ece_note, column))
    assert not _in(page.per_class, column).intersects(_in(page.ece_note, column))
    assert not _in(page.per_class_title, column).intersects(_in(page.metrics, column))
    for table in (page.metrics, page.per_class, page.confusion):
        assert _headers_fit(table) == [], table.accessibleName()
        assert _cells_fit(table) == [], table.accessibleName()
        assert table.verticalScrollBar().maximum() == 0  # every row shows
    # whatever does not fit the page is reached by scrolling the column
    area = page.tables_area
    assert area.widget() is column
    bars = area.horizontalScrollBar(), area.verticalScrollBar()
    assert column.width() <= area.viewport().width() or bars[0].maximum() > 0
    assert column.height() <= area.viewport().height() or bars[1].maximum() > 0
    wizard.close()
    return page, bars


@pytest.mark.parametrize("size", [(980, 720), (1024, 600)])
def test_the_results_page_fits_or_scrolls_on_a_small_screen(make_window, project, size):
    _check(make_window(project), size, f"{size[0]}x{size[1]}")


def test_the_results_page_fits_or_scrolls_with_large_fonts(make_window, project, big_font):
    page, bars = _check(make_window(project), (980, 720), "bigfont")
    assert bars[0].maximum() > 0 or bars[1].maximum() > 0  # too much for the page: it scrolls


def _many_classes() -> dict:
    """12 classes with long names: a confusion matrix wider and taller than the plots'
    column of a 1024 x 600 wizard."""
    import numpy as np

    from ssl_studio.core.evaluation.metrics import classification_report

    rng = np.random.default_rng(0)
    classes = [f"finding {i:02d} with a long descriptive name" for i in range(12)]
    y = np.repeat(np.arange(12), 4)
    p = rng.dirichlet(np.ones(12), size=len(y))
    p[np.arange(len(y)), y] += 1.0
    p /= p.sum(axis=1, keepdims=True)
    test = classification_report(y, p, classes, n_boot=50)
    base = classification_report(y, rng.dirichlet(np.ones(12), size=len(y)), classes, n_boot=50)
    return {"run_id": 2, "protocol": "linear", "status": "done", "test": test,
            "baseline": {"test": base}}  # fmt: skip


def test_a_large_confusion_matrix_scrolls_instead_of_growing_the_wizard(make_window, project):
    """The confusion matrix kept the size of all its rows and columns as its minimum, in a
    column that does not scroll: with many classes the wizard grew past a small screen
    and cut off the matrix (and the buttons below it)."""
    wizard = make_window(project).open_wizard()
    wizard.result = _many_classes()
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index("results")])
    wizard.restart()
    wizard.resize(1024, 600)
    wizard.show()
    QTest.qWait(100)
    page = wizard.pages["results"]
    if SHOTS:
        wizard.grab().save(os.path.join(SHOTS, "results_12_classes.png"))
    least = wizard.minimumSizeHint()
    assert least.width() <= 1024 and least.height() <= 600, least
    table = page.confusion
    assert table.rowCount() == 12 and table.columnCount() == 13
    assert _headers_fit(table) == [] and _cells_fit(table) == []  # cut by nothing but the view
    # what does not show is reached by scrolling
    header = table.horizontalHeader()
    full_width = sum(header.sectionSize(c) for c in range(table.columnCount()))
    full_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
    viewport = table.viewport()
    assert viewport.width() < full_width and table.horizontalScrollBar().maximum() > 0
    assert viewport.height() >= full_height or table.verticalScrollBar().maximum() > 0
    assert viewport.height() >= 2 * table.rowHeight(0)  # not squeezed to nothing
    wizard.close()
