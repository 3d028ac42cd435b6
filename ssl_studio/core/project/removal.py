"""Removing runs and datasets from a project, to tidy it up and free disk space.

A run goes with its folder (runs/<id>: checkpoints, model, split, embeddings); a dataset
with its labels, import history and cache. What was made from them goes too, but only
when asked (``with_dependents``): the runs fine-tuned from a pretraining run (and theirs),
or every run on a dataset. Export folders always stay where they are: an export works on
its own, and its model card keeps what it needs to know. No run id is given again after
its run was removed, so a card's run number never names another run.

``plan_*`` reads the project and says what would go (for a question to the user); the
removal itself (``remove``) takes the project's write lock, so it never runs beside an
import or a training job, checks the plan again under the lock, deletes the rows in one
transaction and then the files. A file that cannot be deleted (permissions, a file open
in another program) is named in the result; the project stays consistent either way.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.layout import within
from ssl_studio.core.project.schema import SCHEMA_VERSION
from ssl_studio.core.project.store import Store, folder_bytes
from ssl_studio.core.project.upgrade import copies_with
from ssl_studio.core.wording import counted, size_text

# what a removal says when a reader kept it from erasing the old pages at once
STILL_IN_DATABASE = (
    "The removed data stays in the project's database file until other programs that have "
    "the project open (SSL Studio windows, 'ssl-studio info' or report, a database viewer) "
    "close it; the next change to the project (an import, a training run) or the next "
    "removal then erases it."
)


@dataclass(frozen=True)
class RemovalPlan:
    """What a removal deletes: runs (by id) and at most one dataset (by name), the bytes
    their folders hold, and the export folders made from those runs (they are kept)."""

    run_ids: tuple[int, ...]
    dataset: str | None
    bytes_on_disk: int
    exports_kept: tuple[str, ...]
    asked_runs: tuple[int, ...] = ()  # the runs asked for (the others were made from them)
    dataset_id: int | None = None  # (a dataset made since under the same name is not it)
    kinds: tuple[tuple[int, str], ...] = ()  # run id -> what it is ("fine-tuned model")
    # the copies made before upgrades that hold any of it (deleted with it: upgrade.py)
    copies: tuple[str, ...] = ()
    upgrade_from: int | None = None  # the project's older schema (upgraded first)

    def describe(self) -> str:
        """One paragraph naming what goes and what stays, for the question asked first."""
        what = []
        if self.dataset is not None:
            what.append(f"dataset '{self.dataset}' (its labels, import history and cache)")
        made = [i for i in self.run_ids if i not in self.asked_runs]
        if self.asked_runs:
            what.append(_runs_text(self.asked_runs))
        if made:
            source = "them" if len(self.asked_runs) > 1 else "it"
            what.append(
                f"{_runs_text(made)} made from {source}{self._kinds_text(made)}"
                if self.asked_runs
                else f"its {_runs_text(made)}{self._kinds_text(made)}"
            )
        text = "Removes " + " and ".join(what)
        text += f", {size_text(self.bytes_on_disk)} on disk. This cannot be undone."
        text += upgrade_sentence(self.upgrade_from, "removes")
        return text + copies_sentence(self.copies, "removes") + exports_sentence(self.exports_kept)

    def _kinds_text(self, ids: list[int]) -> str:
        """`` (1 fine-tuned model, 1 from-scratch baseline)`` for runs ``ids``."""
        names = dict(self.kinds)
        counts = Counter(names[i] for i in ids if i in names)
        return f" ({', '.join(counted(n, kind) for kind, n in counts.items())})" if counts else ""


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


def exports_sentence(exports: tuple[str, ...]) -> str:
    """The question's sentence on the exported models kept ("" for none)."""
    if not exports:
        return ""
    return (
        f" Exported models are kept: {', '.join(exports)}. They learned from this data and "
        "stay where they are, with their model cards: delete them yourself if the data must "
        "be gone entirely."
    )


def _kind(run: dict[str, Any]) -> str:
    """What a run is, in a few words, for the question asked before removing it."""
    if run["kind"] == "pretrain":
        return "pretraining run"
    if run["kind"] == "label-efficiency":
        return "label-efficiency curve"
    return "from-scratch baseline" if run.get("task") == "scratch" else "fine-tuned model"


def plan_run_removal(
    store: Store, run_ids: list[int], with_dependents: bool = False
) -> RemovalPlan:
    """What removing ``run_ids`` deletes. ConfigError for an unknown run, or for a run
    that other runs were made from unless ``with_dependents`` (they go too)."""
    asked = sorted(set(run_ids))
    if not asked:
        raise ConfigError("Name at least one run to remove (its number, as info lists it).")
    known = {run["id"] for run in store.runs()}
    unknown = [i for i in asked if i not in known]
    if unknown:
        listed = ", ".join(str(i) for i in sorted(known)) or "none"
        raise ConfigError(
            f"This project has no {_runs_text(unknown)} (its runs: {listed}). "
            "'ssl-studio info' lists them."
        )
    children = store.child_runs(asked)
    if children and not with_dependents:
        raise ConfigError(
            f"{_runs_text(children).capitalize()} {_were(children)} "
            f"fine-tuned from {_runs_text(asked)}. Remove {'it' if len(children) == 1 else 'them'} "
            "too (--with-dependents), or keep the pretraining run."
        )
    return _plan(store, [*asked, *children], None, asked)


def plan_dataset_removal(store: Store, name: str, with_dependents: bool = False) -> RemovalPlan:
    """What removing dataset ``name`` deletes. ConfigError for an unknown dataset, or for
    one that runs were trained on unless ``with_dependents`` (they go too)."""
    dataset = store.dataset_named(name)
    on_it = [run["id"] for run in store.runs(dataset["id"])]
    # and the runs made from those (a fine-tuning on another dataset's labels)
    runs = sorted({*on_it, *store.child_runs(on_it)}) if on_it else []
    if runs and not with_dependents:
        made = sorted(set(runs) - set(on_it))
        what = f"{_runs_text(on_it).capitalize()} {_were(on_it)} trained on dataset '{name}'"
        if made:
            what += f", and {_runs_text(made)} {_were(made)} fine-tuned from "
            what += "it" if len(on_it) == 1 else "them"
        raise ConfigError(
            f"{what}. Remove {'it' if len(runs) == 1 else 'them'} too (--with-dependents), "
            "or keep the dataset."
        )
    return _plan(store, runs, dataset, [])


def remove(project: Path, plan: RemovalPlan) -> dict[str, Any]:
    """Remove what ``plan`` names. Returns ``runs`` and ``dataset`` removed, ``freed_bytes``,
    ``exports_kept``, ``copies_removed``: the copies made before upgrades that held any
    of it, ``left``: folders and copies that could not be deleted (with why), and
    ``still_in_database``: None, or what to tell when another program reading the project
    kept the removed rows' old pages from being erased from the database files now."""
    with Store.open(project, write=True, purpose="removing runs or a dataset") as store:
        dataset = store.dataset(plan.dataset) if plan.dataset is not None else None
        if plan.dataset is not None and (dataset is None or dataset["id"] != plan.dataset_id):
            raise ConfigError(f"Dataset '{plan.dataset}' was removed or replaced meanwhile.")
        now = _plan(store, list(plan.run_ids), dataset, list(plan.asked_runs))
        if set(store.child_runs(plan.run_ids)) - set(plan.run_ids) or (
            dataset is not None and {r["id"] for r in store.runs(dataset["id"])} - set(plan.run_ids)
        ):
            raise ConfigError(
                "Runs were added meanwhile that depend on what you chose; look again and "
                "choose once more."
            )
        folders = [store.paths.run_folder(i) for i in now.run_ids]
        store.delete_runs(now.run_ids)
        if dataset is not None:
            store.delete_dataset(dataset["id"])
            folders.append(store.paths.dataset_cache(dataset["id"]))
        erased = store.erase_removed()
        left = [_delete(folder, store.paths.root) for folder in folders]
        copies = [store.paths.root / name for name in now.copies]
        left += [_delete_copy(copy) for copy in copies]
    return {
        "runs": list(now.run_ids),
        "dataset": plan.dataset,
        "freed_bytes": now.bytes_on_disk,
        "exports_kept": list(now.exports_kept),
        "left": [why for why in left if why],
        "still_in_database": None if erased else STILL_IN_DATABASE,
        "copies_removed": [copy.name for copy in copies if not copy.exists()],
    }


def _plan(
    store: Store, run_ids: list[int], dataset: dict[str, Any] | None, asked: list[int]
) -> RemovalPlan:
    ids = sorted(set(run_ids))
    folders = [store.paths.run_folder(i) for i in ids]
    if dataset is not None:
        folders.append(store.paths.dataset_cache(dataset["id"]))
    every = [e for e in store.exports() if os.path.isdir(e["folder"])]  # (one query)
    exports = [e["folder"] for e in every if e["run_id"] in ids]
    for export in (e["folder"] for e in every):  # (older versions let one go inside them)
        holder = next((f for f in folders if within(Path(export), f)), None)
        if holder is not None:
            raise ConfigError(
                f"The exported model in {_shown(Path(export), store.paths.root)} lies inside "
                f"{_shown(holder, store.paths.root)}, which would be deleted: move it out "
                "of the project's folders first, then remove again."
            )
    return RemovalPlan(
        run_ids=tuple(ids),
        dataset=dataset["name"] if dataset is not None else None,
        bytes_on_disk=sum(folder_bytes(f) for f in folders if f.is_dir()),
        exports_kept=tuple(_shown(Path(folder), store.paths.root) for folder in exports),
        asked_runs=tuple(sorted(set(asked))),
        dataset_id=dataset["id"] if dataset is not None else None,
        kinds=tuple((r["id"], _kind(r)) for r in store.runs() if r["id"] in set(ids)),
        upgrade_from=older_schema(store),
        copies=tuple(
            copy.name
            for copy in copies_with(
                store.paths.db, dataset["id"] if dataset is not None else None, ids
            )
        ),
    )


def _delete(folder: Path, root: Path) -> str | None:
    """Delete ``folder``; None when it is gone, else what stopped it."""
    if not folder.exists():
        return None
    errors: list[str] = []

    def failed(_function: Any, _path: str, exc: Any) -> None:
        exc = exc[1] if isinstance(exc, tuple) else exc  # (onerror gives sys.exc_info())
        errors.append(getattr(exc, "strerror", None) or str(exc))

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=failed)
    else:  # (Python 3.11)
        shutil.rmtree(folder, onerror=failed)
    if not folder.exists():
        return None
    return (
        f"{_shown(folder, root)} could not be deleted ({errors[0] if errors else 'unknown'}); "
        "delete it by hand when no program uses it (the project no longer needs it)."
    )


def _delete_copy(copy: Path) -> str | None:
    """Delete a copy made before an upgrade; None when it is gone, else what stopped it."""
    try:
        copy.unlink(missing_ok=True)
    except OSError as exc:
        return (
            f"{copy.name} could not be deleted ({exc.strerror or exc}) and still holds what "
            "was removed: delete it by hand."
        )
    return None


def _shown(folder: Path, root: Path) -> str:
    """A folder relative to the project when it lies inside it."""
    try:
        return str(folder.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(folder)


def _were(ids: list[int]) -> str:
    return "was" if len(ids) == 1 else "were"


def _runs_text(ids: list[int] | tuple[int, ...]) -> str:
    ids = sorted(ids)
    if len(ids) == 1:
        return f"run {ids[0]}"
    return "runs " + ", ".join(str(i) for i in ids[:-1]) + f" and {ids[-1]}"
