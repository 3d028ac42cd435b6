"""Folders on Windows inherit their parent's ACL. Since Python 3.11.10 / 3.12.4 (CPython
gh-118486) ``os.mkdir(path, 0o700)`` and ``tempfile.mkdtemp()`` there give a folder an
owner-only ACL that blocks inheritance: a team's project (IT grants the group Modify on
the project folder, README "For IT") would keep colleagues out of cache/, runs/ and every
export. Simulated here: sys.platform is win32 and every os.mkdir is recorded, to show none
asks for 0o700 and mkdtemp is not used. On Linux and macOS the modes stay as they were."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from ssl_studio.core.atomic_files import NEW_FOLDER_MODE
from ssl_studio.core.export.work_folder import WorkFolder
from ssl_studio.core.project.layout import ProjectPaths

DEFAULT_MODE = 0o777  # what os.mkdir gets without a mode (Path.mkdir passes it)


@pytest.fixture
def made(monkeypatch) -> list[tuple[str, int]]:
    """Every os.mkdir: (name, mode), the folder made as asked (the mode as given)."""
    calls: list[tuple[str, int]] = []
    real = os.mkdir

    def mkdir(path, mode=DEFAULT_MODE, *args, **kwargs):
        calls.append((Path(path).name, mode))
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    return calls


@pytest.fixture
def windows(monkeypatch) -> None:
    """sys.platform is win32, and tempfile.mkdtemp may not be used."""
    monkeypatch.setattr(sys, "platform", "win32")

    def mkdtemp(*args, **kwargs):
        raise AssertionError("mkdtemp gives the folder an owner-only ACL on Windows")

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)


def test_a_new_project_on_windows_inherits_its_parents_acl(tmp_path, made, windows):
    ProjectPaths(tmp_path / "study" / "project").make_new()
    names = [name for name, _ in made]
    assert {"study", "project", "cache", "runs", "exports"} <= set(names), names
    assert all(mode == DEFAULT_MODE for _, mode in made), made  # never 0o700


def test_a_new_project_on_linux_is_private_as_before(tmp_path, made):
    paths = ProjectPaths(tmp_path / "project")
    paths.make_new()
    assert dict(made)["cache"] == dict(made)["runs"] == 0o700
    for folder in (paths.root, paths.cache, paths.runs):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(paths.exports.stat().st_mode) == NEW_FOLDER_MODE
    assert stat.S_IMODE(paths.db.stat().st_mode) == 0o600


def test_an_export_work_folder_on_windows_inherits_its_parents_acl(tmp_path, made, windows):
    out = tmp_path / "exports" / "model"
    out.parent.mkdir()
    made.clear()
    work = WorkFolder(out)
    try:
        assert work.path.parent == out.parent and work.path.name.startswith(".model-")
        assert made == [(work.path.name, DEFAULT_MODE)]
    finally:
        work.discard()
    assert not work.path.exists()


def test_an_export_work_folder_on_windows_takes_another_name_when_one_is_taken(
    tmp_path, monkeypatch, made, windows
):
    import secrets

    (tmp_path / ".model-0000aaaa").mkdir()
    names = iter(["0000aaaa", "0000bbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    made.clear()
    work = WorkFolder(tmp_path / "model")
    try:
        assert work.path == tmp_path / ".model-0000bbbb"
        assert [mode for _, mode in made] == [DEFAULT_MODE, DEFAULT_MODE]
    finally:
        work.discard()


def test_an_export_work_folder_on_linux_is_private_until_finished(tmp_path):
    out = tmp_path / "model"
    work = WorkFolder(out)
    assert stat.S_IMODE(work.path.stat().st_mode) == 0o700  # (mkdtemp, as before)
    work.finish(out)
    assert out.is_dir()


def test_a_scratch_folder_on_windows_inherits_its_parents_acl_and_goes(tmp_path, made, windows):
    from ssl_studio.core.project.scratch import scratch_folder

    with scratch_folder(tmp_path) as folder:
        (folder / "model.pt").write_bytes(b"x")
        assert folder.parent == tmp_path and made == [(folder.name, DEFAULT_MODE)]
    assert not folder.exists()


def test_a_scratch_folder_on_linux_is_a_temporary_directory(tmp_path):
    from ssl_studio.core.project.scratch import scratch_folder

    with scratch_folder(tmp_path) as folder:
        assert folder.parent == tmp_path and folder.name.startswith("scratch-")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not folder.exists()
