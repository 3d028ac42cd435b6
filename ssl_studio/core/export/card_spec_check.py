"""The sizes a received model card's spec may ask of predict: a damaged or crafted card
asking for a cache of 40 000 px would make every image take 6 GB before anything failed
(and the failure then blamed the image)."""

from __future__ import annotations

from typing import Any

# (field, smallest, largest, for which modality; None: both)
_SIZES = (
    ("cache_size", 8, 2048, "image"),  # (the range an import takes)
    ("image_size", 16, 1024, "image"),  # (the range a run takes)
    ("in_channels", 1, 4, "image"),
    ("in_channels", 1, 65_536, "series"),
    ("series_length", 2, 1 << 31, "series"),
)


def spec_problem(spec: dict[str, Any]) -> str | None:
    """What is wrong with the sizes of a card's ``spec`` ("asks for images of 40000 px,
    where 8 to 2048 px are possible"), or None when they are sound (absent optional ones
    included: readers default them)."""
    modality = spec.get("modality")
    if modality not in ("image", "series"):
        return f"names the data kind {modality!r}, where image or series are possible"
    for field, low, high, kind in _SIZES:
        if kind != modality or spec.get(field) is None:
            continue
        value = spec[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"gives {field} = {value!r}, where {low} to {high} are possible"
    return None
