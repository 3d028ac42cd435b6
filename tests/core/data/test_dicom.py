"""DICOM decoding on pydicom's real files: values in real units, photometrics, frames."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.pixels import apply_modality_lut

from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.data.records import ImportProblem

SALT = b"s" * 32


def real(item) -> np.ndarray:
    """Stored cache values back in real units: [C, S, S]."""
    return item.array.astype(np.float64) * item.fields["value_scale"] + item.fields["value_offset"]


def reference(path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        return apply_modality_lut(ds.pixel_array, ds).astype(np.float64)


def test_ct_keeps_hounsfield_units_exactly_and_the_tag_window(dicom_file):
    path = dicom_file("CT_small.dcm")  # 128 x 128, int16, rescale intercept -1024
    out = decode_dicom(path, size=128, salt=SALT)
    [item] = out.items
    assert item.array.dtype == np.uint16 and item.array.shape == (1, 128, 128)
    np.testing.assert_array_equal(real(item)[0], reference(path))
    assert item.fields["value_scale"] == 1.0
    assert item.fields["modality"] == "CT"
    assert item.fields["patient_id"] == "1CT1"  # decode() hands on only its salted key
    meta = item.fields["meta"]
    assert (
        meta["rescale_intercept"] == -1024
        and meta["transfer_syntax"] == "Explicit VR Little Endian"
    )
    assert "window_source" in meta  # CT_small has no window tags: derived from the data
    low, high = item.fields["p_low"], item.fields["p_high"]
    assert item.fields["window_center"] == pytest.approx((low + high) / 2)


@pytest.mark.parametrize(
    "name",
    [
        "MR_small.dcm",  # explicit little endian
        "MR_small_bigendian.dcm",
        "MR_small_implicit.dcm",
        "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
    ],
)
def test_lossless_transfer_syntaxes_give_identical_pixels(dicom_file, name):
    expected = reference(dicom_file("MR_small.dcm"))
    [item] = decode_dicom(dicom_file(name), size=64, salt=SALT).items
    np.testing.assert_array_equal(real(item)[0], expected)
    assert item.fields["window_center"] == 600  # from the tags


def test_monochrome1_is_inverted_with_its_window(dicom_file):
    # CR, MONOCHROME1, 12 bits, rescale slope 0.684 and intercept 200
    path = dicom_file("dicomdirtests/77654033/CR1/6154")
    low, high = 200, 4095 * 0.684 + 200  # the range the stored bits can express
    [item] = decode_dicom(path, size=16, salt=SALT).items
    scale = item.fields["value_scale"]
    np.testing.assert_allclose(real(item)[0], low + high - reference(path), atol=scale)
    assert item.fields["window_center"] == pytest.approx(low + high - 1600)
    assert item.fields["window_width"] == 2800
    assert item.fields["meta"]["photometric"] == "MONOCHROME1"


def test_multi_frame_gives_one_item_per_frame(dicom_file):
    out = decode_dicom(dicom_file("rtdose.dcm"), size=10, salt=SALT)  # 15 frames, 32 bit
    assert [i.index for i in out.items] == list(range(15))
    ds = pydicom.dcmread(dicom_file("rtdose.dcm"))
    frames = ds.pixel_array * float(ds.DoseGridScaling)  # stored values to dose in Gy
    assert 0 < frames.max() < 100  # a dose, not the raw 32-bit numbers
    for item, frame in zip(out.items, frames, strict=True):
        np.testing.assert_allclose(real(item)[0], frame, rtol=0, atol=item.fields["value_scale"])


def test_rgb_and_ybr_jpeg_are_three_channel_rgb(dicom_file):
    path = dicom_file("SC_rgb_rle.dcm")
    [rgb] = decode_dicom(path, size=100, salt=SALT).items
    assert rgb.array.shape == (3, 100, 100) and rgb.array.dtype == np.uint8
    np.testing.assert_array_equal(np.moveaxis(rgb.array, 0, 2), pydicom.dcmread(path).pixel_array)
    [ybr] = decode_dicom(dicom_file("SC_rgb_dcmtk_+eb+cy+n1.dcm"), size=100, salt=SALT).items
    # lossy JPEG in YBR converted to RGB: close to the uncompressed original
    assert np.abs(ybr.array.astype(int) - rgb.array.astype(int)).mean() < 3


def test_sixteen_bit_rgb_stays_sixteen_bit(dicom_file):
    [item] = decode_dicom(dicom_file("SC_rgb_rle_16bit.dcm"), size=100, salt=SALT).items
    assert item.array.dtype == np.uint16 and item.array.shape[0] == 3
    expected = np.moveaxis(pydicom.dcmread(dicom_file("SC_rgb_rle_16bit.dcm")).pixel_array, 2, 0)
    np.testing.assert_array_equal(real(item), expected)


def test_palette_colour_becomes_rgb(dicom_file):
    [item] = decode_dicom(dicom_file("examples_palette.dcm"), size=64, salt=SALT).items
    assert item.array.shape == (3, 64, 64)
    assert item.fields["meta"]["photometric"] == "PALETTE COLOR"


def test_letterbox_keeps_aspect_ratio(dicom_file):
    # examples_overlay.dcm is 300 rows x 484 columns
    [item] = decode_dicom(dicom_file("examples_overlay.dcm"), size=64, salt=SALT).items
    f = item.fields
    assert (f["box_x0"], f["box_x1"]) == (0, 64)
    height = f["box_y1"] - f["box_y0"]
    assert height == round(300 * 64 / 484)
    assert (item.array[:, : f["box_y0"]] == 0).all() and (item.array[:, f["box_y1"] :] == 0).all()


def test_no_identifier_reaches_the_fields(dicom_file):
    path = dicom_file("CT_small.dcm")
    out = decode_dicom(path, size=32, salt=SALT)
    kept = [{k: v for k, v in i.fields.items() if k != "patient_id"} for i in out.items]
    text = json.dumps(kept, default=str)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    for value in (str(ds.PatientName), ds.PatientID, ds.InstitutionName, "CompressedSamples"):
        assert value not in text
    assert "CompressedSamples" in out.identifiers  # collected only to redact paths


@pytest.mark.parametrize(
    ("name", "code", "severity"),
    [
        ("rtplan.dcm", "dicom-no-pixels", "skipped"),
        ("MR_truncated.dcm", "dicom-truncated", "error"),
        ("nested_priv_SQ.dcm", "dicom-incomplete", "error"),
        ("JPEG2000-embedded-sequence-delimiter.dcm", "dicom-decode-failed", "error"),
    ],
)
def test_files_that_cannot_be_imported_say_why(dicom_file, name, code, severity):
    with pytest.raises(ImportProblem) as info:
        decode_dicom(dicom_file(name), size=32, salt=SALT)
    assert info.value.code == code and info.value.severity == severity
    assert len(info.value.message) > 30


def test_missing_decoder_names_the_package_to_install(dicom_file, monkeypatch):
    from pydicom.pixels.decoders.base import get_decoder
    from pydicom.uid import RLELossless

    decoder = get_decoder(RLELossless)
    monkeypatch.setattr(decoder, "_available", {})
    with pytest.raises(ImportProblem) as info:
        decode_dicom(dicom_file("MR_small_RLE.dcm"), size=32, salt=SALT)
    assert info.value.code == "dicom-decoder-missing"
    assert "RLE Lossless" in info.value.message and "pylibjpeg-rle" in info.value.message


def test_not_dicom_at_all(tmp_path):
    path = tmp_path / "notes.dcm"
    path.write_text("this is not a scan " * 20)
    with pytest.raises(ImportProblem) as info:
        decode_dicom(path, size=32, salt=SALT, has_marker=False)
    assert info.value.code == "dicom-invalid"
    message = info.value.message  # what is wrong, and what to do about it
    assert message.startswith("Not a DICOM file: none of the usual DICOM elements")
    assert "another kind of file under a DICOM name" in message
    assert "copy it again from the source" in message.lower()
    assert "move it out of the folder" in message


@pytest.mark.parametrize(
    "error", [pydicom.errors.InvalidDicomError("bad file meta"), ValueError("bad length")]
)
def test_a_dicom_header_pydicom_cannot_read_says_what_to_do(
    tmp_path, dicom_file, monkeypatch, error
):
    """ "Not a valid DICOM file: …" and "The DICOM header cannot be read …; the file is
    damaged or not DICOM." said only what was wrong."""

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(pydicom, "dcmread", failing)
    with pytest.raises(ImportProblem) as info:
        decode_dicom(dicom_file("CT_small.dcm"), size=32, salt=SALT, has_marker=True)
    message = info.value.message
    assert info.value.code == "dicom-invalid", message
    assert "re-export it from the scanner or PACS" in message and "move it out" in message


@pytest.mark.parametrize("name", ["SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_ybr_full_422_uncompressed.dcm"])
def test_ybr_is_converted_like_pydicom_does(dicom_file, name):
    path = dicom_file(name)
    [item] = decode_dicom(path, size=100, salt=SALT).items  # native size: no resizing
    expected = np.moveaxis(pydicom.dcmread(path).pixel_array, 2, 0).astype(int)
    assert np.abs(item.array.astype(int) - expected).max() <= 2  # rounding only


@pytest.mark.parametrize("name", ["SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm"])
def test_jpeg_decoded_at_reduced_scale_matches_full_decoding(dicom_file, name):
    # 100 x 100 YCbCr JPEG into a 40 px cache: libjpeg decodes it at half size directly
    path = dicom_file(name)
    [item] = decode_dicom(path, size=40, salt=SALT).items
    full = pydicom.dcmread(path).pixel_array  # [100, 100, 3] RGB
    expected = np.asarray(Image.fromarray(full).resize((40, 40), Image.Resampling.BICUBIC))
    assert (item.fields["height"], item.fields["width"]) == (100, 100)
    diff = np.abs(item.array.astype(int) - np.moveaxis(expected, 2, 0))
    assert np.median(diff) <= 3 and diff.mean() < 6  # lossy JPEG, another resampling


@pytest.mark.parametrize("cut", [132, 160])
def test_a_dicom_file_cut_after_its_header_is_an_error_not_a_skip(tmp_path, dicom_file, cut):
    """Cut inside the file meta, CT_small.dcm was "a DICOM object without pixel data (not
    an image)": skipped, as if the file were a report, though it had been an image."""
    path = tmp_path / "cut.dcm"
    path.write_bytes(dicom_file("CT_small.dcm").read_bytes()[:cut])
    with pytest.raises(ImportProblem) as info:
        decode_dicom(path, size=32, salt=SALT, has_marker=True)
    assert info.value.code == "dicom-truncated" and info.value.severity == "error"
    assert "cut short while copying" in info.value.message


@pytest.mark.parametrize(
    ("rows", "samples", "bits", "says"),
    [(12_000, 1, 16, "(144 MP), above the safety limit of 120 MP"), (10_400, 3, 32, "1.2 GB")],
)
def test_a_frame_too_large_to_decode_safely_is_refused_before_decoding(
    tmp_path, dicom_file, rows, samples, bits, says
):
    """A 4.5 MB RLE file of 12 000 x 12 000 pixels was decoded (1.25 GB): a few crafted
    files in a folder could take all the memory of the machine."""
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.Rows = ds.Columns = rows  # (the pixel data stays that of 128 x 128: never read)
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = samples, bits, bits, bits - 1
    ds.save_as(tmp_path / "big.dcm")
    with pytest.raises(ImportProblem) as info:
        decode_dicom(tmp_path / "big.dcm", size=32, salt=b"s")
    assert info.value.code == "image-too-large" and says in info.value.message
