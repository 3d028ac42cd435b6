"""What the pretraining tests share: a folder of gray circles and squares, and the config
of a short run on it (imported as ``from pretrain_shapes import ...``)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ssl_studio.core.config import PretrainConfig, TrainConfig


def shapes(folder, n=48, size=32):
    """Circles and squares of random size and place, gray on black."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        r = rng.integers(5, 10)
        cy, cx = rng.integers(r, size - r, 2)
        if i % 2:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
        image = (mask * rng.integers(120, 255) + rng.normal(0, 8, (size, size))).clip(0, 255)
        Image.fromarray(image.astype(np.uint8)).save(
            folder / f"{'circle' if i % 2 else 'square'}{i}.png"
        )


def config(project, task="simclr", backbone="cnn-small", steps=4, **train):
    options = {
        "steps": steps,
        "batch_size": 8,
        "checkpoint_every_steps": 2,
        "health_every_steps": 2,
        "log_every_seconds": 0.0,
        **train,
    }
    return PretrainConfig(
        project=project,
        dataset="shapes",
        task=task,
        backbone=backbone,
        image_size=32,
        train=TrainConfig(**options),
    )
