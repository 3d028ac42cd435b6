"""Worked examples of an image model's preprocessing, written into ``golden.npz`` so that
someone re-implementing the card's recipe can check each step: synthetic decoded images
(never patient data), their window and the model input the app makes of them, by the
same functions ``predict`` uses (the import's cache step, then ``image_input``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ssl_studio.core.data.pixels import as_hwc, collapse_gray, default_window, to_cache
from ssl_studio.core.export.preprocess import image_input

EXAMPLE_NAMES = ("gray8", "gray16", "rgb8")


def example_pixels(seed: int = 0) -> dict[str, np.ndarray]:
    """Decoded images as a file reader gives them: an 8-bit gray [150, 220], a 12-bit gray
    [60, 45] (stored as uint16, values from 300) and an 8-bit colour [50, 70, 3]; smooth
    gradients, a disc and noise."""
    rng = np.random.default_rng(seed)

    def scene(h: int, w: int, low: float, high: float) -> np.ndarray:
        yy, xx = np.mgrid[:h, :w] / max(h, w)
        disc = ((yy - 0.3) ** 2 + (xx - 0.4) ** 2 < 0.04) * 0.4
        u = 0.2 + 0.4 * xx + 0.2 * yy + disc + rng.normal(0, 0.03, (h, w))
        return low + np.clip(u, 0, 1) * (high - low)

    colour = np.stack([scene(50, 70, 0, 255) for _ in range(3)], axis=2)
    return {
        "gray8": np.rint(scene(150, 220, 0, 255)).astype(np.uint8),
        "gray16": np.rint(scene(60, 45, 300, 4095)).astype(np.uint16),
        "rgb8": np.rint(colour).astype(np.uint8),
    }


def example_arrays(spec: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(the arrays to save: example_names and example_<name>_pixels / _window (low, high,
    real units) / _input ([C, S, S], standardized), the inputs stacked [n, C, S, S])."""
    arrays: dict[str, np.ndarray] = {"example_names": np.array(EXAMPLE_NAMES)}
    inputs = []
    for name, pixels in example_pixels().items():
        frame = collapse_gray(as_hwc(pixels))  # as the image reader does
        stored, fields = to_cache(
            frame, size=spec["cache_size"], eight_bit=pixels.dtype == np.uint8
        )
        centre, width = default_window(fields)
        fields.update(window_center=centre, window_width=width)
        x = image_input(stored, fields, spec)
        arrays[f"example_{name}_pixels"] = pixels
        arrays[f"example_{name}_window"] = np.array([centre - width / 2, centre + width / 2])
        arrays[f"example_{name}_input"] = x
        inputs.append(x)
    return arrays, np.stack(inputs).astype(np.float32)
