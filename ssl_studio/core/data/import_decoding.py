"""The decoding phase of an import (a mixin of Importer, see importer.py): which files go
to the decoders and how (their CSV layout, or refused from this dataset), the decoders'
results committed every ``_COMMIT_SECONDS``, and progress at most every
``_PROGRESS_SECONDS``, with the time left while files are decoded."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ssl_studio.core.cores import usable_cores
from ssl_studio.core.data import file_progress
from ssl_studio.core.data.cache import CacheWriter
from ssl_studio.core.data.decode import FILE_KINDS, DecodeTask
from ssl_studio.core.data.import_naming import JOB
from ssl_studio.core.data.parallel import decode_files, fewer_workers_note
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.events import EtaClock, Message, Progress

if TYPE_CHECKING:
    from ssl_studio.core.data.importer import _Candidate

_COMMIT_SECONDS = 0.5
_PROGRESS_SECONDS = 0.2


class ImportDecoding:
    """Decoding methods of Importer (see the module docstring)."""

    def _layout(self, candidate: _Candidate) -> str:
        """The CSV layout to read a file with: a file an unfinished import recorded, read
        again only for its identifiers, is read as that import read it (not with this
        import's --csv-layout, which may refuse it: it was readable all the same)."""
        before = candidate.before
        if candidate.refresh and before is not None and before.layout:
            return before.layout
        return self.cfg.csv_layout

    def _refusal(self, candidate: _Candidate) -> ImportProblem | None:
        """Why a recognised file does not belong in this dataset, if it does not."""
        kind = FILE_KINDS[candidate.sniffed]
        if self.modality == "timeseries" and kind != "series":
            return ImportProblem(
                "other-modality",
                f"A {candidate.sniffed.upper()} file in a time-series dataset: import images "
                "into a dataset of their own.",
                severity="skipped",
            )
        if self.modality == "image" and kind == "series":
            return ImportProblem(
                "other-modality",
                "A series/table file in an image dataset: labels are added in the fine-tune "
                "step; import series into a dataset of their own.",
                severity="skipped",
            )
        if self.cfg.kind in ("dicom", "image") and kind != self.cfg.kind:
            return ImportProblem(
                "kind-filter",
                f"Left out: only {self.cfg.kind} files were asked for.",
                severity="skipped",
            )
        return None

    # ---- decoding ----------------------------------------------------------------------------

    def _decode_all(self, candidates: list[_Candidate], size: int, cache: CacheWriter) -> None:
        tasks: list[tuple[_Candidate, DecodeTask]] = []
        batch: list[tuple[_Candidate, DecodedFile]] = []
        for candidate in candidates:
            if not (candidate.sniffed or candidate.problem):
                continue  # not scanned: the import was cancelled
            if candidate.problem:
                batch.append((candidate, DecodedFile(kind="", problems=[candidate.problem])))
                continue
            # a DICOM file left out (another kind than asked) may still name the patient
            # its neighbours' paths name (a PNG in the folder of its patient's DICOM
            # files): its header's identifiers are read all the same
            if not candidate.refresh:
                candidate.refused = self._refusal(candidate)
            if candidate.refused and FILE_KINDS[candidate.sniffed] != "dicom":
                batch.append((candidate, DecodedFile(kind="")))  # (refused: _commit)
                continue
            tasks.append(
                (
                    candidate,
                    DecodeTask(
                        str(candidate.found.path),
                        candidate.sniffed,
                        size,
                        self.salt,
                        self._layout(candidate),
                        self.cfg.sampling_rate,
                        self.csv_prefer,
                        identifiers_only=candidate.refresh or candidate.refused is not None,
                    ),
                )
            )
        if self.modality == "timeseries":  # path order: the first file's columns give
            tasks.sort(key=lambda pair: str(pair[0].found.path))  # the channel order
        else:  # largest first (workers end together), ties by path: never by the walk's
            tasks.sort(key=_largest_first)  # order, which the file system chooses
        self.total = len(candidates)
        self.done = 0
        self.eta = EtaClock()
        self._commit(batch, cache)
        last_commit = time.perf_counter()
        batch = []
        # (an explicit --workers over what the system allows is lowered, and said)
        if note := fewer_workers_note(self.cfg.workers, files=len(tasks)):
            self.report(Message(JOB, note))
        results = decode_files(
            tasks,
            self.decoder,
            workers=self.cfg.workers or usable_cores(),
            stop=self.stop,
            warn=lambda text: self.report(Message(JOB, text, level="warning")),
            # recorded, and so numbered, in the order of ``tasks`` whichever worker ends
            # first: the same folder imported again gets the same item ids, so the same
            # seed gives the same split and training order (and series their channel order:
            # see ChannelOrder)
            ordered=True,
        )
        self._waiting = batch  # (files decoded, not yet saved: _file_read counts them)
        with file_progress.reporting_to(self._file_read):  # (files read in this process)
            for candidate, result in results:
                batch.append((candidate, result))
                if self.stop.paused:  # keep what is done; no new file goes out meanwhile
                    self._commit(batch, cache)
                    batch = self._waiting = []
                    self.stop.wait_while_paused()
                if time.perf_counter() - last_commit > _COMMIT_SECONDS:
                    self._commit(batch, cache)
                    batch, last_commit = [], time.perf_counter()
                self._waiting = batch
        self._commit(batch, cache)
        self._progress("decode", self.done, self.total, force=True)

    # ---- reporting ---------------------------------------------------------------------------

    def _file_read(self, done: int, total: int) -> None:
        """A file decoded in this process has ``done`` of its ``total`` bytes read (the
        files before it: those saved and those decoded since the last save)."""
        before = self.done + len(self._waiting)
        self._progress("decode", before, self.total, fraction=done / max(total, 1))

    def _progress(
        self,
        phase: str,
        done: int,
        total: int | None,
        force: bool = False,
        fraction: float | None = None,
    ) -> None:
        now = time.perf_counter()
        if not force and now - self._last_progress < _PROGRESS_SECONDS:
            return
        self._last_progress = now
        eta = self.eta.eta(done, total) if phase == "decode" and fraction is None else None
        counts = self.tally.counts()
        self.report(
            Progress(
                JOB,
                done=done,
                total=total,
                eta_s=eta,
                phase=phase,
                counts=counts,
                file_fraction=None if fraction is None else round(min(fraction, 1.0), 4),
            )
        )


def _largest_first(pair: tuple[_Candidate, DecodeTask]) -> tuple[int, str, str]:
    """The order files go to the decoders, and are recorded in, for images: largest first,
    then by path within their folder (then the folder's path, when several are imported)."""
    found = pair[0].found
    return -found.size, found.rel_path, str(found.root)
