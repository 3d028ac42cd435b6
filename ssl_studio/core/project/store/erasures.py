"""Erasing single files' items from a dataset (a patient withdrew consent), and the
tombstones that keep an import from bringing them back (core/project/erasure.py decides
what may go; data/cache_erasure.py zeroes their cached bytes)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from ssl_studio.core.keyed_hash import keyed_hash
from ssl_studio.core.project.schema import ERASED_CONTENTS
from ssl_studio.core.project.store.base import StoreBase, now

_CHUNK = 500  # ids per IN (...) list (SQLite allows a few thousand)
# the meta key naming the cache files an erasure has still to zero (JSON: dataset id ->
# file names), set in the erasure's transaction and cleared once they are zeroed
SCRUB_KEY = "pending_scrub"


def _chunks(ids: Sequence[Any]) -> Iterable[tuple[str, list[Any]]]:
    """(placeholders, values) for ``ids`` in pieces small enough for one statement."""
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        yield ", ".join("?" for _ in chunk), chunk


class ErasureRecords(StoreBase):
    """Finding, deleting and remembering erased files (mixed into Store)."""

    def files_with_keys(self, dataset_id: int, path_keys: Iterable[str]) -> dict[str, int]:
        """Path key -> file id of the dataset's files among ``path_keys``."""
        found: dict[str, int] = {}
        for marks, chunk in _chunks(sorted(set(path_keys))):
            rows = self.conn.execute(
                f"SELECT path_key, id FROM files WHERE dataset_id = ? AND path_key IN ({marks})",
                (dataset_id, *chunk),
            ).fetchall()
            found.update({str(r[0]): int(r[1]) for r in rows})
        return found

    def patient_files(self, dataset_id: int, key: str) -> tuple[list[int], list[int]]:
        """The files of the dataset holding items of the patient with salted key ``key``:
        (files holding only that patient's items, files holding other items too)."""
        rows = self.conn.execute(
            "SELECT file_id, SUM(patient_key IS ? ) AS theirs, COUNT(*) AS every FROM items "
            "WHERE dataset_id = ? AND file_id IN (SELECT file_id FROM items "
            "WHERE dataset_id = ? AND patient_key = ?) GROUP BY file_id",
            (key, dataset_id, dataset_id, key),
        ).fetchall()
        only = sorted(int(r[0]) for r in rows if r[1] == r[2])
        shared = sorted(int(r[0]) for r in rows if r[1] != r[2])
        return only, shared

    def erasure_counts(self, file_ids: Sequence[int]) -> tuple[int, list[tuple[str, int, int]]]:
        """(how many items the files hold, [(label set name, version, labels lost)])."""
        items = 0
        lost: dict[tuple[str, int], int] = {}
        for marks, chunk in _chunks(sorted(set(file_ids))):
            items += self.conn.execute(
                f"SELECT COUNT(*) FROM items WHERE file_id IN ({marks})", chunk
            ).fetchone()[0]
            rows = self.conn.execute(
                "SELECT label_sets.name, label_sets.version, COUNT(*) FROM labels "
                "JOIN label_sets ON label_sets.id = labels.label_set_id WHERE labels.item_id "
                f"IN (SELECT id FROM items WHERE file_id IN ({marks})) "
                "GROUP BY label_sets.id",
                chunk,
            ).fetchall()
            for name, version, count in rows:
                lost[(str(name), int(version))] = lost.get((str(name), int(version)), 0) + count
        return items, [(name, version, n) for (name, version), n in sorted(lost.items())]

    def cache_slots(self, dataset_id: int, file_ids: Sequence[int] | None = None) -> list[dict]:
        """Where the items of the dataset (of ``file_ids`` only, when given) lie in its
        cache: dicts of file_id, cache_file, cache_index, channels and length (every
        status)."""
        query = (
            "SELECT file_id, cache_file, cache_index, channels, length FROM items "
            "WHERE dataset_id = ? AND cache_file IS NOT NULL"
        )
        if file_ids is None:
            return [dict(r) for r in self.conn.execute(query, (dataset_id,)).fetchall()]
        found: list[dict] = []
        for marks, chunk in _chunks(sorted(set(file_ids))):
            rows = self.conn.execute(f"{query} AND file_id IN ({marks})", (dataset_id, *chunk))
            found += [dict(r) for r in rows.fetchall()]
        return found

    def erase_files(
        self,
        dataset_id: int,
        file_ids: Sequence[int],
        run_ids: Sequence[int] = (),
        scrub: Iterable[str] = (),
    ) -> int:
        """Delete the files' rows with their items, the items' labels (in every version
        of every label set) and the files' import problems; scrub the files' paths from
        the stored import summaries; leave a tombstone (the path key and the date) per
        file; delete the runs ``run_ids`` (as delete_runs); and mark the dataset's cache
        files ``scrub`` as still to be zeroed (``pending_scrubs``). One transaction: all
        of it or nothing. Returns the number of items deleted."""
        ids = sorted(set(file_ids))
        deleted = 0
        salt, today = self.salt, now()[:10]
        with self.transaction():
            self.conn.execute(ERASED_CONTENTS)  # (a project made at 7 before it came)
            self._delete_run_rows(sorted(set(run_ids)))  # (RemovalRecords, in Store)
            self._mark_scrub(dataset_id, scrub)
            paths: set[str] = set()
            for marks, chunk in _chunks(ids):
                rows = self.conn.execute(
                    f"SELECT path_key, rel_path FROM files WHERE id IN ({marks})", chunk
                ).fetchall()
                paths |= {str(r[1]) for r in rows if r[1]}
                self.conn.executemany(
                    "INSERT OR REPLACE INTO erased(dataset_id, path_key, erased) VALUES (?, ?, ?)",
                    [(dataset_id, r[0], today) for r in rows],
                )
                hashes = self.conn.execute(
                    f"SELECT DISTINCT content_hash FROM items WHERE file_id IN ({marks}) "
                    "AND content_hash IS NOT NULL",
                    chunk,
                ).fetchall()
                self.conn.executemany(  # (keyed: a plain hash would prove what was here)
                    "INSERT OR IGNORE INTO erased_contents(content_hash, erased) VALUES (?, ?)",
                    [(_content_key(salt, h), today) for (h,) in hashes],
                )
                items = f"SELECT id FROM items WHERE file_id IN ({marks})"
                self.conn.execute(f"DELETE FROM labels WHERE item_id IN ({items})", chunk)
                deleted += self.conn.execute(
                    f"DELETE FROM items WHERE file_id IN ({marks})", chunk
                ).rowcount
                self.conn.execute(f"DELETE FROM import_errors WHERE file_id IN ({marks})", chunk)
                self.conn.execute(f"DELETE FROM files WHERE id IN ({marks})", chunk)
            self._scrub_summaries(dataset_id, paths)
            self.conn.execute("UPDATE datasets SET updated = ? WHERE id = ?", (now(), dataset_id))
        return deleted

    def _scrub_summaries(self, dataset_id: int, paths: set[str]) -> None:
        """Drop the erased files from the first problems the dataset's imports keep in
        their summaries (``errors``: path, code, message)."""
        if not paths:
            return
        rows = self.conn.execute(
            "SELECT id, summary FROM imports WHERE dataset_id = ? AND summary IS NOT NULL",
            (dataset_id,),
        ).fetchall()
        for row_id, text in rows:
            try:
                summary = json.loads(text)
            except ValueError:
                continue
            errors = summary.get("errors") if isinstance(summary, dict) else None
            if not isinstance(errors, list):
                continue
            kept = [e for e in errors if not (isinstance(e, dict) and e.get("path") in paths)]
            if len(kept) != len(errors):
                summary["errors"] = kept
                self.conn.execute(
                    "UPDATE imports SET summary = ? WHERE id = ?", (json.dumps(summary), row_id)
                )

    def other_datasets_with(self, file_ids: Sequence[int]) -> list[str]:
        """Names of the other datasets that hold files at the same paths as ``file_ids``
        (the same folder imported twice): erasing from one leaves them there."""
        names: set[str] = set()
        for marks, chunk in _chunks(sorted(set(file_ids))):
            rows = self.conn.execute(
                "SELECT DISTINCT datasets.name FROM files AS erasing JOIN files AS other "
                "ON other.path_key = erasing.path_key AND other.dataset_id != erasing.dataset_id "
                f"JOIN datasets ON datasets.id = other.dataset_id WHERE erasing.id IN ({marks})",
                chunk,
            ).fetchall()
            names |= {str(r[0]) for r in rows}
        return sorted(names)

    def erased_files(self) -> dict[str, str]:
        """Path key -> date (YYYY-MM-DD) of the files erased on request from any dataset
        of the project (also one removed since)."""
        rows = self.conn.execute("SELECT path_key, erased FROM erased").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def pending_scrubs(self) -> dict[int, list[str]]:
        """Dataset id -> the names of its cache files in which an erasure committed but
        did not finish zeroing the erased items' bytes (interrupted, or a file that could
        not be written then): data/cache_erasure.finish_scrubs zeroes them."""
        try:
            marked = json.loads(self.meta(SCRUB_KEY) or "{}")
        except ValueError:
            marked = {}
        if not isinstance(marked, dict):
            return {}
        return {int(k): sorted(str(n) for n in v) for k, v in marked.items() if str(k).isdigit()}

    def _mark_scrub(self, dataset_id: int, names: Iterable[str]) -> None:
        """Add ``names`` to the dataset's pending scrub (inside the caller's transaction)."""
        names = set(names)
        if not names:
            return
        marked = self.pending_scrubs()
        marked[dataset_id] = sorted(names | set(marked.get(dataset_id, [])))
        self._set_scrubs(marked)

    def scrub_done(self, dataset_id: int) -> None:
        """The dataset's pending scrub is finished: its mark goes."""
        with self.transaction():
            marked = self.pending_scrubs()
            if marked.pop(dataset_id, None) is None:
                return
            self._set_scrubs(marked)

    def _set_scrubs(self, marked: dict[int, list[str]]) -> None:
        """Store the pending scrubs (dataset id -> cache file names); none: the key goes."""
        if marked:
            self._set_meta(SCRUB_KEY, json.dumps({str(k): v for k, v in marked.items()}))
        else:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (SCRUB_KEY,))

    def erased_count(self, dataset_id: int) -> int:
        """How many files were erased on request from the dataset (its tombstones)."""
        query = "SELECT COUNT(*) FROM erased WHERE dataset_id = ?"
        try:
            return int(self.conn.execute(query, (dataset_id,)).fetchone()[0])
        except sqlite3.OperationalError:  # (an older schema read as it is: none)
            return 0

    def erased_copies(self, dataset_id: int) -> list[str]:
        """The stored (redacted) paths of the dataset's files that hold an item whose
        content hash is an erased item's (a copy of an erased file, renamed or in another
        folder, imported again)."""
        try:
            erased = {h for (h,) in self.conn.execute("SELECT content_hash FROM erased_contents")}
        except sqlite3.OperationalError:  # (no erasure yet in a project made at 7 early)
            return []
        if not erased:
            return []
        salt = self.salt
        rows = self.conn.execute(
            "SELECT DISTINCT f.rel_path, i.content_hash FROM items i JOIN files f "
            "ON f.id = i.file_id WHERE i.dataset_id = ? AND i.content_hash IS NOT NULL",
            (dataset_id,),
        )
        return sorted({str(p) for p, h in rows if _content_key(salt, h) in erased})


def _content_key(salt: bytes, content_hash: str) -> str:
    """An erased item's content hash as the tombstone keeps it: keyed with the project's
    salt, as paths are (a plain SHA-256 of the pixels would let anyone holding the image
    prove it was in the project, and was erased)."""
    return keyed_hash(salt, "content", str(content_hash))
