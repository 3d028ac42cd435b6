"""``ssl-studio info``: the lines on each dataset of the project."""

from __future__ import annotations

from typing import Any

from ssl_studio.cli_output import mb
from ssl_studio.core.data.import_tally import unfinished_note, unread_dicom_note
from ssl_studio.core.project.store.unfinished_imports import IN_THE_APP, is_interim
from ssl_studio.core.wording import command_line


def print_dataset(d: dict[str, Any], project: str) -> None:
    """The lines on dataset ``d`` (as project_info gives it) of the project ``project``.
    A new dataset whose import did not finish is told as that, with how to finish it,
    not as a dataset named '(importing)' (its name is known only once its files are)."""
    if is_interim(d["name"]):
        command = command_line("ssl-studio", "import", project, "FOLDER")
        print(
            f"  An unfinished import of a new dataset ({d['items']} items so far, "
            f"{mb(d['cache_bytes'])}; not a dataset yet, it shows as '{d['name']}'):"
        )
        if note := unfinished_note(d["last_import"]):
            print(f"    {note}")
        print(
            f"    To finish it, run `{command}` again with the folder you imported (and "
            f"--name if you gave one) ({IN_THE_APP})."
        )
        return
    kinds = ", ".join(f"{k} {n}" for k, n in d["items_by_modality"].items()) or "none"
    size = f", cached at {d['cache_size']} px" if d["modality"] == "image" else ""
    print(
        f"  {d['name']} [{d['modality']}]: {d['items']} items ({kinds}){size}, "
        f"{mb(d['cache_bytes'])}; {d['errors']} errors, {d['skipped']} skipped, "
        f"{d['files']['missing']} missing files"
        + (f", {d['erased']} erased on request (skipped when met again)" if d.get("erased") else "")
    )
    if d.get("erasure_pending"):
        print(
            "    The erased items' bytes are not all overwritten in its cached data yet (an "
            "erasure was interrupted or could not write them; nothing reads them): the "
            "next erase or import in this project zeroes them."
        )
    if note := unfinished_note(d["last_import"]):  # stopped or cut off, in any folder
        print(f"    {note}")
    if note := unread_dicom_note(d.get("unread_dicom"), d.get("unread_dicom_missing", 0)):
        print(f"    {note}")
