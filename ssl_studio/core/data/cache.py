"""The on-disk cache: append-only binary shards read back as memory-mapped arrays.

Per dataset, in ``cache/dataset-<id>/``:

* images: one shard per (size, dtype, channels), e.g. ``images-224px-u16-c1.bin``, a raw
  C-ordered array ``[N, C, S, S]``; an item's ``cache_index`` is its slot N.
* series: ``series-values.f32`` (float32, missing values stored as 0) and
  ``series-mask.u8`` (1 = observed, 0 = missing), both flat; an item's ``cache_index``
  is the element offset of its ``[C, T]`` block.

Shards only grow: a changed file gets new slots and the old ones are left unused, so a
crash can never leave a database row pointing at half-written bytes (rows are committed
after the bytes are flushed, and trailing partial slots are cut off before appending).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.errors import ConfigError, ProjectMovedError
from ssl_studio.core.folder_access import share_with_team
from ssl_studio.core.project.whereabouts import folder_identity, moved_away
from ssl_studio.core.storage_errors import is_drive_lost

SERIES_VALUES = "series-values.f32"
SERIES_MASK = "series-mask.u8"
_DTYPE_NAMES = {np.dtype(np.uint8): "u8", np.dtype(np.uint16): "u16"}
_NAMED_DTYPES = {v: k for k, v in _DTYPE_NAMES.items()}


def image_shard_name(size: int, dtype: np.dtype, channels: int) -> str:
    return f"images-{size}px-{_DTYPE_NAMES[np.dtype(dtype)]}-c{channels}.bin"


def parse_image_shard(name: str) -> tuple[int, np.dtype, int]:
    """``images-224px-u16-c1.bin`` -> (224, uint16, 1)."""
    _, size, dtype, channels = name.removesuffix(".bin").split("-")
    return int(size.removesuffix("px")), _NAMED_DTYPES[dtype], int(channels.removeprefix("c"))


_IMPORT_AGAIN = (
    "Import the dataset's folders again (ssl-studio import PROJECT_DIR FOLDER --name "
    "DATASET, or drop them on the window): missing cached data is made again, labels and "
    "runs are kept."
)


class _Appender:
    """An append-only file whose length is kept a multiple of ``unit`` bytes."""

    def __init__(self, path: Path, unit: int) -> None:
        self.path = path
        self.unit = unit
        new = not path.exists()
        self.file = open(path, "ab")
        if new:
            share_with_team(path)
        end = self.file.seek(0, os.SEEK_END)
        if end % unit:  # bytes of an append that never got committed: drop them
            self.file.truncate(end - end % unit)
            self.file.seek(end - end % unit)
        self.position = self.file.tell()

    def append(self, data: bytes | memoryview) -> int:
        """Write ``data`` (bytes, or a memoryview of bytes) and return its offset in units."""
        offset = self.position // self.unit
        self.file.write(data)
        self.position += len(data)
        return offset

    def pad_to(self, size: int) -> None:
        """Append zeros up to ``size`` bytes (nothing when the file is that long)."""
        if self.position < size:
            self.file.write(bytes(size - self.position))
            self.position = size

    def sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


def series_parts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """values: ``[C, T]`` float32 with NaN for missing -> what the cache stores of it:
    (values float32 ``[C, T]`` with 0 where missing, observed bool ``[C, T]``), each
    C-contiguous (content_hash.series_content_hash hashes the same two)."""
    observed = ~np.isnan(values)
    clean = np.where(observed, values, np.float32(0)).astype(np.float32, copy=False)
    return np.ascontiguousarray(clean), observed


def bytes_of(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, without a copy."""
    return memoryview(np.ascontiguousarray(array).reshape(-1)).cast("B")


class CacheWriter:
    """Appends decoded items to a dataset's cache folder. Call ``sync`` before committing
    the rows that point at the new bytes, and ``close`` at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if not folder.is_dir():
            folder.mkdir(parents=True)
            share_with_team(folder)
        self._files: dict[str, _Appender] = {}

    def _appender(self, name: str, unit: int) -> _Appender:
        if name not in self._files:
            self._files[name] = _Appender(self.folder / name, unit)
        return self._files[name]

    def add_image(self, stored: np.ndarray) -> tuple[str, int]:
        """stored: ``[C, S, S]`` uint8/uint16 -> (shard name, slot)."""
        channels, size, _ = stored.shape
        name = image_shard_name(size, stored.dtype, channels)
        slot = self._appender(name, stored.nbytes).append(bytes_of(stored))
        return name, slot

    def add_series(self, values: np.ndarray) -> tuple[str, int]:
        """values: ``[C, T]`` float32 with NaN for missing -> (values file, element offset)."""
        return self.add_series_parts(*series_parts(values))

    def add_series_parts(self, clean: np.ndarray, observed: np.ndarray) -> tuple[str, int]:
        """A series as series_parts gives it -> (values file, element offset)."""
        data, mask = self._appender(SERIES_VALUES, 4), self._appender(SERIES_MASK, 1)
        # both files must end at the same element: one cut short (or deleted) is padded
        # with missing values, so the new series' values and mask line up again
        level = max(data.position // 4, mask.position)
        data.pad_to(level * 4)
        mask.pad_to(level)
        offset = data.append(bytes_of(clean))
        mask.append(bytes_of(observed.view(np.uint8)))  # (bool: one byte, 0 or 1)
        return SERIES_VALUES, offset

    def sync(self) -> None:
        for appender in self._files.values():
            appender.sync()

    def close(self) -> None:
        for appender in self._files.values():
            appender.close()
        self._files.clear()


def needed_bytes(name: str, last_index: int, end: int) -> dict[str, int]:
    """The bytes the cache file ``name`` (and, for series, its mask) must hold for items
    whose largest ``cache_index`` is ``last_index`` and whose data ends at element ``end``
    (series: cache_index + channels x length; see Store.cache_extents)."""
    if name == SERIES_VALUES:
        return {SERIES_VALUES: end * 4, SERIES_MASK: end}
    size, dtype, channels = parse_image_shard(name)
    return {name: (last_index + 1) * channels * size * size * dtype.itemsize}


class CacheReader:
    """Reads cached items of one dataset folder through memory maps (opened lazily).

    extents: Store.cache_extents of the dataset; when given, a cache file that is gone or
    shorter than its items need is refused at once, with what to do."""

    def __init__(self, folder: Path, extents: Mapping[str, tuple[int, int]] | None = None) -> None:
        self.folder = folder
        self._maps: dict[str, np.memmap] = {}
        # the project folder (cache/dataset-N's grandparent) as found now: a file "gone"
        # later because the whole folder moved is said as such (_bytes)
        self._project = folder.parent.parent
        self._project_id = folder_identity(self._project)
        if extents is not None:
            for name in self.lost(extents)[:1]:
                raise self._lost_error(name)

    def lost(self, extents: Mapping[str, tuple[int, int]]) -> list[str]:
        """The cache files that are gone, or shorter than the items in them need (cut
        short by a copy or a full disk); ``extents``: Store.cache_extents."""
        short = set()
        for name, (last_index, end) in extents.items():
            for file, size in needed_bytes(name, last_index, end).items():
                path = self.folder / file
                if not path.is_file() or path.stat().st_size < size:
                    short.add(file)
        return sorted(short)

    def _lost_error(self, name: str) -> ConfigError:
        """The message for cache file ``name`` that lacks data its items need."""
        path = self.folder / name
        what = (
            "is cut short (by a copy or a full disk)"
            if path.is_file()
            else "is missing or unreadable (changed outside SSL Studio)"
        )
        return ConfigError(
            f"The cached data {self.folder.name}/{name} {what}: part of the dataset's "
            f"decoded data is lost. {_IMPORT_AGAIN}"
        )

    def _bytes(self, name: str) -> int:
        """The size of cache file ``name``; a message a user can act on when it is gone."""
        try:
            return (self.folder / name).stat().st_size
        except OSError as exc:
            if moved_away(self._project, self._project_id):  # (not the cache: all of it)
                raise ProjectMovedError(self._project) from exc
            if is_drive_lost(exc):  # (said as such by whoever catches it: user_error)
                raise
            raise ConfigError(
                f"The cached data {self.folder.name}/{name} is missing or unreadable "
                f"({exc.strerror}): the project's cache folder was changed outside SSL Studio. "
                f"{_IMPORT_AGAIN}"
            ) from exc

    def missing(self, names: Iterable[str]) -> list[str]:
        """Those of the cache files ``names`` that are gone (deleted outside the app)."""
        return sorted(n for n in names if not (self.folder / n).is_file())

    def check(self, names: Iterable[str]) -> None:
        """Raise the message of ``_bytes`` when one of the cache files ``names`` is gone."""
        for name in self.missing(names)[:1]:
            self._bytes(name)

    def _image_map(self, name: str) -> np.memmap:
        size, dtype, channels = parse_image_shard(name)
        path = self.folder / name
        slot_bytes = channels * size * size * dtype.itemsize
        count = self._bytes(name) // slot_bytes
        mapped = self._maps.get(name)
        if mapped is None or mapped.shape[0] < count:
            mapped = np.memmap(path, dtype=dtype, mode="r", shape=(count, channels, size, size))
            self._maps[name] = mapped
        return mapped

    def _flat_map(self, name: str, dtype: type) -> np.memmap:
        count = self._bytes(name) // np.dtype(dtype).itemsize
        mapped = self._maps.get(name)
        if mapped is None or mapped.shape[0] < count:
            mapped = np.memmap(self.folder / name, dtype=dtype, mode="r", shape=(count,))
            self._maps[name] = mapped
        return mapped

    def _slots(self, name: str, slots: np.ndarray) -> np.memmap:
        """The map of image shard ``name``, which must hold ``slots``."""
        size, dtype, channels = parse_image_shard(name)
        count = self._bytes(name) // (channels * size * size * dtype.itemsize)
        if len(slots) and int(slots.max()) >= count:
            raise self._lost_error(name)
        return self._image_map(name)

    def stored_image(self, item: Mapping[str, Any]) -> np.ndarray:
        """The stored array ``[C, S, S]`` (uint8/uint16) of one image item."""
        slot = int(item["cache_index"])
        return np.asarray(self._slots(item["cache_file"], np.array([slot]))[slot])

    def stored_images(
        self, items: Sequence[Mapping[str, Any]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A batch as stored: (values [N, C, S, S] uint8, or uint16 when any item is 16-bit,
        value_scale [N], value_offset [N]). Items must share one channel count. Turning them
        into real units (``values * scale + offset``) is left to the training device."""
        shards = sorted({item["cache_file"] for item in items})
        specs = [parse_image_shard(name) for name in shards]
        if len({(size, channels) for size, _, channels in specs}) > 1:
            raise ValueError("items with different channel counts cannot share one array")
        size, _, channels = specs[0]
        dtype = np.uint16 if any(d == np.uint16 for _, d, _ in specs) else np.uint8
        values = np.empty((len(items), channels, size, size), dtype)
        for name in shards:  # one sorted, vectorised read per shard (few Python steps)
            positions = np.array([p for p, i in enumerate(items) if i["cache_file"] == name])
            slots = np.array([items[p]["cache_index"] for p in positions])
            order = np.argsort(slots)
            values[positions[order]] = self._slots(name, slots)[slots[order]]
        scale = np.array([item["value_scale"] for item in items], np.float32)
        offset = np.array([item["value_offset"] for item in items], np.float32)
        return values, scale, offset

    def images(self, items: Sequence[Mapping[str, Any]], channels: int = 1) -> np.ndarray:
        """A batch in real units: float32 ``[N, channels, S, S]``.

        Items are read shard by shard (sorted slots, so reads are sequential), mapped back
        to real units with their value_offset/value_scale, and gray is repeated to RGB or
        RGB averaged to gray to give ``channels``.
        """
        if not items:
            raise ValueError("no items to read")
        size = parse_image_shard(items[0]["cache_file"])[0]
        out = np.empty((len(items), channels, size, size), dtype=np.float32)
        groups: dict[str, list[int]] = {}
        for position, item in enumerate(items):
            groups.setdefault(item["cache_file"], []).append(position)
        for name, positions in groups.items():
            slots = np.array([items[p]["cache_index"] for p in positions])
            order = np.argsort(slots)
            block = np.asarray(self._slots(name, slots)[slots[order]], dtype=np.float32)
            scale = np.array([items[positions[o]]["value_scale"] for o in order], np.float32)
            offset = np.array([items[positions[o]]["value_offset"] for o in order], np.float32)
            block = block * scale[:, None, None, None] + offset[:, None, None, None]
            if block.shape[1] != channels:
                block = (
                    np.repeat(block, channels, axis=1)
                    if block.shape[1] == 1
                    else block.mean(axis=1, keepdims=True)
                )
            out[np.array(positions)[order]] = block
        return out

    def series(self, item: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """One series: (values float32 ``[C, T]`` with 0 where missing, mask bool ``[C, T]``)."""
        start = item["cache_index"]
        count = item["channels"] * item["length"]
        shape = (item["channels"], item["length"])
        values = np.array(self._flat_map(SERIES_VALUES, np.float32)[start : start + count])
        mask = self._flat_map(SERIES_MASK, np.uint8)[start : start + count] != 0
        for name, got in ((SERIES_VALUES, len(values)), (SERIES_MASK, len(mask))):
            if got < count:
                raise self._lost_error(name)
        return values.reshape(shape), mask.reshape(shape)

    def observed_channels(self, item: Mapping[str, Any]) -> np.ndarray:
        """Which channels of one series hold a value: bool ``[C]`` (its mask only read)."""
        start, shape = item["cache_index"], (item["channels"], item["length"])
        mask = self._flat_map(SERIES_MASK, np.uint8)[start : start + shape[0] * shape[1]]
        if len(mask) < shape[0] * shape[1]:
            raise self._lost_error(SERIES_MASK)
        return mask.reshape(shape).any(axis=1)

    def series_window(
        self, item: Mapping[str, Any], start: int, stop: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Steps ``start:stop`` of one series, reading only them: (values float32
        ``[C, stop - start]`` with 0 where missing, mask bool ``[C, stop - start]``).

        The cache holds a series channel after channel (``[C, T]`` flattened), so the
        window is C short runs; ``series(item)[0][:, start:stop]`` would copy all C x T
        values (86 MB for an hour of 12-lead ECG at 500 Hz) to keep a few thousand."""
        channels, length = int(item["channels"]), int(item["length"])
        if not 0 <= start <= stop <= length:
            raise ValueError(f"window {start}:{stop} outside a series of {length} steps")
        width = stop - start
        rows = [int(item["cache_index"]) + c * length + start for c in range(channels)]
        values_map = self._flat_map(SERIES_VALUES, np.float32)
        mask_map = self._flat_map(SERIES_MASK, np.uint8)
        values = np.empty((channels, width), np.float32)
        mask = np.empty((channels, width), bool)
        for c, row in enumerate(rows):
            got_values, got_mask = values_map[row : row + width], mask_map[row : row + width]
            for name, got in ((SERIES_VALUES, len(got_values)), (SERIES_MASK, len(got_mask))):
                if got < width:
                    raise self._lost_error(name)
            values[c] = got_values
            mask[c] = got_mask != 0
        return values, mask
