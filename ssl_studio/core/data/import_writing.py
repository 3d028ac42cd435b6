"""The importer's writing side: a batch of decoded files into the cache and the project
database (items, files, problems, roots), walk errors, and the label set filled from label
columns. ``ImportWriting`` is a part of ``Importer`` (importer.py) kept in its own file;
it uses the importer's store, tally, identifiers, channel order and root bookkeeping.
Paths are stored as [redacted] until the end of the import (see import_naming.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ssl_studio.core.data.cache import CacheWriter, series_parts
from ssl_studio.core.data.content_hash import image_content_hash, series_content_hash
from ssl_studio.core.data.decode import FILE_KINDS
from ssl_studio.core.data.discovery import WalkProblem
from ssl_studio.core.data.import_naming import JOB
from ssl_studio.core.data.import_tally import LAYOUT_WORDS, LAYOUTS_DIFFER, layout_notes
from ssl_studio.core.data.privacy import (
    REDACTED,
    hide_path,
    keyed_hash,
    message_redactor,
    patient_key,
    redactor,
)
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.series_channels import (
    COLUMNS_DIFFER,
    COLUMNS_REORDERED,
    column_notes,
    columns_message,
    fold,
    named,
    reordered_note,
)
from ssl_studio.core.events import Message

if TYPE_CHECKING:
    from ssl_studio.core.data.importer import _Candidate

IMPORTED_LABELS = "imported"  # name of the label set filled from label columns


class ImportWriting:
    """Writing methods of Importer (see the module docstring)."""

    def _commit(self, batch: list[tuple[_Candidate, DecodedFile]], cache: CacheWriter) -> None:
        """Write a batch: cache bytes first (synced), then one database transaction."""
        rows = []
        for candidate, result in batch:
            if candidate.refresh:  # recorded by an unfinished import: only named now
                self._refresh(candidate, result)
                continue
            if candidate.refused:  # left out: only its identifiers were read
                result = _refused(candidate.refused, result)
            items = []
            hide = redactor(result.identifiers)  # e.g. a series named after its patient
            for item in result.items:
                if result.kind == "series":
                    named_meta = item.fields.get("meta") or {}  # reordered: names follow
                    if item is result.items[0] and named_meta.get("layout") in LAYOUT_WORDS:
                        self.csv_layouts[named_meta["layout"]] += 1
                    given = named(named_meta.get("channel_names"))
                    path = candidate.found.rel_path  # (shown redacted: _say_channel_order)
                    array = self.channel_order.align(item.array, named_meta, path)
                    if given is not None and list(map(fold, given)) != list(
                        map(fold, named_meta["channel_names"])
                    ):  # (the same names in other capitals are only spelled as the first)
                        before = self.channel_order.kept_from_before(given)
                        note = reordered_note(given, named_meta["channel_names"], before)
                        result.problems.append(  # stored: the report lists such files
                            ImportProblem(COLUMNS_REORDERED, hide(note), "info")
                        )
                    parts = series_parts(array)  # (cached and hashed alike)
                    cache_file, cache_index = cache.add_series_parts(*parts)
                    content = series_content_hash(*parts)
                    del parts
                else:
                    cache_file, cache_index = cache.add_image(item.array)
                    content = image_content_hash(item.array, item.fields)
                    source = item.fields  # (its size as read: the import's size notes)
                    if "height" in source and "width" in source:
                        self.sides.add(source["height"], source["width"], item.array.nbytes)
                fields = dict(item.fields)
                meta = _json(fields.get("meta"))
                fields["meta"] = hide(meta) if meta else meta
                patient = fields.pop("patient_id", None)  # raw, from a decoder of a test
                if patient:
                    fields["patient_key"] = patient_key(self.salt, patient)
                fields["patient_key"] = fields.get("patient_key") or fields.get("study_key")
                items.append(
                    {
                        "idx": item.index,
                        "cache_file": cache_file,
                        "cache_index": cache_index,
                        "source_kind": result.kind,
                        "content_hash": content,  # (of what is cached: the fingerprint's)
                        **fields,
                    }
                )
                if item.label is not None:
                    self.labels[(candidate.key, item.index)] = item.label
            rows.append((candidate, result, items))
        cache.sync()
        with self.store.transaction():
            for candidate, result, items in rows:
                self._save(candidate, result, items)
        self.done += len(batch)
        self._progress("decode", self.done, self.total)

    def _refresh(self, candidate: _Candidate, result: DecodedFile) -> None:
        """A file an unfinished import recorded, unchanged since: its identifiers (and
        the labels of a series file) were read again; its items stay as they are. When
        they cannot be read now, although they could be then, the names they hid are not
        known: the import is left unnamed (import_naming.py). A left-out DICOM file whose
        header no import read before (schema 5) hid nothing: it may fail now."""
        failed = {p.code for p in result.problems if p.severity == "error"}
        # (a file that fails as it failed then told nothing; nor did one never read then)
        before = candidate.before
        told = before and (before.unread or before.status != "ok" and failed <= set(before.codes))
        if failed and not told:
            self.tally.unnamed += 1
            self.tally.unread.update(failed)  # why (problem codes: never a path or name)
            return
        self.identifiers.update(result.identifiers)
        for item in result.items:
            if item.label is not None:
                self.labels[(candidate.key, item.index)] = item.label
        self._name_later(candidate, None)

    def _save(self, candidate: _Candidate, result: DecodedFile, items: list[dict]) -> None:
        """Record a file, its path as [redacted] and its problems with their path hidden
        until the end of the import names them (import_naming.py)."""
        self.identifiers.update(result.identifiers)
        severities = {p.severity for p in result.problems}
        status = "ok" if items else ("failed" if "error" in severities else "skipped")
        # (decode redacted the messages with the file's identifiers and path already)
        errors = [(p.code, p.message, p.severity) for p in result.problems]
        where = str(candidate.found.path)
        self.store.save_file(
            self.dataset_id,
            self.import_id,
            {
                "root_id": self._root_id(candidate.root_key),
                "path_key": candidate.key,
                "rel_path": REDACTED,
                "kind": FILE_KINDS.get(candidate.sniffed, "unknown"),
                "size": candidate.found.size,
                "mtime_ns": candidate.found.mtime_ns,
                "status": status,
            },
            items,
            [(code, hide_path(message, where), severity) for code, message, severity in errors],
        )
        self._name_later(candidate, errors)
        rel_path = candidate.found.rel_path  # (kept here, redacted at the end: _redact_names)
        self.tally.items += len(items)
        if status == "ok":
            self.tally.imported += 1
            self.tally.noted.update({c for c, _, sev in errors if sev in ("warning", "info")})
        else:
            setattr(self.tally, status, getattr(self.tally, status) + 1)
        for code, message, severity in errors:
            if len(self.tally.errors) < 10 and severity == "error":
                self.tally.errors.append(
                    {"path": rel_path, "code": code, "message": message, "where": where}
                )

    def _root_id(self, root_key: str) -> int:
        """The root row's id; a new root's path is [redacted] until the end of the import
        names it, a known root's stays as it is until then (import_naming.py)."""
        if root_key not in self.root_ids:
            self.root_ids[root_key] = self.store.root_id(self.dataset_id, REDACTED, root_key)
        return self.root_ids[root_key]

    def _walk_error(self, entry: WalkProblem, hide: Callable[[str], str] | None) -> None:
        """Record a problem of the walk (written once every file has been read, its path
        and a link's message redacted by ``hide``; by an import that ended before that,
        ``hide`` None, with its path [redacted] and every piece of it hidden from the
        message, as its files' problems are)."""
        path = str(entry.path.relative_to(entry.root)) if entry.path != entry.root else ""
        where, problem = str(entry.path), entry.problem
        if hide is not None:  # (a link's message names where it points: redacted too)
            shown = hide(path or str(entry.root))
            message = hide(problem.message) if entry.target else None
        else:
            shown, message = REDACTED, hide_path(problem.message, where)
            message = hide_path(message, entry.target) if entry.target else message
        root_key = keyed_hash(self.salt, "path", str(entry.root))
        self.root_paths.setdefault(root_key, str(entry.root))  # (named with the others)
        root_id, text = self._root_id(root_key), message or problem.message
        if hide is None and self._met_before(root_id, problem.code, text):
            pass  # (an earlier unfinished import recorded it: its row stands for this one)
        else:
            self.store.add_walk_error(
                self.dataset_id,
                self.import_id,
                root_id,
                shown,
                problem.code,
                text,
                problem.severity,
            )
        if problem.severity == "info":  # a link followed out of the folder (discovery.py)
            self.tally.links_followed += 1
            self.tally.files_via_links += entry.files
            return
        if problem.severity == "skipped":  # e.g. a project or an export inside the folder
            self.tally.skipped += 1
            self.tally.links_left_out += problem.code == "link-up"
            return
        self.tally.failed += 1
        if len(self.tally.errors) < 10:  # (redacted at the end: _redact_names)
            self.tally.errors.append(
                {"path": shown, "code": problem.code, "message": problem.message, "where": where}
            )

    def _met_before(self, root_id: int, code: str, message: str) -> bool:
        """Whether imports that did not finish already recorded this [redacted] problem of
        the walk: as many like it as this import has met so far. Their walks, stopped
        before it could replace what they recorded, met the same files in the same order,
        so a stopped import adds only what they did not reach (rather than each adding
        them all again)."""
        key = (root_id, code, message)
        met = self.redacted_met
        met[key] += 1
        recorded = self.store.walk_error_count(
            self.dataset_id, root_id, REDACTED, code, message, self.import_id
        )
        return met[key] <= recorded

    def _note_columns(self) -> None:
        """Store a note on each series file of the dataset whose columns are named
        otherwise than most files' (recomputed over the whole dataset at every import, so
        a renamed file loses its note), for the import report."""
        hide = message_redactor(self.known_identifiers(), anywhere=self.glued)
        files = self.store.file_channel_names(self.dataset_id)
        notes = [(f, hide(m), s) for f, m, s in column_notes(files)]
        self.store.replace_file_notes(self.dataset_id, self.import_id, COLUMNS_DIFFER, notes)
        if (said := columns_message(notes)) is not None:
            self.report(Message(JOB, said[1], level=said[0]))

    def _note_layouts(self) -> None:
        """Store a note on each CSV file of the dataset read in another layout than most
        (recomputed over the whole dataset at every import, as ``_note_columns``), for the
        import report; the import's own warning (``mixed_layouts``) only passes by."""
        notes = layout_notes(self.store.file_layouts(self.dataset_id))
        self.store.replace_file_notes(self.dataset_id, self.import_id, LAYOUTS_DIFFER, notes)

    def _save_labels(self) -> None:
        if not self.labels:
            return
        ids = self.store.item_ids_by_file(self.dataset_id)
        previous = self.store.latest_labels(self.dataset_id, IMPORTED_LABELS)
        merged = dict(previous)
        merged.update({ids[k]: v for k, v in self.labels.items() if k in ids})
        if merged != previous:
            self.store.add_label_set(
                self.dataset_id, IMPORTED_LABELS, "label columns of the imported files", merged
            )


def _refused(refusal: ImportProblem, read: DecodedFile) -> DecodedFile:
    """A file left out whose identifiers were read all the same: no items; the refusal,
    and why its identifiers could not be read (left out too), so that an import that
    reads them again can tell whether the file fails as it failed then."""
    unread = [ImportProblem(p.code, p.message, "skipped") for p in read.problems]
    return DecodedFile(kind=read.kind, problems=[refusal, *unread], identifiers=read.identifiers)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)
