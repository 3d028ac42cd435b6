"""Folders made and checked so that Windows gives them the permissions people expect.

Making folders. Since Python 3.11.10 / 3.12.4 (CPython gh-118486), ``os.mkdir(path,
0o700)`` and ``tempfile.mkdtemp()`` on Windows give the new folder a protected ACL: its
owner, SYSTEM and Administrators only, nothing inherited from the folder above. A project
shared by a team (IT grants the team's group Modify on the project folder, see README "For
IT") would then keep colleagues out of every folder made so: cache/, runs/, each export.
On Windows folders are therefore made plainly and inherit their parent's ACL (the place
the user chose decides who may read it); on Linux and macOS the modes stay as they were.

Checking folders. ``os.access(folder, os.W_OK)`` on Windows looks only at the Read-only
attribute, which a folder's ACL never sets: every folder reads as writable. And
``tempfile`` there, in a folder whose ACL refuses new files, takes each refusal for a name
already taken (CPython gh-66305) and tries another: up to ``tempfile.TMP_MAX`` names,
which on Python 3.11 and 3.12 under Windows' C runtime is 2**31 - 1 (hours; 3.13 lowered
it), before a misleading "No usable temporary file name found". ``probe_writable`` makes
one file and deletes it instead, and ``make_temp_file`` stands in for
``tempfile.mkstemp``: on Windows it gives up at the first refusal. Nor does
``os.access(file, os.R_OK)`` there see an ACL that denies reading: ``file_readable``
opens the file instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path

PRIVATE_FOLDER = 0o700  # (POSIX: the owner only)
# a new project's folder, cache/ and runs/ inside a team's folder (``team_folder``): the
# group's too, new files in them in the group (set-group-id), nobody else's
TEAM_FOLDER = 0o2770
# how many random names a new folder or probe file tries before it gives up (a clash of
# 8 random hex digits is already unlikely: more tries mean something else is wrong)
_NAME_TRIES = 100
# what says the folder may not be written (the user's permissions, a read-only disk)
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS}


def make_private_folder(path: Path, *, parents: bool = False, exist_ok: bool = False) -> None:
    """Make ``path`` for its owner only on Linux and macOS (0700, as the umask allows); on
    Windows a plain folder that inherits its parent's ACL (see the module docstring)."""
    if sys.platform == "win32":
        Path(path).mkdir(parents=parents, exist_ok=exist_ok)
    else:
        Path(path).mkdir(mode=PRIVATE_FOLDER, parents=parents, exist_ok=exist_ok)


def make_work_folder(parent: Path, prefix: str) -> Path:
    """A new, empty folder ``PREFIXxxxxxxxxx`` in ``parent`` (random letters), for a job
    to fill and then rename or delete: private (``tempfile.mkdtemp``) on Linux and macOS;
    on Windows a plain folder with its parent's ACL, so that what it becomes is shared
    as its parent is. OSError when ``parent`` may not be written."""
    if sys.platform != "win32":
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    for _ in range(_NAME_TRIES):
        path = Path(parent) / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(path)  # (no mode: 0o700 would give it the owner-only ACL)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, f"No unused folder name found in {parent}")


def make_temp_file(folder: str | Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A new, empty file ``PREFIXxxxxxxxxSUFFIX`` in ``folder`` (random letters), open
    for reading and writing and private where the system has modes (0600): its descriptor
    and absolute path, as ``tempfile.mkstemp`` gives them, which Linux and macOS use. On
    Windows a bounded number of random names (see the module docstring): PermissionError
    as the system gave it when the folder refuses new files, FileExistsError when no
    unused name was found."""
    if sys.platform != "win32":
        return tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    # (mkstemp's flags on Windows: bytes as written, and no child process inherits it)
    flags = (
        os.O_RDWR
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_NOINHERIT", 0)
    )
    folder = os.path.abspath(folder)
    for _ in range(_NAME_TRIES):
        path = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
        except PermissionError:
            # Windows refuses a name a folder has with "access denied" too: only that is
            # a name taken; anything else is the folder refusing, said at once
            if os.path.isdir(path):
                continue
            raise
    raise FileExistsError(errno.EEXIST, f"No unused file name found in {folder}")


def probe_writable(folder: Path) -> None:
    """Make a file in ``folder`` and delete it again: OSError (PermissionError where the
    folder's permissions refuse it) when it cannot be made. Linux and macOS make it with
    ``tempfile.TemporaryFile`` (on Linux without a name: a kill leaves nothing behind);
    Windows makes one uniquely named file (see the module docstring)."""
    if sys.platform != "win32":
        tempfile.TemporaryFile(dir=folder).close()
        return
    fd, path = make_temp_file(folder, ".write-probe-", "")
    os.close(fd)
    with contextlib.suppress(OSError):  # (a folder that lets one make files but not
        os.unlink(path)  # delete them is still writable)


def write_refused(exc: OSError) -> bool:
    """Whether ``exc`` is a folder's permissions or a read-only disk refusing a write."""
    return isinstance(exc, PermissionError) or exc.errno in _REFUSED


def folder_writable(folder: Path) -> bool:
    """Whether a new file can be made in ``folder``: False when its permissions or a
    read-only disk refuse it (or it is gone); True otherwise, a full disk included (that
    is not what this asks)."""
    try:
        probe_writable(folder)
    except FileNotFoundError:
        return False
    except OSError as exc:
        return not write_refused(exc)
    return True


def file_readable(path: Path) -> bool:
    """Whether ``path`` can be opened for reading: it is opened and closed again. The same
    answer as ``os.access(path, os.R_OK)`` on Linux and macOS (False for a file that is
    missing too), and the real one on Windows, where os.access says every file may be
    read (see the module docstring)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    os.close(fd)
    return True


def team_folder(folder: Path) -> bool:
    """Whether ``folder`` is a team's shared folder as README's "Sharing a project within
    a team" sets one up (Linux, macOS): group-writable with the set-group-id bit. False on
    Windows (its folders inherit their parent's ACL) and when it cannot be read."""
    if os.name != "posix":
        return False
    try:
        mode = os.stat(folder).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISGID and mode & stat.S_IWGRP)


def share_with_team(path: Path) -> None:
    """Give ``path``, just made by this process in a ``team_folder``, group read and write
    (and search and set-group-id for a folder), whatever this user's umask: the colleague
    whose turn is next may then change and delete it. Nothing in any other folder, nor
    when the system refuses (another user's file)."""
    if not team_folder(Path(path).parent):
        return
    with contextlib.suppress(OSError):
        mode = os.stat(path).st_mode
        wanted = 0o060 | (0o010 | stat.S_ISGID if stat.S_ISDIR(mode) else 0)
        if mode & wanted != wanted:
            os.chmod(path, stat.S_IMODE(mode) | wanted)
