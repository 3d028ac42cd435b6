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
    dataset's own, else that of the first file met: the importer records a series
    import's files in path order, whichever worker ends first, so the order is the same
    at every import of the same folder): a file with those names in another order is
    reordered. (Files that name other columns are noted at the end of the import, over
    the whole dataset: see ``column_notes``.)"""

    def __init__(self, known: Sequence[Sequence[str] | None] = ()) -> None:
        self.orders: dict[frozenset[str], list[str]] = {}
        for names in known:
            if (checked := named(names)) is not None:
                self.orders.setdefault(frozenset(fold(n) for n in checked), checked)
        # whose order each set of names keeps: the first file's path (raw: shown only
        # through ``messages``' show), or None for the dataset's files imported before
        self.sources: dict[frozenset[str], str | None] = dict.fromkeys(self.orders)
        # (the file's path, raw; the order given; the path of the file whose order it is)
        self.reordered: list[tuple[str, list[str], str | None]] = []

    def align(self, array: np.ndarray, meta: dict, path: str) -> np.ndarray:
        """array: [C, T] of a series whose ``meta["channel_names"]`` may be set; returns the
        array in the order of the first file with those names (meta updated). ``path``:
        the file's relative path, kept (never stored) for the message."""
        names = named(meta.get("channel_names"))
        if names is None:
            return array
        key = frozenset(fold(n) for n in names)
        reference = self.orders.setdefault(key, names)
        source = self.sources.setdefault(key, path)
        if [fold(n) for n in names] == [fold(n) for n in reference]:
            meta["channel_names"] = list(reference)  # one spelling for the dataset
            return array
        self.reordered.append((path, reference, source))
        meta["channel_names"] = list(reference)
        return array[order_of(names, reference)]

    def messages(self, show: Callable[[str], str]) -> list[tuple[str, str]]:
        """(level, text) for the import's report; ``show`` gives a file's path as the
        message may show it (redacted with every identifier the import met)."""
        if not self.reordered:
            return []
        path, order, source = self.reordered[0]
        whose = (
            f"{show(source)}, the first file in path order, whose order the dataset keeps"
            if source is not None
            else "the dataset's files imported before, whose order it keeps"
        )
        return [
            (
                "info",
                f"{len(self.reordered)} file(s) (first: {show(path)}) had their columns in "
                f"another order than {whose} ({', '.join(order)}); they were put in that "
                "order. The import report lists them.",
            )
        ]

    def kept_from_before(self, names: Sequence[str]) -> bool:
        """Whether the order kept for these names is that of the dataset's files imported
        before (else the first file's in path order of this import)."""
        return self.sources.get(frozenset(fold(n) for n in names), "") is None


COLUMNS_DIFFER = "columns-differ"  # code of the report's notes on such files
COLUMNS_REORDERED = "columns-reordered"


def reordered_note(given: Sequence[str], order: Sequence[str], before: bool = False) -> str:
    """The report's note on a file whose columns were put in the dataset's order: that of
    its files imported ``before``, else the first file's in path order (not named: the
    note is stored, redacted with this file's identifiers only)."""
    whose = "its files imported before" if before else "the first file in path order"
    return (
        f"Its columns came in another order ({', '.join(given)}) than the one the dataset "
        f"keeps ({', '.join(order)}), that of {whose}; they were put in the dataset's order."
    )


def columns_message(notes: Sequence[tuple[int, str, str]]) -> tuple[str, str] | None:
    """(level, text) for the import's messages, from the dataset's ``column_notes``."""
    if not notes:
        return None
    moved = sum(severity == "warning" for _, _, severity in notes)
    if moved:
        return (
            "warning",
            f"{moved} file(s) of the dataset name their columns otherwise than most of its "
            "files: a model reads channels by position, so rename the columns to match, or "
            "import the files of each kind as a dataset of their own. The import report "
            "lists them.",
        )
    return (
        "info",
        f"{len(notes)} file(s) of the dataset lack some of the columns most of its files "
        "have (read as missing values) or have more. The import report lists them.",
    )


def column_notes(files: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[int, str, str]]:
    """(file id, note, severity) for each series file whose columns are named otherwise
    than most of the dataset's files with named columns (``files``: (file id, names), in
    import order; a tie goes to the names met first). A model reads channels by position:
    a file whose column at some position is not the others' gets a warning; one that only
    lacks trailing columns (read as missing values) or has more, a note ("info")."""
    sets = Counter(frozenset(fold(n) for n in names) for _, names in files)
    if len(sets) < 2:
        return []
    common, count = sets.most_common(1)[0]
    usual = next(list(names) for _, names in files if frozenset(map(fold, names)) == common)
    notes = []
    for file_id, names in files:
        own = frozenset(fold(n) for n in names)
        if own == common:
            continue
        said = (
            f"Its columns are {', '.join(names)}; most of the dataset's files ({count}) have "
            f"{', '.join(usual)}"
        )
        moved = [(n, u) for n, u in zip(names, usual, strict=False) if fold(n) != fold(u)]
        if moved:
            name, theirs = moved[0]
            notes.append(
                (
                    file_id,
                    f"{said}. A model reads channels by position, so its {name!r} stands "
                    f"where they have {theirs!r}: rename the columns to match, or import "
                    "such files as a dataset of their own.",
                    "warning",
                )
            )
            continue
        lacking = [repr(u) for u in usual if fold(u) not in own]
        extra = [repr(n) for n in names if fold(n) not in common]
        parts = [f"it lacks {', '.join(lacking)} (read as missing values)"] if lacking else []
        if extra:
            channels = "is a channel" if len(extra) == 1 else "are channels"
            parts.append(f"its {', '.join(extra)} {channels} they lack")
        notes.append((file_id, f"{said}: {'; '.join(parts)}.", "info"))
    return notes
