"""How the metrics of a classification report are called for people: one title per
metric, the same on the command line, in the wizard and on the model card."""

from __future__ import annotations

from collections.abc import Sequence

_TITLES = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "roc_auc": "ROC AUC",
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "f1": "F1",
    "ece": "Calibration error (ECE, lower is better)",
}
_MACRO = ("roc_auc", "sensitivity", "specificity", "f1")
_RECALL_OF = {"sensitivity": 1, "specificity": 0}  # which class's recall, of two


def metric_title(name: str, classes: int | Sequence[str]) -> str:
    """How a metric of ``metrics.SCALARS`` is called for people. With more than two
    classes the per-class ones say they are macro averages (ROC AUC and specificity:
    of one class against the rest). Of two classes the F1 is the positive class's
    (class 1) and, given the class names, sensitivity and specificity say whose recall
    they are and the F1 whose F1 it is."""
    title = _TITLES[name]
    n_classes = classes if isinstance(classes, int) else len(classes)
    if n_classes == 2 and name == "f1":
        named = "" if isinstance(classes, int) else f"{classes[1]}, "
        return f"{title} (of {named}the positive class)"
    if n_classes == 2 and not isinstance(classes, int) and name in _RECALL_OF:
        return f"{title} (recall of {classes[_RECALL_OF[name]]})"
    if n_classes <= 2 or name not in _MACRO:
        return title
    if name == "roc_auc":
        return f"{title} (macro, one-vs-rest)"
    if name == "specificity":
        return f"{title} (macro, mean one-vs-rest)"
    return f"{title} (macro)"
