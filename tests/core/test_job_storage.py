"""Jobs on a disk that fills up or a project whose files were damaged: a clear message
(never "This is a bug"), a run marked failed with that message, and the project intact."""

from __future__ import annotations

import os
import shutil
import sqlite3

import numpy as np
import pytest
from full_disk import FillingDisk
from pretrain_shapes import config, shapes
from series_data import write_waves

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import SERIES_VALUES, CacheReader
from ssl_studio.core.errors import ConfigError
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
    # (the first file the run writes: its config.json, before any checkpoint)
    assert "what was saved before (checkpoints, imported data, results)" in run["error"]
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


def test_an_image_cache_cut_short_is_refused_before_a_run_and_import_repairs_it(
    small_project, tmp_path
):
    shard = next((small_project / "cache" / "dataset-1").glob("images-*.bin"))
    slot = shard.stat().st_size // 12
    with open(shard, "r+b") as f:
        f.truncate(6 * slot)  # whole slots: the file still looks tidy, half the items lost
    with pytest.raises(ConfigError, match="is cut short.*Import the dataset's folders again"):
        pretrain(config(small_project, steps=2))
    with Store.open(small_project) as store:
        assert store.runs() == []  # refused before a run was made
        ids = sorted(i["id"] for i in store.items(1))
    said = []
    again = import_data(
        ImportConfig(project=small_project, paths=[tmp_path / "shapes"]), report=said.append
    )
    assert again["imported"] == 12
    assert any("cut short" in getattr(e, "text", "") for e in said)
    with Store.open(small_project) as store:
        assert sorted(i["id"] for i in store.items(1)) == ids  # labels and runs still fit
    assert pretrain(config(small_project, steps=2))["status"] == "done"


def test_a_series_cache_cut_short_is_decoded_again_with_values_and_mask_in_line(tmp_path):
    project = create_project(tmp_path / "project")
    write_waves(tmp_path / "waves", n=12)
    import_data(ImportConfig(project=project, paths=[tmp_path / "waves"], workers=1))
    with Store.open(project) as store:
        items = store.items(1)
    folder = project / "cache" / "dataset-1"
    before = [CacheReader(folder).series(item) for item in items]
    with open(folder / SERIES_VALUES, "r+b") as f:
        f.truncate(f.seek(0, 2) // 2)  # the values file cut short, the mask whole
    with pytest.raises(ConfigError, match="series-values.f32 is cut short"):
        CacheReader(folder).series(items[-1])  # read one by one: a message, not an error
    import_data(ImportConfig(project=project, paths=[tmp_path / "waves"], workers=1))
    with Store.open(project) as store:
        items = store.items(1)
        reader = CacheReader(folder, store.cache_extents(1))
    for (values, mask), item in zip(before, items, strict=True):
        again, again_mask = reader.series(item)
        assert np.array_equal(again, values) and np.array_equal(again_mask, mask)


def test_where_an_import_error_happened_names_no_path_even_in_a_symlink_loop(tmp_path):
    """Path.resolve() of a path in a symlink loop raises RuntimeError quoting the path
    (Python 3.11): telling where an error happened must neither raise nor quote it."""
    from ssl_studio.core.jobs import _where

    (tmp_path / "DOE_JOHN").symlink_to(tmp_path / "loop")
    (tmp_path / "loop").symlink_to(tmp_path / "DOE_JOHN")
    cfg = ImportConfig(project=tmp_path / "project", paths=[tmp_path])
    exc = OSError(40, "Too many levels of symbolic links", str(tmp_path / "DOE_JOHN" / "a.png"))
    assert _where(exc, cfg) == " (in the folders imported)"
    inside = OSError(28, "No space left", str(tmp_path / "project" / "project.db"))
    assert _where(inside, cfg) == " (in the project folder)"
