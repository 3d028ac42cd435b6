"""Checks of a received model card before predict uses it: its format (a card of a newer
SSL Studio may mean something this one would misread), and the sizes its spec asks for (a
damaged or crafted card asking for a cache of 40 000 px would make every image take 6 GB
before anything failed, and the failure then blamed the image)."""

from __future__ import annotations

from typing import Any

from ssl_studio import __version__
from ssl_studio.core.config import CACHE_SIZES, IMAGE_SIZES, SMALLEST_SERIES_LENGTH

# raised only when a reader of the older format would misread an export (new keys: no);
# cards before the field are format 1
CARD_FORMAT = 1

# (field, smallest, largest, for which modality; None: both)
_SIZES = (
    ("cache_size", *CACHE_SIZES, "image"),  # (the range an import takes)
    ("image_size", *IMAGE_SIZES, "image"),  # (the range a run takes)
    ("in_channels", 1, 4, "image"),
    ("in_channels", 1, 65_536, "timeseries"),
    ("series_length", SMALLEST_SERIES_LENGTH, 1 << 31, "timeseries"),
)


def spec_problem(spec: dict[str, Any]) -> str | None:
    """What is wrong with the sizes of a card's ``spec`` ("asks for images of 40000 px,
    where 8 to 2048 px are possible"), or None when they are sound (absent optional ones
    included: readers default them)."""
    modality = spec.get("modality")
    if modality not in ("image", "timeseries"):
        return f"names the data kind {modality!r}, where image or timeseries are possible"
    for field, low, high, kind in _SIZES:
        if kind != modality or spec.get(field) is None:
            continue
        value = spec[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"gives {field} = {value!r}, where {low} to {high} are possible"
    return None


def format_problem(card: dict[str, Any]) -> str | None:
    """Why this SSL Studio cannot use a card of a newer format, or None."""
    made = card.get("card_format", 1)
    if isinstance(made, int) and not isinstance(made, bool) and made <= CARD_FORMAT:
        return None
    return (
        f"was written by a newer SSL Studio (card format {made!r}; this version "
        f"{__version__} reads format {CARD_FORMAT} and older). Update SSL Studio to predict "
        "with this export"
    )
