"""What an import counts as it goes (files new, changed, imported, failed, ...) and the
summary it returns and stores; the warning for CSV files read in different layouts, and
the import report's note on each file read otherwise than most."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssl_studio.core.data.privacy import REDACTED

LAYOUT_WORDS = {"columns": "one series per file", "rows": "one series per row"}


@dataclass
class ImportTally:
    """Counts of one import; ``errors`` holds the first problems (path, code, message)."""

    files_seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    imported: int = 0
    failed: int = 0
    skipped: int = 0
    items: int = 0
    files_done: int = 0  # unchanged or recorded (imported, failed, skipped)
    walk_complete: bool = True  # False when stopped before all files were found
    unnamed: int = 0  # files an unfinished import recorded that could not be read again
    links_followed: int = 0  # links to folders outside the folder given (discovery.py)
    files_via_links: int = 0  # files found through them
    links_left_out: int = 0  # links to the folder given or a folder holding it
    erased: int = 0  # files erased on request (core/erasure.py), skipped: never imported again
    erased_copies: int = 0  # files holding an erased file's content (a copy): imported
    unread: Counter[str] = field(default_factory=Counter)  # why: problem code -> files
    noted: Counter[str] = field(default_factory=Counter)  # notes on imported files: code -> files
    errors: list[dict[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The tallies a progress event carries."""
        return {
            k: getattr(self, k)
            for k in ("files_seen", "imported", "failed", "skipped", "unchanged", "items")
        }

    def summary(
        self, dataset: dict[str, Any], import_id: int, seconds: float, cancelled: bool
    ) -> dict[str, Any]:
        """The import's result (returned by jobs.import_data and stored with the import)."""
        return {
            "dataset": dataset["name"],
            "dataset_id": dataset["id"],
            "import_id": import_id,
            "modality": dataset["modality"],
            "cache_size": dataset.get("cache_size"),
            "files_seen": self.files_seen,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "imported": self.imported,
            "failed": self.failed,
            "skipped": self.skipped,
            "items": self.items,
            "files_done": self.files_done,
            "walk_complete": self.walk_complete,
            "unnamed": self.unnamed,
            "links_followed": self.links_followed,
            "files_via_links": self.files_via_links,
            "links_left_out": self.links_left_out,
            "erased": self.erased,
            "erased_copies": self.erased_copies,
            "unread": dict(sorted(self.unread.items())),
            "noted": dict(sorted(self.noted.items())),
            "seconds": round(seconds, 3),
            "cancelled": cancelled,
            "errors": self.errors,
        }


def erased_note(met: list[tuple[str, str]]) -> str:
    """What an import says of the files it met that were erased on request: ``met`` holds
    (path inside the folder given, date erased). The paths are only shown, never stored
    (the project keeps only their keyed hashes)."""
    if len(met) == 1:
        path, date = met[0]
        return f"{path}: erased on request on {date}: not imported again; delete or move the file."
    shown = ", ".join(f"{path} ({date})" for path, date in sorted(met)[:20])
    more = f" and {len(met) - 20} more" if len(met) > 20 else ""
    return (
        f"{len(met)} files were erased on request and are not imported again: {shown}{more}; "
        "delete or move them."
    )


def erased_copies_note(paths: list[str]) -> str:
    """What an import says of the dataset's files whose content is an erased file's
    (``paths``: as the project stores them, redacted; the first few are named)."""
    n = len(paths)
    files = "1 file of this dataset holds" if n == 1 else f"{n} files of this dataset hold"
    named = ", ".join(paths[:5]) + (", …" if n > 5 else "")
    return (
        f"{files} the same content as a file erased on request (a copy, renamed or in "
        f"another folder: an erased file is kept out only at its own path): {named}. If "
        "it is the withdrawn data, erase it too (ssl-studio remove --dataset NAME --file "
        "PATH, or Data → Erase a patient…)."
    )


def every_file_done(summary: dict[str, Any]) -> bool:
    """Whether an import (its summary, or what the dataset keeps of it) found every file
    and finished each: one stopped in its last batch then lacks only naming the paths."""
    return (
        summary.get("walk_complete", True)
        and "files_done" in summary
        and summary["files_done"] >= summary.get("files_seen", 0)
    )


def stopped_note(summary: dict[str, Any]) -> str:
    """What a stopped import did and how to finish it, from its summary (or the summary's
    ``files_done``, ``files_seen`` and ``walk_complete`` kept with the dataset)."""
    seen = summary.get("files_seen", 0)
    if every_file_done(summary):
        return (
            f"Import stopped after all {seen} files were imported, before their paths were "
            "named: they may show as [redacted] until the folder is imported again (quick: "
            "nothing is imported again)."
        )
    return (
        f"{_stopped_after(summary)} — import the folder again to finish (files already "
        "imported are kept, not imported again)."
    )


def _stopped_after(summary: dict[str, Any]) -> str:
    seen = summary.get("files_seen", 0)
    of = f"{seen} files" if summary.get("walk_complete", True) else f"the {seen} files found so far"
    return f"Import stopped after {summary.get('files_done', 0)} of {of}"


# why a file an unfinished import recorded could not be read again (its problem's code)
# -> (what happened, what to do); other codes: it no longer decodes as it did
_UNREAD = {
    "unreadable": (
        "reading them was refused (permission denied) or failed (a disk or network error)",
        "give read access to them or fix the drive",
    ),
    "broken-link": (
        "they were moved or removed (or are links that point to nothing now)",
        "put them back where they were",
    ),
    "path-too-long": (
        "their paths are too long for Windows (260 characters or more)",
        "enable long paths in Windows or copy the data to a shorter folder such as C:\\data",
    ),
    "empty": ("they are empty now (0 bytes)", "copy them again from the source"),
    "too-large": (
        "there was not enough memory to read them",
        "close other programs or import on a machine with more memory",
    ),
}
_DAMAGED = (
    "they no longer read as they did (damaged, or replaced by another file)",
    "copy them again from the source, or move them out of the folder",
)


def unread_reasons(codes: dict[str, int] | None) -> tuple[str, str]:
    """(what happened, what to do) for files an unfinished import recorded that could not
    be read again, from their problems' codes (an import's ``unread``); without codes
    (an import recorded before they were kept), every cause that leads there."""
    if not codes:
        return (
            "unreadable, moved, or damaged",
            "make them readable, put back any that moved, or move damaged ones out",
        )
    said = list(dict.fromkeys(_UNREAD.get(code, _DAMAGED) for code in sorted(codes)))
    return "; ".join(why for why, _ in said), "; ".join(do for _, do in said)


def unnamed_note(summary: dict[str, Any]) -> str:
    """What an import left unfinished because files an earlier unfinished import recorded
    could not be read again (their patients' names are not known) means, and what to do
    for the cause recorded (``unread``)."""
    why, do = unread_reasons(summary.get("unread"))
    return (
        f"Import unfinished: {summary.get('unnamed', 0)} file(s) recorded by an earlier "
        f"import could not be read again ({why}), so the paths stay hidden ([redacted]) — "
        f"{do}, and import the folder again to finish."
    )


# how to use a partly imported dataset anyway, as the command line says it; the app asks
# before it pretrains on one, and says so instead
ANYWAY_CLI = "use --allow-partial-import"
ANYWAY_APP = "pretrain on what is imported"


def partial_import_note(last_import: dict[str, Any] | None, anyway: str = ANYWAY_CLI) -> str | None:
    """What a dataset's imports (``Store.last_import``: the latest, with the earlier ones
    still the latest of one of its roots) left unread and how to finish it; None when
    every file was read (even if an import was stopped before naming their paths), or no
    import was recorded. A stopped import says how far it got; one still "running" was cut
    off (a crash, a kill, a full disk) or runs now (only the latest can)."""
    last = last_import or {}
    return _joined(_last_unread_note(last, anyway), *_earlier_notes(last, anyway))


def unfinished_note(last_import: dict[str, Any] | None, anyway: str = ANYWAY_CLI) -> str | None:
    """What a dataset's imports left undone: files not read (``partial_import_note``) or
    paths the latest import could not name (status "unnamed", or stopped once every file
    was read); None when they finished."""
    last = last_import or {}
    if last.get("status") == "unnamed":
        own = unnamed_note(last)
    elif last.get("status") == "cancelled" and every_file_done(last):
        own = stopped_note(last)  # (its paths are named by the next import)
    else:
        own = _last_unread_note(last, anyway)
    return _joined(own, *_earlier_notes(last, anyway))


def _last_unread_note(last: dict[str, Any], anyway: str) -> str | None:
    """``partial_import_note`` for the latest import alone."""
    status = last.get("status")
    if status == "cancelled" and every_file_done(last):  # (stopped in its last batch)
        return None
    roots = last.get("roots")
    if status in ("cancelled", "running") and roots and _gone(roots):
        ended = (
            _stopped_after(last)
            if status == "cancelled"
            else "The last import did not finish (it was interrupted)"
        )
        those = "that folder is" if len(roots) == 1 else "those folders are"
        return (
            f"{ended}; {those} no longer there — import any folder of the dataset (or "
            f"{anyway}) to go on."
        )
    if status == "cancelled":
        return stopped_note(last)
    if status == "running":
        return (
            "The last import did not finish (it was interrupted, or is still running) — "
            "import the folder again to finish (files already imported are kept, not "
            "imported again)."
        )
    return None


def _earlier_notes(last: dict[str, Any], anyway: str) -> list[str]:
    """A note for each earlier import that is still the latest of one of the dataset's
    roots and left files unread (stopped before reading every file, or cut off), naming
    those roots as the project stores them (redacted), or "another folder" where a root's
    stored path is hidden whole (an import that never finished named none)."""
    notes = []
    for earlier in last.get("earlier_unfinished") or []:
        status = earlier.get("status")
        if status == "cancelled" and not every_file_done(earlier):
            seen = earlier.get("files_seen", 0)
            of = f"{seen} files" if earlier.get("walk_complete", True) else f"{seen} files found"
            ended = f"was stopped after {earlier.get('files_done', 0)} of {of}"
        elif status == "running":  # (a later import ran: this one was cut off)
            ended = "did not finish (it was interrupted)"
        else:
            continue
        roots = earlier.get("roots") or [None]
        named = [root for root in roots if root and root != REDACTED]
        if len(named) == len(roots):
            where = ", ".join(f"'{root}'" for root in named)
        else:
            where = "another folder" if len(roots) == 1 else "other folders"
        started = str(earlier.get("started") or "")
        when = f" (started {started[:16].replace('T', ' ')} UTC)" if started else ""
        those = "that folder" if len(roots) == 1 else "those folders"
        if _gone(roots):
            are = "is" if len(roots) == 1 else "are"
            notes.append(
                f"An earlier import of {where}{when} {ended}; {those} {are} no longer there "
                f"— import any folder of the dataset (or {anyway}) to go on."
            )
            continue
        notes.append(
            f"An earlier import of {where}{when} {ended} — import {those} again to finish "
            "(files already imported are kept, not imported again)."
        )
    return notes


def _gone(roots: list[str | None]) -> bool:
    """Whether every one of ``roots`` (stored paths) names its folder or file in full (no
    part redacted) and none is there now: no import can finish them, and the next import
    of any folder of the dataset covers them (import_roots.py)."""
    return all(root and REDACTED not in root for root in roots) and not any(
        Path(root).exists() for root in roots if root
    )


def _joined(*notes: str | None) -> str | None:
    return " ".join(note for note in notes if note) or None


def unread_dicom_note(count: int, missing: int = 0) -> str | None:
    """The note for a dataset with ``count`` left-out DICOM files whose identifiers an
    older SSL Studio never read (Store.dataset_summary's ``unread_dicom``) and ``missing``
    more such files that are missing (``unread_dicom_missing``), or None."""
    count, missing = count or 0, missing or 0
    if not count and not missing:
        return None
    told = f"{count + missing} DICOM file(s)"
    if missing:
        told += f" ({missing} of them missing)" if count else " (missing)"
    what = (
        f"{told} left out of this dataset were imported by an older SSL Studio that did "
        "not read their patients' names, so stored paths beside them may name a patient"
    )
    if not missing:
        return f"{what}: import the dataset's folder again to hide them."
    return (
        f"{what}: put the missing files back where they were and import the dataset's "
        "folder again to hide them (if they are gone for good, only a dataset imported "
        "afresh into a new project is sure to name no patient)."
    )


def mixed_layouts(files: Counter[str]) -> str:
    """The warning for CSV files that the auto layout read in different ways."""
    ways = ", ".join(f"{n} {LAYOUT_WORDS[way]} ({way})" for way, n in files.most_common())
    return (
        f"The CSV files were not all read the same way: {ways}. If that is wrong (a short "
        "recording read sideways), import again with the CSV layout set to columns or rows "
        "(--layout on the command line; Import options in the window). The import report "
        "lists them."
    )


LAYOUTS_DIFFER = "layouts-differ"  # code of the report's notes on such files


def layout_notes(files: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(file id, note, severity) for each CSV file of a dataset read in another layout
    than most of its CSV files (``files``: (file id, layout), in import order; a tie goes
    to the layout met first), for the import report."""
    ways = Counter(way for _, way in files if way in LAYOUT_WORDS)
    if len(ways) < 2:
        return []
    usual = max(ways, key=lambda way: ways[way])  # (the first met of equal counts)
    return [
        (
            file_id,
            f"It was read {LAYOUT_WORDS[way]} ({way}), while most of the dataset's CSV "
            f"files ({ways[usual]}) were read {LAYOUT_WORDS[usual]} ({usual}). If that is "
            "wrong (a short recording read sideways), import again with the CSV layout set "
            "to columns or rows (--layout on the command line; Import options in the window).",
            "warning",
        )
        for file_id, way in files
        if way in LAYOUT_WORDS and way != usual
    ]
