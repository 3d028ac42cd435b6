"""Which SQLite journal a project database uses, and the notice for a network drive.

On a local disk a writer puts the database in WAL mode (readers never wait for a writer).
On a network or cluster file system (file_system.py) WAL is unsafe, so a writer uses the
rollback journal (``journal_mode=DELETE``, ``synchronous=FULL``: with a rollback journal
NORMAL may lose the last commit, or worse, on a power cut); a project already in WAL mode
is switched when a writer opens it, which SQLite allows only while no other connection
holds the database. A project moved back to a local disk is put in WAL mode again by its
next writer (as every writer always did): WAL is faster and lets the GUI read while a job
writes, and the switch costs nothing but a header write.

The user is told once per project and process: ``network_notice`` is the text (a Store
keeps it as ``Store.network_notice``), and ``notices_to`` hands it to a listener (the
command line prints it on stderr). Core never prints.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ssl_studio.core.errors import ProjectLockedError
from ssl_studio.core.project.file_system import RemoteMount
from ssl_studio.core.storage_errors import is_locked_database

WAL_HEADER_BYTE = 18  # the file format's write version: 1 rollback journal, 2 WAL


def network_notice(mount: RemoteMount) -> str:
    """What a user on a network drive is told, once."""
    text = (
        f"This project is on a network drive ({mount.kind}): SSL Studio uses SQLite's "
        "rollback journal there, which is slower; keep one job writing at a time, and for "
        "speed copy the project to a local disk."
    )
    if mount.local_locks:
        text += (
            " This drive is mounted with file locks kept on this machine (nobrl, nolock, "
            "local_lock, Lustre's localflock or no flock, OCFS2's localflocks): SSL Studio "
            "on another machine cannot see that a job is writing, so write the project "
            "from one machine only (under torchrun only its first process writes)."
        )
    return text


def unread_wal_notice(db: Path) -> str | None:
    """What a user is told when ``db`` is read as it was last saved into the database
    file (opened immutable: a folder nobody may write, without the ``-shm`` index SQLite
    would need to read the write-ahead log) while its ``-wal`` file holds changes written
    after that (a writer cut off, or a copy taken while one wrote); None otherwise."""
    wal = db.with_name(f"{db.name}-wal")
    try:
        wal_st, db_st = wal.stat(), db.stat()
    except OSError:
        return None
    if not wal_st.st_size or wal_st.st_mtime_ns <= db_st.st_mtime_ns:
        return None  # (no log, or one already copied into the database)
    saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(db_st.st_mtime))
    return (
        f"This project is read-only here and its latest changes, in {wal.name}, cannot be "
        f"read without a {db.name}-shm file, which cannot be made here: it is shown as last "
        f"saved, on {saved}; changes after {saved} may be missing. To see them, open it "
        "once where it can be written (or copy the project folder to a place you can "
        "write and open the copy)."
    )


def use_writer_journal(conn: sqlite3.Connection, mount: RemoteMount | None, db: Path) -> None:
    """Set the journal of a writer's connection: WAL on a local disk, the rollback journal
    on a network drive (``mount``), switching a WAL database there. Raises
    ProjectLockedError when the switch must wait for another connection to close."""
    if mount is None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # what an earlier removal could not erase while a reader held old pages goes now
        # (a WAL already emptied costs nothing); a reader still reading: next time
        erase_old_pages(conn, wait_s=0.0)
        return
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if not is_locked_database(exc):
            raise
        raise _cannot_switch(mount, db) from exc
    if str(mode).lower() != "delete":
        raise _cannot_switch(mount, db)
    conn.execute("PRAGMA synchronous=FULL")


def erase_old_pages(conn: sqlite3.Connection, wait_s: float) -> bool:
    """Copy the write-ahead log into the database and empty it (a TRUNCATE checkpoint), so
    that older versions of the pages a removal changed are nowhere on disk (the writer's
    ``secure_delete`` zeroes what it frees in the database file itself). Waits up to
    ``wait_s`` for readers still reading older pages; False when one still is (the old
    pages stay in the -wal file, and in the database where they were not yet copied over,
    until it is done and a writer does this again). True in rollback-journal mode."""
    (timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as exc:  # (locked by another program meanwhile)
        if not is_locked_database(exc):
            raise
        busy = 1
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
    return not busy


def _cannot_switch(mount: RemoteMount, db: Path) -> ProjectLockedError:
    return ProjectLockedError(
        f"This project is on a network drive ({mount.kind}), where SSL Studio keeps its "
        f"database {db.name} out of WAL mode, and switching it needs every other program "
        "that has it open to close it first (SSL Studio on this or another machine, a "
        "database browser, a backup tool). Close them, then try again; nothing was changed."
    )


def is_wal_database(db: Path) -> bool:
    """Whether the header of ``db`` says WAL mode (False when it cannot be read)."""
    try:
        with open(db, "rb") as file:
            header = file.read(WAL_HEADER_BYTE + 2)
    except OSError:
        return False
    return len(header) == WAL_HEADER_BYTE + 2 and header[WAL_HEADER_BYTE] == 2


# how long a process that may not leave WAL mode waits for the one that does (the first
# process of its torchrun job, opening the project to write)
WAL_WAIT_S = 60.0


def wait_out_of_wal(db: Path, seconds: float | None = None) -> bool:
    """Wait (polling the header) until ``db`` is out of WAL mode, for at most ``seconds``
    (WAL_WAIT_S); whether it is. A network drive's client reads the header anew on
    each open."""
    deadline = time.monotonic() + (WAL_WAIT_S if seconds is None else seconds)
    while is_wal_database(db):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


# ---- telling the user once ------------------------------------------------------------

_LOCK = threading.Lock()
_TOLD: set[str] = set()
_LISTENERS: list[Callable[[str], None]] = []


def tell_once(project: Path, text: str, topic: str = "network drive") -> None:
    """Hand ``text`` about ``project`` to the listeners, the first time in this process
    (for each ``topic``)."""
    key = f"{topic}:{os.path.normcase(os.path.abspath(project))}"
    with _LOCK:
        if key in _TOLD or not _LISTENERS:
            return
        _TOLD.add(key)
        listeners = list(_LISTENERS)
    for listener in listeners:
        listener(text)


@contextlib.contextmanager
def notices_to(listener: Callable[[str], None]) -> Iterator[None]:
    """Inside it, each project's network-drive notice goes to ``listener`` once."""
    with _LOCK:
        _LISTENERS.append(listener)
    try:
        yield
    finally:
        with _LOCK:
            _LISTENERS.remove(listener)
