"""Display helpers of the viewer: windowing, drag, safe metadata, thumbnails and series."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pydicom
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.viewing import (
    DatasetView,
    SourceUnavailable,
    apply_window,
    drag_window,
    safe_metadata,
    window_of,
)


def test_apply_window_maps_the_window_onto_0_255():
    values = np.array([-2000.0, -600 - 750, -600, -600 + 750, 3000])
    out = apply_window(values, -600, 1500)
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 0, 127, 255, 255]


def test_drag_widens_to_the_right_and_raises_the_level_downwards():
    center, width = drag_window(40, 400, dx=50, dy=-100, span=2000)
    assert width == pytest.approx(400 + 50 * 4) and center == pytest.approx(40 - 100 * 4)
    assert drag_window(0, 10, dx=-1000, dy=0, span=2000)[1] == pytest.approx(4)  # never <= 0


def test_presets_and_the_default_window():
    item = {"window_center": 40.0, "window_width": 350.0, "modality": "CT"}
    assert window_of(item, "Default (from the file)") == (40.0, 350.0)
    assert window_of(item, "Brain") == (40.0, 80.0)
    with pytest.raises(ConfigError, match="Lung"):
        window_of(item, "Liver")
    # Hounsfield presets mean nothing for an X-ray PNG (0-255) or an MR: its own window
    for modality in ("", "MR", "CR"):
        xray = {"window_center": 128.0, "window_width": 250.0, "modality": modality}
        assert window_of(xray, "Lung") == (128.0, 250.0)


def test_safe_metadata_never_shows_keys_or_paths():
    item = {
        "modality": "CT",
        "height": 512,
        "patient_key": "abc",
        "study_key": "d",
        "rel_path": "Doe^John/1.dcm",
        "meta": '{"body_part": "CHEST", "kvp": 120}',
    }
    facts = safe_metadata(item)
    assert facts == {"modality": "CT", "height": 512, "body_part": "CHEST", "kvp": 120}


def test_thumbnails_of_real_dicom_and_of_series(project, dicom_file, tmp_path):
    folder = tmp_path / "mr"
    folder.mkdir()
    (folder / "mr.dcm").write_bytes(dicom_file("MR_small.dcm").read_bytes())
    import_data(ImportConfig(project=project, paths=[folder], cache_size=64))
    view = DatasetView.open(project, "mr")
    thumb = view.thumbnail(0, 32)
    assert thumb.shape == (32, 32) and thumb.dtype == np.uint8 and thumb.std() > 10
    series = tmp_path / "series"
    series.mkdir()
    t = np.linspace(0, 6, 100)
    np.savetxt(series / "s.csv", np.c_[np.sin(t), np.cos(t)], delimiter=",", header="a,b")
    import_data(ImportConfig(project=project, paths=[series]))
    view = DatasetView.open(project, "series")
    values, observed = view.series(0)
    assert values.shape == (2, 100) and observed.all()
    line = view.thumbnail(0, 48)
    assert line.shape == (48, 48) and (line == 0).sum() >= 40  # one dark pixel per column
    with pytest.raises(ConfigError, match="No dataset 'nope' in this project: its datasets are"):
        DatasetView.open(project, "nope")


def test_full_resolution_is_read_again_from_the_very_file_imported(project, dicom_file, tmp_path):
    folder = tmp_path / "ct"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32))
    view = DatasetView.open(project, "ct")
    assert view.image(0).shape == (1, 32, 32)  # the cache is small ...
    full = view.source_image(0)  # ... the original is 128 x 128 and in Hounsfield units
    ds = pydicom.dcmread(folder / "ct.dcm")
    hounsfield = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert full.shape == (1, 128, 128) and full.dtype == np.float32
    np.testing.assert_allclose(full[0], hounsfield, atol=float(view.items[0]["value_scale"]))

    picture = tmp_path / "gradient.png"  # a file given by itself, not in a folder
    gradient = np.add.outer(np.arange(90), np.arange(130)).astype(np.uint8)
    Image.fromarray(gradient).save(picture)
    import_data(ImportConfig(project=project, paths=[picture], name="gradient", cache_size=32))
    assert np.array_equal(DatasetView.open(project, "gradient").source_image(0)[0], gradient)

    info = (folder / "ct.dcm").stat()
    os.utime(folder / "ct.dcm", ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    with pytest.raises(SourceUnavailable, match="changed since it was imported"):
        view.source_image(0)
    (folder / "ct.dcm").rename(folder / "elsewhere.dcm")
    with pytest.raises(SourceUnavailable, match="no longer where it was imported from"):
        view.source_image(0)
    assert view.image(0).shape == (1, 32, 32)  # the cached copy is still there


def test_a_folder_named_after_the_patient_is_not_kept_so_not_read_back(
    project, dicom_file, tmp_path
):
    folder = tmp_path / "CompressedSamples^CT1"  # the file's PatientName
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")
    import_data(ImportConfig(project=project, paths=[folder], name="ct", cache_size=32))
    with pytest.raises(SourceUnavailable, match="held a patient identifier"):
        DatasetView.open(project, "ct").source_image(0)


def test_a_file_too_large_to_decode_whole_is_refused(project, dicom_file, tmp_path, monkeypatch):
    folder = tmp_path / "dose"
    folder.mkdir()
    shutil.copy(dicom_file("rtdose.dcm"), folder / "rtdose.dcm")  # 15 frames
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32))
    view = DatasetView.open(project, "dose")
    ds = pydicom.dcmread(folder / "rtdose.dcm")
    frames = ds.pixel_array * float(ds.DoseGridScaling)  # [15, 10, 10] in Gy
    item = view.items[3]
    np.testing.assert_allclose(  # the item's own frame, on the cache's scale
        view.source_image(3)[0], frames[item["idx"]], atol=float(item["value_scale"])
    )
    monkeypatch.setattr("ssl_studio.core.viewing.MAX_SOURCE_VALUES", 1000)
    with pytest.raises(SourceUnavailable, match="holds 15 frames"):
        view.source_image(3)


def test_series_axes_use_column_names_and_the_sampling_rate():
    from ssl_studio.core.viewing import series_axes

    named = {"meta": '{"channel_names": ["ecg", null]}', "sampling_rate": 250.0}
    assert series_axes(named, 2) == (["ecg", "channel 2"], 250.0)
    assert series_axes({"meta": "{}", "sampling_rate": None}, 2) == (
        ["channel 1", "channel 2"],
        None,
    )
    assert series_axes({"meta": '{"channel_names": ["a"]}'}, 3)[0][2] == "channel 3"
