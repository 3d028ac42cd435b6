"""How the command line prints a classification report and a label-efficiency curve:
figures named as the wizard and the model card name them (metrics.metric_title), the
per-class table, and the confusion matrix with its classes on both edges."""

from __future__ import annotations

from typing import Any


def print_report(title: str, report: dict[str, Any]) -> None:
    from ssl_studio.core.evaluation.calibration import calibrated_text
    from ssl_studio.core.evaluation.metrics import (
        SCALARS,
        figure_text,
        metric_title,
    )
    from ssl_studio.core.evaluation.report_text import (
        PREDICTIVE,
        absent_sentence,
        dropped_sentence,
        predictive_title,
        unchecked_note,
    )
    from ssl_studio.core.evaluation.threshold import threshold_line
    from ssl_studio.core.wording import padded, shown_width

    classes = report["classes"]
    print(f"{title} (n = {report['n']}, 95 % bootstrap intervals):")
    if report.get("note"):  # first: e.g. test items changed since (these are other figures)
        print(f"  note: {report['note']}")
    if (unchecked := unchecked_note(report)) is not None:
        print(f"  note: {unchecked}")
    if len(classes) == 2:
        print(
            f"  positive class: {classes[1]} (sensitivity is its recall, "
            f"specificity that of {classes[0]}; choose it with --positive)"
        )
    if (line := threshold_line(report)) is not None:
        print(f"  {line}")
        if caution := (report.get("threshold_choice") or {}).get("note"):  # few chose it
            print(f"  note: {caution}")
    rows = [(metric_title(name, classes), report.get(name)) for name in SCALARS]
    rows += [(predictive_title(n, classes), report[n]) for n in PREDICTIVE if n in report]
    width = max(shown_width(name) for name, _ in rows)
    for name, entry in rows:
        print(f"  {padded(name, width)}  {figure_text(entry)}")
    ece, n = report.get("ece"), report.get("n")
    if (said := calibrated_text(ece, n, report.get("patients"))) is not None:
        print(f"  (ECE is biased upward on few items: {said})")
    if (dropped := dropped_sentence(report)) is not None:
        print(f"  {dropped}")
    if (absent := absent_sentence(report)) is not None:
        print(f"  {absent}")
    _print_paired(report.get("versus_baseline"), classes, report)
    _print_per_class(report)
    _print_confusion(classes, report["confusion"])


def _print_per_class(report: dict[str, Any]) -> None:
    """The per-class table (nothing for a report made before per-class figures)."""
    from ssl_studio.core.evaluation.metrics import figure_text
    from ssl_studio.core.evaluation.report_text import PER_CLASS_COLUMNS, per_class_rows
    from ssl_studio.core.wording import padded, shown_width

    rows = per_class_rows(report)
    if not rows:
        return
    print("  per class (n: test items; precision: the share right of the items called it):")
    name_width = max(5, *(shown_width(name) for name, _, _ in rows))
    n, *titles = PER_CLASS_COLUMNS
    print(f"    {'class':{name_width}s} {n:>5s}  " + "  ".join(f"{t:21s}" for t in titles))
    for name, support, entries in rows:
        cells = "  ".join(f"{figure_text(e):21s}" for e in entries)
        print(f"    {padded(name, name_width)} {support:5d}  {cells}".rstrip())


def _print_confusion(classes: list[str], confusion: list[list[int]]) -> None:
    """The confusion matrix, its rows (the truth) and columns (predicted) named."""
    from ssl_studio.core.wording import padded, shown_width

    corner = "truth \\ predicted"
    first = max(len(corner), *(shown_width(c) for c in classes))
    widths = [max(5, shown_width(c)) for c in classes]
    print("  confusion matrix (rows: truth, columns: predicted):")
    names = "  ".join(padded(c, w, right=True) for c, w in zip(classes, widths, strict=True))
    print(f"    {corner:{first}s}  {names}")
    for name, row in zip(classes, confusion, strict=False):
        cells = "  ".join(f"{v:{w}d}" for v, w in zip(row, widths, strict=False))
        print(f"    {padded(name, first)}  {cells}")


def _print_paired(
    paired: dict[str, Any] | None, classes: list[str], report: dict[str, Any] | None = None
) -> None:
    """Fine-tuned minus baseline per metric, paired (see evaluation/comparison.py), and
    under it the verdict the wizard and the card give (on the ROC AUC, else the balanced
    accuracy), with what it rests on; too few test patients: the differences without
    their too narrow intervals and no winner."""
    from ssl_studio.core.evaluation.comparison import (
        difference_text,
        paired_how,
        too_few_patients,
        verdict_and_basis,
    )
    from ssl_studio.core.evaluation.metrics import metric_title

    if not paired:
        return
    few = too_few_patients(paired)  # (the comparison keeps the test's n and patients)
    print(
        f"  minus the from-scratch baseline (run {paired.get('baseline_run_id')}; "
        f"{paired_how(paired, few)}):"
    )
    for name in ("accuracy", "balanced_accuracy", "roc_auc"):
        if (said := difference_text(paired.get(name), few)) is not None:
            print(f"    {metric_title(name, classes):29s} {said}")
    key = "roc_auc" if (paired.get("roc_auc") or {}).get("value") is not None else None
    key = key or "balanced_accuracy"
    report = report or {}
    entry, tuned = paired.get(key) or {}, report.get(key) or {}
    if entry.get("value") is None or tuned.get("value") is None:
        return
    # (without an interval, the baseline's value alone: the wizard's reading of two
    # intervalless figures)
    scratch = {"value": tuned["value"] - entry["value"], "low": None, "high": None}
    said, basis = verdict_and_basis(  # (the comparison keeps the test's n and patients)
        tuned,
        scratch,
        entry,
        key,
        {
            **paired,
            "evaluation": report.get("evaluation"),
            "classes": classes,  # (and the comparison itself: verdict_caution reads it)
            "versus_baseline": paired,
        },
    )
    print(f"  verdict ({metric_title(key, classes)}): {said}.")
    if basis is not None:
        print(f"  {basis}")


def print_curve(result: dict[str, Any]) -> None:
    """A label-efficiency curve as a table: the one measure every point has (see
    efficiency.curve_measure), mean ± std over the seeds."""
    from ssl_studio.core.finetune.efficiency import curve_measure, labels_text

    curve = result["curve"]
    key, measure = curve_measure(curve, result.get("classes") or [])
    print(f"{measure}, mean ± std over the seeds:")
    print(f"{'labels/class':>12}  {'protocol':>9}  {'pretrained':>15}  {'scratch':>15}")
    for p in curve:
        a, b = p[p["protocol"]][key], p["scratch"][key]
        print(f"{labels_text(p):>12}  {p['protocol']:>9}  {_mean_std(a):>15}  {_mean_std(b):>15}")


def _mean_std(entry: dict[str, Any]) -> str:
    from ssl_studio.core.evaluation.report_text import mean_std_text

    return mean_std_text(entry)
