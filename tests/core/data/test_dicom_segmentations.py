"""Segmentation objects (DICOM SEG: masks, such as AI results pushed back beside the CT)
carry pixel data but are not images: they are skipped with their reason (audit finding 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dicom_corpora import pydicom_data_dir
from made_dicom import dicom_dataset
from pydicom.pixels import pack_bits

from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.data.records import ImportProblem

SALT = b"s" * 32
SEG = "1.2.840.10008.5.1.4.1.1.66.4"


def binary_seg(path: Path) -> Path:
    """A 4-frame, 1-bit Segmentation Storage object."""
    mask = np.zeros((4, 32, 48), np.uint8)
    mask[:, 8:20, 10:30] = 1
    ds = dicom_dataset(SEG, "SEG")
    ds.NumberOfFrames, ds.Rows, ds.Columns = 4, 32, 48
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit, ds.PixelRepresentation = 0, 0
    ds.PixelData = pack_bits(mask)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize("name", ["liver.dcm", "generated"])
def test_a_segmentation_is_skipped_as_not_an_image(tmp_path, name):
    path = binary_seg(tmp_path / "s.dcm") if name == "generated" else pydicom_data_dir() / name
    with pytest.raises(ImportProblem) as caught:
        decode_dicom(path, size=64, salt=SALT)
    problem = caught.value
    assert (problem.code, problem.severity) == ("dicom-not-image", "skipped")
    assert "'Segmentation Storage' object: a segmentation (mask), not an image" in (problem.message)
