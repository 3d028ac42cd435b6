"""Finding a dataset's items by a path as a user writes it in a label CSV.

The project stores paths with patients' names redacted (a folder named after a patient
is ``[redacted]``), so a path a user writes is matched by the salted key of the file it
names: joined to the label file's folder, to the current folder, or to the folder that
was imported (found on disk again by its key when its own stored path is redacted).
Nothing un-redacted is stored or shown on the way. Where the file system ignores letter
case (Windows: ``os.path.normcase`` folds it), so does the matching: a path written in
other case is keyed too by the disk's own spelling of it (path_spelling.canonical, as
imports walk folders), and stored paths are compared folded; elsewhere case counts.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ssl_studio.core.data.path_spelling import canonical
from ssl_studio.core.data.privacy import REDACTED, keyed_hash

MAX_CANDIDATES = 20_000  # folders tried when finding a redacted import root on disk
PATIENT_FOLDER = "<patient folder>"
PATIENT_NAME = "<patient name>"


def normal(path: str) -> str:
    """A path as written in a CSV cell, with forward slashes and no leading ``./``."""
    text = path.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def ignores_case() -> bool:
    """Whether the file system ignores letter case, as ``os.path.normcase`` tells
    (Windows); macOS drives may or may not, and are matched as written."""
    return os.path.normcase("A") == os.path.normcase("a")


def folded(text: str) -> str:
    """``text`` as the file system compares it: in lower case where it ignores case."""
    return text.casefold() if ignores_case() else text


def composed(text: str) -> str:
    """A stored or written relative path compared with accented letters composed (NFC):
    a folder copied from a Mac keeps decomposed names (NFD) on Linux disks, where a
    path typed into a label CSV has them composed, and the two name the same file."""
    return folded(unicodedata.normalize("NFC", text))


class Ambiguous(Exception):
    """A relative path found in several imported folders."""


class PathIndex:
    """Finds items by a path as a user writes it: the file itself when the path is
    absolute or relative to the label file's folder (by the file's salted path key: this
    works when the stored path is redacted, and tells imported folders apart); else
    relative to an imported folder (or with that folder's name in front), by the same
    key; else by the stored path relative to the imported folder, with or without
    folders in front."""

    def __init__(
        self, items: list[dict[str, Any]], files: Mapping[int, tuple[str, int]], salt: bytes,
        bases: list[Path], roots: list[Path] | None = None,
    ) -> None:  # fmt: skip
        self.salt, self.bases = salt, bases
        # a root's own folder, and its parent (for paths with the root's name in front)
        self.root_bases = [b for r in roots or [] for b in (r, r.parent)]
        self.by_path: dict[str, list[dict[str, Any]]] = {}
        self.by_key: dict[str, list[dict[str, Any]]] = {}
        self.root_of: dict[int, int] = {}
        for item in items:
            self.by_path.setdefault(composed(item["rel_path"]), []).append(item)
            key, root = files.get(int(item["id"]), ("", 0))
            self.by_key.setdefault(key, []).append(item)
            self.root_of[int(item["id"])] = root

    def _keys_of(self, base: Path, text: str, respelled: bool) -> list[str]:
        """The key of the file ``text`` names from ``base``: of its path as written, or
        (``respelled``) where it is there, of its canonical spelling (folders reached by a
        link or a mapped drive, other letter case where it is ignored: path_spelling.py),
        which every import since that rule walks a new dataset by."""
        where = os.path.abspath(os.path.join(base, text.replace("/", os.sep)))
        if not respelled:
            return [keyed_hash(self.salt, "path", where)]
        real = canonical(where) if os.path.exists(where) else where
        return [keyed_hash(self.salt, "path", real)] if real != where else []

    def find(self, path: str) -> list[dict[str, Any]]:
        """The items of the file ``path`` names; raises Ambiguous when its relative path
        is in more than one imported folder. Paths as written are tried first, their
        canonical spellings only when those find nothing (it reads the disk)."""
        text = normal(path)
        for respelled in (False, True):
            for base in self.bases:
                for key in self._keys_of(base, text, respelled):
                    found = self.by_key.get(key)
                    if found:
                        return found
            keys = {key for base in self.root_bases for key in self._keys_of(base, text, respelled)}
            hits = [key for key in keys if key in self.by_key]
            if len(hits) > 1:
                raise Ambiguous
            if hits:
                return self.by_key[hits[0]]
        parts = PurePosixPath(text).parts
        for start in range(len(parts)):
            found = self.by_path.get(composed("/".join(parts[start:])), [])
            if found:
                if len({self.root_of[int(i["id"])] for i in found}) > 1:
                    raise Ambiguous
                return found
        return []


def import_roots(stored: Mapping[str, str], salt: bytes) -> list[Path]:
    """The folders on disk a dataset was imported from (``stored``: path key -> stored
    path), as far as they are there. A stored path that is not redacted is the folder
    itself; a redacted one (``/data/normal/[redacted]``) is looked for on disk among the
    folders its shape allows, and known by its key. Folders not found are left out."""
    found = []
    for key, shown in stored.items():
        if not shown or shown == REDACTED:  # an unfinished import's: no shape to follow
            continue
        for candidate in _shaped_like(shown):
            if keyed_hash(salt, "path", candidate) == key:
                path = Path(candidate)
                found.append(path if path.is_dir() else path.parent)
                break
    return found


def _shaped_like(shown: str) -> Iterator[str]:
    """Paths on disk that a stored path could have been before it was redacted: the
    path itself when nothing in it is redacted, else the folders whose names match its
    parts, each ``[redacted]`` standing for some text (at most MAX_CANDIDATES)."""
    if REDACTED not in shown:
        yield shown
        return
    parts = Path(shown).parts
    if not parts:
        return
    current = [parts[0]]
    for part in parts[1:]:
        if REDACTED not in part:
            current = [os.path.join(c, part) for c in current]
            continue
        pattern = re.compile(
            ".+".join(re.escape(p) for p in part.split(REDACTED)), re.IGNORECASE | re.DOTALL
        )
        matched: list[str] = []
        for folder in current:
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            matched.extend(os.path.join(folder, n) for n in names if pattern.fullmatch(n))
            if len(matched) > MAX_CANDIDATES:
                return
        current = matched
    yield from current


def writable_example(rel_path: str) -> str:
    """A stored path shown as a path a user can write: a redacted folder becomes
    ``<patient folder>`` and a redacted part of a name ``<patient name>``."""
    parts = PurePosixPath(rel_path).parts
    return "/".join(
        PATIENT_FOLDER if p == REDACTED else p.replace(REDACTED, PATIENT_NAME) for p in parts
    )


def path_hint(items: list[dict[str, Any]]) -> str:
    """How to write a path to an item, with an example from ``items``: one without a
    redacted part when there is one, else one with the patient's folder described."""
    if not items:
        return ""
    plain = next((i["rel_path"] for i in items if REDACTED not in i["rel_path"]), None)
    if plain is not None:
        return (
            f"Paths are relative to the folder you imported (for example '{plain}'), or absolute."
        )
    example = writable_example(items[0]["rel_path"])
    what = PATIENT_FOLDER if PATIENT_FOLDER in example else PATIENT_NAME
    return (
        f"Paths are relative to the folder you imported (for example '{example}', with "
        f"the real name on disk where it shows {what}: patient names are not stored, so "
        "the app cannot show them), or absolute."
    )
