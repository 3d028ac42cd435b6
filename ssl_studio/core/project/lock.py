"""A per-project write lock, so two processes never write the same project at once.

The lock is an OS advisory lock on ``.write.lock`` in the project folder: it is released
by the OS when the holder exits or is killed, so on a local disk a crash never leaves a
stale lock (a file server lets go of a lost computer's lock only once it notices, see
``_server_note``). The file holds a line about the holder (process id, user and computer,
command, start time) for the message a second writer gets, which may be on another
computer of a team sharing the project, and a line (``NOTE``) saying never to delete it;
the holder's line is emptied when the lock is let go. Readers never take it.

The lock is on the file, not on its name: a file deleted while a job holds it (taken for
a leftover of a crash) would let a second writer make a new one and lock that. So a
writer checks, once it has the lock, that its file is still the one at the path (else it
locks the one there now), and before each commit (``check``): a job whose file was
deleted or replaced stops, with what happened, instead of writing beside another.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import getpass
import os
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from ssl_studio.core.errors import (
    ProjectError,
    ProjectLockedError,
    ProjectReadOnlyError,
)
from ssl_studio.core.folder_access import share_with_team
from ssl_studio.core.project.file_system import remote_file_system
from ssl_studio.core.project.whereabouts import folder_identity, moved_away


class LocksUnsupportedError(ProjectReadOnlyError):
    """The project's file system cannot lock files, so no process may write it."""


class WriteLockLostError(ProjectError):
    """The lock file was deleted or replaced while this process held the lock on it."""


# the lock file's second line, for whoever looks into the folder after a crash (the
# holder's line stays there until the next writer): the file is no leftover to delete
NOTE = (
    "This file stays after a crash; the lock is free whenever no program holds it. "
    "Do not delete it."
)
# how often a writer opens the lock file again when it was replaced as it took the lock
_OPEN_TRIES = 5


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    # Windows locks are mandatory: a locked byte cannot be read by another handle, so the
    # lock is on one byte far past the holder's line (locking past the end is allowed)
    LOCK_OFFSET = 2**30

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)  # msvcrt locks from the file position
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)

    def _unlock(fd: int) -> None:
        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    # what flock says when another process holds the lock; any other error (ENOSYS,
    # EOPNOTSUPP, ENOLCK: Lustre without flock, some FUSE and network mounts) means this
    # file system cannot lock at all
    _HELD = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES})

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno in _HELD:
                return False
            raise LocksUnsupportedError(
                f"This file system does not support file locks (flock: "
                f"{exc.strerror or exc}), which SSL Studio needs to keep two processes from "
                "changing a project at once: put the project on a local or lock-capable "
                "file system."
            ) from exc

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def read_only_error(path: Path, reason: str, project: Path | None = None) -> ProjectReadOnlyError:
    """The message for a project that cannot be changed because ``path`` in it is not
    writable. When the user owns it on a writable disk, only its read-only marks stand in
    the way (a copy of a read-only project keeps them), so the message says how to clear
    them in ``project`` (the project folder, else ``path``); otherwise (someone else's
    folder, a read-only disk or share) it says to copy the project or ask for access."""
    folder = project or path
    if _marked_read_only(path) or _marked_read_only(folder):
        return ProjectReadOnlyError(
            f"SSL Studio cannot write {path} ({reason}): the project is read-only for you "
            "because the folder or its files are marked read-only (a copy keeps the marks "
            "of what it was copied from). You can still look at its data, runs and results. "
            f"To import, label, train or export, make them writable — {_how_to_clear(folder)}"
            " — then open the project again."
        )
    return ProjectReadOnlyError(
        f"SSL Studio cannot write {path} ({reason}): the project is read-only for you, or "
        "on a read-only disk or share. You can still look at its data, runs and results. "
        "To import, label, train or export, copy the project folder to a place you can write "
        "(or ask whoever manages the folder for write access), then open the copy."
    )


@functools.cache
def user_at_host() -> str:
    """``user@computer`` of this process for the holder's line (local look-ups only, no
    network); "unknown user" or "unknown computer" where one cannot be found (no USER
    variable and no account entry in a container; no host name)."""
    try:
        user = getpass.getuser()
    except Exception:  # (OSError from Python 3.13, KeyError before it)
        user = ""
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    return f"{_printable(user) or 'unknown user'}@{_printable(host) or 'unknown computer'}"


def _printable(name: str) -> str:
    """``name`` without control characters (the holder's line is one line), at most 64."""
    return "".join(c for c in name if c.isprintable()).strip()[:64]


def _holder(fd: int) -> str:
    """The line the lock's holder wrote about itself (the file's first line), or "another
    process" when it cannot be read (an older SSL Studio on Windows locks the line
    itself) or is not there yet (the holder has yet to write it: only ``NOTE`` is)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)  # (from the start, and the position left there: the
        text = os.read(fd, 300).decode("utf-8", "replace").strip()  # next write's)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        text = ""
    line = text.splitlines()[0].strip() if text else ""
    return line if line and line != NOTE else "another process"


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _is_at(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is the file at ``path`` now (not deleted, nor replaced
    by another). Always on Windows, where an open file cannot be deleted (nor renamed
    over: Python opens files without FILE_SHARE_DELETE)."""
    if sys.platform == "win32":
        return True
    try:
        return _identity(os.fstat(fd)) == _identity(os.stat(path))
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ESTALE:  # (NFS: the file was deleted on another computer)
            return False
        raise


def _marked_read_only(path: Path) -> bool:
    """Whether ``path`` is the user's own, on a writable disk, and marked read-only: on
    Linux/macOS its owner's write bit is off; on Windows it is a file whose Read-only
    attribute is set (Windows sets it on folders it customises, Desktop and Documents
    among them, where it means nothing: a folder's is no mark)."""
    try:
        st = os.stat(path)
        if not hasattr(os, "getuid"):  # Windows: no owner ids to compare
            if stat.S_ISDIR(st.st_mode):
                return False
            return bool(getattr(st, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_READONLY)
        if st.st_uid != os.getuid() or st.st_mode & stat.S_IWUSR:
            return False
        return not os.statvfs(path).f_flag & os.ST_RDONLY  # a read-only disk: marks stay
    except OSError:
        return False


def _how_to_clear(folder: Path) -> str:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        return (
            f"in Explorer, right-click {folder}, choose Properties, untick Read-only and "
            "apply it to the folder, subfolders and files"
        )
    return f'in a terminal, run: chmod -R u+w "{folder}"'


@dataclass(frozen=True)
class LockWait:
    """How a write lock held by another process is waited for (``waiting_for_writers``):
    at most ``seconds`` (None: as long as it takes), while not ``stopped()``; ``say`` is
    told once that it waits, and for whom; ``ended()`` is called when the wait ends,
    however it ends."""

    seconds: float | None
    stopped: Callable[[], bool]
    say: Callable[[str], None]
    ended: Callable[[], None] = lambda: None


_WAIT: ContextVar[LockWait | None] = ContextVar("ssl_studio_lock_wait", default=None)
POLL_SECONDS = 1.0  # how often a waiting process tries the lock again


@contextmanager
def waiting_for_writers(wait: LockWait | None) -> Iterator[None]:
    """Inside it, taking a project's write lock that another process holds waits as
    ``wait`` says instead of failing at once (a command line's --wait: queued jobs on one
    project run one after another). A lock held by this very process never waits."""
    token = _WAIT.set(wait)
    try:
        yield
    finally:
        _WAIT.reset(token)


def _waited_for(fd: int, holder: str, wait: LockWait) -> str | None:
    """Try the lock on ``fd`` again every POLL_SECONDS as ``wait`` says: None once taken,
    else why it was not (the time ran out, or the job was asked to stop)."""
    limit = "" if wait.seconds is None else f" (at most {wait.seconds:g} s)"
    wait.say(
        f"Another SSL Studio process is changing this project ({holder}); waiting for it "
        f"to finish{limit}..."
    )
    start = time.monotonic()
    try:
        while True:
            if wait.stopped():
                return "asked to stop while waiting"
            left = None if wait.seconds is None else wait.seconds - (time.monotonic() - start)
            if left is not None and left <= 0:
                return f"waited {wait.seconds:g} s"
            time.sleep(POLL_SECONDS if left is None else min(POLL_SECONDS, left))
            if _try_lock(fd):
                return None
    finally:
        wait.ended()


def _own_prefix() -> str:
    """How this process's holder line starts (a pid alone may be another computer's)."""
    return f"pid {os.getpid()} on {user_at_host()},"


class WriteLock:
    """Exclusive, non-blocking write lock on a project; use as a context manager."""

    def __init__(self, path: Path, purpose: str = "") -> None:
        self.path = path
        self.purpose = purpose or " ".join(Path(a).name for a in sys.argv[:2])
        self._fd: int | None = None
        self._folder: tuple[int, int] | None = None  # (the project folder's identity)

    def acquire(self) -> None:
        self._folder = folder_identity(self.path.parent)
        for _ in range(_OPEN_TRIES):
            fd = self._open_and_lock()
            if _is_at(fd, self.path):
                break
            _unlock(fd)  # (deleted or replaced meanwhile: lock the file there now)
            os.close(fd)
        else:
            raise ProjectLockedError(
                f"The project's lock file {self.path} is being deleted or replaced by "
                "another program again and again. Stop it (a sync or clean-up tool), then "
                "try again."
            )
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        line = f"{_own_prefix()} {self.purpose or 'ssl-studio'}, since {stamp}"
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)  # (a wait read the holder's line: NULs before ours)
            os.write(fd, f"{line}\n{NOTE}\n".encode())
        except OSError as exc:  # (never keep the lock of a failed acquire)
            _unlock(fd)
            os.close(fd)
            if sys.platform == "win32" and isinstance(exc, PermissionError):
                raise ProjectLockedError(  # an older SSL Studio locks the line itself
                    "This project is being changed by another SSL Studio process (an older "
                    "version). Wait for that job to finish or stop it, then try again."
                ) from exc
            raise
        self._fd = fd

    def _open_and_lock(self) -> int:
        """The lock file, open and locked by this process (made when missing)."""
        try:
            # (read-write for whoever the umask lets: with umask 002 in a group's shared
            # project, a colleague can take the lock once this process has let it go)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            folder = self.path.parent
            raise read_only_error(folder, exc.strerror or str(exc), folder) from exc
        share_with_team(self.path)  # (in a team's folder: whatever the umask, see there)
        try:
            locked = _try_lock(fd)
        except LocksUnsupportedError:
            os.close(fd)
            raise
        if not locked:
            self._locked_elsewhere(fd)
        return fd

    def check(self) -> None:
        """Before a commit: WriteLockLostError when the lock no longer keeps other writers
        out because its file was deleted or replaced. A file that went with the project
        folder (moved or renamed whole) still does: the commit goes ahead (the job meets
        the move where it uses paths, and says so). Two file status calls; nothing on
        Windows (see ``_is_at``)."""
        if self._fd is None or _is_at(self._fd, self.path):
            return
        if moved_away(self.path.parent, self._folder) and os.fstat(self._fd).st_nlink > 0:
            return
        raise WriteLockLostError(
            f"The project's lock file {self.path} was deleted or replaced while this job "
            "was changing the project, so another SSL Studio process may be changing it "
            "too. This job stopped to keep the project consistent; what it saved before is "
            "kept (a pretraining run can be resumed from its last checkpoint once no other "
            "job runs). Never delete .write.lock: it stays after a crash, and the lock is "
            "free whenever no program holds it."
        )

    def _locked_elsewhere(self, fd: int) -> None:
        """Another holder has the lock: wait for it when ``waiting_for_writers`` says so
        (returns once the lock is taken on ``fd``), else close ``fd`` and raise
        ProjectLockedError naming the holder."""
        holder, wait = _holder(fd), _WAIT.get()
        own = holder.startswith(_own_prefix())  # a job of this very program
        why = None
        if wait is not None and not own:
            try:
                why = _waited_for(fd, holder, wait)
            except BaseException:  # (Ctrl+C while waiting: never leak the descriptor)
                os.close(fd)
                raise
            if why is None:
                return
        os.close(fd)
        if own:
            raise ProjectLockedError(
                f"A job of this window is changing the project ({holder}). Wait for it "
                "to finish or stop it, then try again."
            )
        waited = f" ({why})" if why else ""
        raise ProjectLockedError(
            f"This project is being changed by another SSL Studio process ({holder})"
            f"{waited}. Wait for that job to finish or stop it, then try again. "
            f"Viewing the project meanwhile is fine.{_server_note(self.path.parent)}"
        )

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            with contextlib.suppress(OSError):  # (the note only: no holder's line)
                os.lseek(self._fd, 0, os.SEEK_SET)
                os.write(self._fd, f"{NOTE}\n".encode())
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _server_note(folder: Path) -> str:
    """What a refusal adds for a project on a network drive: a file server keeps the lock
    of a computer that crashed or lost the network until it notices ("" elsewhere)."""
    mount = remote_file_system(folder)
    if mount is None:
        return ""
    return (
        f" The project is on a network drive ({mount.kind}): if that process is gone (its "
        "computer crashed, went to sleep or lost the network), the file server keeps its "
        "lock until it notices, usually within a few minutes (NFSv4 and SMB), and with "
        "NFSv3 until that computer starts again (or the server's administrator frees it)."
    )


def writer_present(path: Path) -> bool | None:
    """Whether a process holds the write lock at ``path`` now, found by trying to take it
    and letting go at once (nothing is written); None when that cannot be tried (the lock
    file cannot be opened for writing: a read-only project, which no process writes
    either; or a file system that cannot lock files). A run recorded "running" while no
    writer is present was cut off."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False  # (no process ever wrote this project)
    except OSError:
        return None
    try:
        if not _try_lock(fd):
            return True
        _unlock(fd)
        return False
    except LocksUnsupportedError:
        return None  # (nor can any process have written it)
    finally:
        os.close(fd)
