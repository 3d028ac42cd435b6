"""A short hash of what a model trains on for one item: its decoded, cached array (values,
shape and dtype) and, for images, the item fields that decide what the model sees of it:
the scale and offset that turn stored values into real units, the display window that
maps real units to [0, 1] (transforms/image_augment.py to_unit) and the content box that
crops stay within. Recorded at import (items.content_hash), so a data fingerprint
(data_fingerprint.py) can tell two datasets apart by their content, whatever project,
item ids or import order they have. It names no file and no patient: the same pixels
give the same hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ssl_studio.core.data.cache import bytes_of

HASH_CHARS = 32  # hex digits kept (128 bits)
_PART_BYTES = 1 << 24  # a series' bytes are hashed in parts of 16 MiB


# item fields an image's hash covers besides its pixels (real = stored * scale + offset;
# window: real units shown as [0, 1]; box: the content inside the letterboxed cache image)
IMAGE_FIELDS = (
    "value_scale",
    "value_offset",
    "window_center",
    "window_width",
    "box_x0",
    "box_y0",
    "box_x1",
    "box_y1",
)


def image_content_hash(stored: np.ndarray, fields: Mapping[str, Any]) -> str:
    """stored: the cached array ``[C, S, S]`` (uint8/uint16); fields: the item's fields
    (the decoder's, or its database row), of which IMAGE_FIELDS are hashed."""
    numbers = "|".join(_number(fields.get(name)) for name in IMAGE_FIELDS)
    head = f"image|{stored.dtype.str}|{list(stored.shape)}|{numbers}|"
    return _digest(head, bytes_of(stored))


def series_content_hash(clean: np.ndarray, observed: np.ndarray) -> str:
    """clean, observed: a series as the cache stores it (cache.series_parts, or
    CacheReader.series): values ``[C, T]`` float32 with 0 where missing, and a mask
    ``[C, T]`` of observed values (bool or uint8 0/1). Hashed part by part from the
    arrays' own memory: nothing as large as the series is made here."""
    clean = np.ascontiguousarray(clean, np.float32)  # (no copy for the cache's arrays)
    mask = np.ascontiguousarray(observed)
    mask = mask.view(np.uint8) if mask.dtype == np.bool_ else mask.astype(np.uint8)
    digest = hashlib.sha256(f"series|{clean.dtype.str}|{list(clean.shape)}|".encode())
    for part in (clean, mask):
        flat = bytes_of(part)
        for start in range(0, len(flat), _PART_BYTES):  # (bounded: hashlib copies none)
            digest.update(flat[start : start + _PART_BYTES])
    return digest.hexdigest()[:HASH_CHARS]


def _number(value: float | None) -> str:
    return "none" if value is None else repr(float(value))


def _digest(head: str, data: Any) -> str:
    digest = hashlib.sha256(head.encode())
    digest.update(data)
    return digest.hexdigest()[:HASH_CHARS]
