"""What the import report shows: the files an import left out, and notes on files it
imported (their columns named, or the CSV read, otherwise than most of the dataset's
files)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ssl_studio.core.project.store.base import StoreBase, now

LEFT_OUT = ("error", "skipped")  # severities of files (or parts) not imported
NOTES = ("warning", "info")  # severities of notes on imported files
LINK_CODES = ("link-up", "link-outside")  # links to folders (core/data/discovery.py): no files


def report_groups(
    rows: Iterable[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``import_errors`` as (files left out, notes on imported files, links
    to folders: not followed back up, or followed elsewhere), each in its order."""
    left_out: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for row in rows:
        if row["code"] in LINK_CODES:
            links.append(row)
        else:
            (left_out if row["severity"] in LEFT_OUT else notes).append(row)
    return left_out, notes, links


class ImportReport(StoreBase):
    """Queries of the import report (mixed into Store)."""

    def import_errors(self, dataset_id: int) -> list[dict[str, Any]]:
        """Every problem and note of the dataset's files: path (as stored, redacted), code,
        message, severity; errors first, then skipped files, warnings and notes."""
        rows = self.conn.execute(
            "SELECT path, code, message, severity FROM import_errors WHERE dataset_id = ? "
            "ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'skipped' THEN 1 "
            "WHEN 'warning' THEN 2 ELSE 3 END, path, id",
            (dataset_id,),
        )
        return [dict(r) for r in rows]

    def file_channel_names(self, dataset_id: int) -> list[tuple[int, list[str]]]:
        """(file id, channel names) of the dataset's imported series files whose first
        item has names (a CSV with a header row), in the order they were first imported."""
        rows = self.conn.execute(
            "SELECT items.file_id, json_extract(items.meta, '$.channel_names') FROM items "
            "JOIN files ON files.id = items.file_id WHERE items.dataset_id = ? "
            "AND items.status = 'ok' AND items.idx = 0 AND files.status = 'ok' "
            "AND json_extract(items.meta, '$.channel_names') IS NOT NULL ORDER BY items.file_id",
            (dataset_id,),
        )
        return [(int(r[0]), json.loads(r[1])) for r in rows]

    def file_layouts(self, dataset_id: int) -> list[tuple[int, str]]:
        """(file id, layout) of the dataset's imported series files, in the order they
        were first imported (a CSV's "columns" or "rows"; an array's shape)."""
        rows = self.conn.execute(
            "SELECT items.file_id, json_extract(items.meta, '$.layout') FROM items "
            "JOIN files ON files.id = items.file_id WHERE items.dataset_id = ? "
            "AND items.status = 'ok' AND items.idx = 0 AND files.status = 'ok' "
            "AND json_extract(items.meta, '$.layout') IS NOT NULL ORDER BY items.file_id",
            (dataset_id,),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def replace_file_notes(
        self, dataset_id: int, import_id: int, code: str, notes: Iterable[tuple[int, str, str]]
    ) -> None:
        """The dataset's notes of kind ``code`` become ``notes``: (file id, message,
        severity), each shown with its file's stored path."""
        with self.transaction():
            self.conn.execute(
                "DELETE FROM import_errors WHERE dataset_id = ? AND code = ?", (dataset_id, code)
            )
            self.conn.executemany(
                "INSERT INTO import_errors(dataset_id, import_id, file_id, path, code, message, "
                "severity, created) SELECT ?, ?, id, rel_path, ?, ?, ?, ? FROM files WHERE id = ?",
                [
                    (dataset_id, import_id, code, message, severity, now(), file_id)
                    for file_id, message, severity in notes
                ],
            )
