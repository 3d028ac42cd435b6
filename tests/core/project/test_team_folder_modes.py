"""A project in a team's folder (README "Sharing a project within a team": the group
may write it, with the set-group-id bit): a new project there kept neither the bit nor
the group (chmod 0700), and what a member with umask 022 made there the others could not
change or delete. The project is made for the group there (only there: anywhere else it
is private, as before), and what SSL Studio makes in it is group-writable whatever the
umask."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from ssl_studio.core.atomic_files import write_json_atomically
from ssl_studio.core.data.cache import CacheWriter
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_project_in_a_team_folder_keeps_the_group_and_its_set_group_id_bit(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    team.chmod(0o2775)  # (README: chmod g+rwX, g+s)
    project = create_project(team / "study")
    assert _mode(project) == 0o2770
    assert _mode(project / "cache") == _mode(project / "runs") == 0o2770
    assert _mode(project / "project.db") == 0o660
    private = create_project(tmp_path / "mine")  # (any other folder: private, as before)
    assert _mode(private) == 0o700 and _mode(private / "project.db") == 0o600


def test_what_is_made_in_a_team_project_is_group_writable_whatever_the_umask(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    team.chmod(0o2775)
    project = create_project(team / "study")
    (project / ".write.lock").unlink()
    old = os.umask(0o022)
    try:
        with Store.open(project, write=True) as store:
            run = store.create_run(None, "pretrain", {"task": "simclr"})
        folder = project / "runs" / str(run)
        write_json_atomically(folder / "config.json", {"a": 1})
        writer = CacheWriter(project / "cache" / "dataset-9")
        writer.add_image(np.zeros((1, 4, 4), np.uint8))
        writer.close()
        with WriteLock(project / ".write.lock", "test"):
            pass
    finally:
        os.umask(old)
    assert _mode(folder) & 0o2070 == 0o2070
    assert _mode(folder / "config.json") & 0o060 == 0o060
    assert _mode(project / "cache" / "dataset-9") & 0o2070 == 0o2070
    (shard,) = (project / "cache" / "dataset-9").iterdir()
    assert _mode(shard) & 0o060 == 0o060
    assert _mode(project / ".write.lock") & 0o060 == 0o060
    plain = create_project(tmp_path / "mine")  # (not a team's: as the umask says)
    old = os.umask(0o022)
    try:
        with Store.open(plain, write=True) as store:
            run = store.create_run(None, "pretrain", {"task": "simclr"})
    finally:
        os.umask(old)
    assert _mode(plain / "runs" / str(run)) == 0o755
