"""What a missing decoder's message tells the user to do, by transfer syntax (audit: HTJ2K
was sent to libjpeg, 12-bit JPEG called corrupt, DICOM video sent to dcmtk/gdcm, which
cannot decode it), and that one plugin's real error still means damaged data."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID

from ssl_studio.core.data.dicom import _decode_problem
from ssl_studio.core.data.dicom_decoders import says_no_decoder

NONE_INSTALLED = "Unable to decode the pixel data as the plugins are missing dependencies"
PILLOW_12_BIT = (
    "Unable to decode as exceptions were raised by all available plugins:\n"
    "  pillow: Pillow does not support 'JPEG Extended' for samples with 12-bit precision"
)


def problem(transfer_syntax: str, text: str):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
    return _decode_problem(RuntimeError(text), ds)


@pytest.mark.parametrize(
    ("uid", "package"),
    [
        ("1.2.840.10008.1.2.4.201", "pylibjpeg-openjpeg 2.4 or newer"),  # HTJ2K
        ("1.2.840.10008.1.2.4.91", "pylibjpeg-openjpeg to"),  # JPEG 2000
        ("1.2.840.10008.1.2.4.80", "pylibjpeg-libjpeg (or pyjpegls)"),  # JPEG-LS
        ("1.2.840.10008.1.2.4.70", "pylibjpeg-libjpeg to"),  # JPEG Lossless
        ("1.2.840.10008.1.2.5", "pylibjpeg-rle"),
    ],
)
def test_each_compression_names_its_own_package(uid, package):
    found = problem(uid, NONE_INSTALLED)
    assert found.code == "dicom-decoder-missing"
    assert f"No decoder is installed for the compression '{UID(uid).name}'." in found.message
    assert f"Install pylibjpeg and {package}" in found.message


def test_a_12_bit_jpeg_only_pillow_declined_is_a_missing_decoder_not_corrupt_data():
    found = problem("1.2.840.10008.1.2.4.51", PILLOW_12_BIT)
    assert found.code == "dicom-decoder-missing" and "corrupt" not in found.message
    assert "Install pylibjpeg and pylibjpeg-libjpeg to read it." in found.message


def test_a_real_decoder_error_beside_pillows_decline_is_damaged_data():
    text = PILLOW_12_BIT.replace(
        "\n  pillow", "\n  pylibjpeg: libjpeg error code '-1038': A misplaced marker\n  pillow"
    )
    assert not says_no_decoder(text)
    assert problem("1.2.840.10008.1.2.4.51", text).code == "dicom-decode-failed"


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.107"])
def test_dicom_video_says_to_extract_the_frames_not_to_convert_with_dcmtk(uid):
    found = problem(uid, NONE_INSTALLED)
    assert found.code == "dicom-decoder-missing"
    assert "reads no DICOM video" in found.message and "extract the frames" in found.message
    assert "dcmdjpeg" not in found.message
