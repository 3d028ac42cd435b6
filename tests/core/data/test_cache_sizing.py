"""The cache size of a new image dataset: the images' own size unless one is asked for,
kept by an existing dataset, read from file headers (cache_sizing.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache_sizing import image_side, size_for
from ssl_studio.core.events import Message
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store


def pngs(folder: Path, n: int, side: int, width: int | None = None) -> Path:
    """``n`` noisy gray PNGs of ``side`` x ``width`` (default square) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(side)
    for i in range(n):
        pixels = rng.integers(0, 255, (side, width or side), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")
    return folder


def imported(project: Path, *paths: Path, **options) -> tuple[dict, list[str]]:
    """(the import's summary, the texts of its messages)."""
    events: list = []
    cfg = ImportConfig(project=project, paths=list(paths), workers=1, **options)
    summary = import_data(cfg, report=events.append)
    return summary, [e.text for e in events if isinstance(e, Message)]


def shards(project: Path, dataset: str) -> dict[str, int]:
    """Cache file name -> bytes of the dataset's image shards."""
    with Store.open(project) as store:
        folder = store.paths.dataset_cache(store.dataset(dataset)["id"])
    return {p.name: p.stat().st_size for p in folder.glob("images-*")}


def test_small_images_are_cached_at_their_own_size_not_upscaled(tmp_path):
    project = create_project(tmp_path / "p")
    summary, said = imported(project, pngs(tmp_path / "small", 6, 48))
    assert shards(project, "small") == {"images-48px-u8-c1.bin": 6 * 48 * 48}  # not 224 px
    assert summary["cache_size"] == 48
    (told,) = [t for t in said if t.startswith("New image dataset")]
    assert "images cached at 48 px, the size of the largest image" in told
    assert "--cache-size" in told
    assert not any("scaled" in t for t in said)


def test_the_largest_side_decides_rounded_up_and_capped_at_the_default(tmp_path):
    project = create_project(tmp_path / "p")
    folder = pngs(tmp_path / "mixed", 3, 20)
    pngs(folder / "wide", 2, 30, width=50)  # 50 px wide: the largest side
    summary, said = imported(project, folder)
    assert shards(project, "mixed") == {"images-56px-u8-c1.bin": 5 * 56 * 56}
    assert summary["cache_size"] == 56  # 50 rounded up to a multiple of 8
    assert any("(50 px) rounded up to a multiple of 8" in t for t in said)
    assert (size_for(20), size_for(64), size_for(300), size_for(None)) == (32, 64, 224, 224)


def test_an_explicit_cache_size_is_honoured_and_its_disk_cost_told(tmp_path):
    project = create_project(tmp_path / "p")
    summary, said = imported(project, pngs(tmp_path / "small", 6, 48), cache_size=96)
    assert summary["cache_size"] == 96
    assert shards(project, "small") == {"images-96px-u8-c1.bin": 6 * 96 * 96}
    (told,) = [t for t in said if "scaled up" in t]
    assert "6 of 6 images are smaller than the 96 px cache size (the largest is 48 px)" in told
    assert "0.1 MB of cache where 48 px would take 0.0 MB" in told


def test_an_existing_dataset_keeps_its_size_when_files_are_added(tmp_path):
    project = create_project(tmp_path / "p")
    imported(project, pngs(tmp_path / "small", 4, 48), name="scans")
    summary, said = imported(project, pngs(tmp_path / "large", 3, 100), name="scans", add=True)
    assert shards(project, "scans") == {"images-48px-u8-c1.bin": 7 * 48 * 48}
    assert summary["cache_size"] == 48
    (told,) = [t for t in said if "scaled down" in t]
    assert "3 of 3 images are larger than the dataset's cache size, 48 px" in told
    with Store.open(project) as store:
        assert store.dataset("scans")["cache_size"] == 48


def test_dicom_sides_are_read_from_the_header(tmp_path, dicom_file):
    ds = pydicom.dcmread(dicom_file("MR_small.dcm"))  # 64 x 64
    del ds.PixelData  # a header alone still tells the size
    ds.save_as(tmp_path / "header-only.dcm")
    assert image_side(tmp_path / "header-only.dcm", "dicom") == 64
    folder = tmp_path / "mr"
    folder.mkdir()
    for i in range(3):
        shutil.copy(dicom_file("MR_small.dcm"), folder / f"mr{i}.dcm")
    project = create_project(tmp_path / "p")
    summary, _ = imported(project, folder)
    assert shards(project, "mr") == {"images-64px-u16-c1.bin": 3 * 64 * 64 * 2}
    assert summary["cache_size"] == 64
