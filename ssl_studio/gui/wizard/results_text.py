"""The results in words: a figure with its 95 % interval and which threshold a binary
report was read at (the verdict against the baseline is core's: evaluation/comparison.py)."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.calibration import calibrated_judgement
from ssl_studio.core.evaluation.metrics import figure_text
from ssl_studio.core.evaluation.threshold import rounded_threshold

# the order people read them in: ranking quality first, calibration last
METRICS = ("roc_auc", "balanced_accuracy", "accuracy", "sensitivity", "specificity", "f1", "ece")


def with_interval(entry: dict[str, Any] | None) -> str:
    """0.930 [0.853, 1.000], 1.000 [not estimable] where the resamples had no
    spread, or a dash where the figure is undefined: short enough for a table cell (an
    ECE's reference is ``ece_reference``'s, said under the table and in the cell's
    tooltip)."""
    return figure_text(entry, "—")


def ece_reference(entry: dict[str, Any] | None) -> str | None:
    """The value a perfectly calibrated model would show on the same items (the ECE's
    upward bias on few items, calibration.calibrated_reference) when the report holds
    it, and whether the ECE is above what 95 % of such draws reach where it holds that
    too: "a perfectly calibrated model: ~0.281; not above what 95 % ... reach, 0.483"."""
    reference = (entry or {}).get("calibrated")
    if reference is None or (entry or {}).get("value") is None:
        return None
    judged = calibrated_judgement(entry)
    return f"a perfectly calibrated model: ~{reference:.3f}" + (f"; {judged}" if judged else "")


def threshold_text(test: dict[str, Any], base: dict[str, Any]) -> str:
    """Which threshold the sensitivity, specificity and confusion matrix of a binary
    report were read at, and how it was chosen."""
    read = "Sensitivity, specificity, PPV, NPV and the confusion matrix are read at the threshold"
    if test.get("threshold") is None:
        return f"{read} 0.5 (the default: no threshold was picked)."
    choice = test.get("threshold_choice") or {}
    method = str(choice.get("method") or "")
    if method == "youden":
        how = "Youden's J (the best sensitivity + specificity)"
    elif method.startswith("sensitivity:"):
        how = f"the target sensitivity {method.partition(':')[2]}"
    else:
        how = method or "the validation items"
    on = f" on {choice['val_items']} validation items" if choice.get("val_items") else ""
    if choice.get("val_positives") is not None:
        on += (
            f" ({choice['val_positives']} positive and {choice['val_negatives']} negative "
            f"{choice.get('val_counted', 'items')})"
        )
    own = (
        f"; the from-scratch model's own: {rounded_threshold(base['threshold'])}"
        if base.get("threshold") is not None
        else ""
    )
    caution = f" {choice['note']}" if choice.get("note") else ""  # few chose it
    return f"{read} {rounded_threshold(test['threshold'])}, chosen by {how}{on}{own}.{caution}"
