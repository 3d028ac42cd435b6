"""The model card: what the exported model is, how to feed it, how good it is, and what
it must not be used for. Written as ``model_card.json`` (read by ``predict``) and
``MODEL_CARD.md`` (for people). It never holds identifiers: counts and hashes only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from ssl_studio.core.evaluation.metrics import SCALARS, metric_title
from ssl_studio.core.export.card_text import (
    ECE_DEFINITION,
    PROTOCOL_WORDS,
    baseline_comparison,
    choices_sentence,
    class_counts,
    confusion_rows,
    decision_sentence,
    fingerprint_sentence,
    parity_sentence,
    pretraining_sentence,
    versions_rows,
)
from ssl_studio.core.export.channel_count import fewest_channels
from ssl_studio.core.export.recipe import STEPS, image_recipe
from ssl_studio.core.export.training_match import describe_training
from ssl_studio.core.models.backbones import options_in_effect

NOT_FOR_DIAGNOSIS = (
    "Not for clinical diagnosis. This model was trained by SSL Studio on a small labeled "
    "set for research and evaluation; it is not a medical device, has not been validated "
    "clinically, and its outputs must not be used to diagnose or treat patients."
)


def preprocessing(spec: dict[str, Any]) -> dict[str, Any]:
    """The full input specification of the model."""
    if spec["modality"] == "image":
        return {
            "kind": "image",
            "input": f"x: float32 [N, {spec['in_channels']}, {spec['image_size']}, "
            f"{spec['image_size']}]",
            "channels": spec["in_channels"],
            "cache_size": spec["cache_size"],
            "image_size": spec["image_size"],
            **image_recipe(spec),
            "output": "probabilities [N, K] in the order of 'classes'",
            "trained_on": describe_training(spec.get("training_images")),
        }
    return {
        "kind": "timeseries",
        "input": f"x: float32 [N, {spec['in_channels']}, T] (0 where missing), observed: "
        f"float32 [N, {spec['in_channels']}, T] (1 observed, 0 missing)",
        "channels": spec["in_channels"],
        "channel_names": spec.get("channel_names"),
        "sampling_rate": spec.get("sampling_rate"),  # per second, when training knew it
        "channel_matching": "by name when the training files and a file to predict both have "
        "a header row (any order; extra columns left aside; a file lacking some and holding "
        "unknown others is refused), else by position; either way a series holding fewer of "
        f"the model's channels than the training recordings had ({fewest_channels(spec)}) is "
        "refused, and the channels a series lacks beyond that are read as missing values"
        + (
            f"; a CSV without a header row, with the {len(spec['csv_header'])} columns of the "
            f"training files' header ({', '.join(spec['csv_header'])}), is read as if it had it"
            if spec.get("csv_header")
            else ""
        ),
        "series_length": spec["series_length"],
        "length_handling": "any length T: the whole series is read (training saw random "
        f"windows of up to {spec['series_length']} steps, the evaluation whole series); "
        "batch only series of equal length (predict does): padding a shorter one, even with "
        "observed = 0, changes what the convolutions compute near its end, and so its "
        "probabilities",
        "csv_layout": f"CSV/TSV files are read with layout '{spec.get('csv_layout', 'auto')}' "
        "(as the training files were imported; columns = one series per file, rows = one "
        "per row)"
        + (
            f"; where auto cannot tell, '{spec['csv_prefer']}', as most training files were"
            if spec.get("csv_layout", "auto") == "auto" and spec.get("csv_prefer")
            else ""
        )
        + "; a series with more channels than the model is refused",
        "normalisation": "none beyond import: raw values in the units of the file",
        "output": "probabilities [N, K] in the order of 'classes'",
    }


def architecture_options(spec: dict[str, Any]) -> dict[str, Any]:
    """Every option of the model's backbone, defaults and automatic ones resolved."""
    given = spec.get("backbone_options", {})
    return options_in_effect(spec["backbone"], spec.get("image_size"), given)


def build_card(
    state: dict[str, Any],
    *,
    baseline: dict[str, Any] | None,
    formats: dict[str, str],
    parity: dict[str, Any],
    source: dict[str, Any],
) -> dict[str, Any]:
    """The card as a JSON-able dict, from a classifier checkpoint (see finetune/saved.py)."""
    spec = state["spec"]
    info = state.get("info", {})
    scratch = info.get("protocol") == "scratch"
    return {
        "name": f"ssl-studio-{spec['backbone']}-{info.get('protocol', 'classifier')}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "classes": spec["classes"],
        "positive_class": spec["classes"][1] if len(spec["classes"]) == 2 else None,
        "threshold": state.get("threshold"),
        "threshold_choice": _threshold_choice(state),
        "architecture": {
            "backbone": spec["backbone"],
            "backbone_options": spec.get("backbone_options", {}),  # as chosen
            "options_in_effect": architecture_options(spec),
            "modality": spec["modality"],
            "in_channels": spec["in_channels"],
            "head": spec["head"]["kind"],
        },
        "spec": spec,
        "preprocessing": preprocessing(spec),
        "training": {
            # a from-scratch model learned nothing from the run it took its shape from
            "pretext_task": None if scratch else state.get("source_task"),
            "pretraining_run": None if scratch else state.get("parent_run_id"),
            "protocol": info.get("protocol"),
            "fine_tuning_run": state.get("run_id"),
            "label_set": state.get("label_set"),
            "train_labels": info.get("train_items"),
            "train_counts": state.get("train_counts"),  # per class (absent: older runs)
            "train_patients": state.get("train_patients"),
            "chosen": {k: v for k, v in info.items() if k in ("k", "C", "steps")},
            "data_fingerprint": state.get("fingerprint"),
            "pretraining_data_fingerprint": source.get("fingerprint"),
            "pretraining": None if scratch else pretraining_settings(source),
            # without the project's folder: a path on this machine says nothing useful
            # to the receiver and may name a person
            "config": {k: v for k, v in (state.get("config") or {}).items() if k != "project"},
        },
        "metrics": {"test": state.get("test"), "baseline_from_scratch": baseline},
        "files": formats,
        "parity": parity,
        "versions": state.get("versions"),
        "exported_with": export_versions(),
        "data": state.get("data"),
        "intended_use": (
            "Research: data exploration, benchmarking and method development on data like "
            "the training data (same modality, acquisition and population)."
        ),
        "limitations": limitations(state),
        "not_for_clinical_diagnosis": NOT_FOR_DIAGNOSIS,
    }


def pretraining_settings(source: dict[str, Any]) -> dict[str, Any] | None:
    """How the encoder was pretrained, from its run: what it did (steps, batch after any
    halving, device) and what it was told (never the project's folder, which may name a
    person). None when the run is gone."""
    if source.get("kind") != "pretrain":
        return None
    config, done = source.get("config") or {}, source.get("summary") or {}
    train = config.get("train") or {}
    return {
        "task": source.get("task"),
        "task_options": config.get("task_options") or {},
        "steps": done.get("steps", train.get("steps")),
        "batch_size": done.get("batch_size", train.get("batch_size")),
        "accumulate": done.get("accumulate", train.get("accumulate")),
        "image_size": config.get("image_size"),
        "series_length": config.get("series_length"),
        "optimizer": train.get("optimizer"),
        "lr": train.get("lr"),
        "weight_decay": train.get("weight_decay"),
        "seed": train.get("seed"),
        "augment_changed": config.get("augment") or {},  # beyond the modality's defaults
        "device": source.get("device"),
        "processes": source.get("world_size"),
    }


def export_versions() -> dict[str, str]:
    """The packages that read files, compute metrics and run the exported programs, as
    installed when the export was made (training's own are in ``versions``)."""
    found = {}
    for name in (
        "numpy",
        "scikit-learn",
        "pillow",
        "pydicom",
        "tifffile",
        "onnx",
        "onnxruntime",
        "safetensors",
    ):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def limitations(state: dict[str, Any]) -> str:
    """What the figures cannot say, from what is known of this model."""
    test = state.get("test") or {}
    binary = len(state["spec"]["classes"]) == 2
    trained = (state.get("info") or {}).get("train_items")
    return (
        f"Trained on {trained if trained is not None else 'few'} labels and tested on "
        f"{test.get('n', 'few')} items of one project's data, with no external validation: "
        "the figures hold only for data like the test split (the same sites, devices, "
        "population), and performance in subgroups (age, sex, device) is unknown. Check "
        + ("the calibration and the threshold" if binary else "the calibration")
        + " on local data before any use."
    )


def _threshold_choice(state: dict[str, Any]) -> dict[str, Any] | None:
    """How the threshold was chosen: method and number of validation items (None for the
    default threshold)."""
    if state.get("threshold") is None:
        return None
    recorded = state.get("threshold_choice") or (state.get("test") or {}).get("threshold_choice")
    return recorded or {"method": (state.get("config") or {}).get("threshold"), "val_items": None}


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
        title = metric_title(key, report.get("classes", []))
        m = report.get(key) or {}
        if m.get("value") is None:
            rows.append(f"| {title} | n/a | |")
            continue
        ci = "" if m.get("low") is None else f"{m['low']:.3f} - {m['high']:.3f}"
        rows.append(f"| {title} | {m['value']:.3f} | {ci} |")
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
        + (f" {report['note']}" if report.get("note") else "")
        + (f" 95 % intervals: {report['interval_method']}." if "interval_method" in report else "")
        + (f" {ECE_DEFINITION}" if explain else "")
        + " Confusion matrix:\n"
    )
    return rows + confusion_rows(report.get("confusion"), report.get("classes", []))


def _input_lines(pre: dict[str, Any]) -> list[str]:
    """The input section: the recipe's steps numbered, in order, then the other fields."""
    steps = [k for k in STEPS if pre.get(k) is not None]
    rest = [k for k in pre if k not in steps and k != "kind" and pre[k] is not None]
    lines = [f"- {k}: {pre[k]}" for k in rest if k != "examples"]
    if steps:
        lines += ["", "From a file to the model's input, in this order:", ""]
        lines += [f"{n}. **{k.replace('_', ' ')}**: {pre[k]}" for n, k in enumerate(steps, 1)]
    if pre.get("examples"):
        lines += ["", f"Worked examples: {pre['examples']}"]
    return lines


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
            + (f", on {done['device']}" if done.get("device") else "")
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
    parts = ", ".join(f"{c} {n}" for c, n in counts.items())
    patients = training.get("train_patients")
    if patients:
        parts += f"{'; ' if parts else ''}{patients} patient{'s' * (patients != 1)}"
    return f" ({parts})" if parts else ""


def _data_lines(card: dict[str, Any]) -> list[str]:
    """The datasets by name and how the test split was drawn (cards before these facts
    were recorded: nothing)."""
    data, config = card.get("data") or {}, card["training"].get("config") or {}
    if not data.get("dataset") and not data.get("pretraining_dataset"):
        return []
    labels_from = data.get("dataset") or data.get("pretraining_dataset")
    pretrained_on = data.get("pretraining_dataset")
    if not card["training"].get("pretext_task") or not pretrained_on:
        said = f"labels of dataset '{labels_from}'"
    elif pretrained_on == labels_from:
        said = f"dataset '{labels_from}', its images for pretraining and its labels after"
    else:
        said = f"pretraining on dataset '{pretrained_on}', labels of dataset '{labels_from}'"
    lines = [f"- Data: {said}."]
    if config.get("folds"):
        lines.append(f"- Split: {config['folds']}-fold cross-validation, seed {config['seed']}.")
    elif "test_fraction" in config:
        grouped = "patients kept apart" if config.get("group_by_patient") else "split by item"
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
    return lines


def _test_notes(card: dict[str, Any]) -> list[str]:
    """What a reader of the test figures must know first: whether pretraining saw the
    test items, and whether patients could be told apart."""
    notes = []
    if card["training"].get("pretext_task"):
        notes.append(pretraining_sentence(card.get("data")))
    test = card["metrics"]["test"] or {}
    no_patient_ids = card["training"].get("train_patients") is None
    if "train_patients" in card["training"] and no_patient_ids and not test.get("note"):
        notes.append(
            "No file had a patient ID: the split and the "
            "intervals go by item, items of one patient may be on both sides, and the "
            "scores may be optimistic."
        )
    notes = [n for n in notes if n]
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


def card_markdown(card: dict[str, Any]) -> str:
    """MODEL_CARD.md from the card dict."""
    t = card["training"]
    pre = card["preprocessing"]
    arch = card["architecture"]
    chosen = arch.get("options_in_effect", arch.get("backbone_options")) or {}
    options = f" ({', '.join(f'{k} {v}' for k, v in chosen.items())})" if chosen else ""
    choices = choices_sentence(t["protocol"], t.get("chosen") or {})
    lines = [
        f"# {card['name']}",
        "",
        f"**{card['not_for_clinical_diagnosis']}**",
        "",
        "## What it does",
        "",
        f"Classifies {card['architecture']['modality']} inputs into: "
        f"{', '.join(card['classes'])}. {decision_sentence(card)}",
        "",
        f"Intended use: {card['intended_use']}",
        "",
        f"Limitations: {card['limitations']}",
        "",
        "## How it was made",
        "",
        f"- Encoder: {card['architecture']['backbone']}{options}, {_encoder_origin(t)}.",
        f"- Classifier: {PROTOCOL_WORDS.get(t['protocol'], t['protocol'])} (protocol "
        f"`{t['protocol']}`) on {t['train_labels']} labels{_label_counts(t)} (label set "
        f"`{t['label_set']}`, run {t['fine_tuning_run']}).{f' {choices}' if choices else ''}",
        f"- {fingerprint_sentence(t['data_fingerprint'], card['architecture']['modality'])}",
        *_data_lines(card),
        "",
        "## Input",
        "",
        *_input_lines(pre),
        "",
        f"## {_metrics_heading(card['metrics']['test'])}",
        "",
        *_test_notes(card),
        *_metric_rows(card["metrics"]["test"]),
        "",
        "## From-scratch baseline (same labels, split and architecture, random weights)",
        "",
        *_baseline_lines(card),
        "",
        "## Files",
        "",
        *[f"- `{name}`: {what}" for name, what in card["files"].items()],
        "",
        parity_sentence(card["parity"]),
        "",
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
