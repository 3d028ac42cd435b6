"""The ROC curve's title and legend in the dark ink of the other plots: pyqtgraph's own
grey (3:1 against white) is under the 4.5:1 that text needs."""

from __future__ import annotations

from PySide6.QtGui import QColor
from test_results_export_reading import _six_items

from ssl_studio.gui.live_plot import INK


def test_the_roc_title_and_legend_are_dark_on_white(make_window, project):
    wizard = make_window(project).open_wizard()
    wizard.result = _six_items()
    results = wizard.pages["results"]
    results.initializePage()
    item = results.roc.getPlotItem()
    assert QColor(item.titleLabel.opts["color"]) == QColor(INK)
    legend = item.legend
    assert [label.text for _, label in legend.items] == ["fine-tuned", "scratch"]
    assert QColor(legend.opts["labelTextColor"]) == QColor("#222")
    assert legend.opts["brush"].color().alpha() > 0  # a pale backing under the names
