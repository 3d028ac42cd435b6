"""Reading a dataset's imported items back: all of them, one, a first or random one,
their files and sources, and recording their content hashes (what imports record:
imports.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ssl_studio.core.project.store.base import StoreBase

# an item row with its file's shown path, as ``items`` and ``item`` give it
_ITEMS_WITH_PATHS = (
    "SELECT items.*, files.rel_path AS rel_path FROM items JOIN files ON files.id = items.file_id"
)


class ItemRecords(StoreBase):
    """The items of a dataset as imported (one row per DICOM frame, image or series)."""

    def items(self, dataset_id: int, *, status: str = "ok") -> list[dict[str, Any]]:
        """The dataset's items (with their file's shown path), in import order."""
        rows = self.conn.execute(
            f"{_ITEMS_WITH_PATHS} WHERE items.dataset_id = ? AND items.status = ? "
            "ORDER BY items.id",
            (dataset_id, status),
        )
        return [dict(r) for r in rows]

    def unhashed_items(self, dataset_id: int) -> list[dict[str, Any]]:
        """The dataset's usable, cached items without a content hash (imported before
        they were recorded), as rows of ``items``, by id."""
        rows = self.conn.execute(
            "SELECT * FROM items WHERE dataset_id = ? AND status = 'ok' "
            "AND content_hash IS NULL AND cache_file IS NOT NULL ORDER BY id",
            (dataset_id,),
        )
        return [dict(r) for r in rows]

    def set_content_hashes(self, hashes: Iterable[tuple[str, int]]) -> None:
        """Record items' content hashes: (hash, item id) pairs, in one transaction."""
        with self.transaction():
            self.conn.executemany("UPDATE items SET content_hash = ? WHERE id = ?", hashes)

    def item_files(self, dataset_id: int) -> dict[int, tuple[str, int]]:
        """Item id -> (its file's path key, its import root's id), for finding items by
        a path a user writes (the stored path may be redacted, and two imported folders
        may hold the same relative path)."""
        rows = self.conn.execute(
            "SELECT items.id, files.path_key, files.root_id FROM items JOIN files "
            "ON files.id = items.file_id WHERE items.dataset_id = ? AND items.status = 'ok'",
            (dataset_id,),
        )
        return {int(r[0]): (r[1], int(r[2])) for r in rows}

    def item(self, dataset_id: int, item_id: int) -> dict[str, Any] | None:
        """One item of a dataset, as ``items`` gives it, or None."""
        row = self.conn.execute(
            f"{_ITEMS_WITH_PATHS} WHERE items.dataset_id = ? AND items.id = ? "
            "AND items.status = 'ok'",
            (dataset_id, item_id),
        ).fetchone()
        return dict(row) if row is not None else None

    def pick_item_id(self, dataset_id: int, *, at_random: bool = False) -> int | None:
        """The id of the dataset's first item (or a random one), without reading them all."""
        order = "RANDOM()" if at_random else "id"
        row = self.conn.execute(
            f"SELECT id FROM items WHERE dataset_id = ? AND status = 'ok' ORDER BY {order} LIMIT 1",
            (dataset_id,),
        ).fetchone()
        return int(row[0]) if row is not None else None

    def item_profile(self, dataset_id: int) -> tuple[str, int] | None:
        """(the most common item modality, "" when none, the most channels) of the dataset's
        readable items, without reading them all; None when it has none."""
        ok = "FROM items WHERE dataset_id = ? AND status = 'ok'"
        channels = self.conn.execute(f"SELECT MAX(channels) {ok}", (dataset_id,)).fetchone()[0]
        if channels is None:
            return None
        modality = self.conn.execute(
            f"SELECT COALESCE(modality, '') AS m {ok} GROUP BY m ORDER BY COUNT(*) DESC, MIN(id) "
            "LIMIT 1",
            (dataset_id,),
        ).fetchone()[0]
        return modality, int(channels)

    def item_source(self, item_id: int) -> dict[str, Any] | None:
        """Where item ``item_id`` was imported from: root (the folder or file as stored,
        identifiers redacted), rel_path, path_key, size, mtime_ns, n_items of its file."""
        row = self.conn.execute(
            "SELECT roots.path AS root, files.rel_path, files.path_key, files.size, "
            "files.mtime_ns, files.n_items FROM items "
            "JOIN files ON files.id = items.file_id JOIN roots ON roots.id = files.root_id "
            "WHERE items.id = ?",
            (item_id,),
        ).fetchone()
        return dict(row) if row is not None else None

    def item_ids_by_file(self, dataset_id: int) -> dict[tuple[str, int], int]:
        """(file path key, index) -> item id, for attaching labels read at import."""
        rows = self.conn.execute(
            "SELECT files.path_key, items.idx, items.id FROM items "
            "JOIN files ON files.id = items.file_id WHERE items.dataset_id = ?",
            (dataset_id,),
        )
        return {(r[0], r[1]): r[2] for r in rows}
