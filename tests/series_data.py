"""Small labeled time-series data for the tests (imported as ``from series_data import ...``:
tests/ is not a package, so pytest puts this folder on the path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_waves(folder: Path, n: int = 40, seed: int = 0) -> Path:
    """folder/waves.csv, one recording per row with its label first: ``n`` sine or square
    waves of random phase, unequal lengths (40-60 steps), two missing values each."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        length = int(rng.integers(40, 61))
        t = np.arange(length) / 8 + rng.uniform(0, 6)
        wave = np.sin(t) if i % 2 else np.sign(np.sin(t))
        values = wave + rng.normal(0, 0.1, length)
        values[rng.integers(0, length, 2)] = np.nan
        cells = ["" if np.isnan(v) else f"{v:.4f}" for v in values]
        rows.append(",".join(["sine" if i % 2 else "square", *cells]))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "waves.csv").write_text("\n".join(rows) + "\n")
    return folder / "waves.csv"
