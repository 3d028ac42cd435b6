"""DICOM windows from enhanced files' functional groups and VOI LUTs, and rescales with a
missing or empty slope or intercept (audit findings 1 and 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dicom_corpora import pydicom_data_dir
from made_dicom import dicom_dataset
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.export.training_window import as_trained

SALT = b"s" * 32
RAMP = (np.mgrid[:64, :96][1] * 30).astype(np.uint16)  # 0..2850
SQUARE = RAMP[:, :64]  # (the cache pads a non-square image)


def write(path: Path, frames: np.ndarray, sop: str = "1.2.840.10008.5.1.4.1.1.2", **tags) -> Path:
    """A small DICOM file of ``frames`` ([n, h, w] uint16; n > 1 makes it multi-frame)."""
    ds = dicom_dataset(sop, tags.pop("Modality", "CT"))
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = frames.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 0
    ds.PixelData = frames.astype(np.uint16).tobytes()
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    ds.save_as(path, enforce_file_format=True)
    return path


def group(window: tuple[float, float] | None = None, rescale: bool = False) -> Dataset:
    """A functional group item with a FrameVOILUTSequence window and/or a CT rescale."""
    item = Dataset()
    if window is not None:
        voi = Dataset()
        voi.WindowCenter, voi.WindowWidth = window
        item.FrameVOILUTSequence = Sequence([voi])
    if rescale:
        transform = Dataset()
        transform.RescaleSlope, transform.RescaleIntercept = 1, -1024
        item.PixelValueTransformationSequence = Sequence([transform])
    return item


def windows(path: Path) -> list[tuple[float, float, str]]:
    out = decode_dicom(path, size=64, salt=SALT)
    return [
        (i.fields["window_center"], i.fields["window_width"], i.fields["meta"]["window_source"])
        for i in out.items
    ]


ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"


def test_real_enhanced_ct_uses_its_shared_functional_group_window():
    path = pydicom_data_dir() / "eCT_Supplemental.dcm"  # 49/102 in the shared group only
    assert windows(path) == [(49.0, 102.0, "tags")] * 2


def test_enhanced_and_classic_files_of_the_same_pixels_get_the_same_window(tmp_path):
    shared = Sequence([group((40, 400), rescale=True)])
    enhanced = write(
        tmp_path / "e.dcm", np.stack([RAMP] * 2), ENHANCED_CT, SharedFunctionalGroupsSequence=shared
    )
    classic = write(
        tmp_path / "c.dcm",
        RAMP[None],
        RescaleSlope=1,
        RescaleIntercept=-1024,
        WindowCenter=40,
        WindowWidth=400,
    )
    assert windows(enhanced) == [(40.0, 400.0, "tags")] * 2
    assert windows(classic) == [(40.0, 400.0, "tags")]


def test_a_per_frame_window_wins_over_the_shared_one(tmp_path):
    path = write(
        tmp_path / "e.dcm",
        np.stack([RAMP] * 3),
        ENHANCED_CT,
        SharedFunctionalGroupsSequence=Sequence([group((40, 400), rescale=True)]),
        PerFrameFunctionalGroupsSequence=Sequence([group((-600, 1500)), group(), group((50, 80))]),
    )
    assert windows(path) == [(-600, 1500, "tags"), (40, 400, "tags"), (50, 80, "tags")]


def test_a_monochrome1_group_window_is_mirrored_as_a_top_level_one(tmp_path):
    frames = np.stack([RAMP] * 2)
    common = {"PhotometricInterpretation": "MONOCHROME1", "Modality": "DX"}
    classic = write(tmp_path / "c.dcm", frames, WindowCenter=1000, WindowWidth=500, **common)
    enhanced = write(
        tmp_path / "e.dcm",
        frames,
        SharedFunctionalGroupsSequence=Sequence([group((1000, 500))]),
        **common,
    )
    assert windows(enhanced) == windows(classic) == [(65535 - 1000, 500, "tags")] * 2


def test_a_simple_voi_lut_gives_the_window_of_its_input_range():
    path = pydicom_data_dir() / "vlut_04.dcm"  # 8-bit, a 256-entry LUT from 0, no window
    assert windows(path) == [(128.0, 256.0, "voi_lut")]


def test_a_voi_lut_that_is_not_a_window_is_left_to_the_automatic_one(tmp_path):
    lut = Dataset()
    lut.add_new("LUTDescriptor", "US", [4, 100, 16])
    lut.add_new("LUTData", "US", [0, 65535, 0, 65535])  # not monotonic: not a window
    path = write(tmp_path / "v.dcm", RAMP[None], VOILUTSequence=Sequence([lut]))
    [item] = decode_dicom(path, size=64, salt=SALT).items
    assert item.fields["meta"]["window_source"] == "auto"
    spec = {"training_images": {"windows": {"tags": 8, "auto": 0}}}
    _, note = as_trained(item.fields, "dicom", spec)  # predict's note does not deny it a LUT
    assert note.startswith("Its VOI LUT is not a simple window") and "/" not in note


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"RescaleSlope": 2}, SQUARE * 2.0),  # no intercept: 0
        ({"RescaleIntercept": -100}, SQUARE - 100.0),  # no slope: 1
        ({"RescaleSlope": None, "RescaleIntercept": None}, SQUARE * 1.0),  # empty: absent
        ({"RescaleSlope": 2, "RescaleIntercept": None}, SQUARE * 2.0),
    ],
)
def test_a_missing_or_empty_slope_or_intercept_takes_its_dicom_default(tmp_path, tags, expected):
    path = write(tmp_path / "r.dcm", SQUARE[None], Modality="MR", **tags)
    [item] = decode_dicom(path, size=64, salt=SALT).items
    real = item.array.astype(np.float64) * item.fields["value_scale"]
    np.testing.assert_allclose(real[0] + item.fields["value_offset"], expected)


def test_a_generated_voi_lut_from_a_first_mapped_value(tmp_path):
    lut = Dataset()
    lut.add_new("LUTDescriptor", "US", [1000, 500, 16])
    lut.add_new("LUTData", "US", list(range(0, 65000, 65)))  # 1000 rising entries
    path = write(tmp_path / "v.dcm", RAMP[None], VOILUTSequence=Sequence([lut]))
    assert windows(path) == [(1000.0, 1000.0, "voi_lut")]  # inputs 500..1499


def test_monochrome1_with_its_rescale_in_the_functional_groups_inverts_like_a_classic_file(
    tmp_path,
):
    """The inversion mirrors values over the range the stored bits express in real units:
    through the frame's rescale, wherever the file keeps it (audit: an enhanced file's
    group rescale was left out of that range, shifting every value by 2048)."""
    frames = np.stack([SQUARE] * 2)
    common = {"PhotometricInterpretation": "MONOCHROME1", "Modality": "DX"}
    classic = write(tmp_path / "c.dcm", frames, RescaleSlope=1, RescaleIntercept=-1024, **common)
    enhanced = write(
        tmp_path / "e.dcm",
        frames,
        SharedFunctionalGroupsSequence=Sequence([group(rescale=True)]),
        **common,
    )
    got = {p.name: decode_dicom(p, size=64, salt=SALT).items for p in (classic, enhanced)}
    for mine, theirs in zip(got["e.dcm"], got["c.dcm"], strict=True):
        for key in ("value_scale", "value_offset", "window_center", "window_width"):
            assert mine.fields[key] == theirs.fields[key], key
        np.testing.assert_array_equal(mine.array, theirs.array)
    real = got["c.dcm"][0].array * got["c.dcm"][0].fields["value_scale"]
    real = real + got["c.dcm"][0].fields["value_offset"]  # (-1024 + 64511) - (stored - 1024)
    np.testing.assert_allclose(real[0], 64511 - SQUARE.astype(float), atol=1)
