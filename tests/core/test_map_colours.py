"""The embedding map's colourings: each kind of data gets groups that mean something."""

from __future__ import annotations

import pytest

from ssl_studio.core.map_colours import colourings, groups


def test_series_are_grouped_by_what_series_have():
    assert colourings("timeseries") == ("label", "folder", "length", "channels", "sampling rate")
    assert "modality" in colourings("image") and "length" not in colourings("image")
    few = [{"length": n, "channels": 3, "sampling_rate": None} for n in (100, 100, 250)]
    assert groups(few, "length") == ["100 steps", "100 steps", "250 steps"]
    assert groups(few, "channels") == ["3 channels"] * 3
    assert groups(few, "sampling rate") == ["unknown"] * 3
    many = [{"length": n} for n in range(100, 1100, 10)]  # 100 distinct lengths: 5 ranges
    ranged = groups(many, "length")
    assert (
        len(set(ranged)) == 5
        and ranged[0] == "100–297 steps"
        and ranged[-1].endswith("–1090 steps")
    )
    mixed = groups([{"length": n} for n in [*range(10, 20), 100, 1000]], "length")
    assert mixed[0] == "10–11 steps" and mixed[-1] == "19–1000 steps"  # whole, apart


def test_images_are_grouped_by_folder_modality_and_size():
    items = [
        {"rel_path": "siteA/normal/1.png", "modality": "PNG", "width": 28, "height": 28},
        {"rel_path": "2.dcm", "modality": "CT", "width": 512, "height": 512},
    ]
    assert groups(items, "folder") == ["siteA", "(top level)"]
    assert groups(items, "modality") == ["PNG", "CT"]
    assert groups(items, "image size") == ["28 × 28 px", "512 × 512 px"]
    with pytest.raises(ValueError, match="Unknown colouring"):
        groups(items, "source_kind")
