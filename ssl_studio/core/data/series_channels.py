"""Channels of series files matched by name: a column order that differs from file to file
(or from the training files to the files predicted) must not swap what the channels mean."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np


def named(names: Sequence[str | None] | None) -> list[str] | None:
    """The channel names when every channel has one and no two share it, else None."""
    if not names or any(not n for n in names) or len({fold(n) for n in names}) != len(names):
        return None
    return list(names)  # type: ignore[arg-type]


def fold(name: str) -> str:
    """A column name as compared: "ECG " and "ecg" are one column."""
    return name.strip().casefold()


def order_of(have: Sequence[str], want: Sequence[str]) -> list[int] | None:
    """Rows of ``have`` that give the channels ``want`` in its order (``have`` may hold
    more; names compared in any case), or None when one of ``want`` is missing."""
    where = {fold(n): i for i, n in enumerate(have)}
    if not all(fold(n) in where for n in want):
        return None
    return [where[fold(n)] for n in want]


class ChannelOrder:
    """Keeps a dataset's series with the same column names in one channel order (the
    first met, or the dataset's own): a file with those names in another order is
    reordered. Files that name other columns are counted, for a warning."""

    def __init__(self, known: Sequence[Sequence[str] | None] = ()) -> None:
        self.orders: dict[frozenset[str], list[str]] = {}
        for names in known:
            if (checked := named(names)) is not None:
                self.orders.setdefault(frozenset(fold(n) for n in checked), checked)
        self.files: Counter[frozenset[str]] = Counter()
        # (the file's path, raw: shown only through ``messages``' show; the order given)
        self.reordered: list[tuple[str, list[str]]] = []

    def align(self, array: np.ndarray, meta: dict, path: str) -> np.ndarray:
        """array: [C, T] of a series whose ``meta["channel_names"]`` may be set; returns the
        array in the order of the first file with those names (meta updated). ``path``:
        the file's relative path, kept (never stored) for the message."""
        names = named(meta.get("channel_names"))
        if names is None:
            return array
        key = frozenset(fold(n) for n in names)
        self.files[key] += 1
        reference = self.orders.setdefault(key, names)
        if [fold(n) for n in names] == [fold(n) for n in reference]:
            meta["channel_names"] = list(reference)  # one spelling for the dataset
            return array
        self.reordered.append((path, reference))
        meta["channel_names"] = list(reference)
        return array[order_of(names, reference)]

    def messages(self, show: Callable[[str], str]) -> list[tuple[str, str]]:
        """(level, text) for the import's report; ``show`` gives a file's path as the
        message may show it (redacted with every identifier the import met)."""
        out = []
        if self.reordered:
            path, order = self.reordered[0]
            out.append(
                (
                    "info",
                    f"{len(self.reordered)} file(s) had their columns in another order than "
                    f"the dataset's other files (first: {show(path)}); they were put in the same "
                    f"order ({', '.join(order)}).",
                )
            )
        if len(self.orders) > 1 and self.files:
            ways = "; ".join(
                f"{', '.join(self.orders[key])} ({n} file(s) here)"
                for key, n in self.files.most_common(3)
            )
            out.append(
                (
                    "warning",
                    f"The dataset's files name their columns in {len(self.orders)} ways "
                    f"({ways}): a model reads channels by position, so rename the columns "
                    "to match, or import the files of each kind as a dataset of their own.",
                )
            )
        return out
