"""Seeded, stratified splits grouped by patient: no patient is ever on both sides.

Positions refer to the arrays a caller passes (labels [N], groups [N]). Groups are the
salted patient keys; items without one form a group of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.bootstrap import names_patients
from ssl_studio.core.evaluation.grouped_share import held_out_share
from ssl_studio.core.evaluation.patient_groups import check_patient_groups


@dataclass
class Split:
    """Positions of the train, validation and test items (validation may be empty)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    # k-fold cross-validation instead: the test positions of each fold (train = all)
    folds: list[np.ndarray] | None = None
    # why a held-out share is not the one asked for (whole patients allow none nearer,
    # or the per-class roundings of many classes add up)
    note: str | None = None

    def to_dict(self, ids: np.ndarray) -> dict[str, Any]:
        """Item ids per part (and per fold), for the run folder."""
        out: dict[str, Any] = {
            k: [int(ids[p]) for p in getattr(self, k)] for k in ("train", "val", "test")
        }
        if self.folds is not None:
            out["folds"] = [[int(ids[p]) for p in fold] for fold in self.folds]
        if self.note:
            out["note"] = self.note
        return out


def group_ids(groups: list[str | None] | np.ndarray) -> np.ndarray:
    """Integer group per item; a missing key (None or empty) is a group of its own."""
    out = np.empty(len(groups), np.int64)
    codes: dict[str, int] = {}
    for i, key in enumerate(groups):
        if key:
            out[i] = codes.setdefault(str(key), len(codes))
        else:
            out[i] = -1 - i
    return out


def _one_fold(
    labels: np.ndarray,
    groups: np.ndarray,
    fraction: float,
    seed: int,
    what: str,
    names: list[str] | None = None,
    of_all: tuple[int, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(rest, held out, note): ``fraction`` of the items held out (to the nearest 5 %),
    whole patients at a time, stratified by class, every class on both sides; ``note``
    says the share really held out when patients' sizes allow none that near (see
    grouped_share). One item per patient: each class's own share rounded to whole items
    (``held_count``); ``note`` says so where the roundings miss the share by more than
    one item (``_rounding_note``). ``of_all`` (all labeled items, the share of them
    asked): the notes of a share drawn from what the test share left give it as a share
    of all labeled items, as it was asked."""
    classes = np.unique(labels)
    group_count = {c: len(np.unique(groups[labels == c])) for c in classes}
    short = [
        f"'{names[c] if names else c}' ({group_count[c]})" for c in classes if group_count[c] < 2
    ]
    if short:
        raise ConfigError(
            f"Cannot make a {what} split: the class(es) {', '.join(short)} have fewer than 2 "
            "labeled patients/items, so they cannot be on both sides. Label more examples."
        )
    if len(np.unique(groups)) == len(groups):  # no patient has two items: per class
        rest, held = _per_class(labels, fraction, seed)
        return rest, held, _rounding_note(labels, held, fraction, what, of_all)
    held, note = held_out_share(labels, groups, fraction, seed, of_all)
    note = f"The {what} share is {note}." if note else None
    return np.flatnonzero(~held), np.flatnonzero(held), note


def held_count(fraction: float, n: int) -> int:
    """The items of a class of ``n`` independent items that a share ``fraction`` holds
    out: round(fraction x n) (half to even), at least one and never all of them."""
    return min(n - 1, max(1, round(fraction * n)))


def _per_class(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held out) of independent items: held_count of each class."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        mine = rng.permutation(np.flatnonzero(labels == c))
        held[mine[: held_count(fraction, len(mine))]] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def _rounding_note(
    labels: np.ndarray,
    held: np.ndarray,
    fraction: float,
    what: str,
    of_all: tuple[int, float] | None = None,
) -> str | None:
    """Why a per-class share of independent items (``held``: positions) is not the
    ``fraction`` asked, when it misses it by more than one item: each class rounds its
    own share to whole items (``held_count``), and with many classes the roundings add
    up (9 classes of 12 items, 20 % asked: 2 of each, 18 of 108 = 17 %). None otherwise."""
    n = len(labels)
    total, asked = of_all or (n, fraction)
    if abs(len(held) - asked * total) <= 1:  # (within an item of what was asked)
        return None
    classes, sizes = np.unique(labels, return_counts=True)
    taken = np.array([int(np.isin(held, np.flatnonzero(labels == c)).sum()) for c in classes])
    pairs: dict[tuple[int, int], int] = {}
    for h, size in zip(taken.tolist(), sizes.tolist(), strict=True):
        pairs[(h, size)] = pairs.get((h, size), 0) + 1
    left = " left" if of_all else ""  # (of the items the test share left)
    if len(pairs) == 1:
        ((h, size),) = pairs
        how = f"{h} of each class's {size}{left}"
    else:
        shown = sorted(pairs.items(), key=lambda p: (-p[1], -p[0][1]))
        parts = [f"{h} of {size}{left} in {m} class{'es' * (m > 1)}" for (h, size), m in shown[:4]]
        how = ", ".join(parts) + (", ..." if len(shown) > 4 else "")
    if any(h != round(fraction * size) for (h, size) in pairs):  # (held_count's bounds)
        how = f"at least one, never all: {how}"
    return (
        f"The {what} share is {len(held) / total:.0%} ({len(held)} of {total} items), not "
        f"the {asked:.0%} asked: each class holds out its own share rounded to whole items "
        f"({how}), and over {len(classes)} classes the roundings add up."
    )


def split_labeled(
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    test_fraction: float = 0.2,
    val_fraction: float = 0.0,
    seed: int = 0,
    names: list[str] | None = None,
) -> Split:
    """A stratified, patient-grouped train / val / test split of labeled items.

    labels: [N] class names (or indices of ``names``); groups: [N] integer groups (see
    ``group_ids``). The test part is drawn first and never changes with ``val_fraction``;
    validation comes from the rest. A class whose items all carry one patient key is
    refused (see patient_groups.one_patient_problem).
    """
    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1:
        raise ConfigError("test_fraction must be in (0, 1) and val_fraction in [0, 1).")
    check_patient_groups(labels, groups, names)
    positions = np.arange(len(labels))
    rest, test, note = _one_fold(labels, groups, test_fraction, seed, "test", names)
    notes = [note] if note else []
    val = np.empty(0, np.int64)
    if val_fraction > 0:
        share = val_fraction / (1 - test_fraction)
        keep, held, note = _one_fold(
            labels[rest],
            groups[rest],
            share,
            seed + 1,
            "validation",
            names,
            of_all=(len(labels), val_fraction),  # (notes: of all labeled items, as asked)
        )
        rest, val = rest[keep], rest[held]
        notes += [note] if note else []
    return Split(
        np.sort(positions[rest]),
        np.sort(positions[val]),
        np.sort(positions[test]),
        note=" ".join(notes) or None,
    )


def cross_validation_folds(
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    folds: int = 5,
    seed: int = 0,
    names: list[str] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """k stratified, patient-grouped (train, test) folds; k is lowered to the smallest
    class's number of groups (at least 2) so every test fold can hold every class.
    ``names``: the class names of the label indices, for the message."""
    check_patient_groups(labels, groups, names)
    classes = np.unique(labels)
    counts = {c: len(np.unique(groups[labels == c])) for c in classes}
    few = [c for c, n in counts.items() if n < 2]  # a class of one item
    if few:
        named = ", ".join(f"'{names[c] if names else c}'" for c in few)
        raise ConfigError(
            f"Class {named} has only one labeled item, so the model can never be both "
            "trained and tested on it: every class needs at least 2. Label more examples "
            "of it, or leave it out of the label set."
        )
    smallest = min(counts.values())
    k = max(2, min(folds, smallest))
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(np.zeros(len(labels)), labels, groups)]


def k_per_class(
    positions: np.ndarray,
    labels: np.ndarray,
    k: int | None,
    *,
    seed: int,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Up to k positions of each class drawn from ``positions`` (all when k is None): the
    first k of the class's ``draw_order``. The draws of one seed are nested (the k = 5
    draw is part of the k = 10 one), so the points of a label-efficiency curve add labels
    to the same ones; with ``groups`` [N] naming patients (bootstrap.names_patients) the
    k items come from as many patients as the class has, up to k."""
    if k is None:
        return np.sort(positions)
    rng = np.random.default_rng(seed)
    picked = [
        draw_order(positions[labels[positions] == c], rng, groups)[:k]
        for c in np.unique(labels[positions])
    ]
    return np.sort(np.concatenate(picked))


def draw_order(
    mine: np.ndarray, rng: np.random.Generator, groups: np.ndarray | None = None
) -> np.ndarray:
    """The positions ``mine`` (one class's) in the seeded order labels are drawn in: a
    random permutation; with ``groups`` naming patients, one item of each patient first
    (patients in a random order), then a second item of each that has one, and so on, so
    10 labels of a class whose patients hold 10 images each come from 10 patients, not the
    6 or 7 that drawing items gives."""
    order = rng.permutation(mine)
    if groups is None or not names_patients(groups):
        return order
    patient = np.asarray(groups)[order]
    rank = np.empty(len(order), np.int64)  # how many of its patient's items come before
    count: dict[int, int] = {}
    for i, g in enumerate(patient.tolist()):
        rank[i] = count.get(g, 0)
        count[g] = rank[i] + 1
    return order[np.argsort(rank, kind="stable")]
