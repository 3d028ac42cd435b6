"""Upgrading an older project database: a copy first, then every migration in one
transaction, recorded in ``meta`` and announced.

Only a writer upgrades (base.py): a reader reads an older schema as it is where
schema.READ_AS_IS allows. Before the first migration the database is copied with SQLite's
backup API to ``project.db.schema-<old>.bak`` beside it (never over an earlier copy); a
disk too full for the copy refuses the upgrade. All steps commit together or not at all,
so a failure leaves the database at its old schema, which older SSL Studio versions open.

Core never prints: each upgrade is kept here until the CLI or the GUI takes it
(``take_upgrades``) and tells the user, and on the store (``Store.upgrade``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from ssl_studio import __version__
from ssl_studio.core.atomic_files import retry_in_use, sync_file, sync_folder
from ssl_studio.core.errors import FileInUseError, ProjectError
from ssl_studio.core.project.schema import MIGRATIONS, SCHEMA_VERSION
from ssl_studio.core.project.sqlite_uri import sqlite_uri
from ssl_studio.core.storage_errors import disk_full, is_disk_full

# the meta key holding the list of upgrades (JSON: from, to, when, by, backup)
UPGRADES_KEY = "upgrades"


@dataclass(frozen=True)
class Upgrade:
    """One upgrade of a project's database from schema ``old`` to ``new``."""

    project: Path
    old: int
    new: int
    backup: Path

    def text(self) -> str:
        """The one line that tells the user (the CLI on stderr, the GUI's status bar);
        it names the copy only while it is there (a removal or erasure deletes the copy
        that holds what it took away)."""
        if not self.backup.exists():
            return (
                f"Upgraded the project's database from schema {self.old} to {self.new}; "
                f"the copy made before the upgrade ({self.backup.name}) is gone (deleted "
                "with the data it held), so there is no way back to the older SSL Studio "
                f"version: versions that read only up to schema {self.new - 1} or older "
                "cannot open the project now."
            )
        return (
            f"Upgraded the project's database from schema {self.old} to {self.new} (a copy "
            f"of the old one: {self.backup.name}); SSL Studio versions that read only up "
            f"to schema {self.new - 1} or older cannot open it now."
        )


_announced: list[Upgrade] = []
_guard = threading.Lock()


def take_upgrades() -> list[Upgrade]:
    """The upgrades made in this process since the last call (oldest first)."""
    with _guard:
        taken = list(_announced)
        _announced.clear()
    return taken


def backup_path(db: Path, old: int) -> Path:
    """``project.db.schema-<old>.bak``; when that is taken (an earlier upgrade from the
    same schema, restored by copying), ``project.db.schema-<old>.2.bak`` and so on."""
    path, n = db.with_name(f"{db.name}.schema-{old}.bak"), 1
    while path.exists():
        n += 1
        path = db.with_name(f"{db.name}.schema-{old}.{n}.bak")
    return path


def make_backup(conn: sqlite3.Connection, db: Path, old: int) -> Path:
    """Copy the database ``conn`` has open (committed data, the WAL's included) beside
    ``db``, written under a temporary name, synced, then renamed; returns the copy. A full
    disk raises the disk-full message and leaves no partial copy."""
    target = backup_path(db, old)
    partial = target.with_name(f"{target.name}.partial")
    try:
        # made with the database's own mode: a private project's copy stays private
        mode = stat.S_IMODE(db.stat().st_mode)
        partial.unlink(missing_ok=True)  # (one a failed upgrade left keeps its old mode)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
            # a plain file on its own (no -wal, -shm beside it when opened); SSL Studio
            # turns WAL on again when it is renamed to project.db and opened
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        sync_file(partial)  # (opened for writing on Windows, which flushes nothing else)
        # (Windows: an antivirus scanning the fresh copy holds it for a moment)
        retry_in_use(lambda: os.replace(partial, target), target, "write")
        with contextlib.suppress(OSError):  # (not every system syncs a folder)
            sync_folder(target.parent)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        if is_disk_full(exc):
            raise disk_full(
                target, f"the project was not upgraded and is as it was (schema {old})"
            ) from exc
        if isinstance(exc, FileInUseError):  # (the rename, still refused after ~2 s)
            raise ProjectError(_copy_held(old)) from exc
        raise ProjectError(
            f"Cannot copy the project database to {target} before upgrading it ({exc}); "
            f"the project was not upgraded and is as it was (schema {old})."
        ) from exc
    return target


def _copy_held(old: int) -> str:
    """What to say when the fresh copy of the database (``*.bak.partial``) stayed held
    open and could not be renamed into place. FileInUseError's own words would name the
    backup (a file not there yet) and say to close it in Excel: the held file is the copy
    just written, and what holds a file just written is nearly always an antivirus scan."""
    return (
        "Cannot upgrade the project: the copy of its database made first stayed open in "
        "another program, most likely an antivirus scanning it, and could not be put in "
        f"place. The project was not upgraded and is as it was (schema {old}). Wait a "
        "moment and try again; if this keeps happening, exclude the project folder from "
        "real-time scanning, or ask your IT to."
    )


def upgrade_database(conn: sqlite3.Connection, db: Path, old: int) -> Upgrade | None:
    """Bring the database ``conn`` (a writer's, under the project's write lock) from
    schema ``old`` to the current one: a copy first (none for a new, empty database),
    then every migration and the record in ``meta`` in one transaction. Returns the
    upgrade (also kept for ``take_upgrades``); None for a new database."""
    backup = make_backup(conn, db, old) if old > 0 else None
    database = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != old:
            raise ProjectError(  # (another program changed it after the copy)
                "The project database changed while it was being upgraded; try again."
            )
        step = old
        for step in range(old, SCHEMA_VERSION):
            MIGRATIONS[step](database)
            conn.execute(f"PRAGMA user_version={step + 1}")
        if backup is not None:
            _record(conn, old, backup)
    except BaseException as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        if backup is None or isinstance(exc, ProjectError | KeyboardInterrupt):
            raise
        if is_disk_full(exc):
            kept = f"the project is as it was (schema {old}); a copy is kept: {backup.name}"
            raise disk_full(db, kept) from exc
        raise _failed(db, old, step, backup, exc) from exc
    conn.execute("COMMIT")
    if backup is None:
        return None
    done = Upgrade(db.parent, old, SCHEMA_VERSION, backup)
    with _guard:
        _announced.append(done)
    return done


def _record(conn: sqlite3.Connection, old: int, backup: Path) -> None:
    """Add this upgrade to the list in ``meta`` (from, to, when, by which version)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (UPGRADES_KEY,)).fetchone()
    done = json.loads(row[0]) if row and row[0] else []
    done.append(
        {
            "from": old,
            "to": SCHEMA_VERSION,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "by": f"ssl-studio {__version__}",
            "backup": backup.name,
        }
    )
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (UPGRADES_KEY, json.dumps(done))
    )


def _failed(db: Path, old: int, step: int, backup: Path, exc: BaseException) -> ProjectError:
    """The message for a migration that failed: nothing changed, where the copy is."""
    return ProjectError(
        f"Upgrading the project database {db} from schema {old} to {SCHEMA_VERSION} failed "
        f"at step {step + 1} ({type(exc).__name__}: {exc}). Nothing was changed: the "
        f"database is still at schema {old}, and the SSL Studio version that made it "
        f"opens it. A copy made before the upgrade is kept: {backup}. If the project does "
        f"not open, restore that copy by renaming it to {db.name} (first move "
        f"{db.name}-wal and {db.name}-shm, if there, out of the folder: they belong to "
        "the other file). Please report this problem (with this message) so it can be "
        "fixed."
    )


def copies_holding(db: Path, hide: Callable[[str], str]) -> list[Path]:
    """The copies made before upgrades (``project.db.schema-*.bak`` beside ``db``) whose
    stored paths, problem messages, import summaries or dataset names ``hide`` changes:
    they hold patient identifiers an import has just hidden in the project (an older
    version stored some: migration 5). A copy that cannot be read is one of them (it
    cannot be told apart), never kept on a guess; one that cannot be opened now (busy,
    no descriptors left) is kept, the only way back."""

    def holds(conn: sqlite3.Connection) -> bool:
        texts = (  # (one at a time: the first identifier found is enough)
            text
            for query in _STORED_TEXTS
            for (text,) in conn.execute(query)
            if isinstance(text, str) and text
        )
        return any(hide(text) != text for text in texts)

    return _copies_where(db, holds, busy_holds=False)


def copies_with(db: Path, dataset_id: int | None, run_ids: Iterable[int]) -> list[Path]:
    """The copies made before upgrades (``project.db.schema-*.bak`` beside ``db``) that
    hold dataset ``dataset_id`` or any of ``run_ids`` (ids are never given twice): a
    removal deletes them with what it removes, or restoring one would bring it back. A
    copy that cannot be read or opened now is one of them (erasure comes first)."""
    runs = sorted(set(run_ids))

    def holds(conn: sqlite3.Connection) -> bool:
        query = "SELECT 1 FROM datasets WHERE id = ?"
        if dataset_id is not None and conn.execute(query, (dataset_id,)).fetchone():
            return True
        marks = ", ".join("?" for _ in runs)
        query = f"SELECT 1 FROM runs WHERE id IN ({marks})"
        return bool(runs) and conn.execute(query, runs).fetchone() is not None

    return _copies_where(db, holds, busy_holds=True)


def _copies_where(
    db: Path, holds: Callable[[sqlite3.Connection], bool], busy_holds: bool
) -> list[Path]:
    """The upgrade copies beside ``db`` for which ``holds`` (read-only) is true; a damaged
    copy counts as holding, one that cannot be opened now as ``busy_holds`` says."""
    found = []
    for copy in sorted(db.parent.glob(f"{db.name}.schema-*.bak")):
        try:
            with contextlib.closing(
                sqlite3.connect(sqlite_uri(copy, "mode=ro&immutable=1"), uri=True)
            ) as conn:
                held = holds(conn)
        except sqlite3.OperationalError:
            held = busy_holds
        except sqlite3.DatabaseError:  # not a database, or damaged: cannot be told apart
            held = True
        if held:
            found.append(copy)
    return found


_STORED_TEXTS = (
    "SELECT path FROM roots",
    "SELECT rel_path FROM files",
    "SELECT path FROM import_errors",
    "SELECT message FROM import_errors",
    "SELECT summary FROM imports",
    "SELECT name FROM datasets",
)
