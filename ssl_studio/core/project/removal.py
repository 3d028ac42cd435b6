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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.deleting import (
    bytes_left,
    clean_up,
    copies_sentence,
    exports_sentence,
    older_schema,
    refuse_dependents,
    run_kind,
    runs_learned_from,
    runs_text,
    shown,
    upgrade_sentence,
    were,
)
from ssl_studio.core.project.layout import within
from ssl_studio.core.project.store import Store, folder_bytes
from ssl_studio.core.project.upgrade import copies_with
from ssl_studio.core.wording import counted, size_text


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
            what.append(runs_text(self.asked_runs))
        if made:
            source = "them" if len(self.asked_runs) > 1 else "it"
            what.append(
                f"{runs_text(made)} made from {source}{self._kinds_text(made)}"
                if self.asked_runs
                else f"its {runs_text(made)}{self._kinds_text(made)}"
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
            f"This project has no {runs_text(unknown)} (its runs: {listed}). "
            "'ssl-studio info' lists them."
        )
    children = store.child_runs(asked)
    if children and not with_dependents:
        raise ConfigError(
            f"{runs_text(children).capitalize()} {were(children)} "
            f"fine-tuned from {runs_text(asked)}. Remove {'it' if len(children) == 1 else 'them'} "
            "too (--with-dependents), or keep the pretraining run."
        )
    return _plan(store, [*asked, *children], None, asked)


def plan_dataset_removal(store: Store, name: str, with_dependents: bool = False) -> RemovalPlan:
    """What removing dataset ``name`` deletes. ConfigError for an unknown dataset, or for
    one that runs were trained on unless ``with_dependents`` (they go too)."""
    dataset = store.dataset_named(name)
    on_it, runs = runs_learned_from(store, dataset["id"])
    if not with_dependents:
        refuse_dependents(on_it, runs, name, "", "the dataset")
    return _plan(store, runs, dataset, [])


def remove(project: Path, plan: RemovalPlan) -> dict[str, Any]:
    """Remove what ``plan`` names. Returns ``runs`` and ``dataset`` removed,
    ``bytes_on_disk`` (what their folders held), ``freed_bytes`` (what they no longer
    hold: less when some could not be deleted), ``exports_kept``, ``copies_removed``: the
    copies made before upgrades that held any of it, ``left``: folders and copies that
    could not be deleted (with why), and ``still_in_database``: None, or what to tell when
    another program reading the project kept the removed rows' old pages from being erased
    from the database files now."""
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
        cleaned = clean_up(store, folders, now.copies)
    return {
        "runs": list(now.run_ids),
        "dataset": plan.dataset,
        "freed_bytes": max(0, now.bytes_on_disk - bytes_left(folders)),
        "bytes_on_disk": now.bytes_on_disk,
        "exports_kept": list(now.exports_kept),
        **cleaned,
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
                f"The exported model in {shown(Path(export), store.paths.root)} lies inside "
                f"{shown(holder, store.paths.root)}, which would be deleted: move it out "
                "of the project's folders first, then remove again."
            )
    return RemovalPlan(
        run_ids=tuple(ids),
        dataset=dataset["name"] if dataset is not None else None,
        bytes_on_disk=sum(folder_bytes(f) for f in folders if f.is_dir()),
        exports_kept=tuple(shown(Path(folder), store.paths.root) for folder in exports),
        asked_runs=tuple(sorted(set(asked))),
        dataset_id=dataset["id"] if dataset is not None else None,
        kinds=tuple((r["id"], run_kind(r)) for r in store.runs() if r["id"] in set(ids)),
        upgrade_from=older_schema(store),
        copies=tuple(
            copy.name
            for copy in copies_with(
                store.paths.db, dataset["id"] if dataset is not None else None, ids
            )
        ),
    )
