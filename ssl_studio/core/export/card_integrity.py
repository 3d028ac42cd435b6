"""Whether a received model card still says what was exported with its model.onnx.

``predict`` takes the class order, the positive class and the threshold (and the input
settings) from model_card.json, which nothing protects: an edited card would turn a
normal image into the other class without a word. model.onnx carries the classes,
positive class and threshold in its metadata_props (since the exports that first wrote
checksums), and, since this module, ``decision_sha256``: a SHA-256 digest of every card
field that changes an answer (``decision_fields``). Predict compares the card with them
and refuses on a difference; where an older model.onnx lacks a key, that field is not
compared (and nothing is said of it). Provenance fields (dates, data fingerprints,
devices, precisions, versions) change no answer and are not in the digest:
the card itself carries no checksum (README), and adding them would change the digest
of every card made before them, which predict would then refuse.

A card that names its ``card_format``, or whose model.onnx describes itself, was written
by a version that always listed the files' SHA-256 checksums: without them (the block
deleted, so that another model.onnx would run unnoticed) it is refused too.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from ssl_studio.core.export.self_description import DEFAULT_THRESHOLD

# the spec fields predict reads to turn a file into the model's input (preprocess.py,
# channel_count.py, series_windows.py); training_images and the like only add notes
ANSWER_SPEC_KEYS = (
    "modality",
    "in_channels",
    "image_size",
    "cache_size",
    "channel_names",
    "csv_header",
    "csv_prefer",
    "csv_layout",
    "fewest_channels",
    "sampling_rate",
    "series_length",
    # not read to make the input, but predict's missing-value errors and notes compare a
    # file with it (input_checks.missing_limit); absent from older cards, and then
    # absent from the digest, as it was
    "most_missing",
    # the same for the length notes (training_lengths.py); absent from older cards
    "training_lengths",
)
DIGEST_KEY = "decision_sha256"  # model.onnx's metadata key (self_description.PROGRAM_KEYS)
_REEXPORT = (
    "the card or the model was edited, or they come from different exports. Do not use "
    "this folder: export the model again (ssl-studio export) or copy the export folder "
    "anew from where it was made"
)


def decision_fields(
    classes: list[str],
    rule: dict[str, Any],
    spec: dict[str, Any],
    scaling: dict[str, Any] | None,
    modalities: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields that change predict's answers or its notes, as the card states them:
    ``classes`` in output order, the positive class, ``rule`` (self_description.decision:
    threshold and threshold_is_default), the spec's ANSWER_SPEC_KEYS (an image card has no
    series_length), a series model's ``scaling`` (channel_standardisation), what the card
    says of the training images (their windows, by which training_window.as_trained
    windows a file; their sizes, channels and acquisition, which predict's notes compare
    a file with: widened, a file unlike them would pass as "ok") and the training data's
    ``modalities`` (the fingerprint's counts, for the modality note)."""
    image = spec.get("modality") == "image"
    return {
        "classes": list(classes),
        "positive_class": classes[1] if len(classes) == 2 else None,
        "threshold": rule.get("threshold"),
        "threshold_is_default": rule.get("threshold_is_default"),
        "spec": {
            k: spec[k]
            for k in ANSWER_SPEC_KEYS
            if k in spec and not (image and k == "series_length")
        },
        "channel_standardisation": scaling,
        # how the training images were windowed (predict windows a DICOM file likewise),
        # and what else predict's notes compare a file with
        "training_images": spec.get("training_images"),
        "training_modalities": modalities or {},
    }


def digest(fields: dict[str, Any]) -> str:
    """The SHA-256 of ``fields`` written as sorted, compact JSON (64 hex digits)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def card_fields(card: dict[str, Any]) -> dict[str, Any]:
    """``decision_fields`` as read from a received card (what predict will use)."""
    scaling = (card.get("preprocessing") or {}).get("channel_standardisation")
    rule = {
        "threshold": card.get("threshold"),
        "threshold_is_default": card.get("threshold_is_default"),
    }
    fingerprint = (card.get("training") or {}).get("data_fingerprint") or {}
    return decision_fields(
        list(card.get("classes") or []),
        rule,
        card.get("spec") or {},
        scaling,
        fingerprint.get("modalities"),
    )


def trust_problem(card: dict[str, Any], metadata: dict[str, str]) -> str | None:
    """What makes the ``card`` untrustworthy beside its model.onnx (``metadata``: the
    model's metadata_props), or None: a decision field that differs (named, with both
    values), or a card of a checksummed format without its checksum of model.onnx."""
    differs = _differences(card, metadata)
    if differs:
        return f"The model card and model.onnx disagree on {'; '.join(differs)}: {_REEXPORT}."
    recorded = metadata.get(DIGEST_KEY)
    if recorded and recorded != digest(card_fields(card)):
        return (
            "The model card's decision fields differ from those model.onnx was exported "
            "with (its decision_sha256): one of the classes, positive class, threshold, "
            "threshold_is_default, the input settings in its spec (image_size, cache_size, "
            "channels, CSV layout, ...), what it says of the training images and data "
            "(their windows, sizes, acquisition, modalities, the largest missing share of "
            "a training recording: predict's checks compare files with them) or the channel "
            f"standardisation was changed: {_REEXPORT}."
        )
    if _checksummed(card, metadata) and not _lists_model(card):
        return (
            "The model card lists no SHA-256 checksum of model.onnx, though cards of its "
            "format always do: without it another model could pass for this one. "
            f"{_REEXPORT[0].upper()}{_REEXPORT[1:]}."
        )
    return None


def _differences(card: dict[str, Any], metadata: dict[str, str]) -> list[str]:
    """What the card and the model's own metadata say differently (only the keys the
    model carries: an export from before a key was written is not compared on it)."""
    found = []
    classes = card.get("classes")
    if "classes" in metadata:
        try:
            model_classes = json.loads(metadata["classes"])
        except ValueError:
            model_classes = metadata["classes"]
        if model_classes != classes:
            found.append(f"the classes (card: {classes}; model: {model_classes})")
    if "positive_class" in metadata and metadata["positive_class"] != card.get("positive_class"):
        found.append(
            f"the positive class (card: {card.get('positive_class')!r}; model: "
            f"{metadata['positive_class']!r})"
        )
    if "threshold" in metadata and not _same_number(metadata["threshold"], card.get("threshold")):
        found.append(
            f"the threshold (card: {card.get('threshold')!r}; model: {metadata['threshold']})"
        )
    default = card.get("threshold_is_default")
    if default is True and not _same_number(repr(DEFAULT_THRESHOLD), card.get("threshold")):
        found.append(
            f"the threshold (card: {card.get('threshold')!r} marked as the default, which "
            f"is always {DEFAULT_THRESHOLD})"
        )
    rule = metadata.get("decision_rule", "")
    if default is False and "(the more probable class" in rule:
        found.append(
            "whether the threshold is the default (card: chosen; model: the default, "
            "the more probable class)"
        )
    return found


def _same_number(text: str, value: Any) -> bool:
    try:
        wanted = float(text)
    except ValueError:
        return False
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isclose(float(value), wanted, rel_tol=0, abs_tol=1e-12)


def _checksummed(card: dict[str, Any], metadata: dict[str, str]) -> bool:
    """Whether the card comes from a version that always wrote checksums: the same
    change that wrote them made model.onnx describe itself; card_format came after."""
    return "card_format" in card or "classes" in metadata


def _lists_model(card: dict[str, Any]) -> bool:
    recorded = card.get("sha256")
    listed = recorded.get("files") if isinstance(recorded, dict) else None
    return isinstance(listed, dict) and isinstance(listed.get("model.onnx"), str)


def onnx_metadata(session: Any) -> dict[str, str]:
    """The metadata_props of the model an onnxruntime ``session`` runs ({} if none)."""
    try:
        return dict(session.get_modelmeta().custom_metadata_map)
    except Exception:  # (no model metadata to read: nothing to compare)
        return {}


def refuse_untrusted(card: dict[str, Any], session: Any, card_path: Path) -> str | None:
    """``trust_problem`` of ``card`` and the model of ``session``, naming ``card_path``."""
    problem = trust_problem(card, onnx_metadata(session))
    return f"{problem} (card: {card_path})" if problem else None
