"""The project folder and its database: layout, WAL, schema version, write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ssl_studio.core.errors import NotAProjectError, ProjectError, ProjectLockedError
from ssl_studio.core.project import lock
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.schema import SCHEMA_VERSION
from ssl_studio.core.project.store import Store

TABLES = {
    "datasets",
    "items",
    "import_errors",
    "runs",
    "metrics",
    "checkpoints",
    "labels",
    "label_sets",
    "exports",
    "files",
    "roots",
    "imports",
    "meta",
}


def test_new_project_has_folders_wal_schema_and_salt(project: Path):
    assert {p.name for p in project.iterdir()} >= {"project.db", "cache", "runs", "exports"}
    conn = sqlite3.connect(project / "project.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert TABLES <= tables
    with Store.open(project) as store:
        salt = store.salt
    assert len(salt) == 32
    with Store.open(project) as store:
        assert store.salt == salt  # made once, kept


def test_create_refuses_a_non_empty_folder_and_an_existing_project(tmp_path: Path, project: Path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not empty"):
        Store.create(tmp_path / "busy")
    with pytest.raises(ProjectError, match="already holds a project"):
        Store.create(project)
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_opening_a_folder_that_is_not_a_project_says_how_to_make_one(tmp_path: Path):
    """In the app's words (its menu) for the window; in commands for ssl-studio."""
    with pytest.raises(NotAProjectError, match="File → New project") as caught:
        Store.open(tmp_path)
    assert isinstance(caught.value, ProjectError) and "ssl-studio" not in str(caught.value)
    assert "create a project with 'ssl-studio new FOLDER'" in caught.value.command_line
    assert "File →" not in caught.value.command_line


def test_second_writer_is_refused_and_readers_still_work(project: Path):
    with Store.open(project, write=True, purpose="test writer") as writer:
        dataset_id = writer.create_dataset("scans", "image", 64)
        with pytest.raises(ProjectLockedError, match="test writer"):
            Store.open(project, write=True)
        with Store.open(project) as reader:  # a GUI reading while a job writes
            assert reader.dataset("scans")["id"] == dataset_id
    with Store.open(project, write=True):  # released on close
        pass


def test_writer_in_another_process_is_refused_with_a_clear_message(project: Path, other_writer):
    proc = other_writer(project, "ssl-studio import")
    with pytest.raises(ProjectLockedError) as info:
        Store.open(project, write=True)
    message = str(info.value)
    assert f"pid {proc.pid}" in message and "ssl-studio import" in message
    assert "Wait for that job" in message
    with Store.open(project) as reader:
        assert reader.datasets() == []
    proc.communicate("\n", timeout=10)
    with Store.open(project, write=True):  # released when it finished
        pass
    proc = other_writer(project, "ssl-studio import")
    proc.kill()  # a killed holder never leaves a stale lock
    proc.wait(timeout=10)
    with Store.open(project, write=True):
        pass


def test_a_holder_line_that_cannot_be_read_still_gives_the_clear_message(
    project: Path, other_writer, monkeypatch
):
    """Windows locks are mandatory: reading bytes another handle locked fails with
    "Permission denied"; the user must still be told another process is writing."""
    other_writer(project, "ssl-studio import")

    def locked(fd: int, n: int) -> bytes:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patch:
        patch.setattr(lock.os, "read", locked)
        with pytest.raises(ProjectLockedError) as info:
            Store.open(project, write=True)
    message = str(info.value)
    assert "being changed by another SSL Studio process (another process)" in message
    assert "Wait for that job" in message


def test_a_project_from_a_newer_version_is_refused_untouched(project: Path):
    conn = sqlite3.connect(project / "project.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = (project / "project.db").read_bytes()
    with pytest.raises(ProjectError, match="newer SSL Studio"):
        Store.open(project, write=True)
    assert (project / "project.db").read_bytes() == before


def test_migrations_bring_an_empty_database_to_the_current_schema(tmp_path: Path):
    folder = tmp_path / "old"
    folder.mkdir()
    sqlite3.connect(folder / "project.db").close()  # version 0
    with (
        WriteLock(folder / ".write.lock", "busy"),
        pytest.raises(ProjectError, match="needs an upgrade, which has to wait"),
    ):
        Store.open(folder)  # a reader cannot upgrade while another process writes
    with Store.open(folder) as store:  # a reader upgrades it when it can, then reads
        assert store.schema_version == SCHEMA_VERSION
        assert store.datasets() == []


def test_walk_problems_of_a_schema_3_project_get_the_root_of_a_dataset_that_has_one(
    project: Path,
):
    """Migration 4: a walk problem recorded before it knew its root is given the root of
    its dataset when that has only one; in a dataset of two roots it stays without, and
    goes once an import has walked both."""
    with Store.open(project, write=True) as store:
        for name, n_roots in (("one", 1), ("two", 2)):
            dataset = store.create_dataset(name, "image", 16)
            import_id = store.start_import(dataset, {})
            with store.transaction():
                for n in range(n_roots):
                    root = store.root_id(dataset, f"{name}{n}", f"{name}-key-{n}")
                    store.add_walk_error(dataset, import_id, root, "x.png", "broken-link", "-")
    conn = sqlite3.connect(project / "project.db")
    conn.execute("ALTER TABLE items DROP COLUMN content_hash")  # as schema 3 had it
    conn.execute("ALTER TABLE files DROP COLUMN reread")
    conn.execute("ALTER TABLE import_errors DROP COLUMN root_id")
    conn.execute("PRAGMA user_version=3")
    conn.commit()
    conn.close()
    with Store.open(project, write=True) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.conn.execute("SELECT dataset_id, root_id FROM import_errors ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, 1), (2, None), (2, None)]
        with store.transaction():
            store.clear_walk_errors(2, [2])  # one of its two roots walked: they stay
        assert len(store.import_errors(2)) == 2
        with store.transaction():
            store.clear_walk_errors(2, [2, 3])
        assert store.import_errors(2) == [] and len(store.import_errors(1)) == 1


def test_failed_transaction_leaves_nothing(project: Path):
    with Store.open(project, write=True) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.conn.execute("INSERT INTO datasets(name, modality) VALUES ('half', 'image')")
            raise RuntimeError("crash in the middle")
        assert store.dataset("half") is None


def test_label_sets_are_versioned(project: Path):
    with Store.open(project, write=True) as store:
        dataset_id = store.create_dataset("s", "timeseries", None)
        assert store.latest_labels(dataset_id, "imported") == {}
        store.add_label_set(dataset_id, "imported", "test", {})
        store.add_label_set(dataset_id, "imported", "test", {})
        versions = [s["version"] for s in store.label_sets(dataset_id)]
    assert versions == [1, 2]


def test_deleting_items_finds_their_labels_by_index(project: Path):
    conn = sqlite3.connect(project / "project.db")
    plan = conn.execute(
        "EXPLAIN QUERY PLAN DELETE FROM labels WHERE item_id IN (1, 2, 3)"
    ).fetchall()
    conn.close()
    assert not any("SCAN labels" in row[-1] for row in plan), plan  # a search, not a scan


def test_patients_per_class_counts_only_items_that_can_be_used(project: Path):
    """A file that fails to decode (or goes missing) keeps its items and their labels,
    marked failed: they are not trained on, so their patients must not count."""
    with Store.open(project, write=True) as store:
        dataset_id = store.create_dataset("s", "image", 16)
        import_id = store.start_import(dataset_id, {})
        with store.transaction():
            root = store.root_id(dataset_id, "scans", "root-key")
            for n, patient in enumerate(("p1", "p2", "p3")):
                file = {
                    "root_id": root,
                    "path_key": f"file-{n}",
                    "rel_path": f"{n}.png",
                    "kind": "image",
                    "size": 1,
                    "mtime_ns": 1,
                    "status": "ok",
                }
                item = {"idx": 0, "cache_file": "images", "cache_index": n, "patient_key": patient}
                store.save_file(dataset_id, import_id, file, [item], [])
        ids = store.item_ids_by_file(dataset_id)
        labels = {ids[("file-0", 0)]: "a", ids[("file-1", 0)]: "a", ids[("file-2", 0)]: "b"}
        store.add_label_set(dataset_id, "hand", "test", labels)
        assert store.patients_per_class(dataset_id, "hand") == {"a": 2, "b": 1}
        with store.transaction():  # file-1 no longer decodes; file-2 is deleted
            failed = {**file, "path_key": "file-1", "rel_path": "1.png", "status": "failed"}
            store.save_file(dataset_id, import_id, failed, [], [("damaged", "cut short", "error")])
            store.mark_missing([root], {"file-0", "file-1"})
        assert store.latest_labels(dataset_id, "hand") == labels  # the labels stay
        assert store.patients_per_class(dataset_id, "hand") == {"a": 1}
        usable = {ids[("file-0", 0)]: "a"}
        assert store.latest_labels(dataset_id, "hand", usable=True) == usable
        unusable = {ids[("file-1", 0)]: "a", ids[("file-2", 0)]: "b"}
        assert store.labels_by_use(dataset_id, "hand") == (usable, unusable)  # in one read
        assert store.labels_by_use(dataset_id, "no such set") == ({}, {})


def test_redacting_a_datasets_paths_redacts_the_summaries_of_its_earlier_imports(project: Path):
    """An import that learns a patient's name hides it from what earlier imports stored:
    their summaries name the dataset and the paths and messages of their problems."""
    from ssl_studio.core.data.privacy import message_redactor, redactor

    with Store.open(project, write=True) as store:
        dataset_id = store.create_dataset("DOE_JOHN", "image", 16)
        import_id = store.start_import(dataset_id, {})
        error = {"path": "DOE_JOHN/bad.png", "code": "decode", "message": "DOE_JOHN/bad.png: bad"}
        store.finish_import(import_id, "done", {"dataset": "DOE_JOHN", "errors": [error]})
        hide, hide_message = redactor(["Doe", "John"]), message_redactor(["Doe", "John"])
        assert store.redact_paths(dataset_id, hide, hide_message) == 1
        summary = store.conn.execute("SELECT summary FROM imports").fetchone()[0]
    assert "doe" not in summary.lower() and '"code": "decode"' in summary


def test_an_earlier_unfinished_import_counts_while_it_is_the_latest_of_one_of_its_roots(
    project: Path,
):
    """A dataset's partly imported state follows the latest import of each of its roots,
    not its latest import alone; an import recorded before imports kept their roots covers
    every root, as the latest import alone used to decide."""
    from ssl_studio.core.data.privacy import REDACTED

    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("ds", "image", 16)
        with store.transaction():
            store.root_id(dataset, "/data/[redacted]/a", "key-a")
            store.root_id(dataset, REDACTED, "key-b")  # (recorded by an unfinished import)
        stopped = store.start_import(
            dataset, {}, roots=["key-a", "key-b"], parents={"key-b": "key-top"}
        )
        store.finish_import(stopped, "cancelled", {"files_done": 1, "files_seen": 5})
        store.start_import(dataset, {}, roots=["key-c"])  # cut off before a file was recorded
        done = store.start_import(dataset, {}, roots=["key-d"])
        store.finish_import(done, "done", {"files_done": 2, "files_seen": 2})
        assert store.unfinished_roots(dataset) == {  # (with the folder holding each, if kept)
            "key-a": ("/data/[redacted]/a", None),
            "key-b": (REDACTED, "key-top"),
            "key-c": (None, None),
        }
        last = store.last_import(dataset)
        assert (last["status"], last["files_done"]) == ("done", 2)
        [cancelled, running] = last["earlier_unfinished"]
        shown = ("status", "files_done", "files_seen", "roots")
        assert [cancelled[k] for k in shown] == [
            "cancelled",
            1,
            5,
            ["/data/[redacted]/a", REDACTED],
        ]
        assert [running[k] for k in ("status", "finished", "roots")] == ["running", None, [None]]
        assert running["started"]

        again = store.start_import(dataset, {}, roots=["key-a", "key-c"])  # kept at the end
        store.finish_import(again, "done", {"files_done": 9, "files_seen": 9})
        [cancelled] = store.last_import(dataset)["earlier_unfinished"]
        assert cancelled["roots"] == [REDACTED]
        assert store.unfinished_roots(dataset) == {"key-b": (REDACTED, "key-top")}
        assert store.known_root_keys(dataset) == {"key-a", "key-b", "key-c", "key-d"}

        older = store.start_import(dataset, {})  # (as before imports kept their roots)
        store.finish_import(older, "done", {})
        assert store.last_import(dataset)["earlier_unfinished"] == []


def test_metric_arrays_read_several_metrics_at_once_as_metrics_reads_each(project: Path):
    """One read for the live view of a resumed run: the latest value per step, in step
    order, a stored NaN (kept as NULL) back as NaN, a metric without rows left out."""
    import math

    import numpy as np

    with Store.open(project, write=True) as store:
        run = store.create_run(store.create_dataset("chest", "image", 32), "pretrain", {})
        rows = [(2, 0, "loss", 0.5), (1, 0, "loss", 0.9), (2, 0, "loss", 0.4)]
        rows += [(1, 0, "lr", 0.1), (3, 0, "loss", math.nan), (3, 0, "lr", 0.2)]
        store.add_metrics(run, rows)
        arrays = store.metric_arrays(run, ["loss", "lr", "knn_accuracy", "loss"])
        assert set(arrays) == {"loss", "lr"}
        for name in ("loss", "lr"):
            steps, values = arrays[name]
            expected = store.metrics(run, name)
            assert steps.tolist() == [s for s, _ in expected]
            want = [math.nan if v is None else v for _, v in expected]
            np.testing.assert_array_equal(values, np.asarray(want, float))
        assert arrays["loss"][0].tolist() == [1, 2, 3] and arrays["loss"][1][1] == 0.4
        assert store.metric_arrays(run, []) == {} == store.metric_arrays(run + 1, ["loss"])
        steps, values = store.metric_arrays(run, ["loss"], from_step=2)["loss"]  # (the rest
        assert steps.tolist() == [2, 3] and values[0] == 0.4  # of a growing curve)
        assert store.metric_arrays(run, ["lr"], from_step=4) == {}
