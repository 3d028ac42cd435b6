"""The questions the Data panel asks before an import: where the files go when another
dataset holds the name or the cache size the import would take."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.studio_folders import refuse_studio_folders
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.jobs import cache_size_taken, name_taken_by_other_folders
from ssl_studio.gui import dialogs


def choose_target(parent: QWidget, cfg: ImportConfig, own: Path) -> bool:
    """Refuse folders made by SSL Studio (``own``: the open project's), and ask where
    the files go when a dataset of another cache size or of the same name from other
    folders is in the way: ``cfg.name`` and ``cfg.add`` are set to the answer. False
    when nothing is to be imported (said in a dialog, or the user cancelled)."""
    try:
        refuse_studio_folders(cfg.paths, own=own)
        taken = name_taken_by_other_folders(cfg)
        other_size = cache_size_taken(cfg)
    except SSLStudioError as exc:
        dialogs.show_error(parent, "Cannot import", str(exc))
        return False
    if other_size is not None:  # one dataset holds one cache size
        existing, size, free = other_size
        if not dialogs.confirm(
            parent,
            "Import at another cache size?",
            f"Dataset '{existing}' is cached at {size} px, and the import options ask "
            f"for {cfg.cache_size} px. Import these files into a new dataset "
            f"'{free}'?\n\nChoose No to change the import options instead.",
        ):
            return False
        cfg.name, taken = free, None
    if taken is not None:
        existing, free = taken
        add = dialogs.ask(
            parent,
            "Add to an existing dataset?",
            f"A dataset named '{existing}' already exists, imported from other folders. "
            f"Add these files to it?\n\nChoose No to import them as a new dataset "
            f"'{free}', Cancel to import nothing.",
        )
        if add is None:
            return False
        cfg.add, cfg.name = add, existing if add else free
    return True
