"""What the readers hand to the importer: decoded items, per-file problems.

Readers never touch the project database or the cache; they turn one file into
plain records that the importer writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


class ImportProblem(Exception):
    """A file (or part of one) that cannot be imported.

    ``code`` is short and stable (``"dicom-no-pixels"``, ``"csv-ragged"``) so tests and
    scripts can rely on it; ``message`` says, for a person, what is wrong and what to do.
    ``severity`` is ``"error"`` for a file that should have imported and did not, and
    ``"skipped"`` for a file that is simply not data (a README, a labels CSV next to images).
    """

    def __init__(self, code: str, message: str, severity: str = "error") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.severity = severity
        self.identifiers: list[str] = []  # of the file, when known (to redact, never stored)

    def __reduce__(self):  # keep code/severity when crossing a process boundary
        return (type(self), (self.code, self.message, self.severity))


@dataclass
class DecodedItem:
    """One item of a file: a DICOM frame, an image (page) or one series.

    array: images ``[C, S, S]`` uint8/uint16, already letterboxed to the cache size;
    series ``[C, T]`` float32 with NaN where a value is missing.
    fields: columns for the ``items`` table (see ``project.schema.ITEM_COLUMNS``), plus
    ``patient_id`` (a raw identifier the decoding worker replaces by its salted
    ``patient_key`` before the item leaves it).
    """

    index: int
    array: np.ndarray
    fields: dict[str, Any] = field(default_factory=dict)
    label: str | None = None


@dataclass
class DecodedFile:
    """Everything a worker learned from one file."""

    kind: str  # "dicom" | "image" | "series"
    items: list[DecodedItem] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Values that identify the patient in this file. They never leave the worker's result
    # except to redact paths and messages in the importer; they are never stored.
    identifiers: list[str] = field(default_factory=list)
