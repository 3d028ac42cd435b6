"""Images for the exported model, a batch at a time: the evaluation view of many decoded
items in one torch call. Item by item, torch's fixed cost per call (its threads woken for
a 224 x 224 image, several times) outweighed the work and grew with the machine's load;
each item's view depends on that item alone, so the numbers are the same either way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ssl_studio.core.transforms.image_augment import center_view

IMAGES_AT_ONCE = 64  # as predict's ONNX batch: ~40 MB of 3-channel 224 px images


def image_inputs(
    arrays: list[np.ndarray], fields: list[dict[str, Any]], spec: dict[str, Any]
) -> np.ndarray:
    """Decoded image items (N stored arrays [C, S, S] of one shape, each with its fields)
    -> standardized [N, C', size, size]: real units, windowed to [0, 1] by each item's
    window, the content box scaled to the model's size (``center_view``)."""
    channels = spec["in_channels"]
    real = np.stack([_real_units(a, f, channels) for a, f in zip(arrays, fields, strict=True)])
    centre = np.array([float(f["window_center"]) for f in fields])  # float64, then float32
    width = np.array([max(float(f["window_width"]), 1e-6) for f in fields])
    low = torch.from_numpy((centre - width / 2).astype(np.float32))
    high = torch.from_numpy((centre + width / 2).astype(np.float32))
    box = torch.tensor(
        [[f["box_x0"], f["box_y0"], f["box_x1"], f["box_y1"]] for f in fields],
        dtype=torch.float32,
    )
    return center_view(torch.from_numpy(real), low, high, box, spec["image_size"]).numpy()


def _real_units(array: np.ndarray, fields: dict[str, Any], channels: int) -> np.ndarray:
    """A stored image [C, S, S] -> float32 real units [channels, S, S] (gray repeated to
    RGB, RGB averaged to gray where the model reads the other)."""
    real = array.astype(np.float32) * float(fields["value_scale"]) + float(fields["value_offset"])
    if real.shape[0] != channels:
        real = (
            np.repeat(real[:1], channels, 0) if real.shape[0] == 1 else real.mean(0, keepdims=True)
        )
    return real


@dataclass
class HeldInputs:
    """Model inputs (preprocess.ModelInput) kept in their order until the images among
    them have their views (set as their ``x``), made ``at_once`` at a time."""

    spec: dict[str, Any]
    at_once: int = IMAGES_AT_ONCE
    held: list[Any] = field(default_factory=list)  # in order; images wait for their view
    images: list[tuple[Any, np.ndarray, dict[str, Any]]] = field(default_factory=list)

    def add(self, item: Any) -> Iterator[Any]:
        """Hold ``item`` (yielded at once when nothing is waiting ahead of it)."""
        if self.held:
            self.held.append(item)
        else:
            yield item

    def add_image(self, item: Any, array: np.ndarray, fields: dict[str, Any]) -> Iterator[Any]:
        """Hold ``item``, whose x is the view of ``array`` [C, S, S]; yields what is ready."""
        if self.images and self.images[0][1].shape != array.shape:
            yield from self.release()  # (a batch holds one shape)
        self.held.append(item)
        self.images.append((item, array, fields))
        if len(self.images) >= self.at_once:
            yield from self.release()

    def release(self) -> Iterator[Any]:
        """Everything held, in order, the images with their views."""
        if self.images:
            items, arrays, fields = zip(*self.images, strict=True)
            views = image_inputs(list(arrays), list(fields), self.spec)
            for item, view in zip(items, views, strict=True):
                item.x = view
        held, self.held, self.images = self.held, [], []
        yield from held
