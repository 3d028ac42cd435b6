"""The confusion matrix of a few classes shows whole at the wizard's size: the audit's
4 BasicMotions classes showed in a box of 3.5 rows and 2.5 class columns with both
scroll bars, under its title halfway down an otherwise empty column."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from ssl_studio.core.evaluation.metrics import classification_report

ACTIVITIES = ["badminton", "running", "standing", "walking"]


def _result(classes: list[str]) -> dict:
    """5 items per class, 5-fold cross-validation, fine-tuned better than from scratch."""
    rng = np.random.default_rng(0)
    k = len(classes)
    y = np.repeat(np.arange(k), 5)
    p = rng.dirichlet(np.ones(k), size=len(y))
    p[np.arange(len(y)), y] += 2.0
    p /= p.sum(axis=1, keepdims=True)
    test = classification_report(y, p, classes, n_boot=50)
    base = classification_report(y, rng.dirichlet(np.ones(k), size=len(y)), classes, n_boot=50)
    test["evaluation"] = base["evaluation"] = "5-fold cross-validation"
    return {"run_id": 2, "protocol": "linear", "status": "done", "test": test,
            "baseline": {"test": base}}  # fmt: skip


def _results_page(window, classes: list[str]):
    wizard = window.open_wizard()
    wizard.result = _result(classes)
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index("results")])
    wizard.restart()
    wizard.resize(980, 720)  # its size on a 1280 x 800 screen (fit_to_screen)
    wizard.show()
    QTest.qWait(100)
    return wizard, wizard.pages["results"]


def _top(widget, ancestor) -> int:
    return widget.mapTo(ancestor, QPoint(0, 0)).y()


@pytest.mark.parametrize("classes", [ACTIVITIES, ["normal", "pneumonia"]])
def test_a_few_classes_show_whole_under_their_title_at_the_top(make_window, project, classes):
    wizard, page = _results_page(make_window(project), classes)
    table = page.confusion
    assert table.rowCount() == len(classes) and table.columnCount() == len(classes) + 1
    header = table.horizontalHeader()
    columns = sum(header.sectionSize(c) for c in range(table.columnCount()))
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    viewport = table.viewport()
    assert viewport.width() >= columns and viewport.height() >= rows, (viewport.size(), columns)
    assert table.horizontalScrollBar().maximum() == 0
    assert table.verticalScrollBar().maximum() == 0
    # no box larger than its contents (blank rows or columns inside its frame)
    assert viewport.width() - columns <= 2 and viewport.height() - rows <= 2
    # the title right above it; both at the top of their column, beside the metrics,
    # unless the ROC curve of two classes stands above them
    title = page.confusion_title
    figures = page.tables_area.parentWidget()
    gap = _top(table, figures) - (_top(title, figures) + title.height())
    assert 0 <= gap <= 12, gap
    if len(classes) > 2:
        assert page.roc.isHidden()
        assert abs(_top(title, figures) - _top(page.tables_area, figures)) <= 2
    else:
        assert _top(title, figures) > _top(page.roc, figures) + page.roc.height() - 2
    # the metrics beside it lose nothing
    metrics = page.metrics
    assert metrics.horizontalScrollBar().maximum() == 0
    assert page.tables_area.horizontalScrollBar().maximum() == 0
    wizard.close()
