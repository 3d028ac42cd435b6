"""A damaged, emptied, missing or locked project.db: a message that says which it is and
what to do, and nothing in the project folder is changed (an emptied database is never
made into a new project beside the old one's runs and cache)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from damaged_db import damage_table
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import NotAProjectError, ProjectError
from ssl_studio.core.events import Failed
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.store import base as store_base
from ssl_studio.core.storage_errors import ProjectDamagedError


@pytest.fixture
def used_project(project: Path) -> Path:
    """A project with a dataset, a cache file and a run folder."""
    with Store.open(project, write=True) as store:
        store.create_dataset("scans", "image", 64)
    (project / "cache" / "dataset-1").mkdir()
    (project / "cache" / "dataset-1" / "images-64px-u8-c1.bin").write_bytes(b"\0" * 4096)
    (project / "runs" / "1").mkdir()
    (project / "runs" / "1" / "config.json").write_text("{}")
    return project


@pytest.mark.parametrize("write", [False, True])
def test_an_emptied_database_beside_a_used_project_is_refused_untouched(used_project, write):
    (used_project / "project.db").write_bytes(b"")
    for side in ("-wal", "-shm"):
        (used_project / f"project.db{side}").unlink(missing_ok=True)
    with pytest.raises(ProjectDamagedError, match="is empty, but the project folder holds"):
        Store.open(used_project, write=write)
    assert (used_project / "project.db").read_bytes() == b""  # no new schema, no new salt


def test_the_command_line_says_the_database_is_empty_and_what_to_do(used_project, capsys):
    (used_project / "project.db").write_bytes(b"")
    for side in ("-wal", "-shm"):
        (used_project / f"project.db{side}").unlink(missing_ok=True)
    assert main(["info", str(used_project)]) == 1
    said = capsys.readouterr().err
    assert "is empty" in said and "cache/, runs/" in said
    assert "Restore project.db from a backup" in said and "No datasets" not in said


def test_a_missing_database_beside_a_used_project_says_so(used_project):
    for name in ("project.db", "project.db-wal", "project.db-shm"):
        (used_project / name).unlink(missing_ok=True)
    with pytest.raises(ProjectDamagedError, match="is missing, but the project folder holds"):
        Store.open(used_project)
    assert not (used_project / "project.db").exists()


def test_a_folder_that_only_has_a_runs_folder_is_not_a_project_not_a_damaged_one(tmp_path):
    (tmp_path / "runs" / "exp1").mkdir(parents=True)  # e.g. TensorBoard's experiments
    (tmp_path / "runs" / "exp1" / "events.out").write_text("x")
    with pytest.raises(NotAProjectError):
        Store.open(tmp_path)


def test_a_database_that_lost_its_version_is_not_made_anew(used_project):
    conn = sqlite3.connect(used_project / "project.db")
    conn.execute("PRAGMA user_version=0")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectDamagedError, match="has no SSL Studio tables"):
        Store.open(used_project, write=True)


def test_a_damaged_header_says_damaged_and_restore_a_backup(used_project):
    with open(used_project / "project.db", "r+b") as f:
        f.write(b"this is not an sqlite header at all")
    with pytest.raises(ProjectDamagedError, match="is damaged .* Restore project.db from"):
        Store.open(used_project)


def test_a_damaged_table_is_the_damaged_message_not_a_bug(used_project, capsys, tmp_path):
    damage_table(used_project, "datasets")
    assert main(["info", str(used_project)]) == 1
    said = capsys.readouterr().err
    assert "is damaged" in said and "Restore project.db from a backup" in said
    assert "This is a bug" not in said
    events = []
    (tmp_path / "in").mkdir()
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "in" / "a.png")
    with pytest.raises(ProjectDamagedError, match="is damaged"):
        import_data(
            ImportConfig(project=used_project, paths=[tmp_path / "in"]), report=events.append
        )
    assert [e for e in events if isinstance(e, Failed)][0].error.startswith("The project database")


def test_a_query_that_meets_a_damaged_table_leaves_the_store_as_the_damaged_message(
    used_project,
):
    """Opening reads only the header and the schema: a table damaged while the project is
    open (the window's refreshes) raised SQLite's own "malformed" to every reader."""
    damage_table(used_project, "datasets")
    with pytest.raises(ProjectDamagedError, match="is damaged .* Restore project.db from"):
        with Store.open(used_project) as store:
            store.datasets()


def test_a_query_that_meets_a_lock_leaves_the_store_as_the_in_use_message(project):
    with pytest.raises(ProjectError, match="Another program is using .* Close that"):
        with Store.open(project):
            raise sqlite3.OperationalError("database is locked")  # past the busy timeout
    with pytest.raises(ValueError, match="not a database failure"):  # others leave as is
        with Store.open(project):
            raise ValueError("not a database failure")


def test_a_database_another_program_keeps_locked_says_close_it(project, monkeypatch):
    monkeypatch.setattr(store_base, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(project / "project.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a database browser in the middle of a change
    try:
        with pytest.raises(ProjectError, match="Another program is using .* Close that"):
            Store.open(project, write=True)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Store.open(project, write=True):
        pass
