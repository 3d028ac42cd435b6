"""Real values and display windows of DICOM frames, from the top level or per frame.

Enhanced multi-frame files (enhanced CT/MR/XA...) keep the rescale and the window of
each frame in Functional Groups: the frame's item of PerFrameFunctionalGroupsSequence,
else the one item of SharedFunctionalGroupsSequence. The lookups here read the top level
first, then those groups, so classic and enhanced files of the same pixels give the same
real values and the same window.

A rescale with only one of slope and intercept, or with empty values, is read as DICOM
defines it: a missing slope is 1, a missing intercept 0 (both missing: no rescale).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut

TAGS, VOI_LUT, AUTO = "tags", "voi_lut", "auto"  # the items' meta["window_source"]


def first_float(value: Any) -> float | None:
    """The first number of a DICOM value (None for an absent, empty or unreadable one)."""
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        value = value[0] if len(value) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def group_items(ds: Dataset, index: int, sequence: str) -> Iterator[Dataset]:
    """The first item of ``sequence`` in frame ``index``'s per-frame functional group,
    then in the shared functional group (where each is present)."""
    for seq_name in ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"):
        groups = ds.get(seq_name)
        if not groups:
            continue
        if seq_name.startswith("PerFrame"):
            if index >= len(groups):
                continue
            group = groups[index]
        else:
            group = groups[0]
        inner = group.get(sequence)
        if inner:
            yield inner[0]


def rescale_of(item: Dataset) -> tuple[float, float] | None:
    """(slope, intercept) of ``item``; a missing or empty one of the two is 1 or 0, and
    None when neither has a value."""
    slope = first_float(item.get("RescaleSlope"))
    intercept = first_float(item.get("RescaleIntercept"))
    if slope is None and intercept is None:
        return None
    return (1.0 if slope is None else slope), (0.0 if intercept is None else intercept)


def frame_rescale(ds: Dataset, index: int) -> tuple[float, float] | None:
    """(slope, intercept) of frame ``index``: the top level's, else its functional groups'."""
    top = rescale_of(ds)
    if top is not None:
        return top
    for item in group_items(ds, index, "PixelValueTransformationSequence"):
        pair = rescale_of(item)
        if pair is not None:
            return pair
    return None


def to_real(frame: np.ndarray, ds: Dataset, index: int) -> tuple[np.ndarray, bool]:
    """Apply the modality LUT (or palette); returns (real-valued frame, still 8-bit)."""
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(frame, ds)
        return rgb, rgb.dtype == np.uint8
    if frame.ndim == 3:  # RGB, or YBR (made RGB by pydicom, or by to_cache for YBR_FULL)
        return frame, int(ds.get("BitsStored", 8)) <= 8
    if "ModalityLUTSequence" in ds:
        return apply_modality_lut(frame, ds), False
    pair = frame_rescale(ds, index)
    if pair is None and "DoseGridScaling" in ds:  # RT dose: stored values -> Gy
        return frame * float(ds.DoseGridScaling), False
    if pair is None:
        return frame, int(ds.get("BitsStored", 16)) <= 8
    slope, intercept = pair
    if slope.is_integer() and intercept.is_integer():  # exact, without floats (CT)
        real = frame.astype(np.int64) * int(slope) + int(intercept)
    else:
        real = frame * slope + intercept
    return real, slope == 1 and intercept == 0 and int(ds.get("BitsStored", 16)) <= 8


def nominal_range(ds: Dataset, index: int = 0) -> tuple[float, float]:
    """The real-valued range the stored bits of frame ``index`` can express (for
    MONOCHROME1 inversion), through that frame's rescale: the top level's, else its
    functional groups' (enhanced files), as to_real applies it."""
    bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 16)))
    if int(ds.get("PixelRepresentation", 0)) == 1:
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    else:
        low, high = 0, 2**bits - 1
    slope, intercept = frame_rescale(ds, index) or (1.0, 0.0)
    a, b = low * slope + intercept, high * slope + intercept
    return min(a, b), max(a, b)


def _tag_window(item: Dataset) -> tuple[float, float] | None:
    """(centre, width) of ``item``'s WindowCenter and WindowWidth, when both are usable."""
    centre = first_float(item.get("WindowCenter"))
    width = first_float(item.get("WindowWidth"))
    if centre is None or width is None or width <= 0:
        return None
    return centre, width


def lut_window(item: Dataset, signed: bool) -> tuple[float, float] | None:
    """The window covering the input range of ``item``'s first VOI LUT, when that LUT is
    simple (non-decreasing, as a window is); None otherwise. The LUT maps values from its
    first mapped value (``signed``: of signed pixels) over its number of entries; the
    DICOM linear window with centre first + entries / 2 and width entries maps the same
    range to the full output."""
    luts = item.get("VOILUTSequence")
    if not luts:
        return None
    lut = luts[0]
    try:
        entries, first = int(lut.LUTDescriptor[0]), int(lut.LUTDescriptor[1])
        data = np.asarray(lut.LUTData, dtype=np.float64).ravel()
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None
    entries = entries or 65536  # 0 means 2^16 entries
    if data.size < 2 or np.any(np.diff(data) < 0) or data[-1] <= data[0]:
        return None
    if signed and first >= 2**15:
        first -= 2**16  # a signed first mapped value, read as unsigned (US)
    return first + entries / 2, float(entries)


def frame_window(ds: Dataset, index: int) -> tuple[float | None, float | None, str]:
    """(centre, width, source) of frame ``index``, before MONOCHROME1 mirroring: the top
    level's WindowCenter/WindowWidth, else the frame's FrameVOILUTSequence window (per
    frame, then shared), both source TAGS; else the input range of a simple VOI LUT
    Sequence (VOI_LUT); else (None, None, AUTO)."""
    items = [ds, *group_items(ds, index, "FrameVOILUTSequence")]
    for item in items:
        window = _tag_window(item)
        if window is not None:
            return window[0], window[1], TAGS
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    for item in items:
        window = lut_window(item, signed)
        if window is not None:
            return window[0], window[1], VOI_LUT
    return None, None, AUTO


def has_voi_lut(ds: Dataset, index: int) -> bool:
    """Whether frame ``index`` has a VOI LUT Sequence (at the top level or in its
    FrameVOILUTSequence): the file has a display mapping even when no window is derived
    from it, so a note must not say it has none."""
    return any(
        "VOILUTSequence" in item for item in (ds, *group_items(ds, index, "FrameVOILUTSequence"))
    )
