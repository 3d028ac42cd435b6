"""What the embedding map can colour its dots by, per kind of data, and each item's group.

A map coloured by something other than the label shows what the encoder picked up
besides the finding: the folder (often the site or the class), the patient, the
scanner's modality, the image size; for series the recording's length, channels or
sampling rate. A cluster that follows the folder, the patient or the length more than the
label is worth knowing about.

The folder is taken at the shallowest level that tells the items apart and is not mostly
patients' names (redacted): in a PACS export (patient/study/series) that is the study.
Patients are numbered in the order the dataset holds them (from the salted patient key;
no identifier). At most ``MAX_GROUPS`` groups are named, the largest; the rest are one
"other (N more)" group.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ssl_studio.core.data.privacy import REDACTED

COLOURINGS = {
    "image": ("label", "folder", "patient", "modality", "image size"),
    "timeseries": ("label", "folder", "patient", "length", "channels", "sampling rate"),
}
MAX_EXACT = 8  # more distinct lengths than this are put into ranges
BINS = 5
MAX_GROUPS = 7  # named groups at most, one colour each (the map has 7); "other …" is grey
TOP_LEVEL = "(top level)"


def colourings(modality: str) -> tuple[str, ...]:
    """The choices of the map's "Colour by" for a dataset of ``modality``."""
    return COLOURINGS.get(modality, COLOURINGS["image"])


def groups(items: list[dict[str, Any]], key: str) -> list[str]:
    """Each item's group under ``key`` (not "label": the map holds the labels); "?"
    where the item does not say; the smallest groups past ``MAX_GROUPS`` joined."""
    return _capped(_groups(items, key))


def _groups(items: list[dict[str, Any]], key: str) -> list[str]:
    if key == "folder":
        return _folders([item.get("rel_path") or "" for item in items])
    if key == "patient":
        return _patients([item.get("patient_key") for item in items])
    if key == "modality":
        return [str(item.get("modality") or "?") for item in items]
    if key == "image size":
        return [
            f"{item['width']} × {item['height']} px" if item.get("width") else "?" for item in items
        ]
    if key == "length":
        return _ranges([item.get("length") for item in items], "steps")
    if key == "channels":
        return [f"{item['channels']} channels" if item.get("channels") else "?" for item in items]
    if key == "sampling rate":
        return [
            f"{item['sampling_rate']:g} samples/s" if item.get("sampling_rate") else "unknown"
            for item in items
        ]
    raise ValueError(f"Unknown colouring {key!r}; choose one of {COLOURINGS}.")


def _folders(rel_paths: list[str]) -> list[str]:
    """Each path's folder at the shallowest level below the import that tells the items
    apart and where at most half of them have a redacted name (a patient's); the first
    level when none does. "(top level)" for a file above that level."""
    folders = [path.split("/")[:-1] for path in rel_paths]
    levels = [
        [parts[depth] if depth < len(parts) else TOP_LEVEL for parts in folders]
        for depth in range(max(map(len, folders), default=0))
    ]
    for names in levels:
        hidden = sum(REDACTED in name for name in names)
        if len(set(names)) > 1 and 2 * hidden <= len(names):
            return names
    return levels[0] if levels else [TOP_LEVEL] * len(rel_paths)


def _patients(keys: list[str | None]) -> list[str]:
    """ "patient 1", "patient 2", … in the order the items come, by salted patient key."""
    numbers: dict[str, int] = {}
    return [
        f"patient {numbers.setdefault(key, len(numbers) + 1)}" if key else "no patient ID"
        for key in keys
    ]


def _capped(names: list[str]) -> list[str]:
    """The ``MAX_GROUPS`` largest groups by name, the others as one "other (N more)" group."""
    counts = Counter(names)
    if len(counts) <= MAX_GROUPS:
        return names
    kept = {name for name, _ in counts.most_common(MAX_GROUPS)}
    other = f"other ({len(counts) - len(kept)} more)"
    return [name if name in kept else other for name in names]


def _ranges(values: list[Any], unit: str) -> list[str]:
    """Exact values when there are few, else BINS ranges of about equal counts."""
    known = np.array([v for v in values if v is not None], dtype=float)
    distinct = np.unique(known)
    if len(distinct) <= MAX_EXACT:
        return [f"{v:g} {unit}" if v is not None else "?" for v in values]
    # whole-number ranges that do not overlap: [edge_k, edge_k+1 - 1], the last one closed
    edges = np.unique(np.round(np.quantile(known, np.linspace(0, 1, BINS + 1))))
    out = []
    for v in values:
        if v is None:
            out.append("?")
            continue
        k = min(int(np.searchsorted(edges, v, side="right")) - 1, len(edges) - 2)
        high = edges[k + 1] if k == len(edges) - 2 else edges[k + 1] - 1
        out.append(f"{edges[k]:g}–{high:g} {unit}")
    return out
