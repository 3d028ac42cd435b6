"""Which dataset an import goes into: found by its name, or by the folder it was imported
from (its stored name may be the folder's name with patient names redacted), and when
folders may be added to it. Folders are known by the spelling the import walks them by
(path_spelling.py), so another path to a folder imported before finds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.path_spelling import KnownRoots, walk_spellings
from ssl_studio.core.data.privacy import keyed_hash
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.store.unfinished_imports import INTERIM_NAME as INTERIM_NAME


class DatasetExistsError(ConfigError):
    """The dataset name is taken by a dataset imported from other folders."""


def new_roots(roots: KnownRoots, spelled: list[Path]) -> list[Path]:
    """The paths (spelled by ``roots.spellings``: those of a dataset) that dataset was
    not imported from before (none when it is still empty)."""
    if not roots.paths:
        return []
    return [p for p in spelled if keyed_hash(roots.salt, "path", str(p)) not in roots.paths]


def target_dataset(store: Store, cfg: ImportConfig) -> dict[str, Any] | None:
    """The dataset an import goes into, when it exists: the one named by ``cfg.name``;
    without a name, the dataset the first path (or a folder holding it) was imported into
    before (its stored name is the folder's name with patient identifiers redacted, so it
    may not match), else the one named after the folder."""
    by_name = store.dataset(cfg.dataset_name)
    first = walk_spellings(store, cfg.paths[:1])[0]
    by_root = None
    for folder in (first, *first.parents):  # the first path itself, or a folder holding it
        by_root = store.dataset_with_root(keyed_hash(store.salt, "path", str(folder)))
        if by_root:
            break
    if cfg.name:  # or the dataset of an import of this path that never finished
        unfinished = by_root and by_root["name"].startswith(INTERIM_NAME)
        return by_name or (by_root if unfinished else None)
    return by_root or by_name


def other_cache_size(dataset: dict[str, Any] | None, cfg: ImportConfig) -> bool:
    """Whether ``cfg`` asks for a cache size the image dataset it goes into does not have
    (one dataset holds one size)."""
    return bool(
        dataset
        and dataset["modality"] == "image"
        and cfg.cache_size
        and dataset["cache_size"] != cfg.cache_size
    )


def refuse_other_folders(dataset: dict[str, Any], roots: KnownRoots, spelled: list[Path]) -> None:
    """Refuse to add files from other folders (``spelled`` by ``roots``, the dataset's) to
    ``dataset`` unless asked (``--add``)."""
    if new_roots(roots, spelled):
        raise DatasetExistsError(
            f"A dataset named '{dataset['name']}' already exists, imported from other "
            "folders. To add these files to it, import with --add (the app asks you); to "
            "keep them apart, import under another name (--name)."
        )
