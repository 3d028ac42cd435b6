"""DICOM files: header facts without identifiers, and decoded frames in real units.

One item per frame. Pixels go through the modality LUT (rescale slope/intercept, also
per frame in enhanced multi-frame files; an RT dose's DoseGridScaling, to Gy),
MONOCHROME1 is inverted so bright always means dense, palette colour becomes RGB, YBR
becomes RGB (pydicom), and the window centre and width from the tags become the item's
default display window (inverted with the pixels): the top level's, else an enhanced
file's per-frame or shared FrameVOILUTSequence window, else the input range of a simple
VOI LUT (dicom_values; ``meta["window_source"]`` says which, "auto" for none).
Pixel padding (PixelPaddingValue, dicom_padding) is set to the frame's lowest real value
and left out of the statistics and automatic window (``meta["padding"]``: its share).

Large 8-bit JPEG baseline images (ultrasound cine loops) are decoded directly at 1/2,
1/4 or 1/8 scale when the cache is that much smaller, which is several times faster.

Only the whitelisted, non-identifying acquisition facts in ``_FACTS`` are kept. Values of
the de-identification profile (names, IDs, dates of birth, institution...) are collected
as ``identifiers`` to redact paths and messages, and are never stored.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from PIL import Image
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.errors import InvalidDicomError
from pydicom.pixels import iter_pixels
from pydicom.pixels.utils import get_nr_frames
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit

from ssl_studio.core.data.dicom_decoders import missing_decoder_advice, says_no_decoder
from ssl_studio.core.data.dicom_encapsulated_cut import (
    keep_salvaged_frames,
    no_complete_frame_problem,
    read_cut_encapsulated,
)
from ssl_studio.core.data.dicom_padding import fill_padding, padding_mask
from ssl_studio.core.data.dicom_truncation import (
    empty_dataset_problem,
    keep_complete_frames,
    missing_frames_problem,
)
from ssl_studio.core.data.dicom_values import (
    AUTO,
    frame_window,
    has_voi_lut,
    nominal_range,
    to_real,
)
from ssl_studio.core.data.pixels import check_size, default_window, to_cache
from ssl_studio.core.data.privacy import (
    DATE_KEYWORDS,
    IDENTIFYING_KEYWORDS,
    contains_identifier,
    identifier_values,
    keyed_hash,
)
from ssl_studio.core.data.records import DecodedFile, DecodedItem, ImportProblem

# keyword in the file -> key in items.meta; all free of patient identity.
_FACTS = {
    "BodyPartExamined": "body_part",
    "ViewPosition": "view_position",
    "ImageLaterality": "laterality",
    "PhotometricInterpretation": "photometric",
    "BitsAllocated": "bits_allocated",
    "BitsStored": "bits_stored",
    "PixelRepresentation": "pixel_representation",
    "SamplesPerPixel": "samples_per_pixel",
    "Rows": "rows",
    "Columns": "columns",
    "NumberOfFrames": "frames",
    "SliceThickness": "slice_thickness",
    "RescaleSlope": "rescale_slope",
    "RescaleIntercept": "rescale_intercept",
    "RescaleType": "rescale_type",
    "Manufacturer": "manufacturer",
    "ManufacturerModelName": "model",
    "KVP": "kvp",
}

_COPY_AGAIN = (
    "Copy it again from the source (or re-export it from the scanner or PACS) if it "
    "should be DICOM; otherwise convert it, or move it out of the folder."
)
_DEFER = "64 KB"  # header values larger than this (pixel data) are read only when decoded
NO_WINDOW = (None, None, AUTO)  # (centre, width, source) of a colour frame: windows are for gray
# (PhotometricInterpretation, SamplesPerPixel) of 8-bit JPEG baseline files decoded
# reduced (_draft_frames), when their longer side is at least DRAFT_FROM x the cache size
DRAFT_PHOTOMETRICS = {("MONOCHROME2", 1), ("YBR_FULL", 3), ("YBR_FULL_422", 3)}
DRAFT_FROM = 2
# Segmentation Storage and Label Map Segmentation Storage: pixel data that is a mask
SEGMENTATIONS = frozenset({"1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7"})
_STANDARD_GROUPS = (0x0008, 0x0010, 0x0018, 0x0020, 0x0028)  # study, patient, image...


def _plain(value: Any) -> Any:
    """A pydicom value as a JSON-able scalar or list."""
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        return [_plain(v) for v in value]
    if isinstance(value, int | float):
        return value
    if isinstance(value, pydicom.valuerep.DSfloat | pydicom.valuerep.IS):
        return float(value)
    return str(value)


def _facts(ds: Dataset, identifiers: list[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for keyword, key in _FACTS.items():
        value = ds.get(keyword)
        if value is None or value == "":
            continue
        value = _plain(value)
        if isinstance(value, str) and contains_identifier(value, identifiers):
            continue  # a free-text field that repeats a name or ID: drop it
        facts[key] = value
    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    if spacing is not None and len(spacing) == 2:
        facts["pixel_spacing"] = [float(spacing[0]), float(spacing[1])]
    tsyntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if tsyntax:
        facts["transfer_syntax"] = UID(tsyntax).name
    sop = ds.get("SOPClassUID")
    if sop:
        facts["sop_class"] = UID(sop).name
    return facts


def _group_keys(ds: Dataset, salt: bytes) -> dict[str, str | None]:
    """Salted keys for study and series, and the raw PatientID under ``patient_id``.

    decode._decode turns ``patient_id`` into the slow salted ``patient_key`` in the
    decoding worker (once per patient and worker), so it is never stored; with no
    PatientID the importer falls back to the study key.
    """
    study = str(ds.get("StudyInstanceUID", "") or "")
    series = str(ds.get("SeriesInstanceUID", "") or "")
    return {
        "patient_id": str(ds.get("PatientID", "") or "").strip() or None,
        "study_key": keyed_hash(salt, "study", study) if study else None,
        "series_key": keyed_hash(salt, "series", series) if series else None,
    }


def _ensure_transfer_syntax(ds: Dataset) -> None:
    """Files without File Meta: infer the (native) transfer syntax from how they were read."""
    if not hasattr(ds, "file_meta"):
        ds.file_meta = pydicom.dataset.FileMetaDataset()
    if ds.file_meta.get("TransferSyntaxUID"):
        return
    element = ds.get("PixelData")
    implicit, little = ds.original_encoding
    if element is None or not little or getattr(ds["PixelData"], "is_undefined_length", False):
        return
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _decode_problem(exc: Exception, ds: Dataset) -> ImportProblem:
    """Translate a pydicom decoding error into a specific, actionable problem."""
    text = str(exc)
    tsyntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    name = UID(tsyntax).name if tsyntax else "unknown"
    if "less than expected" in text or "truncated" in text.lower():
        return ImportProblem(
            "dicom-truncated",
            "The pixel data is shorter than the header says: the file is truncated or "
            "damaged. Copy it again from the source.",
        )
    if "Missing required element" in text or "has no (0002,0010)" in text:
        return ImportProblem(
            "dicom-incomplete",
            f"The image header is incomplete ({text.split(':', 1)[-1].strip()}), so the "
            "pixels cannot be interpreted. Re-export the file from the scanner or PACS.",
        )
    if says_no_decoder(text):
        return ImportProblem(
            "dicom-decoder-missing",
            f"No decoder is installed for the compression '{name}'. "
            + missing_decoder_advice(str(tsyntax) if tsyntax else None),
        )
    if not tsyntax or not UID(tsyntax).is_compressed:
        return ImportProblem(
            "dicom-bad-pixels",
            f"The pixel data cannot be read with the values in this header ({text[:160]}). "
            "The file is damaged or was written incorrectly; re-export it.",
        )
    reasons = "; ".join(line.strip() for line in text.splitlines()[1:] if line.strip())
    return ImportProblem(
        "dicom-decode-failed",
        f"No installed decoder could decode the '{name}' pixel data "
        f"({(reasons or text)[:300]}). The data may be corrupt, or need another decoder "
        "such as GDCM (python-gdcm).",
    )


def _draft_frames(ds: Dataset, size: int) -> Iterator[np.ndarray] | None:
    """Frames of an 8-bit JPEG baseline file decoded at reduced scale, or None.

    libjpeg can decode a JPEG at 1/2, 1/4 or 1/8 of its size straight from the DCT
    coefficients (Pillow's ``draft``); when the cache size is that much smaller than the
    image, this is several times faster than decoding it whole and resizing. Only gray
    and YCbCr files (where libjpeg's conversion to RGB is the intended one) go this way.
    Yields ``[h, w]`` or ``[h, w, 3]`` uint8 frames, at least ``size`` on the long side.
    """
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    samples = int(ds.get("SamplesPerPixel", 1))
    if (
        ds.file_meta.get("TransferSyntaxUID") != JPEGBaseline8Bit
        or int(ds.get("BitsAllocated", 0)) != 8
        or max(int(ds.get("Rows", 0)), int(ds.get("Columns", 0))) < DRAFT_FROM * size
        or (photometric, samples) not in DRAFT_PHOTOMETRICS
    ):
        return None
    mode = "L" if samples == 1 else "RGB"

    def frames() -> Iterator[np.ndarray]:
        for data in generate_frames(ds.PixelData, number_of_frames=get_nr_frames(ds)):
            with Image.open(io.BytesIO(data)) as image:
                image.draft(mode, (size, size))
                yield np.asarray(image.convert(mode))

    return frames()


def read_dicom(path: Path, *, has_marker: bool = True) -> Dataset:
    """Read the header (large values such as pixel data are deferred, not read)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(str(path), defer_size=_DEFER, force=not has_marker)
    except InvalidDicomError as exc:
        raise ImportProblem(
            "dicom-invalid",
            f"Not a valid DICOM file: {exc}. {_COPY_AGAIN}",
        ) from exc
    except (EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ImportProblem(
            "dicom-invalid",
            f"The DICOM header cannot be read ({type(exc).__name__}: {str(exc)[:160]}); "
            f"the file is damaged or not DICOM. {_COPY_AGAIN}",
        ) from exc
    if len(ds) == 0:  # pydicom gave up on it all: compressed pixel data cut short?
        ds = read_cut_encapsulated(path, defer_size=_DEFER, force=not has_marker) or ds
    if not has_marker and not any(tag.group in _STANDARD_GROUPS for tag in ds.keys()):
        raise ImportProblem(
            "dicom-invalid",
            "Not a DICOM file: none of the usual DICOM elements were found. It may be "
            f"another kind of file under a DICOM name (.dcm), or a damaged copy. {_COPY_AGAIN}",
        )
    return ds


_IDENTIFYING_TAGS = tuple(Tag(keyword) for keyword in IDENTIFYING_KEYWORDS)
_DATE_TAGS = tuple(Tag(keyword) for keyword in DATE_KEYWORDS)
_MAX_NESTING = 8  # sequences inside sequences; real headers nest 3 or 4 deep


def identifiers_of(ds: Dataset, depth: int = 0) -> list[object]:
    """The raw values of the identifying elements of ``ds``, at its top and inside its
    sequences (a PatientID in Other Patient IDs, a name in Referenced Patient). Only
    sequences and the identifying elements are parsed: the bulk of a large header (an RT
    structure set's contours) is never converted."""
    values: list[object] = [ds[tag].value for tag in _IDENTIFYING_TAGS if tag in ds]
    # the study's dates only as full dates: a year alone ("2004") would eat every path
    dates = (str(ds[tag].value).strip() for tag in _DATE_TAGS if tag in ds)
    values.extend(d for d in dates if re.fullmatch(r"\d{8}", d))
    if depth >= _MAX_NESTING:
        return values
    for tag in list(ds.keys()):
        if tag.is_private or dictionary_vr_of(tag) != "SQ":
            continue
        with contextlib.suppress(Exception):  # an unreadable sequence holds nothing to find
            for item in ds[tag].value:
                values.extend(identifiers_of(item, depth + 1))
    return values


def dictionary_vr_of(tag: BaseTag) -> str | None:
    """The VR the DICOM dictionary gives ``tag`` (None for tags it does not know)."""
    try:
        return dictionary_VR(tag)
    except KeyError:
        return None


def decode_dicom(path: Path, *, size: int, salt: bytes, has_marker: bool = True) -> DecodedFile:
    """Decode every frame of a DICOM file into cache-ready items (see module docstring).
    A problem raised after the header was read carries the header's identifiers, so the
    file's path and messages are redacted although it failed."""
    ds = read_dicom(path, has_marker=has_marker)
    identifiers = identifier_values(identifiers_of(ds))
    try:
        return _decode_frames(ds, identifiers, size, salt)
    except ImportProblem as problem:
        problem.identifiers = identifiers
        raise


def _decode_frames(ds: Dataset, identifiers: list[str], size: int, salt: bytes) -> DecodedFile:
    result = DecodedFile(kind="dicom", identifiers=identifiers)
    file_meta = getattr(ds, "file_meta", None)
    sop = ds.get("SOPClassUID") or (file_meta.get("MediaStorageSOPClassUID") if file_meta else None)
    if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        if cut_short := no_complete_frame_problem(ds):  # compressed pixel data cut short
            raise cut_short
        what = f"a '{UID(sop).name}' object" if sop else "a DICOM object"
        if len(ds) == 0:  # nothing read after the preamble and file meta: cut short
            raise empty_dataset_problem(ds)
        if sop and "Image Storage" in UID(sop).name:  # an image that lost its pixels
            raise ImportProblem(
                "dicom-truncated",
                f"This is {what} but its pixel data is missing: the file was probably cut "
                "short while copying. Copy it again from the source.",
            )
        if "WaveformSequence" in ds:  # ECG, EEG, haemodynamic, audio: samples, not pixels
            raise ImportProblem(
                "dicom-no-pixels",
                f"This is {what}: a DICOM waveform, which SSL Studio does not read. To train "
                "on its signals, save them as a series file (CSV or NPY, one column per "
                "channel; pydicom's waveform_array gives them) and import that.",
                severity="skipped",
            )
        raise ImportProblem(
            "dicom-no-pixels",
            f"This is {what} without pixel data (not an image), so there is nothing to read.",
            severity="skipped",
        )
    if sop in SEGMENTATIONS:  # masks (AI or manual results beside the images), not images
        raise ImportProblem(
            "dicom-not-image",
            f"This is a '{UID(sop).name}' object: a segmentation (mask), not an image, so it "
            "is not read as one.",
            severity="skipped",
        )
    _ensure_transfer_syntax(ds)
    with contextlib.suppress(TypeError, ValueError):  # unreadable sizes fail when decoding
        samples, bits = int(ds.get("SamplesPerPixel", 1) or 1), int(ds.get("BitsAllocated", 8) or 8)
        check_size(int(ds.get("Rows", 0)), int(ds.get("Columns", 0)), samples, -(-bits // 8))
    facts = _facts(ds, identifiers)
    shared = {
        "modality": str(ds.get("Modality", "") or "") or None,
        **_group_keys(ds, salt),
    }
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    # (complete, total) frames of a truncated file, compressed or not
    cut = keep_salvaged_frames(ds) or keep_complete_frames(ds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            draft = _draft_frames(ds, size)
            # YBR_FULL stays YBR until after resizing (to_cache converts it, far cheaper)
            ycbcr = draft is None and photometric in ("YBR_FULL", "YBR_FULL_422")
            frames = draft if draft is not None else iter_pixels(ds, as_rgb=not ycbcr)
            for index, frame in enumerate(frames):
                padding = padding_mask(frame, ds)  # in stored values, before the LUT
                real, eight_bit = to_real(frame, ds, index)
                # a window maps grayscale only (PS3.3 C.11.2): a colour frame's tags are moot
                centre, width, source = frame_window(ds, index) if real.ndim == 2 else NO_WINDOW
                if photometric == "MONOCHROME1":
                    low, high = nominal_range(ds, index)
                    total = int(low + high) if float(low + high).is_integer() else low + high
                    real = total - (real.astype(np.int64) if real.dtype.kind in "biu" else real)
                    centre = None if centre is None else (low + high) - centre
                if padding is not None:  # after inversion: padding stays the darkest
                    real = fill_padding(real, padding)
                stored, fields = to_cache(
                    real,
                    size=size,
                    eight_bit=eight_bit,
                    ycbcr=ycbcr and real.ndim == 3,
                    padding=padding,
                )
                fields.update(height=int(ds.Rows), width=int(ds.Columns))  # not the draft's
                if centre is None or width is None:
                    centre, width = default_window(fields)
                meta = {**facts, "window_source": source}
                if padding is not None:  # share of the frame that was padding
                    meta["padding"] = round(float(padding.mean()), 4)
                if source == AUTO and has_voi_lut(ds, index):
                    meta["voi_lut"] = "not a window"  # its LUT is not a simple window
                fields.update(shared, window_center=centre, window_width=width, meta=meta)
                result.items.append(DecodedItem(index=index, array=stored, fields=fields))
    except ImportProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - decoders raise anything; translate it
        problem = _decode_problem(exc, ds)  # its message is redacted by decode.decode
        if not result.items:
            raise problem from exc
        problem.message = f"Frame {len(result.items) + 1} and later: {problem.message}"
        result.problems.append(problem)
    if cut is not None and not result.problems:
        result.problems.append(missing_frames_problem(*cut))
    return result


def has_damaged_marker(head: bytes) -> bool:
    """A preamble and a file meta element, (0002,0000) or (0002,0001) with its VR, but no
    'DICM' marker between them: a DICOM file damaged at bytes 128-131. head: >= 138 bytes."""
    return (
        head[128:132] != b"DICM"
        and head[132:136] in (b"\x02\x00\x00\x00", b"\x02\x00\x01\x00")
        and head[136:138] in (b"UL", b"OB")
    )


def looks_like_raw_dicom(head: bytes) -> bool:
    """A DICOM stream without the 128-byte preamble: starts with a group 0x0002/0x0008 tag."""
    return len(head) >= 8 and re.match(rb"^[\x02\x08]\x00[\x00-\xff]\x00", head) is not None


_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI "
    b"UL UN UR US UT UV".split()
)


def plausible_raw_dicom(head: bytes) -> bool:
    """``looks_like_raw_dicom``, and its first element reads as DICOM: an explicit VR, or
    an implicit VR's length under 1 KB. For files whose name says nothing (PACS archives
    name them by their UID, such as ``1.2.826.0.1.3680043.8.498.4711``, or ``.IMG``),
    where the first four bytes alone would take other binary files for DICOM."""
    if not looks_like_raw_dicom(head):
        return False
    return head[4:6] in _VRS or int.from_bytes(head[4:8], "little") < 1024
