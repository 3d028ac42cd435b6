"""Following the model card's preprocessing recipe (re-implemented in card_recipe.py with
numpy and Pillow only) gives the input that predict gives, on real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from card_recipe import model_input
from PIL import Image

from ssl_studio.core.export.preprocess import read_inputs

DEMO = Path(__file__).parents[3] / "resources" / "demo" / "chest-xray"


def write_files(folder: Path) -> list[Path]:
    """Two demo X-rays (8-bit gray), a 16-bit gray and an RGB file, neither square."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:90, :130]
    deep = (600 + 9 * xx + 5 * yy + rng.normal(0, 40, xx.shape)).clip(0, 4095)
    Image.fromarray(deep.astype(np.uint16)).save(folder / "deep.png")
    colour = np.stack([xx * 2, yy * 3, (xx + yy) % 256], 2) + rng.integers(0, 20, (90, 130, 3))
    Image.fromarray(colour.clip(0, 255).astype(np.uint8)).save(folder / "colour.png")
    return sorted(DEMO.glob("*/*.png"))[:2] + [folder / "deep.png", folder / "colour.png"]


@pytest.mark.parametrize(("cache", "size", "channels"), [(64, 48, 1), (40, 56, 3)])
def test_the_card_recipe_gives_the_input_predict_gives(tmp_path, cache, size, channels):
    spec = {"modality": "image", "in_channels": channels, "image_size": size,
            "cache_size": cache}  # fmt: skip
    files = write_files(tmp_path)
    got = {Path(i.path).name: i.x for i in read_inputs(files, spec)}
    for path in files:
        want = model_input(np.asarray(Image.open(path)), cache, size, channels)
        assert want.shape == got[path.name].shape == (channels, size, size)
        assert np.abs(want - got[path.name]).max() < 1e-4, path.name
