"""The Runs table says a run's status for people (project_info's status_text): in a
read-only project a run left "running" may have been cut off, and says so."""

from __future__ import annotations

from ssl_studio.core.project import info
from ssl_studio.core.project.info import UNSURE_RUNNING
from ssl_studio.gui.panels.runs_panel import COLUMNS

from gui_helpers import add_runs


def test_the_runs_table_shows_the_status_text(qtbot, make_window, project, monkeypatch):
    (run,) = add_runs(project, 1)
    overview = info.runs_overview

    def unsure(store):  # (as a read-only project reads: whether it is written, unknown)
        return [{**r, "status": "running", "status_text": UNSURE_RUNNING} for r in overview(store)]

    monkeypatch.setattr("ssl_studio.gui.panels.runs_panel.runs_overview", unsure)
    window = make_window(project)
    window.show_step(3)
    window.runs.reload()
    table = window.runs.table
    column = COLUMNS.index("Status")
    assert table.model().index(0, column).data() == UNSURE_RUNNING
    assert window.runs.runs[0]["id"] == run
