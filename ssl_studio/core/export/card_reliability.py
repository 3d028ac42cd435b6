"""The model card's reliability (calibration) table in Markdown, from the test report's
``reliability`` (evaluation/reliability.py). Binary models only; a report made before the
table was recorded says so rather than leaving the reader to guess."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.metrics import figure_text
from ssl_studio.core.export.card_text import table_cell

RELIABILITY_NOTE = (
    "Reliability: the scored items grouped by the predicted probability of {positive}; in "
    "each group the mean predicted probability beside the share that are {positive} "
    "(95 % Wilson interval). A calibrated model's two columns agree; a group of few items "
    "shows little."
)


def reliability_markdown(report: dict[str, Any] | None) -> list[str]:
    """Lines for the card after the test figures: the table, a sentence for a binary
    report made before it was recorded, nothing for more than two classes."""
    classes = (report or {}).get("classes") or []
    if len(classes) != 2:
        return []
    rows = report.get("reliability") if report else None
    if rows is None:
        return ["", "Reliability table: not recorded (the model was tested by an earlier version)."]
    positive = table_cell(classes[1])
    return [
        "",
        RELIABILITY_NOTE.format(positive=positive),
        "",
        f"| predicted p({positive}) | items | mean predicted | observed share [95 % CI] |",
        "|---|---|---|---|",
        *[
            f"| {r['low']:.1f} - {r['high']:.1f} | {r['n']} | {r['mean_predicted']:.3f} | "
            f"{figure_text(r['observed'])} |"
            for r in rows
        ],
    ]
