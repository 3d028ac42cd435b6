"""The work one decoding process does for one file (picklable task in, records out).

This module is what the import's worker processes import first, so it stays light:
numpy, Pillow, tifffile and pydicom, no torch, no Qt, no database.
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from ssl_studio.core.data.dicom import decode_dicom, identifiers_of, read_dicom
from ssl_studio.core.data.images import decode_image
from ssl_studio.core.data.privacy import (
    identifier_values,
    message_redactor,
    patient_key,
)
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.timeseries import decode_series_file

# sniffed kind -> the file kind recorded in the project
FILE_KINDS = {
    "dicom": "dicom",
    "dicom-raw": "dicom",
    "png": "image",
    "jpeg": "image",
    "tiff": "image",
    "bmp": "image",
    "series": "series",
}


@dataclass(frozen=True)
class DecodeTask:
    """One file to decode. ``sniffed`` comes from discovery.sniff."""

    path: str
    sniffed: str
    cache_size: int
    salt: bytes
    csv_layout: str = "auto"
    sampling_rate: float | None = None
    csv_prefer: str | None = None  # see timeseries.decode_series_file
    csv_header: tuple[str, ...] = ()  # see timeseries.decode_series_file
    csv_channels: tuple[str, ...] = ()  # a model's channel names (the same)
    # only the file's identifiers are wanted (for a file an unfinished import recorded
    # without naming it): a DICOM header is read, not its pixels; an image holds none
    identifiers_only: bool = False


def decode(task: DecodeTask) -> DecodedFile:
    """Decode one file; every failure comes back as a problem, never as an exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # readers turn what matters into problems
        return _decode(task)


def _decode(task: DecodeTask) -> DecodedFile:
    result = _decode_file(task)
    hide = message_redactor(result.identifiers)  # where messages lose the file's identifiers
    for problem in result.problems:
        problem.message = hide(problem.message, task.path)
    for item in result.items:  # the salted key is slow on purpose: made here, in parallel
        patient = item.fields.pop("patient_id", None)
        if patient:
            item.fields["patient_key"] = patient_key(task.salt, patient)
    return result


def _decode_file(task: DecodeTask) -> DecodedFile:
    kind = FILE_KINDS[task.sniffed]
    path = Path(task.path)
    try:
        if task.identifiers_only and kind != "series":  # a series file's are in its cells
            return _identifiers(path, kind, has_marker=task.sniffed == "dicom")
        if kind == "dicom":
            return decode_dicom(
                path, size=task.cache_size, salt=task.salt, has_marker=task.sniffed == "dicom"
            )
        if kind == "image":
            return decode_image(path, size=task.cache_size, fmt=task.sniffed)
        result = decode_series_file(
            path,
            layout=task.csv_layout,
            sampling_rate=task.sampling_rate,
            prefer=task.csv_prefer,
            header=task.csv_header,
            channels=task.csv_channels,
        )
        for item in result.items:
            item.fields.setdefault("modality", path.suffix.lstrip(".").upper())
            group = item.fields.pop("group_id", None)  # an id column: maybe a patient ID
            if group is not None:
                item.fields["patient_id"] = group  # only its salted key leaves _decode
                result.identifiers.extend(identifier_values([group]))
        return result
    except ImportProblem as problem:
        return DecodedFile(kind=kind, problems=[problem], identifiers=problem.identifiers)
    except PermissionError:
        problem = ImportProblem("unreadable", "Permission denied: ask for read access.")
    except MemoryError:
        problem = ImportProblem(
            "too-large", "Not enough memory to decode this file; import it on a larger machine."
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - one bad file must never stop an import
        if type(exc).__name__ == "PanicException":  # a Rust decoder (pyo3) gave up
            problem = ImportProblem(
                "decoder-crashed",
                f"The {kind} decoder failed on this file's data; the file is probably "
                "corrupt. Copy it again from the source. The rest of the import went on.",
            )
            return DecodedFile(kind=kind, problems=[problem])
        if _raised_by_a_reader(exc):  # a library choked on damaged data: not our bug
            problem = ImportProblem(
                "damaged",
                f"The {kind} file is damaged: its reader gave up ({type(exc).__name__}). "
                "Copy it again from the source; the rest of the import went on.",
            )
            return DecodedFile(kind=kind, problems=[problem])
        # DICOM exception texts may quote header values, so only the type is kept for them.
        detail = "" if kind == "dicom" else f": {str(exc)[:200]}"
        problem = ImportProblem(
            "unexpected",
            f"Unexpected {type(exc).__name__} while reading this {kind} file{detail}. "
            "Please report it with the file's format (not the file).",
        )
    return DecodedFile(kind=kind, problems=[problem])


def _identifiers(path: Path, kind: str, has_marker: bool) -> DecodedFile:
    """The identifiers of a DICOM file's header (an image has none), without pixels."""
    if kind != "dicom":
        return DecodedFile(kind=kind)
    ds = read_dicom(path, has_marker=has_marker)  # (as decode_dicom reads them)
    return DecodedFile(kind=kind, identifiers=identifier_values(identifiers_of(ds)))


READER_PACKAGES = ("pydicom", "PIL", "tifffile", "pylibjpeg", "openjpeg", "libjpeg", "rle")


def _raised_by_a_reader(exc: BaseException) -> bool:
    """Whether ``exc`` was raised inside a file-reading library (not in SSL Studio)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    where = Path(frames[-1].filename).parts
    return any(package in where for package in READER_PACKAGES)
