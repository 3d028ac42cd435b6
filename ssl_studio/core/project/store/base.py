"""Opening a project database: connection, write lock, schema version, transactions.

Opening for writing takes the project's write lock (a second writer is refused with a
clear message); opening for reading never blocks and sees committed data only (WAL).
The schema (schema.py) is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` brings a
database from version i to i + 1. A reader reads an older schema as it is (READ_AS_IS); a
writer upgrades it, with a copy first (upgrade.py); a project from a newer SSL Studio is
refused instead of damaged.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from ssl_studio import __version__
from ssl_studio.core.errors import (
    NotAProjectError,
    ProjectError,
    ProjectLockedError,
    ProjectUnreadableError,
)
from ssl_studio.core.folder_access import file_readable, folder_writable, probe_writable
from ssl_studio.core.project.file_system import RemoteMount, remote_file_system
from ssl_studio.core.project.journal import (
    is_wal_database,
    network_notice,
    tell_once,
    unread_wal_notice,
    use_writer_journal,
    wait_out_of_wal,
)
from ssl_studio.core.project.layout import ProjectPaths
from ssl_studio.core.project.lock import WriteLock, read_only_error, waiting_for_writers
from ssl_studio.core.project.schema import READ_AS_IS, SCHEMA_VERSION
from ssl_studio.core.project.sqlite_uri import sqlite_uri
from ssl_studio.core.project.store.lost_database import data_text, refuse_a_lost_database
from ssl_studio.core.project.store.meta import ProjectMeta
from ssl_studio.core.project.upgrade import Upgrade, upgrade_database
from ssl_studio.core.project.whereabouts import folder_identity, moved_away
from ssl_studio.core.storage_errors import (
    RESTORE,
    ProjectDamagedError,
    damaged_database,
    database_in_use,
    is_damaged_database,
    is_locked_database,
)

# how long to wait for another program's write to end, from the first statement on (the
# probe for a read-only file too)
BUSY_TIMEOUT_S = 10.0


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_JSON_COLUMNS = ("config", "fingerprint", "versions", "summary", "formats", "card")


def _stored(value: Any) -> Any:
    """Dicts and lists are stored as JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _is_read_only(exc: sqlite3.DatabaseError) -> bool:
    """SQLite refused because a file or the folder cannot be written."""
    return getattr(exc, "sqlite_errorname", "").startswith("SQLITE_READONLY")


def _probe_write(conn: sqlite3.Connection) -> None:
    """Write the header's version unchanged and roll back: SQLite opens a write-protected
    file read-only without a word, and this makes it say so now rather than mid-job."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version={int(version)}")
    finally:
        conn.execute("ROLLBACK")


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for column in _JSON_COLUMNS:
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


class StoreBase(ProjectMeta):
    """The connection to one project; the record mixins add the queries (see __init__)."""

    # what a user is told of the project as opened (journal.py), else None: it is on a
    # network drive; it is read-only, and shown without changes its database file lacks
    network_notice: str | None = None

    def __init__(
        self,
        root: Path,
        *,
        write: bool,
        purpose: str = "",
        may_upgrade: bool = True,
        leave_wal: bool = True,
    ) -> None:
        """``may_upgrade=False``: a writer that finds an older schema it can read as it is
        reads it so, holding the write lock, and writes nothing (``write`` turns False).
        ``leave_wal=False``: a reader never becomes a brief writer to take a database on a
        network drive out of WAL mode; it waits for another process to (a torchrun job's
        first process, which writes), then reads it as it is (_connect_reader)."""
        self.paths = ProjectPaths(Path(root))
        self.write = write
        self._leave_wal = leave_wal
        self._may_upgrade = may_upgrade
        # the upgrade of an older database this opening made (upgrade.py), None if none
        self.upgrade: Upgrade | None = None
        self.removed_copies: list[str] = []  # (path_redaction.py: copies that held names)
        self._lock: WriteLock | None = None
        self._root_id = folder_identity(self.paths.root)  # (see moved_away)
        refuse_a_lost_database(self.paths)
        if not self.paths.is_project():
            raise NotAProjectError(self.paths.root, self.paths.db.name)
        if write:
            self._lock = WriteLock(self.paths.lock, purpose)
            self._lock.acquire()
        try:
            if write:
                self._check_folders_writable()
            self.conn = self._connect()
            self.db = sqlite_utils.Database(self.conn)
            self._check_version()
            if self.write and self._may_upgrade:  # (not a reader's brief writer)
                self._give_project_id()
        except BaseException:
            self.close()
            raise

    # ---- opening, closing, transactions -------------------------------------------------

    @classmethod
    def create(cls, root: Path) -> Self:
        """Create the project folder (cache/, runs/, exports/, project.db) and open it."""
        paths = ProjectPaths(Path(root))
        if paths.is_project():
            raise ProjectError(f"{paths.root} already holds a project; open it instead.")
        if paths.root.exists() and not paths.root.is_dir():
            raise ProjectError(
                f"{paths.root} is a file, not a folder. Choose an empty or new folder for "
                "the project."
            )
        if paths.root.exists() and any(paths.root.iterdir()):
            raise ProjectError(
                f"{paths.root} is not empty. Choose an empty or new folder for the project."
            )
        try:
            paths.make_new()
        except OSError as exc:
            raise ProjectError(
                f"Cannot create the project in {paths.root}: {exc.strerror}."
            ) from exc
        return cls(paths.root, write=True, purpose="creating the project")

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        write: bool = False,
        purpose: str = "",
        may_upgrade: bool = True,
        leave_wal: bool = True,
    ) -> Self:
        return cls(root, write=write, purpose=purpose, may_upgrade=may_upgrade, leave_wal=leave_wal)

    def _connect(self) -> sqlite3.Connection:
        """The connection: a writer's in WAL mode on a local disk, with the rollback
        journal on a network drive (journal.py), where the user is told so once."""
        db = str(self.paths.db)
        remote = remote_file_system(self.paths.root)
        if remote is not None:
            self.network_notice = network_notice(remote)
            if os.environ.get("RANK", "0") == "0":  # (torchrun: the first process says it)
                tell_once(self.paths.root, self.network_notice)
        try:
            if self.write:
                conn = sqlite3.connect(
                    db, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
                )
                try:
                    use_writer_journal(conn, remote, self.paths.db)
                except BaseException:
                    conn.close()
                    raise
                # a path or name replaced by its redacted form must not stay readable in
                # the freed space of a database page
                conn.execute("PRAGMA secure_delete=ON")
                _probe_write(conn)
            else:
                conn = self._connect_reader(db, remote)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.row_factory = sqlite3.Row
            return conn
        except sqlite3.DatabaseError as exc:
            if _is_read_only(exc):
                reason = "the database or its -wal/-shm file is read-only"
                raise read_only_error(self.paths.db, reason, self.paths.root) from exc
            if is_damaged_database(exc):
                raise damaged_database(self.paths.db, str(exc)) from exc
            if is_locked_database(exc):
                raise database_in_use(self.paths.db) from exc
            # its permissions, not the drive (read, not os.access: that says yes to every
            # file on Windows, whose ACLs it does not look at)
            if not file_readable(self.paths.db):
                raise ProjectUnreadableError(self.paths.db) from exc
            raise ProjectError(
                f"The project database {db} cannot be opened ({exc}). If the folder is on a "
                "network drive, copy the project to a local disk."
            ) from exc

    def _check_folders_writable(self) -> None:
        """Refuse a writer up front, before any record is made, when a folder it may write
        (cache/, runs/, exports/) is read-only; a missing one is made again."""
        for folder in self.paths.folders():
            try:
                folder.mkdir(parents=True, exist_ok=True)
                probe_writable(folder)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise ProjectError(
                        f"The disk holding {self.paths.root} is full. Free some space, then "
                        "try again; nothing was changed."
                    ) from exc
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                raise read_only_error(folder, exc.strerror or str(exc), self.paths.root) from exc

    def _connect_reader(self, db: str, remote: RemoteMount | None = None) -> sqlite3.Connection:
        """A read-only connection. In a folder nobody may write (a read-only share, a DVD),
        SQLite cannot make the WAL index it needs, so the database is opened as immutable:
        nothing can change it there while we read. The URI (``mode=ro`` never makes a
        database) is built from the path as given, never resolved: Windows resolves a
        mapped drive to a share, whose ``file://server/...`` URI SQLite refuses. On a
        network drive (``remote``) a database still in WAL mode is first switched out of
        it by a brief writer, when one may write now; else it is read as it is. A write
        cut off in rollback-journal mode (its hot journal) is rolled back by a brief
        writer, never read past as immutable (that would read its half-written pages)."""
        if remote is not None and not self._leave_wal:
            wait_out_of_wal(Path(db))
        elif remote is not None and is_wal_database(Path(db)):
            with contextlib.suppress(ProjectError), waiting_for_writers(None):
                type(self)(  # (a reader's brief writer never upgrades the schema)
                    self.paths.root, write=True, purpose="leaving WAL mode", may_upgrade=False
                ).close()
        for attempt in range(2):
            conn = sqlite3.connect(
                sqlite_uri(db, "mode=ro"),
                uri=True,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                conn.execute("PRAGMA user_version").fetchone()
                return conn
            except sqlite3.DatabaseError as exc:
                conn.close()
                name = getattr(exc, "sqlite_errorname", "")
                if name == "SQLITE_READONLY_ROLLBACK":
                    if attempt == 0:
                        with contextlib.suppress(ProjectError), waiting_for_writers(None):
                            purpose = "rolling back a cut-off write"
                            type(self)(
                                self.paths.root, write=True, purpose=purpose, may_upgrade=False
                            ).close()
                        continue
                    raise ProjectError(
                        f"A write to the project database {db} was cut off (its "
                        "-journal file holds what it changed) and has to be rolled back "
                        "before the project can be read. Open the project once where it "
                        "can be written (not read-only, no other job writing), then again."
                    ) from exc
                # a read-only file system says "cannot open" (the -shm file cannot be
                # made), not "read-only"; so does Windows in a folder its ACL keeps the
                # user from writing, where os.access says every folder is writable
                cannot_open = name == "SQLITE_CANTOPEN"
                read_only_folder = cannot_open and not folder_writable(Path(db).parent)
                if not (_is_read_only(exc) or read_only_folder):
                    raise
                break
        if notice := unread_wal_notice(Path(db)):  # (shown as last saved: said so)
            self.network_notice = " ".join(filter(None, (self.network_notice, notice)))
            tell_once(self.paths.root, notice, "unread changes")
        return sqlite3.connect(
            sqlite_uri(db, "mode=ro&immutable=1"),
            uri=True,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
        )

    def _check_version(self) -> None:
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            tables = self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if is_locked_database(exc):
                raise database_in_use(self.paths.db) from exc
            raise damaged_database(self.paths.db, str(exc)) from exc
        if version == 0 and (tables or data_text(self.paths)):
            # an emptied database (or one restored wrongly) beside the project's data:
            # made anew it would hand out run ids and folders that are taken
            what = "has no SSL Studio tables" if tables else "is empty"
            raise ProjectDamagedError(
                f"The project database {self.paths.db} {what}, but the project folder "
                f"holds data ({data_text(self.paths)}). {RESTORE}"
            )
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"This project's database was upgraded by a newer SSL Studio (schema "
                f"{version}; this version reads up to {SCHEMA_VERSION}). Update SSL Studio "
                "to open it."
            )
        if version == SCHEMA_VERSION:
            return
        if not (self.write and self._may_upgrade) and self._read_as_is():
            self.write = False  # read as it is: a reader never upgrades where it can
            return
        if not self.write:
            self._upgrade_for_reading()
            return
        self.upgrade = upgrade_database(self.conn, self.paths.db, version)
        if version == 0:
            with self.transaction():
                self._set_meta("salt", secrets.token_hex(32))
                self._set_meta("created", now())
                self._set_meta("created_by", f"ssl-studio {__version__}")

    def _upgrade_for_reading(self) -> None:
        """A reader met a schema it cannot read as it is (a database never filled in):
        upgrade it once as a writer, then read on."""
        try:
            type(self)(self.paths.root, write=True, purpose="upgrading the project").close()
        except ProjectLockedError as exc:
            raise ProjectLockedError(  # (busy too: it may be tried again later)
                "This project was made by an older SSL Studio and its database needs an "
                "upgrade, which has to wait until the other process using it has "
                f"finished. ({exc})"
            ) from exc
        self.conn.close()
        self.conn = self._connect()
        self.db = sqlite_utils.Database(self.conn)

    def _read_as_is(self) -> bool:
        """Make this (reading) connection read an older schema as the current one, without
        changing the database (schema.READ_AS_IS); False when its version does not allow
        that."""
        steps = range(self.schema_version, SCHEMA_VERSION)
        if any(step not in READ_AS_IS for step in steps):
            return False
        for step in steps:
            shim = READ_AS_IS[step]
            if shim is not None:
                shim(self.conn)
        return True

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; none once the write lock no
        longer keeps other writers out (WriteLock.check: its file deleted or replaced)."""
        self._require_write()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            if self._lock is not None:
                self._lock.check()
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, trace: object) -> None:
        """Close; SQLite finding the database damaged or locked by another program in a
        query (after it opened) leaves the block as the message opening would give."""
        self.close()
        if isinstance(exc, sqlite3.DatabaseError):
            if is_damaged_database(exc):
                raise damaged_database(self.paths.db, str(exc)) from exc
            if is_locked_database(exc):
                raise database_in_use(self.paths.db) from exc

    def moved_away(self) -> bool:
        """Whether the project folder is no longer where it was opened (whereabouts.py)."""
        return moved_away(self.paths.root, self._root_id)

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    total = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(dirpath, name))
    return total
