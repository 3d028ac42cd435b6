"""Ordinary image files (PNG, JPEG, TIFF, BMP): 8/16-bit, gray, RGB, RGBA, multi-page.

PNG, JPEG and BMP are read with Pillow; TIFF with tifffile (16-bit RGB, float and
multi-page TIFF that Pillow cannot read). Alpha is dropped, palette images become RGB,
RGB images whose three channels are equal are stored as one gray channel, and every
page of a multi-page TIFF becomes one item.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from ssl_studio.core.data.pixels import (
    as_hwc,
    check_size,
    collapse_gray,
    default_window,
    to_cache,
)
from ssl_studio.core.data.records import DecodedFile, DecodedItem, ImportProblem

_PIL_MODES_KEPT = {"L", "RGB", "I;16", "I;16B", "I;16L", "I", "F"}


def _too_many_channels(channels: int) -> ImportProblem:
    return ImportProblem(
        "image-channels",
        f"The image has {channels} channels per pixel; only gray, RGB and RGBA are "
        "supported. Save it as one image per channel.",
    )


def _pil_frames(path: Path) -> Iterator[tuple[np.ndarray, bool]]:
    """Frames of a PNG/JPEG/BMP as ``([H, W] or [H, W, 3], eight_bit)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImportProblem(
            "image-too-large", f"The image is too large to decode safely: {exc} Downscale it first."
        ) from exc
    with image:
        width, height = image.size
        check_size(height, width)  # (PIL's own modes hold at most 4 bytes per pixel)
        image.load()
        mode = image.mode
        if mode == "1" or mode == "LA":
            image = image.convert("L")
        elif mode not in _PIL_MODES_KEPT:
            image = image.convert("RGB")  # P, RGBA, CMYK, YCbCr, LAB, HSV, RGBX
        array = np.asarray(image)
        yield array, array.dtype == np.uint8


def _tiff_frames(path: Path) -> Iterator[tuple[np.ndarray, bool]]:
    """Pages of a TIFF as ``([H, W] or [H, W, C], eight_bit)``."""
    with tifffile.TiffFile(path) as tif:
        if not tif.pages:
            raise ImportProblem("image-empty", "The TIFF file contains no image pages.")
        for page in tif.pages:
            shape = page.shape
            if page.samplesperpixel > 1 and shape[0] == page.samplesperpixel and len(shape) == 3:
                height, width = shape[1], shape[2]  # planar configuration
            else:
                height, width = shape[0], shape[1]
            if page.samplesperpixel > 4:  # (refused before decoding: a few MB can declare GBs)
                raise _too_many_channels(page.samplesperpixel)
            check_size(height, width, page.samplesperpixel, getattr(page.dtype, "itemsize", 1))
            array = page.asarray()
            if array.ndim == 3 and array.shape[0] == page.samplesperpixel < array.shape[2]:
                array = np.moveaxis(array, 0, 2)
            if page.photometric == tifffile.PHOTOMETRIC.MINISWHITE:
                top = np.iinfo(array.dtype).max if array.dtype.kind in "iu" else array.max()
                array = top - array
            if array.dtype == bool:
                array = array.astype(np.uint8) * 255
            yield array, array.dtype == np.uint8


def decode_image(path: Path, *, size: int, fmt: str) -> DecodedFile:
    """Decode an image file (``fmt`` from sniffing: png, jpeg, tiff, bmp) into items."""
    result = DecodedFile(kind="image")
    frames = _tiff_frames(path) if fmt == "tiff" else _pil_frames(path)
    try:
        for index, (array, eight_bit) in enumerate(frames):
            if array.ndim == 3 and array.shape[2] > 4:
                raise _too_many_channels(array.shape[2])
            frame = collapse_gray(as_hwc(array))
            stored, fields = to_cache(frame, size=size, eight_bit=eight_bit)
            centre, width = default_window(fields)
            fields.update(
                modality=fmt.upper(),
                window_center=centre,
                window_width=width,
                meta={"format": fmt, "dtype": str(array.dtype), "page": index},
            )
            result.items.append(DecodedItem(index=index, array=stored, fields=fields))
    except ImportProblem:
        raise
    except NotImplementedError as exc:  # tifffile: a compression or bit depth it lacks
        raise ImportProblem(
            "image-unsupported",
            f"This {fmt.upper()} file uses a feature that cannot be decoded here "
            f"({str(exc)[:120]}). Save it as an 8- or 16-bit PNG or uncompressed TIFF.",
        ) from exc
    except (
        UnidentifiedImageError,
        TypeError,  # tifffile on some damaged tag tables
        OSError,
        ValueError,
        SyntaxError,
        tifffile.TiffFileError,
        EOFError,
        IndexError,
        KeyError,
        MemoryError,
    ) as exc:
        problem = ImportProblem(
            "image-corrupt",
            f"The {fmt.upper()} file is damaged or truncated and cannot be decoded "
            f"({type(exc).__name__}: {str(exc)[:160]}). Export it again.",
        )
        if not result.items:
            raise problem from exc
        problem.message = f"Page {len(result.items) + 1} and later: {problem.message}"
        result.problems.append(problem)
    return result
