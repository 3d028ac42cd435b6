"""The project store: the only module that speaks SQL (SQLite through sqlite-utils).

Opening for writing takes the project's write lock (a second writer is refused with a
clear message); opening for reading never blocks and sees committed data only (WAL).
The schema (schema.py) is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` brings a
database from version i to i + 1, so older projects open after an upgrade and a project
from a newer SSL Studio is refused instead of damaged.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ssl_studio import __version__
from ssl_studio.core.errors import ProjectError
from ssl_studio.core.project.layout import ProjectPaths
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.schema import ITEM_COLUMNS, MIGRATIONS, SCHEMA_VERSION


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FileRow:
    """What re-import needs to know about a file it met before."""

    id: int
    root_id: int
    size: int
    mtime_ns: int
    status: str


class Store:
    """One open project. Use ``Store.create`` / ``Store.open`` and close it (or ``with``)."""

    def __init__(self, root: Path, *, write: bool, purpose: str = "") -> None:
        self.paths = ProjectPaths(Path(root))
        self.write = write
        self._lock: WriteLock | None = None
        if not self.paths.is_project():
            raise ProjectError(
                f"{self.paths.root} is not an SSL Studio project (no {self.paths.db.name}). "
                "Create one with 'ssl-studio new FOLDER' or choose the project folder."
            )
        if write:
            self._lock = WriteLock(self.paths.lock, purpose)
            self._lock.acquire()
        try:
            self.conn = self._connect()
            self.db = sqlite_utils.Database(self.conn)
            self._check_version()
        except BaseException:
            self.close()
            raise

    # ---- opening, closing, transactions -------------------------------------------------

    @classmethod
    def create(cls, root: Path) -> Store:
        """Create the project folder (cache/, runs/, exports/, project.db) and open it."""
        paths = ProjectPaths(Path(root))
        if paths.is_project():
            raise ProjectError(f"{paths.root} already holds a project; open it instead.")
        if paths.root.exists() and any(paths.root.iterdir()):
            raise ProjectError(
                f"{paths.root} is not empty. Choose an empty or new folder for the project."
            )
        try:
            for folder in paths.folders():
                folder.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(paths.db).close()
        except OSError as exc:
            raise ProjectError(
                f"Cannot create the project in {paths.root}: {exc.strerror}."
            ) from exc
        return cls(paths.root, write=True, purpose="creating the project")

    @classmethod
    def open(cls, root: Path, *, write: bool = False, purpose: str = "") -> Store:
        return cls(root, write=write, purpose=purpose)

    def _connect(self) -> sqlite3.Connection:
        db = str(self.paths.db)
        try:
            if self.write:
                conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            else:
                uri = Path(db).resolve().as_uri() + "?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.row_factory = sqlite3.Row
            return conn
        except sqlite3.DatabaseError as exc:
            raise ProjectError(
                f"The project database {db} cannot be opened ({exc}). If the folder is on a "
                "read-only or network drive, copy the project to a local disk."
            ) from exc

    def _check_version(self) -> None:
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"The project database is damaged or not SQLite: {exc}.") from exc
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"This project was saved by a newer SSL Studio (schema {version}, this version "
                f"reads up to {SCHEMA_VERSION}). Update SSL Studio to open it."
            )
        if version == SCHEMA_VERSION:
            return
        if not self.write:
            raise ProjectError(
                "This project needs an update of its database; open it once for writing "
                "(for example with 'ssl-studio info') to upgrade it."
            )
        for step in range(version, SCHEMA_VERSION):
            with self.transaction():
                MIGRATIONS[step](self.db)
                self.conn.execute(f"PRAGMA user_version={step + 1}")
        if version == 0:
            with self.transaction():
                self._set_meta("salt", secrets.token_hex(32))
                self._set_meta("created", now())
                self._set_meta("created_by", f"ssl-studio {__version__}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        self._require_write()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _require_write(self) -> None:
        if not self.write:
            raise ProjectError("The project was opened for reading only.")

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()
            self.conn = None  # type: ignore[assignment]
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- meta ----------------------------------------------------------------------------

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @property
    def salt(self) -> bytes:
        """The project's secret salt for keyed hashes (made once, at creation)."""
        return bytes.fromhex(self.meta("salt") or "")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # ---- datasets ------------------------------------------------------------------------

    def dataset(self, name: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM datasets WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(row)

    def datasets(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM datasets ORDER BY id")]

    def create_dataset(self, name: str, modality: str, cache_size: int) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO datasets(name, modality, cache_size, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, modality, cache_size, now(), now()),
            )
        return int(cursor.lastrowid)

    # ---- import bookkeeping -------------------------------------------------------------

    def start_import(self, dataset_id: int, config: Mapping[str, Any]) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO imports(dataset_id, started, status, config) VALUES (?, ?, ?, ?)",
                (dataset_id, now(), "running", json.dumps(config)),
            )
        return int(cursor.lastrowid)

    def finish_import(self, import_id: int, status: str, summary: Mapping[str, Any]) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE imports SET finished = ?, status = ?, summary = ? WHERE id = ?",
                (now(), status, json.dumps(summary), import_id),
            )
            self.conn.execute(
                "UPDATE datasets SET updated = ? WHERE id = "
                "(SELECT dataset_id FROM imports WHERE id = ?)",
                (now(), import_id),
            )

    def root_id(self, dataset_id: int, path: str, path_key: str) -> int:
        """The id of an import root (created if new; its shown path updated). In a transaction."""
        row = self.conn.execute(
            "SELECT id FROM roots WHERE dataset_id = ? AND path_key = ?", (dataset_id, path_key)
        ).fetchone()
        if row is not None:
            self.conn.execute("UPDATE roots SET path = ? WHERE id = ?", (path, row[0]))
            return int(row[0])
        cursor = self.conn.execute(
            "INSERT INTO roots(dataset_id, path, path_key) VALUES (?, ?, ?)",
            (dataset_id, path, path_key),
        )
        return int(cursor.lastrowid)

    def known_files(self, dataset_id: int) -> dict[str, FileRow]:
        """Files met by earlier imports of the dataset, by path key."""
        rows = self.conn.execute(
            "SELECT id, root_id, path_key, size, mtime_ns, status FROM files WHERE dataset_id = ?",
            (dataset_id,),
        )
        return {
            r["path_key"]: FileRow(r["id"], r["root_id"], r["size"], r["mtime_ns"], r["status"])
            for r in rows
        }

    def save_file(
        self,
        dataset_id: int,
        import_id: int,
        file: Mapping[str, Any],
        items: list[dict[str, Any]],
        errors: list[tuple[str, str, str]],
    ) -> int:
        """Record one file, its items and its problems. Call inside ``transaction()``.

        file: root_id, path_key, rel_path, kind, size, mtime_ns, status.
        items: dicts with ``idx``, cache_file, cache_index and ITEM_COLUMNS keys. Item ids
        stay stable across re-imports (by file and index) so labels survive a changed file.
        errors: (code, message, severity) tuples; they replace the file's earlier ones.
        """
        row = self.conn.execute(
            "SELECT id FROM files WHERE dataset_id = ? AND path_key = ?",
            (dataset_id, file["path_key"]),
        ).fetchone()
        values = (
            file["root_id"],
            file["rel_path"],
            file["kind"],
            file["size"],
            file["mtime_ns"],
            file["status"],
            len(items),
            import_id,
        )
        if row is None:
            cursor = self.conn.execute(
                "INSERT INTO files(root_id, rel_path, kind, size, mtime_ns, status, n_items, "
                "import_id, dataset_id, path_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, dataset_id, file["path_key"]),
            )
            file_id = int(cursor.lastrowid)
        else:
            file_id = int(row[0])
            self.conn.execute(
                "UPDATE files SET root_id = ?, rel_path = ?, kind = ?, size = ?, mtime_ns = ?, "
                "status = ?, n_items = ?, import_id = ? WHERE id = ?",
                (*values, file_id),
            )
        self._replace_items(dataset_id, file_id, items)
        self.conn.execute("DELETE FROM import_errors WHERE file_id = ?", (file_id,))
        self.conn.executemany(
            "INSERT INTO import_errors(dataset_id, import_id, file_id, path, code, message, "
            "severity, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (dataset_id, import_id, file_id, file["rel_path"], c, m, s, now())
                for c, m, s in errors
            ],
        )
        return file_id

    def _replace_items(self, dataset_id: int, file_id: int, items: list[dict[str, Any]]) -> None:
        existing = dict(
            self.conn.execute("SELECT idx, id FROM items WHERE file_id = ?", (file_id,)).fetchall()
        )
        names = ["idx", "cache_file", "cache_index", *ITEM_COLUMNS]
        keep = {item["idx"] for item in items}
        stale = [existing[i] for i in existing if i not in keep]
        if stale:
            self._delete_items(stale)
        for item in items:
            values = [item.get(n) for n in names]
            if item["idx"] in existing:
                assignments = ", ".join(f"{n} = ?" for n in names)
                self.conn.execute(
                    f"UPDATE items SET {assignments}, status = 'ok' WHERE id = ?",
                    (*values, existing[item["idx"]]),
                )
            else:
                columns = ", ".join(names)
                marks = ", ".join("?" for _ in names)
                self.conn.execute(
                    f"INSERT INTO items(dataset_id, file_id, status, {columns}) "
                    f"VALUES (?, ?, 'ok', {marks})",
                    (dataset_id, file_id, *values),
                )

    def _delete_items(self, item_ids: list[int]) -> None:
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            self.conn.execute(f"DELETE FROM labels WHERE item_id IN ({marks})", chunk)
            self.conn.execute(f"DELETE FROM items WHERE id IN ({marks})", chunk)

    def add_walk_error(
        self, dataset_id: int, import_id: int, path: str, code: str, message: str
    ) -> None:
        """A problem that belongs to no file (an unreadable folder, a broken link)."""
        self.conn.execute(
            "DELETE FROM import_errors WHERE dataset_id = ? AND file_id IS NULL AND path = ?",
            (dataset_id, path),
        )
        self.conn.execute(
            "INSERT INTO import_errors(dataset_id, import_id, path, code, message, severity, "
            "created) VALUES (?, ?, ?, ?, ?, 'error', ?)",
            (dataset_id, import_id, path, code, message, now()),
        )

    def mark_missing(self, dataset_id: int, root_ids: Iterable[int], seen: set[str]) -> int:
        """Files under ``root_ids`` whose key is not in ``seen`` become missing (with their
        items; their error rows go). Returns how many. Call inside ``transaction()``."""
        roots = list(root_ids)
        if not roots:
            return 0
        marks = ", ".join("?" for _ in roots)
        rows = self.conn.execute(
            f"SELECT id, path_key FROM files WHERE root_id IN ({marks}) AND status != 'missing'",
            roots,
        ).fetchall()
        gone = [r["id"] for r in rows if r["path_key"] not in seen]
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            self.conn.execute(f"UPDATE files SET status = 'missing' WHERE id IN ({marks})", chunk)
            self.conn.execute(
                f"UPDATE items SET status = 'missing' WHERE file_id IN ({marks})", chunk
            )
            self.conn.execute(f"DELETE FROM import_errors WHERE file_id IN ({marks})", chunk)
        return len(gone)

    def add_label_set(
        self, dataset_id: int, name: str, source: str, labels: Mapping[int, str]
    ) -> int:
        """A new version of the label set ``name``: ``labels`` maps item id -> label."""
        with self.transaction():
            version = self.conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM label_sets "
                "WHERE dataset_id = ? AND name = ?",
                (dataset_id, name),
            ).fetchone()[0]
            cursor = self.conn.execute(
                "INSERT INTO label_sets(dataset_id, name, version, source, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (dataset_id, name, version, source, now()),
            )
            set_id = int(cursor.lastrowid)
            self.conn.executemany(
                "INSERT INTO labels(label_set_id, item_id, label) VALUES (?, ?, ?)",
                [(set_id, item_id, label) for item_id, label in labels.items()],
            )
        return set_id

    def latest_labels(self, dataset_id: int, name: str) -> dict[int, str]:
        """Item id -> label in the newest version of the label set ``name`` (empty if none)."""
        rows = self.conn.execute(
            "SELECT item_id, label FROM labels WHERE label_set_id = (SELECT id FROM label_sets "
            "WHERE dataset_id = ? AND name = ? ORDER BY version DESC LIMIT 1)",
            (dataset_id, name),
        )
        return {r[0]: r[1] for r in rows}

    # ---- reading ---------------------------------------------------------------------------

    def items(self, dataset_id: int, *, status: str = "ok") -> list[dict[str, Any]]:
        """The dataset's items (with their file's shown path), in import order."""
        rows = self.conn.execute(
            "SELECT items.*, files.rel_path AS rel_path FROM items "
            "JOIN files ON files.id = items.file_id "
            "WHERE items.dataset_id = ? AND items.status = ? ORDER BY items.id",
            (dataset_id, status),
        )
        return [dict(r) for r in rows]

    def item_ids_by_file(self, dataset_id: int) -> dict[tuple[str, int], int]:
        """(file path key, index) -> item id, for attaching labels read at import."""
        rows = self.conn.execute(
            "SELECT files.path_key, items.idx, items.id FROM items "
            "JOIN files ON files.id = items.file_id WHERE items.dataset_id = ?",
            (dataset_id,),
        )
        return {(r[0], r[1]): r[2] for r in rows}

    def import_errors(self, dataset_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT path, code, message, severity FROM import_errors WHERE dataset_id = ? "
            "ORDER BY severity, path, id",
            (dataset_id,),
        )
        return [dict(r) for r in rows]

    def label_sets(self, dataset_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT label_sets.*, COUNT(labels.item_id) AS n_labels FROM label_sets "
            "LEFT JOIN labels ON labels.label_set_id = label_sets.id "
            "WHERE dataset_id = ? GROUP BY label_sets.id ORDER BY label_sets.id",
            (dataset_id,),
        )
        return [dict(r) for r in rows]

    def dataset_summary(self, dataset_id: int) -> dict[str, Any]:
        """Counts for ``ssl-studio info`` and the dataset list."""
        q = self.conn.execute
        by_modality = {
            r[0] or "unknown": r[1]
            for r in q(
                "SELECT modality, COUNT(*) FROM items WHERE dataset_id = ? AND status = 'ok' "
                "GROUP BY modality ORDER BY modality",
                (dataset_id,),
            )
        }
        files = dict(
            q(
                "SELECT status, COUNT(*) FROM files WHERE dataset_id = ? GROUP BY status",
                (dataset_id,),
            ).fetchall()
        )
        errors = dict(
            q(
                "SELECT severity, COUNT(*) FROM import_errors WHERE dataset_id = ? "
                "GROUP BY severity",
                (dataset_id,),
            ).fetchall()
        )
        last = q(
            "SELECT finished, status FROM imports WHERE dataset_id = ? ORDER BY id DESC LIMIT 1",
            (dataset_id,),
        ).fetchone()
        return {
            "items": sum(by_modality.values()),
            "items_by_modality": by_modality,
            "files": {k: files.get(k, 0) for k in ("ok", "failed", "skipped", "missing")},
            "errors": errors.get("error", 0),
            "skipped": errors.get("skipped", 0),
            "last_import": None if last is None else {"finished": last[0], "status": last[1]},
        }


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    total = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(dirpath, name))
    return total
