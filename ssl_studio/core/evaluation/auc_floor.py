"""The floor under every ROC AUC interval (bootstrap.auc_interval): how many independent
tests an AUC counts: for a report being made, the patients of the smaller side, counted;
for a report stored by an older version, which keeps no patients per class, its items
scaled by the overall patients per item, so that a model card of an older run
shows the interval ``ssl-studio evaluate`` shows now. ``with_floors`` also gives such a
report's proportions of no width at 0 or 1 their Wilson interval, as reports made now
have (bootstrap.interval)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ssl_studio.core.evaluation.bootstrap import scaled_size, wilson
from ssl_studio.core.evaluation.wilson_sizes import FLOORED, proportion_size

# the note of too few test patients, as reports write it ("Only 2 patients among") and
# as older ones did ("Only 2 patient(s) among")
_FEW_PATIENTS = re.compile(r"Only (\d+) patients? among|Only (\d+) patient\(s\) among")


def smallest_class(counts: np.ndarray) -> int:
    """The tests of an overall ROC AUC (two classes, or the macro one-vs-rest mean) whose
    classes hold ``counts`` [K] patients (or items): the smallest class present (0 with
    fewer than two classes: no AUC)."""
    present = counts[counts > 0]
    return int(present.min()) if len(present) > 1 else 0


def auc_size(counts: np.ndarray, patients: int) -> int:
    """``smallest_class`` of items whose classes number ``counts`` [K], scaled to
    ``patients`` (a stored report: no patients per class)."""
    return scaled_size(smallest_class(counts), int(counts.sum()), patients)


def class_auc_size(counts: np.ndarray, c: int, patients: int) -> int:
    """The tests of class ``c``'s one-vs-rest AUC in a stored report: the smaller of its
    items and the others', scaled to ``patients`` (a report being made counts the
    patients of each side: per_class.per_class_report)."""
    n = int(counts.sum())
    return scaled_size(min(int(counts[c]), n - int(counts[c])), n, patients)


def with_auc_floor(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored report whose AUC intervals (overall and per class) are widened to the
    floor of ``auc_interval``, recomputed from its confusion counts (rows: the true
    classes); reports made since already hold it (widening again changes nothing). The
    patients come from its resampling (items: one each) or its few-patients note; a
    report resampled by patients that does not say how many is left as stored."""
    if not report or not report.get("confusion"):
        return report
    counts = np.asarray(report["confusion"]).sum(1)
    patients = _patients(report, int(counts.sum()))
    if patients is None:
        return report
    out = {**report}
    if isinstance(out.get("roc_auc"), dict):
        out["roc_auc"] = _floored(out["roc_auc"], auc_size(counts, patients))
    if out.get("per_class"):
        out["per_class"] = [
            {**row, "roc_auc": _floored(row["roc_auc"], class_auc_size(counts, c, patients))}
            if isinstance(row.get("roc_auc"), dict)
            else row
            for c, row in enumerate(out["per_class"])
        ]
    return out


OLDER_METHOD = (
    "recorded by an earlier version of SSL Studio, which did not record how; shown as "
    "recorded, except that a figure all its resamples agreed on at 0 or 1 (all right or "
    "all wrong) gets the Wilson score interval of that proportion, and every ROC AUC "
    "interval is at least the Wilson interval of the AUC as a proportion of the smaller "
    "class, as reports made now do"
)


def with_floors(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored report with the intervals a report made now would give its figures:
    the AUC floor (``with_auc_floor``), and for an older report that gave a proportion
    all its resamples agreed on at 0 or 1 no width at all (accuracy 1.000 [1.000,
    1.000] on 12 items) the Wilson interval instead (bootstrap.interval's rule), with a
    method saying so where the report recorded none. The sizes are those of a report
    made now (wilson_sizes.proportion_size), of items scaled to the patients: so a
    stored multi-class report's macro sensitivity, specificity and F1 of no width get
    theirs too."""
    report = with_auc_floor(report)
    if not report or not report.get("confusion"):
        return report
    confusion = np.asarray(report["confusion"])
    counts = confusion.sum(1)
    n = int(counts.sum())
    patients = _patients(report, n)
    if patients is None or not n:
        return report
    out = {**report}
    for name in FLOORED:  # (the sizes of a report made now, of items, then scaled)
        if name in out:  # (a report without the figure keeps not having it)
            size = proportion_size(name, counts, n - counts, n)
            out[name] = _widened(out[name], scaled_size(size, n, patients))
    # (per-class rows came with the Wilson rule: no stored report needs them widened)
    if not out.get("interval_method"):
        out["interval_method"] = OLDER_METHOD
    return out


def _widened(entry: Any, size: int) -> Any:
    """An interval entry {value, low, high} of no width at 0 or 1 as the Wilson interval
    of ``size`` tests; anything else as it is."""
    if not isinstance(entry, dict) or size <= 0:
        return entry
    value, low, high = entry.get("value"), entry.get("low"), entry.get("high")
    if value not in (0.0, 1.0) or low is None or low != high:
        return entry
    w_low, w_high = wilson(float(value), size)
    return {**entry, "low": w_low, "high": w_high}


def _patients(report: dict[str, Any], n: int) -> int | None:
    few = _FEW_PATIENTS.search(report.get("note") or "")
    if few:
        return int(few.group(1) or few.group(2))
    return n if report.get("resampled", "items") == "items" else None


def _floored(entry: dict[str, Any], size: int) -> dict[str, Any]:
    value, low = entry.get("value"), entry.get("low")
    if value is None or low is None or size <= 0:
        return entry
    w_low, w_high = wilson(value, size)
    return {**entry, "low": min(low, w_low), "high": max(entry["high"], w_high)}
