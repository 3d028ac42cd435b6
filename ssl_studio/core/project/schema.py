"""The project database schema, as sqlite-utils table definitions, and its migrations.

``MIGRATIONS[i]`` brings a database from schema version i to i + 1; store.py runs them
and records the version in ``PRAGMA user_version``. Append a migration to change the
schema; never edit one that has shipped. ``READ_AS_IS[i]`` says how a read-only project
of version i is read without it (add an entry with each migration).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

# Columns of `items` that importers fill in (besides ids, status and cache location).
ITEM_COLUMNS: dict[str, type] = {
    "source_kind": str,  # dicom | image | series
    "modality": str,  # CT, MR, CR, ... for DICOM; PNG, TIFF, ... for images
    "channels": int,
    "height": int,  # source pixels (images)
    "width": int,
    "length": int,  # time steps (series)
    "n_missing": int,
    "sampling_rate": float,
    "window_center": float,  # default display window, real units
    "window_width": float,
    "value_offset": float,  # real = stored * value_scale + value_offset
    "value_scale": float,
    "p_low": float,  # 0.5th / 99.5th percentile, real units
    "p_high": float,
    "mean": float,
    "std": float,
    "box_x0": int,  # content box inside the letterboxed cache image
    "box_y0": int,
    "box_x1": int,
    "box_y1": int,
    "patient_key": str,  # salted hashes, never the identifiers themselves
    "study_key": str,
    "series_key": str,
    "meta": str,  # JSON of non-identifying acquisition facts
}


def _migration_1(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["datasets"].create(
        {
            "id": int,
            "name": str,
            "modality": str,
            "cache_size": int,
            "created": str,
            "updated": str,
        },
        pk="id",
        not_null={"name", "modality"},
    )
    db["datasets"].create_index(["name"], unique=True)
    db["roots"].create(
        {"id": int, "dataset_id": int, "path": str, "path_key": str},
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id")],
    )
    db["roots"].create_index(["dataset_id", "path_key"], unique=True)
    db["imports"].create(
        {
            "id": int,
            "dataset_id": int,
            "started": str,
            "finished": str,
            "status": str,
            "config": str,
            "summary": str,
        },
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id")],
    )
    db["files"].create(
        {
            "id": int,
            "dataset_id": int,
            "root_id": int,
            "path_key": str,
            "rel_path": str,
            "kind": str,
            "size": int,
            "mtime_ns": int,
            "status": str,
            "n_items": int,
            "import_id": int,
        },
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id"), ("root_id", "roots", "id")],
    )
    db["files"].create_index(["dataset_id", "path_key"], unique=True)
    db["files"].create_index(["root_id"])
    db["items"].create(
        {
            "id": int,
            "dataset_id": int,
            "file_id": int,
            "idx": int,
            "status": str,
            **ITEM_COLUMNS,
            "cache_file": str,
            "cache_index": int,
        },
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id"), ("file_id", "files", "id")],
    )
    db["items"].create_index(["file_id", "idx"], unique=True)
    db["items"].create_index(["dataset_id", "status"])
    db["items"].create_index(["patient_key"])
    db["import_errors"].create(
        {
            "id": int,
            "dataset_id": int,
            "import_id": int,
            "file_id": int,
            "path": str,
            "code": str,
            "message": str,
            "severity": str,
            "created": str,
        },
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id"), ("import_id", "imports", "id")],
    )
    db["import_errors"].create_index(["dataset_id"])
    db["import_errors"].create_index(["file_id"])
    db["label_sets"].create(
        {"id": int, "dataset_id": int, "name": str, "version": int, "source": str, "created": str},
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id")],
    )
    db["label_sets"].create_index(["dataset_id", "name", "version"], unique=True)
    db["labels"].create(
        {"label_set_id": int, "item_id": int, "label": str},
        pk=("label_set_id", "item_id"),
        foreign_keys=[("label_set_id", "label_sets", "id"), ("item_id", "items", "id")],
    )
    db["runs"].create(
        {
            "id": int,
            "dataset_id": int,
            "parent_run_id": int,
            "kind": str,
            "task": str,
            "backbone": str,
            "status": str,
            "config": str,
            "folder": str,
            "created": str,
            "started": str,
            "finished": str,
        },
        pk="id",
        foreign_keys=[("dataset_id", "datasets", "id")],
    )
    db["metrics"].create(
        {"run_id": int, "step": int, "epoch": int, "name": str, "value": float, "time": float},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["metrics"].create_index(["run_id", "name", "step"])
    db["checkpoints"].create(
        {
            "id": int,
            "run_id": int,
            "step": int,
            "epoch": int,
            "kind": str,
            "path": str,
            "created": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["exports"].create(
        {"id": int, "run_id": int, "folder": str, "formats": str, "card": str, "created": str},
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )


# the columns of runs that migration 2 adds
_RUN_COLUMNS_2: tuple[tuple[str, type], ...] = (
    ("device", str),  # e.g. "NVIDIA H100 (CUDA)", "CPU (2 threads)"
    ("world_size", int),
    ("fingerprint", str),  # JSON: item count and a hash of the item ids and cache files
    ("versions", str),  # JSON: package versions
    ("summary", str),  # JSON: final loss, steps, seconds, batch changes...
    ("error", str),  # what went wrong, for failed runs
)


def _migration_2(db: sqlite_utils.Database) -> None:
    """Runs record where they ran and what they learned from."""
    runs = db["runs"]
    for column, kind in _RUN_COLUMNS_2:
        runs.add_column(column, kind)
    db["runs"].create_index(["dataset_id"])
    db["checkpoints"].create_index(["run_id", "step"])


def _migration_3(db: sqlite_utils.Database) -> None:
    """Labels found by item: deleting the items of a changed file scanned every label row
    (twice: the delete and the foreign-key check), 30 s for a re-import of a large CSV."""
    db["labels"].create_index(["item_id"])


def _migration_4(db: sqlite_utils.Database) -> None:
    """Problems of the walk (those of no file: a broken link, an unreadable folder) know
    the import root they were met under, so an import replaces only the problems of the
    folders it walked, and those that went away go. Those recorded before are given the
    root of a dataset that has only one; the others stay without (an import that walks
    every root of their dataset replaces them)."""
    db["import_errors"].add_column("root_id", int)
    db.execute(
        "UPDATE import_errors SET root_id = (SELECT MIN(id) FROM roots "
        "WHERE roots.dataset_id = import_errors.dataset_id) WHERE file_id IS NULL AND "
        "(SELECT COUNT(*) FROM roots WHERE roots.dataset_id = import_errors.dataset_id) = 1"
    )


# codes of a file left out of its dataset (import_writing.py): another modality, another
# kind than asked for
_LEFT_OUT_CODES = ("other-modality", "kind-filter")


def _migration_5(db: sqlite_utils.Database) -> None:
    """DICOM files left out of their dataset are marked to have their identifiers read
    again (``files.reread``): before SSL Studio read them all the same, an import with
    --kind image over DICOM folders stored the paths of the PNGs beside them (in a folder
    named after their patient) unredacted. The next import of their folder reads their
    headers (not their pixels) and redacts every stored path of the dataset with what
    they say, as it does for the files of an import that did not finish."""
    db["files"].add_column("reread", int)
    marks = ", ".join("?" for _ in _LEFT_OUT_CODES)
    db.execute(
        "UPDATE files SET reread = 1 WHERE kind = 'dicom' AND status = 'skipped' AND id IN "
        f"(SELECT file_id FROM import_errors WHERE code IN ({marks}))",
        _LEFT_OUT_CODES,
    )


def _migration_6(db: sqlite_utils.Database) -> None:
    """Items record a hash of their decoded, cached data (``items.content_hash``, see
    data/content_hash.py), so a run's data fingerprint tells datasets apart by content and
    a fine-tuning run can tell when its test items changed. Items imported before have
    none (the cache is not read here): the dataset's next import hashes them from the
    cache, a re-import that finds nothing changed included (data/import_backfill.py);
    until then their fingerprints are the older kind, of item ids and cache slots, marked
    so (data_fingerprint.fingerprint)."""
    db["items"].add_column("content_hash", str)


def _migration_7(db: sqlite_utils.Database) -> None:
    """Files erased on request (a patient withdrew consent: ``remove --file/--patient``,
    project/erasure.py) leave a tombstone without identifiers: the keyed hash of their path
    (``files.path_key``) and the date, so that importing their folder again while they are
    still on disk, into that dataset or any other, does not bring them back (the import
    skips them and says why). ``dataset_id`` becomes NULL when the dataset is removed: the
    tombstone stays. ``erased_contents`` keeps the content hashes of their items
    (``items.content_hash``: a hash of the decoded pixels or values, no identifier),
    keyed with the project's salt as path keys are, so an
    import can tell when a copy of an erased file, renamed or elsewhere, came in again
    (it warns). (A database taken back to an older version by hand may keep the tables:
    they stay. A project made at schema 7 before ``erased_contents`` was added gets it
    from its first erasure: store/erasures.py.)"""
    if "erased" not in db.table_names():
        db["erased"].create(
            {"path_key": str, "dataset_id": int, "erased": str},
            pk="path_key",
            foreign_keys=[("dataset_id", "datasets", "id")],
        )
    db.execute(ERASED_CONTENTS)


# (also run by an erasure: a project at schema 7 made before the table was added)
ERASED_CONTENTS = (
    "CREATE TABLE IF NOT EXISTS erased_contents (content_hash TEXT PRIMARY KEY, erased TEXT)"
)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
]
SCHEMA_VERSION = len(MIGRATIONS)


def _read_1_as_2(conn: sqlite3.Connection) -> None:
    """Show a version-1 database as version 2 without changing it: a temporary view (it
    comes before the table in name lookups) gives runs migration 2's columns, empty."""
    empty = ", ".join(f"NULL AS {name}" for name, _ in _RUN_COLUMNS_2)
    conn.execute(f"CREATE TEMP VIEW runs AS SELECT *, {empty} FROM main.runs")


def _read_4_as_5(conn: sqlite3.Connection) -> None:
    """Show a version-4 database as version 5 without changing it: files get migration
    5's column, empty (nothing is marked: a read-only project cannot be re-imported)."""
    conn.execute("CREATE TEMP VIEW files AS SELECT *, NULL AS reread FROM main.files")


def _read_5_as_6(conn: sqlite3.Connection) -> None:
    """Show a version-5 database as version 6 without changing it: items get migration
    6's column, empty (their fingerprints are the older kind)."""
    conn.execute("CREATE TEMP VIEW items AS SELECT *, NULL AS content_hash FROM main.items")


# READ_AS_IS[i]: how a connection that may not write (a read-only project) reads a
# version-i database as version i + 1 without upgrading it; None: nothing is needed (the
# migration only makes queries faster). A version without an entry cannot be read so.
READ_AS_IS: dict[int, Callable[[sqlite3.Connection], None] | None] = {
    1: _read_1_as_2,
    2: None,
    3: None,  # (only an import, a writer, reads import_errors.root_id)
    4: _read_4_as_5,
    5: _read_5_as_6,
    6: None,  # (only writers read ``erased``: an import, a removal)
}
