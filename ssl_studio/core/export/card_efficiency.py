"""The model card's label-efficiency curves in Markdown: those the project recorded
(``ssl-studio label-efficiency``, the wizard's curve button) from the same pretraining
run, dataset and label set as the exported model (finetune/efficiency.recorded_curves
finds them at export), mean ± std over their seeds at each number of labels per
class, pretrained against from scratch.

A curve is measured with models fitted for the curve, on its own split (its test share
and seed): the card says whether that split's test items are this model's own (the same
share and seed give the same ones), other items, or not recorded (curves measured
before the test items were kept). Nothing is computed at export; a curve whose file is
gone is left out."""

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
        "Measured with models fitted for the curve (not this model), each on the test "
        "items its run names below; mean ± std over the seeds. " + SEED_MEANING
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
            f"{c['test_items']} test items{_whose_test(c.get('on_model_test'))}."
            + (f" {c['note']}" if c.get("note") else ""),
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


def _whose_test(on_model_test: bool | None) -> str:
    """Whether a curve's test items are the exported model's own, as its header says it."""
    if on_model_test is None:
        return " (whether they are this model's test items was not recorded)"
    return ", this model's own test items" if on_model_test else ", not this model's test items"
