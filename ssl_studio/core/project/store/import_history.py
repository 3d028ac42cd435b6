"""A dataset's imports as a whole: its latest import, and the earlier ones that are still
the latest import of one of its roots (the folders and files it was imported from) and
did not finish. A dataset stopped in one folder and then imported to the end from another
is still partly imported; core/data/import_tally.py words it.

Each import records the path keys of the roots it covers in its summary (``roots``: the
folders and files it was given, and once it had read every file, the known roots it
walked through; core/data/import_roots.py). An import recorded before that (no ``roots``)
counts as covering every root of its dataset, as the latest import alone used to decide.
"""

from __future__ import annotations

import json
from typing import Any

from ssl_studio.core.project.store.base import StoreBase


class ImportHistory(StoreBase):
    """Queries about a dataset's imports over time (mixed into Store)."""

    def last_import(self, dataset_id: int) -> dict[str, Any] | None:
        """The dataset's latest import (see _import_row), or None if none was recorded,
        with ``roots`` (the stored paths of the roots it is the latest import of) and
        ``earlier_unfinished``: the earlier imports that are still the latest import
        of one of the dataset's roots and did not end "done" (stopped, cut off, unnamed),
        oldest first, each as _import_row gives it with ``started`` and ``roots``: the
        stored (redacted) paths of those roots, None for one under which no file was
        recorded."""
        rows, summaries, paths, latest = self._latest_imports(dataset_id)
        if not rows:
            return None
        last = len(rows) - 1
        earlier: dict[int, list[str | None]] = {}
        own: list[str | None] = []
        for key, index in latest.items():
            if index == last:
                own.append(paths.get(key))
            elif rows[index]["status"] != "done":
                earlier.setdefault(index, []).append(paths.get(key))
        return {
            **_import_row(rows[last], summaries[last]),
            "roots": _sorted_paths(own),
            "earlier_unfinished": [
                {
                    **_import_row(rows[index], summaries[index]),
                    "started": rows[index]["started"],
                    "roots": _sorted_paths(roots),
                }
                for index, roots in sorted(earlier.items())
            ],
        }

    def unfinished_roots(self, dataset_id: int) -> dict[str, tuple[str | None, str | None]]:
        """The dataset's roots whose latest import did not end "done" (stopped, cut off,
        unnamed; the latest import's own roots too), each as path key -> (its stored,
        redacted path, None where no file was recorded under it; the path key of the
        folder that holds it, None where its import did not record it). An import that
        runs can tell from them which roots went away (import_roots.py)."""
        rows, summaries, paths, latest = self._latest_imports(dataset_id)
        unfinished: dict[str, tuple[str | None, str | None]] = {}
        for key, index in latest.items():
            if rows[index]["status"] != "done":
                parents = summaries[index].get("root_parents")
                parent = parents.get(key) if isinstance(parents, dict) else None
                unfinished[key] = (paths.get(key), parent if isinstance(parent, str) else None)
        return unfinished

    def _latest_imports(
        self, dataset_id: int
    ) -> tuple[list[Any], list[dict[str, Any]], dict[str, str | None], dict[str, int]]:
        """The dataset's imports (rows and summaries, oldest first), the stored paths of
        its roots, and root key -> the index of its latest import."""
        rows = self.conn.execute(
            "SELECT started, finished, status, summary FROM imports WHERE dataset_id = ? "
            "ORDER BY id",
            (dataset_id,),
        ).fetchall()
        summaries = [_summary(row["summary"]) for row in rows]
        paths = self._root_paths(dataset_id)
        covered = [_roots(summary) for summary in summaries]
        every = set(paths).union(*(keys for keys in covered if keys is not None))
        latest: dict[str, int] = {}
        for index, keys in enumerate(covered):
            for key in every if keys is None else keys:
                latest[key] = index
        return rows, summaries, paths, latest

    def imports_since(self, dataset_id: int, since: str) -> list[dict[str, Any]]:
        """The summaries (with ``status``) of the dataset's imports that ended after
        ``since`` (an ISO time as runs record it) or never ended, oldest first."""
        rows = self.conn.execute(
            "SELECT status, summary FROM imports WHERE dataset_id = ? "
            "AND (finished IS NULL OR finished >= ?) ORDER BY id",
            (dataset_id, since),
        ).fetchall()
        return [{**_summary(row["summary"]), "status": row["status"]} for row in rows]

    def known_root_keys(self, dataset_id: int) -> set[str]:
        """Path keys of the dataset's roots: those files were recorded under, and those
        its imports covered (one stopped before it recorded a file has no root row)."""
        _, _, paths, latest = self._latest_imports(dataset_id)
        return set(paths) | set(latest)

    def _root_paths(self, dataset_id: int) -> dict[str, str | None]:
        rows = self.conn.execute(
            "SELECT path_key, path FROM roots WHERE dataset_id = ?", (dataset_id,)
        )
        return {row[0]: row[1] or None for row in rows}


def _summary(text: str | None) -> dict[str, Any]:
    try:
        summary = json.loads(text) if text else {}
    except ValueError:
        return {}
    return summary if isinstance(summary, dict) else {}


def _sorted_paths(paths: list[str | None]) -> list[str | None]:
    return sorted(paths, key=lambda path: (path is None, path or ""))


def _roots(summary: dict[str, Any]) -> list[str] | None:
    """The root keys an import recorded, or None when it recorded none (before they were
    recorded: it counts as covering every root)."""
    roots = summary.get("roots")
    return [key for key in roots if isinstance(key, str)] if isinstance(roots, list) else None


def _import_row(row: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """An import as the dataset shows it: finished, status, and for one that ended the
    files done (unchanged or recorded) of files_seen, whether the walk was complete, and
    the files it could not name (unnamed) and why they could not be read again (unread)."""
    counts = {
        k: summary[k]
        for k in ("files_done", "files_seen", "walk_complete", "unnamed", "unread")
        if k in summary
    }
    return {"finished": row["finished"], "status": row["status"], **counts}
