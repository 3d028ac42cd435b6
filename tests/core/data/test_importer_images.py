"""The import job end to end on small real image folders: kinds, a report, re-import,
refused folders and options, the project's own folder, a fixed item order."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from import_folders import errors_by_path, grey_pngs, make_folder, run
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.importer import Importer, NothingToImport
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.events import StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def test_mixed_folder_becomes_an_image_dataset_with_a_report(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file)
    s = run(project, folder, name="study", cache_size=32)
    with Store.open(project) as store:  # rtplan's institution is "Here": "there" stays
        messages = [e["message"] for e in store.import_errors(1)]
    assert any("so there is nothing to read" in m for m in messages), messages
    assert s["modality"] == "image"
    assert (s["files_seen"], s["imported"], s["failed"], s["skipped"]) == (13, 10, 0, 3)
    assert s["items"] == 3 + 15 + 6  # rtdose has 15 frames
    assert errors_by_path(project, "study") == {
        "rtplan.dcm": "dicom-no-pixels",
        "labels.csv": "other-modality",
        "README.txt": "not-data",
    }
    with Store.open(project) as store:
        items = store.items(store.dataset("study")["id"])
    by_kind = {i["source_kind"] for i in items}
    assert by_kind == {"dicom", "image"}
    reader = CacheReader(project / "cache" / f"dataset-{items[0]['dataset_id']}")
    batch = reader.images(items, channels=1)
    assert batch.shape == (24, 1, 32, 32) and np.isfinite(batch).all()
    png0 = next(i for i in items if i["rel_path"] == "pngs/img3.png")
    box = reader.images([png0])[
        0, 0, png0["box_y0"] : png0["box_y1"], png0["box_x0"] : png0["box_x1"]
    ]
    assert (box == 30).all()


def test_reimport_reads_only_what_changed_and_keeps_item_ids(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file)
    run(project, folder, name="study", cache_size=32)
    with Store.open(project) as store:
        before = {i["rel_path"]: i["id"] for i in store.items(1)}

    again = run(project, folder, name="study")
    assert (again["unchanged"], again["new"], again["changed"], again["items"]) == (13, 0, 0, 0)

    Image.fromarray(np.full((20, 30), 250, np.uint8)).save(folder / "pngs" / "img1.png")
    os.utime(folder / "pngs" / "img1.png", ns=(1, 10**18))
    (folder / "pngs" / "img2.png").unlink()
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(folder / "pngs" / "new.png")
    third = run(project, folder, name="study")
    assert (third["changed"], third["missing"], third["new"], third["imported"]) == (1, 1, 1, 2)
    with Store.open(project) as store:
        items = {i["rel_path"]: i for i in store.items(1)}
        missing = [i["rel_path"] for i in store.items(1, status="missing")]
    assert items["pngs/img1.png"]["id"] == before["pngs/img1.png"]  # labels stay attached
    assert missing == ["pngs/img2.png"]
    reader = CacheReader(project / "cache" / "dataset-1")
    assert reader.images([items["pngs/img1.png"]]).max() == 250

    (folder / "pngs" / "img3.png").unlink()  # only a deletion
    fourth = run(project, folder, name="study")
    assert (fourth["missing"], fourth["imported"], fourth["unchanged"]) == (1, 0, 12)


def test_kind_filter_leaves_other_files_out(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file)
    s = run(project, folder, name="only-dicom", kind="dicom", cache_size=16)
    assert s["imported"] == 4
    codes = errors_by_path(project, "only-dicom")
    assert codes["pngs/img0.png"] == "kind-filter"


def test_folder_without_data_is_refused_and_creates_nothing(project, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.txt").write_text("hello")
    (tmp_path / "docs" / "empty.dcm").write_bytes(b"")
    with pytest.raises(NothingToImport, match=r"2 files looked at: 1 not-data, 1 empty"):
        import_data(ImportConfig(project=project, paths=[tmp_path / "docs"]))
    with Store.open(project) as store:
        assert store.datasets() == []


def test_bad_options_are_refused_before_any_work(project, tmp_path):
    with pytest.raises(ConfigError, match="Not found"):
        import_data(ImportConfig(project=project, paths=[tmp_path / "nowhere"]))
    with pytest.raises(ConfigError, match="Unknown kind"):
        import_data(ImportConfig(project=project, paths=[tmp_path], kind="video"))


def test_an_existing_dataset_keeps_its_cache_size_and_kind(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file, n_png=1)
    run(project, folder, name="s", cache_size=32)
    with pytest.raises(SSLStudioError, match="cached at 32 px"):
        import_data(ImportConfig(project=project, paths=[folder], name="s", cache_size=64))
    with pytest.raises(SSLStudioError, match="holds image data.*another name"):
        import_data(ImportConfig(project=project, paths=[folder], name="s", kind="timeseries"))


def test_the_project_never_imports_its_own_files(tmp_path):
    from ssl_studio.core.jobs import create_project

    study = tmp_path / "study"
    grey_pngs(study / "scans", 3)
    project = create_project(study / "project")  # the project lives inside the study
    (project / "exports").mkdir(exist_ok=True)
    (project / "exports" / "predictions.csv").write_text("path,p\na.png,0.5\nb.png,0.7\n")
    events: list = []
    cfg = ImportConfig(project=project, paths=[study], cache_size=16)
    summary = import_data(cfg, report=events.append)
    assert (summary["files_seen"], summary["imported"], summary["failed"]) == (3, 3, 0)
    assert any("project's own folder is left out" in getattr(e, "text", "") for e in events)
    with pytest.raises(ConfigError, match="is this project's own folder"):
        import_data(ImportConfig(project=project, paths=[project], name="itself"))


def slow_on_first(task: DecodeTask):
    """A decoder that finishes big.png (the largest: the first handed out) last."""
    if Path(task.path).name == "big.png":
        import time

        time.sleep(1.0)
    return decode(task)


def test_images_are_numbered_in_a_fixed_order_whichever_worker_ends_first(project, tmp_path):
    """Item ids follow the files' sizes, then their paths, never the workers' timing: the
    same folder imported again gets the same ids, so the same seed gives the same split."""
    folder = grey_pngs(tmp_path / "imgs", 12)
    noise = np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "big.png")
    cfg = ImportConfig(project=project, paths=[folder], workers=2)
    with Store.open(project, write=True) as store:
        Importer(store, cfg, lambda e: None, StopToken(), decoder=slow_on_first).run()
    with Store.open(project) as store:
        by_id = [i["rel_path"] for i in sorted(store.items(1), key=lambda i: i["id"])]
    expected = sorted(by_id, key=lambda name: (-(folder / name).stat().st_size, name))
    assert by_id == expected
    assert by_id[0] == "big.png"
