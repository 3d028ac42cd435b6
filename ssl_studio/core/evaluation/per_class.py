"""Each class's own figures in a classification report: how many test items it has, how
many of them the model recognises (sensitivity, recall), how often the model is right
when it calls it (precision, PPV) and how well its probability ranks it (one-vs-rest ROC
AUC), each with a 95 % interval from the same resamples as the report's other metrics.

A macro average hides a rare class the model never recognises; these figures show it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from ssl_studio.core.evaluation.bootstrap import (
    auc_interval,
    distinct,
    interval,
)

PER_CLASS = ("sensitivity", "precision", "roc_auc")


def per_class_report(
    y: np.ndarray,
    proba: np.ndarray,
    predicted: np.ndarray,
    classes: list[str],
    samples: dict[str, np.ndarray],
    units: np.ndarray,
    own: np.ndarray,
    rest: np.ndarray,
) -> list[dict[str, Any]]:
    """One entry per class, in the order of ``classes``: {"class", "support", and per
    name of ``PER_CLASS`` {"value", "low", "high"}}.

    y [N] true classes, proba [N, K] probabilities, predicted [N] the classes called at
    the operating threshold; samples: ``resampled_metrics`` of the report's resamples
    (its "class_*" [B, K] arrays; {} for no intervals); units [N]: the patient of each
    item (bootstrap.patient_ids); own, rest [K]: the patients among each class's items and
    among the others' (bootstrap.class_patients, as ``bootstrapped`` counted them). The
    Wilson interval of a proportion
    (bootstrap.interval) counts the patients of its items: for sensitivity the class's,
    for precision those of the items called the class, for the AUC's floor the fewer of
    the class's and the other classes'. A value is None
    where it is undefined: sensitivity without items of the class, precision when no
    item is called it, the AUC without items of it or without items of other classes.
    """
    k = len(classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an absent or never-called class: NaN, handled
        precision, recall, _, support = precision_recall_fscore_support(
            y, predicted, labels=np.arange(k), zero_division=np.nan
        )
    out = []
    for c, name in enumerate(classes):
        # of two classes, class 0's AUC is the mirror of class 1's (p0 = 1 - p1 ranks the
        # items backwards), as its resamples are (metrics.resampled_metrics): proba[:, 0]
        # itself can tie where proba[:, 1] does not (float32 softmax saturates near 1)
        score = proba[:, 1] if k == 2 else proba[:, c]
        positive = y == 1 if k == 2 else y == c
        auc = float(roc_auc_score(positive, score)) if 0 < support[c] < len(y) else None
        point = {"sensitivity": recall[c], "precision": precision[c], "roc_auc": auc}
        sizes = {"sensitivity": int(own[c]), "precision": distinct(units, predicted == c)}
        entry: dict[str, Any] = {"class": name, "support": int(support[c])}
        for metric in PER_CLASS:
            value = point[metric]
            value = None if value is None or np.isnan(value) else float(value)
            resampled = samples.get(f"class_{metric}")
            resampled = None if resampled is None else resampled[:, c]
            if metric == "roc_auc":  # the AUC's floor (bootstrap.auc_interval)
                size = min(int(own[c]), int(rest[c]))
                entry[metric] = auc_interval(value, resampled, size)
            else:
                entry[metric] = interval(value, resampled, sizes[metric])
        out.append(entry)
    return out
