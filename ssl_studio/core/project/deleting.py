"""What removing (project/removal.py) and erasing (core/erasure.py) share: the runs that
learned from a dataset and the refusal to leave them behind, the wording of the question
asked first (runs, upgrade copies, exports kept), and the clean-up after the database
work committed (old database pages, run folders, upgrade copies).

A folder whose rows were deleted but which could not be deleted then (the process was
killed in between, a file was held open) is found again by the next removal, erasure or
import (``leftover_folders``: no row names it and its id was given before, so no new run
or dataset gets it) and deleted then."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

from ssl_studio.core.atomic_files import remove_file
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.permission_advice import advice, undeletable_part
from ssl_studio.core.project.schema import SCHEMA_VERSION
from ssl_studio.core.project.scratch import leftover_scratch
from ssl_studio.core.project.store import Store, folder_bytes
from ssl_studio.core.project.store.removals import LAST_DATASET_ID, LAST_RUN_ID

# what a removal or erasure says when a reader kept it from erasing the old pages at once
STILL_IN_DATABASE = (
    "The removed data stays in the project's database file until other programs that have "
    "the project open (SSL Studio windows, 'ssl-studio info' or report, a database viewer) "
    "close it; the next change to the project (an import, a training run) or the next "
    "removal then erases it."
)


def runs_learned_from(store: Store, dataset_id: int) -> tuple[list[int], list[int]]:
    """The runs trained on dataset ``dataset_id``, and those with every run fine-tuned
    from them (on another dataset's labels too), sorted: ``(on_it, runs)``."""
    on_it = [run["id"] for run in store.runs(dataset_id)]
    return on_it, sorted({*on_it, *store.child_runs(on_it)}) if on_it else []


def refuse_dependents(on_it: list[int], runs: list[int], name: str, why: str, keep: str) -> None:
    """ConfigError saying that ``runs`` (``on_it`` trained on dataset ``name``, the others
    fine-tuned from them) stand in the way: ``why`` they matter ("" or " and learned
    from …") and what to ``keep`` otherwise ("the dataset"). Nothing when there are none."""
    if not runs:
        return
    made = sorted(set(runs) - set(on_it))
    what = f"{runs_text(on_it).capitalize()} {were(on_it)} trained on dataset '{name}'"
    if made:
        what += f", and {runs_text(made)} {were(made)} fine-tuned from "
        what += "it" if len(on_it) == 1 else "them"
    raise ConfigError(
        f"{what}{why}. Remove {'it' if len(runs) == 1 else 'them'} too (--with-dependents), "
        f"or keep {keep}."
    )


def run_kind(run: dict[str, Any]) -> str:
    """What a run is, in a few words, for the question asked before removing it."""
    if run["kind"] == "pretrain":
        return "pretraining run"
    if run["kind"] == "label-efficiency":
        return "label-efficiency curve"
    return "from-scratch baseline" if run.get("task") == "scratch" else "fine-tuned model"


def older_schema(store: Store) -> int | None:
    """The schema of a project an older SSL Studio made (read as it is: a removal or
    erasure upgrades it first), else None."""
    version = store.schema_version
    return version if 0 < version < SCHEMA_VERSION else None


def upgrade_sentence(old: int | None, verb: str) -> str:
    """The question's sentence for a project at an older schema ``old``: upgraded first,
    and the copy made before the upgrade is deleted with what this ``verb`` ("" for a
    current project)."""
    if old is None:
        return ""
    return (
        f" The project was made by an older SSL Studio (database schema {old}): it is "
        f"upgraded to schema {SCHEMA_VERSION} first, and the copy of the database made "
        f"before the upgrade holds what this {verb}, so it is deleted too: the project can "
        "no longer be taken back to the older SSL Studio version."
    )


def copies_sentence(copies: tuple[str, ...], verb: str) -> str:
    """The question's sentence on the upgrade copies that hold what a removal or erasure
    (``verb``: "removes", "erases") takes away, and are deleted with it ("" for none)."""
    if not copies:
        return ""
    one = len(copies) == 1
    return (
        f" The {'copy' if one else 'copies'} of the database made before an upgrade "
        f"({', '.join(copies)}) still {'holds' if one else 'hold'} what this {verb} and "
        f"{'is' if one else 'are'} deleted too, so the project can no longer be taken back "
        "to the older SSL Studio version."
    )


def exports_sentence(exports: tuple[str, ...]) -> str:
    """The question's sentence on the exported models kept ("" for none)."""
    if not exports:
        return ""
    return (
        f" Exported models are kept: {', '.join(exports)}. They learned from this data and "
        "stay where they are, with their model cards: delete them yourself if the data must "
        "be gone entirely."
    )


def clean_up(store: Store, folders: list[Path], copy_names: tuple[str, ...]) -> dict[str, Any]:
    """After the database work committed: erase the old pages of the deleted rows, then
    delete ``folders`` and the upgrade copies ``copy_names`` (in the project folder).
    Returns ``left`` (what could not be deleted, with why), ``still_in_database`` (None,
    or what to tell when another program's reader kept the old pages) and
    ``copies_removed``."""
    erased = store.erase_removed()
    root = store.paths.root
    folders = [*folders, *(f for f in leftover_folders(store) if f not in folders)]
    copies = [root / name for name in copy_names]
    left = _deleted(folders, root) + [why for c in copies if (why := _delete_copy(c))]
    return {
        "left": left,
        "still_in_database": None if erased else STILL_IN_DATABASE,
        "copies_removed": [copy.name for copy in copies if not copy.exists()],
    }


def leftover_folders(store: Store) -> list[Path]:
    """The run folders and dataset caches of runs and datasets whose rows are deleted:
    no row names them and their id is at most the highest id a removal took (ids are
    never given again). A removal or erasure left them (interrupted, or a file held
    open); they hold what it removed. (A folder of a run whose creation never committed
    goes too, once a later run's id was removed: it holds nothing the project uses.)"""
    paths = store.paths
    runs = paths.ids_on_disk(paths.runs) - {int(run["id"]) for run in store.runs()}
    datasets = paths.ids_on_disk(paths.cache, "dataset-") - {
        int(dataset["id"]) for dataset in store.datasets()
    }
    last_run, last_dataset = (int(store.meta(key) or 0) for key in (LAST_RUN_ID, LAST_DATASET_ID))
    return [paths.run_folder(i) for i in sorted(runs) if i <= last_run] + [
        paths.dataset_cache(i) for i in sorted(datasets) if i <= last_dataset
    ]


def delete_leftovers(store: Store) -> list[str]:
    """Delete ``leftover_folders`` and the scratch folders a job left (at the start of an
    import: under the write lock); what still could not be deleted, with why."""
    folders = [*leftover_folders(store), *leftover_scratch(store.paths)]
    return _deleted(folders, store.paths.root)


def delete_leftover_scratch(store: Store) -> list[str]:
    """Delete the scratch folders earlier jobs left in their run folders (a file in them
    was held open: scratch.py), before a job that makes them (under the write lock, before
    any of its own exist); what still could not be deleted, with why."""
    return _deleted(leftover_scratch(store.paths), store.paths.root)


def _deleted(folders: list[Path], root: Path) -> list[str]:
    """Delete ``folders``; what could not be deleted, with why."""
    return [why for folder in folders if (why := delete_folder(folder, root))]


def delete_folder(folder: Path, root: Path) -> str | None:
    """Delete ``folder``; None when it is gone, else what stopped it."""
    if not folder.exists():
        return None
    errors: list[str] = []

    def failed(function: Any, path: str, exc: Any) -> None:
        exc = exc[1] if isinstance(exc, tuple) else exc  # (onerror gives sys.exc_info())
        if not _deleted_once_writable(function, path, exc):
            errors.append(getattr(exc, "strerror", None) or str(exc))

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=failed)
    else:  # (Python 3.11)
        shutil.rmtree(folder, onerror=failed)
    if not folder.exists():
        return None
    why = errors[0] if errors else "unknown"
    blocker = undeletable_part(folder)
    if blocker is not None:  # (not a program holding it: a colleague's folder)
        return (
            f"{shown(folder, root)} could not be deleted ({why}): {advice(blocker, root)}. "
            "The next removal, erasure or import then deletes it (the project no longer "
            "needs it)."
        )
    return (
        f"{shown(folder, root)} could not be deleted ({why}); "
        "delete it by hand when no program uses it (the project no longer needs it)."
    )


def bytes_left(folders: list[Path]) -> int:
    """What ``folders`` still hold on disk (after a deletion that may have failed)."""
    return sum(folder_bytes(f) for f in folders if f.is_dir())


def _deleted_once_writable(function: Any, path: str, exc: BaseException) -> bool:
    """Windows refuses to delete a file (or folder) marked read-only, which Linux and
    macOS delete (a copy of a read-only project keeps the marks): on Windows, clear the
    mark and try ``function`` (os.unlink, os.rmdir) again. Whether that deleted it."""
    if sys.platform != "win32" or not isinstance(exc, PermissionError):
        return False
    if function not in (os.unlink, os.remove, os.rmdir):
        return False
    try:
        os.chmod(path, stat.S_IWRITE)  # (Windows: clears the attribute, nothing else)
        function(path)
    except OSError:
        return False
    return True


def _delete_copy(copy: Path) -> str | None:
    """Delete a copy made before an upgrade; None when it is gone, else what stopped it."""
    try:
        remove_file(copy)  # (Windows: one marked read-only too)
    except OSError as exc:
        return (
            f"{copy.name} could not be deleted ({exc.strerror or exc}) and still holds what "
            "was removed: delete it by hand."
        )
    return None


def shown(folder: Path, root: Path) -> str:
    """A folder relative to the project when it lies inside it."""
    try:
        return str(folder.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(folder)


def were(ids: list[int]) -> str:
    return "was" if len(ids) == 1 else "were"


def runs_text(ids: list[int] | tuple[int, ...]) -> str:
    """``run 3`` or ``runs 3, 4 and 7``."""
    ids = sorted(ids)
    if len(ids) == 1:
        return f"run {ids[0]}"
    return "runs " + ", ".join(str(i) for i in ids[:-1]) + f" and {ids[-1]}"
