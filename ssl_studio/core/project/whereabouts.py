"""Whether a project folder is still where a job found it: a folder moved or renamed, or
on a drive or share that was disconnected, while a job works on it makes every file in it
"missing" to the job, which must then say so (move it back or reconnect, then resume)
instead of taking the project for damaged.

A folder is told by its identity (``st_dev``, ``st_ino``), taken when the job opened it:
another folder put at the same path (a copy, say) is not it.
"""

from __future__ import annotations

import os
from pathlib import Path

FolderId = tuple[int, int]


def folder_identity(folder: Path) -> FolderId | None:
    """``folder``'s (device, inode) now; None when it is not there (or cannot be read)."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def moved_away(folder: Path, known: FolderId | None) -> bool:
    """Whether ``folder`` is no longer at its path, or another folder is there than the
    one whose identity was ``known`` (None: not known, only its being there counts)."""
    now = folder_identity(folder)
    return now is None or (known is not None and now != known)
