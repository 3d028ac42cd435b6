"""How an image to predict compares with the images the model was trained on.

The export records what the training images were (the card's data fingerprint counts their
modalities; ``spec["training_images"]`` holds their colour channels and sizes, for exports
made since it was added). ``predict`` keeps its answer for a file unlike them (the user may
know what they are doing) but notes what differs: a modality the model never saw, colour
for a grayscale model or the reverse, a size far outside the training sizes, and an
acquisition unlike theirs (training_acquisition.py: body part, view, photometric
interpretation, bit depth, pixel spacing). Notes name only modalities, channels, sizes
and the DICOM standard's defined terms: never anything else read from a patient's header.
"""

from __future__ import annotations

import re
from typing import Any

from ssl_studio.core.export.training_acquisition import acquisition, acquisition_notes
from ssl_studio.core.export.training_window import training_windows

IMAGE_FORMATS = ("PNG", "JPEG", "TIFF", "BMP")  # decoded image files (data/images.py)
IMAGE_FILES = "image files"  # every image format counts as one kind
SIZE_FACTOR = 4  # a side more than this many times larger or smaller than training's
# DICOM modalities that hold the same kind of picture (projection radiographs)
_SAME_AS = {"CR": "DX", "DR": "DX"}
_CODE = re.compile(r"[A-Z0-9_]{1,16}")  # a DICOM code string (Modality is one)
# the DICOM standard's modality codes (PS3.3 C.7.3.1.1.1, with retired ones): only these
# are written in a note, as any other value could be a name typed into the wrong field
STANDARD_MODALITIES = frozenset(
    "AR ASMT AU BDUS BI BMD CD CFM CR CS CT CTPROTOCOL DD DF DG DM DOC DS DX EC ECG EEG "
    "EMG EOG EPS ES FA FID FS GM HC HD IO IOL IVOCT IVUS KER KO LEN LP LS M3D MA MG MR MS "
    "NM OAM OCT OP OPM OPR OPT OPTBSV OPTENF OPV OSS OT PA PLAN POS PR PT PX REG RESP RF RG "
    "RTDOSE RTIMAGE RTINTENT RTPLAN RTRAD RTRECORD RTSEGANN RTSTRUCT RWV SEG SM SMR SR SRF "
    "ST STAIN TEXTUREMAP TG US VA VF XA XAPROTOCOL XC".split()
)
_VOWEL_SOUND = "AEFHILMNORSX"  # letters whose names start with a vowel: "an MR", "a CT"
MAY_NOT_MEAN = "The answer may not be meaningful: use this model on files like its training data."


def image_training(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the training items (rows of the items table) were, for the export's spec:
    their colour channels, the range of their source heights and widths in pixels, and
    how many were windowed by DICOM tags or by their own range (training_window)."""
    sized = [i for i in items if i.get("height") and i.get("width")]
    if not sized:
        return None
    heights = [int(i["height"]) for i in sized]
    widths = [int(i["width"]) for i in sized]
    return {
        "channels": sorted({int(i["channels"] or 1) for i in sized}),
        "height": [min(heights), max(heights)],
        "width": [min(widths), max(widths)],
        "windows": training_windows(items),
        "acquisition": acquisition(items),  # (body part, view, bit depth, ...)
    }


def _kind(modality: str | None) -> str | None:
    """The kind a modality counts as (PNG and JPEG are both image files; CR is DX), or
    None where it is unknown or not a plain code."""
    code = (modality or "").strip().upper()
    if code in IMAGE_FORMATS:
        return IMAGE_FILES
    if not _CODE.fullmatch(code) or code == "UNKNOWN":
        return None
    return _SAME_AS.get(code, code)


def _trained_words(modalities: dict[str, int]) -> str:
    """'PNG images', 'CT and MR DICOM images', 'PNG images and CT DICOM images'."""
    formats = [m for m in modalities if m.upper() in IMAGE_FORMATS]
    codes = [m for m in modalities if m.upper() in STANDARD_MODALITIES]
    parts = []
    if formats:
        parts.append(f"{' and '.join(formats)} images")
    if codes:
        parts.append(f"{' and '.join(codes)} DICOM images")
    if len(formats) + len(codes) < len(modalities):  # no modality, or not a standard one
        parts.append("other DICOM images" if codes else "DICOM images")
    return " and ".join(parts)


def _file_words(modality: str, is_dicom: bool) -> str:
    code = modality.strip().upper()
    if is_dicom and code not in STANDARD_MODALITIES:
        return "a DICOM image of another modality"
    article = "an" if code[:1] in _VOWEL_SOUND else "a"
    return f"{article} {code} DICOM image" if is_dicom else f"{article} {code} image"


def _modality_note(fields: dict[str, Any], is_dicom: bool, modalities: dict[str, int]) -> str:
    mine = _kind(fields.get("modality"))
    trained = {_kind(m) for m in modalities}
    if mine is None or not modalities or mine in trained:
        return ""
    if is_dicom and None in trained:  # DICOM files without a modality: any may match
        return ""
    return (
        f"This file is {_file_words(str(fields['modality']), is_dicom)}; the model was "
        f"trained on {_trained_words(modalities)}."
    )


def _colour_note(fields: dict[str, Any], spec: dict[str, Any]) -> str:
    recorded = (spec.get("training_images") or {}).get("channels")
    # an older card: a 1-channel model saw only grayscale images (its width is the most
    # channels of any pretraining image); a 3-channel one may have seen both
    channels = recorded or ([1] if spec.get("in_channels") == 1 else None)
    if not channels:
        return ""
    colour = int(fields.get("channels") or 1) >= 3
    if colour and max(channels) < 3:
        return (
            "This file is in colour (its colours were averaged to grey for the model); the "
            "model was trained on grayscale images."
        )
    if not colour and min(channels) >= 3:
        return (
            "This file is grayscale (its grey was given to all three colour channels); the "
            "model was trained on colour images."
        )
    return ""


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _size_note(fields: dict[str, Any], spec: dict[str, Any]) -> str:
    recorded = spec.get("training_images") or {}
    height, width = fields.get("height"), fields.get("width")
    if not recorded.get("height") or not recorded.get("width") or not height or not width:
        return ""  # an older card records no sizes

    def far(value: int, span: list[int]) -> bool:
        return value > SIZE_FACTOR * span[1] or value * SIZE_FACTOR < span[0]

    if not far(int(height), recorded["height"]) and not far(int(width), recorded["width"]):
        return ""
    return (
        f"This image is {int(width)} x {int(height)} pixels; the training images were "
        f"{_span(*recorded['width'])} x {_span(*recorded['height'])} (width x height), so "
        "its details are at a very different scale for the model."
    )


def image_note(fields: dict[str, Any], kind: str, spec: dict[str, Any], also: str = "") -> str:
    """The note of an image item (decoded ``fields``; ``kind`` "dicom" or "image") that
    differs from the training images, saying what differs; "" when nothing does or the
    card does not say. ``spec["training_modalities"]``: the fingerprint's counts.
    ``also``: a sentence to tell either way (how it was windowed), after what differs."""
    notes = [
        _modality_note(fields, kind == "dicom", spec.get("training_modalities") or {}),
        _colour_note(fields, spec),
        _size_note(fields, spec),
        *acquisition_notes(fields, kind, spec),
    ]
    notes = [n for n in notes if n]
    if not notes:
        return also
    return " ".join([*notes, *([also] if also else []), MAY_NOT_MEAN])


def describe_training(training: dict[str, Any] | None) -> str | None:
    """The card's words for the training images' channels and sizes (None if unknown)."""
    if not training:
        return None
    channels = training["channels"]
    colour = "colour" if min(channels) >= 3 else "grayscale" if max(channels) < 3 else ""
    other = {"colour": "grayscale", "grayscale": "colour"}.get(colour)
    return (
        f"{colour or 'grayscale and colour'} images of {_span(*training['width'])} x "
        f"{_span(*training['height'])} pixels (width x height); predict notes a file of a "
        f"modality the model never saw, {f'in {other}, ' if other else ''}"
        f"{'' if training.get('acquisition') else 'or '}more than "
        f"{SIZE_FACTOR} times larger or smaller on a side"
        + (
            ", or acquired unlike them (see how the training images were acquired)"
            if training.get("acquisition")
            else ""
        )
    )
