"""The operating threshold of a binary model: picked on validation data, and written
for people (the exact value stays in the JSON files)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import roc_curve

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.bootstrap import distinct, names_patients, patient_ids
from ssl_studio.core.finetune_config import sensitivity_target

MIN_THRESHOLD_SUPPORT = 10  # fewer validation positives or negatives: the choice is noisy


def pick_threshold(y: np.ndarray, p_positive: np.ndarray, method: str = "youden") -> float:
    """An operating threshold on p(class 1) chosen on validation data.

    method: "youden" (maximises sensitivity + specificity - 1; where several thresholds
    share the largest J, the first in roc_curve's order wins: the highest of them) or
    "sensitivity:0.9" (the highest threshold whose sensitivity on these validation items
    reaches 0.9, so specificity is the best that target allows there). Either holds
    only on the validation items: on few of them the sensitivity on other items can be
    far from it (``threshold_choice`` says so).
    """
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        raise ConfigError("Picking a threshold needs validation examples of both classes.")
    fpr, tpr, thresholds = roc_curve(y, p_positive)
    finite = np.isfinite(thresholds)
    fpr, tpr, thresholds = fpr[finite], tpr[finite], thresholds[finite]
    target = sensitivity_target(method)
    if target is None:
        return float(thresholds[np.argmax(tpr - fpr)])
    reaching = np.flatnonzero(tpr >= target)
    return float(thresholds[reaching[0]])


def threshold_choice(method: str, y: np.ndarray, groups: np.ndarray | None) -> dict[str, Any]:
    """How a threshold was chosen, for the report: {"method", "val_items",
    "val_positives", "val_negatives" (counted in patients where ``groups`` [N] name
    patients, else in items), "val_counted": "patients" | "items"}, with "note" when
    the positives or negatives are fewer than MIN_THRESHOLD_SUPPORT: the choice goes
    ahead, but its sensitivity on other items may differ much (simulated binormal
    scores, 3 + 3 validation items and a target of 0.9: 0.76 on new items on average,
    under 0.40 one time in 20)."""
    y = np.asarray(y)
    units = patient_ids(len(y), groups)
    counted = "patients" if names_patients(groups) else "items"
    positives, negatives = distinct(units, y == 1), distinct(units, y == 0)
    out: dict[str, Any] = {
        "method": method,
        "val_items": int(len(y)),
        "val_positives": positives,
        "val_negatives": negatives,
        "val_counted": counted,
    }
    if min(positives, negatives) < MIN_THRESHOLD_SUPPORT:
        few = positives < MIN_THRESHOLD_SUPPORT  # "only" goes with the small side
        counts = (
            f"only {positives} positive and {negatives} negative"
            if few
            else f"{positives} positive and only {negatives} negative"
        )
        out["note"] = (
            f"The threshold was chosen on {counts} validation {counted}: expect the test "
            "sensitivity and specificity to differ from what it reached there; see the "
            "test figures."
        )
    return out


def rounded_threshold(threshold: float) -> str:
    """A threshold for people: 3 decimals, more when that would show 0 or 1 for a value
    strictly between them (the exact value stays in the JSON files)."""
    digits = 3
    while 0 < threshold < 1 and round(threshold, digits) in (0, 1) and digits < 9:
        digits += 1
    return f"{threshold:.{digits}f}"


def threshold_line(report: dict[str, Any]) -> str | None:
    """'threshold (youden, on 80 validation items): 0.901' for a report made with a chosen
    threshold (``threshold_choice``: method and val_items), else None."""
    if report.get("threshold") is None:
        return None
    choice = report.get("threshold_choice") or {}
    n = choice.get("val_items")
    how = [str(choice["method"])] if choice.get("method") else []
    how += [f"on {n} validation items"] if n else []
    said = f" ({', '.join(how)})" if how else ""
    return f"threshold{said}: {rounded_threshold(report['threshold'])}"
