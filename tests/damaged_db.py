"""A project.db with one damaged table, for tests of what a damaged database does."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def damage_table(project: Path, table: str) -> None:
    """Overwrite the first page of ``table`` with junk (the header and schema stay, so the
    database opens and only a query of that table fails)."""
    conn = sqlite3.connect(project / "project.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
    page = root.fetchone()[0]
    conn.close()
    with open(project / "project.db", "r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(b"\xa5" * page_size)
