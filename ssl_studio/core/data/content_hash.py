"""A short hash of what a model trains on for one item: its decoded, cached array (values,
shape and dtype) and, for images, the scale and offset that turn stored values into real
units. Recorded at import (items.content_hash), so a data fingerprint (pretrain.py) can
tell two datasets apart by their content, whatever project, item ids or import order
they have. It names no file and no patient: the same pixels give the same hash."""

from __future__ import annotations

import hashlib

import numpy as np

HASH_CHARS = 32  # hex digits kept (128 bits)


def image_content_hash(stored: np.ndarray, scale: float | None, offset: float | None) -> str:
    """stored: the cached array ``[C, S, S]`` (uint8/uint16); scale, offset: the item's
    value_scale and value_offset (real = stored * scale + offset)."""
    head = f"image|{stored.dtype.str}|{list(stored.shape)}|{_number(scale)}|{_number(offset)}|"
    return _digest(head, np.ascontiguousarray(stored).tobytes())


def series_content_hash(values: np.ndarray) -> str:
    """values: ``[C, T]`` float32 with NaN where missing, as the cache stores it (missing
    values as 0 and a mask of observed values)."""
    observed = ~np.isnan(values)
    clean = np.where(observed, values, 0).astype(np.float32)
    head = f"series|{clean.dtype.str}|{list(clean.shape)}|"
    return _digest(head, clean.tobytes() + observed.astype(np.uint8).tobytes())


def _number(value: float | None) -> str:
    return "none" if value is None else repr(float(value))


def _digest(head: str, data: bytes) -> str:
    digest = hashlib.sha256(head.encode())
    digest.update(data)
    return digest.hexdigest()[:HASH_CHARS]
