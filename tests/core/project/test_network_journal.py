"""A project on a network drive (the detector faked): the rollback journal instead of WAL,
a WAL project switched, no -wal/-shm files, and the notice reaching its readers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ssl_studio.cli import EXIT_OK, main
from ssl_studio.core.errors import ProjectLockedError
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.store import base as store_base

NOTICE = (
    "This project is on a network drive (nfs4): SSL Studio uses SQLite's rollback journal "
    "there, which is slower; keep one job writing at a time, and for speed copy the "
    "project to a local disk."
)


def on_network_drive(monkeypatch, kind: str = "nfs4", local_locks: bool = False) -> None:
    """Make every folder look like it is on a network drive of type ``kind``."""
    mount = SimpleNamespace(kind=kind, local_locks=local_locks)
    monkeypatch.setattr(store_base, "remote_file_system", lambda folder: mount, raising=False)


def on_local_disk(monkeypatch) -> None:
    monkeypatch.setattr(store_base, "remote_file_system", lambda folder: None, raising=False)


def journal_mode(store: Store) -> str:
    return store.conn.execute("PRAGMA journal_mode").fetchone()[0]


def side_files(project: Path) -> list[str]:
    return sorted(p.name for p in project.glob("project.db-*"))


def test_a_writer_on_a_network_drive_uses_the_rollback_journal(tmp_path, monkeypatch) -> None:
    on_network_drive(monkeypatch)
    project = tmp_path / "p"
    with Store.create(project) as store:
        assert journal_mode(store) == "delete"
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        with store.transaction():
            store._set_meta("note", "written over the network")
        assert side_files(project) == []
    assert side_files(project) == []
    with Store.open(project) as reader:  # a reader makes no -wal/-shm either
        assert reader.meta("note") == "written over the network"
        assert journal_mode(reader) == "delete"
        assert side_files(project) == []


def test_a_wal_project_is_switched_and_back_on_a_local_disk(tmp_path, monkeypatch) -> None:
    project = tmp_path / "p"
    on_local_disk(monkeypatch)
    Store.create(project).close()
    assert (project / "project.db").read_bytes()[18] == 2  # WAL
    on_network_drive(monkeypatch)
    with Store.open(project, write=True) as store:
        assert journal_mode(store) == "delete"
    assert (project / "project.db").read_bytes()[18] == 1
    assert side_files(project) == []
    on_local_disk(monkeypatch)  # moved back: the next writer puts it in WAL mode again
    with Store.open(project, write=True) as store:
        assert journal_mode(store) == "wal"


def test_switching_waits_for_other_connections_and_says_so(tmp_path, monkeypatch) -> None:
    project = tmp_path / "p"
    on_local_disk(monkeypatch)
    Store.create(project).close()
    other = sqlite3.connect(project / "project.db")  # e.g. a viewer on another machine
    other.execute("SELECT COUNT(*) FROM meta").fetchone()
    on_network_drive(monkeypatch)
    monkeypatch.setattr(store_base, "BUSY_TIMEOUT_S", 0.05)
    try:
        with pytest.raises(ProjectLockedError, match=r"network drive \(nfs4\).*close"):
            Store.open(project, write=True)
        with Store.open(project) as reader:  # reading it meanwhile still works
            assert reader.meta("salt")
    finally:
        other.close()
    with Store.open(project, write=True) as store:  # the lock was let go
        assert journal_mode(store) == "delete"


def test_a_reader_switches_a_wal_project_when_nobody_writes(tmp_path, monkeypatch) -> None:
    project = tmp_path / "p"
    on_local_disk(monkeypatch)
    Store.create(project).close()
    on_network_drive(monkeypatch)
    with WriteLock(project / ".write.lock", "a job"):  # another process writes: as it is
        with Store.open(project) as reader:
            assert journal_mode(reader) == "wal"
    with Store.open(project) as reader:
        assert journal_mode(reader) == "delete"
    assert side_files(project) == []


def test_the_notice_reaches_the_store_and_listeners_once(tmp_path, monkeypatch) -> None:
    from ssl_studio.core.project.journal import notices_to

    on_network_drive(monkeypatch, kind="cifs", local_locks=True)
    heard: list[str] = []
    with notices_to(heard.append):
        Store.create(tmp_path / "p").close()
        with Store.open(tmp_path / "p") as store:
            assert store.network_notice == heard[0]
    assert len(heard) == 1
    assert heard[0].startswith("This project is on a network drive (cifs): ")
    assert "one machine only" in heard[0]  # (locks that stay on this machine: nobrl)
    on_local_disk(monkeypatch)
    with Store.open(tmp_path / "p") as store:
        assert store.network_notice is None


def test_the_command_line_says_it_once_on_stderr(tmp_path, monkeypatch, capsys) -> None:
    on_network_drive(monkeypatch)
    project = tmp_path / "p"
    assert main(["new", str(project)]) == EXIT_OK
    err = capsys.readouterr().err
    assert err.splitlines() == [f"ssl-studio: {NOTICE}"]
    assert main(["info", str(project)]) == EXIT_OK  # (once per project and process)
    assert "network drive" not in capsys.readouterr().err


CUT_OFF_WRITE = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size=10")  # (pages spill to the file before the commit)
conn.execute("BEGIN")
conn.execute("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 2000) "
             "INSERT INTO meta(key, value) SELECT 'k' || i, randomblob(2000) FROM r")
os._exit(0)  # killed mid-write: project.db-journal is hot
"""


def test_a_write_cut_off_is_rolled_back_not_read_past(tmp_path, monkeypatch) -> None:
    on_network_drive(monkeypatch)
    project = tmp_path / "p"
    Store.create(project).close()
    subprocess.run([sys.executable, "-c", CUT_OFF_WRITE, str(project / "project.db")], check=True)
    assert side_files(project) == ["project.db-journal"]
    with Store.open(project) as reader:  # (before: read as immutable, half-written)
        added = reader.conn.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'")
        assert added.fetchone()[0] == 0
        assert reader.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert side_files(project) == []
