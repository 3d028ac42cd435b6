"""MODEL_CARD.md's lines on how the training images were acquired (the card's
``spec.training_images.acquisition``, training_acquisition.py): what ``predict``
compares an image with before it notes a body part, view, photometric interpretation,
bit depth or pixel spacing unlike the training images'."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.export.training_acquisition import SPACING_FACTOR, WORDS, counted


def acquisition_lines(card: dict[str, Any]) -> list[str]:
    """A titled list of the training images' acquisition facts (counts per value, no
    identifiers), or [] for a card without them (older exports, series models)."""
    found = ((card.get("spec") or {}).get("training_images") or {}).get("acquisition")
    if not found:
        return []
    lines = []
    if found.get("dicom_items"):
        lines.append(f"- DICOM images: {found['dicom_items']}")
        for key in ("body_part", "view_position", "photometric", "bits_stored"):
            if found.get(key):
                lines.append(f"- {_title(WORDS[key])}: {counted(found[key])}")
        span = found.get("pixel_spacing_mm")
        if span:
            low, high = span
            said = f"{low:.3g}" if low == high else f"{low:.3g}-{high:.3g}"
            lines.append(f"- Pixel spacing: {said} mm")
    if found.get("image_file_items"):
        lines.append(f"- Image files: {found['image_file_items']}")
        if found.get("dtype"):
            lines.append(f"- {_title(WORDS['dtype'])}: {counted(found['dtype'])}")
    return [
        "",
        "How the training images were acquired (counts of images; values outside the DICOM "
        "standard's defined terms are counted, not named):",
        "",
        *lines,
        "",
        "`predict` notes (and still answers) an image whose body part or view position "
        "none of these had, whose photometric interpretation or bit depth differs from all "
        f"of them, or whose pixel spacing is more than {SPACING_FACTOR} times finer or "
        "coarser than their range.",
    ]


def _title(words: str) -> str:
    """``words`` with a capital first letter (the rest as written: BitsStored)."""
    return words[:1].upper() + words[1:]
