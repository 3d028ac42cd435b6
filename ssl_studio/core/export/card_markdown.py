"""MODEL_CARD.md: the model card (card.py) in sentences and Markdown tables for people.
Reads cards written by earlier versions too (a missing field is left out, not guessed)."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.calibration import calibrated_text
from ssl_studio.core.evaluation.metrics import SCALARS, interval_text, metric_title
from ssl_studio.core.evaluation.report_text import dropped_sentence
from ssl_studio.core.export.card_about import about_lines, code_span, markdown_text, title
from ssl_studio.core.export.card_acquisition import acquisition_lines
from ssl_studio.core.export.card_classes import per_class_markdown
from ssl_studio.core.export.card_efficiency import efficiency_markdown
from ssl_studio.core.export.card_input import input_lines, missing_lines
from ssl_studio.core.export.card_provenance import (
    NOT_RECORDED,
    has_provenance,
    provenance_lines,
)
from ssl_studio.core.export.card_reliability import reliability_markdown
from ssl_studio.core.export.card_text import (
    ECE_DEFINITION,
    PROTOCOL_WORDS,
    baseline_comparison,
    choices_sentence,
    class_counts,
    class_names,
    confusion_rows,
    decision_sentence,
    fingerprint_sentence,
    parity_sentence,
    pretraining_sentence,
    table_cell,
    versions_rows,
)
from ssl_studio.core.export.card_trace import selection_sentence, trace_markdown
from ssl_studio.core.export.clinical_claims import clinical_claims
from ssl_studio.core.project.label_changes import changed_advice


def _metrics_heading(report: dict[str, Any] | None) -> str:
    """What the test figures are: a held-out split, or out-of-fold predictions."""
    evaluation = (report or {}).get("evaluation", "test split")
    if "cross-validation" in evaluation:
        return (
            f"Metrics ({evaluation}: every labeled item scored by a model that never trained "
            "on it; the exported model was then trained on all of them)"
        )
    return "Test metrics (held-out split: its labels never used for training or choices)"


def _metric_rows(report: dict[str, Any] | None, explain: bool = True) -> list[str]:
    """The metrics table, counts, notes and confusion matrix (``explain``: with the
    definition of the calibration error, said once per card)."""
    if not report:
        return ["(not measured)"]
    rows = ["| metric | value | 95 % CI |", "|---|---|---|"]
    for key in SCALARS:
        title = table_cell(metric_title(key, report.get("classes", [])))  # (names a class)
        m = report.get(key) or {}
        if m.get("value") is None:
            rows.append(f"| {title} | n/a | |")
            continue
        ci = interval_text(m, " - ") or ""
        said = calibrated_text(m, report.get("n"), report.get("patients")) if key == "ece" else None
        rows.append(f"| {title} | {m['value']:.3f}{f' ({said})' if said else ''} | {ci} |")
    scored = (
        "Items scored out-of-fold"
        if "cross-validation" in report.get("evaluation", "")
        else "Test items"
    )
    rows.append(
        f"\n{scored}: {report.get('n')}{class_counts(report)}."
        + (
            " The intervals resample whole patients."
            if report.get("resampled") == "patients"
            else ""
        )
        + (f" {markdown_text(report['note'])}" if report.get("note") else "")
        + (f" 95 % intervals: {report['interval_method']}." if "interval_method" in report else "")
        + (f" {ECE_DEFINITION}" if explain else "")
        + " Confusion matrix:\n"
    )
    dropped = dropped_sentence(report)
    return (
        rows
        + confusion_rows(report.get("confusion"), report.get("classes", []))
        + ([f"\n{dropped}"] if dropped else [])
    )


def _checksum_lines(card: dict[str, Any]) -> list[str]:
    """The files' SHA-256 digests and how to check them (cards before them: nothing)."""
    found = card.get("sha256") or {}
    if not found.get("files"):
        return []
    return [
        "",
        f"SHA-256 checksums ({found['how_to_check']}):",
        "",
        *[f"- `{name}`: `{digest}`" for name, digest in found["files"].items()],
    ]


def _version(training: dict[str, Any]) -> str:
    """`` version 2`` of the label set, where the card knows it."""
    version = training.get("label_version")
    return f" version {version}" if version is not None else ""


def _augment_line(training: dict[str, Any]) -> list[str]:
    """Every augmentation value the pretraining used (runs that recorded them: the
    defaults of their version, which a later one may change, are then on the card)."""
    augment = ((training.get("pretraining") or {}).get("in_effect") or {}).get("augment")
    if not augment:
        return []
    values = ", ".join(f"{k} {tuple(v) if isinstance(v, list) else v}" for k, v in augment.items())
    return [f"- Pretraining augmentation in effect: {values}."]


def _encoder_origin(training: dict[str, Any]) -> str:
    """How the encoder got its weights, for the card's "How it was made"."""
    if training["pretext_task"] is None:
        return "trained from random weights on the labels only (no pretraining)"
    done = training.get("pretraining") or {}
    how = ""
    if done.get("steps") is not None:
        size = (
            f" at {done['image_size']} px"
            if done.get("image_size")
            else f" of up to {done['series_length']} steps"
            if done.get("series_length")
            else ""
        )
        changed = done.get("augment_changed") or {}
        processes = done.get("processes") or 1  # (NULL in runs of the first schema)
        how = (
            f": {done['steps']} steps of batch {done['batch_size']}{size}"
            + (f" in each of {processes} processes" if processes > 1 else "")
            + f", {done['optimizer']} "
            f"at learning rate {done['lr']:g}, seed {done['seed']}"
            + (
                f", on {done['device']}"  # (since provenance_lines, said there once)
                if done.get("device") not in (None, NOT_RECORDED) and not has_provenance(done)
                else ""
            )
            + "; "
            + (
                "augmentations: the defaults for the modality, with "
                + ", ".join(f"{k} {v}" for k, v in changed.items())
                + " changed"
                if changed
                else "augmentations: the defaults for the modality"
            )
        )
    return (
        f"pretrained without labels with `{training['pretext_task']}` (SSL Studio run "
        f"{training['pretraining_run']}{how})"
    )


def _label_counts(training: dict[str, Any]) -> str:
    """`` (normal 20, pneumonia 19; 31 patients)`` where the card has them."""
    counts = training.get("train_counts") or {}
    names = class_names(list(counts))
    parts = ", ".join(f"{c} {n}" for c, n in zip(names, counts.values(), strict=True))
    patients = training.get("train_patients")
    if patients:
        parts += f"{'; ' if parts else ''}{patients} patient{'s' * (patients != 1)}"
    return f" ({parts})" if parts else ""


def _described_use(card: dict[str, Any]) -> list[str]:
    """The intended use in its makers' words (card details), and what in them claims a
    clinical use the model is not for; [] without them. Cards before the generated
    sentence was kept held the user's words in ``intended_use`` itself: nothing more."""
    text = (card.get("details") or {}).get("intended_use")
    if not text or text == card.get("intended_use"):
        return []
    lines = [f"As its makers describe it: {markdown_text(str(text))}", ""]
    if claims := clinical_claims(str(text)):
        said = ", ".join(f"'{markdown_text(c)}'" for c in claims)
        lines += [
            f"**That description may claim a clinical use ({said}): this model is not for "
            "clinical use (see above).**",
            "",
        ]
    return lines


def _data_lines(card: dict[str, Any]) -> list[str]:
    """The datasets by name and how the test split was drawn (cards before these facts
    were recorded: nothing)."""
    data, config = card.get("data") or {}, card["training"].get("config") or {}
    if not data.get("dataset") and not data.get("pretraining_dataset"):
        return []
    labels_from = markdown_text(str(data.get("dataset") or data.get("pretraining_dataset")))
    pretrained_on = data.get("pretraining_dataset")
    pretrained_on = markdown_text(str(pretrained_on)) if pretrained_on else pretrained_on
    if not card["training"].get("pretext_task") or not pretrained_on:
        said = f"labels of dataset '{labels_from}'"
    elif pretrained_on == labels_from:
        series = (card.get("architecture") or {}).get("modality") == "timeseries"
        kind = "recordings" if series else "images"
        said = f"dataset '{labels_from}', its {kind} for pretraining and its labels after"
    else:
        said = f"pretraining on dataset '{pretrained_on}', labels of dataset '{labels_from}'"
    lines = [f"- Data: {said}."]
    # the folds the run used (split.json); cards before that was kept: as configured,
    # where 1 meant one held-out split
    folds = (data.get("split") or {}).get("folds", config.get("folds") or 0)
    if not config.get("group_by_patient", True):
        grouped = "split by item"  # as chosen
    elif card["training"].get("train_patients") is None and "train_patients" in card["training"]:
        grouped = "split by item: no file had a patient ID"
    else:
        grouped = "patients kept apart"
    if folds > 1:
        lines.append(
            f"- Split: {folds}-fold cross-validation, stratified by class ({grouped}), "
            f"seed {config.get('seed')}."
        )
    elif "test_fraction" in config:
        lines.append(
            f"- Split: {100 * config['test_fraction']:.0f} % of the labeled items held out for "
            f"testing, stratified by class ({grouped}), seed {config.get('seed')}"
            + (
                f"; {100 * config['val_fraction']:.0f} % for validation"
                if config.get("val_fraction")
                else ""
            )
            + "."
        )
    if data.get("labels_changed"):  # (export.job: the label set changed after the run)
        lines.append(f"- {markdown_text(changed_advice(data['labels_changed']))}")
    return lines


def _test_notes(card: dict[str, Any]) -> list[str]:
    """What a reader of the test figures must know first: whether pretraining saw the
    test items, and whether patients could be told apart."""
    split = (card.get("data") or {}).get("split") or {}
    notes = [selection_sentence(split.get("scored_alike"))]  # (None for one model)
    if card["training"].get("pretext_task"):
        notes.append(pretraining_sentence(card.get("data")))
    changed = (card.get("data") or {}).get("test_items_changed") or {}
    if changed.get("note"):  # (its data changed since the run was tested: job.py)
        notes.append(changed["note"][:1].upper() + changed["note"][1:])
    test = card["metrics"]["test"] or {}
    no_patient_ids = card["training"].get("train_patients") is None
    if "train_patients" in card["training"] and no_patient_ids and not test.get("note"):
        notes.append(
            "No file had a patient ID: the split and the "
            "intervals go by item, items of one patient may be on both sides, and the "
            "scores may be optimistic."
        )
    notes = [markdown_text(n) for n in notes if n]  # (they may name a dataset or class)
    return [" ".join(notes), ""] if notes else []


def _baseline_lines(card: dict[str, Any]) -> list[str]:
    """The baseline's figures and how they compare, or why there are none."""
    test, baseline = card["metrics"]["test"], card["metrics"]["baseline_from_scratch"]
    if card["training"].get("protocol") == "scratch":
        return ["This model is itself a from-scratch baseline: trained without pretraining."]
    if not baseline:
        return [
            "No from-scratch baseline is recorded for this model (fine-tuned without one, "
            "or its baseline run was deleted since)."
        ]
    compared = baseline_comparison(test, baseline)
    return [*([compared, ""] if compared else []), *_metric_rows(baseline, explain=False)]


def _efficiency_lines(card: dict[str, Any]) -> list[str]:
    """The label-efficiency section (nothing on cards made before it was looked up)."""
    body = efficiency_markdown(card.get("label_efficiency"))
    if not body:
        return []
    return [
        "## Label efficiency (pretrained against from scratch, by labels per class)",
        "",
        *body,
        "",
    ]


def _memory_line(card: dict[str, Any]) -> list[str]:
    """A kNN model carries its training embeddings in every program and weights file:
    say so, as they grow with the labels (24 000 labels: 85 MB against 14 MB linear)."""
    if card["architecture"].get("head") != "knn":
        return []
    n = card["training"].get("train_labels")
    return [
        f"- The k-nearest-neighbour head holds the embeddings of the {n or 'training'} "
        "training labels in each of these files, so they grow with the labels."
    ]


def card_markdown(card: dict[str, Any]) -> str:
    """MODEL_CARD.md from the card dict."""
    t = card["training"]
    pre = card["preprocessing"]
    arch = card["architecture"]
    chosen = arch.get("options_in_effect", arch.get("backbone_options")) or {}
    options = f" ({', '.join(f'{k} {v}' for k, v in chosen.items())})" if chosen else ""
    choices = choices_sentence(t["protocol"], t.get("chosen") or {}, t.get("train_counts"))
    lines = [
        f"# {title(card)}",
        "",
        f"**{card['not_for_clinical_diagnosis']}**",
        "",
        *about_lines(card),
        "## What it does",
        "",
        f"Classifies {card['architecture']['modality']} inputs into: "
        f"{', '.join(class_names(card['classes']))}. {decision_sentence(card)}",
        "",
        f"Intended use: {markdown_text(card['intended_use'])}",
        "",
        *_described_use(card),
        f"Limitations: {card['limitations']}",
        "",
        "## How it was made",
        "",
        f"- Encoder: {card['architecture']['backbone']}{options}, {_encoder_origin(t)}.",
        *_augment_line(t),
        *provenance_lines(t),
        f"- Classifier: {PROTOCOL_WORDS.get(t['protocol'], t['protocol'])} (protocol "
        f"`{t['protocol']}`) on {t['train_labels']} labels{_label_counts(t)} (label set "
        f"{code_span(str(t['label_set']))}{_version(t)}, run {t['fine_tuning_run']})."
        f"{f' {choices}' if choices else ''}",
        f"- {fingerprint_sentence(t['data_fingerprint'], card['architecture']['modality'])}",
        *_data_lines(card),
        "",
        "## Input",
        "",
        *input_lines(pre, card.get("spec") or {}),
        *missing_lines(card.get("spec") or {}),
        *acquisition_lines(card),
        "",
        f"## {_metrics_heading(card['metrics']['test'])}",
        "",
        *_test_notes(card),
        *_metric_rows(card["metrics"]["test"]),
        *per_class_markdown(card["metrics"]["test"]),
        *reliability_markdown(card["metrics"]["test"]),
        "",
        "## From-scratch baseline (same labels, split and architecture, random weights)",
        "",
        *_baseline_lines(card),
        "",
        *_efficiency_lines(card),
        "## Files",
        "",
        *[f"- `{name}`: {what}" for name, what in card["files"].items()],
        *_memory_line(card),
        *_checksum_lines(card),
        "",
        parity_sentence(card["parity"]),
        "",
        *trace_markdown(card),
        "## Versions",
        "",
        *versions_rows(card["versions"]),
        *(
            ["", "Exported with:", "", *versions_rows(card["exported_with"])]
            if card.get("exported_with")
            else []
        ),
        "",
    ]
    return "\n".join(lines)
