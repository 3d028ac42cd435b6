"""A project as an older SSL Studio (schema 2) made it, for the upgrade tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ssl_studio.core.project import upgrade
from ssl_studio.core.project.store import Store


def schema_2_project(project: Path, *, running: bool = False) -> list[str]:
    """Fill ``project`` (a dataset, a run: done, or left "running" by a crash), take its
    database back to schema 2 as SSL Studio made it then, and return its dump."""
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        run = store.create_run(dataset, "pretrain", {"task": "simclr", "config": {}})
        if not running:
            store.finish_run(run, "done", {"steps": 5})
    conn = sqlite3.connect(project / "project.db")
    conn.execute("DROP TABLE erased")  # migration 7
    conn.execute("DROP TABLE erased_contents")  # migration 7
    conn.execute("ALTER TABLE items DROP COLUMN content_hash")  # migration 6
    conn.execute("ALTER TABLE files DROP COLUMN reread")  # migration 5
    conn.execute("ALTER TABLE import_errors DROP COLUMN root_id")  # migration 4
    conn.execute("DROP INDEX idx_labels_item_id")  # migration 3
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    upgrade.take_upgrades()  # (none of the test's own)
    return dump(project / "project.db")


def dump(db: Path) -> list[str]:
    """The database's tables and rows as SQL, and its schema version."""
    conn = sqlite3.connect(db)
    try:
        return [*conn.iterdump(), f"user_version={version(db, conn)}"]
    finally:
        conn.close()


def version(db: Path, conn: sqlite3.Connection | None = None) -> int:
    """The database's ``PRAGMA user_version``."""
    own = conn or sqlite3.connect(db)
    try:
        return own.execute("PRAGMA user_version").fetchone()[0]
    finally:
        if conn is None:
            own.close()
