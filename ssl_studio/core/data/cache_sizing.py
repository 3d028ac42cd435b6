"""The cache size of a new image dataset when the user chose none, and what an import
says about it.

Images are letterboxed into square slots of the dataset's cache size (pixels.to_cache).
A slot larger than the images only upscales them: 64 x 64 PNGs in 224 px slots take 12
times the disk, with no more detail. So a new dataset imported without a cache size
gets the largest image side among its files, rounded up to a multiple of ``ROUND`` px,
at least ``FLOOR`` px and at most the default (``DEFAULT_CACHE_SIZE``, 224 px).

The sides are read from file headers only (Pillow opens lazily, tifffile reads the
first page's tags, pydicom stops before the pixel data), of the ``PROBE_FILES``
largest files in bytes (the largest images, as a rule) and stopping at the first one
as large as the default. A file larger than the size chosen (one the probe did not
read) is scaled down into its slot like any image larger than the cache, and the
import says how many were (``size_notes``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ssl_studio.core.config import DEFAULT_CACHE_SIZE

FLOOR = 32  # px: smaller sources are cached at 32 px (a few KB each)
ROUND = 8  # px: sizes are multiples of 8 (a ViT patch of 8 divides them)
PROBE_FILES = 256  # headers read at most, largest files first
_MOST = 0.5  # share of the images smaller than an explicit size above which it is told
CHOOSE = "cache size in Import options; --cache-size N"


@dataclass(frozen=True)
class Probe:
    """What the header probe found: ``largest`` side in px (None: no header read),
    ``read`` headers of ``of`` image files."""

    largest: int | None
    read: int
    of: int

    @property
    def size(self) -> int:
        """The cache size for these images (see the module docstring)."""
        return size_for(self.largest)


def size_for(largest: int | None) -> int:
    """Cache size for images whose largest side is ``largest`` px (None: the default)."""
    if largest is None:
        return DEFAULT_CACHE_SIZE
    rounded = -(-largest // ROUND) * ROUND
    return min(DEFAULT_CACHE_SIZE, max(FLOOR, rounded))


def image_side(path: Path, sniffed: str) -> int | None:
    """The longer side in px of an image or DICOM file from its header (``sniffed``:
    discovery.sniff's kind); None when the header cannot tell (the decoder then says
    why the file cannot be imported, or caches it at whatever size was chosen)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if sniffed in ("dicom", "dicom-raw"):
                import pydicom

                ds = pydicom.dcmread(
                    str(path),
                    stop_before_pixels=True,
                    specific_tags=["Rows", "Columns"],
                    force=sniffed == "dicom-raw",
                )
                return max(int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)) or None
            if sniffed == "tiff":
                import tifffile

                with tifffile.TiffFile(path) as tif:
                    page = tif.pages[0]
                    return max(int(page.imagewidth), int(page.imagelength)) or None
            from PIL import Image

            with Image.open(path) as image:
                return max(image.size) or None
    except Exception:  # noqa: BLE001 - a damaged header is the decoder's to report
        return None


def probe_sides(files: Sequence[tuple[Path, str, int]]) -> Probe:
    """Read the sides of ``files`` ((path, sniffed kind, size in bytes)), the
    ``PROBE_FILES`` largest first, until one is at least the default cache size."""
    largest, read = None, 0
    for path, sniffed, _ in sorted(files, key=lambda f: -f[2])[:PROBE_FILES]:
        side = image_side(path, sniffed)
        read += 1
        if side is not None:
            largest = max(largest or 0, side)
            if side >= DEFAULT_CACHE_SIZE:
                break
    return Probe(largest, read, len(files))


def chosen_text(probe: Probe) -> str:
    """Why a new dataset is cached at ``probe.size``, for the import's message."""
    size, largest = probe.size, probe.largest
    if largest is None:
        return f"images cached at {size} px, the default ({CHOOSE} to choose)"
    if largest >= DEFAULT_CACHE_SIZE:
        return (
            f"images cached at {size} px, the default; the images are larger ({CHOOSE} "
            "to keep more detail)"
        )
    why = (
        "the size of the largest image"
        if probe.read >= probe.of
        else f"the largest image side among the {probe.read} largest files"
    )
    if size != largest:
        why += (
            f" ({largest} px) rounded up to {FLOOR} px, the smallest cache size"
            if size == FLOOR
            else f" ({largest} px) rounded up to a multiple of {ROUND}"
        )
    return f"images cached at {size} px, {why} ({CHOOSE} to choose)"


@dataclass
class SideTally:
    """The source sides of the images an import cached at ``size`` px."""

    size: int
    images: int = 0
    larger: int = 0  # scaled down into the slot
    smaller: int = 0  # scaled up into the slot
    largest: int = 0  # px
    slot_bytes: int = 0  # cache bytes written

    def add(self, height: int, width: int, nbytes: int) -> None:
        side = max(height, width)
        self.images += 1
        self.larger += side > self.size
        self.smaller += side < self.size
        self.largest = max(self.largest, side)
        self.slot_bytes += nbytes


def size_notes(tally: SideTally, chosen: bool) -> list[str]:
    """Warnings on the cache size after an import: images larger than a cache size below
    the default that this import did not ask for (``chosen``: chosen from the headers
    probed, or the dataset's; they were scaled down), or most images smaller than a size
    asked for (scaled up), with the disk it costs."""
    size = tally.size
    if not tally.images:
        return []
    if chosen and tally.larger and size < DEFAULT_CACHE_SIZE:
        return [
            f"{tally.larger} of {tally.images} images are larger than the dataset's cache "
            f"size, {size} px (up to {tally.largest} px), so they were scaled down to "
            f"{size} px. To keep their detail, import them into a new dataset with a larger "
            f"cache size ({CHOOSE})."
        ]
    own = size_for(tally.largest)
    if chosen or tally.smaller <= _MOST * tally.images or own >= size:
        return []
    at_own = tally.slot_bytes * own * own // (size * size)
    return [
        f"{tally.smaller} of {tally.images} images are smaller than the {size} px cache "
        f"size (the largest is {tally.largest} px), so they were scaled up: no more "
        f"detail, and {_mb(tally.slot_bytes)} of cache where {own} px would take "
        f"{_mb(at_own)}. Imported into a new dataset without a cache size, they are cached "
        "at their own size."
    ]


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
