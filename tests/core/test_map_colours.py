"""The embedding map's colourings: each kind of data gets groups that mean something."""

from __future__ import annotations

import pytest

from ssl_studio.core.map_colours import MAX_GROUPS, colourings, groups


def test_series_are_grouped_by_what_series_have():
    assert colourings("timeseries") == (
        "label",
        "folder",
        "patient",
        "length",
        "channels",
        "sampling rate",
    )
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


def test_a_pacs_export_is_grouped_by_study_not_by_hidden_patient_folders():
    """A PACS export (patient/study/series) coloured by folder gave "[redacted] (119)" and
    "Unknown (12)": the patients' names are redacted, so the first level said nothing."""
    paths = [
        "[redacted]/20040826_MR/series1/a.dcm",
        "[redacted]/20040826_MR/series1/b.dcm",
        "[redacted]/20170101_CT/series2/c.dcm",
        "Unknown/nodate_OT/series1/d.dcm",
    ]
    items = [{"rel_path": p} for p in paths]
    assert groups(items, "folder") == ["20040826_MR", "20040826_MR", "20170101_CT", "nodate_OT"]
    same = [{"rel_path": f"[redacted]/series1/{n}.dcm"} for n in range(3)]
    assert groups(same, "folder") == ["[redacted]"] * 3  # nothing tells them apart
    assert groups([{"rel_path": "site/a/1.png"}, {"rel_path": "site/b/2.png"}], "folder") == [
        "a",
        "b",
    ]  # one folder above everything is not a grouping


def test_patients_are_numbered_from_their_keys_and_many_groups_are_capped():
    keys = ["k2", "k1", "k2", None]
    items = [{"patient_key": k} for k in keys]
    assert groups(items, "patient") == ["patient 1", "patient 2", "patient 1", "no patient ID"]
    assert "patient" in colourings("image") and "patient" in colourings("timeseries")
    many = [{"patient_key": f"k{n}"} for n in range(20) for _ in range(20 - n)]  # k0 largest
    named = groups(many, "patient")
    assert len(set(named)) == MAX_GROUPS + 1 and named.count("other (13 more)") == sum(range(1, 14))
    assert named[0] == "patient 1"  # the largest keep their names
