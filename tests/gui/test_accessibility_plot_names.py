"""A plot's accessible name is the title it shows: the Runs plot kept "Loss: select one or
more runs in the table" after runs were selected, and its Log scale box was named once
after it ("Log scale for the plot Loss: select one or more runs…"). The box is named
"Log scale"; the plot it acts on, kept current, is its description."""

from __future__ import annotations

from PySide6.QtGui import QAccessible

from ssl_studio.gui.live_plot import LivePlot, log_toggle

from gui_helpers import add_runs


def test_a_reset_plot_is_named_by_its_new_title_and_so_is_its_log_box(qtbot):
    plot = LivePlot("Loss: select one or more runs in the table")
    qtbot.addWidget(plot)
    box = log_toggle(plot)
    qtbot.addWidget(box)
    said = QAccessible.queryAccessibleInterface(box)
    assert said.text(QAccessible.Text.Name) == "Log scale"
    assert "Loss: select one or more runs" in said.text(QAccessible.Text.Description)
    plot.reset_view("Loss of the selected runs")
    assert plot.accessibleName() == "Loss of the selected runs"
    assert "“Loss of the selected runs”" in said.text(QAccessible.Text.Description)


def test_the_runs_plot_is_named_after_the_runs_selected(qtbot, make_window, project):
    add_runs(project, 2, points=50)
    window = make_window(project)
    window.show_step(3)
    runs = window.runs
    runs.table.selectAll()
    title = runs.plot.getPlotItem().titleLabel
    qtbot.waitUntil(lambda: title.text == "Loss of the selected runs", timeout=20_000)
    assert runs.plot.accessibleName() == "Loss of the selected runs"
    assert "Loss of the selected runs" in runs.log_y.accessibleDescription()
    runs.table.clearSelection()
    qtbot.waitUntil(lambda: title.text.startswith("Loss: select"), timeout=20_000)
    assert runs.plot.accessibleName() == title.text
