"""The importer's dataset making and naming: a new dataset's modality (the kind of file
found most), its interim name, and its final name with every patient identifier met in
the import redacted. ``ImportNaming`` is a part of ``Importer`` (importer.py) kept in its
own file; it uses the importer's store, config, tally, identifiers and reporter.

No message names a new dataset before its files were read: until then the name it will
be stored under (the folder's name, redacted) is not known, and a folder may be named
after its patient."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ssl_studio.core.config import DEFAULT_CACHE_SIZE
from ssl_studio.core.data.decode import FILE_KINDS
from ssl_studio.core.data.discovery import WalkProblem
from ssl_studio.core.data.import_target import INTERIM_NAME
from ssl_studio.core.data.privacy import message_redactor, redactor
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Message

if TYPE_CHECKING:
    from ssl_studio.core.data.importer import _Candidate

JOB = "import"


class NothingToImport(SSLStudioError):
    """The paths hold no file that could be imported."""


class ImportNaming:
    """Dataset making and naming methods of Importer (see the module docstring)."""

    def _create_dataset(
        self, candidates: list[_Candidate], walk_problems: list[WalkProblem]
    ) -> dict[str, Any]:
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
            raise NothingToImport(
                f"No {wanted_kind}files to import were found in "
                f"{', '.join(str(p) for p in self.cfg.paths)} ({self.tally.files_seen} files "
                f"looked at: {found}). Nothing was imported; choose a folder of DICOM files, "
                "images (PNG, JPEG, TIFF, BMP) or series (CSV, TSV, NPY, NPZ)."
            )
        size = (self.cfg.cache_size or DEFAULT_CACHE_SIZE) if modality == "image" else None
        interim = self.store.free_dataset_name(INTERIM_NAME)  # named in _redact_names
        dataset_id = self.store.create_dataset(interim, modality, size)
        detail = f" (images cached at {size} px)" if size else ""
        self.report(Message(JOB, f"New {modality} dataset{detail}: named once its files are read."))
        return {
            "id": dataset_id,
            "name": interim,
            "modality": modality,
            "cache_size": size,
        }

    def _redact_names(self, dataset: dict[str, Any], created: bool) -> dict[str, Any]:
        """Redact every patient identifier met in this import from the dataset's name and
        from all its stored paths and problems: a file without names of its own (a PNG
        beside the DICOM files of its patient) may carry one in its path. A new dataset
        is called INTERIM_NAME until then, so that a name taken from a folder never
        reaches the database unredacted, not even when the import crashes; one that was
        cancelled before any file was read keeps that name."""
        hide, hide_message = redactor(self.identifiers), message_redactor(self.identifiers)
        if self.identifiers:
            self.store.redact_paths(dataset["id"], hide, hide_message)
        for error in self.tally.errors:
            message = hide_message(error["message"], error["path"])
            error.update(path=hide(error["path"]), message=message)
        if created and not self.done:
            return dataset
        asked = self.cfg.dataset_name if created else dataset["name"]
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
