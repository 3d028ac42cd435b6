"""Failures of the disk or of the project database that a job meets deep inside (a full
disk while a checkpoint is written, a damaged page of project.db, another program holding
the database), turned into messages that say what is wrong and what to do, instead of
"unexpected error ... This is a bug".
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from ssl_studio.core.errors import ProjectError, SSLStudioError

# what a user can do about a damaged or lost project.db (SSL Studio keeps a copy only
# from before an upgrade of its schema)
RESTORE = (
    "Restore project.db from a backup of the project folder (SSL Studio keeps no copies "
    "of its own, but for a project.db.schema-N.bak from before an upgrade, which lacks "
    "what was done since), or make a new project and import the data again; SSL Studio "
    "leaves the folder's cache/ and runs/ as they are."
)


class DiskFullError(SSLStudioError):
    """The disk filled up while something was written; what was saved before is kept."""


class ProjectDamagedError(ProjectError):
    """project.db is damaged, emptied or gone while the project folder holds data."""


def _sqlite_name(exc: BaseException) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) is full: an OSError, SQLite's
    "database or disk is full", or a library's error quoting the system's message."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(exc, sqlite3.Error):
        return _sqlite_name(exc) == "SQLITE_FULL" or "disk is full" in str(exc)
    text = str(exc)
    return "No space left on device" in text or "os error 28" in text


def is_damaged_database(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite finding a damaged database file (or not one at all)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if _sqlite_name(exc).startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(exc)
    return "malformed" in text or "not a database" in text


def is_locked_database(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a database another program keeps locked."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    return _sqlite_name(exc).startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
        "database is locked" in str(exc)
    )


def damaged_database(db: Path, detail: str) -> ProjectDamagedError:
    """The message for a project.db that cannot be read (``detail``: what SQLite said)."""
    return ProjectDamagedError(f"The project database {db} is damaged ({detail}). {RESTORE}")


def database_in_use(db: Path) -> ProjectError:
    """The message for a project.db that another program keeps locked."""
    return ProjectError(
        f"Another program is using the project database {db} (a database browser, a "
        "backup or sync tool, or a copy of SSL Studio that is not responding) and keeps it "
        "locked. Close that program and try again; nothing was changed."
    )


def disk_full(where: Path, kept: str) -> DiskFullError:
    """The message for a write to ``where`` that filled the disk; ``kept``: what is
    safe, e.g. "the last good checkpoint, step-0000100.pt, is kept"."""
    return DiskFullError(
        f"The disk is full: {where} could not be written. Free some space on the disk "
        f"that holds {where.parent}, then try again. Nothing was lost: {kept}."
    )


def user_error(exc: BaseException, project: Path | None = None) -> SSLStudioError | None:
    """A clear error for a storage failure ``exc`` met while working on ``project`` (a
    full disk, a damaged or locked project.db); None when ``exc`` is something else."""
    if isinstance(exc, SSLStudioError):
        return exc
    db = Path(project) / "project.db" if project is not None else Path("project.db")
    if is_damaged_database(exc):
        return damaged_database(db, str(exc))
    if is_locked_database(exc):
        return database_in_use(db)
    if is_disk_full(exc):
        where = f"the disk that holds {project}" if project is not None else "the disk"
        return DiskFullError(
            f"The disk is full ({exc}). Free some space on {where}, then try again. "
            "Nothing was lost: what was saved before (checkpoints, imported data, results) "
            "is kept, and a run cut short can be resumed."
        )
    return None
