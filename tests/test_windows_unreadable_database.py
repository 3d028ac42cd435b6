"""A project database whose permissions deny reading it. On Windows
``os.access(path, os.R_OK)`` looks only at the Read-only attribute and says every file may
be read, so an ACL that denies reading project.db was said as "cannot be opened ... copy
the project to a local disk" instead of "permission denied". Simulated: os.access says
yes to every file, and opening project.db is refused (PermissionError, as Windows says
it), as is SQLite's own opening of it ("unable to open database file")."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from ssl_studio.core.errors import ProjectError, ProjectUnreadableError
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store


def sqlite_cannot_open(monkeypatch, db: Path) -> None:
    """SQLite says "unable to open database file" for ``db`` (its own open is in C)."""
    real = sqlite3.connect

    def connect(database, *args, **kwargs):
        if Path(os.fsdecode(database).removeprefix("file:").split("?")[0]) == db:
            exc = sqlite3.OperationalError("unable to open database file")
            exc.sqlite_errorname = "SQLITE_CANTOPEN"
            raise exc
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """A project's database SQLite cannot open; os.access says every file may be read."""
    project = create_project(tmp_path / "project")
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: True)
    sqlite_cannot_open(monkeypatch, project / "project.db")
    return project / "project.db"


def test_a_database_the_acl_keeps_from_you_is_said_as_permission_denied(db, monkeypatch):
    real = os.open

    def open_(path, flags, *args, **kwargs):
        if Path(os.fsdecode(path)) == db:  # (any mode: reading is what the ACL denies)
            raise PermissionError(errno.EACCES, "Access is denied", os.fsdecode(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    for write in (False, True):
        with pytest.raises(ProjectUnreadableError, match="permission denied"):
            Store.open(db.parent, write=write).close()


def test_a_database_you_may_read_that_cannot_open_is_not_said_as_permissions(db):
    """(os.access's answer, as on Linux: its permissions are not what is wrong)"""
    with pytest.raises(ProjectError, match="cannot be opened") as info:
        Store.open(db.parent).close()
    assert not isinstance(info.value, ProjectUnreadableError)
