"""Whether the patient keys of labeled items can keep patients apart in a split.

Files anonymised with one ID for all (PatientID "ANONYMOUS") give every item the same
salted patient key: a split grouped by patient then has one group and cannot test
anything. This module names that case before any training, and offers the way on
(splitting by item, recorded with a caveat). The fine-tuning and label-efficiency jobs
(through the splits) and the wizard's labels page all ask ``one_patient_problem``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ssl_studio.core.errors import ConfigError

ANONYMISED = "(the files were probably anonymised with one ID for all)"
ITEM_SPLIT_HINT = (
    "To go on anyway, split by item instead, knowing that the scores may then be "
    "optimistic (items of one patient may be on both sides): ssl-studio finetune or "
    "label-efficiency with --no-patient-groups, or 'Split by item' on the labels page of "
    "the fine-tune wizard. Or give the files their real patient IDs and import them again."
)
ITEM_SPLIT_CAVEAT = "Patients not kept apart (split by item): scores may be optimistic."


def one_patient_problem(
    labels: np.ndarray, groups: np.ndarray, names: Sequence[str] | None = None
) -> str | None:
    """Why no split can keep patients apart, or None when it can.

    labels: [N] classes (indices into ``names`` when given); groups: [N] patient groups
    (see splits.group_ids). A problem is a class of at least 2 labeled items that all
    carry one patient key; when every labeled item carries the same key it is said so.
    A class of a single item is not this problem (it needs more labels, see the splits).
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    if len(labels) < 2:
        return None
    if len(np.unique(groups)) == 1:
        return (
            f"All {len(labels)} labeled items carry the same patient ID {ANONYMISED}, so "
            "no split can keep patients apart."
        )
    alone = [
        (names[c] if names is not None else c, int((labels == c).sum()))
        for c in np.unique(labels)
        if (labels == c).sum() >= 2 and len(np.unique(groups[labels == c])) == 1
    ]
    if not alone:
        return None
    if len(alone) == 1:
        name, n = alone[0]
        return (
            f"All {n} labeled items of class '{name}' carry the same patient ID {ANONYMISED}, "
            "so no split can keep patients apart: that patient would have to be on both "
            "sides."
        )
    each = ", ".join(f"'{name}' ({n} items)" for name, n in alone)
    return (
        f"All labeled items of each of the classes {each} carry the same patient ID "
        f"{ANONYMISED}, so no split can keep patients apart: those patients would have to "
        "be on both sides."
    )


def check_patient_groups(
    labels: np.ndarray, groups: np.ndarray, names: Sequence[str] | None = None
) -> None:
    """Raise ConfigError with the problem and the way on (see ``one_patient_problem``)."""
    problem = one_patient_problem(labels, groups, names)
    if problem is not None:
        raise ConfigError(f"{problem} {ITEM_SPLIT_HINT}")


def item_groups(n: int) -> np.ndarray:
    """Groups [n] that split by item: every item a group of its own."""
    return np.arange(n, dtype=np.int64)


def add_caveat(report: dict[str, Any]) -> dict[str, Any]:
    """Mark a metrics report as made on a split by item (its note says so)."""
    report["patients_kept_apart"] = False
    note = report.get("note")
    report["note"] = f"{ITEM_SPLIT_CAVEAT} {note}" if note else ITEM_SPLIT_CAVEAT
    return report
