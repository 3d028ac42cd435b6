"""The import job: walk, compare with what the project has, decode in parallel, cache.

Phases, each reported through ``report``:

1. *discover*: walk the given folders, each by one spelling of its path whatever path
   was given (a link, other letter case: path_spelling.py), as file keys are keyed
   hashes of the path walked (projects and exports of SSL Studio inside them
   are left out, and refused as the folder given: studio_folders.py); a file whose size
   and modification time match the project's record is unchanged and is not read at
   all (fast re-import), unless an import that did not finish recorded it: then only
   its identifiers are read again, to name its path (import_naming.py).
2. *scan*: read the first bytes of new and changed files to tell DICOM, images and
   series apart; for a new dataset, the kind found most decides its modality
   (import_naming.py, which names the dataset at the end). When the folders hold those
   of a new dataset whose import did not finish, the import finishes that dataset
   instead (import_resume.py).
3. *decode*: worker processes decode files into cache-ready arrays; this process
   appends them to the cache and records files, items and problems in the database in
   small transactions, so a cancel or a crash leaves a consistent project.
4. *finish*: files no longer found are marked missing; labels found in series files
   become a label set; the paths recorded are stored redacted with every identifier
   met (until then they are [redacted]: see import_naming.py).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.config_fields import to_dict
from ssl_studio.core.data.cache import CacheReader, CacheWriter
from ssl_studio.core.data.cache_erasure import finish_scrubs
from ssl_studio.core.data.cache_sizing import SideTally, size_notes
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.discovery import Found, WalkProblem, sniff, walk
from ssl_studio.core.data.import_backfill import hash_unhashed
from ssl_studio.core.data.import_decoding import ImportDecoding
from ssl_studio.core.data.import_naming import JOB, ImportNaming, NothingToImport
from ssl_studio.core.data.import_resume import ImportResume
from ssl_studio.core.data.import_roots import ImportRoots
from ssl_studio.core.data.import_tally import (
    ImportTally,
    erased_copies_note,
    erased_note,
    mixed_layouts,
)
from ssl_studio.core.data.import_target import (
    INTERIM_NAME,
    other_cache_size,
    refuse_other_folders,
    target_dataset,
)
from ssl_studio.core.data.import_writing import ImportWriting
from ssl_studio.core.data.path_spelling import KnownRoots, canonical_spellings
from ssl_studio.core.data.privacy import REDACTED, keyed_hash, message_redactor, redactor
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.series_channels import ChannelOrder
from ssl_studio.core.data.studio_folders import left_out, refuse_studio_folders
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Message, Reporter, StopToken
from ssl_studio.core.project.deleting import delete_leftovers
from ssl_studio.core.project.store import FileRow, Store
from ssl_studio.core.project.store.imports import most_files_layout
from ssl_studio.core.project.store.unfinished_imports import name_key

__all__ = ["JOB", "Importer", "NothingToImport"]


@dataclass
class _Candidate:
    found: Found
    key: str
    root_key: str
    sniffed: str = ""
    problem: ImportProblem | None = None
    refresh: bool = False  # recorded by an unfinished import: read its identifiers only
    before: FileRow | None = None  # (of a refresh: the file as that import recorded it)
    refused: ImportProblem | None = None  # left out, its identifiers read all the same


class Importer(ImportNaming, ImportResume, ImportRoots, ImportWriting, ImportDecoding):
    """Runs one import into an open, writable store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        cfg: ImportConfig,
        report: Reporter,
        stop: StopToken,
        decoder: Callable[[DecodeTask], DecodedFile] = decode,
        scale_up_expected: bool = False,
    ) -> None:
        self.store = store
        self.cfg = cfg
        # the caller chose a cache size larger than the images on purpose: no warning
        self.scale_up_expected = scale_up_expected
        self.report = report
        self.stop = stop
        self.decoder = decoder
        self.salt = store.salt
        # the name asked for, or the folder's as given (a link's), whatever path is walked
        self.asked_name = cfg.dataset_name if cfg.name or cfg.paths else ""
        self.tally = ImportTally()
        self.identifiers: set[str] = set()
        self.recalled: set[str] = set()  # what stored paths hid (import_naming.py)
        self.glued: set[str] = set()  # those of them a letter touched (found anywhere)
        self.roots_recalled: set[int] = set()
        self.raw_roots: dict[int, str | None] = {}  # root id -> its path on disk
        # key -> (file, root key, its record) of files an unfinished import recorded
        self.unfinished: dict[str, tuple[Found, str, FileRow]] = {}
        self.named: dict[str, tuple[_Candidate, list | None]] = {}  # to name at the end
        self.resumed_roots: set[str] = set()  # of an unfinished dataset finished here
        self.gone_roots: set[str] = set()  # left unfinished, no longer on disk (import_roots.py)
        self.stale: list[tuple[dict[str, Any], list[str]]] = []  # (import_resume.py)
        self.root_ids: dict[str, int] = {}
        self.root_paths: dict[str, str] = {}  # root key -> absolute path (never stored)
        self.folders_walked: dict[Path, Path] = {}  # (import_roots.py)
        self.labels: dict[tuple[str, int], str] = {}
        self.erased: dict[str, str] = {}  # path key -> date of files erased on request
        self.done = 0  # files recorded
        self._last_progress = 0.0

    # ---- phases ------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        start = time.perf_counter()
        refuse_studio_folders(self.cfg.paths, own=self.store.paths.root)
        # one spelling per folder (a link, other letter case): the one the project knows
        # it by, then the one its dataset knows it by, so that its files keep their keys
        self._remove_empty_leftovers()
        given = self.cfg.paths
        existing = target_dataset(self.store, self.cfg)  # (by the name as given)
        if existing:  # (its roots read, and respelled, once for all these checks)
            roots = KnownRoots(self.store, existing["id"])
            spelled = roots.spellings(given)
            roots.refuse_held_respelled(spelled)
        else:  # a new dataset owes no spelling: the canonical one, for good
            spelled = canonical_spellings(given)
        self.cfg = replace(self.cfg, paths=spelled)
        if other_cache_size(existing, self.cfg):
            raise SSLStudioError(
                f"Dataset '{existing['name']}' is cached at {existing['cache_size']} px, not "
                f"{self.cfg.cache_size} px. Leave the size out to add to it, or import into a "
                "new dataset name to cache at another size."
            )
        wanted = "timeseries" if self.cfg.kind == "timeseries" else "image"
        if existing and self.cfg.kind != "auto" and existing["modality"] != wanted:
            raise SSLStudioError(
                f"Dataset '{existing['name']}' holds {existing['modality']} data, so "
                f"{self.cfg.kind} files cannot be added to it. Import them under another "
                "name (--name)."
            )
        if existing and not self.cfg.add:
            refuse_other_folders(existing, roots, spelled)
        known = self.store.known_files(existing["id"]) if existing else {}
        self.erased = self.store.erased_files()  # (of any dataset: erased is erased)
        self._finish_erasures()
        if existing and self._cache_lost(existing):  # decode every imported file again
            known = {k: replace(f, size=-1) if f.status == "ok" else f for k, f in known.items()}
        candidates, walk_problems, seen = self._discover(known)
        if existing is None:  # (every file walked is a candidate: scanned once here)
            self._scan(candidates)
            existing = self._resume_unfinished(candidates, walk_problems)
        listed = {c.key for c in candidates}
        candidates += [  # unchanged files an unfinished import recorded: name them now
            _Candidate(found, key, root_key, refresh=True, before=before)
            for key, (found, root_key, before) in self.unfinished.items()
            if key not in listed
        ]
        if existing:
            self._recall_roots(existing["id"])
        self._scan(candidates)
        dataset = existing or self._create_dataset(
            self._new_modality(candidates, walk_problems), candidates
        )
        self.dataset_id = dataset["id"]
        self.modality = dataset["modality"]
        # paths and names may hold patient names: they are stored only redacted
        options = {
            k: v for k, v in to_dict(self.cfg).items() if k not in ("project", "paths", "name")
        }  # (the name, keyed: an unfinished import is known by it; unfinished_imports.py)
        options.update(
            name_key=name_key(self.salt, self.cfg.dataset_name), named=bool(self.cfg.name)
        )
        self.gone_roots = self._gone_roots()  # (covered: their files become missing)
        self.import_id = self.store.start_import(
            self.dataset_id, options, self._given_roots() | self.gone_roots, self._root_parents()
        )
        # a crash, a kill or a full disk from here on leaves paths [redacted], the dataset
        # its interim name and this import unfinished: the next import names them
        cancelled = self._import(candidates, walk_problems, seen, dataset["cache_size"])
        if not cancelled:  # items imported before content hashes get theirs (the cache's)
            hash_unhashed(
                self.store,
                self.dataset_id,
                lambda done, total: self._progress("hash", done, total, force=done == total),
                self.stop,
            )
        if not self.scale_up_expected:
            for note in size_notes(self.sides, chosen=not self.cfg.cache_size):
                self.report(Message(JOB, note, level="warning"))
        complete = self._complete(cancelled)
        self._say_channel_order(complete)
        interim = existing is None or existing["name"].startswith(INTERIM_NAME)
        dataset = self._redact_names(dataset, created=interim, complete=complete)
        self._say_erased_copies()  # (after the paths are stored: it names them)
        if self.modality == "timeseries":
            self._note_columns()
            self._note_layouts()
        self._say_unnamed()
        hide = redactor(self.known_identifiers(), anywhere=self.glued)
        self._say_stale(hide if complete else None)
        summary = self.tally.summary(
            dataset, self.import_id, time.perf_counter() - start, cancelled
        )
        status = "cancelled" if cancelled else "done" if complete else "unnamed"
        roots = self._covered_roots(summary, seen)
        self.store.finish_import(self.import_id, status, summary, roots)
        return summary

    def _remove_empty_leftovers(self) -> None:
        """Remove the new datasets that imports killed or stopped before they recorded a
        file left behind: with no folder recorded, none is ever finished (import_resume.py),
        and each would stay in every list of datasets. None of their imports still runs:
        this one holds the project's write lock."""
        removed = self.store.remove_empty_datasets(INTERIM_NAME)
        if removed:
            names = ", ".join(f"'{name}'" for name in removed)
            self.report(
                Message(
                    JOB,
                    f"Removed {len(removed)} empty dataset(s) ({names}) left by imports that "
                    "ended before they recorded a file.",
                )
            )

    def _complete(self, cancelled: bool) -> bool:
        """Whether this import knows every identifier of the files it walked, and so may
        name their paths: it was not stopped, and every file an unfinished import had
        recorded could be read again (import_naming.py)."""
        return not cancelled and not self.tally.unnamed

    def _import(
        self,
        candidates: list[_Candidate],
        walk_problems: list[WalkProblem],
        seen: set[str],
        size: int,
    ) -> bool:
        """Decode and record the files; whether the import was cancelled."""
        cache = CacheWriter(self.store.paths.dataset_cache(self.dataset_id))
        self.sides = SideTally(size or 0)  # (images' sides, for size_notes)
        shapes = self.store.series_shapes(self.dataset_id)
        self.channel_order = ChannelOrder([names for _, names, _ in shapes])
        self.csv_layouts: Counter[str] = Counter()  # CSV files read each way
        # where auto cannot tell, read new files as most of the dataset's files were read
        self.csv_prefer = most_files_layout(shapes)  # the shapes read once above
        try:
            self._decode_all(candidates, size, cache)
        finally:
            cache.close()
        t = self.tally  # (self.done also counts files only named again: unchanged ones)
        t.files_done = t.unchanged + t.imported + t.failed + t.skipped
        if len(self.csv_layouts) > 1:  # auto decides file by file
            self.report(Message(JOB, mixed_layouts(self.csv_layouts), level="warning"))
        cancelled = self.stop.stopped
        with self.store.transaction():
            # (the folders of a dataset finished here were walked too; those gone hold none)
            gone = self.gone_roots & self.store.root_keys(self.dataset_id)
            keys = [*self._root_keys(), *sorted(self.resumed_roots), *sorted(gone)]
            if self.tally.walk_complete:  # what it met replaces what was recorded there
                self.store.clear_walk_errors(self.dataset_id, map(self._walked_root_id, keys))
                self._clear_unrooted(keys)
            # (an import that does not finish knows too few identifiers to name paths: its
            # walk problems are recorded [redacted], and the next walk replaces them)
            complete = self._complete(cancelled)
            self.redacted_met: Counter[tuple[int, str, str]] = Counter()  # (_met_before)
            hide = (  # (one redactor for them all: the identifiers are known by now)
                redactor(self.known_identifiers(), anywhere=self.glued)
                if complete and walk_problems
                else None
            )
            for problem in walk_problems:
                self._walk_error(problem, hide)
            if not cancelled:
                walked = [self._walked_root_id(key) for key in keys]
                self.tally.missing = self.store.mark_missing(walked, seen)
        self._save_labels()
        return cancelled

    def _clear_unrooted(self, walked: list[str]) -> None:
        """Forget the problems of the walk recorded before they knew their root (schema 3)
        that no folder of the dataset this import did not walk can hold: those of the
        folders walked now were met again (and recorded with their root) or went away.
        One whose path is [redacted], or lies in a folder whose stored path is, stays
        until an import walks every folder of the dataset."""
        others = [
            path
            for key, path in self.store.root_paths(self.dataset_id).items()
            if key not in walked
        ]
        if any(REDACTED in path or not os.path.isdir(path) for path in others):
            return  # (a folder it cannot look in, or one not there now: a drive unplugged)
        gone = [
            row_id
            for row_id, path in self.store.unrooted_walk_errors(self.dataset_id)
            if path
            and REDACTED not in path
            and not os.path.isabs(path)
            and not any(os.path.lexists(os.path.join(root, path)) for root in others)
        ]
        self.store.remove_walk_errors(gone)

    def _say_channel_order(self, complete: bool) -> None:
        """Say which series had their columns put in order. The message names a file: its
        path is shown redacted with every identifier the import met, or as [redacted] when
        the import ended before it knew them all (as its stored paths are)."""
        known = self.known_identifiers()
        show = redactor(known, anywhere=self.glued) if complete else (lambda _path: REDACTED)
        hide = message_redactor(known, anywhere=self.glued)  # (the column names)
        for level, text in self.channel_order.messages(show):
            self.report(Message(JOB, hide(text), level=level))

    def _cache_lost(self, dataset: dict[str, Any]) -> bool:
        """Whether cache files the dataset's items point into are gone (deleted outside the
        app, e.g. to free space) or cut short; then its unchanged files must be decoded
        again."""
        reader = CacheReader(self.store.paths.dataset_cache(dataset["id"]))
        lost = reader.lost(self.store.cache_extents(dataset["id"]))
        if lost:
            self.report(
                Message(
                    JOB,
                    f"Cached data of dataset '{dataset['name']}' is missing or cut short "
                    f"({', '.join(lost)}): its files are decoded again.",
                    level="warning",
                )
            )
        return bool(lost)

    def _root_keys(self) -> Iterator[str]:
        """Keys of the roots given (walked in full unless cancelled)."""
        for root in self.cfg.paths:
            path = os.path.abspath(root)
            key = keyed_hash(self.salt, "path", path)
            self.root_paths.setdefault(key, path)
            yield key

    def _finish_erasures(self) -> None:
        """Zero the cached bytes an interrupted erasure left (cache_erasure.finish_scrubs)
        and delete the folders an interrupted removal or erasure left (deleting.py); a
        warning for what still cannot be written or deleted."""
        for line in [*finish_scrubs(self.store)[1], *delete_leftovers(self.store)]:
            self.report(Message(JOB, line, level="warning"))

    def _say_erased_copies(self) -> None:
        """Warn of the dataset's files whose content is an erased file's (a copy, renamed
        or elsewhere: only the path of an erased file is kept out by its tombstone)."""
        if paths := self.store.erased_copies(self.dataset_id):
            self.tally.erased_copies = len(paths)
            self.report(Message(JOB, erased_copies_note(paths), level="warning"))

    def _discover(
        self, known: dict[str, FileRow]
    ) -> tuple[list[_Candidate], list[WalkProblem], set[str]]:
        candidates: list[_Candidate] = []
        problems: list[WalkProblem] = []
        seen: set[str] = set()
        own, own_left_out = self.store.paths.root.resolve(), False
        erased_met: list[tuple[str, str]] = []
        for entry in walk(self.cfg.paths):
            if self.stop.stopped:
                self.tally.walk_complete = False
                break
            if isinstance(entry, WalkProblem):
                if entry.problem.code == "ssl-studio-project" and entry.path.resolve() == own:
                    entry = WalkProblem(entry.path, entry.root, left_out("project", own=True))
                    own_left_out = True
                problems.append(entry)
                continue
            self.tally.files_seen += 1
            key = keyed_hash(self.salt, "path", str(entry.path))
            root_key = keyed_hash(self.salt, "path", str(entry.root))
            seen.add(key)
            self.root_paths.setdefault(root_key, str(entry.root))
            self._walked_folder(entry)
            if key in self.erased and key not in known:  # (core/erasure.py: kept out)
                erased_met.append((entry.rel_path, self.erased[key]))
                continue
            before = known.get(key)
            self._recall(key, root_key, entry, before)
            if before is None or before.status == "missing":
                self.tally.new += 1
                candidates.append(_Candidate(entry, key, root_key))
            elif (
                before.size == entry.size
                and before.mtime_ns == entry.mtime_ns
                and not (self.cfg.retry_failed and before.status == "failed")
            ):
                self.tally.unchanged += 1
            else:
                self.tally.changed += 1
                candidates.append(_Candidate(entry, key, root_key))
            self._progress("discover", self.tally.files_seen, None)
        self._say_left_out(problems, own_left_out)
        if erased_met:  # (counted as seen and skipped: the files are done with)
            self.tally.skipped += len(erased_met)
            self.tally.erased = len(erased_met)
            self.report(Message(JOB, erased_note(erased_met), level="warning"))
        return candidates, problems, seen

    def _say_left_out(self, problems: list[WalkProblem], own: bool) -> None:
        """One message for the projects and exports the walk left out (no paths: names
        of folders are redacted only once files were read; the report has them)."""
        if own:
            self.report(Message(JOB, "The project's own folder is left out.", level="warning"))
        codes = Counter(p.problem.code for p in problems)
        others = codes["ssl-studio-project"] + codes["ssl-studio-export"] - int(own)
        if others:
            self.report(
                Message(
                    JOB,
                    f"{others} folder(s) made by SSL Studio (projects, exports) are left out: "
                    "they hold no data. The import report lists them.",
                    level="warning",
                )
            )

    def _scan(self, candidates: list[_Candidate]) -> None:
        for done, candidate in enumerate(candidates, 1):
            if self.stop.stopped:
                return
            if candidate.sniffed or candidate.problem:
                continue  # (scanned before: _resume_unfinished)
            try:
                candidate.sniffed = sniff(candidate.found)
            except ImportProblem as problem:
                candidate.problem = problem
            self._progress("scan", done, len(candidates))
