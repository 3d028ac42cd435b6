"""DICOM files whose compressed (encapsulated) multi-frame pixel data was cut short: the
frames whose fragments are all in the file are read as the whole file reads them, the
rest are reported lost, and a file with no complete frame says it was cut in its pixel
data (pydicom reads such a file as an empty dataset, header included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_corpora import pydicom_data_dir
from pydicom.encaps import encapsulate, generate_frames

from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.export.unread_parts import lost_frames

SALT = b"s" * 32
ITEM, DELIMITER = b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0"


def items_of(data: bytes) -> list[tuple[int, int]]:
    """(position in the file, value length) of each item of the encapsulated pixel data,
    the Basic Offset Table first."""
    position = data.rindex(b"\xe0\x7f\x10\x00") + 12  # (7FE0,0010), VR, 0, length
    found = []
    while data[position : position + 4] == ITEM:
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        found.append((position, length))
        position += 8 + length
    assert data[position : position + 4] == DELIMITER
    return found


def cut_copy(source: Path, folder: Path, keep: int) -> Path:
    """A copy of ``source`` with only its first ``keep`` bytes."""
    path = folder / f"cut_{keep}_{source.name}"
    path.write_bytes(source.read_bytes()[:keep])
    return path


def in_fragment(source: Path, k: int) -> int:
    """A cut point halfway into the k-th fragment (from 0) after the offset table."""
    position, length = items_of(source.read_bytes())[1 + k]
    return position + 8 + length // 2


def assert_same_frames(out: DecodedFile, whole: DecodedFile, count: int) -> None:
    """``out`` holds the first ``count`` items of ``whole``, pixels and fields alike."""
    assert [item.index for item in out.items] == list(range(count))
    for kept, intact in zip(out.items, whole.items, strict=False):
        assert np.array_equal(kept.array, intact.array)
        assert kept.fields == intact.fields


def assert_lost_after(out: DecodedFile, count: int, total: int) -> None:
    """One problem saying frames count + 1 and later are lost, and predict's rows."""
    (problem,) = out.problems
    assert problem.code == "dicom-truncated"
    assert problem.message.startswith(f"Frame {count + 1} and later:")
    assert f"only {count} of its {total} frames" in problem.message
    assert "Copy it again" in problem.message
    assert [index for index, _ in lost_frames(out)] == list(range(count, total))


@pytest.mark.parametrize("k", [1, 6, 9])
def test_rle_cut_inside_frame_k_keeps_the_frames_before_it(tmp_path, k):
    source = pydicom_data_dir() / "emri_small_RLE.dcm"  # 10 frames, offset table
    whole = decode_dicom(source, size=64, salt=SALT)
    out = decode_dicom(cut_copy(source, tmp_path, in_fragment(source, k)), size=64, salt=SALT)
    assert_same_frames(out, whole, k)
    assert_lost_after(out, k, 10)


def test_rle_cut_between_fragments_keeps_each_whole_fragment(tmp_path):
    source = pydicom_data_dir() / "emri_small_RLE.dcm"
    whole = decode_dicom(source, size=64, salt=SALT)
    position, _ = items_of(source.read_bytes())[1 + 4]  # where the 5th frame's item starts
    for keep in (position, position + 6, position + 8):  # at it, in its header, after it
        out = decode_dicom(cut_copy(source, tmp_path, keep), size=64, salt=SALT)
        assert_same_frames(out, whole, 4)
        assert_lost_after(out, 4, 10)


def test_a_colour_rle_file_keeps_its_first_frame(tmp_path, dicom_file):
    source = dicom_file("SC_rgb_rle_2frame.dcm")  # RGB, 2 frames
    whole = decode_dicom(source, size=64, salt=SALT)
    out = decode_dicom(cut_copy(source, tmp_path, in_fragment(source, 1)), size=64, salt=SALT)
    assert_same_frames(out, whole, 1)
    assert out.items[0].array.shape == whole.items[0].array.shape
    assert_lost_after(out, 1, 2)


@pytest.mark.parametrize("k", [1, 5])
def test_jpeg_2000_cut_inside_frame_k_keeps_the_frames_before_it(tmp_path, k):
    # no offset table, one fragment per frame: a frame is complete once the next starts
    source = pydicom_data_dir() / "emri_small_jpeg_2k_lossless.dcm"
    whole = decode_dicom(source, size=64, salt=SALT)
    out = decode_dicom(cut_copy(source, tmp_path, in_fragment(source, k)), size=64, salt=SALT)
    assert_same_frames(out, whole, k)
    assert_lost_after(out, k, 10)


def three_fragments_a_frame(folder: Path, offset_table: bool) -> Path:
    """emri_small's JPEG-LS frames, each split into three fragments."""
    ds = pydicom.dcmread(pydicom_data_dir() / "emri_small_jpeg_ls_lossless.dcm")
    frames = list(generate_frames(ds.PixelData, number_of_frames=10))
    ds.PixelData = encapsulate(frames, fragments_per_frame=3, has_bot=offset_table)
    path = folder / f"jls_{offset_table}.dcm"
    ds.save_as(path)
    return path


@pytest.mark.parametrize("offset_table", [True, False])
def test_frames_of_several_fragments_are_kept_only_whole(tmp_path, offset_table):
    source = three_fragments_a_frame(tmp_path, offset_table)
    whole = decode_dicom(source, size=64, salt=SALT)
    assert len(whole.items) == 10 and not whole.problems
    # in frame 6's second fragment: its first is in the file, it is not complete
    out = decode_dicom(cut_copy(source, tmp_path, in_fragment(source, 16)), size=64, salt=SALT)
    assert_same_frames(out, whole, 5)
    assert_lost_after(out, 5, 10)


def test_the_last_frame_of_an_offset_table_is_not_taken_for_complete(tmp_path):
    # fragments of the last frame may follow the cut: only the first 9 frames are sure
    source = three_fragments_a_frame(tmp_path, offset_table=True)
    whole = decode_dicom(source, size=64, salt=SALT)
    end = len(source.read_bytes()) - 8  # all fragments, not the sequence delimiter
    out = decode_dicom(cut_copy(source, tmp_path, end), size=64, salt=SALT)
    assert_same_frames(out, whole, 9)
    assert_lost_after(out, 9, 10)


def test_rle_cut_only_in_its_sequence_delimiter_keeps_every_frame(tmp_path):
    source = pydicom_data_dir() / "emri_small_RLE.dcm"  # one fragment a frame: all whole
    whole = decode_dicom(source, size=64, salt=SALT)
    end = len(source.read_bytes()) - 8
    out = decode_dicom(cut_copy(source, tmp_path, end), size=64, salt=SALT)
    assert_same_frames(out, whole, 10)
    assert not out.problems


@pytest.mark.parametrize("where", ["element", "offset table", "first fragment"])
def test_a_file_cut_before_its_first_frame_is_complete_says_so(tmp_path, where):
    source = pydicom_data_dir() / "emri_small_RLE.dcm"
    (table, _), (first, length) = items_of(source.read_bytes())[:2]
    keep = {"element": table, "offset table": first, "first fragment": first + length}[where]
    with pytest.raises(ImportProblem) as raised:
        decode_dicom(cut_copy(source, tmp_path, keep), size=64, salt=SALT)
    assert raised.value.code == "dicom-truncated"
    message = raised.value.message
    assert "pixel data ends before the first of its 10 frames is complete" in message
    assert "ends after its DICOM header" not in message
    assert "nothing after its DICOM header" not in message
    assert raised.value.identifiers  # the header was read: its identifiers redact messages


def test_an_intact_compressed_file_reads_as_before(tmp_path):
    for name in ("emri_small_RLE.dcm", "emri_small_jpeg_2k_lossless.dcm"):
        out = decode_dicom(pydicom_data_dir() / name, size=64, salt=SALT)
        assert [item.index for item in out.items] == list(range(10))
        assert not out.problems


def test_import_and_predict_read_the_complete_frames(tmp_path):
    # through the decoding worker both of them use: frames, header keys, lost frames
    source = pydicom_data_dir() / "emri_small_RLE.dcm"
    path = cut_copy(source, tmp_path, in_fragment(source, 3))
    out = decode(DecodeTask(str(path), "dicom", 64, SALT))
    assert [item.index for item in out.items] == [0, 1, 2]
    assert all(item.fields.get("study_key") for item in out.items)
    assert out.identifiers
    assert [index for index, _ in lost_frames(out)] == list(range(3, 10))
    assert "Frame 4 and later" in out.problems[0].message
