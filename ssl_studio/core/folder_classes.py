"""Which folder level of a dataset holds its classes (``normal/``, ``pneumonia/``).

Levels are counted from the imported folder: level 1 is the folders directly inside it.
A level holds classes when its folders split the items into two or more groups, none of
them is named after a patient (stored redacted), and its names are not mostly those of
series, studies, dates, UIDs or numbers (``series1``, ``20040119_CT``, ``1.2.840...``,
``0003``; but ``0/``, ``1/``, … counted from 0 are class numbers) nor of train/test
splits. PACS exports (``<patient>/<study>/<series>/``)
therefore have none, and class folders above them (``fracture/<patient>/...``) are found.
Nothing here stores or shows a redacted name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from ssl_studio.core.data.privacy import REDACTED
from ssl_studio.core.errors import ConfigError

SPLIT_NAMES = frozenset(
    "train training test testing val valid validation dev holdout eval evaluation".split()
)
SERIES_LIKE = re.compile(
    r"""(?ix)
    (?:series|serie|ser|se|study|studies|st|scan|run|acq|exam|img|image|s)?[\s_-]*\d+
    | \d{8}(?:[\s_-].*)?                         # 20040119, 20040119_CT
    | \d{4}[-_.]\d{2}[-_.]\d{2}(?:[\s_T-].*)?    # 2004-01-19, 2004-01-19_CT
    | \d+(?:\.\d+){2,}                           # a DICOM UID
    """
)
SHOWN = 3  # folder names a message quotes per level
HOW_TO_CHOOSE = (
    "--folder-level N of 'ssl-studio labels', or 'Folder level' beside 'Use folder names' "
    "in the app; 1 is the folders directly inside the imported folder"
)


@dataclass(frozen=True)
class Level:
    """One folder level: its number (1 = inside the imported folder), the items that sit
    below a folder at that level (item id -> folder name) and why it is no class level
    ("" when it may be one)."""

    number: int
    names: dict[int, str]
    why_not: str

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.names.values()))

    def described(self) -> str:
        """``level 2 ('a', 'b' and 3 more)``: never a redacted name."""
        if REDACTED in "".join(self.names.values()):
            return f"level {self.number}"
        names = self.classes
        more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        return f"level {self.number} ({', '.join(repr(n) for n in names[:SHOWN])}{more})"


def _mostly(names: list[str], test: Callable[[str], bool]) -> bool:
    return sum(1 for n in names if test(n)) * 2 > len(names)


def _why_not(names: list[str]) -> str:
    """Why folders with these (distinct) names are no classes, or "" when they may be."""
    if any(REDACTED in n for n in names):
        return "folders named after patients"
    if len(names) < 2:
        return "a single folder"
    if _mostly(names, lambda n: n.strip().lower() in SPLIT_NAMES):
        return "train/test split folders"
    if _class_indices(names):  # 0/, 1/, 2/: classes by number, as many exports write them
        return ""
    if _mostly(names, lambda n: SERIES_LIKE.fullmatch(n.strip()) is not None):
        return "series, study, date or number folders"
    return ""


def _class_indices(names: list[str]) -> bool:
    """Whether folder names are class numbers counted from 0 (``0/``, ``1/`` … up to 99),
    as datasets written for training often are; series and instance numbers count from 1,
    so a ``0`` tells them apart."""
    return all(re.fullmatch(r"\d{1,2}", n.strip()) for n in names) and any(
        int(n) == 0 for n in names
    )


def folder_levels(paths: Mapping[int, str]) -> list[Level]:
    """Every folder level of items (item id -> its stored path relative to its
    imported folder), outermost first."""
    folders = {i: [p for p in PurePosixPath(r).parent.parts if p != "."] for i, r in paths.items()}
    deepest = max((len(f) for f in folders.values()), default=0)
    levels = []
    for depth in range(deepest):
        names = {i: f[depth] for i, f in folders.items() if len(f) > depth}
        levels.append(Level(depth + 1, names, _why_not(sorted(set(names.values())))))
    return levels


def class_level(
    rel_paths: Mapping[int, str], dataset: str, level: int | None = None
) -> tuple[Level, list[str]]:
    """The level whose folder names are the classes, and notes for the user: ``level``
    when given (any level but one named after patients), else the one that looks like
    classes (covering the most items, then with the fewest classes, then innermost, as
    folder names were taken before levels were told apart).
    Raises ConfigError, saying why, when none does."""
    levels = folder_levels(rel_paths)
    if level is not None:
        return _chosen(levels, dataset, level), []
    fits = [lv for lv in levels if not lv.why_not]
    if not fits:
        why = "; ".join(f"{lv.described()}: {lv.why_not}" for lv in levels)
        raise ConfigError(
            f"No folder level of dataset '{dataset}' looks like classes"
            + (f" ({why})" if why else " (its files are directly in the imported folder)")
            + ". Label with a CSV (a path and a label column; paths relative to the folder "
            "you imported) or by clicking; or, if one of those levels does hold the "
            f"classes, choose it as the folder level ({HOW_TO_CHOOSE})."
        )
    best = min(fits, key=lambda lv: (-len(lv.names), len(lv.classes), -lv.number))
    notes = []
    others = [lv for lv in fits if lv is not best]
    if others:
        notes.append(
            f"The classes are the folder names at {best.described()}, counted from the "
            f"imported folder; {' and '.join(lv.described() for lv in others)} could be "
            f"classes too: if they are, choose that folder level ({HOW_TO_CHOOSE})."
        )
    return best, notes


def _chosen(levels: list[Level], dataset: str, level: int) -> Level:
    """Folder level ``level``, refused when it cannot be classes."""
    if level < 1:
        raise ConfigError(
            f"Folder level {level} is not a level: 1 is the folders directly inside the "
            "imported folder, 2 the folders inside those, and so on."
        )
    if level > len(levels):
        raise ConfigError(
            f"No file of dataset '{dataset}' is in a folder at level {level}; "
            + (f"the deepest is level {len(levels)}." if levels else "all are directly in it.")
        )
    chosen = levels[level - 1]
    if chosen.why_not in ("folders named after patients", "a single folder"):
        raise ConfigError(
            f"The folders at {chosen.described()} of dataset '{dataset}' cannot be "
            f"classes: {chosen.why_not}"
            + (f" ({chosen.classes[0]!r})" if chosen.why_not == "a single folder" else "")
            + f". Choose another folder level ({HOW_TO_CHOOSE}), or label with a CSV."
        )
    return chosen
