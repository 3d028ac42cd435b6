"""Opening an older project in the app: looking leaves it; an upgrade is shown."""

from __future__ import annotations

from pathlib import Path

from old_schema import dump, schema_2_project, version

from ssl_studio.core.project.schema import SCHEMA_VERSION


def test_opening_an_older_project_leaves_it_as_it_is(make_window, project: Path):
    before = schema_2_project(project)
    window = make_window(project)
    assert window.context.project == project and not window.context.read_only
    assert dump(project / "project.db") == before
    assert "Upgraded" not in window.statusBar().currentMessage()


def test_an_upgrade_to_mark_interrupted_runs_is_shown_in_the_status_bar_and_log(
    make_window, project: Path
):
    schema_2_project(project, running=True)  # a run left "running" by a crash
    window = make_window(project)
    assert version(project / "project.db") == SCHEMA_VERSION
    message = window.statusBar().currentMessage()
    assert message.startswith("Upgraded the project's database from schema 2 to ")
    assert "project.db.schema-2.bak" in message
    assert message in window.log.toPlainText()
