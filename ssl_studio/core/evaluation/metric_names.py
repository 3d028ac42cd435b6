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


# each metric in plain words, for a reader who is no statistician (the wizard's tooltips)
_EXPLAINED = {
    "roc_auc": "ROC AUC: the chance that the model scores a randomly picked positive item "
    "above a randomly picked negative one, over every threshold. 0.5 is guessing, 1.0 a "
    "perfect ranking.",
    "balanced_accuracy": "Balanced accuracy: the mean of each class's share recognised "
    "(sensitivity and specificity for two classes), so a rare class counts as much as a "
    "common one. 0.5 is guessing between two classes.",
    "accuracy": "Accuracy: the share of all test items the model got right. It flatters a "
    "model that calls every item the common class; read the balanced accuracy too.",
    "sensitivity": "Sensitivity (recall): of the items that truly are the positive class, "
    "the share the model finds. Low sensitivity means missed cases.",
    "specificity": "Specificity: of the items that truly are not the positive class, the "
    "share the model leaves alone. Low specificity means false alarms.",
    "f1": "F1: one figure for both finding the positive items and being right when calling "
    "one positive (the harmonic mean of sensitivity and PPV).",
    "ece": "Calibration error (ECE): how far the model's stated probabilities are from how "
    "often it is right (saying 80 % and being right 80 % of the time is calibrated). "
    "Lower is better; on few items even a perfectly calibrated model shows some.",
    "ppv": "PPV (positive predictive value, precision): of the items the model calls "
    "positive, the share that truly are. It depends on how common the class is in the "
    "test items.",
    "npv": "NPV (negative predictive value): of the items the model calls negative, the "
    "share that truly are. It depends on how common the class is in the test items.",
}


def metric_explanation(name: str) -> str:
    """What a metric (``metrics.SCALARS``, "ppv", "npv") means in plain words; "" for
    one without an explanation."""
    return _EXPLAINED.get(name, "")
