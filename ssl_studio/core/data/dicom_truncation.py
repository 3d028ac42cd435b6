"""DICOM files cut short: keep the complete frames of uncompressed multi-frame pixel data,
and tell a file damaged after its header from one that ends there.

pydicom checks the length of uncompressed pixel data before it yields any frame, so a
10-frame file cut in frame 7 would lose its 6 complete frames too. ``keep_complete_frames``
shortens such a dataset to its complete frames before decoding. (Compressed pixel data
cut short: dicom_encapsulated_cut.)
"""

from __future__ import annotations

import contextlib
import os

from pydicom.dataset import Dataset
from pydicom.pixels.utils import get_nr_frames
from pydicom.uid import UID

from ssl_studio.core.data.records import ImportProblem


def keep_complete_frames(ds: Dataset) -> tuple[int, int] | None:
    """Shorten an uncompressed multi-frame ``ds`` whose PixelData ends inside a frame to
    its complete frames (NumberOfFrames and PixelData, in place). Returns (complete
    frames, frames in the header) when it did, None otherwise (compressed, complete,
    bit-packed, or not even one complete frame: those fail or decode as before)."""
    tsyntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if not tsyntax or UID(tsyntax).is_compressed or "PixelData" not in ds:
        return None
    try:
        bits = int(ds.BitsAllocated)
        frame_bytes = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1) or 1)
        frame_bytes *= bits // 8
        total = int(get_nr_frames(ds))
        data = ds.PixelData
    except (AttributeError, TypeError, ValueError, OSError):
        return None
    if bits % 8 or frame_bytes <= 0 or total <= 1 or not isinstance(data, bytes):
        return None
    complete = min(len(data) // frame_bytes, total)
    if complete == total or complete == 0:
        return None
    ds.NumberOfFrames = complete
    ds.PixelData = data[: complete * frame_bytes]
    return complete, total


def missing_frames_problem(complete: int, total: int) -> ImportProblem:
    """The problem reported beside the complete frames kept by ``keep_complete_frames``."""
    return ImportProblem(
        "dicom-truncated",
        f"Frame {complete + 1} and later: the pixel data is shorter than the header says "
        f"(only {complete} of its {total} frames are complete): the file is truncated or "
        "damaged. Copy it again from the source.",
    )


def empty_dataset_problem(ds: Dataset) -> ImportProblem:
    """The problem of a file read as an empty dataset (nothing after its file meta): cut
    short just after its header, or, when the file holds more than its header, damaged
    or cut short further on (pydicom gives up on a broken element and keeps nothing).
    A file cut inside its file meta (no group length to tell) is read as the former."""
    size = None
    with contextlib.suppress(OSError, TypeError):
        size = os.path.getsize(ds.filename)  # type: ignore[arg-type]
    meta = getattr(ds, "file_meta", None)
    group_length = meta.get("FileMetaInformationGroupLength") if meta else None
    # preamble, 'DICM', the group length element (12 bytes), then the rest of the meta
    header_end = 128 + 4 + 12 + int(group_length) if group_length is not None else None
    if size is not None and header_end is not None and size > header_end:
        return ImportProblem(
            "dicom-truncated",
            "The file is damaged or was cut short while copying: nothing after its DICOM "
            "header can be read. Copy it again from the source.",
        )
    return ImportProblem(
        "dicom-truncated",
        "The file ends after its DICOM header, before any data: it was probably cut "
        "short while copying. Copy it again from the source.",
    )
