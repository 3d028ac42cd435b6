"""The model card: what the exported model is, how to feed it, how good it is, and what
it must not be used for. Written as ``model_card.json`` (read by ``predict``) and
``MODEL_CARD.md`` (for people, see card_markdown.py). It never holds identifiers: counts
and hashes only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ssl_studio.core.engine.checkpoint import EXPORT_PACKAGES, versions
from ssl_studio.core.evaluation.auc_floor import with_floors
from ssl_studio.core.export.card_provenance import (
    NAMES_AND_PATHS,
    NOT_RECORDED,
    pretraining_provenance,
)
from ssl_studio.core.export.card_spec_check import CARD_FORMAT
from ssl_studio.core.export.channel_count import fewest_channels
from ssl_studio.core.export.recipe import image_recipe
from ssl_studio.core.export.self_description import card_name, decision, how_to_check
from ssl_studio.core.export.series_recipe import read_step, window_fields
from ssl_studio.core.export.training_lengths import longest_window
from ssl_studio.core.export.training_match import describe_training
from ssl_studio.core.models.backbones import options_in_effect

NOT_FOR_DIAGNOSIS = (
    "Not for clinical diagnosis. This model was trained by SSL Studio on a small labeled "
    "set for research and evaluation; it is not a medical device, has not been validated "
    "clinically, and its outputs must not be used to diagnose or treat patients."
)
RESEARCH_USE = (
    "Research: data exploration, benchmarking and method development on data like the "
    "training data (same modality, acquisition and population)."
)


def preprocessing(spec: dict[str, Any], scaling: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full input specification of the model; ``scaling``: a series model's built-in
    standardisation (self_description.input_scaling)."""
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
        # the run's cap on training windows and the longest window training used
        **window_fields(spec),
        "length_handling": "any length T: the whole series is read (training saw random "
        f"windows of up to {longest_window(spec)} steps, the evaluation whole series); "
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
        "read": read_step(spec),  # (the first numbered step: recipe.STEPS)
        **_series_normalisation(scaling),
        "output": "probabilities [N, K] in the order of 'classes'",
    }


def _series_normalisation(scaling: dict[str, Any] | None) -> dict[str, Any]:
    """What a series model does to its input's values, and what the feeder must not."""
    if not scaling:
        return {
            "normalisation": "none: feed raw values in the units of the training files (the "
            "model does not standardise them)"
        }
    return {
        "normalisation": "do not normalise; feed raw values in the units of the training "
        "files. The model standardises each channel itself, (x - mean) / std, with the mean "
        "and std of its training data listed in channel_standardisation (in the weights: "
        "encoder.input_shift and encoder.input_scale); z-scoring the input first would "
        "standardise it twice",
        "channel_standardisation": scaling,
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
    checksums: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The card as a JSON-able dict, from a classifier checkpoint (see finetune/saved.py);
    ``state["card_details"]``: the user's details ({key: text}), as ``details``;
    ``checksums``: {file name: SHA-256} of the files written before the card."""
    spec = state["spec"]
    details = state.get("card_details") or {}
    info = state.get("info", {})
    scratch = info.get("protocol") == "scratch"
    if spec["modality"] == "image":  # (the fine-tuning default, read by nothing for images)
        spec = {k: v for k, v in spec.items() if k != "series_length"}
    return {
        "card_format": CARD_FORMAT,
        "name": card_name(state),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),  # (the export's date)
        # the project's random id (store/meta.py): run numbers repeat across projects
        "project_id": state.get("project_id"),
        # UTC: when the fine-tuning run and its pretraining run started and finished
        "dates": state.get("dates"),
        **({"details": dict(details)} if details else {}),
        "classes": spec["classes"],
        "positive_class": spec["classes"][1] if len(spec["classes"]) == 2 else None,
        # the threshold in effect (0.5 when none was chosen) and the rule in words; cards
        # before these had null for the default threshold (predict then takes the argmax)
        **decision(spec["classes"], state.get("threshold")),
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
        "preprocessing": preprocessing(spec, state.get("input_scaling")),
        "training": {
            # a from-scratch model learned nothing from the run it took its shape from
            "pretext_task": None if scratch else state.get("source_task"),
            "pretraining_run": None if scratch else state.get("parent_run_id"),
            "protocol": info.get("protocol"),
            "fine_tuning_run": state.get("run_id"),
            "label_set": state.get("label_set"),
            "label_version": state.get("label_version"),
            "train_labels": info.get("train_items"),
            "train_counts": state.get("train_counts"),  # per class (absent: older runs)
            "train_patients": state.get("train_patients"),
            "chosen": {k: v for k, v in info.items() if k in ("k", "C", "steps")},
            # as resolved when it ran ("auto" in its config names neither; card_provenance)
            **(state.get("ran_on") or dict.fromkeys(("device", "precision"), NOT_RECORDED)),
            "data_fingerprint": card_fingerprint(state.get("fingerprint")),
            "pretraining_data_fingerprint": card_fingerprint(source.get("fingerprint")),
            "pretraining": None if scratch else pretraining_settings(source, state),
            "config": {
                k: v for k, v in (state.get("config") or {}).items() if k not in NAMES_AND_PATHS
            },
        },
        # AUC intervals under today's floor (auc_floor.py), as ssl-studio evaluate shows
        # them: a run stored before it kept a zero-width interval for a perfect AUC
        "metrics": {
            "test": with_floors(state.get("test")),
            "baseline_from_scratch": with_floors(baseline),
        },
        # curves recorded for its pretraining run and label set (card_efficiency.py)
        "label_efficiency": state.get("label_efficiency"),
        "files": formats,
        # (cards before these: no checksums)
        "sha256": {"files": checksums, "how_to_check": how_to_check(list(checksums))}
        if checksums
        else None,
        "parity": parity,
        "versions": state.get("versions"),
        "exported_with": versions(EXPORT_PACKAGES),
        "data": state.get("data"),
        # always the generated sentence: the user's own words (card_details.py) stand in
        # "details" and beside it on MODEL_CARD.md, and never replace it
        "intended_use": RESEARCH_USE,
        "limitations": limitations(state),
        "not_for_clinical_diagnosis": NOT_FOR_DIAGNOSIS,
    }


def card_fingerprint(found: dict[str, Any] | None) -> dict[str, Any] | None:
    """A data fingerprint (data_fingerprint.py) as the card states it: its digests are the
    first 128 bits of SHA-256 digests, so named ``sha256_128`` and ``order_sha256_128``
    (the project keeps them as ``sha256`` and ``order_sha256``)."""
    if not found:
        return found
    renamed = {"sha256": "sha256_128", "order_sha256": "order_sha256_128"}
    return {
        **{renamed.get(k, k): v for k, v in found.items()},
        "digest": "the first 128 bits (32 hex digits) of a SHA-256 digest",
    }


def pretraining_settings(
    source: dict[str, Any], state: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """How the encoder was pretrained, from its run: what it did (steps, batch after any
    halving, device and precision, sessions) and what it was told (its whole config, never
    the project's folder, which may name a person), and with which code and versions. None
    when the run is gone. The steps are those of the checkpoint the classifier ``state``
    took its encoder from (the run may have been resumed since), and so are its device,
    processes, precision, versions and sessions (card_provenance.py); classifiers saved
    before that was kept: the run's steps now, and its last session's."""
    if source.get("kind") != "pretrain":
        return None
    config, done = source.get("config") or {}, source.get("summary") or {}
    train = config.get("train") or {}
    used = (state or {}).get("source_step")
    return {
        "task": source.get("task"),
        "task_options": config.get("task_options") or {},
        "steps": used if used is not None else done.get("steps", train.get("steps")),
        "batch_size": done.get("batch_size", train.get("batch_size")),
        "accumulate": done.get("accumulate", train.get("accumulate")),
        "image_size": config.get("image_size"),
        "series_length": config.get("series_length"),
        "optimizer": train.get("optimizer"),
        "lr": train.get("lr"),
        "weight_decay": train.get("weight_decay"),
        "seed": train.get("seed"),
        "augment_changed": config.get("augment") or {},  # beyond the modality's defaults
        # every option as the run had it (runs of earlier versions did not record them)
        "in_effect": config.get("in_effect"),
        # device, processes, precision, versions, sessions: of the checkpoint's session
        **pretraining_provenance(source, used),
    }


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
    # the run's own record (its test report), else what the export worked out (older runs)
    recorded = (state.get("test") or {}).get("threshold_choice") or state.get("threshold_choice")
    return recorded or {"method": (state.get("config") or {}).get("threshold"), "val_items": None}
