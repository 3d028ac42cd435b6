"""Re-imports and broken imports never lose labels nor store a patient's name: a file that
stops decoding keeps its items and labels; a changed file keeps its redacted path; an
import killed, stopped or out of disk space leaves no name behind and the next one
finishes it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def run(project: Path, *paths: Path, **options) -> dict:
    return import_data(ImportConfig(project=project, paths=list(paths), **options))


def png(path: Path, value: int = 0, side: int = 16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((side, side), value, np.uint8)).save(path)
    return path


def touch_later(path: Path) -> None:
    """Give ``path`` a new modification time, as an edit would."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def project_bytes(project: Path) -> bytes:
    return b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())


def test_a_file_that_stops_decoding_keeps_its_items_and_labels(project, tmp_path, dicom_file):
    folder = tmp_path / "study"
    for cls, dicom in (("normal", "CT_small.dcm"), ("pneumonia", "MR_small.dcm")):
        (folder / cls).mkdir(parents=True)
        shutil.copy(dicom_file(dicom), folder / cls / "scan.dcm")
        for i in range(2):
            png(folder / cls / f"{i}.png", value=40 * i)
    run(project, folder, name="study", cache_size=16)
    labels_from_folders(project, "study")
    with Store.open(project) as store:
        labels = store.latest_labels(1, "folders")
        [broken] = [i for i in store.items(1) if i["rel_path"] == "normal/scan.dcm"]
    assert len(labels) == 6

    original = (folder / "normal" / "scan.dcm").read_bytes()
    (folder / "normal" / "scan.dcm").write_bytes(original[:3000])  # a copy cut short
    touch_later(folder / "normal" / "scan.dcm")
    assert run(project, folder, name="study")["failed"] == 1
    with Store.open(project) as store:
        assert store.latest_labels(1, "folders") == labels  # the label set is as it was
        assert [s["n_labels"] for s in store.label_sets(1)] == [6]
        assert broken["id"] not in {i["id"] for i in store.items(1)}  # training skips it
        assert [i["id"] for i in store.items(1, status="failed")] == [broken["id"]]

    (folder / "normal" / "scan.dcm").write_bytes(original)  # copied again from the source
    touch_later(folder / "normal" / "scan.dcm")
    assert run(project, folder, name="study")["imported"] == 1
    with Store.open(project) as store:
        assert store.latest_labels(1, "folders") == labels
        back = store.item(1, broken["id"])
    assert back is not None and back["status"] == "ok"  # the same item, with its label
