"""From a decoded frame in real units to the cache: dtype choice, resize, letterbox, stats.

Cached images are ``[C, S, S]`` with C = 1 (grayscale) or 3 (RGB). Sources with at most
8 bits are stored as uint8 as they are. Everything else (16-bit X-ray, CT in Hounsfield
units after the modality LUT, float TIFF) is stored as uint16 with an affine map back to
real units: ``real = stored * value_scale + value_offset``. Integer data whose range
fits 65 536 levels is stored exactly (scale 1); other data is quantised to 65 536 levels.

Aspect ratio is kept: the longer side is resized to S and the image is centred on an
S x S canvas filled with stored value 0 (the image's darkest value). The content box
``(x0, y0, x1, y1)`` is recorded so training can crop inside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from ssl_studio.core.data.records import ImportProblem

MIN_SIDE = 8  # pixels; smaller files are icons, placeholders or test patterns
MAX_PIXELS = 120_000_000  # per frame; larger images are refused before decoding
MAX_FRAME_BYTES = 1 << 30  # a frame's decoded size; larger ones are refused before decoding

_RESAMPLE = Image.Resampling.BICUBIC
_STATS_SAMPLES = 16_384


def as_hwc(frame: np.ndarray) -> np.ndarray:
    """A frame as ``[H, W, C]`` with C in {1, 3}: alpha dropped, 2-channel gray+alpha to 1."""
    if frame.ndim == 2:
        return frame[:, :, None]
    if frame.ndim != 3:
        raise ValueError(f"expected a 2-D or 3-D frame, got shape {frame.shape}")
    channels = frame.shape[2]
    if channels in (1, 3):
        return frame
    if channels == 2:
        return frame[:, :, :1]
    if channels == 4:
        return frame[:, :, :3]
    raise ValueError(f"{channels} colour channels per pixel are not supported (1, 3 or 4)")


def collapse_gray(frame: np.ndarray) -> np.ndarray:
    """An RGB frame whose three channels are identical becomes one channel. ``[H, W, C]``."""
    if (
        frame.shape[2] == 3
        and np.array_equal(frame[..., 0], frame[..., 1])
        and np.array_equal(frame[..., 0], frame[..., 2])
    ):
        return frame[:, :, :1]
    return frame


def check_size(height: int, width: int, samples: int = 1, sample_bytes: int = 1) -> None:
    """Refuse, before decoding it, a frame of ``height`` x ``width`` pixels of ``samples``
    values of ``sample_bytes`` bytes each that is too large to decode safely (more than
    MAX_PIXELS, or MAX_FRAME_BYTES decoded: a small crafted file could declare gigabytes),
    or has a side under MIN_SIDE pixels (scaled up to the cache size it would be a few
    flat blocks, nothing a model can learn from)."""
    if height * width > MAX_PIXELS:
        raise ImportProblem(
            "image-too-large",
            f"The image is too large: {width} x {height} pixels "
            f"({height * width / 1e6:.0f} MP), above the safety limit of "
            f"{MAX_PIXELS / 1e6:.0f} MP. Downscale it first.",
        )
    decoded = height * width * max(samples, 1) * max(sample_bytes, 1)
    if decoded > MAX_FRAME_BYTES:
        raise ImportProblem(
            "image-too-large",
            f"The image is too large to decode safely: {width} x {height} pixels of "
            f"{samples} value(s) of {sample_bytes} byte(s) would take "
            f"{decoded / 2**30:.1f} GB, above the safety limit of "
            f"{MAX_FRAME_BYTES / 2**30:.0f} GB. Downscale it or save fewer channels.",
        )
    if 0 < min(height, width) < MIN_SIDE:
        raise ImportProblem(
            "image-too-small",
            f"The image is only {width} x {height} pixels; SSL Studio needs at least "
            f"{MIN_SIDE} x {MIN_SIDE}. Files this small are usually icons, placeholders or "
            "test patterns. If these are real scans, export them at full resolution.",
        )


def _fit(height: int, width: int, size: int) -> tuple[int, int]:
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize(frame: np.ndarray, h: int, w: int, ycbcr: bool = False) -> np.ndarray:
    """frame: ``[H, W, C]`` uint8 or uint16 -> ``[h, w, C]`` of the same dtype, antialiased
    when shrinking (Pillow). ``ycbcr``: a uint8 YCbCr frame, resized then made RGB."""
    if frame.dtype == np.uint8 and frame.shape[2] == 3:
        image = Image.fromarray(np.ascontiguousarray(frame), "YCbCr" if ycbcr else "RGB")
        if (h, w) != frame.shape[:2]:
            image = image.resize((w, h), _RESAMPLE, reducing_gap=2.0)
        return np.asarray(image.convert("RGB") if ycbcr else image)
    if (h, w) == frame.shape[:2]:
        return frame
    planes = []
    for c in range(frame.shape[2]):
        plane = frame[:, :, c] if frame.dtype == np.uint8 else frame[:, :, c].astype(np.float32)
        planes.append(
            np.asarray(Image.fromarray(plane).resize((w, h), _RESAMPLE, reducing_gap=2.0))
        )
    out = np.stack(planes, axis=2)
    if out.dtype != frame.dtype:  # 16-bit planes were resized as float32 ('F' images)
        out = np.clip(np.rint(out), 0, 65535).astype(frame.dtype)
    return out


def _quantise(frame: np.ndarray) -> tuple[np.ndarray, float, float]:
    """frame: ``[H, W, C]`` real values -> (uint16 levels, offset, scale).

    Integers spanning at most 65 536 levels are kept exactly (scale 1); anything else is
    mapped linearly onto 65 536 levels. NaN and infinities become the lowest level.
    """
    if frame.dtype.kind in "biu":
        low, high = int(frame.min()), int(frame.max())
        if high - low <= 65535:
            return (frame.astype(np.int64) - low).astype(np.uint16), float(low), 1.0
    real = frame.astype(np.float64, copy=False)
    finite = np.isfinite(real)
    if not finite.all():
        if not finite.any():
            raise ValueError("every pixel value is NaN or infinite")
        real = np.where(finite, real, np.nanmin(np.where(finite, real, np.nan)))
    low, high = float(real.min()), float(real.max())
    span = high - low
    if span <= 65535 and np.array_equal(real, np.rint(real)):
        return (real - low).astype(np.uint16), low, 1.0
    scale = span / 65535 if span > 0 else 1.0
    return np.rint((real - low) / scale).astype(np.uint16), low, scale


def _stats(
    stored: np.ndarray, offset: float, scale: float, keep: np.ndarray | None = None
) -> dict[str, float]:
    """Robust range, mean and std in real units of ``stored`` ([C, h, w] levels), from
    the pixels where ``keep`` ([h, w] bool) is True when it is given."""
    flat = (stored[:, keep] if keep is not None else stored).reshape(-1)
    if flat.size > _STATS_SAMPLES:
        flat = flat[:: flat.size // _STATS_SAMPLES]
    real = flat.astype(np.float64) * scale + offset
    low, high = np.percentile(real, [0.5, 99.5])
    return {
        "p_low": float(low),
        "p_high": float(high),
        "mean": float(real.mean()),
        "std": float(real.std()),
    }


def to_cache(
    frame: np.ndarray,
    *,
    size: int,
    eight_bit: bool,
    ycbcr: bool = False,
    padding: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Turn one frame in real units into a cache-ready array and its item fields.

    frame: ``[H, W]`` or ``[H, W, C]`` (C in 1..4), any numeric dtype, real units.
    eight_bit: the source has at most 8 bits per sample (kept as uint8 when it fits).
    ycbcr: an 8-bit, 3-channel frame in full-range YCbCr (DICOM YBR_FULL), converted to
    RGB after resizing, which is much cheaper than before.
    padding: ``[H, W]`` bool, True where the source holds padding (DICOM
    PixelPaddingValue), not image: the stats leave those pixels out, and the pixels the
    resize blends with them.
    Returns ``(stored [C, size, size] uint8|uint16, fields)`` where fields hold channels,
    height, width, value_offset, value_scale, box_* and the p_low/p_high/mean/std stats,
    and n_missing (the source's NaN and infinite values) where there are any.
    """
    frame = as_hwc(np.asarray(frame))
    height, width, channels = frame.shape
    if height == 0 or width == 0:
        raise ValueError(f"the image has no pixels ({height} x {width})")
    h, w = _fit(height, width, size)
    # NaN and infinities (read as the lowest level below): counted, for predict's checks
    missing = int(frame.size - np.isfinite(frame).sum()) if frame.dtype.kind in "fc" else 0
    if eight_bit and frame.dtype.kind in "biu" and frame.min() >= 0 and frame.max() <= 255:
        levels, offset, scale = frame.astype(np.uint8, copy=False), 0.0, 1.0
    else:
        levels, offset, scale = _quantise(frame)
    resized = _resize(levels, h, w, ycbcr=ycbcr and levels.dtype == np.uint8)
    canvas = np.zeros((channels, size, size), dtype=levels.dtype)
    y0, x0 = (size - h) // 2, (size - w) // 2
    canvas[:, y0 : y0 + h, x0 : x0 + w] = np.moveaxis(resized, 2, 0)
    fields: dict[str, Any] = {
        "channels": channels,
        "height": height,
        "width": width,
        "value_offset": offset,
        "value_scale": scale,
        "box_x0": x0,
        "box_y0": y0,
        "box_x1": x0 + w,
        "box_y1": y0 + h,
    }
    keep = None if padding is None else _unpadded(padding, h, w)
    fields.update(_stats(canvas[:, y0 : y0 + h, x0 : x0 + w], offset, scale, keep))
    if missing:
        fields["n_missing"] = missing
    return canvas, fields


def _unpadded(padding: np.ndarray, h: int, w: int) -> np.ndarray | None:
    """``padding`` ([H, W] bool) resized to ``[h, w]`` and inverted: True where no
    padding reaches the resized pixel; None when that leaves no pixel."""
    mask = Image.fromarray(padding.astype(np.uint8) * 255)
    if mask.size != (w, h):
        mask = mask.resize((w, h), Image.Resampling.BILINEAR)
    keep = np.asarray(mask) == 0
    return keep if keep.any() else None


def default_window(fields: dict[str, Any]) -> tuple[float, float]:
    """A display window (centre, width) from the robust range when the source gives none."""
    low, high = fields["p_low"], fields["p_high"]
    return (low + high) / 2, max(high - low, 1e-6)
