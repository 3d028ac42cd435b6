"""What the embedding map can colour its dots by, per kind of data, and each item's group.

A map coloured by something other than the label shows what the encoder picked up
besides the finding: the folder (often the site or the class), the scanner's modality,
the image size; for series the recording's length, channels or sampling rate. A cluster
that follows the folder or the length more than the label is worth knowing about.
"""

from __future__ import annotations

from typing import Any

import numpy as np

COLOURINGS = {
    "image": ("label", "folder", "modality", "image size"),
    "timeseries": ("label", "folder", "length", "channels", "sampling rate"),
}
MAX_EXACT = 8  # more distinct lengths than this are put into ranges
BINS = 5


def colourings(modality: str) -> tuple[str, ...]:
    """The choices of the map's "Colour by" for a dataset of ``modality``."""
    return COLOURINGS.get(modality, COLOURINGS["image"])


def groups(items: list[dict[str, Any]], key: str) -> list[str]:
    """Each item's group under ``key`` (not "label": the map holds the labels); "?"
    where the item does not say."""
    if key == "folder":
        return [_folder(item.get("rel_path") or "") for item in items]
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


def _folder(rel_path: str) -> str:
    """The first folder of a path inside its import ("(top level)" for a file there)."""
    head, sep, _ = rel_path.partition("/")
    return head if sep else "(top level)"


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
