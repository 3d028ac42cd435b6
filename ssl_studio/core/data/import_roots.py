"""Which of a dataset's roots (the folders and files it was imported from) an import
covers, recorded with the import (Store.start_import, Store.finish_import) so that a
dataset stays partly imported while the latest import of any of its roots is unfinished
(Store.last_import's ``earlier_unfinished``; import_tally.partial_import_note): an import
stopped in one folder and followed by one of another folder that finishes does not make
the dataset whole. ``ImportRoots`` is a part of ``Importer`` (importer.py) kept in its own
file, like ``ImportNaming``; it uses the importer's store, salt and root bookkeeping.

An import covers the folders and files it was given (and those of an unfinished dataset it
finishes: import_resume.py) from the start, so one cut off (a crash, a kill) still tells
which it left unfinished. Once it has read every file, it covers too every known root it
walked through (a folder or file inside one given): importing a parent folder to the end
finishes a folder inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ssl_studio.core.data.discovery import Found
from ssl_studio.core.data.import_tally import every_file_done
from ssl_studio.core.data.privacy import keyed_hash


class ImportRoots:
    """Root coverage methods of Importer (see the module docstring)."""

    def _walked_folder(self, found: Found) -> None:
        """Note the folder of a file the walk met (with the folder given that holds it)."""
        if found.path != found.root:  # (a file given itself lies in no folder walked)
            self.folders_walked.setdefault(found.path.parent, found.root)

    def _given_roots(self) -> set[str]:
        """Path keys of the folders and files given, and of the roots of an unfinished
        dataset this import finishes."""
        return {*self._root_keys(), *self.resumed_roots}

    def _covered_roots(self, summary: dict[str, Any], seen: set[str]) -> set[str]:
        """Path keys of the roots this import covers, as its ``summary`` ends it: those
        given, and when it read every file, the dataset's known roots among the folders
        walked and the files met (``seen``: their keys)."""
        given = self._given_roots()
        if summary["cancelled"] and not every_file_done(summary):
            return given
        known = self.store.known_root_keys(self.dataset_id) - given
        if not known:
            return given
        return given | (known & (seen | folder_keys(self.salt, self.folders_walked)))


def folder_keys(salt: bytes, folders: Mapping[Path, Path]) -> set[str]:
    """Path keys of ``folders`` (folder -> the folder given that holds it) and of every
    folder between each and the folder given (that one included)."""
    keys: set[str] = set()
    done: set[Path] = set()
    for folder, root in folders.items():
        for step in (folder, *folder.parents):
            if step in done:  # (and the folders above it, up to the folder given)
                break
            done.add(step)
            keys.add(keyed_hash(salt, "path", str(step)))
            if step == root:
                break
    return keys
