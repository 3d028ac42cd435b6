"""Rebuild the bundled demo data from the team's copies of the public sources.

    python resources/demo/build_demo.py /path/to/shared/data

Writes resources/demo/chest-xray/{normal,pneumonia}/*.png (PneumoniaMNIST, CC BY 4.0)
with chest-xray-labels.csv, and resources/demo/basic-motions/*.csv (UCR BasicMotions)
with basic-motions-labels.csv. The label files sit beside, not inside, the data folders.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
PER_CLASS = 200
CHANNELS = ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"]
BASIC_MOTIONS_HZ = 10.0


def build_chest_xray(npz: Path) -> None:
    data = np.load(npz, allow_pickle=False)
    images, labels = data["train_images"], data["train_labels"][:, 0]
    rows = []
    for label, name in ((0, "normal"), (1, "pneumonia")):
        folder = HERE / "chest-xray" / name
        folder.mkdir(parents=True, exist_ok=True)
        for n, index in enumerate(np.flatnonzero(labels == label)[:PER_CLASS], 1):
            path = folder / f"{name}_{n:03d}.png"
            Image.fromarray(images[index], "L").save(path, optimize=True)
            rows.append((path.relative_to(HERE / "chest-xray").as_posix(), name))
    with open(HERE / "chest-xray-labels.csv", "w", newline="") as f:
        csv.writer(f).writerows([("path", "label"), *rows])


def build_basic_motions(npz: Path) -> None:
    data = np.load(npz, allow_pickle=False)
    x = np.concatenate([data["X_train"], data["X_test"]])
    y = np.concatenate([data["y_train"], data["y_test"]])
    folder = HERE / "basic-motions"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (series, label) in enumerate(zip(x, y, strict=True), 1):
        path = folder / f"recording_{n:02d}.csv"
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["time", *CHANNELS])
            for t in range(series.shape[1]):
                writer.writerow(
                    [f"{t / BASIC_MOTIONS_HZ:.1f}", *(f"{v:.6g}" for v in series[:, t])]
                )
        rows.append((path.name, str(label)))
    with open(HERE / "basic-motions-labels.csv", "w", newline="") as f:
        csv.writer(f).writerows([("path", "label"), *rows])


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data"
    build_chest_xray(shared / "pneumoniamnist_28_dev.npz")
    build_basic_motions(shared / "ucr" / "BasicMotions.npz")
