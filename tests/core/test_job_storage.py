"""Jobs on a disk that fills up or a project whose files were damaged: a clear message
(never "This is a bug"), a run marked failed with that message, and the project intact."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from full_disk import FillingDisk
from test_pretrain import config, shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.events import Failed
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import DiskFullError


@pytest.fixture
def small_project(tmp_path):
    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes", n=12)
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=32))
    return project


def test_a_full_disk_during_pretraining_fails_the_run_with_a_clear_message(
    small_project, monkeypatch
):
    events = []
    monkeypatch.setattr(os, "fdopen", FillingDisk(free=0))
    with pytest.raises(DiskFullError, match="The disk is full"):
        pretrain(config(small_project, steps=2), report=events.append)
    monkeypatch.undo()
    failed = [e for e in events if isinstance(e, Failed)]
    assert len(failed) == 1 and "Free some space" in failed[0].error
    with Store.open(small_project) as store:
        (run,) = store.runs()
    assert run["status"] == "failed" and "The disk is full" in run["error"]
    assert "everything saved before is kept" in run["error"]
    assert pretrain(config(small_project, steps=2))["status"] == "done"  # space again


def test_a_restored_older_database_never_gives_a_new_run_an_old_run_s_folder(small_project):
    assert pretrain(config(small_project, steps=2))["run_id"] == 1
    backup = small_project.parent / "backup.db"
    db, copy = sqlite3.connect(small_project / "project.db"), sqlite3.connect(backup)
    db.backup(copy)  # the project as it was after run 1
    db.close()
    copy.close()
    assert pretrain(config(small_project, steps=4))["run_id"] == 2
    for name in ("project.db-wal", "project.db-shm"):
        (small_project / name).unlink(missing_ok=True)
    shutil.copyfile(backup, small_project / "project.db")  # run 2 is gone from the database
    third = pretrain(config(small_project, steps=2))
    assert third["run_id"] == 3  # not 2 again: runs/2 holds the lost run
    assert latest_checkpoint(small_project / "runs" / "2")["progress"]["step"] == 4
    assert latest_checkpoint(small_project / "runs" / "3")["progress"]["step"] == 2
    with Store.open(small_project) as store:
        assert [r["id"] for r in store.runs()] == [1, 3]
