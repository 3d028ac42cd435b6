"""What an import names, and when: a new dataset (its modality, its interim and final
name) and the paths of the files and folders it records, named only once it knows every
patient identifier. ``ImportNaming`` is a part of ``Importer`` (importer.py) kept in its
own file, like ``ImportWriting``; it uses the importer's store, config, tally,
identifiers and reporter.

A new dataset's modality is the kind of file found most. It is created under an interim
name (import_target.INTERIM_NAME), and no message names it before its files were read:
until then the name it will be stored under (the folder's name, redacted) is not known,
and a folder may be named after its patient. The stored name is told at the end.

A folder or file name may hold a patient's name or ID that only another file tells (a
PNG in the folder of its patient's DICOM files; the DICOM file may be read last). So
while an import runs, the paths of the files and folders it records are stored as
[redacted], and their problems with every piece of their path hidden; once every file
has been read, ``_name_files`` stores them redacted with every identifier met. An
import that never gets there (killed, a power cut, a full disk, stopped) leaves only
[redacted] behind, and its import row unfinished: the next import of these files reads
their identifiers again (a DICOM header, not its pixels; nothing of an image, whose
cached pixels stay as they are), whatever kind of file it asks for, and names them. A
dataset keeps its interim name until then too. When one of those files cannot be read
again although it could then (it imported, or failed in another way), the names it hid
are lost: that import names nothing either, and is left unfinished ("unnamed") for the
next one to try again. A DICOM file left out of a dataset (not the kind asked for) has
its identifiers read all the same, as its neighbours' paths may hold them.

Identifiers are never stored, not even as keys. What earlier imports hid is learned
again from their stored paths (``privacy.hidden_values``): a re-import sees the raw path
of every file and folder it met before, so a changed or new file is redacted with the
names its unchanged neighbours' headers gave, although those are not read again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssl_studio.core.data.cache_sizing import chosen_text, probe_sides
from ssl_studio.core.data.decode import FILE_KINDS
from ssl_studio.core.data.discovery import Found, WalkProblem
from ssl_studio.core.data.import_tally import unread_reasons
from ssl_studio.core.data.import_target import INTERIM_NAME
from ssl_studio.core.data.privacy import (
    REDACTED,
    hidden_values,
    hide_path,
    keyed_hash,
    message_redactor,
    redactor,
)
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Message
from ssl_studio.core.project.store import FileRow

if TYPE_CHECKING:
    from ssl_studio.core.data.importer import _Candidate

JOB = "import"  # the job's name in its events (importer.JOB)


class NothingToImport(SSLStudioError):
    """The paths hold no file that could be imported."""


class ImportNaming:
    """Dataset making and naming methods of Importer (see the module docstring)."""

    # ---- a new dataset -----------------------------------------------------------------------

    def _new_modality(self, candidates: list[_Candidate], walk_problems: list[WalkProblem]) -> str:
        """The modality of a new dataset of these files: the kind found most (raises
        NothingToImport when none is of the kind asked for)."""
        kinds = Counter(FILE_KINDS[c.sniffed] for c in candidates if c.sniffed)
        if self.cfg.kind == "timeseries" or (
            self.cfg.kind == "auto" and kinds["series"] > kinds["dicom"] + kinds["image"]
        ):
            modality = "timeseries"
        else:
            modality = "image"
        wanted = {
            "auto": kinds.total(),
            "dicom": kinds["dicom"],
            "image": kinds["image"],
            "timeseries": kinds["series"],
        }[self.cfg.kind]
        if not wanted and not self.stop.stopped:
            reasons = Counter(c.problem.code for c in candidates if c.problem)
            reasons.update(p.problem.code for p in walk_problems)
            reasons.update({"other kind": kinds.total()} if kinds.total() else {})
            found = ", ".join(f"{n} {code}" for code, n in reasons.most_common()) or "no files"
            wanted_kind = "" if self.cfg.kind == "auto" else f"{self.cfg.kind} "
            chosen = "the folder or file" if len(self.cfg.paths) == 1 else "the folders"
            raise NothingToImport(  # no path: a folder may be named after a patient
                f"No {wanted_kind}files to import were found in {chosen} you chose "
                f"({self.tally.files_seen} files "
                f"looked at: {found}). Nothing was imported; choose a folder of DICOM files, "
                "images (PNG, JPEG, TIFF, BMP) or series (CSV, TSV, NPY, NPZ)."
            )
        return modality

    def _cache_size(self, candidates: list[_Candidate]) -> tuple[int, str]:
        """(cache size, why) of a new image dataset of these files: the size asked for,
        else one that does not upscale them (cache_sizing.py)."""
        if self.cfg.cache_size:
            return self.cfg.cache_size, f"images cached at {self.cfg.cache_size} px"
        files = [
            (c.found.path, c.sniffed, c.found.size)
            for c in candidates
            if c.sniffed
            and FILE_KINDS[c.sniffed] in ("image", "dicom")
            and self.cfg.kind in ("auto", FILE_KINDS[c.sniffed])
        ]
        probe = probe_sides(files)
        return probe.size, chosen_text(probe)

    def _create_dataset(self, modality: str, candidates: list[_Candidate]) -> dict[str, Any]:
        size, why = self._cache_size(candidates) if modality == "image" else (None, "")
        interim = self.store.free_dataset_name(INTERIM_NAME)  # named in _redact_names
        dataset_id = self.store.create_dataset(interim, modality, size)
        detail = f": {why}. It is" if size else ","
        self.report(Message(JOB, f"New {modality} dataset{detail} named once its files are read."))
        if self.cfg.add:  # (asked to add to a dataset that is not there: say so)
            unfinished = [
                d["name"]
                for d in self.store.datasets()
                if d["name"].startswith(INTERIM_NAME) and d["id"] != dataset_id
            ]
            finish = (
                f" An earlier import that was stopped left '{unfinished[0]}': import its "
                "folder again to finish that one."
                if unfinished
                else ""
            )
            text = f"No dataset of that name to add to, so these files make a new one.{finish}"
            self.report(Message(JOB, text, level="warning"))
        return {
            "id": dataset_id,
            "name": interim,
            "modality": modality,
            "cache_size": size,
        }

    # ---- what stored paths hid ---------------------------------------------------------------

    def _recall(self, key: str, root_key: str, found: Found, before: FileRow | None) -> None:
        """Learn what the stored paths of a file met before, and of its root, hid; note a
        file an unfinished import recorded (its identifiers are read again)."""
        if before is None:
            return
        if before.pending:
            self.unfinished[key] = (found, root_key, before)
            if before.rel_path == REDACTED:  # (recorded unnamed: it hides nothing known)
                return  # (else a left-out DICOM file an older import named: schema.py)
        root = self._raw_root(before, found, root_key)
        if root is None:  # (cannot be: the file's path lies in its root)
            return
        if before.root_id not in self.roots_recalled and before.root_path != REDACTED:
            self.roots_recalled.add(before.root_id)  # once per root
            self.recalled.update(hidden_values(before.root_path, root, self.glued))
        if REDACTED in before.rel_path:
            rel = found.path.name if str(found.path) == root else found.path.relative_to(root)
            self.recalled.update(hidden_values(before.rel_path, Path(rel).as_posix(), self.glued))

    def _raw_root(self, before: FileRow, found: Found, root_key: str) -> str | None:
        """The path on disk of the root a file was recorded under: the folder walked now,
        or the one of its folders (or itself) whose path key is that root's."""
        if before.root_key == root_key:
            return str(found.root)
        if before.root_id not in self.raw_roots:
            self.raw_roots[before.root_id] = next(
                (
                    str(folder)
                    for folder in (found.path, *found.path.parents)
                    if keyed_hash(self.salt, "path", str(folder)) == before.root_key
                ),
                None,
            )
        return self.raw_roots[before.root_id]

    def _recall_roots(self, dataset_id: int) -> None:
        """Learn what the stored paths of the dataset's roots hid from the folders walked
        now: the same folders, or files and folders inside them."""
        stored = self.store.root_paths(dataset_id)
        for raw in self.root_paths.values():
            for folder in (Path(raw), *Path(raw).parents):
                shown = stored.get(keyed_hash(self.salt, "path", str(folder)))
                if shown and shown != REDACTED:  # (REDACTED: an unfinished import's)
                    self.recalled.update(hidden_values(shown, str(folder), self.glued))

    def known_identifiers(self) -> set[str]:
        """Every identifier this import met or learned again from stored paths."""
        return self.identifiers | self.recalled

    def _say_unnamed(self) -> None:
        """Say that files an unfinished import recorded could not be read again, so
        this import named nothing (no path: it is what the import could not name)."""
        if not self.tally.unnamed:
            return
        why, do = unread_reasons(self.tally.unread)
        self.report(
            Message(
                JOB,
                f"{self.tally.unnamed} file(s) that an earlier import, which did not finish, "
                f"had imported could not be read again: {why}. The names of patients they "
                "hold are not known, so the paths this import recorded stay hidden "
                f"([redacted]) and the import is left unfinished. {do[0].upper()}{do[1:]}, "
                "and import the folder again to finish it.",
                level="warning",
            )
        )

    # ---- naming at the end -------------------------------------------------------------------

    def _name_later(
        self, candidate: _Candidate, problems: list[tuple[str, str, str]] | None
    ) -> None:
        """Remember a recorded file (and its problems, as decode redacted them; None: keep
        the stored ones) to name at the end of the import."""
        self.named[candidate.key] = (candidate, problems)

    def _name_files(
        self, hide: Callable[[str], str], hide_message: Callable[[str, str], str]
    ) -> None:
        """Store the real, redacted paths of the files and folders this import recorded."""
        files = []
        for key, (candidate, problems) in self.named.items():
            where = str(candidate.found.path)
            if problems is not None:
                problems = [(c, hide_message(m, where), s) for c, m, s in problems]
            files.append((key, candidate.root_key, hide(candidate.found.rel_path), problems))
        # (a file an unfinished import recorded may have been found through another root)
        keys = set(self.root_ids) | {root for _, root, _, _ in files}
        roots = {key: hide(self.root_paths[key]) for key in keys}
        self.store.name_files(self.dataset_id, self.import_id, files, roots, hidden=REDACTED)

    def _redact_names(
        self, dataset: dict[str, Any], created: bool, complete: bool = True
    ) -> dict[str, Any]:
        """Name the paths this import recorded (until now [redacted]) with every patient
        identifier it met or learned again from stored paths, and redact those from the
        dataset's name and from all its stored paths and problems: a file without names of
        its own (a PNG beside the DICOM files of its patient) may carry one in its path.
        A new dataset is called INTERIM_NAME until then (``created``: it still is), so a
        name taken from a folder never reaches the database unredacted; its stored name is
        told now. An import that was stopped (not ``complete``) has not read every file,
        so it names nothing: the next import does (see the module docstring)."""
        known = self.known_identifiers()
        glued = self.glued  # (found anywhere: a letter touched each where it was hidden)
        hide = redactor(known, anywhere=glued)
        hide_message = message_redactor(known, anywhere=glued)
        for error in self.tally.errors:  # (the first problems, for the summary)
            where = error.pop("where", error["path"])
            if complete:
                error.update(
                    path=hide(error["path"]), message=hide_message(error["message"], where)
                )
            else:
                message = hide_path(hide_message(error["message"], where), where)
                error.update(path=REDACTED, message=message)
        if not complete:
            return dataset
        self._name_files(hide, hide_message)
        if known:
            self.store.redact_paths(dataset["id"], hide, hide_message)
            for copy in self.store.removed_copies:
                self.report(
                    Message(
                        JOB,
                        f"Removed {copy}, the copy of the project database from before its "
                        "upgrade: it held file paths with patient identifiers, which this "
                        "import has now hidden in the project.",
                        level="warning",
                    )
                )
            self.store.removed_copies.clear()
        asked = self.asked_name if created else dataset["name"]
        wanted = hide(asked)
        if wanted == dataset["name"]:
            return dataset
        name = self.store.free_dataset_name(wanted)
        self.store.rename_dataset(dataset["id"], name)
        if wanted != asked:
            self.report(
                Message(
                    JOB,
                    "The dataset's name held a patient identifier found in its files, so it "
                    f"is stored as '{name}'.",
                    level="warning",
                )
            )
        elif created:
            self.report(Message(JOB, f"The new dataset is named '{name}'."))
        return {**dataset, "name": name}
