"""From a file on disk to the exported model's input, exactly as training saw it.

Images: decoded by the import's readers (DICOM modality LUT, photometric handling),
letterboxed to the cache size, then the evaluation view: the content box scaled to the
model's size, windowed to [0, 1] by the file's window (DICOM tags, else the 0.5-99.5 %
range), standardized as ``(u - 0.5) * 4``. Series: read as at import, values with a
missing-value mask, whole (as the evaluation reads them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.discovery import Found, sniff, walk
from ssl_studio.core.data.privacy import redact
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.data.series_channels import fold, named
from ssl_studio.core.data.series_rates import RATE_TOLERANCE
from ssl_studio.core.export.channel_count import (
    ARRAY_LAYOUTS,
    count_error,
    count_note,
    fewest_channels,
)
from ssl_studio.core.export.image_batch import IMAGES_AT_ONCE, HeldInputs, image_inputs
from ssl_studio.core.export.input_checks import (
    ended_note,
    image_checks,
    series_checks,
    trained_missing,
)
from ssl_studio.core.export.training_lengths import length_note
from ssl_studio.core.export.training_match import image_note
from ssl_studio.core.export.training_window import as_trained
from ssl_studio.core.export.unread_parts import all_skipped, lost_frames
from ssl_studio.core.memory import free_memory

if TYPE_CHECKING:
    from ssl_studio.core.export.series_windows import Window


@dataclass
class ModelInput:
    """One item of a file ready for the model, or the reason it could not be read."""

    path: str  # as shown: identifiers found in the file are redacted
    index: int
    x: np.ndarray | None = None  # images [C, S, S] standardized; series [C, T]
    observed: np.ndarray | None = None  # series [C, T] bool
    error: str | None = None
    note: str = ""  # what a prediction should be read with (a channel read as missing, ...)
    skipped: bool = False  # not data (a DICOM SR, a README): why in ``note``, as import says
    # the file's patient identifiers (never written): a file without names of its own (a
    # PNG beside its patient's DICOM files) may carry one in its path, so whoever shows
    # or writes the paths of many files redacts each with the identifiers of all of them
    identifiers: tuple[str, ...] = ()
    file: int = 0  # the position of its file among those read (0: the first)
    sampling_rate: float | None = None  # series: per second, where the file's times tell
    window: Window | None = None  # the part of its series, where predicted in windows
    ended: str = ""  # series in windows: the note of rows after its last value (the last's)


def files_of(paths: list[Path]) -> Iterator[Found | Any]:
    """Every file under ``paths`` (folders are walked), or the walk's problems, in the
    order of their paths (predictions are listed as a person looks for them); not the
    walk's notes on links it followed."""
    entries = (e for e in walk([Path(p) for p in paths]) if not _is_note(e))
    yield from sorted(entries, key=lambda found: str(found.path))


def _is_note(entry: Found | Any) -> bool:
    return not isinstance(entry, Found) and entry.problem.severity == "info"


def image_input(item_array: np.ndarray, fields: dict[str, Any], spec: dict[str, Any]) -> np.ndarray:
    """A decoded image item (stored [C, S, S] + fields) -> standardized [C', size, size]."""
    return image_inputs([item_array], [fields], spec)[0]


def series_input(values: np.ndarray, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """A decoded series [C, T] (C <= the model's channels; NaN where missing) -> (x [C', T],
    observed [C', T]): the whole series, as the evaluation reads it; channels the file
    lacks are unobserved."""
    channels = spec["in_channels"]
    observed = np.isfinite(values)
    x = np.where(observed, values, 0.0).astype(np.float32)
    out = np.zeros((channels, x.shape[1]), np.float32)
    mask = np.zeros((channels, x.shape[1]), bool)
    out[: x.shape[0]], mask[: x.shape[0]] = x, observed
    return out, mask


def read_inputs(
    paths: list[Path], spec: dict[str, Any], *, layout_flag: str | None = None
) -> Iterator[ModelInput]:
    """Model inputs for every item of every file under ``paths``, in the order of the
    files; a file that cannot be read (or holds the wrong kind of data) gives one row with
    its error. ``layout_flag``: how the user reads CSVs with another layout, named in
    messages (the command line's ``--layout``); None where there is none (the app)."""
    yield from read_files(list(files_of(paths)), spec, layout_flag=layout_flag)


def read_files(
    files: list[Found | Any],
    spec: dict[str, Any],
    *,
    layout_flag: str | None = None,
    at_once: int = IMAGES_AT_ONCE,
    whole: bool = True,
    stopped: Callable[[], bool] = lambda: False,
) -> Iterator[ModelInput]:
    """``read_inputs`` of the files (and walk problems) ``files_of`` listed, in their
    order, each input with its file's position; images get their views ``at_once`` at a
    time (the same numbers as one by one). ``whole``: the model reads each series whole
    (a series too long for the memory free is an error); False where it is predicted in
    windows (series_windows.py bounds those). ``stopped()``: asked before each file, ends
    the inputs at once (the images held for their views are not made)."""
    salt = os.urandom(16)  # keys are never kept; identifiers are only used for redaction
    # once, not per file; 0: no memory guard (images, or series read in windows)
    free = free_memory() if spec["modality"] != "image" and whole else 0
    held = HeldInputs(spec, at_once)
    for position, found in enumerate(files):
        if stopped():  # (not after up to at_once more decodes)
            return
        for item in _file_inputs(found, spec, salt, free, layout_flag, whole):
            if isinstance(item, ModelInput):
                item.file = position
                yield from held.add(item)
            else:  # an image awaiting its view: (input, stored array, fields)
                item[0].file = position
                yield from held.add_image(*item)
    yield from held.release()


Pending = tuple[ModelInput, np.ndarray, dict[str, Any]]  # an image input, stored [C, S, S]


def _file_inputs(
    found: Found | Any,
    spec: dict[str, Any],
    salt: bytes,
    free: int,
    layout_flag: str | None,
    whole: bool = True,
) -> Iterator[ModelInput | Pending]:
    """The inputs of one file: series (or errors) ready, images with what their view is
    made of (``whole``: see read_files; else each window's missing values are judged)."""
    if not isinstance(found, Found):
        yield _unread(str(found.path), [found.problem])
        return
    shown = str(found.path)
    try:
        kind = sniff(found)
    except ImportProblem as problem:
        yield _unread(shown, [problem])
        return
    wants_image = spec["modality"] == "image"
    if (kind == "series") == wants_image:
        what = "a time series" if kind == "series" else "an image"
        yield ModelInput(shown, 0, error=f"This model reads {spec['modality']} data, not {what}.")
        return
    layout = spec.get("csv_layout", "auto")  # as the training data was imported
    task = DecodeTask(
        str(found.path),
        kind,
        spec.get("cache_size", 224),
        salt,
        layout,
        csv_prefer=spec.get("csv_prefer"),
        csv_header=tuple(spec.get("csv_header") or ()),
        csv_channels=tuple(n for n in spec.get("channel_names") or () if isinstance(n, str)),
    )
    result = decode(task)
    shown = redact(shown, result.identifiers)
    ids = tuple(result.identifiers)
    if result.problems and not result.items:
        yield _unread(shown, result.problems, ids)
        return
    for item in result.items:
        if wants_image:
            fields, windowed = as_trained(item.fields, result.kind, spec)
            error, missing = image_checks(item.array, fields)  # no picture, or NaN
            if error is not None:
                yield ModelInput(shown, item.index, error=error, identifiers=ids)
                continue
            note = image_note(fields, result.kind, spec, windowed)  # unlike the training data
            note = " ".join(n for n in (missing, note) if n)
            yield ModelInput(shown, item.index, note=note, identifiers=ids), item.array, fields
            continue
        error = _channel_error(item.fields, spec) or _rate_error(item.fields, spec)
        error = error or (_too_long(item.array, free) if free else None)
        if error is not None:
            yield ModelInput(shown, item.index, error=error, identifiers=ids)
            continue
        values = by_name(item.array, item.fields, spec)  # named columns: the model's
        lacking = _lacking(item.fields, spec)  # None: matched by position
        have = values.shape[0] - len(lacking or ())  # the model's channels it holds
        error = count_error(have, item.fields, spec, layout_flag, lacking)
        empty = _empty_channels(values, item.fields, spec)
        error = error or _empty_error(have - len(empty), empty, spec)
        scaling = spec.get("channel_standardisation")
        meta, rate = item.fields.get("meta") or {}, item.fields.get("sampling_rate") or None
        most = trained_missing(spec)  # the training recordings' largest missing share
        names = spec.get("channel_names")
        checked = (  # mostly missing, no signal, other units (not read for a refused one)
            (None, "") if error else series_checks(values, names, scaling, meta, rate, whole, most)
        )
        error = error or checked[0]
        if error is not None:
            yield ModelInput(shown, item.index, error=error, identifiers=ids)
            continue
        x, observed = series_input(values, spec)
        notes = (
            _position_note(values.shape[0], item.fields, spec),
            _missing_note(item.fields, spec),
            _empty_note(empty),
            count_note(values.shape[0], spec),
            _rate_note(item.fields, spec),
            checked[1],
            length_note(values.shape[-1], spec, layout_flag is not None) if whole else "",
        )
        note = " ".join(n for n in notes if n)
        ended = "" if whole else ended_note(int(meta.get("missing_end_rows") or 0), rate)
        yield ModelInput(
            shown, item.index, x, observed, note=note, identifiers=ids, sampling_rate=rate,
            ended=ended,
        )  # fmt: skip
    for index, why in lost_frames(result):  # the frames after a damaged one: not dropped
        yield ModelInput(shown, index, error=why, identifiers=ids)


def _unread(shown: str, problems: list[ImportProblem], ids: tuple[str, ...] = ()) -> ModelInput:
    """The one row of a file none of which was read: skipped where the readers leave
    it out as not data (as the import does), else an error; why in either case."""
    why = "; ".join(p.message for p in problems)
    if all_skipped(problems):
        return ModelInput(shown, 0, note=why, skipped=True, identifiers=ids)
    return ModelInput(shown, 0, error=why, identifiers=ids)


# memory the exported series model needs per time step of one recording (ts-conv at 6
# channels peaked at 3.9 GB for 600 000 steps under ONNX Runtime), with room to spare
BYTES_PER_STEP = 8_000


def _too_long(values: np.ndarray, free: int) -> str | None:
    """Why a series is too long to read whole in ``free`` bytes (the model reads whole
    recordings, and running out of memory would end the app), or None."""
    steps = values.shape[-1]
    if steps * BYTES_PER_STEP <= 0.8 * free:
        return None
    most = int(0.8 * free / BYTES_PER_STEP)
    return (
        f"This recording has {steps} steps: the model reads it whole, which needs about "
        f"{steps * BYTES_PER_STEP / 1e9:.1f} GB, more than the {free / 1e9:.1f} GB free here. "
        f"Split it into parts of at most {most} steps, or predict on a larger machine."
    )


def _rate_error(fields: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """Why a series sampled at another rate than the training recordings cannot be read
    as they were (its answers would look sure and mean nothing), or None."""
    have, want = fields.get("sampling_rate"), spec.get("sampling_rate")
    if not have or not want or abs(have - want) <= RATE_TOLERANCE * want:
        return None
    return (
        f"This recording is sampled at {have:g} per second; the model learned from "
        f"recordings at {want:g} per second. Resample it to {want:g} per second first."
    )


# why a series read from a file has no sampling rate (its meta["times"]: series_timeline.py)
UNKNOWN_RATE = {
    "unread": "its time column holds times that were not recognised",
    "irregular": "its times are not evenly spaced",
    "gaps-too-long": "the gaps in its times are too long to fill",
}


def _rate_note(fields: dict[str, Any], spec: dict[str, Any]) -> str:
    """The note of a series whose times were read otherwise than as they are: gaps filled,
    times that go back or are missing, or no sampling rate (and why)."""
    meta = fields.get("meta") or {}
    said = []
    if filled := meta.get("gaps_filled"):
        said.append(f"Gaps in its times were filled with {filled} missing values.")
    if meta.get("time_order"):
        said.append(
            f"{meta['time_order']} of its times go back, repeat or are missing: its rows "
            "were read in file order."
        )
    want = spec.get("sampling_rate")
    if want and not fields.get("sampling_rate"):
        why = UNKNOWN_RATE.get(meta.get("times"), "it has no time column")
        said.append(f"Its sampling rate is unknown ({why}); the model expects {want:g} per second.")
    return " ".join(said)


def _names(fields: dict[str, Any], spec: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """(the file's column names, the model's), both known, or None."""
    have = named((fields.get("meta") or {}).get("channel_names"))
    want = spec.get("channel_names")
    return (have, list(want)) if have is not None and want else None


def _position_note(have: int, fields: dict[str, Any], spec: dict[str, Any]) -> str:
    """The note of a series without channel names (a CSV without a header row, an NPY/NPZ
    array), with as many channels as the model whose training files named their columns:
    taken by position, in the training order."""
    meta = fields.get("meta") or {}
    want = spec.get("channel_names")
    if meta.get("columns_from") == "training":  # read with the training files' header
        return (
            "It has no header row, so its columns were taken by position, as the training "
            f"files' header names them: {', '.join(spec['csv_header'])}. Add a header row "
            "naming them if the order differs."
        )
    if not want or have != len(want) or meta.get("channel_names"):
        return ""
    order = f"in the training files' order: {', '.join(want)}"
    if meta.get("layout") in ARRAY_LAYOUTS:
        return (
            f"An array has no column names, so its channels were taken by position, {order}. "
            "Save them in that order if they are not."
        )
    if meta.get("layout") != "columns":
        return ""
    return (
        f"It has no header row, so its columns were taken by position, {order}. Add a "
        "header row naming them if the order differs."
    )


def _lacking(fields: dict[str, Any], spec: dict[str, Any]) -> list[str] | None:
    """The model's channel names a file that names its columns lacks (in the model's
    order), or None where the file or the model has no names (matched by position)."""
    names = _names(fields, spec)
    if names is None:
        return None
    have = {fold(n) for n in names[0]}
    return [n for n in names[1] if fold(n) not in have]


def _empty_channels(values: np.ndarray, fields: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """The model's channels the file has but without a single value in this series
    (values [C', T] as ``by_name`` gave them: every cell empty or not a number), by name
    ('accel_y') where the model names its channels, else by number ('channel 3'); a
    channel the file lacks altogether is not one of them (``_lacking`` says it)."""
    lacking = {fold(n) for n in _lacking(fields, spec) or ()}
    names = spec.get("channel_names") or ()
    empty = []
    for row in range(values.shape[0]):
        name = names[row] if row < len(names) else None
        if not np.isfinite(values[row]).any() and (name is None or fold(name) not in lacking):
            empty.append(repr(name) if name else f"channel {row + 1}")
    return empty


def _empty_error(with_values: int, empty: list[str], spec: dict[str, Any]) -> str | None:
    """Why a series whose ``empty`` channels hold no value cannot be read honestly (it
    has values in ``with_values`` of the model's channels, fewer than any training
    recording had: the model would answer as surely as for a whole one), or None."""
    if not empty or with_values >= fewest_channels(spec):
        return None
    want, fewest = spec["in_channels"], fewest_channels(spec)
    had = f"{'all had' if fewest == want else 'had at least'} {fewest}"
    return (
        f"{', '.join(empty)} {'holds' if len(empty) == 1 else 'hold'} no values (every cell "
        f"empty or not a number), so this series has values in only {with_values} of the "
        f"model's {want} channels; its training recordings {had}: an answer from fewer "
        "would look sure and mean nothing. Fill them in, or leave this file out."
    )


def _empty_note(empty: list[str]) -> str:
    if not empty:
        return ""
    verb = "holds" if len(empty) == 1 else "hold"
    return f"{', '.join(empty)} {verb} no values: read as missing values."


def _missing_note(fields: dict[str, Any], spec: dict[str, Any]) -> str:
    lacking = _lacking(fields, spec)
    if not lacking:
        return ""
    return f"No column {', '.join(repr(n) for n in lacking)}: read as missing values."


def _channel_error(fields: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """Why a series whose columns are named cannot give the model's channels, or None:
    its names (in any case) must hold all of the model's (more are left aside) or be
    some of them (the others are missing values, as a gap is)."""
    names = _names(fields, spec)
    if names is None:
        return None
    have, want = ({fold(n) for n in group} for group in names)
    if want <= have or have <= want:
        return None
    lacking = [n for n in names[1] if fold(n) not in have]
    unknown = [n for n in names[0] if fold(n) not in want]
    return (
        f"This file has no column {', '.join(repr(n) for n in lacking)}, and its column(s) "
        f"{', '.join(repr(n) for n in unknown)} the model does not know; it reads the "
        f"columns {', '.join(names[1])} (by name, as in the training files). Rename the "
        "columns to match."
    )


def by_name(values: np.ndarray, fields: dict[str, Any], spec: dict[str, Any]) -> np.ndarray:
    """values [C, T] as the model's channels [C', T] when both the file and the training
    files named their columns: in the model's order (names compared in any case), a
    channel the file lacks all missing (NaN); else as they are."""
    names = _names(fields, spec)
    if names is None:
        return values
    where = {fold(n): i for i, n in enumerate(names[0])}
    out = np.full((len(names[1]), values.shape[-1]), np.nan, np.float32)
    for row, name in enumerate(names[1]):
        if fold(name) in where:
            out[row] = values[where[fold(name)]]
    return out
