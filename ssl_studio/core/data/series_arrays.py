"""NumPy arrays (NPY, NPZ) as series, never unpickling anything (see timeseries.py)."""

from __future__ import annotations

import math
from pathlib import Path
from zipfile import ZipFile

import numpy as np

from ssl_studio.core.data.records import DecodedItem, ImportProblem
from ssl_studio.core.data.series_items import Decoded, label_strings, make_items
from ssl_studio.core.memory import free_memory
from ssl_studio.core.wording import size_text

_LABEL_KEYS = frozenset({"y", "labels", "label", "targets"})
_SHAPES = "[T], [N, T] or [N, C, T]"


def _pickle_problem(name: str) -> ImportProblem:
    return ImportProblem(
        "npy-dtype",
        f"{name} holds Python objects (pickled data). SSL Studio "
        "never unpickles files, since that can run code. Save a numeric array "
        "instead, padding unequal lengths with NaN.",
    )


def decode_arrays(path: Path, rate: float | None) -> Decoded:
    """An .npy or .npz file -> (items, problems of single arrays or series)."""
    with path.open("rb") as f:
        magic = f.read(6)
    if magic.startswith(b"PK"):
        return _decode_npz(path, rate)
    if magic[:1] == b"\x80":  # a bare pickle
        raise _pickle_problem(path.name)
    if magic != b"\x93NUMPY":
        raise ImportProblem(
            "npy-corrupt",
            f"{path.name} is not a NumPy .npy file. Save the data "
            "with numpy.save, or give the file its real extension.",
        )
    try:
        with path.open("rb") as f:  # our own handle: numpy leaks its own on some errors
            array = np.load(f, allow_pickle=False)
    except Exception as e:  # any failure of the reader means a broken file
        raise _load_problem(path.name, e, "npy") from None
    problem = _series_problem(array, path.name) or _sideways(array, path.name)
    if problem:
        raise problem
    problems: list[ImportProblem] = []
    return _array_items(array, path.stem, None, rate, 0, path.name, problems), problems


def _unpacked_bytes(archive: np.lib.npyio.NpzFile, key: str) -> int:
    """The memory array ``key`` of an open NPZ takes once read and copied to float32,
    from its .npy header (0 when the header cannot be read: loading it then says why)."""
    try:
        with ZipFile.open(archive.zip, f"{key}.npy") as member:  # (bytes)
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except Exception:  # noqa: BLE001 - a damaged member: its own load reports it
        return 0
    return math.prod(shape) * (dtype.itemsize + 4)


def _refuse_unpacking_beyond_memory(archive: np.lib.npyio.NpzFile, path: Path) -> None:
    """Refuse an NPZ whose arrays would take more than the free memory once read (and
    copied to float32): a compressed archive of 20 MB can unpack to 36 GB (a zip bomb) and
    end the app; an .npy of that size could not be read either."""
    need = sum(_unpacked_bytes(archive, key) for key in archive.files)
    free = free_memory()
    if need > free:
        raise ImportProblem(
            "npz-too-large",
            f"{path.name} ({size_text(path.stat().st_size)}) unpacks to arrays that would "
            f"take {size_text(need)} of memory to read, more than the "
            f"{size_text(free)} free. Save the series in several smaller files (one per "
            "recording, or as .npy), or import on a machine with more memory.",
        )


def _load_problem(name: str, error: Exception, kind: str) -> ImportProblem:
    if isinstance(error, ValueError) and "pickle" in str(error):
        return _pickle_problem(name)
    return ImportProblem(
        f"{kind}-corrupt", f"{name} is damaged or truncated ({error}). Export it again."
    )


def _series_problem(array: np.ndarray, where: str) -> ImportProblem | None:
    """Why an array cannot be read as series, or None."""
    if array.dtype.kind not in "biuf":
        return ImportProblem(
            "npy-dtype",
            f"{where} has dtype {array.dtype}; series need numbers (bool, integer or float).",
        )
    if not 1 <= array.ndim <= 3:
        return ImportProblem(
            "npy-shape", f"{where} has shape {list(array.shape)}; accepted shapes are {_SHAPES}."
        )
    if array.size == 0:
        return ImportProblem("empty", f"{where} is an empty array (shape {list(array.shape)}).")
    return None


SIDEWAYS_STEPS = 8  # an [N, T] array of more series than this many steps each looks [T, C]


def _sideways(array: np.ndarray, where: str) -> ImportProblem | None:
    """A 2-D array with only a few columns and many more rows is most likely one
    recording saved [T, C] (numpy's and pandas' habit), not many series of a few steps:
    read as [N, T] it would become thousands of series of 3 steps."""
    if array.ndim != 2 or not array.shape[0] > array.shape[1] or array.shape[1] > SIDEWAYS_STEPS:
        return None
    rows, cols = array.shape
    return ImportProblem(
        "npy-shape",
        f"{where} has shape [{rows}, {cols}]: read as [N, T] that is {rows} series of only "
        f"{cols} steps. If it is one recording of {cols} channels, save it as [1, C, T] "
        f"(numpy.save(path, x.T[None])); if it really is {rows} short series, save it as "
        f"[N, 1, T] (x[:, None, :]).",
    )


def _array_items(
    array: np.ndarray,
    name: str,
    labels: list[str | None] | None,
    rate: float | None,
    start: int,
    where: str,
    problems: list[ImportProblem],
) -> list[DecodedItem]:
    """array: ``[T]``, ``[N, T]`` or ``[N, C, T]`` -> items named ``name[i]`` (``name`` if 1-D)."""
    x = np.asarray(array, dtype=np.float32)
    x = x.reshape((-1, 1, x.shape[-1])) if x.ndim < 3 else x  # [N, C, T]
    names = [name] if array.ndim == 1 else [f"{name}[{i}]" for i in range(len(x))]
    meta = {"layout": ("[T]", "[N, T]", "[N, C, T]")[array.ndim - 1], "channel_names": None}
    labels = labels or [None] * len(x)
    return make_items(x, names, labels, meta, rate, start, where, problems)


def _decode_npz(path: Path, rate: float | None) -> Decoded:
    problems: list[ImportProblem] = []
    arrays: dict[str, np.ndarray] = {}
    try:
        with path.open("rb") as f, np.load(f, allow_pickle=False) as archive:
            _refuse_unpacking_beyond_memory(archive, path)
            for key in archive.files:
                try:
                    arrays[key] = archive[key]
                except Exception as e:  # one bad member spoils only itself
                    problems.append(_load_problem(f"array {key!r} of {path.name}", e, "npz"))
    except ImportProblem:
        raise
    except Exception as e:  # zip errors, truncation, ...
        raise _load_problem(path.name, e, "npz") from None
    labels = _pair_labels(arrays)
    for key in labels.values():  # labels saved as a column, [N, 1], label their series too
        arrays[key] = arrays[key].reshape(-1)
    items: list[DecodedItem] = []
    position = 0  # index of the next series within the file
    for key, array in arrays.items():
        if key in labels.values():
            continue
        problem = _series_problem(array, f"array {key!r} of {path.name}")
        if problem:
            problem.severity = "skipped" if problem.code == "npy-dtype" else "error"
            problems.append(problem)
            continue
        names = label_strings(arrays[labels[key]]) if key in labels else None
        items += _array_items(array, key, names, rate, position, path.name, problems)
        position += 1 if array.ndim == 1 else len(array)
    if not items and not any(p.code.startswith("series-") for p in problems):
        reasons = " ".join(p.message for p in problems) or "It holds no arrays."
        raise ImportProblem("npz-no-arrays", f"{path.name} has no numeric series array. {reasons}")
    return items, problems


def _label_suffix(key: str) -> str | None:
    """'' for y/labels/label/targets, '_train' for y_train; None when no label name."""
    low = key.lower()
    return "" if low in _LABEL_KEYS else low[1:] if low.startswith("y_") else None


def _pair_labels(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """series key -> label key, for 1-D label arrays whose length matches their series."""
    pairs: dict[str, str] = {}
    series = [k for k in arrays if _label_suffix(k) is None]
    for key, y in arrays.items():
        suffix = _label_suffix(key)
        column = y.ndim == 2 and y.shape[1] == 1
        if suffix is None or not (y.ndim == 1 or column) or y.dtype.kind not in "biufUS":
            continue
        match = [k for k in series if k.lower() == "x" + suffix]
        if not match and suffix == "" and len(series) == 1:
            match = series
        if match and arrays[match[0]].ndim >= 2 and len(arrays[match[0]]) == len(y):
            pairs[match[0]] = key
    return pairs
