"""Classification metrics with bootstrap 95 % confidence intervals (scikit-learn), and
the operating-threshold picker for binary models.

Inputs: y [N] integer classes 0..K-1; proba [N, K] class probabilities (rows sum to 1).
Binary models (K = 2) call class 1 the positive class and predict it when its
probability reaches ``threshold`` (0.5 unless one was picked on validation data).
"""

from __future__ import annotations

import warnings
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

SCALARS = (
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "sensitivity",
    "specificity",
    "f1",
    "ece",
)
ECE_BINS = 10


def predict(proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Predicted classes [N]: argmax, or for binary models p(class 1) >= threshold."""
    if proba.shape[1] == 2 and threshold is not None:
        return (proba[:, 1] >= threshold).astype(np.int64)
    return proba.argmax(axis=1)


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE of the top-class confidence in ``bins`` equal-width bins (Guo et al. 2017):
    sum over bins of |accuracy - confidence| weighted by the share of samples in the bin."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            total += chosen.mean() * abs(correct[chosen].mean() - confidence[chosen].mean())
    return float(total)


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
    """The scalar metrics of one set of predictions (roc_auc is None when y lacks a class)."""
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
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "roc_auc": auc,
        "sensitivity": float(
            recall_score(y, predicted, average=average, labels=labels, zero_division=0)
        ),
        "specificity": _specificity(y, predicted, k),
        "f1": float(f1_score(y, predicted, average=average, labels=labels, zero_division=0)),
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
) -> dict[str, Any]:
    """Every metric with its bootstrap 95 % interval, plus the confusion matrix.

    Returns {"n", "classes", "threshold", "confusion" [K][K] (rows: truth),
    and per metric {"value", "low", "high"}}. The interval is the 2.5-97.5 percentile
    range over ``n_boot`` resamples of the test items (with replacement); resamples
    where a metric is undefined (a class missing) are left out for that metric.
    """
    y = np.asarray(y, np.int64)
    proba = np.asarray(proba, np.float64)
    if proba.ndim != 2 or len(y) != len(proba) or proba.shape[1] != len(classes):
        raise ConfigError("Metrics need one probability per class for every example.")
    if len(y) == 0:
        raise ConfigError("There are no examples to evaluate.")
    point = point_metrics(y, proba, threshold)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in SCALARS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a resample may lack a class: noted, not shown
        for _ in range(n_boot):
            pick = rng.integers(0, len(y), len(y))
            for name, value in point_metrics(y[pick], proba[pick], threshold).items():
                if value is not None and np.isfinite(value):
                    samples[name].append(value)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "classes": list(classes),
        "threshold": threshold,
        "confusion": confusion_matrix(
            y, predict(proba, threshold), labels=np.arange(len(classes))
        ).tolist(),
    }
    for name in SCALARS:
        value = point[name]
        low = high = None
        if value is not None and samples[name]:
            low, high = (float(v) for v in np.percentile(samples[name], [2.5, 97.5]))
        out[name] = {"value": value, "low": low, "high": high}
    return out


def pick_threshold(y: np.ndarray, p_positive: np.ndarray, method: str = "youden") -> float:
    """An operating threshold on p(class 1) chosen on validation data.

    method: "youden" (maximises sensitivity + specificity - 1) or "sensitivity:0.9"
    (the highest threshold whose sensitivity reaches 0.9, so specificity is the best
    that target allows).
    """
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        raise ConfigError("Picking a threshold needs validation examples of both classes.")
    fpr, tpr, thresholds = roc_curve(y, p_positive)
    finite = np.isfinite(thresholds)
    fpr, tpr, thresholds = fpr[finite], tpr[finite], thresholds[finite]
    if method == "youden":
        return float(thresholds[np.argmax(tpr - fpr)])
    if method.startswith("sensitivity:"):
        try:
            target = float(method.split(":", 1)[1])
        except ValueError:
            target = -1.0
        if not 0 < target <= 1:
            raise ConfigError("A target sensitivity must be a number in (0, 1], e.g. 0.9.")
        reaching = np.flatnonzero(tpr >= target)
        return float(thresholds[reaching[0]])
    raise ConfigError(
        f"Unknown threshold method {method!r}; use youden or sensitivity:TARGET (e.g. 0.9)."
    )


def headline(report: dict[str, Any]) -> str:
    """One line for a terminal: accuracy and AUC with their intervals."""

    def part(name: str, label: str) -> str:
        m = report[name]
        if m["value"] is None:
            return f"{label} n/a"
        ci = "" if m["low"] is None else f" [{m['low']:.3f}, {m['high']:.3f}]"
        return f"{label} {m['value']:.3f}{ci}"

    return ", ".join(
        [
            part("accuracy", "accuracy"),
            part("balanced_accuracy", "balanced"),
            part("roc_auc", "AUC"),
        ]
    )
