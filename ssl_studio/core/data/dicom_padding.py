"""Pixel padding of DICOM frames (PixelPaddingValue, PixelPaddingRangeLimit).

A CT with a circular field of view stores a padding value (often -2000, -3024 HU after
the rescale) outside the circle; DX/MG may pad the collimated border. Those pixels are
not part of the image: left as they are, they drive the automatic window and the
statistics (all tissue squeezed into a fraction of the grey range). The padding value
is in STORED units (before the modality LUT), so the mask is taken from the stored frame.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

from ssl_studio.core.data.dicom_values import first_float


def _stored_value(ds: Dataset, keyword: str) -> int | None:
    """``keyword``'s value as a stored pixel value (signed where PixelRepresentation is 1:
    a value written unsigned, e.g. 63536 for -2000, is read back as signed)."""
    value = first_float(ds.get(keyword))
    if value is None or not float(value).is_integer():
        return None
    number = int(value)
    bits = int(ds.get("BitsAllocated", 16) or 16)
    if int(ds.get("PixelRepresentation", 0) or 0) == 1 and number >= 2 ** (bits - 1):
        number -= 2**bits  # two's complement of a signed value read as unsigned
    return number


def padding_mask(frame: np.ndarray, ds: Dataset) -> np.ndarray | None:
    """Where a stored grayscale frame holds padding.

    frame: ``[H, W]`` stored values (before the modality LUT). Returns an ``[H, W]`` bool
    mask (True: padding) when the file declares a PixelPaddingValue (with its
    PixelPaddingRangeLimit: the range between the two, in either order, inclusive) and
    some, but not all, pixels are padding; None otherwise (colour frames included).
    """
    if frame.ndim != 2 or "PixelPaddingValue" not in ds:
        return None
    value = _stored_value(ds, "PixelPaddingValue")
    if value is None:
        return None
    limit = _stored_value(ds, "PixelPaddingRangeLimit")
    low, high = (value, value) if limit is None else (min(value, limit), max(value, limit))
    mask = (frame >= low) & (frame <= high)
    if not mask.any() or mask.all():
        return None
    return mask


def fill_padding(real: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``real`` ([H, W], real units, after any MONOCHROME1 inversion) with its padding
    set to the lowest value of its other pixels, so padding shows as the darkest
    content. Returns a new ``[H, W]`` array of ``real``'s dtype."""
    lowest = real[~mask].min()
    return np.where(mask, lowest, real).astype(real.dtype, copy=False)
