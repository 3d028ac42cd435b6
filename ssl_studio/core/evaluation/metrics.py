"""Classification metrics with bootstrap 95 % confidence intervals (scikit-learn); the
operating-threshold picker for binary models is in threshold.py.

Inputs: y [N] integer classes 0..K-1; proba [N, K] class probabilities (rows sum to 1).
Binary models (K = 2) call class 1 the positive class and predict it when its
probability reaches ``threshold`` (0.5 unless one was picked on validation data).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.auc_floor import smallest_class
from ssl_studio.core.evaluation.bootstrap import (
    auc_interval,
    bootstrap_weights,
    class_patients,
    dropped_share,
    in_parts,
    interval,
    names_patients,
    patient_ids,
    resampling_units,
    too_few_to_resample,
)
from ssl_studio.core.evaluation.calibration import (
    calibrated_reference,
    expected_calibration_error,
    resampled_ece,
)
from ssl_studio.core.evaluation.metric_names import metric_title as metric_title
from ssl_studio.core.evaluation.per_class import per_class_report
from ssl_studio.core.evaluation.reliability import reliability_table
from ssl_studio.core.evaluation.wilson_sizes import proportion_size
from ssl_studio.core.wording import counted

SCALARS = (
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "sensitivity",
    "specificity",
    "f1",
    "ece",
)


def predict(proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Predicted classes [N]: argmax, or for binary models p(class 1) >= threshold."""
    if proba.shape[1] == 2 and threshold is not None:
        return (proba[:, 1] >= threshold).astype(np.int64)
    return proba.argmax(axis=1)


def _specificity(y: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """Binary: recall of class 0; multi-class: mean over classes of the one-vs-rest
    true-negative rate."""
    if k == 2:
        return float(recall_score(y, predicted, pos_label=0, zero_division=0))
    matrix = confusion_matrix(y, predicted, labels=np.arange(k))
    rates = []
    for c in range(k):
        negatives = matrix.sum() - matrix[c, :].sum()
        true_negatives = negatives - (matrix[:, c].sum() - matrix[c, c])
        rates.append(true_negatives / negatives if negatives else np.nan)
    return float(np.nanmean(rates))


def point_metrics(
    y: np.ndarray, proba: np.ndarray, threshold: float | None = None
) -> dict[str, float | None]:
    """The scalar metrics of one set of predictions; None where y lacks a class the
    metric needs (roc_auc and the macro sensitivity, specificity and F1: any class;
    binary sensitivity: the positives; binary specificity: the negatives). Balanced
    accuracy is the mean recall of the classes y holds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a test set may lack a class: handled below
        return _point_metrics(y, proba, threshold)


def _point_metrics(
    y: np.ndarray, proba: np.ndarray, threshold: float | None
) -> dict[str, float | None]:
    k = proba.shape[1]
    predicted = predict(proba, threshold)
    binary = k == 2
    average = "binary" if binary else "macro"
    present = np.unique(y)
    if len(present) < 2:
        auc = None
    elif binary:
        auc = float(roc_auc_score(y, proba[:, 1]))
    elif len(present) == k:
        auc = float(roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    else:
        auc = None
    labels = np.arange(k)
    # a class absent from y has no recall: binary sensitivity needs positives and
    # specificity negatives; the macro means need every class (as the AUC does): a
    # class the model knows but the items lack would otherwise drop out of the mean
    every = len(present) == k
    has_positives, has_negatives = (1 in present, 0 in present) if binary else (every, every)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        # (the mean recall of the classes held; of one class alone it is no balance: for
        # items of one class it would be that class's recall under another name)
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted))
        if len(present) > 1
        else None,
        "roc_auc": auc,
        "sensitivity": float(
            recall_score(y, predicted, average=average, labels=labels, zero_division=0)
        )
        if has_positives
        else None,
        "specificity": _specificity(y, predicted, k) if has_negatives else None,
        "f1": float(f1_score(y, predicted, average=average, labels=labels, zero_division=0))
        if (has_positives if binary else every)
        else None,
        "ece": expected_calibration_error(y, proba),
    }


def classification_report(
    y: np.ndarray,
    proba: np.ndarray,
    classes: list[str],
    *,
    threshold: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    groups: np.ndarray | None = None,
    each: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Every metric with its bootstrap 95 % interval, plus the confusion matrix
    (``each``: see ``bootstrapped``).

    Returns {"n", "classes", "threshold", "confusion" [K][K] (rows: truth), where
    ``groups`` name patients "patients" (how many) and "class_patients" [K] (among each
    class's items), for two
    classes with both present "roc" {"fpr": [...], "tpr": [...]} (the ROC curve's corners),
    for two classes "reliability" (reliability.py: predicted against observed in bins),
    and per metric {"value", "low", "high"}}. The interval is the 2.5-97.5 percentile
    range over ``n_boot`` resamples of the test items (with replacement); resamples
    where a metric is undefined (a class missing) are left out for that metric. With
    ``groups`` [N] (the patient of each item) whole patients are resampled: ten images of
    one patient are not ten independent tests, and resampling images made the intervals
    too narrow (20 patients x 10 images: AUC interval 0.70-0.83 where patients give
    0.56-0.93). With fewer than ``MIN_BOOT_PATIENTS`` patients (one patient resampled is
    always the same: a zero-width interval) items are resampled and ``note`` says so.
    """
    scored = bootstrapped(
        y, proba, threshold=threshold, n_boot=n_boot, seed=seed, groups=groups, each=each
    )
    return report_of(scored, classes)


@dataclass(frozen=True)
class Bootstrapped:
    """One model's predictions on the test items scored once: the point metrics and the
    metrics of every bootstrap resample. The report and the paired comparison with a
    baseline both read it, so the resamples (the costly part: one AUC pass per class
    over all of them) are computed once per model.

    y [N] classes, proba [N, K] probabilities; samples: ``resampled_metrics`` of the
    ``n_boot`` resamples drawn with ``seed`` ({} when ``n_boot`` is 0); patients: how
    many patients (groups) the items come from, by_patient: whether whole groups are
    resampled, named_patients: whether the groups name patients (not only exact copies);
    class_patients [K]: the patients among each class's items, rest_patients [K]: among
    the items of the other classes, units [N]: the patient of each item
    (bootstrap.patient_ids), counted exactly for the Wilson sizes (wilson_sizes.py,
    the AUC floors, per_class.py, reliability.py): classes may have very different
    patients per item. Without groups (or one item per patient) these are item counts.
    """

    y: np.ndarray
    proba: np.ndarray
    threshold: float | None
    n_boot: int
    seed: int
    patients: int
    by_patient: bool
    point: dict[str, float | None]
    samples: dict[str, np.ndarray] = field(repr=False)
    class_patients: np.ndarray
    rest_patients: np.ndarray
    units: np.ndarray = field(repr=False)
    named_patients: bool = True

    @property
    def unit(self) -> str:
        """What the resamples drew, in words: "patients", or "items" (exact copies of one
        image, grouped without patient IDs, go together but are no patients)."""
        return "patients" if self.by_patient and self.named_patients else "items"


def bootstrapped(
    y: np.ndarray,
    proba: np.ndarray,
    *,
    threshold: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    groups: np.ndarray | None = None,
    each: Callable[[int], None] | None = None,
) -> Bootstrapped:
    """Score ``proba`` [N, K] against ``y`` [N] on the point and on ``n_boot`` resamples
    (whole patients of ``groups`` [N] when they are enough, see ``classification_report``);
    the same seed and groups give every model the same resamples. ``each(done)`` is
    called after every bootstrap.RESAMPLES_AT_ONCE resamples scored (it may raise to stop)."""
    y = np.asarray(y, np.int64)
    proba = np.asarray(proba, np.float64)
    if proba.ndim != 2 or len(y) != len(proba):
        raise ConfigError("Metrics need one probability per class for every example.")
    if len(y) == 0:
        raise ConfigError("There are no examples to evaluate.")
    patients, by_patient = resampling_units(len(y), groups)
    weights = bootstrap_weights(len(y), n_boot, seed, groups if by_patient else None)
    units = patient_ids(len(y), groups)
    own, rest = class_patients(y, proba.shape[1], units)
    return Bootstrapped(
        y=y,
        proba=proba,
        threshold=threshold,
        n_boot=n_boot,
        seed=seed,
        patients=patients,
        by_patient=by_patient,
        point=point_metrics(y, proba, threshold),
        samples=in_parts(partial(resampled_metrics, y, proba, threshold=threshold), weights, each)
        if n_boot
        else {},
        class_patients=own,
        rest_patients=rest,
        units=units,
        named_patients=names_patients(groups),
    )


def report_of(scored: Bootstrapped, classes: list[str]) -> dict[str, Any]:
    """The ``classification_report`` of predictions already scored by ``bootstrapped``."""
    y, proba, threshold = scored.y, scored.proba, scored.threshold
    n_boot, seed, patients, samples = scored.n_boot, scored.seed, scored.patients, scored.samples
    if proba.shape[1] != len(classes):
        raise ConfigError("Metrics need one probability per class for every example.")
    point, predicted = scored.point, predict(proba, threshold)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "classes": list(classes),
        "threshold": threshold,
        "resampled": scored.unit,
        "confusion": confusion_matrix(y, predicted, labels=np.arange(len(classes))).tolist(),
    }
    if scored.named_patients:  # the patients the items come from, in all and per class
        out["patients"] = int(patients)
        out["class_patients"] = scored.class_patients.tolist()
    if len(classes) == 2 and len(np.unique(y)) == 2:
        fpr, tpr, _ = roc_curve(y, proba[:, 1])
        out["roc"] = {"fpr": fpr.round(4).tolist(), "tpr": tpr.round(4).tolist()}
    if scored.named_patients and too_few_to_resample(patients, len(y)):
        out["note"] = (
            f"Only {counted(patients, 'patient')} among the {len(y)} test items: too few to "
            "resample "
            "patients, so the intervals resample items and are too narrow. Test on more "
            "patients."
        )
    for name in SCALARS:
        if name == "roc_auc":  # never narrower than the AUC's variance bound allows
            size = smallest_class(scored.class_patients)
            out[name] = auc_interval(point[name], samples.get(name), size)
        else:
            size = proportion_size(name, scored.class_patients, scored.rest_patients, patients)
            out[name] = interval(point[name], samples.get(name), size)
    out["ece"].update(calibrated_reference(proba, seed=seed))  # its upward bias here
    if samples:  # the bootstrap is not stratified: how many resamples lacked a class
        tested = np.bincount(y, minlength=len(classes)) > 0
        out["dropped_resamples"] = dropped_share(samples["class_sensitivity"], tested)
    support = np.bincount(y, minlength=len(classes))
    out["absent_classes"] = [c for c, n in zip(classes, support, strict=True) if not n]
    out["per_class"] = per_class_report(
        y, proba, predicted, list(classes), samples,
        scored.units, scored.class_patients, scored.rest_patients,
    )  # fmt: skip
    if len(classes) == 2:  # at the operating threshold: the precision of each class
        out["ppv"], out["npv"] = out["per_class"][1]["precision"], out["per_class"][0]["precision"]
        out["reliability"] = reliability_table(y, proba[:, 1], units=scored.units)
    out["interval_method"] = (
        f"percentile bootstrap, {n_boot} resamples of {out['resampled']} (seed {seed}); "
        "where every resample gives the same accuracy, balanced accuracy, sensitivity, "
        "specificity, F1, or a class's own sensitivity "
        "or precision, all right or all wrong, the Wilson score interval of that "
        "proportion instead (of the patients, or items, it counts: accuracy all of "
        f"them, {_wilson_counts(len(classes))}); "
        "every ROC AUC interval (overall and per class) is at least as wide as the "
        "Wilson interval of the AUC as a proportion of the smaller class's patients or items (the "
        "variance of an AUC is at most A(1-A)/min(positives, negatives), Birnbaum and "
        "Klose 1957), so a perfect or nearly perfect ranking of few items is not "
        "claimed more certain than they allow; "
        "resamples that lack a class of the test items are left out of every mean over "
        "classes"
    )
    return out


def _wilson_counts(k: int) -> str:
    """What the Wilson interval of each figure counts, as wilson_sizes.proportion_size
    counts it, for a report of ``k`` classes (the end of interval_method's list)."""
    if k == 2:
        return (
            "balanced accuracy and F1 the smaller class's, sensitivity and specificity "
            "their own class's"
        )
    return (
        "balanced accuracy, macro sensitivity and macro F1 the smallest class's, macro "
        "specificity the fewest outside any one class"
    )


def resampled_metrics(
    y: np.ndarray, proba: np.ndarray, weights: np.ndarray, threshold: float | None = None
) -> dict[str, np.ndarray]:
    """The metrics of many resamples at once (NaN where undefined).

    weights: [B, N] how often each example is in each resample (bootstrap counts). The
    confusion-matrix metrics and the ECE are computed for all resamples from weighted
    counts; ROC AUC as the weighted chance a positive outscores a negative. With all
    weights 1 this gives exactly ``point_metrics`` (a test checks it). One rule for a
    resample that lacks a class of the test items: every mean over classes (balanced
    accuracy, the macro figures) is undefined there, not a mean of the classes it kept
    (which dropped a rare class's recall of 0 and stretched the interval up to 1).
    Besides ``SCALARS``: "class_sensitivity", "class_precision", "class_roc_auc" [B, K],
    each class's recall, precision and one-vs-rest AUC (see per_class.py).
    """
    k = proba.shape[1]
    predicted = predict(proba, threshold)
    pairs = np.zeros((len(y), k * k))
    pairs[np.arange(len(y)), y * k + predicted] = 1.0
    matrix = (weights @ pairs).reshape(-1, k, k)  # [B, truth, predicted]
    total = matrix.sum((1, 2))
    tp = np.diagonal(matrix, axis1=1, axis2=2)  # [B, K]
    support, called = matrix.sum(2), matrix.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = tp / support  # NaN for a class absent from the resample
        negatives = total[:, None] - support
        specificity_c = (negatives - (called - tp)) / negatives
        f1_c = np.where(support + called > 0, 2 * tp / (support + called), 0.0)
        precision = tp / called  # NaN for a class no item of the resample is called
        tested = np.bincount(y, minlength=k) > 0  # the classes of the test items
        kept = (support[:, tested] > 0).all(1) & (tested.sum() > 1)
        out = {
            "accuracy": tp.sum(1) / total,
            "balanced_accuracy": np.where(kept, np.nan_to_num(recall[:, tested]).mean(1), np.nan),
            "class_sensitivity": recall,
            "class_precision": precision,
        }
    if k == 2:
        f1 = np.where(support[:, 1] > 0, f1_c[:, 1], np.nan)  # (no positives: undefined)
        out.update(sensitivity=recall[:, 1], specificity=recall[:, 0], f1=f1)
    else:
        every = (support > 0).all(1)  # macro means need every class in the resample
        out.update(
            sensitivity=np.where(every, np.nan_to_num(recall).mean(1), np.nan),
            specificity=np.where(every, np.nan_to_num(specificity_c).mean(1), np.nan),
            f1=np.where(every, f1_c.mean(1), np.nan),
        )
    out["ece"] = resampled_ece(y, proba, weights, total)
    if k == 2:  # class 0's AUC mirrors class 1's (p0 = 1 - p1 ranks the items backwards)
        auc = _weighted_auc(y == 1, proba[:, 1], weights)
        each = np.stack([auc, auc], 1)
    else:
        each = np.stack([_weighted_auc(y == c, proba[:, c], weights) for c in range(k)], 1)
    out["class_roc_auc"] = each  # [B, K] one-vs-rest
    # two classes: the AUC of class 1's probability; more: the macro one-vs-rest mean,
    # defined only when every class is in the resample (NaN otherwise)
    out["roc_auc"] = each[:, 1] if k == 2 else each.mean(1)
    return out


def _weighted_auc(positive: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``score`` for ``positive`` [N] under each row of weights [B, N]: the
    weighted chance that a positive outscores a negative, ties counting half (this is
    the area scikit-learn's roc_auc_score computes). NaN where a class has no weight."""
    levels, group = np.unique(score, return_inverse=True)
    onehot = np.zeros((len(score), len(levels)))
    onehot[np.arange(len(score)), group] = 1.0
    pos = (weights * positive) @ onehot  # [B, G] positive weight per score level
    neg = (weights * ~positive) @ onehot
    below = np.cumsum(neg, 1) - neg
    with np.errstate(divide="ignore", invalid="ignore"):
        return (pos * (below + 0.5 * neg)).sum(1) / (pos.sum(1) * neg.sum(1))


NO_SPREAD = "not estimable"  # an interval whose resamples all gave the same figure


def interval_text(entry: dict[str, Any] | None, between: str = ", ") -> str | None:
    """A figure's 95 % interval as every report writes it ("0.853, 1.000"; the card's
    table: ``between`` " - "), or None without one. An interval of no width (every
    resample scored the same, as an F1 of 1.000 on 6 items whose every resample is
    perfect) reads as certainty, which so few items cannot give: it is NO_SPREAD instead
    (the figures themselves stay in the report; proportions and AUCs already get a Wilson
    interval there, bootstrap.interval). An interval that is narrow but not empty (a
    perfect score on thousands of items: 0.9995 to 1) is written with the decimals that
    show its spread ("0.9995, 1.0000"), never as NO_SPREAD."""
    if not entry or entry.get("low") is None or entry.get("high") is None:
        return None
    low, high = float(entry["low"]), float(entry["high"])
    if low == high:
        return NO_SPREAD
    for places in range(3, 16):  # (3 decimals, as every figure; more only when needed)
        low_text, high_text = f"{low:.{places}f}", f"{high:.{places}f}"
        if low_text != high_text:
            break
    return f"{low_text}{between}{high_text}"


def figure_text(entry: dict[str, Any] | None, missing: str = "n/a") -> str:
    """A figure with its interval as the command line, the wizard and the card's text
    write it, 0.930 [0.853, 1.000] (``interval_text``: 1.000 [not estimable] where
    the resamples had no spread); ``missing`` for an undefined one."""
    if not entry or entry.get("value") is None:
        return missing
    ci = interval_text(entry)
    return f"{entry['value']:.3f}" + ("" if ci is None else f" [{ci}]")


def headline(report: dict[str, Any]) -> str:
    """One line for a terminal: accuracy and AUC with their intervals."""
    parts = (("accuracy", "accuracy"), ("balanced_accuracy", "balanced"), ("roc_auc", "AUC"))
    return ", ".join(f"{label} {figure_text(report[name])}" for name, label in parts)
