"""A project opened where nobody may write it (a read-only share, a copy on a DVD) after a
writer was cut off: its database is read as last saved (immutable: SQLite cannot make the
``-shm`` index it needs to read the ``-wal`` file there), so changes still in a leftover
``-wal`` were silently missing; the user is told, with when it was last saved.

File permissions are real in the children (privilege_drop)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from privilege_drop import run_child

from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def cut_off_writer(project: Path, code: str) -> None:
    """Run ``code`` in a writer of ``project`` (``store``) that is then killed: nothing
    of its write-ahead log is copied into project.db."""
    script = textwrap.dedent(f"""
        import os
        from ssl_studio.core.project.store import Store
        store = Store.open({str(project)!r}, write=True)
        store.conn.execute("PRAGMA wal_autocheckpoint=0")
        {code}
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


OPEN = """
import json
from ssl_studio.core.project.journal import notices_to
from ssl_studio.core.project.store import Store
told = []
with notices_to(told.append), Store.open({project!r}) as store:
    names = [d["name"] for d in store.datasets()]
    notice = store.network_notice
print(json.dumps({{"names": names, "notice": notice, "told": told}}))
"""


def test_changes_left_in_the_write_ahead_log_are_said_to_be_missing(tmp_path):
    project = create_project(tmp_path / "project")
    cut_off_writer(project, 'store.create_dataset("late", "image", 64)')
    assert (project / "project.db-wal").stat().st_size > 0
    (project / "project.db-shm").unlink()  # (a copy of the files it could read)
    read_only(project)
    seen = run_child(OPEN.format(project=str(project)), tmp_path)
    assert seen["names"] == []  # (read as last saved: the dataset is in the log only)
    notice = seen["notice"]
    assert notice is not None and "it is shown as last saved, on " in notice
    assert "may be missing" in notice and "project.db-wal" in notice
    assert seen["told"] == [notice]  # (the command line prints it)


def test_a_read_only_project_saved_whole_says_nothing(tmp_path):
    project = create_project(tmp_path / "project")
    with Store.open(project, write=True) as store:
        store.create_dataset("scans", "image", 64)
    read_only(project)
    seen = run_child(OPEN.format(project=str(project)), tmp_path)
    assert seen["names"] == ["scans"] and seen["notice"] is None and seen["told"] == []
