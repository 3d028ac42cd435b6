"""Plots at large app fonts: their least height, their titles and their legends grow with
the text. Fixed pixel heights (96 px on the Pretrain page, 120 px elsewhere, none for the
ROC curve) squeezed them to a title and two axes, and a fixed 10 pt title and 9 pt legend
were smaller than every other text at 1.6 times the usual font."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from ssl_studio.gui.live_plot import LivePlot, add_legend
from ssl_studio.gui.panels.training_view import TrainingView

FACTOR = 2.0


@pytest.fixture
def large_font():
    usual = QApplication.font()
    large = QApplication.font()
    large.setPointSizeF(usual.pointSizeF() * FACTOR)
    QApplication.setFont(large)
    yield large
    QApplication.setFont(usual)


def _line(font) -> int:
    return QFontMetrics(font).lineSpacing()


def test_plots_are_as_high_as_several_lines_of_large_text(qtbot, large_font):
    line = _line(large_font)
    plot = LivePlot("Loss")
    qtbot.addWidget(plot)
    assert plot.minimumHeight() >= 8 * line
    view = TrainingView()
    qtbot.addWidget(view)
    for each in (view.loss_plot, view.lr_plot, view.speed_plot, view.health_plot):
        assert each.minimumHeight() >= 6.5 * line  # not the 96 px of a 9 pt font


def test_the_roc_curve_is_as_high_as_several_lines_of_text(make_window, project, large_font):
    wizard = make_window(project).open_wizard()
    assert wizard.pages["results"].roc.minimumHeight() >= 8 * _line(large_font)


def test_a_plot_s_height_follows_a_font_set_later(qtbot):
    plot = LivePlot("Loss")
    qtbot.addWidget(plot)
    before = plot.minimumHeight()
    font = plot.font()
    font.setPointSizeF(font.pointSizeF() * FACTOR)
    plot.setFont(font)
    assert plot.minimumHeight() >= 1.8 * before


def test_titles_and_legends_grow_with_the_app_s_text(qtbot, large_font):
    points = large_font.pointSizeF()
    plot = LivePlot("Loss", legend_offset=None)  # its legend in a row of its own
    qtbot.addWidget(plot)
    plot.append("a", 1, 1.0)
    title = plot.getPlotItem().titleLabel
    assert title.opts["size"] == f"{points * 10 / 9:.1f}pt" and title.maximumHeight() > 30
    assert plot._legend.opts["labelTextSize"] == f"{points:.1f}pt"
    other = LivePlot("Loss")  # its legend in a corner
    qtbot.addWidget(other)
    other.append("a", 1, 1.0)
    assert other._legend.opts["labelTextSize"] == f"{points:.1f}pt"
    bare = pg.PlotWidget()
    qtbot.addWidget(bare)
    assert add_legend(bare).opts["labelTextSize"] == f"{points:.1f}pt"  # the map's


def test_a_reset_title_keeps_its_size(qtbot, large_font):
    plot = LivePlot("Loss")
    qtbot.addWidget(plot)
    plot.reset_view("Loss: select one or more runs in the table")
    size = plot.getPlotItem().titleLabel.opts["size"]
    assert size == f"{large_font.pointSizeF() * 10 / 9:.1f}pt"


def test_the_task_list_is_as_high_as_eight_lines_of_large_text(make_window, large_font):
    form = make_window().pretrain.form
    assert form.task_list.maximumHeight() >= 8 * _line(large_font)


def test_the_roc_column_scrolls_rather_than_sliding_under_the_matrix(
    make_window, project, large_font
):
    from PySide6.QtTest import QTest
    from test_results_export_reading import _six_items

    wizard = make_window(project).open_wizard()
    wizard.result = _six_items()
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index("results")])
    wizard.restart()
    wizard.resize(980, 720)
    wizard.show()
    QTest.qWait(100)
    page = wizard.pages["results"]
    roc, title = page.roc, page.confusion_title
    assert roc.height() >= roc.minimumHeight() >= 8 * _line(large_font)
    assert roc.geometry().bottom() < title.geometry().top()  # (both in the column)
    assert page.plots_area.verticalScrollBar().maximum() > 0  # too high: it scrolls
    assert page.plots_area.horizontalScrollBar().maximum() == 0  # up and down only
