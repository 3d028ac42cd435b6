"""Failures of the disk or of the project database that a job meets deep inside (a full
disk while a checkpoint is written, a damaged page of project.db, another program holding
the database), turned into messages that say what is wrong and what to do, instead of
"unexpected error ... This is a bug".
"""

from __future__ import annotations

import errno
import os
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


# what the system says when the drive holding a file stops answering: an I/O error (a
# share or a USB disk gone mid-write, a failing disk), an NFS handle gone stale, a share's
# server or connection gone, a timeout (not a socket's own errors: a torchrun peer's are
# said as such); Windows' network errors (the network name or path is gone, the
# connection was cut, a semaphore timeout) by their winerror
_DRIVE_LOST = frozenset(
    {errno.EIO, errno.ESTALE, errno.ENOTCONN, errno.EHOSTDOWN, errno.ETIMEDOUT}
    | ({errno.EREMOTEIO} if hasattr(errno, "EREMOTEIO") else set())
)
_WINDOWS_DRIVE_LOST = frozenset({53, 59, 64, 67, 121, 1231})


class DriveLostError(SSLStudioError):
    """The drive holding the project stopped answering mid-job; what was saved is kept."""


def is_drive_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the drive holding a file stopped answering (a network share,
    VPN or server that dropped, a disk unplugged or failing): an OSError of _DRIVE_LOST
    or SQLite's "disk I/O error" (SQLITE_IOERR, any of its kinds)."""
    if isinstance(exc, OSError):
        return exc.errno in _DRIVE_LOST or getattr(exc, "winerror", None) in _WINDOWS_DRIVE_LOST
    if isinstance(exc, sqlite3.OperationalError):
        return _sqlite_name(exc).startswith("SQLITE_IOERR") or "disk I/O error" in str(exc)
    return False


def drive_lost(
    exc: BaseException, then: str = "try again", project: Path | None = None
) -> DriveLostError:
    """The message for ``exc`` (is_drive_lost); ``then``: what to do once it answers again
    ("resume run 3: ssl-studio pretrain ... --resume 3"). When ``exc`` names a file
    outside ``project``, the drive gone is that of the folders being read (the file is not
    named: its name may name a patient)."""
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    drive = "The project's drive"
    name = getattr(exc, "filename", None)
    if name and project is not None and not _inside(Path(os.fsdecode(name)), Path(project)):
        drive = "The drive of the folders being read"
    return DriveLostError(
        f"{drive} stopped answering ({detail}): a network share, VPN or server that "
        "dropped, or a disk that was unplugged or is failing. Reconnect it, then "
        f"{then}; what was saved is kept."
    )


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder``, by their absolute spellings (no file system
    access: the drive may not answer)."""
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


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
    full disk, a damaged or locked project.db, a drive that stopped answering); None when
    ``exc`` is something else."""
    if isinstance(exc, SSLStudioError):
        return exc
    db = Path(project) / "project.db" if project is not None else Path("project.db")
    if is_damaged_database(exc):
        return damaged_database(db, str(exc))
    if is_locked_database(exc):
        return database_in_use(db)
    if is_drive_lost(exc):
        return drive_lost(exc, project=project)
    if is_disk_full(exc):
        where = f"the disk that holds {project}" if project is not None else "the disk"
        return DiskFullError(
            f"The disk is full ({exc}). Free some space on {where}, then try again. "
            "Nothing was lost: what was saved before (checkpoints, imported data, results) "
            "is kept, and a run cut short can be resumed."
        )
    return None
