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
finishes a folder inside it. Any import covers too, from the start, the roots left
unfinished that are no longer on disk (deleted or moved away): no import can read them
again, so they no longer keep the dataset partly imported (their files become missing).
A root's stored path is redacted, often [redacted] whole (an import that did not finish
named none), so it is known to be gone when its stored path names it and is not there,
or when the folder that held it (its import recorded that folder's path key) is one this
import knows and holds nothing by its key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache, partial
from pathlib import Path
from typing import Any

from ssl_studio.core.data.discovery import Found
from ssl_studio.core.data.import_tally import every_file_done
from ssl_studio.core.data.privacy import REDACTED, keyed_hash


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
        given, those left unfinished that are gone (``gone_roots``), and when it read every
        file, the dataset's known roots among the folders walked and the files met
        (``seen``: their keys)."""
        given = self._given_roots() | self.gone_roots
        if summary["cancelled"] and not every_file_done(summary):
            return given
        known = self.store.known_root_keys(self.dataset_id) - given
        if not known:
            return given
        return given | (known & (seen | folder_keys(self.salt, self.folders_walked)))

    def _walked_root_id(self, key: str) -> int:
        """The root row's id of a root walked now (_root_id) or gone (its row as it is:
        this import names only the roots it walked)."""
        if key in self.gone_roots:
            return self.store.root_id(self.dataset_id, REDACTED, key)
        return self._root_id(key)

    def _root_parents(self) -> dict[str, str]:
        """Root key -> the path key of the folder that holds it, for the roots given (and
        those of an unfinished dataset finished here) that it lists by the very name they
        were given by (a name written in another case on a drive that ignores case would
        not be found there again by its key, and would seem gone)."""
        parents: dict[str, str] = {}
        listed: dict[str, set[str]] = {}
        for key in self._given_roots():
            path = self.root_paths.get(key)
            if path is None:
                continue
            folder, name = os.path.split(path)
            if folder not in listed:
                try:
                    listed[folder] = set(os.listdir(folder))
                except OSError:
                    listed[folder] = set()
            if name in listed[folder]:
                parents[key] = keyed_hash(self.salt, "path", folder)
        return parents

    def _gone_roots(self) -> set[str]:
        """Path keys of the dataset's roots whose latest import is unfinished and that are
        no longer on disk, as far as this import can tell (see the module docstring)."""
        unfinished = self.store.unfinished_roots(self.dataset_id)
        if not unfinished.keys() - self.root_paths.keys():
            return set()
        folders = known_folders(
            self.salt, [*map(Path, self.root_paths.values()), *self.folders_walked]
        )
        held = cache(partial(_keys_held, self.salt))  # (each folder listed once)
        gone = set()
        for key, (shown, parent) in unfinished.items():
            if key in self.root_paths:  # (given or walked now: it is there)
                continue
            if shown and REDACTED not in shown and keyed_hash(self.salt, "path", shown) == key:
                if not os.path.lexists(shown):
                    gone.add(key)
            elif parent in folders:
                keys = held(folders[parent])  # (None: it cannot be read, nothing is known)
                if keys is not None and key not in keys:
                    gone.add(key)
        return gone


def known_folders(salt: bytes, paths: list[Path]) -> dict[str, str]:
    """Path key -> path of each of ``paths`` and every folder above it."""
    known: dict[str, str] = {}
    done: set[Path] = set()
    for path in paths:
        for step in (path, *path.parents):
            if step in done:  # (and the folders above it)
                break
            done.add(step)
            known[keyed_hash(salt, "path", str(step))] = str(step)
    return known


def _keys_held(salt: bytes, folder: str) -> set[str] | None:
    """Path keys of what ``folder`` holds; None when it cannot be read."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    return {keyed_hash(salt, "path", os.path.join(folder, name)) for name in names}


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
