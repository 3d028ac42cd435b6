"""What imports record: roots, files, items (with their cache location) and their
problems (the walk's own problems: walk_errors.py; redacting them all: path_redaction.py;
reading the items back: items.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ssl_studio.core.project.schema import ITEM_COLUMNS
from ssl_studio.core.project.store.base import StoreBase, now


@dataclass(frozen=True)
class FileRow:
    """What re-import needs to know about a file it met before."""

    id: int
    root_id: int
    size: int
    mtime_ns: int
    status: str
    rel_path: str = ""  # as stored (redacted)
    root_path: str = ""  # its import root's path, as stored (redacted)
    root_key: str = ""  # and that root's path key
    # last recorded by an import that never finished (not named), or a left-out DICOM
    # file whose identifiers an import before schema 5 never read (schema.py)
    pending: bool = False
    codes: tuple[str, ...] = ()  # codes of its problems as recorded
    unread: bool = False  # (pending as) a left-out DICOM file whose header was never read
    layout: str | None = None  # the CSV layout its series were read with, if any


def most_files_layout(shapes: Iterable[tuple[str | None, list | None, int]]) -> str | None:
    """Of ``series_shapes``' (layout, names, files): the CSV layout (columns or rows) with
    the most files, or None."""
    files: dict[str, int] = {}
    for layout, _, n in shapes:
        if layout in ("columns", "rows"):
            files[layout] = files.get(layout, 0) + n
    return max(files, key=lambda k: files[k]) if files else None


class ImportRecords(StoreBase):
    """Queries of the import job (mixed into Store)."""

    def start_import(
        self,
        dataset_id: int,
        config: Mapping[str, Any],
        roots: Iterable[str] | None = None,
        parents: Mapping[str, str] | None = None,
    ) -> int:
        """A new import row, "running". ``roots``: path keys of the roots it covers (see
        import_history.py), kept in its summary from the start, so that one cut off (a
        crash, a kill) still tells which roots it left unfinished. ``parents``: root key ->
        the path key of the folder that holds it, so that a later import can tell the
        root went away though its stored path is [redacted] (Store.unfinished_roots)."""
        started: dict[str, Any] = {}
        if roots is not None:
            started["roots"] = sorted(roots)
        if parents:
            started["root_parents"] = dict(sorted(parents.items()))
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO imports(dataset_id, started, status, config, summary) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    dataset_id,
                    now(),
                    "running",
                    json.dumps(config),
                    json.dumps(started) if started else None,
                ),
            )
        return int(cursor.lastrowid)

    def finish_import(
        self,
        import_id: int,
        status: str,
        summary: Mapping[str, Any],
        roots: Iterable[str] | None = None,
    ) -> None:
        """End an import with ``status`` and ``summary``, stored with ``roots`` (the path
        keys of the roots it covers; None: those recorded when it started, if any) and the
        ``root_parents`` recorded when it started."""
        stored = dict(summary)
        row = self.conn.execute("SELECT summary FROM imports WHERE id = ?", (import_id,)).fetchone()
        started = json.loads(row[0]) if row is not None and row[0] else {}
        started = started if isinstance(started, dict) else {}
        if roots is None:
            roots = started.get("roots")
        if roots is not None:
            stored["roots"] = sorted(roots)
        if started.get("root_parents"):
            stored["root_parents"] = started["root_parents"]
        with self.transaction():
            self.conn.execute(
                "UPDATE imports SET finished = ?, status = ?, summary = ? WHERE id = ?",
                (now(), status, json.dumps(stored), import_id),
            )
            self.conn.execute(
                "UPDATE datasets SET updated = ? WHERE id = "
                "(SELECT dataset_id FROM imports WHERE id = ?)",
                (now(), import_id),
            )

    def import_options(self, dataset_id: int) -> dict[str, Any]:
        """The options of the dataset's latest import (its ImportConfig, without paths)."""
        row = self.conn.execute(
            "SELECT config FROM imports WHERE dataset_id = ? ORDER BY id DESC LIMIT 1",
            (dataset_id,),
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def series_shapes(self, dataset_id: int) -> list[tuple[str | None, list | None, int]]:
        """How a series dataset's files were read: (layout, channel names or None, files),
        most files first (a CSV's auto layout is chosen file by file; a rows-layout table
        of 100 series is one file read one way)."""
        rows = self.conn.execute(
            "SELECT json_extract(meta, '$.layout') AS layout, "
            "json_extract(meta, '$.channel_names') AS names, COUNT(DISTINCT file_id) AS n "
            "FROM items WHERE dataset_id = ? AND status = 'ok' GROUP BY layout, names "
            "ORDER BY n DESC",
            (dataset_id,),
        )
        return [(r[0], json.loads(r[1]) if r[1] else None, int(r[2])) for r in rows]

    def preferred_layout(self, dataset_id: int) -> str | None:
        """The CSV layout (columns or rows) most of a series dataset's files were read
        with, or None when it has none."""
        return most_files_layout(self.series_shapes(dataset_id))

    def root_keys(self, dataset_id: int) -> set[str]:
        """Path keys of the folders and files a dataset was imported from."""
        rows = self.conn.execute("SELECT path_key FROM roots WHERE dataset_id = ?", (dataset_id,))
        return {row[0] for row in rows}

    def root_id(self, dataset_id: int, path: str, path_key: str, hidden: str = "") -> int:
        """The id of an import root (created if new). In a transaction. The shown path of a
        known root is only replaced by one that hides more (more ``hidden`` markers), or
        when it is ``hidden`` alone (a root an unfinished import recorded): an import that
        decoded nothing knows no names, and must not undo earlier redaction."""
        row = self.conn.execute(
            "SELECT id, path FROM roots WHERE dataset_id = ? AND path_key = ?",
            (dataset_id, path_key),
        ).fetchone()
        if row is not None:
            stored = row[1] or ""
            if hidden and (stored == hidden or path.count(hidden) > stored.count(hidden)):
                self.conn.execute("UPDATE roots SET path = ? WHERE id = ?", (path, row[0]))
            return int(row[0])
        cursor = self.conn.execute(
            "INSERT INTO roots(dataset_id, path, path_key) VALUES (?, ?, ?)",
            (dataset_id, path, path_key),
        )
        return int(cursor.lastrowid)

    def cache_files(self, dataset_id: int) -> set[str]:
        """Names of the cache files the dataset's items point into."""
        rows = self.conn.execute(
            "SELECT DISTINCT cache_file FROM items WHERE dataset_id = ? AND cache_file IS NOT NULL",
            (dataset_id,),
        )
        return {r[0] for r in rows}

    def all_root_paths(self) -> dict[str, str]:
        """Path key -> the stored (redacted) path of the import roots of every dataset."""
        rows = self.conn.execute("SELECT path_key, path FROM roots ORDER BY id")
        return {r[0]: r[1] or "" for r in rows}

    def root_paths(self, dataset_id: int) -> dict[str, str]:
        """Path key -> the stored (redacted) path of the dataset's import roots."""
        rows = self.conn.execute(
            "SELECT path_key, path FROM roots WHERE dataset_id = ?", (dataset_id,)
        )
        return {r[0]: r[1] or "" for r in rows}

    def known_files(self, dataset_id: int) -> dict[str, FileRow]:
        """Files met by earlier imports of the dataset, by path key. ``pending``: the
        file was last recorded by an import that did not finish (killed, stopped, out of
        disk space, unnamed), so its path was never named (see data/import_naming.py), or
        it is a DICOM file left out whose identifiers were never read (schema 5)."""
        rows = self.conn.execute(
            "SELECT files.id, root_id, files.path_key, size, mtime_ns, files.status, rel_path, "
            "roots.path AS root_path, roots.path_key AS root_key, "
            "COALESCE(imports.status, 'done') != 'done' OR COALESCE(files.reread, 0) "
            "AS pending, COALESCE(files.reread, 0) AS unread, "
            "(SELECT GROUP_CONCAT(code, ' ') FROM import_errors WHERE file_id = files.id) "
            "AS codes, (SELECT json_extract(meta, '$.layout') FROM items WHERE "
            "items.file_id = files.id ORDER BY items.idx LIMIT 1) AS layout "
            "FROM files LEFT JOIN imports ON imports.id = files.import_id "
            "LEFT JOIN roots ON roots.id = files.root_id WHERE files.dataset_id = ?",
            (dataset_id,),
        )
        return {
            r["path_key"]: FileRow(
                r["id"],
                r["root_id"],
                r["size"],
                r["mtime_ns"],
                r["status"],
                r["rel_path"] or "",
                r["root_path"] or "",
                r["root_key"] or "",
                bool(r["pending"]),
                tuple((r["codes"] or "").split()),
                bool(r["unread"]),
                r["layout"] if r["layout"] in ("columns", "rows") else None,
            )
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
        Items the file no longer gives (it fails to decode now, or has fewer frames) are
        kept, marked ``failed`` (the file failed) or ``missing``, as ``mark_missing`` marks
        the items of a deleted file: training skips them, their labels stay in every label
        set, and they come back with those labels when the file decodes again.
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
        gone = "failed" if file["status"] == "failed" else "missing"
        self._replace_items(dataset_id, file_id, items, gone)
        self._set_problems(dataset_id, import_id, file_id, file["rel_path"], errors)
        return file_id

    def _set_problems(
        self,
        dataset_id: int,
        import_id: int,
        file_id: int,
        path: str,
        errors: list[tuple[str, str, str]],
    ) -> None:
        self.conn.execute("DELETE FROM import_errors WHERE file_id = ?", (file_id,))
        self.conn.executemany(
            "INSERT INTO import_errors(dataset_id, import_id, file_id, path, code, message, "
            "severity, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(dataset_id, import_id, file_id, path, c, m, s, now()) for c, m, s in errors],
        )

    def name_files(
        self,
        dataset_id: int,
        import_id: int,
        files: Iterable[tuple[str, str, str, list[tuple[str, str, str]] | None]],
        roots: Mapping[str, str],
        hidden: str,
    ) -> None:
        """Store the paths of the files and folders an import recorded, redacted with
        every identifier it met, once it has read every file (until then they are stored
        as ``hidden``: see data/import_naming.py). files: (path key, its root's path key,
        rel_path, problems as (code, message, severity) tuples, or None to keep the
        stored messages); each file becomes this import's. roots: path key -> path of
        every root of ``files``, stored as ``root_id`` stores them."""
        files = list(files)
        with self.transaction():
            ids = {key: self.root_id(dataset_id, path, key, hidden) for key, path in roots.items()}
            self.conn.executemany(
                "UPDATE files SET root_id = ?, rel_path = ?, import_id = ?, reread = NULL "
                "WHERE dataset_id = ? AND path_key = ?",
                [(ids[root], rel, import_id, dataset_id, key) for key, root, rel, _ in files],
            )
            self.conn.executemany(
                "UPDATE import_errors SET path = ? WHERE file_id = "
                "(SELECT id FROM files WHERE dataset_id = ? AND path_key = ?)",
                [(rel, dataset_id, key) for key, _, rel, problems in files if not problems],
            )  # (None: the stored problems stay, with their path named)
            for key, _, rel_path, problems in files:
                if problems:  # its problems as this import read them, now redacted
                    row = self.conn.execute(
                        "SELECT id FROM files WHERE dataset_id = ? AND path_key = ?",
                        (dataset_id, key),
                    ).fetchone()
                    if row is not None:
                        self._set_problems(dataset_id, import_id, row[0], rel_path, problems)

    def _replace_items(
        self, dataset_id: int, file_id: int, items: list[dict[str, Any]], gone: str
    ) -> None:
        """Update the file's items by index, add new ones, and mark those it no longer
        gives with the status ``gone``. Items are never deleted here: label sets refer to
        them, and a label set (with the figures of the runs that used it) must never
        change after the fact."""
        existing = dict(
            self.conn.execute("SELECT idx, id FROM items WHERE file_id = ?", (file_id,)).fetchall()
        )
        names = ["idx", "cache_file", "cache_index", "content_hash", *ITEM_COLUMNS]
        keep = {item["idx"] for item in items}
        stale = [existing[i] for i in existing if i not in keep]
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            self.conn.execute(f"UPDATE items SET status = ? WHERE id IN ({marks})", (gone, *chunk))
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

    def mark_missing(self, root_ids: Iterable[int], seen: set[str]) -> int:
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
