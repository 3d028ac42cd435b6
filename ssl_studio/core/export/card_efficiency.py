"""The model card's label-efficiency curves in Markdown: those the project recorded
(``ssl-studio label-efficiency``, the wizard's curve button) from the same pretraining
run, dataset and label set as the exported model (finetune/efficiency.recorded_curves
finds them at export), mean ± std over their seeds at each number of labels per
class, pretrained against from scratch.

A curve is measured on a split of its own (its test share and seed), with models fitted
for the curve, not on this model's test items: the card says so. Nothing is computed at
export; a curve whose file is gone is left out."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.report_text import mean_std_text

SEED_MEANING = (
    "Each seed draws the training labels (nested: its draw at a smaller number of labels "
    "is part of its draw at a larger one; one item per patient first where patients are "
    "named) and also sets the weight initialisation, the batch order and augmentations "
    "and the probe's cross-validation folds: the spread (the std of the seeds' point "
    "estimates) is that of all of these, not of the label draw alone. The seed also sets "
    "the bootstrap resamples of each seed's 95 % interval (kept in the run's "
    "label_efficiency.json), which do not change a point estimate or the spread."
)


def efficiency_markdown(curves: list[dict[str, Any]] | None) -> list[str]:
    """The card's section body: a table per curve, a sentence when none was recorded,
    nothing for cards made before curves were looked up (``None``)."""
    if curves is None:
        return []
    if not curves:
        return [
            "No label-efficiency curve was measured from this model's pretraining run and "
            "label set (ssl-studio label-efficiency, or the wizard's curve button, measures "
            "one)."
        ]
    lines = [
        "Measured on a split of its own, with models fitted for the curve (not this model's "
        "test items); mean ± std over the seeds. " + SEED_MEANING
    ]
    for c in curves:
        if c.get("status") == "unreadable":
            lines += ["", f"Run {c['run_id']}: {c['note']}"]
            continue
        stopped = " (stopped early: the points measured)" if c["status"] == "stopped" else ""
        lines += [
            "",
            f"Run {c['run_id']}{stopped}: {c['measure']}, {c['seeds']} "
            f"seed{'s' * (c['seeds'] != 1)}, "
            f"{c['test_items']} test items." + (f" {c['note']}" if c.get("note") else ""),
            "",
            "| labels per class | protocol | pretrained | from scratch |",
            "|---|---|---|---|",
            *[
                f"| {p.get('labels', p['labels_per_class'])} | {p['protocol']} "
                f"| {mean_std_text(p['pretrained'])} "
                f"| {mean_std_text(p['scratch'])} |"
                for p in c["points"]
            ],
        ]
    return lines
