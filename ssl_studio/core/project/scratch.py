"""Scratch folders in a run's folder, for checkpoints no one keeps (each fold of a
cross-validation, each point of a label-efficiency curve), and those left behind.

On Windows an antivirus scan or the search indexer often holds a file just written open
for a moment, and a file held open cannot be deleted: deleting the scratch folder then
raised PermissionError, and a job whose training was all done ended as an unexpected
error. A scratch folder that cannot be deleted is now left where it is; the next job that
writes to the project deletes it (deleting.py: ``delete_leftover_scratch``), under the
project's write lock, so no job is using it then. On Windows the folder inherits the run
folder's ACL (folder_access.py): one left behind must not keep colleagues out of the run.

Versions before ``scratch-`` made these folders with ``tempfile.TemporaryDirectory``,
named ``tmp`` and 8 random letters, and a job killed in a fold or a curve point left one:
those are swept too. Nothing else in a run folder is ever named so: config.json,
split.json, model.pt, evaluation.json, label_efficiency.json and checkpoints/ (a write cut
short leaves a ``.tmp-*`` file, never a folder).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ssl_studio.core.folder_access import make_work_folder, share_with_team
from ssl_studio.core.project.layout import ProjectPaths

SCRATCH_PREFIX = "scratch-"
# the name tempfile.TemporaryDirectory gave a scratch folder before (tmp and 8 of
# tempfile's random characters): exactly that, so no folder a user named tmp-notes goes
_OLD_SCRATCH = re.compile(r"tmp[a-z0-9_]{8}")


@contextmanager
def scratch_folder(run_dir: Path) -> Iterator[Path]:
    """A new folder in ``run_dir`` for the block, deleted after it where it can be (a
    file held open by another program leaves it: see the module docstring)."""
    if sys.platform != "win32":
        with tempfile.TemporaryDirectory(
            prefix=SCRATCH_PREFIX, dir=run_dir, ignore_cleanup_errors=True
        ) as folder:
            share_with_team(Path(folder))  # (a colleague's job may sweep it: a crash)
            yield Path(folder)
        return
    path = make_work_folder(run_dir, SCRATCH_PREFIX)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def leftover_scratch(paths: ProjectPaths) -> list[Path]:
    """The scratch folders in the project's run folders (and those earlier versions named
    ``tmpXXXXXXXX``: see the module docstring): every one is left over while the caller
    holds the write lock (the jobs that make them hold it throughout)."""
    try:
        found = [
            *paths.runs.glob(f"*/{SCRATCH_PREFIX}*"),
            *(p for p in paths.runs.glob("*/tmp*") if _OLD_SCRATCH.fullmatch(p.name)),
        ]
        return sorted(p for p in found if p.is_dir())
    except OSError:  # (runs/ unreadable: nothing to sweep now)
        return []
