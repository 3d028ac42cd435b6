"""The command line on an older project: looking leaves it; a write upgrades it, said once."""

from __future__ import annotations

from pathlib import Path

from old_schema import dump, schema_2_project

from ssl_studio.cli import EXIT_OK, main


def test_info_leaves_an_older_project_and_a_write_says_it_upgraded_it(project: Path, capsys):
    before = schema_2_project(project)
    assert main(["info", str(project)]) == EXIT_OK
    shown = capsys.readouterr()
    assert "(schema 2)" in shown.out and "Upgraded" not in shown.err
    assert dump(project / "project.db") == before  # an older SSL Studio still opens it

    assert main(["card-details", str(project), "--clear"]) == EXIT_OK  # a command that writes
    err = capsys.readouterr().err
    assert err.count("Upgraded the project's database") == 1
    [line] = [line for line in err.splitlines() if "Upgraded" in line]
    assert line.startswith("ssl-studio: Upgraded the project's database from schema 2 to ")
    assert "project.db.schema-2.bak" in line and "cannot open it now" in line
    assert (project / "project.db.schema-2.bak").exists()

    assert main(["card-details", str(project), "--clear"]) == EXIT_OK
    assert "Upgraded" not in capsys.readouterr().err  # once
