"""The project's ``meta`` table: one text per key (the salt, when and by what the project
was made, its id, the card details, ...), and the project id.

The project id is a random UUID (version 4), made when the project is created, or, for a
project made before ids, the first time it is opened for writing (a reader never writes,
so until then it has none). It is drawn at random, from nothing of the project's (not its
folder, name or data), so it identifies no one; it tells exports and run records of one
project from those of another, where run numbers repeat. A copy of the project folder
keeps it (the copy holds the same history).
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import AbstractContextManager

PROJECT_ID = "project_id"  # meta key


class ProjectMeta:
    """``meta``, ``salt`` and ``project_id``, read from the open connection (StoreBase
    opens it and gives the project its id)."""

    conn: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[None]:  # (StoreBase's)
        raise NotImplementedError

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
    def project_id(self) -> str | None:
        """The project's random id (a UUID's 36 characters); None for a project made
        before ids that has not been opened for writing since."""
        return self.meta(PROJECT_ID)

    def _give_project_id(self) -> None:
        """Make the project's id when it has none (a writer, once)."""
        if self.meta(PROJECT_ID) is not None:
            return
        with self.transaction():
            if self.meta(PROJECT_ID) is None:
                self._set_meta(PROJECT_ID, str(uuid.uuid4()))
