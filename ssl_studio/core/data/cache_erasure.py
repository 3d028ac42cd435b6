"""Zeroing erased items' bytes in a dataset's cache, in place (cache.py's layout).

The cache only grows: an item's slot stays where it is, so erasing items overwrites their
slots with zeros and leaves every other item's bytes (and slot numbers) untouched; the
cache is not rebuilt. Slots no item points at any more are zeroed too: besides the erased
items' own, those a changed file's earlier version left behind (cache.py: a changed file
gets new slots), which may hold an erased file's older pixels.

core/erasure.py checks that every file can be written first (``unwritable``), deletes the
rows in one transaction that also marks the files as still to zero, then zeroes them
(``finish_scrubs``, which clears the mark): an interruption between the two leaves the
mark, and the next erasure or import in the project finishes the zeroing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ssl_studio.core.data.cache import SERIES_MASK, SERIES_VALUES, parse_image_shard

_BLOCK = 1 << 22  # bytes written (and compared) at a time


def zero_unreferenced(
    folder: Path, names: Iterable[str], kept: Iterable[Mapping[str, Any]]
) -> tuple[int, list[str]]:
    """Overwrite with zeros every byte of the cache files ``names`` (image shards, or
    ``series-values.f32`` with its mask) that none of the items ``kept`` (dicts of
    cache_file, cache_index, channels, length: Store.cache_slots) lies in. Returns (bytes
    that held data and now are zero, files that could not be written: name and why)."""
    by_file: dict[str, list[Mapping[str, Any]]] = {}
    for item in kept:  # (each file's items, once: not every item per file)
        by_file.setdefault(item["cache_file"], []).append(item)
    zeroed, failed = 0, []
    for name in sorted(set(names)):
        spans = _kept_spans(name, by_file.get(name, []))
        for file, unit in _targets(name):
            path = folder / file
            if not path.is_file():
                continue
            try:
                zeroed += _zero_outside(path, [(a * unit, b * unit) for a, b in spans])
            except OSError as exc:
                failed.append(f"{folder.name}/{file} ({exc.strerror or exc})")
    return zeroed, failed


def _targets(name: str) -> list[tuple[str, int]]:
    """The files behind cache file ``name`` with the bytes of one unit of each."""
    if name == SERIES_VALUES:
        return [(SERIES_VALUES, 4), (SERIES_MASK, 1)]
    return [(name, _slot_bytes(name))]


def unwritable(folder: Path, names: Iterable[str]) -> list[str]:
    """The files of cache files ``names`` (a series' values with its mask) that cannot be
    opened for writing now (name and why): checked before an erasure changes anything."""
    failed = []
    for name in sorted(set(names)):
        for file, _unit in _targets(name):
            path = folder / file
            if not path.is_file():
                continue
            try:
                with open(path, "r+b"):
                    pass
            except OSError as exc:
                failed.append(f"{folder.name}/{file} ({exc.strerror or exc})")
    return failed


def finish_scrubs(store: Any) -> tuple[int, list[str]]:
    """Zero what erasures committed but left unzeroed (``store.pending_scrubs()``: an
    interruption, a file that could not be written) in every dataset of the project
    ``store`` (a writer's, under the write lock: no import writes meanwhile), and clear
    each dataset's mark once done. Every slot no item points at is zeroed, so doing it
    again is safe. Returns (bytes zeroed, what is still left: file and why)."""
    zeroed, left = 0, []
    for dataset_id, names in store.pending_scrubs().items():
        folder = store.paths.dataset_cache(dataset_id)
        try:
            done, failed = zero_unreferenced(folder, names, store.cache_slots(dataset_id))
        except OSError as exc:  # (a file gone or changed beneath it)
            done, failed = 0, [f"{folder.name} ({exc.strerror or exc})"]
        zeroed += done
        if failed:
            left.append(
                f"The erased items' rows are gone (nothing reads or trains on them), but "
                f"their bytes in the cached data {', '.join(failed)} could not be "
                "overwritten yet: the next erasure or import in this project zeroes them "
                "(close the programs that use the project first)."
            )
        else:
            store.scrub_done(dataset_id)
    return zeroed, left


def _slot_bytes(name: str) -> int:
    """Bytes of one slot of image shard ``name`` (one item: ``[C, S, S]``)."""
    size, dtype, channels = parse_image_shard(name)
    return channels * size * size * dtype.itemsize


def _kept_spans(name: str, kept: list[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Sorted, merged [start, end) spans, in units of the file (slots, or series
    elements), that the kept items of cache file ``name`` (``kept``: its items) occupy."""
    spans = []
    for item in kept:
        if item["cache_index"] is None:
            continue
        start = int(item["cache_index"])
        if name == SERIES_VALUES:
            spans.append((start, start + int(item["channels"] or 1) * int(item["length"] or 0)))
        else:
            spans.append((start, start + 1))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _zero_outside(path: Path, spans: list[tuple[int, int]]) -> int:
    """Zero the bytes of ``path`` outside the sorted byte ``spans``; returns how many of
    them were not zero before. The file keeps its length; it is synced to disk."""
    size = path.stat().st_size
    gaps, position = [], 0
    for start, end in spans:
        if start > position:
            gaps.append((position, min(start, size)))
        position = max(position, end)
    if position < size:
        gaps.append((position, size))
    changed = 0
    with open(path, "r+b") as file:
        for start, end in gaps:
            offset = start
            while offset < end:
                length = min(_BLOCK, end - offset)
                file.seek(offset)
                data = file.read(length)
                nonzero = len(data) - data.count(0)
                if nonzero:  # (zero already: left as it is)
                    changed += nonzero
                    file.seek(offset)
                    file.write(bytes(len(data)))
                offset += length
        file.flush()
        os.fsync(file.fileno())
    return changed
