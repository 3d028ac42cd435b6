"""The model card's per-class figures in Markdown: each class's test items, sensitivity,
precision (PPV) and one-vs-rest ROC AUC with their 95 % intervals, PPV and NPV at the
threshold for two classes, and which of the model's classes the scored items lack.
A report made before these were recorded gives nothing (no table, no guess)."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.metrics import figure_text
from ssl_studio.core.evaluation.report_text import (
    PER_CLASS_COLUMNS,
    PER_CLASS_NOTE,
    PREDICTIVE,
    absent_sentence,
    per_class_rows,
    predictive_title,
)
from ssl_studio.core.export.card_about import markdown_text
from ssl_studio.core.export.card_text import prevalence, table_cell


def per_class_markdown(report: dict[str, Any] | None) -> list[str]:
    """Lines to follow the card's metrics table and confusion matrix ([] when the report
    has none of these figures)."""
    if not report:
        return []
    lines: list[str] = []
    if (absent := absent_sentence(report)) is not None:
        lines += ["", markdown_text(absent)]  # (it names classes)
    rows = per_class_rows(report)
    if rows:
        lines += [
            "",
            f"{PER_CLASS_NOTE} Brackets: 95 % intervals.",
            "",
            "| class | " + " | ".join(PER_CLASS_COLUMNS) + " |",
            "|---" * (len(PER_CLASS_COLUMNS) + 1) + "|",
            *[
                f"| {table_cell(name)} | {n} | " + " | ".join(map(figure_text, entries)) + " |"
                for name, n, entries in rows
            ],
        ]
    classes = report.get("classes") or []
    said = [
        f"{predictive_title(k, classes)} {figure_text(report[k])}"
        for k in PREDICTIVE
        if k in report
    ]
    if said:
        said_all = f"At the operating threshold: {'; '.join(said)}.{_at_prevalence(report)}"
        lines += ["", markdown_text(said_all)]
    return lines


def _at_prevalence(report: dict[str, Any]) -> str:
    """PPV and NPV depend on how common the positive class is: they hold at the test
    items' prevalence, said here (a report without its confusion matrix: nothing). The
    class name is raw (quoted when it holds a comma or semicolon): the caller escapes the
    whole sentence once."""
    share = prevalence(report)
    if share is None:
        return ""
    positive = str((report.get("classes") or [])[1])
    if "," in positive or ";" in positive:
        positive = f"“{positive}”"
    return (
        f" PPV and NPV hold at the test prevalence of {positive} ({share:.0f} %); where "
        f"{positive} is more or less common they differ (sensitivity and specificity do not)."
    )
