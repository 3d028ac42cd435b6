"""What the exported files say of themselves, for a receiver who has only one of them
(model.onnx's ``metadata_props``, model.pt's ``_extra_files``, model.safetensors'
metadata): the classes, the decision rule and the input; and the SHA-256 checksums the
card lists to verify the files with. Every value is a string, the same keys in both
programs (``PROGRAM_KEYS``)."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import ssl_studio

DEFAULT_THRESHOLD = 0.5  # a two-class model without a chosen threshold
# the card's ``positive_when``: the comparison that predicts the positive class (classes[1]),
# exactly as ssl-studio predict makes it on model.onnx's probabilities p
AT_LEAST_THRESHOLD = "p(positive_class) >= threshold"  # a chosen threshold: p[1] >= t
MORE_PROBABLE = "p(positive_class) > p(other class)"  # the default: p[1] > p[0], argmax
POSITIVE_WHEN = (AT_LEAST_THRESHOLD, MORE_PROBABLE)
# the keys model.onnx's metadata_props and model.pt's extra files hold, in this order
PROGRAM_KEYS = (
    "model_name",
    "ssl_studio_version",
    "classes",
    "positive_class",
    "threshold",
    "decision_rule",
    "input",
    "preprocessing",
    "output",
    "decision_sha256",  # card_integrity.digest of the card's fields that change answers
)
# (model.onnx.data: the weights of an ONNX program over 2 GB, written beside it)
CHECKED_FILES = ("model.pt", "model.onnx", "model.onnx.data", "model.safetensors", "golden.npz")


def how_to_check(names: list[str]) -> str:
    """The command that checks the files ``names`` of an export against their digests."""
    listed = " ".join(names)
    return (
        f"sha256sum {listed} (macOS: shasum -a 256 ...; Windows: certutil -hashfile FILE "
        "SHA256) must print these digests"
    )


def card_name(state: dict[str, Any]) -> str:
    """The generated name of the model (the card's ``name``)."""
    protocol = (state.get("info") or {}).get("protocol", "classifier")
    return f"ssl-studio-{state['spec']['backbone']}-{protocol}"


def decision(classes: list[str], chosen: float | None) -> dict[str, Any]:
    """How the predicted class follows from the probabilities, as ``ssl-studio predict``
    decides: ``threshold`` (the one in effect: ``chosen``, else 0.5 for two classes; None
    for more), ``threshold_is_default``, ``positive_when`` (the comparison, one of
    ``POSITIVE_WHEN``; None for more than two classes) and ``decision_rule`` in words."""
    if len(classes) != 2:
        return {
            "threshold": None,
            "threshold_is_default": None,
            "positive_when": None,
            "decision_rule": "argmax over classes: the most probable class",
        }
    negative, positive = classes
    if chosen is None:  # (the argmax the test report scored: a tie to the first class)
        return {
            "threshold": DEFAULT_THRESHOLD,
            "threshold_is_default": True,
            "positive_when": MORE_PROBABLE,
            "decision_rule": f"{positive} (positive) when p({positive}) > p({negative}), "
            f"else {negative} (the more probable class, so p({positive}) > 0.5; a tie of "
            f"exactly 0.5 goes to {negative})",
        }
    threshold = float(chosen)
    return {
        "threshold": threshold,
        "threshold_is_default": False,
        "positive_when": AT_LEAST_THRESHOLD,
        "decision_rule": f"{positive} (positive) when p({positive}) >= {threshold:.6g}, "
        f"else {negative}",
    }


def input_summary(spec: dict[str, Any], scaling: dict[str, Any] | None) -> tuple[str, str]:
    """(input shape, layout and dtype; value range and preprocessing in one sentence)."""
    c = spec["in_channels"]
    if spec["modality"] == "image":
        s = spec["image_size"]
        return (
            f"x: float32 [N, {c}, {s}, {s}] (batch, channels, rows, columns)",
            "values in [-2, 2]: each image windowed to [0, 1] (the DICOM window, else its "
            f"0.5th-99.5th percentiles), letterboxed to {s} x {s} (padding -2), then "
            "x = (u - 0.5) * 4; the exact steps are in MODEL_CARD.md (Input)",
        )
    shape = (
        f"x: float32 [N, {c}, T] (batch, channels, time; 0 where missing), observed: "
        f"float32 [N, {c}, T] (1 observed, 0 missing); any length T"
    )
    if scaling:
        return shape, (
            "raw values in the units of the training files; do not normalise: the model "
            "standardises each channel itself with the training data's mean and std "
            "(listed in MODEL_CARD.md)"
        )
    return shape, "raw values in the units of the training files, not normalised"


def program_metadata(state: dict[str, Any], scaling: dict[str, Any] | None) -> dict[str, str]:
    """The keys of ``PROGRAM_KEYS`` (those that apply: no positive class or threshold for
    more than two classes) as strings; ``classes`` a JSON list in output order;
    ``decision_sha256`` the digest predict checks the card against (card_integrity.py)."""
    from ssl_studio.core.export.card_integrity import decision_fields, digest

    spec = state["spec"]
    classes = list(spec["classes"])
    rule = decision(classes, state.get("threshold"))
    modalities = (state.get("fingerprint") or {}).get("modalities")  # (the card's, too)
    shape, how = input_summary(spec, scaling)
    found = {
        "model_name": card_name(state),
        "ssl_studio_version": ssl_studio.__version__,
        "classes": json.dumps(classes),
        "positive_class": classes[1] if len(classes) == 2 else None,
        "threshold": None if rule["threshold"] is None else repr(rule["threshold"]),
        "decision_rule": rule["decision_rule"],
        "input": shape,
        "preprocessing": how,
        "output": "probabilities: float32 [N, K], rows summing to 1, in the order of classes",
        "decision_sha256": digest(decision_fields(classes, rule, spec, scaling, modalities)),
    }
    return {k: v for k, v in found.items() if v is not None}


def input_scaling(classifier: Any, spec: dict[str, Any]) -> dict[str, Any] | None:
    """A series encoder's built-in standardisation (buffers encoder.input_shift and
    input_scale): {"channels", "mean", "std"} per channel, or None (images, or an encoder
    that leaves its input as it is)."""
    encoder = getattr(classifier, "encoder", None)
    shift = getattr(encoder, "input_shift", None)
    scale = getattr(encoder, "input_scale", None)
    if spec["modality"] == "image" or shift is None or scale is None:
        return None
    mean, std = shift.detach().cpu().tolist(), scale.detach().cpu().tolist()
    if all(m == 0 for m in mean) and all(s == 1 for s in std):
        return None
    names = spec.get("channel_names") or [f"channel {i + 1}" for i in range(len(mean))]
    return {
        "channels": list(names),
        "mean": [float(f"{m:.6g}") for m in mean],
        "std": [float(f"{s:.6g}") for s in std],
    }


def sha256_of(path: Path) -> str:
    """The SHA-256 digest of the file at ``path`` (64 hex digits)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """{file name: SHA-256} of the files of ``CHECKED_FILES`` that ``folder`` holds."""
    return {name: sha256_of(folder / name) for name in CHECKED_FILES if (folder / name).is_file()}


def changed_files(folder: Path, card: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """Those of ``names`` that ``folder`` holds whose SHA-256 differs from the one the card
    lists (a file changed or damaged since export; cards without checksums: none)."""
    recorded = card.get("sha256")
    listed = recorded.get("files") if isinstance(recorded, dict) else None
    listed = listed if isinstance(listed, dict) else {}  # (a damaged card: nothing to check)
    return [
        name
        for name in names
        if isinstance(listed.get(name), str)
        and (folder / name).is_file()
        and sha256_of(folder / name) != listed[name]
    ]


def sorted_header(data: bytes) -> bytes:
    """A safetensors file ``data`` with its JSON header written in a fixed order (metadata
    first, its keys sorted; the tensors as the library put them): the library writes the
    metadata in a different order each time. The tensor bytes and offsets are unchanged."""
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    meta = header.pop("__metadata__", None)
    ordered = {**({"__metadata__": dict(sorted(meta.items()))} if meta else {})}
    ordered.update(header)
    text = json.dumps(ordered, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the tensor data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + data[8 + length :]


def save_npz(path: Path, arrays: dict[str, Any]) -> None:
    """``numpy.savez`` that gives the same bytes for the same arrays: each member dated
    1980-01-01 (savez dates them now), stored uncompressed, in the order given."""
    import io
    import zipfile

    import numpy as np

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
