"""What the importer tests share: small folders of real files to import and a run of
the import job that checks its events (imported as ``from import_folders import ...``;
pytest puts this folder on sys.path)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.events import Finished, Progress, Started
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store

DICOMS = ["CT_small.dcm", "MR_small.dcm", "SC_rgb_rle.dcm", "rtdose.dcm", "rtplan.dcm"]


def make_folder(root: Path, dicom_file, n_png: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in DICOMS:
        shutil.copy(dicom_file(name), root / name)
    (root / "pngs").mkdir(exist_ok=True)
    for i in range(n_png):
        pixels = np.full((20, 30), i * 10, np.uint8)
        Image.fromarray(pixels).save(root / "pngs" / f"img{i}.png")
    (root / "labels.csv").write_text("path,label\npngs/img0.png,a\n")
    (root / "README.txt").write_text("study notes\n")
    return root


def grey_pngs(folder: Path, n: int, side: int = 16) -> Path:
    """``n`` flat grey PNGs 00.png, 01.png, ... of value i in ``folder`` (made)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((side, side), i, np.uint8)).save(folder / f"{i:02d}.png")
    return folder


def run(project: Path, *paths: Path, **options) -> dict:
    events = []
    summary = import_data(
        ImportConfig(project=project, paths=list(paths), **options), report=events.append
    )
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    assert any(isinstance(e, Progress) for e in events)
    return summary


def errors_by_path(project: Path, dataset: str) -> dict[str, str]:
    with Store.open(project) as store:
        return {e["path"]: e["code"] for e in store.import_errors(store.dataset(dataset)["id"])}
