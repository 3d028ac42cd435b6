"""Problems an import's walk meets outside any file (an unreadable folder, a broken link, a
project inside the folder): recorded per import root, replaced by the next full walk."""

from __future__ import annotations

from collections.abc import Iterable

from ssl_studio.core.project.store.base import StoreBase, now

# the shown path of a problem met by an import that did not finish (core/data/privacy.py)
REDACTED = "[redacted]"


class WalkErrors(StoreBase):
    """Walk problems in ``import_errors`` (rows without a file)."""

    def add_walk_error(
        self,
        dataset_id: int,
        import_id: int,
        root_id: int,
        path: str,
        code: str,
        message: str,
        severity: str = "error",
    ) -> None:
        """A problem that belongs to no file (an unreadable folder, a broken link; skipped:
        a project or an export inside the folder), met under the import root ``root_id``.
        It replaces a problem of the same shown path recorded before problems knew their
        root (schema 3), which may be this one. Call inside ``transaction()``."""
        if path != REDACTED:  # ([redacted] names no path: it may be another one's)
            self.conn.execute(
                "DELETE FROM import_errors WHERE dataset_id = ? AND file_id IS NULL AND "
                "root_id IS NULL AND path = ?",
                (dataset_id, path),
            )
        self.conn.execute(
            "INSERT INTO import_errors(dataset_id, import_id, root_id, path, code, message, "
            "severity, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (dataset_id, import_id, root_id, path, code, message, severity, now()),
        )

    def clear_walk_errors(self, dataset_id: int, root_ids: Iterable[int]) -> None:
        """Forget the problems of the walk recorded under the import roots ``root_ids``
        (by any import, finished or not): an import that walked them in full records
        what it met now, so a problem that went away goes. Problems recorded before they
        knew their root (schema 3) go when every root of the dataset was walked. Call
        inside ``transaction()``."""
        roots = sorted(set(root_ids))
        if not roots:
            return
        marks = ", ".join("?" for _ in roots)
        self.conn.execute(
            "DELETE FROM import_errors WHERE dataset_id = ? AND file_id IS NULL AND "
            f"root_id IN ({marks})",
            (dataset_id, *roots),
        )
        if not self._other_roots(dataset_id, roots):
            self.conn.execute(
                "DELETE FROM import_errors WHERE dataset_id = ? AND file_id IS NULL AND "
                "root_id IS NULL",
                (dataset_id,),
            )

    def walk_error_count(
        self, dataset_id: int, root_id: int, path: str, code: str, message: str, import_id: int
    ) -> int:
        """How many problems of the walk like this one (same root, shown path, code and
        message) imports other than ``import_id`` recorded."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM import_errors WHERE dataset_id = ? AND file_id IS NULL AND "
            "root_id = ? AND path = ? AND code = ? AND message = ? AND import_id != ?",
            (dataset_id, root_id, path, code, message, import_id),
        ).fetchone()
        return int(row[0])

    def unrooted_walk_errors(self, dataset_id: int) -> list[tuple[int, str]]:
        """(id, shown path) of the dataset's problems of the walk recorded before they
        knew their root (schema 3)."""
        rows = self.conn.execute(
            "SELECT id, path FROM import_errors WHERE dataset_id = ? AND file_id IS NULL "
            "AND root_id IS NULL ORDER BY id",
            (dataset_id,),
        )
        return [(int(r[0]), r[1] or "") for r in rows]

    def remove_walk_errors(self, ids: Iterable[int]) -> None:
        """Forget the problems of the walk ``ids``. Call inside ``transaction()``."""
        self.conn.executemany(
            "DELETE FROM import_errors WHERE id = ? AND file_id IS NULL", [(i,) for i in ids]
        )

    def _other_roots(self, dataset_id: int, root_ids: list[int]) -> bool:
        """Whether the dataset has import roots besides ``root_ids``."""
        marks = ", ".join("?" for _ in root_ids)
        row = self.conn.execute(
            f"SELECT 1 FROM roots WHERE dataset_id = ? AND id NOT IN ({marks}) LIMIT 1",
            (dataset_id, *root_ids),
        ).fetchone()
        return row is not None
