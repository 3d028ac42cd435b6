"""A classification report's per-class figures and absent classes in words, the same for
the command line, the wizard and the model card (each formats the figures its own way)."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.bootstrap import DROPPED_SAID_ABOVE
from ssl_studio.core.evaluation.metrics import SCALARS, metric_title
from ssl_studio.core.evaluation.per_class import PER_CLASS

# the per-class table's columns after the class name: test items, then PER_CLASS
PER_CLASS_COLUMNS = ("n", "Sensitivity (recall)", "Precision (PPV)", "ROC AUC (one-vs-rest)")
PER_CLASS_NOTE = (
    "Per class: n test items of the class; sensitivity, the share of them the model "
    "recognises; precision (PPV), the share right of the items it calls that class; ROC "
    "AUC, that class against all others."
)
PREDICTIVE = ("ppv", "npv")  # two classes: at the operating threshold


def predictive_title(name: str, classes: list[str]) -> str:
    """'PPV (precision of pneumonia)' / 'NPV (precision of normal)': of two classes, the
    share right of the items called positive (class 1) or negative (class 0)."""
    return f"{name.upper()} (precision of {classes[1 if name == 'ppv' else 0]})"


def per_class_rows(report: dict[str, Any]) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """(class name, test items, [{"value", "low", "high"} per name of PER_CLASS]) for each
    class; [] for a report made before per-class figures were recorded."""
    return [
        (str(row["class"]), int(row["support"]), [row.get(m) or {} for m in PER_CLASS])
        for row in report.get("per_class") or []
    ]


def absent_classes(report: dict[str, Any]) -> list[str]:
    """The model's classes that none of the scored items hold (older reports: read from
    the confusion matrix's rows, the truth)."""
    if "absent_classes" in report:
        return list(report["absent_classes"])
    classes, confusion = report.get("classes") or [], report.get("confusion") or []
    if len(confusion) != len(classes):
        return []
    return [c for c, row in zip(classes, confusion, strict=True) if not sum(row)]


def absent_sentence(report: dict[str, Any]) -> str | None:
    """Why figures are n/a when the scored items lack some of the model's classes (a
    dataset labeled with only some of them), or None when every class is there."""
    absent, classes = absent_classes(report), report.get("classes") or []
    if not absent:
        return None
    missing = [
        _in_sentence(metric_title(name, classes))
        for name in SCALARS
        if (report.get(name) or {"value": 0}).get("value") is None
    ]
    text = (
        f"No scored items of {', '.join(absent)} ({len(absent)} of the model's "
        f"{len(classes)} classes)"
    )
    if missing:
        text += f": n/a for {', '.join(missing)}, which need items of every class"
    kept = len(classes) - len(absent)
    if (report.get("balanced_accuracy") or {}).get("value") is not None and kept > 1:
        text += f"; balanced accuracy is the mean recall of the {kept} classes present"
    return text + "."


def unchecked_note(report: dict[str, Any]) -> str | None:
    """Which scored items cannot be (or could not be) checked against the content hashes
    recorded when the run was tested (``data_unchecked``, finetune/split_changes.py), for
    the command line and the wizard to show as they are; None when there are none or the
    report's note already says it (evaluate puts it there)."""
    said = (report.get("data_unchecked") or {}).get("note")
    return None if not said or said in (report.get("note") or "") else said


def _in_sentence(title: str) -> str:
    """'Sensitivity (macro)' -> 'sensitivity (macro)'; 'ROC AUC' stays."""
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def mean_std_text(entry: dict[str, Any]) -> str:
    """A curve point's figure over its seeds (each draws the labels and sets the fits'
    other randomness), as the command line, the job's messages and the card write it:
    "0.912 ± 0.031"; "0.912 ± n/a (1 seed)" when one seed defines it (one has no spread,
    and 0.000 would claim one); "n/a"."""
    if entry.get("mean") is None:
        return "n/a"
    seeds = entry.get("seeds")
    if seeds is not None and sum(1 for s in seeds if (s or {}).get("value") is not None) < 2:
        return f"{entry['mean']:.3f} ± n/a (1 seed)"
    return f"{entry['mean']:.3f} ± {entry['std']:.3f}"


def dropped_sentence(report: dict[str, Any]) -> str | None:
    """One short line when more than 1 % of the bootstrap resamples lacked a class of the
    test items (``dropped_resamples``, bootstrap.dropped_share), else None (also for
    reports made before the share was recorded)."""
    share = report.get("dropped_resamples")
    if share is None or share <= DROPPED_SAID_ABOVE:
        return None
    needing = (
        "ROC AUC, balanced accuracy, sensitivity/specificity and each class's own figures"
        if len(report.get("classes") or []) == 2
        else "ROC AUC, balanced accuracy, macro figures"
    )
    return (
        f"{100 * share:.0f} % of the bootstrap resamples lacked a class of the test items and "
        f"were left out of the intervals that need every class ({needing}): with so few "
        "items of a class, those intervals are rough."
    )
