"""DICOM files cut short: the complete frames of an uncompressed multi-frame file are kept,
and a file damaged after its header is not said to end there (audit finding 8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from made_dicom import dicom_dataset
from pydicom.uid import RLELossless

from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.export.unread_parts import lost_frames

SALT = b"s" * 32
NM = "1.2.840.10008.5.1.4.1.1.20"
FRAMES = np.stack([(np.mgrid[:64, :64][1] + 10 * f) * 20 for f in range(10)]).astype(np.uint16)


def nm_file(path: Path, compress: bool = False) -> Path:
    """A 10-frame 64 x 64 16-bit NM file (uncompressed, or RLE)."""
    ds = dicom_dataset(NM, "NM")
    ds.NumberOfFrames, (ds.Rows, ds.Columns) = 10, FRAMES.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 0
    ds.PixelData = FRAMES.tobytes()
    if compress:
        ds.compress(RLELossless)
    ds.save_as(path, enforce_file_format=True)
    return path


def cut(path: Path, keep: int) -> Path:
    """``path`` cut to its first ``keep`` bytes (negative: all but the last -keep)."""
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    return path


def test_complete_frames_of_a_truncated_uncompressed_file_are_kept(tmp_path):
    frame_bytes = 64 * 64 * 2
    path = cut(nm_file(tmp_path / "nm.dcm"), -(3 * frame_bytes + frame_bytes // 2))
    out = decode_dicom(path, size=64, salt=SALT)
    assert [item.index for item in out.items] == list(range(6))
    first = out.items[5]
    real = first.array[0].astype(np.float64) * first.fields["value_scale"]
    assert np.array_equal(real + first.fields["value_offset"], FRAMES[5])
    (problem,) = out.problems
    assert problem.code == "dicom-truncated"
    assert problem.message.startswith("Frame 7 and later:")
    assert "6 of its 10 frames" in problem.message
    # predict answers frames 1-6 and gives frames 7-10 an error row each
    assert out.items[0].fields["meta"]["frames"] == 10
    assert [index for index, _ in lost_frames(out)] == [6, 7, 8, 9]


def test_a_file_cut_inside_its_first_frame_still_fails(tmp_path):
    path = cut(nm_file(tmp_path / "nm.dcm"), -(10 * 64 * 64 * 2 - 100))
    with pytest.raises(ImportProblem) as raised:
        decode_dicom(path, size=64, salt=SALT)
    assert raised.value.code == "dicom-truncated"


def test_a_file_damaged_after_its_header_is_not_said_to_end_there(tmp_path):
    # (an RLE file cut in its pixel data keeps its complete frames now: see
    # test_dicom_truncated_compressed.py) whole pixel data, then an undefined-length
    # element cut short: pydicom reads the file as an empty dataset
    path = nm_file(tmp_path / "rle.dcm", compress=True)
    trailing = b"\xfc\xff\xfc\xffOB\x00\x00\xff\xff\xff\xff" + bytes(20)  # (FFFC,FFFC)
    path.write_bytes(path.read_bytes() + trailing)
    with pytest.raises(ImportProblem) as raised:
        decode_dicom(path, size=64, salt=SALT)
    assert raised.value.code == "dicom-truncated"
    assert "damaged or was cut short" in raised.value.message
    assert "ends after its DICOM header" not in raised.value.message


def test_a_file_cut_right_after_its_header_says_so(tmp_path):
    path = nm_file(tmp_path / "nm.dcm")
    group_length = int.from_bytes(path.read_bytes()[140:144], "little")  # (0002,0000) UL
    cut(path, 144 + group_length)
    with pytest.raises(ImportProblem) as raised:
        decode_dicom(path, size=64, salt=SALT)
    assert "ends after its DICOM header" in raised.value.message
