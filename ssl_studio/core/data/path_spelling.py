"""One folder, one spelling: the path an import walks a folder (or file) by.

A file's lookup key is a keyed hash of its absolute path as walked (privacy.keyed_hash),
so one folder reached by two spellings of its path (through a symbolic link, a mapped
drive and its UNC path, other letter case on a drive that ignores case, a name composed
(NFC) or decomposed (NFD) as macOS may write it) would have two keys for every file, and
be imported twice: the same scan on both sides of a train/test split.

Keys stay what they were (keyed hashes of the path walked: projects made before keep
every item id, and the many places that key a path need no change); what changes is the
spelling walked, chosen per folder given (``KnownRoots.spellings``) by the roots of the dataset
the import goes into (first by those of the whole project, to find that dataset: each
dataset keys its own files; a new dataset is walked by canonical spellings only), in
this order:

1. its canonical spelling (``canonical``: links, and on Windows mapped drives, resolved
   by ``os.path.realpath``; each name as the folder above lists it, so letter case and
   Unicode form are the disk's own; a name listed as given is kept, so a drive that
   tells case apart is never probed), when those roots know it (or a folder holding
   it) by that key: what every import since this rule stores;
2. the spelling given, when those roots know it (or a folder holding it) by that key:
   a root imported before this rule by a link or in other letter case, walked again by
   the very path it was imported by (known both ways, the nearer root wins; the spelling
   given on a tie);
3. the stored path of a root whose canonical spelling is or holds it, when that path is
   readable (no [redacted] in it, and its key matches): the same root imported before
   this rule, re-imported by another path;
4. the spelling given, when it holds a root stored readable by that spelling (a folder
   imported before this rule by a link, and now the folder above it by the same link);
5. else its canonical spelling (a new folder).

An import into a dataset of a folder that holds one of the dataset's roots stored
readable by another spelling than the walk would reach it by (a root imported before
this rule by a link, and the folder given by the real path; or roots known by both
spellings under it) is refused, with what to do (``KnownRoots.refuse_held_respelled``): walked from
there, its files would get other keys.
Left as before: a root imported before this rule by a path that was not canonical and
whose stored path is [redacted] (it named a patient) is met only by the path it was
imported by. Only keys and stored (redacted) paths are read; no new path is stored.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path

from ssl_studio.core.data.privacy import REDACTED, keyed_hash
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store import Store


class SpellingConflictError(ConfigError):
    """A folder given holds a folder imported before by another path to it."""


def canonical(path: str | os.PathLike[str]) -> str:
    """The spelling of ``path`` that does not depend on how it was reached: absolute,
    links resolved, and each name as its folder lists it (letter case, Unicode form) when
    the name given is not listed as such but one name there is the same file. A file's
    own name stays as given (only the folders above it are resolved): a link to a file
    is imported under the link's name (in a link farm or a download cache the target is
    a blob such as ``sha0abc``, without the name that says what it is)."""
    absolute = os.path.abspath(path)
    if os.path.islink(absolute) and not os.path.isdir(absolute):
        folder, name = os.path.split(absolute)
        return os.path.join(_canonical_folder(folder), _listed_name(folder, name))
    return _canonical_folder(absolute)  # (a file's name as the disk spells it, too)


def fully_resolved(path: str | os.PathLike[str]) -> str:
    """``path`` with a link to a file resolved too: how imports before links to files
    kept their names walked such a file (its target's name)."""
    return _canonical_folder(os.path.abspath(path))


def _canonical_folder(path: str) -> str:
    real = os.path.realpath(path)
    head, tail = os.path.splitdrive(real)
    current = head + os.sep if tail.startswith(os.sep) else head
    for name in (p for p in tail.split(os.sep) if p):
        current = os.path.join(current, _listed_name(current, name))
    return current


def canonical_spellings(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """``canonical`` of each of ``paths``: how a new dataset's folders are walked."""
    return [Path(canonical(p)) for p in paths]


def _listed_name(folder: str, name: str) -> str:
    """``name`` as ``folder`` lists it: itself when listed so; else the one listed name
    equal to it but for letter case or Unicode form that is the same file (a drive that
    ignores case); else ``name`` (a folder that cannot be read, a name not there)."""
    given = os.path.join(folder, name)
    if os.name == "nt" or not os.path.lexists(given):
        return name  # (Windows: realpath gave the disk's own spelling already)
    other = os.path.join(folder, name.swapcase())
    if name.isascii() and (name.swapcase() == name or not os.path.lexists(other)):
        return name  # a drive that tells case apart (or no letters): no need to list
    try:
        names = os.listdir(folder)
    except OSError:
        return name
    if name in names:
        return name
    wanted = _folded(name)
    for listed in names:
        if _folded(listed) == wanted and _same_file(given, os.path.join(folder, listed)):
            return listed
    return name


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _known_below(salt: bytes, path: str, roots: Mapping[str, str]) -> int | None:
    """How many folders ``path`` lies below the nearest root it is or lies in, by key
    (0: it is one); None when it is in none."""
    for steps, folder in enumerate((Path(path), *Path(path).parents)):
        if keyed_hash(salt, "path", str(folder)) in roots:
            return steps
    return None


def _inside(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` ("" for the folder itself), or None if outside."""
    try:
        rel = os.path.relpath(path, folder)
    except ValueError:  # another drive (Windows)
        return None
    if rel == os.curdir:
        return ""
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel


def _readable(salt: bytes, roots: Mapping[str, str]) -> list[str]:
    """The stored paths of ``roots`` that are readable: nothing redacted in them, and
    their key is the key of the path they show (the spelling they were walked by)."""
    return [
        shown
        for key, shown in roots.items()
        if shown and REDACTED not in shown and keyed_hash(salt, "path", shown) == key
    ]


class KnownRoots:
    """The roots the folders of one import are spelled by: those of the dataset it goes
    into (of the whole project, to find that dataset), read once, and the canonical
    spelling of each stored readable, worked out once when first needed; both
    ``spellings`` and ``refuse_held_respelled`` use them."""

    def __init__(self, store: Store, dataset_id: int | None = None) -> None:
        self.salt = store.salt
        # path key -> stored (redacted) path
        self.paths = store.all_root_paths() if dataset_id is None else store.root_paths(dataset_id)

    @cached_property
    def canon(self) -> dict[str, str]:
        """Stored path -> its canonical spelling, of the roots stored readable."""
        return {shown: canonical(shown) for shown in _readable(self.salt, self.paths)}

    @cached_property
    def respelled(self) -> dict[str, str]:
        """``canon`` of the roots stored by a spelling that is not canonical (imported
        before this rule)."""
        return {shown: real for shown, real in self.canon.items() if real != shown}

    def spellings(self, paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
        """The spelling to walk each of ``paths`` by: the one these roots know it by,
        else the readable stored spelling of a root that is or holds it, else its
        canonical spelling (see the module docstring)."""
        return [Path(self._spelling(str(p))) for p in paths]

    def _spelling(self, given: str) -> str:
        """The spelling of ``given`` to walk (see ``spellings``). Known by both its
        canonical spelling and the one given (imported before this rule, by each), the
        one known by the nearest root wins: the spelling given on a tie, the user's own."""
        salt, roots = self.salt, self.paths
        absolute = os.path.abspath(given)
        real = canonical(absolute)
        by_real = _known_below(salt, real, roots)
        by_given = _known_below(salt, absolute, roots) if absolute != real else None
        if by_given is not None and (by_real is None or by_given <= by_real):
            return absolute  # known by the spelling given (imported before this rule)
        if by_real is not None:
            return real  # known by its canonical spelling (or a folder holding it is)
        if os.path.islink(absolute) and not os.path.isdir(absolute):
            target = fully_resolved(absolute)  # a link to a file imported before, by its target
            if _known_below(salt, target, roots) is not None:
                return target
        for shown, known in self.respelled.items():  # known by another spelling, readable
            rel = _inside(real, known)
            if rel is not None:
                return os.path.join(shown, rel) if rel else shown
        if absolute != real and any(_inside(s, absolute) is not None for s in self.respelled):
            return absolute  # it holds a root known by the spelling given
        return real

    def refuse_held_respelled(self, paths: Iterable[Path]) -> None:
        """Refuse folders given (spelled by ``spellings``) that hold a root stored
        readable by another spelling than the walk would reach it by: its files would get
        other keys and be imported twice. (A root stored [redacted] cannot be told.)"""
        # each root's canonical spelling once (``canon``: a folder of many files given one
        # by one met every root for every file: 28 s for 400 files)
        if not self.canon:
            return
        for path in paths:
            given = str(path)
            real = ""
            for shown, shown_real in self.canon.items():
                if _under(shown, given):
                    continue  # reached by the spelling it is known by
                real = real or canonical(path)
                if _under(shown_real, real):
                    raise SpellingConflictError(  # (names no path given: only a stored one)
                        f"A folder given holds '{shown}', which this dataset was imported "
                        "from by another path to it (a link, a mapped drive, or other "
                        "letter case): walked from here its files would be imported twice. "
                        f"Import '{shown}' by that path, and the other folders here one by one."
                    )


def walk_spellings(
    store: Store, paths: Iterable[str | os.PathLike[str]], dataset_id: int | None = None
) -> list[Path]:
    """``KnownRoots.spellings`` of ``paths`` by the roots of the dataset (of the project,
    to find the dataset), read for this call alone."""
    return KnownRoots(store, dataset_id).spellings(paths)


def _under(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies in it (both absolute and normalised)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
