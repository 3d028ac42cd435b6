"""How a fine-tune splits its labels, and how many of them it trains on: one rule for
the fine-tuning job (and what its ``auto`` protocol picks) and for the wizard, which
recommends a protocol before anything is trained.

Positions refer to the arrays a caller passes (y [N] class indices, groups [N]).
"""

from __future__ import annotations

import numpy as np

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.evaluation.patient_groups import split_groups
from ssl_studio.core.evaluation.splits import (
    Split,
    cross_validation_folds,
    held_count,
    k_per_class,
    split_labeled,
)
from ssl_studio.core.finetune.data import positive_class
from ssl_studio.core.finetune_config import FinetuneConfig

CV_BELOW = 10  # cross-validate automatically when a class has fewer labeled patients
# a threshold picked on fewer validation patients (items) per class than this rests on one
# or two images: with n positives, sensitivity moves in steps of 1/n, so a 0.9 target is
# "all of them" below 10 and a single image decides the threshold below 5
THRESHOLD_MIN_PER_CLASS = 5
CV_FOLDS = 5


def planned_folds(smallest_class_patients: int, cfg: FinetuneConfig) -> int:
    """Cross-validation folds a job will use (0: one held-out test split): ``cfg.folds``
    when set; else 5 when a class has fewer than 10 labeled patients, unless a threshold
    is to be picked or the split is fixed (split_from, k_per_class; FinetuneConfig
    refuses folds >= 2 with these). Never more folds than the smallest class has
    patients (each test fold holds every class)."""
    if cfg.folds == 1 or cfg.split_from is not None or cfg.k_per_class is not None:
        return 0
    if cfg.folds >= 2:
        wanted = cfg.folds
    elif smallest_class_patients < CV_BELOW and cfg.threshold == "default":
        wanted = CV_FOLDS
    else:
        return 0
    return max(2, min(wanted, smallest_class_patients))


def planned_split(
    y: np.ndarray,
    groups: np.ndarray,
    cfg: FinetuneConfig,
    names: list[str],
    reused: Split | None = None,
) -> Split:
    """The split a fine-tune of ``cfg`` uses: cross-validation folds (training on every
    label) where planned_folds says so, else ``reused`` (an earlier run's split) or a new
    held-out test (and validation) split; then at most ``cfg.k_per_class`` training
    labels per class."""
    if reused is None:
        smallest = min(len(np.unique(groups[y == c])) for c in range(len(names)))
        folds = planned_folds(smallest, cfg)
        if folds:
            parts = cross_validation_folds(y, groups, folds=folds, seed=cfg.seed, names=names)
            everything = np.arange(len(y))
            empty = np.empty(0, np.int64)
            return Split(everything, empty, empty, [np.sort(test) for _, test in parts])
    split = reused or split_labeled(
        y,
        groups,
        test_fraction=cfg.test_fraction,
        val_fraction=cfg.val_fraction,
        seed=cfg.seed,
        names=names,
    )
    if cfg.k_per_class is not None:
        split.train = k_per_class(split.train, y, cfg.k_per_class, seed=cfg.seed, groups=groups)
    return split


def smallest_training_class(split: Split, y: np.ndarray, n_classes: int) -> int:
    """Training labels of the smallest class: what ``auto`` chooses a protocol by."""
    return int(np.bincount(y[split.train], minlength=n_classes).min())


def _plan_arrays(
    keys: list[tuple[str, str | None, str | None]], cfg: FinetuneConfig
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(class names, y [N], groups [N]) of the usable labeled items' (label, patient key,
    content hash), as the fine-tuning job makes them."""
    labels = [label for label, _, _ in keys]
    classes = positive_class(sorted(set(labels)), cfg.positive)
    y = np.array([classes.index(n) for n in labels], np.int64)
    patients = [key for _, key, _ in keys] if cfg.group_by_patient else None
    groups = split_groups([digest for _, _, digest in keys], patients)
    return classes, y, groups


def training_labels_per_class(
    keys: list[tuple[str, str | None, str | None]], cfg: FinetuneConfig
) -> int:
    """Training labels of the smallest class that a fine-tune of ``cfg`` would get, from
    the usable labeled items' (label, patient key, content hash) in item order, as the job
    reads them (Store.labeled_split_keys): the wizard's recommendation is then what
    ``--protocol auto`` picks."""
    classes, y, groups = _plan_arrays(keys, cfg)
    return smallest_training_class(planned_split(y, groups, cfg, classes), y, len(classes))


def validation_labels_per_class(
    keys: list[tuple[str, str | None, str | None]], cfg: FinetuneConfig
) -> int:
    """Validation patients (items, where none are named) of the smallest class that a
    fine-tune of ``cfg`` would pick its threshold on (keys as training_labels_per_class):
    the split the job will make, not an estimate (the test share is taken first, the
    validation share from the rest, each rounded per class; with patients, shares are
    filled by items). 0 when the split has no validation share or cannot be made."""
    classes, y, groups = _plan_arrays(keys, cfg)
    try:
        val = planned_split(y, groups, cfg, classes).val
    except SSLStudioError:  # too few labels for the split: the job would refuse it
        return 0
    return min(len(np.unique(groups[val][y[val] == c])) for c in range(len(classes)))


def needed_for_threshold(test_fraction: float, val_fraction: float) -> int:
    """The labeled items per class (independent ones: no patient has two) whose split,
    test share first, holds THRESHOLD_MIN_PER_CLASS of the class in the validation share
    ``val_fraction`` (split_labeled's rounding)."""
    n = 3
    while n < 100_000:
        rest = n - held_count(test_fraction, n)
        if held_count(val_fraction / (1 - test_fraction), rest) >= THRESHOLD_MIN_PER_CLASS:
            return n
        n += 1
    return n
