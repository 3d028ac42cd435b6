"""How the training images were acquired, and how an image to predict differs.

The import keeps a few acquisition facts of each DICOM item (data/dicom.py: body part,
view position, photometric interpretation, bits stored, pixel spacing) and the source
dtype of each image file (data/images.py). The export counts them over the training
items (``acquisition``, kept in the card's ``spec.training_images.acquisition``);
``predict`` notes an image whose body part or view position the training images never
had, whose photometric interpretation or bit depth differs from all of them, or whose
pixel spacing is more than ``SPACING_FACTOR`` times outside their range
(``acquisition_notes``). Notes, not errors: such a file may be what the user means.

Bit depth is compared only for a file whose values are stored units (``in_real_units``
false: DX, CR, MG, where 12 or 14 bits change what a value means). A file whose modality
LUT maps them to real units (a CT's Hounsfield units, a rescale that is not the identity,
a RescaleType other than "US") is windowed in those units whatever its BitsStored, so a
12-bit and a 16-bit CT are alike. The card does not record whether the training images
were rescaled, so this is decided from the file to predict alone; a rescaled file for a
model of unscaled images of another modality still gets the modality note.

Privacy: only counts per value, never per item, and only values of the DICOM standard's
defined terms are named (``NAMED``): body part and view position are free-text fields on
some devices, and a name or station typed there would otherwise reach the shared card.
Any other value is counted as ``OTHER``; an item without the field as ``UNSTATED``.
Manufacturer and model names are left out: predict does not compare them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

OTHER, UNSTATED = "other", "unstated"  # (lower case: no DICOM code string is)
SPACING_FACTOR = 2  # pixel spacing more than this many times outside the training range
# the defined terms a card may name (PS3.16 CID 4031 body parts most used on images,
# PS3.3 C.8.11.5.1.1 / CID 4014 view positions, PS3.3 C.7.6.3.1.2 photometric
# interpretations)
NAMED = {
    "body_part": frozenset(
        "ABDOMEN ABDOMENPELVIS ACJOINT ANKLE AORTA ARM AXILLA BACK BLADDER BRAIN BREAST "
        "BRONCHUS BUTTOCK CALCANEUS CALF CAROTID CEREBELLUM CERVIX CHEST CHESTABDOMEN "
        "CHESTABDPELVIS CIRCLEOFWILLIS CLAVICLE COCCYX COLON CORONARYARTERY CSPINE CTSPINE "
        "DUODENUM EAR ELBOW ESOPHAGUS EXTREMITY EYE EYELID FACE FEMUR FIBULA FINGER FOOT "
        "FOREARM GALLBLADDER HAND HEAD HEADNECK HEART HIP HUMERUS ILEUM ILIUM IAC JAW "
        "JEJUNUM KIDNEY KNEE LARYNX LEG LIVER LSPINE LSSPINE LUNG MANDIBLE MAXILLA "
        "MEDIASTINUM MOUTH NECK NECKCHEST NECKCHESTABDOMEN NECKCHESTABDPELV NOSE ORBIT "
        "OVARY PANCREAS PAROTID PATELLA PELVIS PENIS PHARYNX PROSTATE RECTUM RIB SACRUM "
        "SCAPULA SCLERA SCROTUM SELLA SHOULDER SKULL SPINE SPLEEN SSPINE STERNUM STOMACH "
        "SUBMANDIBULAR TESTIS THIGH THUMB THYMUS THYROID TIBIA TOE TONGUE TRACHEA TSPINE "
        "TLSPINE ULNA URETER URETHRA UTERUS VAGINA VULVA WHOLEBODY WRIST ZYGOMA".split()
    ),
    "view_position": frozenset(
        "AP PA LL RL RLD LLD RLO LLO LATERAL CC MLO ML LM LMO FB SIO XCC XCCL XCCM AXILLARY".split()
    ),
    "photometric": frozenset(
        "MONOCHROME1 MONOCHROME2 PALETTE_COLOR RGB HSV ARGB CMYK YBR_FULL YBR_FULL_422 "
        "YBR_PARTIAL_422 YBR_PARTIAL_420 YBR_ICT YBR_RCT".split()
    ),
}
_DTYPE = re.compile(r"(u?int|float|bool)(8|16|32|64)?")  # numpy's names of pixel types
WORDS = {
    "body_part": "body part (BodyPartExamined)",
    "view_position": "view position (ViewPosition)",
    "photometric": "photometric interpretation",
    "bits_stored": "bit depth (BitsStored)",
    "dtype": "pixel type",
}


def _named(key: str, value: Any) -> str | None:
    """``value`` of the fact ``key`` as the card may write it, OTHER when it may not be
    named, None when absent."""
    if value is None or value == "":
        return None
    if key == "bits_stored":
        bits = int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
        return str(bits) if 1 <= bits <= 64 else OTHER
    text = str(value).strip()
    if key == "dtype":
        return text if _DTYPE.fullmatch(text) else OTHER
    code = text.upper().replace(" ", "_" if key == "photometric" else "")
    return code if code in NAMED[key] else OTHER


def _spacing(meta: dict[str, Any]) -> list[float] | None:
    spacing = meta.get("pixel_spacing")
    if not isinstance(spacing, list) or len(spacing) != 2:
        return None
    try:
        values = [float(v) for v in spacing]
    except (TypeError, ValueError):
        return None
    return values if all(0 < v < 1000 for v in values) else None


def _meta(item: dict[str, Any]) -> dict[str, Any]:
    meta = item.get("meta")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta or "{}")
        except ValueError:
            meta = {}
    return meta if isinstance(meta, dict) else {}


def acquisition(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The training items' (rows of the items table) acquisition facts: for DICOM items,
    counts per body part, view position, photometric interpretation and bits stored, and
    the range of their pixel spacings in mm; for image files, counts per pixel type.
    None when there are no items."""
    if not items:
        return None
    dicom = [_meta(i) for i in items if i.get("source_kind") == "dicom"]
    files = [_meta(i) for i in items if i.get("source_kind") != "dicom"]
    found: dict[str, Any] = {"dicom_items": len(dicom), "image_file_items": len(files)}
    for key in ("body_part", "view_position", "photometric", "bits_stored"):
        if dicom:
            counts = Counter(_named(key, m.get(key)) or UNSTATED for m in dicom)
            found[key] = dict(sorted(counts.items()))
    if files:
        counts = Counter(_named("dtype", m.get("dtype")) or UNSTATED for m in files)
        found["dtype"] = dict(sorted(counts.items()))
    spacings = [v for m in dicom if (s := _spacing(m)) for v in s]
    if spacings:
        found["pixel_spacing_mm"] = [min(spacings), max(spacings)]
    return found


def counted(counts: dict[str, int]) -> str:
    """'CHEST (30), 10 without one' for the counts of a fact."""
    named = [f"{k} ({n})" for k, n in counts.items() if k not in (OTHER, UNSTATED)]
    if counts.get(OTHER):
        named.append(f"{counts[OTHER]} of other values")
    if counts.get(UNSTATED):
        named.append(f"{counts[UNSTATED]} without one")
    return ", ".join(named)


REAL_UNIT_MODALITIES = frozenset({"CT"})  # rescaled to real units by definition (HU)
# (an enhanced CT keeps its rescale in functional groups, which items.meta lacks)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def in_real_units(fields: dict[str, Any]) -> bool:
    """Whether a decoded DICOM item's values are real units after its modality LUT: a CT
    (``fields["modality"]``), a RescaleType other than "US" (unspecified), or a
    RescaleSlope or RescaleIntercept other than 1 and 0 (``fields["meta"]``). An identity
    rescale typed "US", as DX files carry, leaves stored units."""
    meta = fields.get("meta") if isinstance(fields.get("meta"), dict) else {}
    if str(fields.get("modality") or "").strip().upper() in REAL_UNIT_MODALITIES:
        return True
    kind = str(meta.get("rescale_type") or "").strip().upper()
    if kind and kind != "US":
        return True
    slope, intercept = _number(meta.get("rescale_slope")), _number(meta.get("rescale_intercept"))
    return (slope is not None and slope != 1) or (intercept is not None and intercept != 0)


def _value_note(key: str, value: Any, counts: dict[str, int] | None) -> str:
    mine = _named(key, value)
    if mine is None or not counts or mine in counts or set(counts) <= {UNSTATED}:
        return ""  # (training images that do not say may have been like this one)
    what = f"is {mine}" if mine != OTHER else "is none of the training images'"
    return f"This file's {WORDS[key]} {what}; in training: {counted(counts)}."


def _spacing_note(meta: dict[str, Any], span: list[float] | None) -> str:
    mine = _spacing(meta)
    if not mine or not span or len(span) != 2:
        return ""
    low, high = float(span[0]), float(span[1])
    if min(mine) * SPACING_FACTOR >= low and max(mine) <= high * SPACING_FACTOR:
        return ""
    trained = f"{low:.3g}" if low == high else f"{low:.3g}-{high:.3g}"
    return (
        f"This file's pixels are {mine[0]:.3g} x {mine[1]:.3g} mm; the training images' "
        f"were {trained} mm, more than {SPACING_FACTOR} times finer or coarser."
    )


def acquisition_notes(fields: dict[str, Any], kind: str, spec: dict[str, Any]) -> list[str]:
    """The notes of an image to predict (decoded ``fields``, ``kind`` "dicom" or "image")
    whose acquisition differs from all the training images' (the card's
    ``spec.training_images.acquisition``; none from older cards); bit depth only for a
    file in stored units (``in_real_units``)."""
    trained = (spec.get("training_images") or {}).get("acquisition") or {}
    meta = fields.get("meta") if isinstance(fields.get("meta"), dict) else {}
    if not trained:
        return []
    if kind != "dicom":
        return [n for n in [_value_note("dtype", meta.get("dtype"), trained.get("dtype"))] if n]
    if not trained.get("dicom_items"):
        return []  # (a model of image files: the modality note says enough)
    keys = ["body_part", "view_position", "photometric"]
    if not in_real_units(fields):  # (in real units, the bit depth changes no value)
        keys.append("bits_stored")
    notes = [_value_note(key, meta.get(key), trained.get(key)) for key in keys]
    notes.append(_spacing_note(meta, trained.get("pixel_spacing_mm")))
    return [n for n in notes if n]
