"""The bootstrap that every 95 % interval of the metrics reads: which resamples are drawn
(items, or whole patients), and how a metric's resampled values become its interval."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MIN_BOOT_PATIENTS = 10  # fewer patients than this: resampling them says little
RESAMPLES_AT_ONCE = 100  # scored together (bounded memory), then a word of progress


def resampling_units(n: int, groups: np.ndarray | None) -> tuple[int, bool]:
    """(patients among ``n`` test items, whether whole patients are resampled): when
    items share patients and there are at least MIN_BOOT_PATIENTS of them."""
    patients = len(np.unique(groups)) if groups is not None else n
    return patients, MIN_BOOT_PATIENTS <= patients < n


def too_few_to_resample(patients: int, n: int) -> bool:
    """Whether ``patients`` behind ``n`` test items are too few to resample: fewer than
    MIN_BOOT_PATIENTS, and fewer than the items (so items stand in for patients, and
    their intervals are too narrow)."""
    return patients < min(n, MIN_BOOT_PATIENTS)


def names_patients(groups: np.ndarray | None) -> bool:
    """Whether ``groups`` [N] name patients: some group has a patient ID (numbered from 0;
    patient_groups.split_groups numbers groups without one, such as the exact copies of an
    image split by item, negative). Only then do reports speak of patients."""
    return groups is not None and bool((np.asarray(groups) >= 0).any())


def bootstrap_weights(
    n: int, n_boot: int, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """[n_boot, n] how often each item is in each resample: items drawn with replacement,
    or with ``groups`` [n] whole groups drawn with replacement (each brings its items)."""
    rng = np.random.default_rng(seed)
    unit, n_units = np.arange(n), n
    if groups is not None:
        names, inverse = np.unique(np.asarray(groups), return_inverse=True)
        if len(names) < n:  # some group holds several items
            unit, n_units = inverse, len(names)
    counts = np.zeros((n_boot, n_units))
    rows = np.repeat(np.arange(n_boot), n_units)
    np.add.at(counts, (rows, rng.integers(0, n_units, n_boot * n_units)), 1.0)
    return counts[:, unit]


def in_parts(
    score: Callable[[np.ndarray], dict[str, np.ndarray]],
    weights: np.ndarray,
    each: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """``score`` of the resamples ``weights`` [B, N], RESAMPLES_AT_ONCE rows at a time,
    joined (each row is scored on its own: the same figures as all at once, to the last
    bit or two of a sum); ``each(done)`` after every part (it may raise to stop)."""
    parts = []
    for start in range(0, len(weights), RESAMPLES_AT_ONCE):
        part = weights[start : start + RESAMPLES_AT_ONCE]
        parts.append(score(part))
        if each is not None:
            each(start + len(part))
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def interval(
    value: float | None, resampled: np.ndarray | None, size: int = 0
) -> dict[str, float | None]:
    """{"value", "low", "high"}: the 2.5-97.5 percentile range of a metric's ``resampled``
    values [B] (NaN where a resample leaves it undefined: left out), widened to hold
    ``value`` itself (a statistic biased in resamples, as the ECE, which only grows with
    the noise of a resample, can leave its own value outside: never claim more
    certainty). A proportion of ``size`` independent tests (0: not a proportion) that is
    0 or 1 in every resample gets the Wilson interval instead: the one rule for a figure
    whose bootstrap has no width (a perfect accuracy, sensitivity or ROC AUC: every
    resample of a perfect score is perfect), so no report, card or window shows
    [1.000, 1.000]; wilson_sizes.proportion_size says what counts as a test. A ROC AUC has
    its own rule (``auc_interval``). No interval when the value is undefined or no
    resample defines it."""
    low = high = None
    finite = resampled[np.isfinite(resampled)] if resampled is not None else np.empty(0)
    if value is not None and len(finite):
        low, high = (float(v) for v in np.percentile(finite, [2.5, 97.5]))
        low, high = min(low, value), max(high, value)
        if low == high and value in (0.0, 1.0):
            low, high = wilson(value, size)
    return {"value": value, "low": low, "high": high}


def auc_interval(
    value: float | None, resampled: np.ndarray | None, size: int
) -> dict[str, float | None]:
    """The interval of a ROC AUC (two classes, macro one-vs-rest, or one class's): the
    union of its bootstrap percentile interval (``interval``) and the Wilson interval
    of the AUC's value as a proportion of ``size`` tests, ``size`` being the smaller
    class's patients (``class_patients``; one patient per item without groups). The variance of the
    Mann-Whitney AUC of m and n items is at most A(1 - A) / min(m, n) (Birnbaum and
    Klose 1957; also used by Cortes and Mohri 2004), the variance of a proportion of
    min(m, n) tests, so that Wilson interval is a floor no AUC interval goes below: a
    ranking the resamples all keep (a perfect AUC: the bootstrap gives [1.000, 1.000])
    and one with a single pair mis-ranked get nearly the same interval (5 positives:
    1.000 [0.566, 1.000], 0.996 [0.561, 1.000]), where a rule for an AUC of exactly 1
    alone made the worse model look more certain. The rule is continuous in the AUC
    and never narrower than the bootstrap. No interval where ``interval`` gives none."""
    out = interval(value, resampled)
    if out["low"] is None or value is None or size <= 0:
        return out
    low, high = wilson(value, size)
    return {"value": value, "low": min(out["low"], low), "high": max(out["high"], high)}


def wilson(value: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``value`` of ``n`` tests (any
    share; for the metrics 0 or 1): 40 of 40 right gives 0.912-1.000. A bootstrap of a
    perfect score only ever resamples perfect scores (1.000-1.000), which claims a
    certainty 40 tests cannot give. (value, value) when ``n`` is 0 (not a proportion).
    The interval always holds ``value`` (in exact arithmetic it does; in floats 1 - 1e-16
    is not 1)."""
    if n <= 0:
        return value, value
    centre = (value + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(value * (1 - value) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return min(max(0.0, float(centre - half)), value), max(min(1.0, float(centre + half)), value)


def patient_ids(n: int, groups: np.ndarray | None) -> np.ndarray:
    """[n] the patient (group) of each of ``n`` items numbered from 0; without ``groups``
    every item is its own patient."""
    if groups is None:
        return np.arange(n)
    return np.unique(np.asarray(groups), return_inverse=True)[1].reshape(-1)


def distinct(units: np.ndarray, chosen: np.ndarray) -> int:
    """How many patients (``patient_ids``) the ``chosen`` [N] items come from: the
    independent tests a proportion of those items counts, for its Wilson interval."""
    return len(np.unique(units[chosen]))


def class_patients(y: np.ndarray, k: int, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """([K] the patients among each class's items, [K] the patients among the items of
    the other classes), counted (``distinct``), not scaled by the overall patients per
    item: 50 positive images of 2 patients beside 50 negative ones of 48 patients are 2
    positive patients, not 25."""
    own = np.array([distinct(units, y == c) for c in range(k)], np.int64)
    rest = np.array([distinct(units, y != c) for c in range(k)], np.int64)
    return own, rest


def scaled_size(count: int, n: int, patients: int) -> int:
    """How many independent tests ``count`` of ``n`` items are when the items belong to
    ``patients`` patients (at least 1; 0 stays 0: not a proportion). An approximation by
    the overall patients per item, only for stored reports, which keep no patients per
    class (auc_floor.with_auc_floor); a report being made counts them (``distinct``)."""
    return max(1, round(count * patients / n)) if count else 0


DROPPED_SAID_ABOVE = 0.01  # a card says the share of dropped resamples above this


def dropped_share(class_recall: np.ndarray, tested: np.ndarray) -> float:
    """The share of resamples that lack a class of the test items (``tested`` [K]: the
    classes the items hold), read from each resample's class recalls [B, K] (NaN where
    the resample holds no item of the class). The bootstrap is not stratified: such a
    resample is left out of every figure that needs that class (the ROC AUC, balanced
    accuracy, the macro means, that class's own figures), so with a rare class the
    intervals rest on the resamples that happened to hold it."""
    if not len(class_recall):
        return 0.0
    return float(np.isnan(class_recall[:, tested]).any(1).mean())
