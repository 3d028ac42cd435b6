"""A project at a glance, as a stable JSON-able dict (``ssl-studio info --json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssl_studio import __version__
from ssl_studio.core.project.store import Store, folder_bytes

INFO_FORMAT = 1  # bump when a key changes meaning; keys are only ever added


def project_info(root: Path) -> dict[str, Any]:
    """Datasets with item counts by modality, file and error counts, and cache sizes.

    Keys: format, project, schema_version, app_version, datasets (list of name,
    modality, cache_size, items, items_by_modality, files{ok,failed,skipped,missing},
    errors, skipped, cache_bytes, label_sets, last_import), totals (items, errors,
    cache_bytes).
    """
    with Store.open(Path(root)) as store:
        datasets = []
        for row in store.datasets():
            summary = store.dataset_summary(row["id"])
            datasets.append(
                {
                    "name": row["name"],
                    "modality": row["modality"],
                    "cache_size": row["cache_size"],
                    **summary,
                    "cache_bytes": folder_bytes(store.paths.dataset_cache(row["id"])),
                    "label_sets": [
                        {"name": s["name"], "version": s["version"], "labels": s["n_labels"]}
                        for s in store.label_sets(row["id"])
                    ],
                }
            )
        return {
            "format": INFO_FORMAT,
            "project": str(store.paths.root.resolve()),
            "schema_version": store.schema_version,
            "app_version": __version__,
            "datasets": datasets,
            "totals": {
                "items": sum(d["items"] for d in datasets),
                "errors": sum(d["errors"] for d in datasets),
                "cache_bytes": folder_bytes(store.paths.cache),
            },
        }
