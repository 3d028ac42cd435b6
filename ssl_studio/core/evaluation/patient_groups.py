"""Whether the patient keys of labeled items can keep patients apart in a split.

Files anonymised with one ID for all (PatientID "ANONYMOUS") give every item the same
salted patient key: a split grouped by patient then has one group and cannot test
anything. This module names that case before any training, and offers the way on
(splitting by item, recorded with a caveat). The fine-tuning and label-efficiency jobs
(through the splits) and the wizard's labels page all ask ``one_patient_problem``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_studio.core.errors import ConfigError

ANONYMISED = "(the files were probably anonymised with one ID for all)"
SPLIT_BY_ITEM = (
    "To go on anyway, split by item instead, knowing that the scores may then be "
    "optimistic (items of one patient may be on both sides): ssl-studio finetune or "
    "label-efficiency with --no-patient-groups, or 'Split by item' on the labels page of "
    "the fine-tune wizard."
)
ITEM_SPLIT_HINT = f"{SPLIT_BY_ITEM} Or give the files their real patient IDs and import them again."
ITEM_SPLIT_CAVEAT = "Patients not kept apart (split by item): scores may be optimistic."


@dataclass(frozen=True)
class PatientProblem:
    """Why no split can keep patients apart: ``text``, and whether the patient IDs look
    anonymised (one key for all, or one key across classes or most of the items) rather
    than a class whose items truly come from one patient (then: label more patients)."""

    text: str
    anonymised: bool

    def advice(self) -> str:
        """What to do, for the command line (the wizard words its own)."""
        if self.anonymised:
            return f"{self.text} {ITEM_SPLIT_HINT}"
        return f"{self.text} {SPLIT_BY_ITEM}"


def one_patient_problem(
    labels: np.ndarray, groups: np.ndarray, names: Sequence[str] | None = None
) -> PatientProblem | None:
    """Why no split can keep patients apart, or None when it can.

    labels: [N] classes (indices into ``names`` when given); groups: [N] patient groups
    (see splits.group_ids). A problem is a class of at least 2 labeled items that all
    carry one patient key. It looks like anonymisation when every labeled item carries the
    same key, or that class's key also holds items of another class or half the items or
    more; else the class's items truly come from one patient, and the way on is to label
    items of more patients. A class of a single item is not this problem (it needs more
    labels, see the splits).
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    if len(labels) < 2:
        return None
    if len(np.unique(groups)) == 1:
        return PatientProblem(
            f"All {len(labels)} labeled items carry the same patient ID {ANONYMISED}, so "
            "no split can keep patients apart.",
            anonymised=True,
        )
    shared, single = [], []
    for c in np.unique(labels):
        mine = labels == c
        keys = np.unique(groups[mine])
        if mine.sum() < 2 or len(keys) > 1:
            continue
        holder = groups == keys[0]
        looks = bool((holder & ~mine).any()) or 2 * int(holder.sum()) >= len(labels)
        (shared if looks else single).append(
            (names[c] if names is not None else c, int(mine.sum()))
        )
    said = []
    if shared:
        said.append(
            f"All labeled items of {_classes(shared)} carry the same patient ID, which other "
            f"items share too {ANONYMISED}, so no split can keep patients apart: that patient "
            "would have to be on both sides."
        )
    if single:
        said.append(
            f"All labeled items of {_classes(single)} come from one patient, so no split can "
            "keep patients apart: label items of "
            f"{'that class' if len(single) == 1 else 'those classes'} from at least one more "
            "patient."
        )
    return PatientProblem(" ".join(said), anonymised=bool(shared)) if said else None


def _classes(found: list[tuple[Any, int]]) -> str:
    """ "class 'a' (3 items)" or "the classes 'a' (3 items), 'b' (2 items)"."""
    each = ", ".join(f"'{name}' ({n} items)" for name, n in found)
    return f"class {each}" if len(found) == 1 else f"the classes {each}"


def check_patient_groups(
    labels: np.ndarray, groups: np.ndarray, names: Sequence[str] | None = None
) -> None:
    """Raise ConfigError with the problem and the way on (see ``one_patient_problem``)."""
    problem = one_patient_problem(labels, groups, names)
    if problem is not None:
        raise ConfigError(problem.advice())


def split_groups(
    content_hashes: Sequence[str | None], patient_keys: Sequence[str | None] | None = None
) -> np.ndarray:
    """Groups [N] that a split keeps whole (and a bootstrap resamples whole): exact copies
    (items of one content hash, data/content_hash.py: one file imported under two names,
    or twice in the folder) and, given ``patient_keys``, the items of one patient; None
    splits by item. Copies are linked through one another and through patients (a copy
    of patient A's image filed under patient B joins A and B). An item without a hash
    or key links by what it has; with neither it is a group of its own. Groups holding a
    patient key are numbered 0, 1, ...; the others -1, -2, ... (splits.group_ids'
    convention: a negative group has no patient ID)."""
    n = len(content_hashes)
    keys = patient_keys if patient_keys is not None else [None] * n
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, (digest, key) in enumerate(zip(content_hashes, keys, strict=True)):
        for link in (("hash", digest), ("patient", key)):
            if not link[1]:
                continue
            j = first.setdefault((link[0], str(link[1])), i)
            root[find(i)] = find(j)
    keyed = {find(i) for i, key in enumerate(keys) if key}
    codes: dict[int, int] = {}
    numbered = [0, 0]  # groups numbered so far: [with a patient ID, without]
    out = np.empty(n, np.int64)
    for i in range(n):  # (numbered as splits.group_ids does: negative without a patient)
        r = find(i)
        if r not in codes:
            if r in keyed:
                codes[r] = numbered[0]
                numbered[0] += 1
            else:
                numbered[1] += 1
                codes[r] = -numbered[1]
        out[i] = codes[r]
    return out


def copies_note(content_hashes: Sequence[str | None], labels: Sequence[Any]) -> str | None:
    """What a report says when labeled items are exact copies of one another (None when
    none are): how many, that copies stay in one part of the split, and how many sets of
    copies carry different labels (a labelling slip to check)."""
    sets: dict[str, set[Any]] = {}
    counts: dict[str, int] = {}
    for digest, label in zip(content_hashes, labels, strict=True):
        if digest:
            sets.setdefault(digest, set()).add(label)
            counts[digest] = counts.get(digest, 0) + 1
    copied = [d for d, c in counts.items() if c > 1]
    if not copied:
        return None
    items = sum(counts[d] for d in copied)
    text = (
        f"{items} labeled items hold the same content as another labeled item "
        f"({len(copied)} contents found more than once): each set of copies is kept in "
        "one part of the split."
    )
    clashing = sum(1 for d in copied if len(sets[d]) > 1)
    if clashing:
        text += (
            f" {clashing} set{'s' if clashing > 1 else ''} of copies "
            f"{'carry' if clashing > 1 else 'carries'} different labels: check them."
        )
    return text


def add_caveat(report: dict[str, Any]) -> dict[str, Any]:
    """Mark a metrics report as made on a split by item (its note says so)."""
    report["patients_kept_apart"] = False
    note = report.get("note")
    report["note"] = f"{ITEM_SPLIT_CAVEAT} {note}" if note else ITEM_SPLIT_CAVEAT
    return report
