"""Which folder level of a dataset holds its classes (``normal/``, ``pneumonia/``).

Levels are counted from the imported folder: level 1 is the folders directly inside it.
A level holds classes when its folders split the items into two or more groups, none of
them is named after a patient (stored redacted), and its names are not mostly those of
series, studies, dates, UIDs or numbers (``series1``, ``20040119_CT``, ``1.2.840...``,
``0003``; but ``0/``, ``1/``, … counted from 0 are class numbers) nor of train/test
splits. PACS exports (``<patient>/<study>/<series>/``)
therefore have none, and class folders above them (``fracture/<patient>/...``) are found.

Folders numbered from 1 (``1/`` … ``5/``: BI-RADS categories, grades) look exactly like
the series folders of a study exported from a scanner (``1/``, ``2/`` holding DICOM files),
so they are classes only when no other level looks like classes and the items show they
are no series folders: the numbers run 1..K (K <= 10), each numbered folder holds files
(not folders), nothing above it is named after patients, studies or series, and not every
numbered folder holds a single DICOM series (a series folder holds one; a class folder
gathers many). Otherwise the refusal names the level to choose if they are classes.
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
NUMBERED_UP_TO = 10  # class folders numbered 1..K: at most this many (grades, BI-RADS)
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


def _folders(paths: Mapping[int, str]) -> dict[int, list[str]]:
    """Item id -> the folders of its stored path, outermost first."""
    return {i: [p for p in PurePosixPath(r).parent.parts if p != "."] for i, r in paths.items()}


def folder_levels(folders: Mapping[int, list[str]]) -> list[Level]:
    """Every folder level of items (item id -> the folders of its stored path, relative
    to its imported folder, outermost first: ``_folders``), outermost first."""
    deepest = max((len(f) for f in folders.values()), default=0)
    levels = []
    for depth in range(deepest):
        names = {i: f[depth] for i, f in folders.items() if len(f) > depth}
        levels.append(Level(depth + 1, names, _why_not(sorted(set(names.values())))))
    return levels


def class_level(
    rel_paths: Mapping[int, str],
    dataset: str,
    level: int | None = None,
    series: Mapping[int, str | None] | None = None,
) -> tuple[Level, list[str]]:
    """The level whose folder names are the classes, and notes for the user: ``level``
    when given (any level but one named after patients), else the one that looks like
    classes (covering the most items, then with the fewest classes, then innermost, as
    folder names were taken before levels were told apart), else folders numbered from
    1 that the items' ``series`` keys (item id -> DICOM series key or None) show are no
    series folders (see the module's docstring).
    Raises ConfigError, saying why, when none does."""
    folders = _folders(rel_paths)
    levels = folder_levels(folders)
    if level is not None:
        return _chosen(levels, dataset, level), []
    fits = [lv for lv in levels if not lv.why_not]
    numbered, numbered_why = (
        _numbered_level(levels, folders, series or {}) if not fits else (None, "")
    )
    if not fits and numbered is not None:
        return numbered, [
            f"The classes are the numbered folders at {numbered.described()} (as grades or "
            "BI-RADS categories are named). If they are a scanner's series folders instead, "
            "label with a CSV."
        ]
    if not fits:
        why = "; ".join(f"{lv.described()}: {lv.why_not}" for lv in levels)
        raise ConfigError(
            f"No folder level of dataset '{dataset}' looks like classes"
            + (f" ({why})" if why else " (its files are directly in the imported folder)")
            + ". Label with a CSV (a path and a label column; paths relative to the folder "
            "you imported) or by clicking; or, if one of those levels does hold the "
            f"classes, choose it as the folder level ({HOW_TO_CHOOSE})." + numbered_why
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


def _numbered(names: list[str]) -> bool:
    """Whether (distinct) folder names are the numbers 1..K, 2 <= K <= NUMBERED_UP_TO."""
    if not all(re.fullmatch(r"\d{1,2}", n.strip()) for n in names):
        return False
    numbers = sorted(int(n) for n in names)
    return 2 <= len(numbers) <= NUMBERED_UP_TO and numbers == list(range(1, len(numbers) + 1))


def _numbered_level(
    levels: list[Level], folders: Mapping[int, list[str]], series: Mapping[int, str | None]
) -> tuple[Level | None, str]:
    """(the level of class folders numbered 1..K, ""), or (None, a sentence saying why the
    numbered level was not taken and which level to choose if it holds the classes; ""
    when there is none)."""
    for lv in levels:
        if not _numbered(lv.classes):
            continue
        why = _numbered_why_not(lv, levels[: lv.number - 1], folders, series)
        if not why:
            return lv, ""
        return None, (
            f" The numbered folders at level {lv.number} were not taken as classes: {why}. "
            "If they are classes (grades, "
            f"BI-RADS categories), choose folder level {lv.number} (--folder-level "
            f"{lv.number}, or 'Folder level' in the app)."
        )
    return None, ""


def _numbered_why_not(
    numbered: Level,
    outer: list[Level],
    folders: Mapping[int, list[str]],
    series: Mapping[int, str | None],
) -> str:
    """Why folders numbered 1..K may be series folders ("" when they are classes)."""
    if any(len(folders[i]) != numbered.number for i in numbered.names):
        return (
            "they hold folders (numbered folders are taken for classes only where they "
            "hold the files themselves)"
        )
    for level in outer:
        if level.why_not not in ("a single folder", "train/test split folders") or any(
            REDACTED in n or SERIES_LIKE.fullmatch(n.strip()) for n in level.classes
        ):
            return (
                "they are inside patient, study or series folders, as the series folders "
                "of a scanner export are"
            )
    keys: dict[tuple[str, ...], set[str]] = {}  # numbered folder -> its items' series
    for i in numbered.names:
        if series.get(i):
            keys.setdefault(tuple(folders[i]), set()).add(str(series[i]))
    if keys and all(len(k) == 1 for k in keys.values()):
        return "each holds a single DICOM series, as the series folders of a scanner export do"
    return ""
