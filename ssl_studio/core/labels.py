"""Label sets: from a CSV file, from folder names, or from the GUI (click-to-label).

Every change makes a new version of the named label set in the project database, so
nothing a user labeled is ever overwritten. Problems come back as clear messages:
rows whose file is not in the dataset, duplicate and conflicting rows, classes with too
few examples to train and test on.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssl_studio.core.class_names import Spellings, class_name
from ssl_studio.core.data.csv_cells import decoded
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.folder_classes import class_level
from ssl_studio.core.label_paths import Ambiguous, PathIndex, import_roots, path_hint
from ssl_studio.core.project.store import Store
from ssl_studio.core.spreadsheet_cells import unquoted

PATH_COLUMNS = ("path", "file", "filename", "file_path", "rel_path", "image", "series")
ID_COLUMNS = ("item_id", "item", "id")
LABEL_COLUMNS = ("label", "class", "target", "y", "diagnosis", "category")
INDEX_COLUMNS = ("index", "frame", "idx")  # 0-based position of the item in its file
ROW_COLUMNS = ("row", "line")  # the line of a series in a rows-layout CSV ("row 2" in the app)
# beside a path: the item of the file, by the name the app shows ("row 2", "X_train[3]") or
# its item id ("id" is left out: beside a path it is often a patient or accession number)
ITEM_COLUMNS = ("item_id", "item")
NAMES_NEED_PATHS = (
    "An item's name within its file, such as 'row 2', needs a path column naming the file "
    "beside the {} column"
)
# the same columns as German, French, Spanish, Italian and Japanese spreadsheets head them
# (matched after the English names; messages name the English ones)
PATH_ALIASES = (
    "datei", "dateiname", "pfad", "bild", "fichier", "chemin", "archivo", "ruta",
    "imagen", "immagine", "percorso", "ファイル", "ファイル名", "パス", "画像",
)  # fmt: skip
LABEL_ALIASES = (
    "diagnose", "klasse", "befund", "kategorie", "classe", "étiquette", "etiquette",
    "diagnostic", "catégorie", "etiqueta", "clase", "diagnóstico", "etichetta",
    "diagnosi", "ラベル", "クラス", "診断", "分類",
)  # fmt: skip
MIN_PER_CLASS = 2  # one to train on, one to test on
EXAMPLES = 5  # how many offending rows a message quotes


@dataclass
class LabelReport:
    """What a labeling call did: the label set version made, counts per class, warnings."""

    name: str
    version: int
    labeled: int
    classes: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "labeled": self.labeled,
            "classes": self.classes,
            "warnings": self.warnings,
        }


def _quote(rows: list[str]) -> str:
    more = f" and {len(rows) - EXAMPLES} more" if len(rows) > EXAMPLES else ""
    return ", ".join(rows[:EXAMPLES]) + more


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {unicodedata.normalize("NFC", h.strip()).casefold(): h for h in header}
    return next((lowered[n] for n in names if n in lowered), None)


def _name(item: dict[str, Any]) -> str | None:
    """The item's name within its file ("row 2" of a rows-layout CSV), if it has one."""
    try:
        return json.loads(item.get("meta") or "{}").get("name")
    except (ValueError, AttributeError):
        return None


def _same_name(a: str, b: str) -> bool:
    """Item names as a person writes them: "Row 2" and "row  2" are "row 2"."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _row_number(text: str) -> str:
    """A row column's cell: "2", or the app's name of that series, "row 2" (or "line 2")."""
    found = re.fullmatch(r"(?:row|line)?\s*(\d+)", text.strip(), re.IGNORECASE)
    return found.group(1) if found else text.strip()


def _named(item: dict[str, Any], wanted: str) -> bool:
    """Whether ``wanted`` (an item column's cell) names ``item``: its name in its file as
    the app shows it ("row 2", "X_train[3]"), or its item id."""
    name = _name(item)
    if name is not None and _same_name(name, wanted):
        return True
    return wanted.isascii() and wanted.isdigit() and int(wanted) == int(item["id"])


def _at(
    matches: list[dict[str, Any]] | str, picks: Any, key: str, wanted: str
) -> list[dict[str, Any]] | str:
    """The matches ``picks`` keeps; when the file was found but none is kept, a text
    saying which items the file has (for the unknown-rows warning)."""
    if isinstance(matches, str) or not matches:
        return matches
    kept = [m for m in matches if picks(m)]
    if kept:
        return kept
    names = [_name(m) or f"index {m['idx']}" for m in matches]
    span = f"{names[0]} to {names[-1]}" if len(names) > 1 else names[0]
    return f"{key}: no item {wanted}; its items are {span}"


def _class_warnings(labels: Mapping[int, str]) -> tuple[dict[str, int], list[str]]:
    counts = dict(sorted(Counter(labels.values()).items()))
    warnings = []
    few = [f"'{c}' ({n})" for c, n in counts.items() if n < MIN_PER_CLASS]
    spelled: dict[str, list[str]] = {}
    for c in counts:
        spelled.setdefault(c.casefold(), []).append(c)
    twins = [" / ".join(f"'{c}'" for c in names) for names in spelled.values() if len(names) > 1]
    if twins:
        warnings.append(
            f"Classes that differ only in capitals are separate classes: {_quote(twins)}. "
            "Spell each class one way if they are the same."
        )
    if few:
        warnings.append(
            f"Too few examples of {_quote(few)}: a class needs at least {MIN_PER_CLASS} "
            "labeled items (one to train on, one to test on), and 5 or more give a fair "
            "estimate. Label more, or leave the class out."
        )
    if len(counts) == 1:
        warnings.append(
            "Only one class is labeled; fine-tuning needs at least two. Label examples of "
            "the other class(es)."
        )
    return counts, warnings


def _save(
    store: Store,
    dataset: dict[str, Any],
    name: str,
    source: str,
    labels: dict[int, str],
    spellings: Spellings,
) -> LabelReport:
    """A new version of label set ``name``; ``spellings``: how its new class names were
    read (a warning says which spellings became one class)."""
    if not labels:
        raise ConfigError("No labels to save: nothing matched the dataset's items.")
    counts, warnings = _class_warnings(labels)
    warnings = spellings.warnings() + warnings
    newest = store.label_version(dataset["id"], name)
    if newest is not None and store.latest_labels(dataset["id"], name) == labels:
        # (the same labels again: a new version would make their runs look out of date)
        warnings.append(f"These labels are those of version {newest}: no new version was made.")
        return LabelReport(name, newest, len(labels), counts, warnings)
    set_id = store.add_label_set(dataset["id"], name, source, labels)
    version = next(s["version"] for s in store.label_sets(dataset["id"]) if s["id"] == set_id)
    return LabelReport(name, version, len(labels), counts, warnings)


def labels_from_csv(
    project: Path, dataset: str, csv_path: Path, *, name: str = "labels"
) -> LabelReport:
    """Read ``csv_path`` (a header row, then one row per file or item) into label set ``name``.

    Columns: a label column (label, class, target, y, diagnosis or category) and either a
    path column (path, file, filename, ...: relative to the imported folder, or with the
    folder's name in front, or absolute) or an item id column (item_id). A path labels
    every item of its file (all frames, all series) unless an index/frame column picks one,
    a row column the series on that line of a rows-layout CSV ("2" or "row 2"), or an item
    column the item by its name in the app ("row 2", "X_train[3]") or its item id.
    Conflicting rows stop everything; unknown paths and duplicates are reported as warnings.
    """
    csv_path = Path(csv_path)
    try:
        raw = csv_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the label file {csv_path}: {exc.strerror or exc}.") from exc
    try:
        text = decoded(raw, latin1=False)[0].replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"The label file {csv_path.name} is not text in UTF-8, Windows-1252 or Shift-JIS; save "
            "it as CSV (UTF-8)."
        ) from exc
    first = text.split("\n", 1)[0]  # comma, tab or semicolon (spreadsheets in many locales)
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    try:
        rows = list(csv.DictReader(text.splitlines(), delimiter=delimiter))
        # a cell export_labels wrote as text ("'+ve": no formula) reads as it was ("+ve")
        rows = [{k: unquoted(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    except csv.Error as exc:
        raise ConfigError(
            f"The label file {csv_path.name} cannot be read as CSV ({exc}); save it from a "
            "spreadsheet as CSV with a header row, e.g. path,label."
        ) from exc
    if not rows:
        raise ConfigError(
            f"{csv_path.name} has no rows of labels"
            + (" under its header row." if first.strip() else " (it is empty).")
        )
    header = list(rows[0].keys())
    label_col = _column(header, LABEL_COLUMNS + LABEL_ALIASES)
    path_col = _column(header, PATH_COLUMNS + PATH_ALIASES)
    id_col = _column(header, ID_COLUMNS)
    index_col = _column(header, INDEX_COLUMNS)
    row_col = _column(header, ROW_COLUMNS)
    item_col = _column(header, ITEM_COLUMNS)
    if label_col is None or (path_col is None and id_col is None):
        raise ConfigError(
            f"{csv_path.name} needs a header row with a label column ({', '.join(LABEL_COLUMNS)}) "
            f"and a path column ({', '.join(PATH_COLUMNS[:3])}) or an item_id column "
            "(or the same in German, French, Spanish, Italian or Japanese, such as "
            f"Dateiname;Diagnose); it has: {', '.join(header)}."
        )
    with Store.open(project, write=True, purpose="ssl-studio labels") as store:
        found = store.dataset_named(dataset)
        items = store.items(found["id"])
        by_id = {int(i["id"]): i for i in items}
        bases = [csv_path.parent.absolute(), Path.cwd()]
        roots = import_roots(store.root_paths(found["id"]), store.salt)
        paths = PathIndex(items, store.item_files(found["id"]), store.salt, bases, roots)
        chosen: dict[int, tuple[str, int]] = {}  # item id -> (label, CSV line)
        unknown, conflicts, blank, ambiguous = [], [], [], []
        absent = []  # rows whose file is there but not the item they name
        by_item_id = False  # an unknown row named an item id, not a file
        by_name = False  # ... or an item's name ("row 2"), which needs its file
        duplicates = 0
        spellings = Spellings()  # "rare  one" is "rare one"
        for line, row in enumerate(rows, start=2):
            label = spellings(row.get(label_col) or "")
            # with a path column, an empty path is a blank row: an "id" beside it is often
            # a patient or accession number, not an item id
            key = (row.get(path_col) if path_col else row.get(id_col or "")) or ""
            key = key.strip()
            if not label or not key:
                blank.append(str(line))
                continue
            if path_col and row.get(path_col):
                try:
                    matches = paths.find(key)
                except Ambiguous:
                    ambiguous.append(f"line {line} ({key})")
                    continue
                index = (row.get(index_col) or "").strip() if index_col else ""
                if index:
                    matches = _at(
                        matches, lambda m, i=index: str(m["idx"]) == i, key, f"at index {index}"
                    )
                shown_row = _row_number(row.get(row_col) or "") if row_col else ""
                if shown_row:
                    matches = _at(
                        matches,
                        lambda m, r=shown_row: _name(m) == f"row {r}",
                        key,
                        f"on row {shown_row}",
                    )
                wanted = (row.get(item_col) or "").strip() if item_col else ""
                if wanted:
                    matches = _at(matches, lambda m, w=wanted: _named(m, w), key, f"'{wanted}'")
            else:
                number = key.isascii() and key.isdigit()
                matches = [by_id[int(key)]] if number and int(key) in by_id else []
            if isinstance(matches, str):  # the file is there, not the item
                absent.append(f"line {line} ({matches})")
                continue
            if not matches:
                unknown.append(f"line {line} ({key})")
                by_item_id = by_item_id or not (path_col and row.get(path_col))
                by_name = by_name or not (path_col or (key.isascii() and key.isdigit()))
                continue
            for item in matches:
                previous = chosen.get(int(item["id"]))
                if previous is None:
                    chosen[int(item["id"])] = (label, line)
                elif previous[0] == label:
                    duplicates += 1
                else:
                    conflicts.append(
                        f"{key}: '{previous[0]}' (line {previous[1]}) vs '{label}' (line {line})"
                    )
        if conflicts:
            raise ConfigError(
                f"{csv_path.name} gives different labels to the same file: {_quote(conflicts)}. "
                "Correct the file so each file has one label; nothing was saved."
            )
        if not chosen and ambiguous:
            raise ConfigError(
                f"{len(ambiguous)} row(s) of {csv_path.name} name a path found in more than "
                f"one folder imported into '{dataset}' ({_quote(ambiguous)}). Write the paths "
                "absolute, or relative to the label file's folder; nothing was saved."
            )
        if not chosen:
            hint = f" {path_hint(items)}" if items else ""
            if by_name:
                hint = f" {NAMES_NEED_PATHS.format(id_col)}."
            elif absent and not unknown:  # every file was found, none of the items
                hint = (
                    f" Their files are in it, but not the items named: {_quote(absent)}. "
                    "Check the row, index or item names: they are the names the Data view "
                    "shows."
                )
            raise ConfigError(
                f"None of the {len(rows)} rows of {csv_path.name} matches an item of dataset "
                f"'{dataset}'.{hint} Nothing was saved."
            )
        report = _save(
            store,
            found,
            name,
            f"CSV file ({len(rows)} rows)",
            {k: v[0] for k, v in chosen.items()},
            spellings,
        )
    if unknown:
        what, fix = (
            (
                "item ids",
                "Check those ids: they are the numbers the Data view shows"
                + (f". {NAMES_NEED_PATHS.format(id_col)}." if by_name else "."),
            )
            if by_item_id
            else ("files", f"Check the paths, or import those files first. {path_hint(items)}")
        )
        report.warnings.insert(
            0,
            f"{len(unknown)} row(s) name {what} that are not in dataset '{dataset}' and were "
            f"left out: {_quote(unknown)}. {fix}",
        )
    if absent:
        report.warnings.insert(
            0,
            f"{len(absent)} row(s) name an item that its file in dataset '{dataset}' does "
            f"not have and were left out: {_quote(absent)}. Check the row, index or item "
            "names: they are the names the Data view shows.",
        )
    if ambiguous:
        report.warnings.insert(
            0,
            f"{len(ambiguous)} row(s) name a path found in more than one imported folder "
            f"and were left out: {_quote(ambiguous)}. Write those paths absolute, or "
            "relative to the label file's folder.",
        )
    if duplicates:
        report.warnings.append(f"{duplicates} duplicate row(s) repeat a label; counted once.")
    if blank:
        report.warnings.append(f"{len(blank)} row(s) without a path or label were skipped.")
    return report


def labels_from_folders(
    project: Path, dataset: str, *, name: str = "folders", level: int | None = None
) -> LabelReport:
    """Label every item by the name of its folder at the folder level that holds the
    classes (one folder per class; see core/folder_classes.py): ``level`` (1 = the
    folders directly inside the imported folder) when given, else the level that looks
    like classes. A level named after patients (stored redacted), or of series, study,
    date or split folders, is no class level: ``normal/<patient>/<study>/series1/1.dcm``
    is ``normal``. Items not inside a folder at that level stay unlabeled; no level
    that looks like classes, or a single class, is refused with the reason.
    """
    with Store.open(project, write=True, purpose="ssl-studio labels") as store:
        found = store.dataset_named(dataset)
        items = store.items(found["id"])
        paths = {int(i["id"]): i["rel_path"] for i in items}
        series = {int(i["id"]): i["series_key"] for i in items}  # tells series folders apart
        chosen, notes = class_level(paths, dataset, level, series)
        spellings = Spellings()  # a macOS folder's "é" is two characters
        names = {k: spellings(v) for k, v in chosen.names.items()}
        report = _save(
            store, found, name, f"folder names (level {chosen.number})", names, spellings
        )
    outside = len(items) - len(chosen.names)
    if outside:
        where = (
            "directly in the imported folder"
            if chosen.number == 1
            else f"not inside a folder at level {chosen.number}"
        )
        report.warnings.append(f"{outside} item(s) {where} stay unlabeled.")
    report.warnings.extend(notes)
    return report


def set_labels(
    project: Path,
    dataset: str,
    changes: Mapping[int, str | None],
    *,
    name: str = "labels",
) -> LabelReport:
    """Click-to-label: a new version of label set ``name`` = its newest version with
    ``changes`` applied (item id -> label; None removes an item's label)."""
    with Store.open(project, write=True, purpose="ssl-studio labels") as store:
        found = store.dataset_named(dataset)
        known = store.item_ids(found["id"])
        strangers = sorted(int(i) for i in changes if int(i) not in known)
        if strangers:
            raise ConfigError(
                f"Dataset '{dataset}' has no item(s) {_quote([str(s) for s in strangers])}."
            )
        spellings = Spellings()
        # the stored names in one spelling too: a set saved before names were read so
        # may hold "rare  one" (two spaces), which the app offers back: one class was two
        labels = {
            k: v if class_name(v) == v else spellings(v)
            for k, v in store.latest_labels(found["id"], name).items()
        }
        for item_id, label in changes.items():
            if label is None or not str(label).strip():
                labels.pop(int(item_id), None)
            else:
                labels[int(item_id)] = spellings(str(label))
        return _save(store, found, name, "labeled in the app", labels, spellings)


def label_set_to_use(dataset: str, names: Sequence[str], name: str, option: str) -> str:
    """``name`` when given, else the only one of ``names``, the label sets of ``dataset``:
    with none there are no labels (the error says how to add some), with several the
    error names them and ``option``, the one that names a set."""
    if not names:
        raise ConfigError(
            f"Dataset '{dataset}' has no labels yet. Add some with ssl-studio labels "
            "(a CSV or the class-folder names), or label by clicking in the fine-tune wizard."
        )
    if name or len(names) == 1:
        return name or names[0]
    raise ConfigError(
        f"Dataset '{dataset}' has {len(names)} label sets ({', '.join(names)}); "
        f"choose one with {option} NAME."
    )
