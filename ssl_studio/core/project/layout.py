"""The project folder: where the database, cache, runs and exports live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ssl_studio.core.errors import ProjectUnreadableError
from ssl_studio.core.folder_access import (
    PRIVATE_FOLDER,
    TEAM_FOLDER,
    make_private_folder,
    share_with_team,
    team_folder,
)

DB_NAME = "project.db"
EXPORT_CARD = "model_card.json"  # in every export folder (core/export/writer.py)
# a new project's folder, cache/ and runs/ (decoded patient pixels, checkpoints) and its
# database: for their owner only on a shared machine (Windows ignores the bits; its
# folders inherit their parent's ACL, see folder_access.py)
PRIVATE_FILE = 0o600
TEAM_FILE = 0o660  # (project.db in a team's folder: see make_new)


@dataclass(frozen=True)
class ProjectPaths:
    """Paths inside one project folder."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / DB_NAME

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def lock(self) -> Path:
        return self.root / ".write.lock"

    def run_folder(self, run_id: int) -> Path:
        return self.runs / str(run_id)

    def ids_on_disk(self, folder: Path, prefix: str = "") -> set[int]:
        """The ids in the names of the folders in ``folder``: ``<prefix><id>`` (runs/
        names a run's folder by its id, cache/ a dataset's as ``dataset-<id>``)."""
        try:
            names = [p.name.removeprefix(prefix) for p in folder.iterdir()]
        except OSError:
            return set()
        return {int(n) for n in names if n.isdigit()}

    def dataset_cache(self, dataset_id: int) -> Path:
        return self.cache / f"dataset-{dataset_id}"

    def folders(self) -> tuple[Path, ...]:
        return (self.cache, self.runs, self.exports)

    def make_new(self) -> None:
        """Lay out a new project: the folder (an empty one the user chose included),
        cache/ and runs/ for their owner only, exports/ as the umask says (an export is
        made to be handed on), and an empty project.db (SQLite gives its -wal and -shm
        files the same mode). Inside a team's folder (group-writable with the
        set-group-id bit: folder_access.team_folder) the group gets what the owner gets
        (TEAM_FOLDER, TEAM_FILE) and the set-group-id bit is kept, so new files stay in
        the group; nobody else gets anything. On Windows every folder inherits the ACL
        of the one above it, so a team's share keeps its permissions. OSError when the
        disk refuses."""
        team = team_folder(Path(os.path.abspath(self.root)).parent)
        make_private_folder(self.root, parents=True, exist_ok=True)
        folder_mode = TEAM_FOLDER if team else PRIVATE_FOLDER
        if os.name == "posix":  # (an empty folder the user chose: it becomes the project)
            try:  # (0700 alone would clear the set-group-id bit the folder inherited)
                os.chmod(self.root, folder_mode)
            except PermissionError:  # another owner's folder (a group's study folder):
                pass  # its mode is theirs; cache/, runs/ and project.db are private still
        for folder in (self.cache, self.runs):
            make_private_folder(folder, exist_ok=True)
            if team:  # (mkdir's mode goes through the umask)
                os.chmod(folder, folder_mode)
        self.exports.mkdir(exist_ok=True)
        share_with_team(self.exports)
        os.close(os.open(self.db, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        if team:
            os.chmod(self.db, TEAM_FILE)

    def is_project(self) -> bool:
        """Whether the folder holds a project database. Raises ProjectUnreadableError when
        the folder may not be read (a PermissionError would reach the user as a
        traceback)."""
        try:
            return self.db.is_file()
        except PermissionError as exc:
            raise ProjectUnreadableError(self.root) from exc


def within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it (links resolved)."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents
