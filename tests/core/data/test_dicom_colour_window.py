"""A colour DICOM frame's window tags are moot: DICOM's VOI LUT and window map grayscale
values only (PS3.3 C.11.2), so an RGB file that carries WindowCenter/WindowWidth (as some
secondary-capture writers copy them from the source image) keeps the automatic window of
its colour values, as the same file without the tags does."""

from __future__ import annotations

import pydicom

from ssl_studio.core.data.dicom import decode_dicom

SALT = b"s" * 32


def test_window_tags_of_an_rgb_file_are_not_applied(dicom_file, tmp_path):
    plain = dicom_file("SC_rgb_rle.dcm")
    ds = pydicom.dcmread(plain)
    ds.WindowCenter, ds.WindowWidth = 20, 10  # would crush every colour value to black/white
    tagged = tmp_path / "tagged.dcm"
    ds.save_as(tagged)
    [before] = decode_dicom(plain, size=64, salt=SALT).items
    [after] = decode_dicom(tagged, size=64, salt=SALT).items
    assert after.fields["meta"]["window_source"] == "auto"
    for key in ("window_center", "window_width"):
        assert after.fields[key] == before.fields[key] != ds[key.title().replace("_", "")].value
    assert (after.array == before.array).all()
