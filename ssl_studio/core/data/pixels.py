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

_RESAMPLE = Image.Resampling.BICUBIC
_STATS_SAMPLES = 65_536


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


def _fit(height: int, width: int, size: int) -> tuple[int, int]:
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize_u8(frame: np.ndarray, h: int, w: int) -> np.ndarray:
    mode = "L" if frame.shape[2] == 1 else "RGB"
    image = Image.fromarray(np.ascontiguousarray(frame if mode == "RGB" else frame[:, :, 0]), mode)
    out = np.asarray(image.resize((w, h), _RESAMPLE, reducing_gap=2.0))
    return out[:, :, None] if out.ndim == 2 else out


def _resize_float(frame: np.ndarray, h: int, w: int, top: float) -> np.ndarray:
    planes = []
    for c in range(frame.shape[2]):
        image = Image.fromarray(np.ascontiguousarray(frame[:, :, c], dtype=np.float32), "F")
        planes.append(np.asarray(image.resize((w, h), _RESAMPLE, reducing_gap=2.0)))
    out = np.stack(planes, axis=2)
    return np.clip(np.rint(out), 0, top)


def _stats(stored: np.ndarray, offset: float, scale: float) -> dict[str, float]:
    flat = stored.reshape(-1)
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


def to_cache(frame: np.ndarray, *, size: int, eight_bit: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """Turn one frame in real units into a cache-ready array and its item fields.

    frame: ``[H, W]`` or ``[H, W, C]`` (C in 1..4), any numeric dtype, real units.
    eight_bit: the source has at most 8 bits per sample (kept as uint8 when it fits).
    Returns ``(stored [C, size, size] uint8|uint16, fields)`` where fields hold channels,
    height, width, value_offset, value_scale, box_* and the p_low/p_high/mean/std stats.
    """
    frame = as_hwc(np.asarray(frame))
    height, width, channels = frame.shape
    if height == 0 or width == 0:
        raise ValueError(f"the image has no pixels ({height} x {width})")
    h, w = _fit(height, width, size)
    integral = frame.dtype.kind in "biu"
    if eight_bit and integral and frame.min() >= 0 and frame.max() <= 255:
        offset, scale = 0.0, 1.0
        resized = _resize_u8(frame.astype(np.uint8, copy=False), h, w)
        dtype = np.uint8
    else:
        real = frame.astype(np.float64, copy=False)
        finite = np.isfinite(real)
        if not finite.any():
            raise ValueError("every pixel value is NaN or infinite")
        low, high = float(real[finite].min()), float(real[finite].max())
        integral = integral or bool(np.array_equal(real[finite], np.rint(real[finite])))
        span = high - low
        scale = 1.0 if integral and span <= 65535 else (span / 65535 if span > 0 else 1.0)
        offset = low
        stored = np.where(finite, (real - offset) / scale, 0.0)
        resized = _resize_float(stored, h, w, 65535)
        dtype = np.uint16
    canvas = np.zeros((channels, size, size), dtype=dtype)
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
    fields.update(_stats(canvas[:, y0 : y0 + h, x0 : x0 + w], offset, scale))
    return canvas, fields


def default_window(fields: dict[str, Any]) -> tuple[float, float]:
    """A display window (centre, width) from the robust range when the source gives none."""
    low, high = fields["p_low"], fields["p_high"]
    return (low + high) / 2, max(high - low, 1e-6)
