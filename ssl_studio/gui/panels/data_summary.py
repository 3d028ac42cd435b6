"""What the Data panel says of a dataset: the line above its thumbnails and the title of
its import report."""

from __future__ import annotations

import html
from typing import Any

from ssl_studio.core.data.import_tally import (
    ANYWAY_APP,
    partial_import_note,
    unfinished_note,
    unread_dicom_note,
)
from ssl_studio.core.project.store.import_report import report_groups
from ssl_studio.core.wording import counted
from ssl_studio.gui.markup import esc


def summary_text(d: dict[str, Any], labeled: int, notes: int = 0) -> tuple[str, str]:
    """(the line on dataset ``d``, as project_info gives it, with ``labeled`` items
    labeled and ``notes`` notes on imported files in its import report (note_count);
    what its imports left undone, as markup, or ""). Every name in it is escaped: a
    dataset named ``<b>x</b>`` shows as written."""
    content = esc(", ".join(f"{k} {n}" for k, n in d["items_by_modality"].items()))
    size = f", cached at {d['cache_size']} px" if d["modality"] == "image" else ""
    labels = f"; {labeled} labeled" if labeled else ""
    # stopped, or cut off (the latest import, or an earlier one of another folder);
    # it may name a folder as stored, so as text, not markup
    stopped = html.escape(unfinished_note(d.get("last_import"), ANYWAY_APP) or "", quote=False)
    unread = esc(unread_dicom_note(d.get("unread_dicom") or 0, d.get("unread_dicom_missing", 0)))
    text = (
        f"<b>{esc(d['name'])}</b>: {d['items']} items ({content}){size}{labels}. "
        f"{d['errors']} files failed, {d['skipped']} skipped"
        + (" so far" if partial_import_note(d.get("last_import"), ANYWAY_APP) else "")
        + (f"; {counted(notes, 'note')} — see Import report" if notes else "")
        + (f". <b>{stopped}</b>" if stopped else ".")
        + (f" <b>{unread}</b>" if unread else "")
    )
    return text, stopped


def note_count(errors: list[dict[str, Any]]) -> int:
    """The notes on imported files among a dataset's import report rows (a channel out
    of place, a CSV read in another layout): shown only in the report, so counted on
    the dataset's line."""
    return len(report_groups(errors)[1])


def report_title(name: str, errors: list[dict[str, Any]], stopped: str = "") -> str:
    """The import report's title. ``stopped``: what the dataset's imports left undone
    (unfinished_note, as markup). ``errors``: the files left out, and notes on imported
    ones (their columns). Markup: the name escaped."""
    files_left_out, noted_files, links_listed = report_groups(errors)
    count, notes = len(files_left_out), len(noted_files)
    left_out = f"{counted(count, 'file')} left out, each with the reason."
    ups = sum(e["code"] == "link-up" for e in links_listed)
    links = len(links_listed) - ups
    noted = f" {counted(notes, 'note')} on imported files (their columns)." if notes else ""
    if links:
        noted += (
            f" Followed {counted(links, 'link')} to folders outside the folder imported (listed)."
        )
    if ups:
        noted += f" {counted(ups, 'link')} back up to the folder imported not followed (listed)."
    if stopped:
        so_far = f" So far {left_out}" if count else ""
        return f"Import report of '{esc(name)}': <b>{stopped}</b>{so_far}{noted}"
    if count:
        return f"Import report of '{esc(name)}': {left_out}{noted}"
    return f"Import report of '{esc(name)}': every file was imported.{noted}"
