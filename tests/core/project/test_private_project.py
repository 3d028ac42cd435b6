"""A new project is its owner's alone on a shared machine: the folder, cache/ (decoded
patient pixels), runs/ and project.db are not readable by other users; exports/ follows
the umask (an export is made to be handed on)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="Windows ignores mode bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
@pytest.mark.parametrize("existing", [False, True])
def test_a_new_project_is_readable_by_its_owner_only(tmp_path, existing):
    old = os.umask(0o022)  # (the usual umask on a shared machine)
    try:
        folder = tmp_path / "project"
        if existing:  # an empty folder the user chose (made at 0755 by a file dialog)
            folder.mkdir(mode=0o755)
        create_project(folder)
        with Store.open(folder, write=True) as store:  # (its -wal and -shm files too)
            store.conn.execute("CREATE TABLE probe(x)")
            wal = folder / "project.db-wal"
            assert wal.exists() and mode(wal) == 0o600
    finally:
        os.umask(old)
    assert mode(folder) == 0o700
    assert mode(folder / "cache") == 0o700 and mode(folder / "runs") == 0o700
    assert mode(folder / "project.db") == 0o600
    assert mode(folder / "exports") == 0o755


@posix_only
def test_an_existing_project_keeps_its_modes(tmp_path):
    """Opening a project made before (0755 folders) changes no mode."""
    folder = create_project(tmp_path / "project")
    for path in (folder, folder / "cache", folder / "runs"):
        os.chmod(path, 0o755)
    os.chmod(folder / "project.db", 0o644)
    with Store.open(folder, write=True):
        pass
    assert mode(folder) == 0o755 and mode(folder / "cache") == 0o755
    assert mode(folder / "project.db") == 0o644


@posix_only
def test_the_copy_made_before_an_upgrade_is_as_private_as_the_database(tmp_path):
    from ssl_studio.core.project.upgrade import make_backup

    old = os.umask(0o022)
    try:
        folder = create_project(tmp_path / "project")
        # a partial copy a failed upgrade left, made before copies were private
        left = folder / "project.db.schema-3.bak.partial"
        left.write_bytes(b"")
        left.chmod(0o644)
        with Store.open(folder, write=True) as store:
            copy = make_backup(store.conn, store.paths.db, 3)
    finally:
        os.umask(old)
    assert mode(copy) == 0o600


@posix_only
def test_an_empty_folder_of_another_owner_still_becomes_a_project(tmp_path, monkeypatch):
    """A group's study folder made by an administrator: its mode cannot be changed by the
    user (EPERM), which stopped the project from being made at all."""
    folder = tmp_path / "study"
    folder.mkdir(mode=0o775)
    real_chmod = os.chmod

    def not_the_owner(path, mode_bits, *args, **kwargs):
        if Path(path) == folder:
            raise PermissionError(1, "Operation not permitted", str(path))
        return real_chmod(path, mode_bits, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", not_the_owner)
    create_project(folder)
    assert (folder / "project.db").exists() and mode(folder / "cache") == 0o700
