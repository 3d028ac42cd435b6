"""An import of a folder that holds the folders of an unfinished new dataset finishes that
dataset instead of starting another. ``ImportResume`` is a part of ``Importer``
(importer.py) kept in its own file, like ``ImportNaming``; it uses the importer's store,
config, tally, root bookkeeping and reporter.

A new dataset keeps its interim name (import_target.INTERIM_NAME) and its paths stay
[redacted] until an import of its files finishes (import_naming.py). An import of the
same folder, or of a folder inside it, goes into it (import_target.target_dataset). An
import of a folder that holds it (its parent, say) finds no dataset by its folder: it
would start a new one, decode the files again, and leave the unfinished dataset as it is
for good. So when the folders walked hold every folder an unfinished dataset was imported
from, the import goes into that dataset, as a re-import would: its items (their ids,
cached pixels and labels) stay, every file is named, and the dataset is named after the
folder imported now. It must hold the modality that a new dataset of these files would
get and the cache size asked for; one that does not (or a second one: a dataset cannot
take in another's cache) is left as it is, and a warning names it, with what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ssl_studio.core.data.discovery import WalkProblem
from ssl_studio.core.data.import_naming import JOB
from ssl_studio.core.data.import_target import INTERIM_NAME, other_cache_size
from ssl_studio.core.data.privacy import REDACTED, keyed_hash
from ssl_studio.core.events import Message
from ssl_studio.core.project.store import FileRow

if TYPE_CHECKING:
    from ssl_studio.core.data.importer import _Candidate


class ImportResume:
    """Finding and finishing an unfinished dataset (see the module docstring)."""

    def _resume_unfinished(
        self, candidates: list[_Candidate], walk_problems: list[WalkProblem]
    ) -> dict[str, Any] | None:
        """For an import that goes into no dataset, whose ``candidates`` are every file
        walked (scanned): the unfinished dataset it finishes, or None. Its files among
        ``candidates`` become what a re-import makes of them (unchanged ones are dropped,
        or only named again when its unfinished import recorded them)."""
        unfinished = [d for d in self.store.datasets() if d["name"].startswith(INTERIM_NAME)]
        if not unfinished:
            return None
        walked = _walked(candidates, self.salt)
        inside = []
        for dataset in unfinished:
            roots = self.store.root_keys(dataset["id"])
            if roots and roots <= walked.keys():
                inside.append((dataset, roots))
        if not inside:
            return None
        modality = self._new_modality(candidates, walk_problems)
        keys = {c.key for c in candidates}
        fits = [
            (len(self.store.known_files(d["id"]).keys() & keys), d["id"])
            for d, _ in inside
            if d["modality"] == modality and not other_cache_size(d, self.cfg)
        ]
        chosen = max(fits)[1] if fits else None  # the one that holds the most files
        for dataset, roots in inside:
            if dataset["id"] != chosen:
                self.stale.append((dataset, sorted(walked[k] for k in roots)))
                continue
            self.resumed_roots = roots
            for key in roots:  # (named with the others at the end)
                self.root_paths.setdefault(key, walked[key])
            known = self.store.known_files(dataset["id"])
            if self._cache_lost(dataset):  # decode every imported file again
                known = {
                    k: replace(f, size=-1) if f.status == "ok" else f for k, f in known.items()
                }
            candidates[:] = [c for c in candidates if self._again(c, known.get(c.key))]
            self.report(
                Message(
                    JOB,
                    "An earlier import of a folder inside this one did not finish: its "
                    "dataset is finished now, named once its files are read.",
                )
            )
            return dataset
        return None

    def _again(self, candidate: _Candidate, before: FileRow | None) -> bool:
        """Whether a file walked goes on to be read, as ``_discover`` tells for a
        re-import (the counts move from new to changed or unchanged)."""
        self._recall(candidate.key, candidate.root_key, candidate.found, before)
        if before is None or before.status == "missing":
            return True
        self.tally.new -= 1
        if before.size == candidate.found.size and before.mtime_ns == candidate.found.mtime_ns:
            if not (self.cfg.retry_failed and before.status == "failed"):
                self.tally.unchanged += 1
                candidate.refresh, candidate.before = before.pending, before
                return before.pending  # (recorded unnamed: its identifiers are read again)
        self.tally.changed += 1
        return True

    def _say_stale(self, show: Callable[[str], str] | None) -> None:
        """Name the unfinished datasets inside the folders walked that this import did not
        finish, with their folder as ``show`` shows it (None: the import did not know
        every identifier, so [redacted])."""
        for dataset, folders in self.stale:
            shown = ", ".join(f"'{show(f) if show else REDACTED}'" for f in folders)
            size = f" cached at {dataset['cache_size']} px" if dataset["cache_size"] else ""
            self.report(
                Message(
                    JOB,
                    f"Dataset '{dataset['name']}' ({dataset['modality']} data{size}) holds "
                    f"files of {shown} from an import that did not finish; it was not "
                    "finished here, as it does not match this import. Import that folder "
                    "again on its own, with the options it was imported with, to finish it.",
                    level="warning",
                )
            )


def _walked(candidates: list[_Candidate], salt: bytes) -> dict[str, str]:
    """Path key -> path of every file walked and of every folder between a file and the
    folder given that holds it (the folder given too)."""
    walked: dict[str, str] = {}
    folders: set[str] = set()
    for candidate in candidates:
        found = candidate.found
        walked[candidate.key] = str(found.path)
        if found.path == found.root:
            continue
        for folder in found.path.parents:
            text = str(folder)
            if text in folders:  # (and the folders above it, up to the folder given)
                break
            folders.add(text)
            walked[keyed_hash(salt, "path", text)] = text
            if folder == found.root:
                break
    return walked
