"""Upgrading an older project database: readers leave it as it is; a writer upgrades it
in one transaction after a copy, records and announces it; a failure changes nothing."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from old_schema import dump, schema_2_project, version

from ssl_studio.core.errors import ProjectError
from ssl_studio.core.jobs import recover_interrupted
from ssl_studio.core.project import schema, upgrade
from ssl_studio.core.project.schema import SCHEMA_VERSION
from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import DiskFullError


def backups(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if ".bak" in p.name)


def test_a_reader_reads_an_older_schema_as_it_is_and_leaves_it(project: Path):
    before = schema_2_project(project)
    with Store.open(project) as store:
        assert store.schema_version == 2 and store.upgrade is None
        assert [d["name"] for d in store.datasets()] == ["scans"]
        [run] = store.runs()
        assert (run["status"], run["device"]) == ("done", None)
    assert dump(project / "project.db") == before
    assert backups(project) == [] and upgrade.take_upgrades() == []
    assert recover_interrupted(project) == 0  # the GUI's check on opening: no writes
    assert dump(project / "project.db") == before


def test_a_writer_upgrades_after_a_copy_records_it_and_announces_it(project: Path):
    before = schema_2_project(project)
    with Store.open(project, write=True) as store:
        assert store.schema_version == SCHEMA_VERSION
        done = store.upgrade
        [record] = json.loads(store.meta("upgrades") or "[]")
    assert done is not None and (done.old, done.new) == (2, SCHEMA_VERSION)
    assert done.backup == project / "project.db.schema-2.bak"
    assert dump(done.backup) == before  # the copy is the database as it was
    conn = sqlite3.connect(done.backup)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # a file on its own
    conn.close()
    assert (record["from"], record["to"], record["backup"]) == (2, SCHEMA_VERSION, done.backup.name)
    assert record["by"].startswith("ssl-studio ") and record["when"]
    text = done.text()
    assert f"from schema 2 to {SCHEMA_VERSION}" in text and "project.db.schema-2.bak" in text
    assert upgrade.take_upgrades() == [done] and upgrade.take_upgrades() == []
    left = {p.name for p in project.iterdir() if not p.name.startswith("project.db-")}
    assert left == {"project.db", "project.db.schema-2.bak", ".write.lock"} | {
        "cache",
        "runs",
        "exports",
    }
    with Store.open(project, write=True) as store:  # once only
        assert store.upgrade is None
    assert backups(project) == ["project.db.schema-2.bak"]


def test_an_earlier_copy_of_the_same_schema_is_never_written_over(project: Path):
    schema_2_project(project)
    earlier = project / "project.db.schema-2.bak"
    earlier.write_bytes(b"an earlier copy")
    with Store.open(project, write=True) as store:
        assert store.upgrade is not None
        assert store.upgrade.backup.name == "project.db.schema-2.2.bak"
    assert earlier.read_bytes() == b"an earlier copy"


def test_the_gui_check_for_interrupted_runs_upgrades_only_to_mark_them(project: Path):
    schema_2_project(project, running=True)
    assert recover_interrupted(project) == 1
    assert version(project / "project.db") == SCHEMA_VERSION
    [done] = upgrade.take_upgrades()
    assert done.backup.exists()


def test_a_failed_step_leaves_the_old_schema_and_names_the_copy(project: Path):
    before = schema_2_project(project)

    def half_done(db) -> None:  # migration 5 fails after its first statement
        db["files"].add_column("reread", int)
        raise RuntimeError("disk went away")

    shipped, schema.MIGRATIONS[4] = schema.MIGRATIONS[4], half_done  # (the list itself)
    try:
        with pytest.raises(ProjectError) as info:
            Store.open(project, write=True)
    finally:
        schema.MIGRATIONS[4] = shipped
    message = str(info.value)
    assert "project.db.schema-2.bak" in message and "still at schema 2" in message
    assert "renaming it to project.db" in message and "report" in message
    assert dump(project / "project.db") == before  # schema and data as they were
    conn = sqlite3.connect(project / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert (project / "project.db.schema-2.bak").exists()
    assert upgrade.take_upgrades() == []


def test_a_disk_too_full_for_the_copy_refuses_the_upgrade(project, monkeypatch):
    before = schema_2_project(project)

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(upgrade, "sync_file", full)
    with pytest.raises(DiskFullError, match="disk is full") as info:
        Store.open(project, write=True)
    assert "not upgraded" in str(info.value)
    assert dump(project / "project.db") == before
    assert backups(project) == []


def test_the_copy_is_flushed_on_windows_which_flushes_only_a_file_open_for_writing(
    project, monkeypatch
):
    """Windows' FlushFileBuffers needs write access: os.fsync on a read-only descriptor
    fails there with EBADF (simulated here), which refused every upgrade."""
    fcntl = pytest.importorskip("fcntl")  # (the simulation reads a descriptor's mode)
    schema_2_project(project)
    real = os.fsync

    def windows_fsync(fd: int) -> None:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            raise OSError(errno.EBADF, "Bad file descriptor")
        real(fd)

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "fsync", windows_fsync)
    with Store.open(project, write=True) as store:
        assert store.upgrade is not None and store.upgrade.backup.exists()
    assert version(project / "project.db") == SCHEMA_VERSION


def test_a_newer_schema_is_said_to_be_upgraded_not_saved(project: Path):
    conn = sqlite3.connect(project / "project.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError) as info:
        Store.open(project)
    message = str(info.value)
    assert "database was upgraded by a newer SSL Studio" in message
    assert f"this version reads up to {SCHEMA_VERSION}" in message and "saved" not in message


def test_a_copy_from_before_an_upgrade_is_found_when_it_holds_a_hidden_name(tmp_path):
    """copies_holding: the copies whose stored texts hold an identifier an import hid
    (they are removed then); a copy without them is kept, an unreadable one is not."""
    import sqlite3

    from ssl_studio.core.data.privacy import redactor
    from ssl_studio.core.project.upgrade import copies_holding

    db = tmp_path / "project.db"
    for name, path in (("schema-4", "Doe_Jane/scan.png"), ("schema-5", "case1/scan.png")):
        conn = sqlite3.connect(tmp_path / f"project.db.{name}.bak")
        for table, column in (("roots", "path"), ("files", "rel_path"), ("imports", "summary"),
                              ("datasets", "name")):  # fmt: skip
            conn.execute(f"CREATE TABLE {table} ({column} TEXT)")
        conn.execute("CREATE TABLE import_errors (path TEXT, message TEXT)")
        conn.execute("INSERT INTO files VALUES (?)", (path,))
        conn.commit()
        conn.close()
    (tmp_path / "project.db.schema-3.bak").write_bytes(b"not a database at all")
    found = copies_holding(db, redactor(["Doe^Jane", "Doe_Jane"]))
    assert sorted(p.name for p in found) == ["project.db.schema-3.bak", "project.db.schema-4.bak"]
