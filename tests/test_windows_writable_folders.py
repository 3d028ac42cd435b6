"""Whether a folder may be written is found out by writing in it. On Windows
``os.access(folder, os.W_OK)`` looks only at the Read-only attribute, which a folder's ACL
never sets: a colleague's project the ACL lets the user only read reads as writable. And
Python's tempfile, refused there, tries 10 000 names before a misleading error (CPython
gh-66305). Simulated: os.access says yes to every folder, and the folder refuses new
files (os.open with O_CREAT or O_TMPFILE: PermissionError, as Windows says it)."""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export import predict_job
from ssl_studio.core.folder_access import folder_writable, probe_writable
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

_CREATING = os.O_CREAT | getattr(os, "O_TMPFILE", 0)


def refuse_new_files(monkeypatch, folder: Path) -> None:
    """``folder`` refuses new files as a Windows ACL granting only Read does, and
    os.access says every folder is writable, as on Windows."""
    real_open, real_access = os.open, os.access

    def open_(path, flags, *args, **kwargs):
        target = Path(os.fsdecode(path)).absolute()
        if flags & _CREATING and folder in (target, target.parent):
            raise PermissionError(errno.EACCES, "Access is denied", os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and os.path.isdir(path):
            return True
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "access", access)


def cannot_make_the_shm_file(monkeypatch) -> None:
    """SQLite reading a WAL database (mode=ro, not immutable) says SQLITE_CANTOPEN, as it
    does on Windows where it may not make the -shm file beside the database."""
    real = sqlite3.connect

    class CantOpen(sqlite3.Connection):
        def execute(self, *args, **kwargs):
            exc = sqlite3.OperationalError("unable to open database file")
            exc.sqlite_errorname = "SQLITE_CANTOPEN"
            exc.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN
            raise exc

    def connect(database, *args, **kwargs):
        text = os.fsdecode(database)
        if kwargs.get("uri") and "mode=ro" in text and "immutable=1" not in text:
            kwargs["factory"] = CantOpen
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


def test_a_colleagues_project_the_acl_keeps_read_only_opens_for_viewing(tmp_path, monkeypatch):
    project = create_project(tmp_path / "project")
    refuse_new_files(monkeypatch, project)
    cannot_make_the_shm_file(monkeypatch)
    with Store.open(project) as store:  # immutable: nothing can change it there
        assert store.datasets() == []


def test_a_writable_project_that_cannot_open_is_not_read_as_immutable(tmp_path, monkeypatch):
    """SQLITE_CANTOPEN in a folder that may be written is another problem: said, never
    read past as immutable (that could read half-written pages)."""
    project = create_project(tmp_path / "project")
    cannot_make_the_shm_file(monkeypatch)
    with pytest.raises(Exception, match="cannot be opened|unable to open"):
        Store.open(project).close()


class _Session:
    """An ONNX session's stand-in: one class for every image."""

    def run(self, _names: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return [np.tile([[0.25, 0.75]], (len(feeds["x"]), 1))]


@pytest.fixture
def model_and_scan(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """(an export folder whose model is a stand-in, a folder with one scan)."""
    spec = {"modality": "image", "in_channels": 1, "image_size": 32, "cache_size": 64}
    card = {"spec": spec, "classes": ["no", "yes"]}
    monkeypatch.setattr(predict_job, "_session", lambda _folder: (_Session(), card))
    (tmp_path / "model").mkdir()
    scans = tmp_path / "scans"
    scans.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(scans / "a.png")
    return tmp_path / "model", scans


def test_predict_refuses_a_folder_the_acl_keeps_read_only(tmp_path, monkeypatch, model_and_scan):
    model, scans = model_and_scan
    shared = tmp_path / "shared"
    shared.mkdir()
    refuse_new_files(monkeypatch, shared)
    with pytest.raises(ConfigError, match="cannot be written to; choose another place"):
        predict_job.predict(model, [scans], shared / "p.csv")
    assert list(shared.iterdir()) == []


def test_predict_writes_where_it_may(tmp_path, model_and_scan):
    model, scans = model_and_scan
    counts = predict_job.predict(model, [scans], tmp_path / "p.csv")
    assert counts["items"] == 1 and (tmp_path / "p.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "p.csv", "scans"]


@pytest.fixture
def windows(monkeypatch) -> None:
    """sys.platform is win32, and tempfile (10 000 tries there) may not be used."""
    monkeypatch.setattr(sys, "platform", "win32")

    def refused(*args, **kwargs):
        raise AssertionError("tempfile tries 10 000 names in a folder the ACL refuses")

    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refused)


def test_the_probe_on_windows_makes_one_file_and_deletes_it(tmp_path, monkeypatch, windows):
    made: list[str] = []
    real = os.open

    def open_(path, flags, *args, **kwargs):
        made.append(Path(os.fsdecode(path)).name)
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    assert folder_writable(tmp_path)
    assert len(made) == 1 and made[0].startswith(".write-probe-")
    assert list(tmp_path.iterdir()) == []


def test_the_probe_on_windows_says_no_at_once_where_the_acl_refuses(tmp_path, monkeypatch, windows):
    refuse_new_files(monkeypatch, tmp_path)
    assert not folder_writable(tmp_path)
    with pytest.raises(PermissionError):
        probe_writable(tmp_path)


def test_the_probe_on_windows_takes_another_name_when_one_is_taken(tmp_path, monkeypatch, windows):
    import secrets

    (tmp_path / ".write-probe-0000aaaa").write_text("someone's")
    names = iter(["0000aaaa", "0000bbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    assert folder_writable(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [".write-probe-0000aaaa"]


@pytest.mark.parametrize(
    ("error", "writable"),
    [(errno.EROFS, False), (errno.EACCES, False), (errno.ENOSPC, True), (errno.ENOENT, False)],
)
def test_only_a_refusal_makes_a_folder_unwritable(tmp_path, monkeypatch, error, writable):
    """A read-only disk or permissions: not writable; a full disk is not what is asked."""

    def temporary_file(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)
    assert folder_writable(tmp_path) is writable
