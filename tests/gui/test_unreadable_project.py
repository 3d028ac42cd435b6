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
