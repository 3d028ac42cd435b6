"""README: "Your source files are only read, never changed, moved or deleted." Every file
and folder of a source tree keeps its bytes, modification time and mode through an
import, a re-import, a stopped import and the removal of its dataset."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.events import Progress, StopToken
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def source_tree(root: Path, n: int = 40) -> Path:
    """PNGs in two class folders, DICOM files, a file that is no image and an empty
    folder: what a user's scan folder holds."""
    rng = np.random.default_rng(0)
    for kind in ("bright", "dark"):
        (root / kind).mkdir(parents=True)
        for i in range(n // 2):
            pixels = rng.integers(0, 255, (20, 20), dtype=np.uint8)
            Image.fromarray(pixels).save(root / kind / f"{i:02d}.png")
    (root / "dicom").mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        shutil.copy(PYDICOM_FILES / name, root / "dicom" / name)
    (root / "notes.txt").write_text("not an image")
    (root / "empty").mkdir()
    return root


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` (itself included): its bytes' hash (files), modification
    time in ns and mode. A file written, moved or deleted, or one added to a folder,
    changes it."""
    state = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        state[str(path.relative_to(root))] = (digest, info.st_mtime_ns, info.st_mode)
    return state


def test_import_re_import_and_removing_the_dataset_leave_the_source_as_it_was(tmp_path):
    source = source_tree(tmp_path / "scans")
    before = snapshot(source)
    project = tmp_path / "project"
    assert main(["new", str(project)]) == 0
    assert main(["import", str(project), str(source), "--cache-size", "16"]) == 0
    with Store.open(project) as store:
        assert len(store.items(store.dataset("scans")["id"])) == 42  # it did read them
    assert snapshot(source) == before
    assert main(["import", str(project), str(source), "--cache-size", "16"]) == 0  # again
    assert snapshot(source) == before
    assert main(["remove", str(project), "--dataset", "scans", "--yes"]) == 0
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == []
    assert snapshot(source) == before


def test_a_stopped_import_leaves_the_source_as_it_was(tmp_path):
    source = source_tree(tmp_path / "scans", n=60)
    before = snapshot(source)
    project = create_project(tmp_path / "project")
    stop = StopToken()

    def report(event):  # Stop pressed once the first files are decoded
        if isinstance(event, Progress) and event.done > 0 and event.phase != "discover":
            stop.stop()

    cfg = ImportConfig(project=project, paths=[source], cache_size=16, workers=1)
    summary = import_data(cfg, report=report, stop=stop)
    assert summary["cancelled"] and summary["imported"] < 63
    assert snapshot(source) == before
    import_data(cfg)  # and the import that finishes it
    assert snapshot(source) == before
