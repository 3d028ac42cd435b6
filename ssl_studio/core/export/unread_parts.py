"""What predict could not read, said as the import says it: the frames of a multi-frame
DICOM file (pages of a TIFF) after one that failed to decode, each an error row of its
own (the rows before them are answered), and files the readers leave out as not data
(a DICOM SR, PR or RTSTRUCT object, a README), which are skipped, not errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ssl_studio.core.data.records import DecodedFile, ImportProblem

SKIPPED = "skipped"  # ImportProblem.severity of a file that is simply not data


def all_skipped(problems: Iterable[ImportProblem]) -> bool:
    """Whether every one of ``problems`` (at least one) leaves its file out as not data
    (severity "skipped", as the import counts it), none as a failure."""
    problems = list(problems)
    return bool(problems) and all(p.severity == SKIPPED for p in problems)


def lost_frames(result: DecodedFile) -> list[tuple[int, str]]:
    """(index, why) of every frame (page) of an image file not read after some were: a
    decoder that gave up on one frame leaves it and those after it unread. One per frame
    up to the file's frame count (DICOM NumberOfFrames), else one at the first lost
    frame; none where every frame was read, or nothing was (the file's own error row)."""
    if not result.items or result.kind not in ("dicom", "image"):
        return []
    errors = [p for p in result.problems if p.severity != SKIPPED]
    if not errors:
        return []
    why = "; ".join(p.message for p in errors)
    first = max(item.index for item in result.items) + 1  # (indices from 0)
    total = _count((result.items[0].fields.get("meta") or {}).get("frames"))
    word = "Frame" if result.kind == "dicom" else "Page"
    if total is None or total <= first:
        return [(first, f"{word} {first + 1} was not read. {why}")]
    return [
        (index, f"{word} {index + 1} of {total} was not read. {why}")
        for index in range(first, total)
    ]


def _count(value: Any) -> int | None:
    """A frame count read from the file's header, or None where it is not one."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        return None
    return count if count > 0 else None
