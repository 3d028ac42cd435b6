"""Fingerprints of the label values a fine-tuning run trained and was scored on, kept in
the project only (the run's ``model.pt`` in ``runs/<id>/``, which no export copies).

They are never written into an export: a digest over (content hash, class name) pairs
lets whoever holds the images recover every label by trying the label sets (2^n for n
items of two classes, far fewer given a card's class counts), however many items there
are. Inside the project, which holds the labels themselves, they tell two runs' label
values apart without comparing the labels."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ssl_studio.core.finetune.data import LabeledData


def labels_fingerprint(pairs: Sequence[tuple[str | None, str]]) -> dict[str, Any]:
    """What the labels of some items were: ``{"items": n, "sha256": digest or None,
    "content": bool}``; ``pairs``: (content hash, class name) per item. The digest is a
    SHA-256 of the sorted [content hash, class name] pairs as compact JSON: the same
    images with the same labels give the same digest in any order; one item labelled
    otherwise gives another. None when an item has no content hash (imported before
    them: "content" False)."""
    content = bool(pairs) and all(h for h, _ in pairs)
    found: dict[str, Any] = {"items": len(pairs), "sha256": None, "content": content}
    if content:
        text = json.dumps(sorted([str(h), str(c)] for h, c in pairs), separators=(",", ":"))
        found["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return found


def labeled_fingerprints(
    data: LabeledData, train: np.ndarray, scored: np.ndarray
) -> dict[str, Any]:
    """``labels_fingerprint`` of a fine-tuning run's training items (positions ``train``
    in ``data``) and of the items its test figures were measured on (``scored``: the
    test part, or every labeled item under cross-validation), as it trained on them."""

    def pairs(positions: np.ndarray) -> list[tuple[str | None, str]]:
        return [
            (data.items[int(p)].get("content_hash"), data.classes[int(data.y[int(p)])])
            for p in positions
        ]

    return {"train": labels_fingerprint(pairs(train)), "test": labels_fingerprint(pairs(scored))}
