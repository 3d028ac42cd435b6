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


def _results_page(window, classes: list[str], first: tuple[int, int] | None = None):
    """The results page of ``classes`` at 980 x 720 (the wizard's size on a 1280 x 800
    screen: fit_to_screen); ``first``: shown at this size before."""
    wizard = window.open_wizard()
    wizard.result = _result(classes)
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index("results")])
    wizard.restart()
    if first is not None:  # (the matrix scrolls there, and must not keep room for bars)
        wizard.resize(*first)
        wizard.show()
        QTest.qWait(100)
    wizard.resize(980, 720)
    wizard.show()
    page = wizard.pages["results"]
    for _ in range(30):  # layouts settle in passes (slower on a loaded machine)
        QTest.qWait(100)
        if _slack(page.confusion) == (0, 0):
            break
    return wizard, page


def _slack(table) -> tuple[int, int]:
    """(width, height) of ``table``'s viewport beyond its columns and rows: negative
    where some are out of view, positive where it stands blank."""
    header = table.horizontalHeader()
    columns = sum(header.sectionSize(c) for c in range(table.columnCount()))
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    viewport = table.viewport()
    return viewport.width() - columns, viewport.height() - rows


def _top(widget, ancestor) -> int:
    return widget.mapTo(ancestor, QPoint(0, 0)).y()


@pytest.mark.parametrize(
    ("classes", "first"),
    [(ACTIVITIES, None), (["normal", "pneumonia"], None), (ACTIVITIES, (700, 500))],
)
def test_a_few_classes_show_whole_under_their_title_at_the_top(
    make_window, project, classes, first
):
    wizard, page = _results_page(make_window(project), classes, first)
    table = page.confusion
    assert table.rowCount() == len(classes) and table.columnCount() == len(classes) + 1
    across, down = _slack(table)
    assert across >= 0 and down >= 0, (across, down)  # every row and column in view
    assert table.horizontalScrollBar().maximum() == 0
    assert table.verticalScrollBar().maximum() == 0
    # no box larger than its contents (blank rows or columns inside its frame)
    assert across <= 2 and down <= 2, (across, down)
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
