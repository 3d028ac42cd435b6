"""Content hashes for items imported before they were recorded (schema 6, see
data/content_hash.py). An import skips files that did not change, so such items would
never get one, and their dataset's fingerprint would stay the older kind for good. The
cache holds exactly what a hash covers (the decoded array; an image's fields are in its
row), so every import of a dataset hashes its items that have none from the cache, a
re-import that finds nothing changed included. About 2 s per 30 000 small images;
progress is reported as the "hash" phase."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.content_hash import image_content_hash, series_content_hash
from ssl_studio.core.errors import ConfigError

if TYPE_CHECKING:
    from ssl_studio.core.events import StopToken
    from ssl_studio.core.project.store import Store

_BATCH = 2000  # items hashed per database transaction


def hash_unhashed(
    store: Store,
    dataset_id: int,
    progress: Callable[[int, int], None],
    stop: StopToken | None = None,
) -> int:
    """Hash the dataset's usable items without a content hash from its cache and record
    the hashes; how many were recorded. progress(done, total) is called as it goes. An
    item whose cached data is lost keeps none (the import that re-decodes it hashes it)."""
    items = store.unhashed_items(dataset_id)
    if not items:
        return 0
    reader = CacheReader(store.paths.dataset_cache(dataset_id))
    recorded = 0
    for start in range(0, len(items), _BATCH):
        if stop is not None:
            stop.wait_while_paused()
            if stop.stopped:
                break
        hashes = [(h, i["id"]) for i in items[start : start + _BATCH] if (h := _hash(reader, i))]
        store.set_content_hashes(hashes)
        recorded += len(hashes)
        progress(min(start + _BATCH, len(items)), len(items))
    return recorded


def _hash(reader: CacheReader, item: dict[str, Any]) -> str | None:
    try:
        if item["source_kind"] == "series":
            return series_content_hash(*reader.series(item))
        return image_content_hash(reader.stored_image(item), item)
    except (ConfigError, OSError, ValueError, KeyError):  # (lost or cut-short cache data)
        return None
