"""Rewriting a dataset's stored paths, problem messages and import summaries once an import
knows every identifier its files hold (core/data/import_naming.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ssl_studio.core.project.store.base import StoreBase
from ssl_studio.core.project.upgrade import copies_holding


class PathRedaction(StoreBase):
    """``redact_paths`` over roots, files, problems and import summaries."""

    # copies from before an upgrade removed since they held what redact_paths hid
    removed_copies: list[str]

    def redact_paths(
        self,
        dataset_id: int,
        redact: Callable[[str], str],
        redact_message: Callable[[str, str], str],
    ) -> int:
        """Pass every stored path (roots, files, problems) of a dataset through ``redact``
        and every problem message through ``redact_message(message, its path)``, rewriting
        the rows they change. Returns how many rows changed."""
        columns = {"roots": ("path",), "files": ("rel_path",), "import_errors": ("path", "message")}
        changed = 0
        with self.transaction():
            for table, names in columns.items():
                rows = self.conn.execute(
                    f"SELECT id, {', '.join(names)} FROM {table} WHERE dataset_id = ?",
                    (dataset_id,),
                ).fetchall()
                for row in rows:
                    values = [row[n] for n in names]
                    hidden = [redact(values[0]) if values[0] else values[0]]
                    if len(names) == 2:
                        hidden.append(redact_message(values[1], values[0] or ""))
                    if hidden != values:
                        sets = ", ".join(f"{n} = ?" for n in names)
                        self.conn.execute(
                            f"UPDATE {table} SET {sets} WHERE id = ?", (*hidden, row["id"])
                        )
                        changed += 1
            changed += self._redact_summaries(dataset_id, redact, redact_message)
        if changed:  # (a copy from before an upgrade must not keep what was hidden)
            for copy in copies_holding(self.paths.db, redact):
                copy.unlink(missing_ok=True)  # (an error here: told for the ones removed)
                self.removed_copies.append(copy.name)
        return changed

    def _redact_summaries(
        self,
        dataset_id: int,
        redact: Callable[[str], str],
        redact_message: Callable[[str, str], str],
    ) -> int:
        """``redact_paths`` for the summaries the dataset's imports stored: the dataset's
        name then, and the path and message of each problem they list."""
        changed = 0
        rows = self.conn.execute(
            "SELECT id, summary FROM imports WHERE dataset_id = ? AND summary IS NOT NULL",
            (dataset_id,),
        ).fetchall()
        for row in rows:
            try:
                summary = json.loads(row["summary"])
            except (TypeError, ValueError):
                continue
            if not isinstance(summary, dict):
                continue
            hidden = dict(summary)
            if isinstance(summary.get("dataset"), str):
                hidden["dataset"] = redact(summary["dataset"])
            errors = summary.get("errors")
            if isinstance(errors, list):
                hidden["errors"] = [_redact_error(e, redact, redact_message) for e in errors]
            if hidden != summary:
                self.conn.execute(
                    "UPDATE imports SET summary = ? WHERE id = ?", (json.dumps(hidden), row["id"])
                )
                changed += 1
        return changed


def _redact_error(
    error: Any, redact: Callable[[str], str], redact_message: Callable[[str, str], str]
) -> Any:
    """A problem as an import's summary lists it (path, code, message), redacted."""
    if not isinstance(error, dict):
        return error
    path = error.get("path")
    where = path if isinstance(path, str) else ""
    out = dict(error)
    if where:
        out["path"] = redact(where)
    if isinstance(error.get("message"), str):
        out["message"] = redact_message(error["message"], where)
    return out
