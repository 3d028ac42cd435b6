"""The Pretrain page on a 1024 x 600 screen: the form scrolls itself, so the page is not
put in a second vertical scroll area, and the live view's plots fit beside the form (two
nested vertical scroll bars showed, and a horizontal one cut the plots' right edge off);
the Data page with an item in its viewer too."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QAbstractScrollArea, QScrollBar

from gui_helpers import import_shapes


def _bars(widget, orientation: Qt.Orientation) -> list[QScrollBar]:
    """The visible scroll bars of that orientation in ``widget`` (itself included)."""
    areas = widget.findChildren(QAbstractScrollArea)
    if isinstance(widget, QAbstractScrollArea):
        areas.append(widget)
    bars = [
        area.verticalScrollBar()
        if orientation == Qt.Orientation.Vertical
        else area.horizontalScrollBar()
        for area in areas
    ]
    return [bar for bar in bars if bar.isVisible()]


def test_the_pretrain_page_fits_a_1024_by_600_screen(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(0, 0, 1024, 600))
    import_shapes(project, tmp_path)
    window = make_window(project)
    window.show_step(1)
    qtbot.wait(50)
    page = window.stack.currentWidget()
    assert _bars(page, Qt.Orientation.Horizontal) == []  # nothing cut off on the right
    vertical = _bars(page, Qt.Orientation.Vertical)
    assert vertical == [window.pretrain.form.verticalScrollBar()]  # one: the form's
    view = window.pretrain.view  # every plot whole in the window, none behind another
    plots = (view.loss_plot, view.lr_plot, view.speed_plot, view.health_plot)
    shown = QRect(window.stack.mapTo(window, QPoint(0, 0)), window.stack.size())
    places = [QRect(plot.mapTo(window, QPoint(0, 0)), plot.size()) for plot in plots]
    for plot, place in zip(plots, places, strict=True):
        assert shown.contains(place), (plot.accessibleName(), place, shown)
        assert plot.height() >= plot.minimumHeight()
    assert not any(a.intersects(b) for i, a in enumerate(places) for b in places[i + 1 :])


def test_the_data_page_with_an_item_shown_fits_a_1024_by_600_screen(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """The viewer's window row (its preset list as wide as its longest preset) made the
    Data page wider than the window: a horizontal scroll bar, the viewer cut off."""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(0, 0, 1024, 600))
    import_shapes(project, tmp_path)
    window = make_window(project)
    window.show_step(0)
    window.data.grid.setCurrentIndex(window.data.grid.model().index(0, 0))
    qtbot.wait(50)
    page = window.stack.currentWidget()
    assert not page.horizontalScrollBar().isVisible()  # nothing cut off on the right
