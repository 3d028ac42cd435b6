"""The image preprocessing of an export written again from the model card's recipe alone,
with numpy and Pillow (no SSL Studio code, no torch), as someone re-implementing the
model's input elsewhere would: the tests check that following the card gives the input
``ssl-studio predict`` gives. ``pixels``: a decoded file, [H, W] or [H, W, 3]."""

from __future__ import annotations

import numpy as np
from PIL import Image


def stored_levels(pixels: np.ndarray) -> tuple[np.ndarray, float, float]:
    """[H, W, C] levels (uint8 or uint16), minimum, scale: real = level * scale + minimum."""
    a = pixels[:, :, None] if pixels.ndim == 2 else pixels
    if a.shape[2] == 3 and (a == a[:, :, :1]).all():
        a = a[:, :, :1]
    if a.dtype == np.uint8:
        return a, 0.0, 1.0
    low = int(a.min())
    return (a.astype(np.int64) - low).astype(np.uint16), float(low), 1.0


def letterbox(levels: np.ndarray, cache: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """[C, cache, cache] canvas of level 0 and the content box (x0, y0, x1, y1)."""
    height, width, channels = levels.shape
    h = max(1, round(height * cache / max(height, width)))
    w = max(1, round(width * cache / max(height, width)))
    bicubic = Image.Resampling.BICUBIC
    if levels.dtype == np.uint8 and channels == 3:
        image = Image.fromarray(levels, "RGB").resize((w, h), bicubic, reducing_gap=2.0)
        resized = np.asarray(image)
    elif levels.dtype == np.uint8:
        image = Image.fromarray(levels[:, :, 0], "L").resize((w, h), bicubic, reducing_gap=2.0)
        resized = np.asarray(image)[:, :, None]
    else:
        planes = [
            Image.fromarray(levels[:, :, c].astype(np.float32), "F").resize(
                (w, h), bicubic, reducing_gap=2.0
            )
            for c in range(channels)
        ]
        resized = np.clip(np.rint(np.stack(planes, 2)), 0, 65535).astype(np.uint16)
    canvas = np.zeros((channels, cache, cache), levels.dtype)
    x0, y0 = (cache - w) // 2, (cache - h) // 2
    canvas[:, y0 : y0 + h, x0 : x0 + w] = np.moveaxis(resized, 2, 0)
    return canvas, (x0, y0, x0 + w, y0 + h)


def window(real: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """The 0.5th and 99.5th percentiles inside the box, every (n // 16384)-th value."""
    x0, y0, x1, y1 = box
    values = real[:, y0:y1, x0:x1].reshape(-1)
    if values.size > 16384:
        values = values[:: values.size // 16384]
    low, high = np.percentile(values.astype(np.float64), [0.5, 99.5])
    return float(low), float(high)


def _bilinear(positions: np.ndarray, n: int) -> np.ndarray:
    """[len(positions), n] weights: positions in pixel-edge coordinates, zeros outside."""
    centre = positions - 0.5  # in pixel-centre coordinates
    first = np.floor(centre).astype(np.int64)
    t = centre - first
    out = np.zeros((len(positions), n))
    for index, weight in ((first, 1 - t), (first + 1, t)):
        ok = (index >= 0) & (index < n)
        out[np.flatnonzero(ok), index[ok]] += weight[ok]
    return out


def model_input(pixels: np.ndarray, cache: int, size: int, channels: int) -> np.ndarray:
    """[channels, size, size] float32, following the card step by step."""
    levels, minimum, scale = stored_levels(pixels)
    canvas, box = letterbox(levels, cache)
    real = canvas.astype(np.float32) * scale + minimum
    low, high = window(real, box)
    if real.shape[0] != channels:
        real = np.repeat(real, channels, 0) if real.shape[0] == 1 else real.mean(0, keepdims=True)
    u = np.clip((real - low) / max(high - low, 1e-6), 0, 1)
    x0, y0, x1, y1 = box
    half = (max(x1 - x0, y1 - y0) - 1) / 2
    v = (2 * np.arange(size) + 1) / size - 1
    across = _bilinear((x0 + x1) / 2 + v * half, cache)  # [size, cache]
    down = _bilinear((y0 + y1) / 2 + v * half, cache)
    view = np.einsum("iy,cyx,jx->cij", down, u, across)
    inside = np.outer(abs(v) <= (y1 - y0 - 1) / 2 / half, abs(v) <= (x1 - x0 - 1) / 2 / half)
    return ((view * inside - 0.5) * 4).astype(np.float32)
