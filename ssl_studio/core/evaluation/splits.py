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


@dataclass
class Split:
    """Positions of the train, validation and test items (validation may be empty)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    # k-fold cross-validation instead: the test positions of each fold (train = all)
    folds: list[np.ndarray] | None = None

    def to_dict(self, ids: np.ndarray) -> dict[str, Any]:
        """Item ids per part (and per fold), for the run folder."""
        out: dict[str, Any] = {
            k: [int(ids[p]) for p in getattr(self, k)] for k in ("train", "val", "test")
        }
        if self.folds is not None:
            out["folds"] = [[int(ids[p]) for p in fold] for fold in self.folds]
        return out


def group_ids(groups: list[str | None] | np.ndarray, n: int | None = None) -> np.ndarray:
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
    labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held out): about ``fraction`` of the items held out, every class on both sides."""
    classes, counts = np.unique(labels, return_counts=True)
    group_count = {c: len(np.unique(groups[labels == c])) for c in classes}
    short = [f"'{c}' ({group_count[c]})" for c in classes if group_count[c] < 2]
    if short:
        raise ConfigError(
            f"Cannot make a {what} split: the class(es) {', '.join(short)} have fewer than 2 "
            "labeled patients/items, so they cannot be on both sides. Label more examples."
        )
    n_splits = max(2, min(round(1 / fraction), min(group_count.values())))
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rest, held = next(folds.split(np.zeros(len(labels)), labels, groups))
    return rest, held


def split_labeled(
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    test_fraction: float = 0.2,
    val_fraction: float = 0.0,
    seed: int = 0,
) -> Split:
    """A stratified, patient-grouped train / val / test split of labeled items.

    labels: [N] class names; groups: [N] integer groups (see ``group_ids``). The test part
    is drawn first and never changes with ``val_fraction``; validation comes from the rest.
    """
    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1:
        raise ConfigError("test_fraction must be in (0, 1) and val_fraction in [0, 1).")
    positions = np.arange(len(labels))
    rest, test = _one_fold(labels, groups, test_fraction, seed, "test")
    val = np.empty(0, np.int64)
    if val_fraction > 0:
        share = val_fraction / (1 - test_fraction)
        keep, held = _one_fold(labels[rest], groups[rest], share, seed + 1, "validation")
        rest, val = rest[keep], rest[held]
    return Split(np.sort(positions[rest]), np.sort(positions[val]), np.sort(positions[test]))


def cross_validation_folds(
    labels: np.ndarray, groups: np.ndarray, *, folds: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """k stratified, patient-grouped (train, test) folds; k is lowered to the smallest
    class's number of groups (at least 2) so every test fold can hold every class."""
    classes = np.unique(labels)
    smallest = min(len(np.unique(groups[labels == c])) for c in classes)
    if smallest < 2:
        raise ConfigError("Cross-validation needs at least 2 labeled examples of every class.")
    k = max(2, min(folds, smallest))
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(np.zeros(len(labels)), labels, groups)]


def k_per_class(
    positions: np.ndarray, labels: np.ndarray, k: int | None, *, seed: int
) -> np.ndarray:
    """Up to k positions of each class drawn from ``positions`` (all when k is None)."""
    if k is None:
        return np.sort(positions)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels[positions]):
        mine = positions[labels[positions] == c]
        picked.append(rng.choice(mine, size=min(k, len(mine)), replace=False))
    return np.sort(np.concatenate(picked))
