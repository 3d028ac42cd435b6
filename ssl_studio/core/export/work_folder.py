"""The hidden folder an export is written in before it is renamed into place.

``.NAME-xxxxxxxx`` beside the export folder NAME holds a lock file while its export runs.
An export that is killed leaves its folder behind; the next export to NAME removes it, as
the lock is then free (the system releases it with the process that held it).
"""

from __future__ import annotations

import glob
import shutil
import time
from pathlib import Path

from ssl_studio.core.atomic_files import retry_in_use, sync_file, sync_folder
from ssl_studio.core.errors import ProjectError
from ssl_studio.core.folder_access import make_work_folder
from ssl_studio.core.project.layout import EXPORT_CARD
from ssl_studio.core.project.lock import WriteLock, writer_present

LOCK = ".export-in-progress"
# what a work folder can hold ("model-traced.pt": the TorchScript archive of versions
# that wrote it to disk before stripping it)
_OURS = {
    LOCK,
    "model.pt",
    "model.onnx",
    "model.onnx.data",
    "model.safetensors",
    "golden.npz",
    EXPORT_CARD,
    "MODEL_CARD.md",
    "model-traced.pt",
}
# a work folder without a lock (made by a version that kept none) counts as abandoned
# once it has not changed for this long
UNLOCKED_STALE_S = 3600.0


class WorkFolder:
    """A new work folder beside ``out``, locked until ``finish`` or ``discard``; the
    folders that killed exports to ``out`` left are removed first (``removed``). Private
    until it is finished on Linux and macOS; on Windows it has its parent's ACL from the
    start (an owner-only one would stay with the export: folder_access.py)."""

    def __init__(self, out: Path) -> None:
        self.removed = remove_abandoned(out)
        self.path = make_work_folder(out.parent, f".{out.name}-")
        self._lock = WriteLock(self.path / LOCK, "ssl-studio export")
        try:
            self._lock.acquire()
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def finish(self, out: Path) -> None:
        """Flush every file to the disk, let go of the lock and delete it (the folder
        holds only the export now), flush the folder, rename it to ``out`` (an empty
        folder there is replaced) and flush ``out``'s parent: after a crash or a power
        cut, ``out`` is missing or whole, never a folder of empty or cut-short files."""
        for path in self.path.iterdir():
            if path.name != LOCK and path.is_file():
                sync_file(path)
        self._lock.release()
        (self.path / LOCK).unlink(missing_ok=True)
        sync_folder(self.path)
        if out.exists():
            retry_in_use(out.rmdir, out, "write")
        # (Windows: an antivirus scanning the new files holds the folder for a moment)
        retry_in_use(lambda: self.path.rename(out), out, "write")
        sync_folder(out.parent)

    def discard(self) -> None:
        """Delete the folder and everything in it."""
        self._lock.release()
        shutil.rmtree(self.path, ignore_errors=True)


def remove_abandoned(out: Path) -> list[str]:
    """Remove the work folders of earlier exports to ``out`` that were killed (nothing
    holds their lock); returns their names."""
    removed = []
    for folder in sorted(out.parent.glob(f".{glob.escape(out.name)}-*")):
        if _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder.name)
    return removed


def _abandoned(folder: Path) -> bool:
    try:
        if folder.is_symlink() or not folder.is_dir():
            return False
        names = {path.name for path in folder.iterdir()}
        if not names <= _OURS:  # not a work folder of ours: never touched
            return False
        if LOCK not in names:
            return time.time() - folder.stat().st_mtime > UNLOCKED_STALE_S
        # (a probe, never a wait: an export's --wait is for the project, not this)
        return writer_present(folder / LOCK) is False  # None: cannot tell, so kept
    except (OSError, ProjectError):  # in use by a running export, or not ours to remove
        return False
