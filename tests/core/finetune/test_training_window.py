"""A file to predict is windowed as the model's training images were: window tags are
set aside where no training image was windowed by them (a CT soft-tissue window turned a
PNG-trained model's answers to 1.000), and a file lacking the tags every training image
had is noted."""

from __future__ import annotations

import json

import pytest

from ssl_studio.core.export.recipe import image_recipe
from ssl_studio.core.export.training_window import as_trained, training_windows

TAGGED = {"window_center": 40.0, "window_width": 400.0, "p_low": -1000.0, "p_high": 1000.0,
          "meta": {"photometric": "MONOCHROME2"}}  # fmt: skip
UNTAGGED = {**TAGGED, "window_center": 0.0, "window_width": 2000.0,
            "meta": {"window_source": "auto"}}  # fmt: skip


def _spec(tags: int, auto: int) -> dict:
    return {"training_images": {"channels": [1], "height": [64, 64], "width": [64, 64],
                                "windows": {"tags": tags, "auto": auto}}}  # fmt: skip


def test_training_items_are_counted_by_how_they_were_windowed():
    items = [
        {"source_kind": "dicom", "meta": json.dumps({"window_source": "auto"})},
        {"source_kind": "dicom", "meta": json.dumps({"photometric": "MONOCHROME2"})},
        {"source_kind": "dicom", "meta": None},
        {"source_kind": "image", "meta": json.dumps({"format": "png"})},
    ]
    assert training_windows(items) == {"tags": 2, "auto": 2}


def test_tags_are_set_aside_where_no_training_image_had_them():
    fields, note = as_trained(TAGGED, "dicom", _spec(tags=0, auto=8))
    assert (fields["window_center"], fields["window_width"]) == (0.0, 2000.0)  # own range
    assert note.startswith("Its WindowCenter and WindowWidth tags were set aside")
    assert "/" not in note  # (a text with a slash is redacted as a path)
    assert TAGGED["window_center"] == 40.0  # the decoded fields are not changed


@pytest.mark.parametrize("windows", [(8, 0), (3, 5)])
def test_tags_are_kept_where_training_images_were_windowed_by_theirs(windows):
    assert as_trained(TAGGED, "dicom", _spec(*windows)) == (TAGGED, "")


def test_a_file_without_the_tags_every_training_image_had_is_noted():
    fields, note = as_trained(UNTAGGED, "dicom", _spec(tags=8, auto=0))
    assert fields is UNTAGGED and note.startswith("It has no WindowCenter and WindowWidth")
    assert "contrast may differ" in note
    png = {**UNTAGGED, "meta": {"format": "png"}}  # (other notes say a PNG is unlike DICOM)
    assert as_trained(png, "image", _spec(tags=8, auto=0)) == (png, "")


def test_older_exports_keep_the_file_s_own_window():
    assert as_trained(TAGGED, "dicom", {"training_images": {"channels": [1]}}) == (TAGGED, "")
    assert as_trained(TAGGED, "dicom", {}) == (TAGGED, "")


def test_the_card_s_recipe_says_which_window_to_use():
    spec = {"cache_size": 64, "image_size": 32, "in_channels": 1}
    assert "ignoring WindowCenter/WindowWidth" in image_recipe({**spec, **_spec(0, 8)})["window"]
    assert "contrast may differ" in image_recipe({**spec, **_spec(8, 0)})["window"]
    for mixed in ({**spec, **_spec(3, 5)}, spec):
        assert "ignoring" not in image_recipe(mixed)["window"]
