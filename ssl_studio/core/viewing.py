"""What the app shows of a dataset: thumbnails, windowed images, series and safe metadata.

Everything is read from the import cache, so browsing is fast and works even when the
original folder is gone; only ``DatasetView.source_image`` reads an item's original file
again, on request, for a look at full resolution. Qt-free: the GUI turns the uint8 arrays
returned here into pictures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.discovery import Found, sniff
from ssl_studio.core.data.privacy import keyed_hash
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store import ItemTable, Store

# a full-resolution read decodes the whole file (all frames of a multi-frame DICOM): at
# most this many values (about 256 MB at 16 bits)
MAX_SOURCE_VALUES = 128 * 1024 * 1024

# Named display windows (centre, width) in Hounsfield units; None: the item's own window.
WINDOW_PRESETS: dict[str, tuple[float, float] | None] = {
    "Default (from the file)": None,
    "Lung": (-600.0, 1500.0),
    "Soft tissue": (40.0, 400.0),
    "Bone": (400.0, 1800.0),
    "Brain": (40.0, 80.0),
}

# Item columns a viewer may show. Keys (salted hashes) and paths are left out on purpose.
SAFE_FIELDS = (
    "source_kind",
    "modality",
    "channels",
    "height",
    "width",
    "length",
    "n_missing",
    "sampling_rate",
    "window_center",
    "window_width",
)


def apply_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """Map real values to display grey levels: uint8, center - width/2 -> 0, + width/2 -> 255."""
    width = max(float(width), 1e-6)
    low = float(center) - width / 2
    scaled = (np.asarray(values, np.float32) - low) * (255.0 / width)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def window_number(value: float) -> str:
    """A window centre or width as the viewer shows it: whole from 1000 up, else four
    significant digits (an RT dose's width of 0.459 Gy is not "0")."""
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def drag_window(
    center: float, width: float, dx: float, dy: float, span: float
) -> tuple[float, float]:
    """Window/level by mouse drag, as in PACS viewers: right widens, down raises the level.

    dx, dy: the drag in pixels; span: the item's value range, which sets the sensitivity
    (a drag across ~500 px covers the whole range).
    """
    per_pixel = max(span, 1e-6) / 500.0
    return center + dy * per_pixel, max(width + dx * per_pixel, per_pixel)


def in_hounsfield(item: dict[str, Any]) -> bool:
    """Whether the item's values are Hounsfield units (a CT), where the presets apply."""
    return str(item.get("modality") or "").upper() == "CT"


def window_of(item: dict[str, Any], preset: str) -> tuple[float, float]:
    """The window (centre, width) of ``preset`` for ``item``; the item's own by default,
    and for anything but a CT (the presets are Hounsfield units: 'Lung' on a PNG's 0-255
    values showed it white)."""
    if preset not in WINDOW_PRESETS:
        raise ConfigError(f"Unknown window {preset!r}; choose one of {', '.join(WINDOW_PRESETS)}.")
    chosen = WINDOW_PRESETS[preset]
    if chosen is None or not in_hounsfield(item):
        return float(item["window_center"]), float(item["window_width"])
    return chosen


def is_grey(item: dict[str, Any]) -> bool:
    """Whether the item is shown in grey levels with a window: one channel. Colour
    (3-channel) items are shown in colour, DICOM too (palette-colour or RGB ultrasound)."""
    return int(item["channels"]) == 1


def to_display(
    values: np.ndarray, item: dict[str, Any], preset: str = "Default (from the file)"
) -> np.ndarray:
    """Real units [C, H, W] of ``item`` -> uint8 [H, W] (grey, windowed by ``preset``) or
    [H, W, 3] (colour pictures and colour DICOM, over their robust range)."""
    if not is_grey(item):
        low, high = float(item["p_low"]), float(item["p_high"])
        return apply_window(values, (low + high) / 2, high - low).transpose(1, 2, 0).copy()
    return apply_window(values.mean(axis=0), *window_of(item, preset))


def safe_metadata(item: dict[str, Any]) -> dict[str, Any]:
    """The non-identifying facts of an item: size, modality, window and acquisition facts."""
    out = {k: item[k] for k in SAFE_FIELDS if item.get(k) is not None}
    meta = item.get("meta")
    if isinstance(meta, str) and meta:
        meta = json.loads(meta)
    if isinstance(meta, dict):
        out.update({k: v for k, v in meta.items() if v not in (None, "")})
    return out


FACT_TITLES = {  # how the viewer names an item's facts (others: "body_part" -> "Body part")
    "source_kind": "Read as",
    "n_missing": "Missing values",
    "length": "Time steps",
    "sampling_rate": "Samples per second",
    "window_center": "Window centre",
    "kvp": "Tube voltage (kVp)",
    "sop_class": "SOP class",
    "photometric": "Photometric interpretation",
    "model": "Scanner model",
    "frames": "Frames",
    "channel_names": "Channel names",
    "columns": "Columns of its file",  # with its time, label or id column
    "name": "Name in its file",
}


def fact_title(key: str) -> str:
    """A person's name for a metadata key of ``safe_metadata``."""
    return FACT_TITLES.get(key) or key.replace("_", " ").capitalize()


def series_axes(item: dict[str, Any], channels: int) -> tuple[list[str], float | None]:
    """How to draw a series item: a name per channel (its column names, else "channel
    1", ...) and its sampling rate in samples per second (None: plot by time step)."""
    meta = item.get("meta")
    if isinstance(meta, str) and meta:
        meta = json.loads(meta)
    names = (meta or {}).get("channel_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != channels:
        names = [None] * channels
    labels = [str(n) if n else f"channel {c + 1}" for c, n in enumerate(names)]
    rate = item.get("sampling_rate")
    return labels, float(rate) if rate else None


class SourceUnavailable(ConfigError):
    """An item's original file cannot be shown; the message says why (the cache still can)."""


@dataclass
class DatasetView:
    """One dataset's items and cache, opened for reading (no lock; safe while a job runs)."""

    name: str
    modality: str
    items: Sequence[dict[str, Any]]
    reader: CacheReader
    project: Path | None = None
    dataset_id: int | None = None
    _full: tuple[int, dict[str, Any]] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, project: Path, dataset: str, *, lean: bool = False) -> DatasetView:
        """``lean``: read only the columns the thumbnails need (an ItemTable; ``item``
        reads an item's other columns when it is shown), at a fraction of the time."""
        with Store.open(Path(project)) as store:
            found = store.dataset_named(dataset)
            items = store.item_table(found["id"]) if lean else store.items(found["id"])
            reader = CacheReader(store.paths.dataset_cache(found["id"]))
            reader.check(store.cache_files(found["id"]))  # a message now, not at every item
        return cls(dataset, found["modality"], items, reader, Path(project), int(found["id"]))

    def item(self, index: int) -> dict[str, Any]:
        """Item ``index`` with all its columns (its file's path, its metadata), as
        ``Store.items`` gives it: read from the project when the view is lean."""
        if not isinstance(self.items, ItemTable):
            return self.items[index]
        item_id = self.items.item_id(index)
        if self._full is not None and self._full[0] == item_id:
            return self._full[1]
        assert self.project is not None and self.dataset_id is not None
        with Store.open(self.project) as store:
            full = store.item(self.dataset_id, item_id)
        if full is None:  # removed since the view was opened: what the view holds
            return self.items[index]
        self._full = (item_id, full)
        return full

    def item_id(self, index: int) -> int:
        """The id of item ``index``."""
        if isinstance(self.items, ItemTable):
            return self.items.item_id(index)
        return int(self.items[index]["id"])

    def row_of(self, item_id: int) -> int | None:
        """The index of item ``item_id`` in this view, or None."""
        if isinstance(self.items, ItemTable):
            return self.items.row_of(item_id)
        return next((n for n, i in enumerate(self.items) if int(i["id"]) == item_id), None)

    def item_name(self, index: int) -> str:
        """Item ``index`` as the user sees it: its place in the dataset, and its id, the
        number a labels CSV uses ("Series 1 of 40 (item 401)": ids count on across
        datasets, and a file of series holds many items)."""
        noun = "Series" if self.modality == "timeseries" else "Image"
        return f"{noun} {index + 1} of {len(self.items)} (item {self.item_id(index)})"

    def image(self, index: int) -> np.ndarray:
        """Item ``index`` in real units: float32 [C, S, S] (letterboxed to the cache size)."""
        item = self.items[index]
        return self.reader.images([item], channels=int(item["channels"]))[0]

    def source_image(self, index: int) -> np.ndarray:
        """Item ``index`` at its own resolution, read again from its original file by the
        import's readers: real units float32 [C, H, W] (no letterbox), on the same scale as
        ``image`` so the same windows apply. Raises SourceUnavailable when the file is gone,
        has changed since the import, cannot be read, or is too large to decode whole."""
        item = self.item(index)
        assert self.project is not None, "open the view with DatasetView.open"
        with Store.open(self.project) as store:
            source, salt = store.item_source(int(item["id"])), store.salt
        if source is None:
            raise SourceUnavailable(f"Item {item['id']} is no longer in this project.")
        path = _located(source, salt)
        height, width, channels = int(item["height"]), int(item["width"]), int(item["channels"])
        if int(source["n_items"] or 1) * height * width * channels > MAX_SOURCE_VALUES:
            raise SourceUnavailable(
                f"The original file holds {source['n_items']} frames of {width} x {height} "
                "px, too many to decode whole for one look; the cached copy is shown."
            )
        try:
            kind = sniff(Found(path, path.parent, source["size"], source["mtime_ns"]))
        except ImportProblem as problem:
            raise SourceUnavailable(
                f"The original file cannot be read: {problem.message}"
            ) from None
        task = DecodeTask(str(path), kind, max(height, width), os.urandom(16))
        result = decode(task)
        decoded = next((i for i in result.items if i.index == int(item["idx"])), None)
        if decoded is None:
            # (decode has already redacted the file's identifiers from its messages)
            why = "; ".join(p.message for p in result.problems) or "the frame is missing"
            raise SourceUnavailable(f"The original file cannot be read again: {why}")
        f = decoded.fields
        stored = decoded.array[:, f["box_y0"] : f["box_y1"], f["box_x0"] : f["box_x1"]]
        return stored.astype(np.float32) * float(f["value_scale"]) + float(f["value_offset"])

    def display(self, index: int, preset: str = "Default (from the file)") -> np.ndarray:
        """Item ``index`` windowed for display: uint8 [S, S] (grey) or [S, S, 3] (colour)."""
        return to_display(self.image(index), self.items[index], preset)

    def thumbnail(self, index: int, size: int = 96) -> np.ndarray:
        """A small display picture of item ``index``: uint8 [s, s] or [s, s, 3], s <= size.

        Images: the default window, shrunk by striding; series: a sparkline of channel 0.
        """
        if self.modality == "timeseries":
            return self._sparkline(index, size)
        picture = self.display(index)
        step = max(1, picture.shape[0] // size)
        return np.ascontiguousarray(picture[::step, ::step])

    def series(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Item ``index`` of a series dataset: (values float32 [C, T], observed bool [C, T])."""
        return self.reader.series(self.items[index])

    def _sparkline(self, index: int, size: int) -> np.ndarray:
        values, mask = self.series(index)
        row = np.where(mask[0], values[0], np.nan)
        picture = np.full((size, size), 255, np.uint8)
        if not np.isfinite(row).any():
            return picture
        columns = np.linspace(0, len(row) - 1, size).astype(int)
        sampled = row[columns]
        low, high = np.nanmin(sampled), np.nanmax(sampled)
        y = (size - 1) - (sampled - low) / max(high - low, 1e-9) * (size - 1)
        previous = None
        for x, value in enumerate(y):
            if not np.isfinite(value):
                previous = None
                continue
            top, bottom = sorted((int(value), int(value if previous is None else previous)))
            picture[top : bottom + 1, x] = 0  # joined to the previous point: a line
            previous = value
        return picture


def _located(source: dict[str, Any], salt: bytes) -> Path:
    """The original file of an item, checked to be the very file imported and unchanged."""
    root = Path(source["root"])
    path = root if root.is_file() else root / source["rel_path"]
    if keyed_hash(salt, "path", str(path)) != source["path_key"]:
        # the stored folder or file name had a patient identifier redacted
        raise SourceUnavailable(
            "The project does not keep where this file came from (its folder or file name "
            "held a patient identifier); the cached copy is shown."
        )
    try:
        info = path.stat()
    except OSError:
        raise SourceUnavailable(
            "The original file is no longer where it was imported from; the cached copy is "
            "shown. Re-import the folder from its new place to view it at full resolution."
        ) from None
    if (info.st_size, info.st_mtime_ns) != (source["size"], source["mtime_ns"]):
        raise SourceUnavailable(
            "The original file has changed since it was imported; the cached copy is shown. "
            "Import the folder again to pick up the change."
        )
    return path
