"""DICOM pixel padding (PixelPaddingValue, PixelPaddingRangeLimit) is left out of the
automatic window and the statistics, and shown as the darkest content (audit finding 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from made_dicom import dicom_dataset

from ssl_studio.core.data.dicom import decode_dicom

SALT = b"s" * 32
CT = "1.2.840.10008.5.1.4.1.1.2"
DX = "1.2.840.10008.5.1.4.1.1.1.1"
ROWS, COLS = np.mgrid[:128, :128]
INSIDE = (ROWS - 64) ** 2 + (COLS - 64) ** 2 < 3600  # circular field of view
RADIUS2 = (ROWS - 64) ** 2 + (COLS - 64) ** 2
HU = np.random.default_rng(1).normal(40, 30, (128, 128))  # soft tissue
HU[RADIUS2 < 400] = -850  # lung
HU[RADIUS2 >= 2025] = -1000  # air around the body, inside the field of view
HU = np.rint(HU).astype(np.int16)


def write_ct(
    path: Path, outside: np.ndarray, signed: bool = True, padding_vr: str = "", **tags
) -> Path:
    """A 128 x 128 CT slice (intercept -1024): HU inside the circle, ``outside`` (stored
    values) outside it; the padding tags get VR ``padding_vr`` (default: as the pixels)."""
    ds = dicom_dataset(CT, "CT")
    stored = np.where(INSIDE, HU.astype(np.int32) + 1024, outside)
    ds.Rows = ds.Columns = 128
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, int(signed)
    ds.PixelData = stored.astype(np.int16 if signed else np.uint16).tobytes()
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
        if keyword.startswith("PixelPadding"):
            ds[keyword].VR = padding_vr or ("SS" if signed else "US")
    ds.save_as(path, enforce_file_format=True)
    return path


def fields(path: Path) -> dict:
    (item,) = decode_dicom(path, size=64, salt=SALT).items
    return item.fields


def auto(path: Path) -> tuple[float, float, float, float]:
    f = fields(path)
    return f["window_center"], f["window_width"], f["p_low"], f["mean"]


def test_padding_leaves_the_automatic_window_and_stats_as_with_air_outside(tmp_path):
    air = auto(write_ct(tmp_path / "air.dcm", np.full((128, 128), 24)))  # -1000 HU
    padded = write_ct(tmp_path / "pad.dcm", np.full((128, 128), -2000), PixelPaddingValue=-2000)
    centre, width, p_low, mean = auto(padded)
    assert p_low == pytest.approx(-1000, abs=5)  # not the -3024 HU padding
    assert (centre, width) == pytest.approx(air[:2], rel=0.03)  # old code: -1457/3133
    # the stats skip padding (and a ring of pixels the resize blends with it): old -1065
    assert mean == pytest.approx(HU[INSIDE].mean(), abs=50)
    assert fields(padded)["meta"]["padding"] == pytest.approx(1 - INSIDE.mean(), abs=1e-3)


def test_a_signed_padding_value_written_unsigned(tmp_path):
    """-2000 written as US 63536 in a signed image is read as -2000."""
    path = write_ct(
        tmp_path / "pu.dcm", np.full((128, 128), -2000), padding_vr="US", PixelPaddingValue=63536
    )
    assert auto(path)[2] == pytest.approx(-1000, abs=5)


def test_padding_is_filled_with_the_lowest_real_value(tmp_path):
    path = write_ct(tmp_path / "pad.dcm", np.full((128, 128), -2000), PixelPaddingValue=-2000)
    (item,) = decode_dicom(path, size=128, salt=SALT).items
    real = item.array[0].astype(np.float64) * item.fields["value_scale"]
    real += item.fields["value_offset"]
    assert real[0, 0] == HU[INSIDE].min()  # a corner (padding): the darkest tissue
    assert real.min() == HU[INSIDE].min()


def test_window_tags_keep_their_window_and_stats_skip_padding(tmp_path):
    path = write_ct(
        tmp_path / "pad.dcm",
        np.full((128, 128), -2000),
        PixelPaddingValue=-2000,
        WindowCenter=40,
        WindowWidth=400,
    )
    f = fields(path)
    assert (f["window_center"], f["window_width"]) == (40, 400)
    assert f["p_low"] > -1100 and f["meta"]["window_source"] == "tags"


def test_padding_range_limit_in_either_order_and_unsigned_pixels(tmp_path):
    noise = np.random.default_rng(2).integers(0, 20, (128, 128))  # stored 0..19 outside
    for first, last in ((0, 19), (19, 0)):
        path = write_ct(
            tmp_path / f"r{first}.dcm",
            noise,
            signed=False,
            PixelPaddingValue=first,
            PixelPaddingRangeLimit=last,
        )
        f = fields(path)
        assert f["p_low"] >= -1000  # not -1024..-1005 HU
        assert f["meta"]["padding"] == pytest.approx(1 - INSIDE.mean(), abs=1e-3)


def test_monochrome1_padding_stays_dark_after_inversion(tmp_path):
    ds = dicom_dataset(DX, "DX")
    image = (ROWS * 20 + 500).astype(np.uint16)  # 500..3040
    image[:, :16] = 4095  # collimator border, stored as padding (white in MONOCHROME1)
    ds.Rows = ds.Columns = 128
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME1"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = image.tobytes()
    ds.PixelPaddingValue = 4095
    ds["PixelPaddingValue"].VR = "US"
    ds.save_as(tmp_path / "dx.dcm", enforce_file_format=True)
    (item,) = decode_dicom(tmp_path / "dx.dcm", size=128, salt=SALT).items
    real = item.array[0].astype(np.float64) * item.fields["value_scale"]
    real += item.fields["value_offset"]
    inverted = 4095 - image[:, 16:]  # the real values after inversion
    assert real[64, 0] == inverted.min()  # the border shows as the darkest content
    assert item.fields["p_low"] >= inverted.min()
