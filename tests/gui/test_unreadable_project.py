"""A project.db damaged while the window is open: every refresh that reads it (a project
change, Ctrl+R, switching panels, the wizard) says the store's clear message once, never
a traceback."""

from __future__ import annotations

import pytest
from damaged_db import damage_table

from gui_helpers import import_shapes

DAMAGED = "is damaged (database disk image is malformed). Restore project.db from a backup"


@pytest.mark.parametrize("table", ["datasets", "runs", "exports"])
def test_a_refresh_of_a_damaged_database_says_so_once(
    qtbot, make_window, project, tmp_path, messages, table
):
    import_shapes(project, tmp_path, n=6)
    window = make_window(project)
    assert window.pretrain.form.datasets and messages == []
    damage_table(project, table)

    window.context.notify("project")  # every panel reads the project again
    qtbot.waitUntil(lambda: bool(messages))
    qtbot.wait(50)  # the panels that met the same damage add no message of their own
    [(title, text)] = messages
    assert title == "Cannot read the project" and DAMAGED in text

    messages.clear()
    for what in ("datasets", "runs", "exports", "labels"):
        window.context.notify(what)
    for step in range(6):
        window.show_step(step)
    qtbot.waitUntil(lambda: bool(messages))
    qtbot.wait(50)
    assert len(messages) == 1 and DAMAGED in messages[0][1]


def test_the_wizard_on_a_damaged_database_says_so(qtbot, make_window, project, tmp_path, messages):
    import_shapes(project, tmp_path, n=6)
    window = make_window(project)
    damage_table(project, "runs")
    wizard = window.open_wizard()
    qtbot.addWidget(wizard)
    qtbot.waitUntil(lambda: bool(messages))
    assert any(DAMAGED in text for _, text in messages)


def test_the_message_still_comes_when_the_panel_that_met_it_is_gone(qtbot, monkeypatch):
    """A dialog given a deleted parent raises "Internal C++ object already deleted"."""
    from PySide6.QtWidgets import QWidget
    from shiboken6 import delete

    from ssl_studio.gui.context import AppContext
    from ssl_studio.gui.jobs import JobRunner

    messages = []

    def warning(parent, title, text):
        if parent is not None:
            parent.isVisible()  # the real dialog uses its parent too
        messages.append((title, text))

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.warning", warning)
    context = AppContext(JobRunner())
    page = QWidget()  # a wizard page closed before the message was told
    context.cannot_read(page, "The project database is damaged.")
    context.cannot_read(QWidget(), "The project database is damaged.")  # said once
    delete(page)
    qtbot.waitUntil(lambda: bool(messages))
    assert messages == [("Cannot read the project", "The project database is damaged.")]


def test_ctrl_r_after_a_refresh_that_could_not_read_the_project_says_so(
    qtbot, make_window, project, tmp_path, messages
):
    """The refresh left the form without datasets: Ctrl+R tells the store's message, not
    "Import a dataset first", which would send the user to import again."""
    from PySide6.QtGui import QAction

    import_shapes(project, tmp_path, n=6)
    window = make_window(project)
    damage_table(project, "datasets")
    window.context.notify("project")
    qtbot.waitUntil(lambda: bool(messages))
    qtbot.wait(50)
    messages.clear()

    [start] = [a for a in window.findChildren(QAction) if a.text() == "Start &pretraining"]
    start.trigger()
    qtbot.waitUntil(lambda: bool(messages))
    assert all("Import a dataset first" not in text for _, text in messages)
    assert DAMAGED in messages[0][1]
    assert DAMAGED in window.pretrain.form.explanation.text()
