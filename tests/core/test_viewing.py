"""Display helpers of the viewer: windowing, drag, safe metadata, thumbnails and series."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.viewing import (
    DatasetView,
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
    item = {"window_center": 40.0, "window_width": 350.0}
    assert window_of(item, "Default (from the file)") == (40.0, 350.0)
    assert window_of(item, "Brain") == (40.0, 80.0)
    with pytest.raises(ConfigError, match="Lung"):
        window_of(item, "Liver")


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
    with pytest.raises(ConfigError, match="no dataset 'nope'"):
        DatasetView.open(project, "nope")
