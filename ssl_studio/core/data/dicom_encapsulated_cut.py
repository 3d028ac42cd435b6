"""DICOM files whose encapsulated (compressed: RLE, JPEG, JPEG-LS, JPEG 2000) pixel data
was cut short: keep the frames whose fragments are all in the file.

Encapsulated pixel data has an undefined length: pydicom reads its items up to the
sequence delimiter, and when the file ends first the EOFError leaves the whole dataset
empty, header included. ``read_cut_encapsulated`` reads the header again up to the pixel
data, walks the items of the pixel data itself (PS3.5 A.4: a Basic Offset Table item,
then one item per fragment, each a (FFFE,E000) tag and a 4-byte length) and rebuilds the
pixel data from the frames it is sure are complete:

* where a frame is one fragment (RLE, PS3.5 A.4.2; an Extended Offset Table), frame k
  when its fragment is whole (and where the offset table, if any, says it ends);
* with a Basic Offset Table, frame k when the fragments in the file reach the start of
  frame k + 1 (never the last frame: more fragments of it may have followed the cut);
* without a table, a JPEG family frame when the next fragment starts a codestream (SOI,
  or SOC then SIZ) and the frame's last fragment ends one (EOI/EOC).

A file whose pixel data is whole (damaged further on) is left to the caller.

The dataset keeps the header's NumberOfFrames until ``keep_salvaged_frames`` shortens it
(after the header's facts were read), so the frames after the cut are reported as lost.
"""

from __future__ import annotations

import contextlib
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID,
    JPEG2000TransferSyntaxes,
    JPEGLSTransferSyntaxes,
    JPEGTransferSyntaxes,
    RLELossless,
)

from ssl_studio.core.data.records import ImportProblem

_PIXEL_DATA = b"\xe0\x7f\x10\x00"  # (7FE0,0010), little endian
_ITEM, _DELIMITER = b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0"  # (FFFE,E000), (FFFE,E0DD)
_CODESTREAM_STARTS = {  # what a fragment that begins a frame starts with
    **dict.fromkeys(JPEGTransferSyntaxes + JPEGLSTransferSyntaxes, b"\xff\xd8"),  # SOI
    **dict.fromkeys(JPEG2000TransferSyntaxes, b"\xff\x4f\xff\x51"),  # SOC, SIZ
}
_CODESTREAM_END = b"\xff\xd9"  # JPEG EOI, JPEG 2000 EOC (a pad byte may follow)
_ATTRIBUTE = "_ssl_studio_cut_frames"  # (complete, total) on a dataset made here


@dataclass
class _Items:
    """The items of encapsulated pixel data after its Basic Offset Table: (offset from the
    first of them, value) of each complete fragment, where they end, and the start of the
    fragment the file ends in (its offset and the bytes of it there are), if any."""

    fragments: list[tuple[int, bytes]]
    end: int
    partial: tuple[int, bytes] | None
    ended: bool  # the sequence delimiter was reached: nothing is cut


def read_cut_encapsulated(path: Path, *, defer_size: str, force: bool) -> Dataset | None:
    """The header of ``path`` with its pixel data rebuilt from its complete frames, when
    its encapsulated pixel data is cut short; None for any other file. The dataset's
    NumberOfFrames is still the header's (see ``keep_salvaged_frames``); where no frame
    is complete, it has no pixel data (``no_complete_frame_problem``)."""
    try:
        with open(path, "rb") as fp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(fp, defer_size=defer_size, stop_before_pixels=True, force=force)
            data = fp.read()  # from the element that stopped the header
    except Exception:  # noqa: BLE001 - a header pydicom cannot read: the file's own message
        return None
    tsyntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if (
        len(ds) == 0
        or not tsyntax
        or not UID(tsyntax).is_encapsulated
        or data[:4] != _PIXEL_DATA
        or data[4:6] not in (b"OB", b"OW")
        or data[8:12] != b"\xff\xff\xff\xff"
        or data[12:16] not in (_ITEM, _ITEM[: len(data) - 12])
    ):
        return None
    try:
        total = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return None
    if len(data) < 20:  # cut before the Basic Offset Table's length
        return _salvaged(ds, [], total)
    bot_length = int.from_bytes(data[16:20], "little")
    bot = data[20 : 20 + bot_length]
    if len(bot) < bot_length:  # cut inside the Basic Offset Table
        return _salvaged(ds, [], total)
    items = _items(data, 20 + bot_length)
    if items.ended:  # the pixel data is whole: the file is damaged elsewhere
        return None
    offsets, how = _frame_offsets(ds, str(tsyntax), bot, items, total)
    return _salvaged(ds, _complete_frames(items, offsets, how, total), total)


def _items(data: bytes, at: int) -> _Items:
    """The items of ``data`` from ``at`` (the first item after the Basic Offset Table)."""
    fragments: list[tuple[int, bytes]] = []
    position = at
    while position + 8 <= len(data):
        tag, length = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        if tag == _DELIMITER:
            return _Items(fragments, position - at, None, ended=True)
        if tag != _ITEM:  # not an item: stop at what is sure
            break
        value = data[position + 8 : position + 8 + length]
        if len(value) < length:
            return _Items(fragments, position - at, (position - at, value), ended=False)
        fragments.append((position - at, value))
        position += 8 + length
    return _Items(fragments, position - at, None, ended=False)


def _frame_offsets(
    ds: Dataset, tsyntax: str, bot: bytes, items: _Items, total: int
) -> tuple[list[int], str]:
    """Where each frame's first fragment starts (offsets as in ``_Items``), as far as
    known, and how frames are told apart: "table" (a Basic Offset Table), "one" (one
    fragment per frame) or "markers" (the fragments that start a codestream)."""
    if bot:  # a table of another frame count is not sure of anything
        offsets = list(struct.unpack(f"<{len(bot) // 4}L", bot[: len(bot) // 4 * 4]))
        return (offsets if len(offsets) == total else []), (
            "one" if tsyntax == RLELossless else "table"
        )
    extended = ds.get("ExtendedOffsetTable")
    if extended is not None:  # one fragment per frame (PS3.3 C.7.6.3.1.8)
        with contextlib.suppress(TypeError, ValueError, struct.error):
            offsets = list(struct.unpack(f"<{len(extended) // 8}Q", bytes(extended)))
            return (offsets if len(offsets) == total else []), "one"
        return [], "one"
    if tsyntax == RLELossless:
        return [offset for offset, _ in items.fragments], "one"
    start = _CODESTREAM_STARTS.get(tsyntax)
    every = items.fragments + ([items.partial] if items.partial else [])
    return [offset for offset, value in every if start and value.startswith(start)], "markers"


def _complete_frames(items: _Items, offsets: list[int], how: str, total: int) -> list[bytes]:
    """The data of each frame, from the first up to the first not sure to be complete
    (or where ``offsets`` do not fit the fragments). ``how``: see ``_frame_offsets``."""
    rising = all(a < b for a, b in zip(offsets, offsets[1:], strict=False))
    if not offsets or offsets[0] != 0 or len(offsets) > total or not rising:
        return []
    frames: list[bytes] = []
    starts = {offset: index for index, (offset, _) in enumerate(items.fragments)}
    for k, offset in enumerate(offsets):
        first = starts.get(offset)
        following = offsets[k + 1] if k + 1 < len(offsets) else None
        if first is None:
            break
        if how == "one":  # complete with its fragment, where it ends at the next frame
            last = first + 1
            if following is not None and following != offset + 8 + len(items.fragments[first][1]):
                break
        elif following is not None and (following in starts or following == items.end):
            last = starts.get(following, len(items.fragments))  # up to the next frame
        else:  # fragments of the frame may follow the cut
            break
        parts = [value for _, value in items.fragments[first:last]]
        if how == "markers" and _CODESTREAM_END not in parts[-1][-10:]:
            break  # a frame found by its start must end a codestream too
        frames.append(b"".join(parts))
    return frames


def _salvaged(ds: Dataset, frames: list[bytes], total: int) -> Dataset:
    """``ds`` with the pixel data of ``frames`` (none: no pixel data) and its cut noted."""
    if frames:
        ds.PixelData = encapsulate(frames, has_bot=True)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    setattr(ds, _ATTRIBUTE, (len(frames), total))
    return ds


def keep_salvaged_frames(ds: Dataset) -> tuple[int, int] | None:
    """(complete frames, frames in the header) of a dataset ``read_cut_encapsulated``
    rebuilt, after shortening its NumberOfFrames to the complete ones; None for others
    and where every frame is complete (only the end of the pixel data was cut)."""
    cut = getattr(ds, _ATTRIBUTE, None)
    if cut is None or cut[0] == cut[1] or cut[0] == 0:
        return None
    ds.NumberOfFrames = cut[0]
    return cut


def no_complete_frame_problem(ds: Dataset) -> ImportProblem | None:
    """The problem of a dataset ``read_cut_encapsulated`` made without a complete frame
    (its pixel data ends before the first frame's fragments do); None for others."""
    cut = getattr(ds, _ATTRIBUTE, None)
    if cut is None or cut[0] > 0:
        return None
    frames = f"the first of its {cut[1]} frames" if cut[1] > 1 else "its image"
    return ImportProblem(
        "dicom-truncated",
        "The file is damaged or was cut short while copying: its pixel data ends before "
        f"{frames} is complete, so nothing can be read. Copy it again from the source.",
    )
