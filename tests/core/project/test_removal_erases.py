"""Removing a dataset erases it from the database files (project.db and project.db-wal),
not only from the tables: at once when nobody else reads the project, else as soon as
the readers are done and a writer opens it, and the result says so meanwhile. The copies
made before upgrades that hold it go too, and the question says what stays."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.cli import EXIT_OK, main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.removal import plan_dataset_removal, plan_run_removal, remove
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.upgrade import make_backup

MARK = "Zqxjvw_Doe"  # a patient's name in the folder and file names


def with_marked_dataset(project: Path, tmp_path: Path) -> Path:
    """Import a folder named after a patient (stored as it is: PNGs hold no identifiers)
    and another dataset that stays."""
    for name in (f"{MARK}_scans", "other"):
        folder = tmp_path / name
        folder.mkdir()
        rng = np.random.default_rng(0)
        for i in range(3):
            pixels = rng.integers(0, 255, (20, 20), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{name}_{i}.png")
        import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    return project


def on_disk(project: Path) -> bool:
    """Whether MARK is anywhere in project.db or project.db-wal."""
    found = False
    for name in ("project.db", "project.db-wal"):
        path = project / name
        if path.exists():
            found |= MARK.encode() in path.read_bytes()
    return found


def reader(project: Path) -> sqlite3.Connection:
    """A read-only connection, as the app or 'ssl-studio info' holds one."""
    return sqlite3.connect(f"file:{project / 'project.db'}?mode=ro", uri=True)


def test_without_a_reader_the_removed_dataset_is_gone_from_the_files(project, tmp_path):
    project = with_marked_dataset(project, tmp_path)
    watcher = reader(project)  # (open, reading nothing now: as a window between refreshes)
    try:
        watcher.execute("SELECT COUNT(*) FROM datasets").fetchone()
        assert on_disk(project)
        assert main(["remove", str(project), "--dataset", f"{MARK}_scans", "--yes"]) == EXIT_OK
        assert not on_disk(project), "the removed dataset's names stay in the database files"
    finally:
        watcher.close()
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["other"]


def test_a_reader_reading_meanwhile_is_said_and_the_next_writer_erases(project, tmp_path, capsys):
    project = with_marked_dataset(project, tmp_path)
    watcher = reader(project)
    watcher.execute("BEGIN")
    watcher.execute("SELECT COUNT(*) FROM datasets").fetchone()  # (holds its snapshot)
    try:
        with Store.open(project) as store:
            plan = plan_dataset_removal(store, f"{MARK}_scans")
        result = remove(project, plan)
    finally:
        watcher.close()
    assert result["still_in_database"].startswith(
        "The removed data stays in the project's database file until other programs"
    )
    with Store.open(project, write=True):  # (the next writer)
        assert not on_disk(project)


def test_the_command_line_says_when_it_could_not_erase(project, tmp_path, capsys, monkeypatch):
    project = with_marked_dataset(project, tmp_path)
    monkeypatch.setattr(Store, "erase_removed", lambda self: False)
    assert main(["remove", str(project), "--dataset", f"{MARK}_scans", "--yes"]) == EXIT_OK
    assert "The removed data stays in the project's database file" in capsys.readouterr().out


def test_the_copies_made_before_upgrades_that_hold_it_are_named_and_deleted(project, tmp_path):
    """A copy made before an upgrade (upgrade.py) kept the removed dataset, named nowhere:
    restoring it brought it back. Now the question names it, and it goes too; a copy
    made before the dataset was imported stays."""
    with Store.open(project, write=True) as store:
        empty = make_backup(store.conn, store.paths.db, 2)  # (before the import)
    project = with_marked_dataset(project, tmp_path)
    with Store.open(project, write=True) as store:
        holding = make_backup(store.conn, store.paths.db, 3)
        assert MARK.encode() in holding.read_bytes()
        plan = plan_dataset_removal(store, f"{MARK}_scans")
    assert plan.copies == (holding.name,)
    text = plan.describe()
    assert (
        f"made before an upgrade ({holding.name}) still holds what this removes and is "
        "deleted too" in text
    )
    result = remove(project, plan)
    assert result["copies_removed"] == [holding.name]
    assert not holding.exists() and empty.exists()


def test_the_question_says_exported_models_learned_from_the_data(project, tmp_path):
    project = with_marked_dataset(project, tmp_path)
    export = tmp_path / "exported"
    export.mkdir()
    with Store.open(project, write=True) as store:
        dataset = store.dataset(f"{MARK}_scans")["id"]
        run = store.create_run(dataset, "pretrain", {"task": "simclr"})
        store.add_export(run, str(export), ["torchscript"], {"run": run})
        plan = plan_dataset_removal(store, f"{MARK}_scans", with_dependents=True)
    assert plan.describe().endswith(
        f"Exported models are kept: {export}. They learned from this data and stay where "
        "they are, with their model cards: delete them yourself if the data must be gone "
        "entirely."
    )


def test_folders_a_removal_could_not_delete_go_at_the_next_import_or_removal(
    project, tmp_path, monkeypatch
):
    """A removal killed (or refused by a held file) after its rows went leaves the run's
    folder and the dataset's cache behind: the next import deletes them, and so does the
    next removal; a live run's folder stays, and so does a folder above every id given."""
    project = with_marked_dataset(project, tmp_path)
    with Store.open(project, write=True) as store:
        gone = store.dataset(f"{MARK}_scans")["id"]
        run = store.create_run(gone, "pretrain", {"task": "simclr"})
        (store.paths.run_folder(run) / "embeddings.npy").write_bytes(b"\1" * 100)
        kept = store.create_run(store.dataset("other")["id"], "pretrain", {"task": "simclr"})
        plan = plan_dataset_removal(store, f"{MARK}_scans", with_dependents=True)
        paths = store.paths
    stray = paths.run_folder(kept + 5)  # (a run's creation that was never committed)
    stray.mkdir()
    with monkeypatch.context() as held:  # (the process dies before deleting the files)
        held.setattr("ssl_studio.core.project.deleting.delete_folder", lambda *a: None)
        remove(project, plan)
    assert paths.run_folder(run).is_dir() and paths.dataset_cache(gone).is_dir()
    import_data(ImportConfig(project=project, paths=[tmp_path / "other"], cache_size=16))
    assert not paths.run_folder(run).exists() and not paths.dataset_cache(gone).exists()
    assert paths.run_folder(kept).is_dir() and stray.is_dir()

    with Store.open(project, write=True) as store:  # the next removal does it too
        doomed = store.create_run(store.dataset("other")["id"], "finetune", {"task": "linear"})
        first, second = plan_run_removal(store, [doomed]), plan_run_removal(store, [kept])
    with monkeypatch.context() as held:
        held.setattr("ssl_studio.core.project.deleting.delete_folder", lambda *a: None)
        remove(project, first)
    assert paths.run_folder(doomed).is_dir()
    result = remove(project, second)
    assert result["left"] == [] and not paths.run_folder(doomed).exists()
    assert not paths.run_folder(kept).exists()
