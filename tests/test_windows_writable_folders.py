"""Whether a folder may be written is found out by writing in it. On Windows
``os.access(folder, os.W_OK)`` looks only at the Read-only attribute, which a folder's ACL
never sets: a colleague's project the ACL lets the user only read reads as writable. And
Python's tempfile, refused there, tries up to TMP_MAX names (2**31 - 1 on Python 3.11 and
3.12 under Windows: hours) before a misleading error (CPython gh-66305). Simulated:
os.access says yes to every folder, and the folder refuses new files (os.open with O_CREAT
or O_TMPFILE: PermissionError, as Windows says it)."""

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

from ssl_studio.core import folder_access
from ssl_studio.core.atomic_files import write_text_atomically
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
    """sys.platform is win32, and tempfile (up to 2**31 - 1 tries there) may not be used."""
    monkeypatch.setattr(sys, "platform", "win32")

    def refused(*args, **kwargs):
        raise AssertionError("tempfile tries for hours in a folder the ACL refuses")

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


def counted_opens(monkeypatch) -> list[str]:
    """The names os.open is asked for, from now on."""
    asked: list[str] = []
    real = os.open

    def open_(path, flags, *args, **kwargs):
        asked.append(os.fsdecode(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    return asked


def test_a_temporary_file_on_windows_is_refused_at_once_where_the_acl_refuses(
    tmp_path, monkeypatch, windows
):
    """Not 2**31 - 1 names on the GUI thread: the first refusal is the answer."""
    refuse_new_files(monkeypatch, tmp_path)
    asked = counted_opens(monkeypatch)
    with pytest.raises(PermissionError) as raised:
        folder_access.make_temp_file(tmp_path, ".tmp-", ".csv")
    assert not isinstance(raised.value, FileExistsError)
    assert len(asked) == 1 <= folder_access._NAME_TRIES
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_file_on_windows_is_new_private_and_named_as_asked(
    tmp_path, monkeypatch, windows
):
    import secrets

    (tmp_path / ".tmp-0000aaaa.csv").write_text("someone's")  # a file has the name
    (tmp_path / ".tmp-0000bbbb.csv").mkdir()  # a folder has it: Windows says access denied
    real = os.open

    def open_(path, flags, *args, **kwargs):
        if os.path.isdir(path):
            raise PermissionError(errno.EACCES, "Access is denied", os.fsdecode(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    names = iter(["0000aaaa", "0000bbbb", "0000cccc"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    fd, path = folder_access.make_temp_file(tmp_path, ".tmp-", ".csv")
    os.close(fd)
    assert path == str(tmp_path.absolute() / ".tmp-0000cccc.csv")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert (tmp_path / ".tmp-0000aaaa.csv").read_text() == "someone's"


def test_writing_a_file_over_on_windows_where_the_acl_refuses_fails_at_once(
    tmp_path, monkeypatch, windows
):
    (tmp_path / "labels.csv").write_text("old")
    refuse_new_files(monkeypatch, tmp_path)
    with pytest.raises(PermissionError):
        write_text_atomically(tmp_path / "labels.csv", "new")
    assert [p.name for p in tmp_path.iterdir()] == ["labels.csv"]
    assert (tmp_path / "labels.csv").read_text() == "old"


def test_a_temporary_file_elsewhere_is_tempfiles(tmp_path, monkeypatch):
    """Linux and macOS: exactly tempfile.mkstemp."""
    monkeypatch.setattr(sys, "platform", "linux")
    asked: list[tuple] = []
    monkeypatch.setattr(tempfile, "mkstemp", lambda **kwargs: asked.append(kwargs) or (7, "x"))
    assert folder_access.make_temp_file(tmp_path, ".p-", ".csv") == (7, "x")
    assert asked == [{"prefix": ".p-", "suffix": ".csv", "dir": tmp_path}]


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


@pytest.fixture
def labeled(tmp_path) -> Path:
    """A project whose dataset "scans" (two images) has the label set "finding"."""
    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data
    from ssl_studio.core.labels import set_labels

    scans = tmp_path / "scans"
    scans.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(scans / name)
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[scans], workers=1))
    with Store.open(project) as store:
        ids = [int(i["id"]) for i in store.items(store.dataset_named("scans")["id"])]
    set_labels(project, "scans", dict.fromkeys(ids, "no"), name="finding")
    return project


CHOOSE_ANOTHER = "may not be written (its permissions or a read-only disk refuse new files)"


def test_exporting_labels_in_the_app_where_the_acl_refuses_says_to_choose_another_folder(
    tmp_path, monkeypatch, qtbot, labeled, windows
):
    from PySide6.QtWidgets import QWidget

    from ssl_studio.gui import label_export

    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "labels.csv").write_text("old")  # (the save dialog asked to replace it)
    refuse_new_files(monkeypatch, shared)
    out = str(shared / "labels.csv")
    monkeypatch.setattr(label_export.QFileDialog, "getSaveFileName", lambda *a: (out, ""))
    said: list[str] = []
    monkeypatch.setattr(label_export.dialogs, "show_error", lambda _p, _t, text: said.append(text))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert not label_export.export_labels_dialog(parent, labeled, "scans")
    assert len(said) == 1 and CHOOSE_ANOTHER in said[0]
    assert "Save the labels in another folder" in said[0] and ".tmp-" not in said[0]
    assert (shared / "labels.csv").read_text() == "old"


def test_exporting_labels_from_the_command_line_where_refused_says_what_to_do(
    tmp_path, monkeypatch, capsys, labeled
):
    from ssl_studio.cli import EXIT_FAILED, main

    shared = tmp_path / "shared"
    shared.mkdir()
    real = Path.open

    def open_(self, mode="r", *args, **kwargs):
        if "x" in mode and self.parent == shared:  # (a folder Windows' ACL keeps read-only)
            raise PermissionError(errno.EACCES, "Access is denied", str(self))
        return real(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    argv = ["labels", str(labeled), "--dataset", "scans", "--export", str(shared / "l.csv")]
    assert main(argv) == EXIT_FAILED
    err = capsys.readouterr().err
    assert CHOOSE_ANOTHER in err and "Save the labels in another folder" in err
