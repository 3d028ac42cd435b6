"""Removing or erasing from a project an older SSL Studio made: the question says the
project is upgraded first and the copy made before the upgrade goes with the data, and
the upgrade notice afterwards names no deleted copy (review finding)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.cli import EXIT_OK, EXIT_USAGE, main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project import upgrade


@pytest.fixture
def schema_6(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A project with one dataset of 4 PNGs, taken back to schema 6 (before erasure)."""
    folder = tmp_path / "scans"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(1, 255, (32, 32), dtype=np.uint8)).save(folder / f"s{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], name="scans"))
    conn = sqlite3.connect(project / "project.db")
    conn.execute("DROP TABLE erased")  # migration 7
    conn.execute("PRAGMA user_version=6")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    upgrade.take_upgrades()
    return project, folder


def _check(project: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == EXIT_USAGE  # (no terminal: asked, nothing done)
    asked = capsys.readouterr().err
    assert "older SSL Studio (database schema 6)" in asked and "upgraded to schema 7" in asked
    assert "no longer be taken back" in asked
    assert not list(project.glob("project.db.schema-*.bak"))  # (nothing done yet)
    assert main([*args, "--yes"]) == EXIT_OK
    said = capsys.readouterr()
    assert not list(project.glob("project.db.schema-*.bak")), "the copy holds the data"
    notice = next(line for line in said.err.splitlines() if "Upgraded" in line)
    assert "is gone" in notice and "a copy of the old one" not in notice
    assert "Deleted project.db.schema-6.bak" in said.out


def test_erasing_from_an_older_project_says_the_upgrade_copy_goes(schema_6, capsys):
    project, folder = schema_6
    args = ["remove", str(project), "--dataset", "scans", "--file", str(folder / "s1.png")]
    _check(project, args, capsys)


def test_removing_from_an_older_project_says_the_upgrade_copy_goes(schema_6, capsys):
    project, _ = schema_6
    _check(project, ["remove", str(project), "--dataset", "scans"], capsys)
