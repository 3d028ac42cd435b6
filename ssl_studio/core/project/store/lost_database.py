"""A project folder whose database is gone or emptied while the folder holds a project's
data (cache/, runs/, exports/): said so before SQLite writes a word to it, never made a
new database (which would hand out run ids and folders that are taken)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ssl_studio.core.errors import ProjectUnreadableError
from ssl_studio.core.project.layout import ProjectPaths
from ssl_studio.core.storage_errors import RESTORE, ProjectDamagedError


def data_text(paths: ProjectPaths) -> str:
    """Which of cache/, runs/, exports/ hold anything, e.g. "cache/, runs/" ("" for none:
    a project never used)."""
    used = []
    for folder in paths.folders():
        with contextlib.suppress(OSError):
            if folder.is_dir() and any(folder.iterdir()):
                used.append(f"{folder.name}/")
    return ", ".join(used)


def refuse_a_lost_database(paths: ProjectPaths) -> None:
    """ProjectDamagedError when project.db is gone or emptied (0 bytes) in a folder that
    holds a project's data; ProjectUnreadableError for a folder the user may not read
    (not a PermissionError's traceback). Nothing for no project at all (a TensorBoard
    folder has runs/ too: "not a project" is said elsewhere)."""
    db, wal = paths.db, paths.db.with_name(f"{paths.db.name}-wal")
    try:
        exists = db.exists()
    except PermissionError as exc:
        raise ProjectUnreadableError(paths.root) from exc
    if exists and (_size(db) or _size(wal)):
        return
    if not exists and not all(f.is_dir() for f in paths.folders()):
        return
    if held := data_text(paths):
        what = "is empty" if exists else "is missing"
        raise ProjectDamagedError(
            f"The project database {db} {what}, but the project folder holds data "
            f"({held}). {RESTORE}"
        )


def _size(path: Path) -> int:
    """The size of ``path`` in bytes (0 when it is not there)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0
