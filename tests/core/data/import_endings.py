"""What the import-safety tests share: an import run, PNGs, a patient's folder, imports
made to end early (killed, stopped, out of disk space), and the project's bytes to look
for names in (imported as ``from import_endings import ...``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import StopToken
from ssl_studio.core.jobs import import_data


def run(project: Path, *paths: Path, **options) -> dict:
    return import_data(ImportConfig(project=project, paths=list(paths), **options))


def png(path: Path, value: int = 0, side: int = 16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((side, side), value, np.uint8)).save(path)
    return path


def touch_later(path: Path) -> None:
    """Give ``path`` a new modification time, as an edit would."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def project_bytes(project: Path) -> bytes:
    return b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())


def early_end(how: str, after: int, monkeypatch) -> tuple[StopToken, type[BaseException] | None]:
    """Make the next import end after ``after`` files were committed: ``killed`` (the
    process dies: nothing more reaches the database), ``full disk`` (the cache cannot
    grow) or ``stopped`` (the Stop button). Returns the stop token and what it raises."""
    from ssl_studio.core.data import cache, import_decoding, import_writing

    monkeypatch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
    stop = StopToken()
    real_commit = import_writing.ImportWriting._commit
    real_append = cache._Appender.append
    committed = []

    def commit(self, batch, writer):
        real_commit(self, batch, writer)
        committed.extend(batch)
        if len(committed) >= after and how == "killed":
            raise KeyboardInterrupt  # as a kill: the database gets nothing more
        if len(committed) >= after and how == "stopped":
            stop.stop()

    def append(self, data):
        if len(committed) >= after:
            raise OSError(28, "No space left on device")
        return real_append(self, data)

    monkeypatch.setattr(import_writing.ImportWriting, "_commit", commit)
    if how == "full disk":
        monkeypatch.setattr(cache._Appender, "append", append)
    raises = {"killed": KeyboardInterrupt, "full disk": SSLStudioError}.get(how)
    return stop, raises


def patient_folder(tmp_path: Path, dicom_file) -> Path:
    """study/CompressedSamples_CT1 (CT_small's patient): the DICOM file, the largest, so
    decoded first; a .dcm file that holds no DICOM header, next; then PNGs without names."""
    folder = tmp_path / "study" / "CompressedSamples_CT1"
    folder.mkdir(parents=True)
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")
    (folder / "broken.dcm").write_text("this is not a scan " * 100)  # no DICOM header
    for i in range(3):
        png(folder / f"scan{i}.png", 40 * i)
    return folder.parent


def killed_after(project: Path, study: Path, after: int, monkeypatch) -> None:
    """Import ``study`` and kill the import once ``after`` files were recorded."""
    with monkeypatch.context() as patch:
        stop, raises = early_end("killed", after, patch)
        with pytest.raises(raises):
            run(project, study, cache_size=16, workers=1)
    assert b"CompressedSamples" not in project_bytes(project)
