"""Turning decoded series arrays into items: trimming NaN padding, counting gaps, labels."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.data.records import DecodedItem, ImportProblem

Decoded = tuple[list[DecodedItem], list[ImportProblem]]


def make_items(
    x: np.ndarray,
    names: list[str],
    labels: list[str | None],
    meta: dict,
    rate: float | None,
    start: int,
    where: str,
    problems: list[ImportProblem],
) -> list[DecodedItem]:
    """x: ``[N, C, T]`` float32, NaN-padded -> one item per series that is not all missing."""
    present = ~np.isnan(x).all(axis=1)  # [N, T]
    lengths = np.where(present.any(axis=1), x.shape[2] - np.argmax(present[:, ::-1], axis=1), 0)
    items = []
    for i, length in enumerate(lengths.tolist()):
        if length == 0:
            problems.append(
                ImportProblem(
                    "series-all-missing",
                    f"{names[i]} in {where} has no "
                    "values (every cell is missing); it was left out.",
                )
            )
            continue
        arr = np.ascontiguousarray(x[i, :, :length])
        fields = {
            "channels": int(arr.shape[0]),
            "length": int(length),
            "n_missing": int(np.isnan(arr).sum()),
            "sampling_rate": rate,
            "meta": {**meta, "name": names[i]},
        }
        items.append(DecodedItem(index=start + i, array=arr, fields=fields, label=labels[i]))
    return items


def label_strings(y: np.ndarray) -> list[str | None]:
    """y: ``[N]`` labels -> strings (``1``, not ``1.0``); None where missing."""
    out: list[str | None] = []
    for v in y.tolist():
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, float):
            v = None if np.isnan(v) else int(v) if v.is_integer() else v
        out.append(None if v is None else str(v).strip() or None)
    return out
