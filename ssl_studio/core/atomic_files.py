"""Files that survive a crash, a kill or a power cut whole: a file is written under a
temporary name in its own folder, flushed to the disk (fsync), then renamed over the old
one, and the folder is flushed too, so the rename itself is on the disk. A write that
fails or is cut short leaves the file written before as it was, and no temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from ssl_studio.core.errors import FileInUseError, ReadOnlyFileError
from ssl_studio.core.folder_access import make_temp_file, team_folder


def _read_umask() -> int:
    """The process's umask, read once at import (reading it means setting it: doing that
    while other threads make files would give those files the wrong modes)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
# the modes any new file or folder gets (mkstemp and mkdtemp make them private): a
# colleague given read access to the project can open what was written
NEW_FILE_MODE = 0o666 & ~UMASK
NEW_FOLDER_MODE = 0o777 & ~UMASK
# what a file system says when it cannot flush a folder (some network shares, FUSE)
_NO_FOLDER_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EBADF}
# the waits (s) between tries to replace or delete a file Windows says is in use: ~2 s
IN_USE_WAITS = (0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.6)
T = TypeVar("T")


def sync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (a rename or a new file in it) to the disk. Not possible
    on Windows (nor needed: NTFS journals renames), nor on some shares: skipped there."""
    if sys.platform == "win32" or not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_FOLDER_SYNC:
            raise
    finally:
        os.close(fd)


def sync_file(path: Path) -> None:
    """Flush the content of the closed file ``path`` to the disk (Windows flushes only a
    file opened for writing)."""
    fd = os.open(path, os.O_RDWR if sys.platform == "win32" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_open_file(file: IO[Any]) -> None:
    """Flush ``file``, open for writing, from Python's buffers to the disk."""
    file.flush()
    os.fsync(file.fileno())


def retry_in_use(action: Callable[[], T], path: Path, doing: str) -> T:
    """``action()``, a rename to ``path`` or a deletion of it (``doing``: "write",
    "delete"). On Windows a file another program holds open cannot be replaced nor
    deleted (PermissionError): an antivirus scan or the search indexer lets go within
    moments, so it is tried again for about 2 s; then FileInUseError names ``path`` (not
    a temporary file) and says to close it in the program that has it open. A file
    marked read-only is refused so too, for good: ReadOnlyFileError at once."""
    waits = iter(IN_USE_WAITS if sys.platform == "win32" else ())
    while True:
        try:
            return action()
        except PermissionError as exc:
            if sys.platform == "win32" and marked_read_only(Path(path)):
                raise ReadOnlyFileError(Path(path), doing) from exc
            wait = next(waits, None)
            if wait is None:
                if sys.platform == "win32":
                    raise FileInUseError(Path(path), doing) from exc
                raise
            time.sleep(wait)


def marked_read_only(path: Path) -> bool:
    """Whether ``path`` is a file without its owner's write bit: on Windows, one whose
    Read-only attribute is set (a folder's attribute means nothing there: Windows sets it
    on folders it customises). False when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and not st.st_mode & stat.S_IWRITE


def refuse_read_only(path: Path, doing: str = "write") -> None:
    """ReadOnlyFileError when Windows would refuse to replace ``path``, a file marked
    read-only: said before anything is written (Linux and macOS replace such a file)."""
    if sys.platform == "win32" and marked_read_only(path):
        raise ReadOnlyFileError(path, doing)


def remove_file(path: str | Path) -> None:
    """Delete the file ``path`` (gone already: nothing to do); on Windows, where a file
    marked read-only cannot be deleted, the mark is cleared first when it is in the way.
    OSError when it still cannot be deleted."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except PermissionError:
        if sys.platform != "win32" or not marked_read_only(Path(path)):
            raise
        os.chmod(path, stat.S_IWRITE)  # (Windows: clears the attribute, nothing else)
        os.unlink(path)


def replace_durably(tmp: str | Path, path: Path) -> None:
    """Rename the flushed file ``tmp`` over ``path`` (in the same folder) and flush the
    folder, so that after a power cut ``path`` is the old file or the new one, whole."""
    retry_in_use(lambda: os.replace(tmp, path), path, "write")
    sync_folder(path.parent)


@contextmanager
def replacing(
    path: Path,
    *,
    suffix: str = "",
    mode: int | None = None,
    text: bool = False,
    buffering: int = -1,
    encoding: str = "utf-8",
) -> Iterator[IO[Any]]:
    """A new file (bytes; text in ``encoding`` with ``text``) that replaces ``path`` once
    the block ends without an error: a temporary ``.tmp-*SUFFIX`` beside it until then,
    deleted if the block or the write fails. The file gets ``mode``; by default the mode
    of the file it replaces, or that of any new file. A symbolic link keeps pointing at
    its file: the file it points at is replaced. On Windows a file marked read-only cannot
    be replaced: ReadOnlyFileError before anything is written (Linux and macOS replace it,
    and the new file keeps its mode)."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    refuse_read_only(path)
    if mode is None:
        mode = path.stat().st_mode & 0o7777 if path.is_file() else NEW_FILE_MODE
    # (not tempfile.mkstemp: on Windows a folder that refuses new files kept it trying
    # for hours, see folder_access.py)
    fd, tmp = make_temp_file(path.parent, ".tmp-", suffix)
    try:
        if text:
            file = os.fdopen(fd, "w", encoding=encoding, newline="")
        else:
            file = os.fdopen(fd, "wb", buffering=buffering)
        with file:
            yield file
            sync_open_file(file)
        if team_folder(path.parent):  # (a colleague may replace it next, whatever our umask)
            mode |= 0o060
        os.chmod(tmp, mode)
        replace_durably(tmp, path)
    except BaseException:
        # (gone once renamed; given a read-only mode, Windows deletes it only once that is
        # cleared; a failure here must never hide the error that got us here)
        with contextlib.suppress(OSError):
            remove_file(tmp)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see ``replacing``)."""
    with replacing(path, suffix=Path(path).suffix, text=True) as f:
        f.write(text)


def write_json_atomically(path: Path, value: Any, *, indent: int | None = 2) -> None:
    """Write ``value`` as JSON to ``path`` atomically (see ``replacing``)."""
    write_text_atomically(path, json.dumps(value, indent=indent))


def remove_partial_writes(folder: Path, suffix: str = "") -> int:
    """Delete the temporary files (``.tmp-*SUFFIX``) that writes of a killed process left
    in ``folder`` (never a finished file). Call it only while no other process writes
    there. Returns how many were removed."""
    stale = list(Path(folder).glob(f".tmp-*{suffix}")) if Path(folder).is_dir() else []
    for path in stale:
        remove_file(path)
    return len(stale)
