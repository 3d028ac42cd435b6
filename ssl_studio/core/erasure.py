"""Erasing single files (or one patient's files) from a dataset: the right to erasure,
when a patient withdraws consent (``ssl-studio remove --dataset NAME --file/--patient``).

Items are otherwise never deleted (a file gone from disk only makes its items missing).
Erasing deletes the files' rows, their items, the items' labels in every version of every
label set, their import problems and their paths in the import summaries, zeroes their
bytes in the dataset's cache in place (data/cache_erasure.py: the other items keep their
bytes and ids), and leaves a tombstone per file without identifiers (the keyed hash of its
path, and the date) so that importing the folder again skips the file while it is still
there. The database pages and upgrade copies that held them go as with a removal
(project/removal.py, whose patterns this follows).

Runs trained on the dataset learned from the erased items: like removing the dataset, the
erasure refuses while they exist unless they go too (``with_dependents``). Keeping them
would leave a model that learned from the withdrawn data inside the project, and their
splits, embeddings and figures name the erased items. A patient is found by the salted
key the import stored (privacy.patient_key), computed from the ID given; the ID itself is
never stored, kept in the plan or shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ssl_studio.core.data.cache import SERIES_MASK, SERIES_VALUES
from ssl_studio.core.data.cache_erasure import finish_scrubs, unwritable
from ssl_studio.core.data.privacy import keyed_hash, patient_key
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
)
from ssl_studio.core.project.permission_advice import advice, undeletable_part, unwritable_file
from ssl_studio.core.project.store import Store, folder_bytes
from ssl_studio.core.project.upgrade import copies_with
from ssl_studio.core.wording import counted, size_text

# what stays outside the project after an erasure (the result and the question say so)
OUTSIDE = (
    "Outside the project nothing is touched: the files themselves (delete them, or move "
    "them out of the imported folders), exported models and their model cards, predictions "
    "and label files written elsewhere, and copies or backups of the project folder."
)


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing files from a dataset deletes: the files (by id), their item count,
    the labels each label set loses, the runs on the dataset (with_dependents), the bytes
    of those runs' folders, the exports made from them (kept) and the upgrade copies
    that hold the dataset (deleted)."""

    dataset: str
    dataset_id: int
    file_ids: tuple[int, ...]
    items: int
    labels_lost: tuple[tuple[str, int, int], ...] = ()  # (label set, version, labels)
    run_ids: tuple[int, ...] = ()
    kinds: tuple[tuple[int, str], ...] = ()
    bytes_on_disk: int = 0
    exports_kept: tuple[str, ...] = ()
    copies: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()  # other datasets holding files at the same paths
    upgrade_from: int | None = None  # the project's older schema (upgraded first)
    patients: int = 0  # how many patients were named (their files are erased)

    def describe(self) -> str:
        """One paragraph naming what goes and what stays, for the question asked first."""
        files = counted(len(self.file_ids), "file")
        text = (
            f"Erases {counted(self.items, 'item')} of {files} from dataset '{self.dataset}' "
            "(their rows, labels, import history and cached data)"
        )
        if self.labels_lost:
            text += "; " + ", ".join(
                f"label set '{name}' (version {version}) loses {counted(n, 'label')}"
                for name, version, n in self.labels_lost
            )
        if self.run_ids:
            names = dict(self.kinds)
            kinds = ", ".join(f"run {i}: {names.get(i, 'run')}" for i in self.run_ids)
            text += (
                f". It removes {runs_text(self.run_ids)} too ({kinds}), which learned from "
                f"this data: {size_text(self.bytes_on_disk)} on disk"
            )
        text += (
            ". This cannot be undone. Each erased file is remembered only by a keyed hash of "
            "its path, so importing its folder again skips it while it is still there, and "
            "by hashes of its content, so an import warns of a copy of it found elsewhere."
        )
        if self.patients:
            text += (
                " The patient is not remembered: new files of the same patient (another "
                "export, a later study) are imported again if they appear in an imported "
                "folder."
            )
        if self.elsewhere:
            one = len(self.elsewhere) == 1
            names = ", ".join(f"'{name}'" for name in self.elsewhere)
            text += (
                f" {'Dataset' if one else 'Datasets'} {names} also {'holds' if one else 'hold'} "
                f"files at these paths: they stay there until you erase them from "
                f"{'it' if one else 'them'} too."
            )
        text += upgrade_sentence(self.upgrade_from, "erases")
        text += copies_sentence(self.copies, "erases") + exports_sentence(self.exports_kept)
        return f"{text} {OUTSIDE}"


def plan_erasure(
    store: Store,
    dataset_name: str,
    files: list[str] | None = None,
    patients: list[str] | None = None,
    with_dependents: bool = False,
) -> ErasurePlan:
    """What erasing ``files`` (paths as imported: absolute, or relative to the working
    folder) and the files of ``patients`` (IDs as written in a DICOM header or a series'
    id column) from dataset ``dataset_name`` deletes. ConfigError for an unknown dataset,
    file or patient, a patient whose series share a file with others, or runs on the
    dataset unless ``with_dependents``. The patient IDs are used only to compute their
    salted keys: never stored, kept or shown."""
    dataset = store.dataset_named(dataset_name)
    did = int(dataset["id"])
    if not files and not patients:
        raise ConfigError("Name the files (--file PATH) or patients (--patient ID) to erase.")
    file_ids = set(_files_named(store, dataset, files or []))
    for number, patient in enumerate(patients or [], 1):
        file_ids |= _patient_files(store, dataset, patient, number, len(patients or []))
    on_it, runs = runs_learned_from(store, did)
    if not with_dependents:
        refuse_dependents(
            on_it, runs, dataset_name, " and learned from the items to erase", "the items"
        )
    plan = _plan(store, dataset, sorted(file_ids), runs)
    return replace(plan, patients=len(patients or []))


def _files_named(store: Store, dataset: dict[str, Any], paths: list[str]) -> list[int]:
    """Ids of the dataset's files at ``paths``; ConfigError naming those it has not."""
    found, unknown = [], []
    for number, path in enumerate(paths, 1):
        spellings = {os.path.abspath(path), os.path.realpath(path)}
        keys = {keyed_hash(store.salt, "path", p): p for p in spellings}
        ids = store.files_with_keys(dataset["id"], keys)
        if ids:
            found += ids.values()
        else:  # (named by position: a path may name a patient)
            unknown.append(f"the {_ordinal(number)} --file" if len(paths) > 1 else "--file")
    if unknown:
        one = len(unknown) == 1
        raise ConfigError(
            f"Dataset '{dataset['name']}' has no file at the path given as "
            f"{', '.join(unknown)} ({'it is' if one else 'they are'} not shown here: a path "
            "may name a patient). It may have been erased already. Give each path "
            "as it was imported: the folder given to import and the file inside it "
            "(absolute, or from the folder you are in); 'ssl-studio report' lists the "
            "dataset's folders. Nothing was erased."
        )
    return found


def _patient_files(
    store: Store, dataset: dict[str, Any], patient: str, number: int, of: int
) -> set[int]:
    """Ids of the files holding the items of ``patient``; ConfigError (never naming the
    ID) when there are none, or when a file holds other patients' items too."""
    which = f"the {_ordinal(number)} patient ID given" if of > 1 else "the patient ID given"
    if not patient.strip():
        raise ConfigError(f"{which[0].upper()}{which[1:]} is empty. Nothing was erased.")
    only, shared = store.patient_files(dataset["id"], patient_key(store.salt, patient))
    if shared:
        raise ConfigError(
            f"{counted(len(shared), 'file').capitalize()} of dataset '{dataset['name']}' "
            f"{'holds' if len(shared) == 1 else 'hold'} the items of {which} beside other "
            "patients' (a table with one series per row): delete that patient's rows from "
            "the file and import it again, or erase the whole file with --file. Nothing "
            "was erased."
        )
    if not only:
        raise ConfigError(
            f"No item of dataset '{dataset['name']}' belongs to {which}. Its files may "
            "have been erased already (erased items leave no patient key behind), or "
            "the ID differs: check it as written in the DICOM header (Patient ID) or in "
            "the series' id column (compared exactly: capitals, zeros and dashes count), "
            "and that the dataset is the one imported from that patient's files. Nothing "
            "was erased."
        )
    return set(only)


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _plan(
    store: Store, dataset: dict[str, Any], file_ids: list[int], runs: list[int]
) -> ErasurePlan:
    items, lost = store.erasure_counts(file_ids)
    folders = [store.paths.run_folder(i) for i in runs]
    exports = [e["folder"] for e in store.exports() if e["run_id"] in set(runs)]
    return ErasurePlan(
        dataset=dataset["name"],
        dataset_id=int(dataset["id"]),
        file_ids=tuple(file_ids),
        items=items,
        labels_lost=tuple(lost),
        run_ids=tuple(runs),
        kinds=tuple((r["id"], run_kind(r)) for r in store.runs() if r["id"] in set(runs)),
        bytes_on_disk=sum(folder_bytes(f) for f in folders if f.is_dir()),
        exports_kept=tuple(shown(Path(f), store.paths.root) for f in exports if os.path.isdir(f)),
        copies=tuple(c.name for c in copies_with(store.paths.db, int(dataset["id"]), runs)),
        elsewhere=tuple(store.other_datasets_with(file_ids)),
        upgrade_from=older_schema(store),
    )


def erase(project: Path, plan: ErasurePlan) -> dict[str, Any]:
    """Erase what ``plan`` names. Returns ``dataset``, ``files`` and ``items`` erased,
    ``labels_lost``, ``runs`` removed with ``freed_bytes``, ``cache_bytes_zeroed``,
    ``exports_kept``, ``copies_removed``, ``left`` (what could not be deleted or zeroed,
    with why), ``still_in_database`` (as for a removal) and ``outside`` (what stays)."""
    with Store.open(project, write=True, purpose="erasing files from a dataset") as store:
        dataset = store.dataset(plan.dataset)
        if dataset is None or dataset["id"] != plan.dataset_id:
            raise ConfigError(f"Dataset '{plan.dataset}' was removed or replaced meanwhile.")
        if set(runs_learned_from(store, plan.dataset_id)[1]) - set(plan.run_ids):  # (locked)
            raise ConfigError(
                "Runs were added meanwhile that learned from the dataset (trained on it, or "
                "fine-tuned from a run on it); look again and choose once more. Nothing "
                "was erased."
            )
        now = _plan(store, dataset, list(plan.file_ids), list(plan.run_ids))
        slots = store.cache_slots(plan.dataset_id, now.file_ids)
        touched = {slot["cache_file"] for slot in slots}
        # every cached file must be writable, and every run folder deletable, before
        # anything changes
        cache = store.paths.dataset_cache(plan.dataset_id)
        if blocked := unwritable(cache, touched):
            raise ConfigError(
                f"The cached data {', '.join(blocked)} cannot be overwritten, so nothing "
                f"was erased: {_what_to_do(cache, touched, store.paths.root)}"
            )
        folders = [store.paths.run_folder(i) for i in now.run_ids]
        _refuse_undeletable(folders, store.paths.root)
        # the rows, tombstones and runs in one transaction that also marks the cache
        # files to zero; then the zeroing, which clears the mark (or the next erasure or
        # import finishes it)
        items = store.erase_files(plan.dataset_id, now.file_ids, now.run_ids, touched)
        zeroed, unzeroed = finish_scrubs(store)
        cleaned = clean_up(store, folders, now.copies)
    return {
        "dataset": plan.dataset,
        "files": len(now.file_ids),
        "items": items,
        "labels_lost": [list(lost) for lost in now.labels_lost],
        "runs": list(now.run_ids),
        "freed_bytes": max(0, now.bytes_on_disk - bytes_left(folders)),
        "bytes_on_disk": now.bytes_on_disk,
        "cache_bytes_zeroed": zeroed,
        "exports_kept": list(now.exports_kept),
        **cleaned,
        "left": [*unzeroed, *cleaned["left"]],
        "outside": OUTSIDE,
        "elsewhere": list(now.elsewhere),
    }


def _what_to_do(cache: Path, names: set[str], root: Path) -> str:
    """What to do about cache files that cannot be overwritten: a colleague's file the
    group may not change (its owner runs chmod), else a program holding it open."""
    files = [cache / name for name in sorted(names)]
    files += [cache / SERIES_MASK] if SERIES_VALUES in names else []  # (the values' mask)
    blocker = unwritable_file(files)
    if blocker is not None:
        return f"{advice(blocker, root)}, then erase again."
    return "close the programs that use the project and erase again."


def _refuse_undeletable(folders: list[Path], root: Path) -> None:
    """ConfigError, before anything is erased, when a run folder to delete holds a folder
    (or lies in one) this user may not change: a colleague's, made with a umask that
    keeps the group out. Its data learned from the erased files: it must go too."""
    for folder in folders:
        blocker = undeletable_part(folder)
        if blocker is not None:
            raise ConfigError(
                f"{shown(folder, root)} cannot be deleted, so nothing was erased: "
                f"{advice(blocker, root)}, then erase again."
            )
