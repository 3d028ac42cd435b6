"""Which window an image to predict is read with, so that the model sees the contrast it
was trained on.

Every image is windowed to [0, 1] before the model reads it: a DICOM file by its first
WindowCenter/WindowWidth, any other file (and a DICOM file without those tags) by its own
0.5-99.5 % range of values. A model trained only on images windowed by their own range
(files without window tags: PNG, a CT series without them) sees a very different picture
when a file brings a narrow window of its own (a CT soft-tissue window, 40/400 HU): one
such model answered 1.000 for every such file. So the export records how the training
images were windowed (``spec["training_images"]["windows"]``: how many by tags, how many
by their own range), and ``predict`` windows a file by its own range where no training
image was windowed by tags, with a note. A file without tags for a model whose training
images all had them cannot be windowed as they were: it is noted, and answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ssl_studio.core.data.pixels import default_window

TAGS, OWN_RANGE = "tags", "auto"  # (the import's meta["window_source"] for the second)


def window_source(kind: str | None, meta: dict[str, Any] | str | None) -> str:
    """How an image (``kind`` "dicom" or "image"; its ``meta``, as decoded or stored) was
    windowed: TAGS or OWN_RANGE."""
    if kind != "dicom" or _as_dict(meta).get("window_source") == OWN_RANGE:
        return OWN_RANGE
    return TAGS


def _as_dict(meta: dict[str, Any] | str | None) -> dict[str, Any]:
    """An item's meta as decoded (a dict) or as stored (JSON text, maybe empty)."""
    if isinstance(meta, str):
        meta = json.loads(meta or "{}")
    return meta or {}


def training_windows(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many training items (rows of the items table) were windowed by their tags and
    how many by their own range: {"tags": n, "auto": m}."""
    counts = {TAGS: 0, OWN_RANGE: 0}
    for item in items:
        counts[window_source(item.get("source_kind"), item.get("meta"))] += 1
    return counts


def as_trained(fields: dict[str, Any], kind: str, spec: dict[str, Any]) -> tuple[dict, str]:
    """(the decoded image's ``fields`` with the window the model's training images
    suggest, the note to read its answer with, or ""). Exports that did not record the
    training windows keep the file's own window, without a note. (Notes name the tags
    without a slash: a text with one is redacted as a path, any identifier inside words.)"""
    windows = (spec.get("training_images") or {}).get("windows")
    if not windows:
        return fields, ""
    own = window_source(kind, fields.get("meta"))
    if own == TAGS and not windows.get(TAGS):
        centre, width = default_window(fields)
        return {**fields, "window_center": centre, "window_width": width}, (
            "Its WindowCenter and WindowWidth tags were set aside: no training image had them, "
            "and each was windowed by its own range of values (0.5-99.5 %), as this one was."
        )
    if own == OWN_RANGE and kind == "dicom" and not windows.get(OWN_RANGE):
        why = (
            "Its VOI LUT is not a simple window and it has no WindowCenter and WindowWidth "
            "tags, so it was windowed"
            if _as_dict(fields.get("meta")).get("voi_lut")
            else "It has no WindowCenter and WindowWidth tags, so it was windowed"
        )
        return fields, (
            f"{why} by its own range of values (0.5-99.5 %); every training image was "
            "windowed by its tags, so its contrast may differ from what the model saw."
        )
    return fields, ""


def window_rule(windows: dict[str, int] | None) -> str:
    """The card's sentence on which window to use, given the training images' windows
    (None: not recorded, the file's own rule holds)."""
    if not windows or (windows.get(TAGS) and windows.get(OWN_RANGE)):
        return ""
    if not windows.get(TAGS):
        return (
            " No training image was windowed by DICOM tags: window every file by its "
            "percentiles, ignoring WindowCenter/WindowWidth (predict does so, with a note)."
        )
    return (
        " Every training image was windowed by its DICOM tags: a file without them is "
        "windowed by its percentiles, and its contrast may differ (predict notes it)."
    )
