"""A project moved, renamed or on a share that went away while the window shows it: a
panel's read says it is not reachable now (where to connect or open it), not "is not an
SSL Studio project ... create a new project" (the audit's gui_mv.py)."""

from __future__ import annotations

from ssl_studio.gui.recent_projects import lost_message, missing_message

from gui_helpers import add_runs


def test_a_project_moved_away_is_said_to_be_not_reachable(qtbot, make_window, project, messages):
    add_runs(project, 1, points=5)
    window = make_window(project)
    window.show_step(3)
    project.rename(project.with_name("moved"))
    window.context.notify("runs")
    window.context.notify("datasets")
    qtbot.waitUntil(lambda: bool(messages))
    qtbot.wait(50)
    assert messages == [("Cannot read the project", missing_message(project))]  # once


def test_a_project_whose_database_went_away_says_so(qtbot, make_window, project, messages):
    """Its folder is there (a share's empty mount point), its project.db is not."""
    window = make_window(project)
    (project / "project.db").rename(project / "elsewhere.db")
    window.context.notify("runs")
    qtbot.waitUntil(lambda: bool(messages))
    [(title, text)] = messages
    assert title == "Cannot read the project" and text == lost_message(project)
    assert "create a new project" not in text
