"""Atomic writes: a write that fails anywhere leaves the old file whole and no temporary
file; a finished one is flushed to the disk, then renamed, then its folder flushed."""

from __future__ import annotations

import errno
import json
import os

import pytest

from ssl_studio.core import atomic_files
from ssl_studio.core.atomic_files import (
    NEW_FILE_MODE,
    replacing,
    sync_folder,
    write_json_atomically,
)

OLD = {"accuracy": {"value": 0.9}}


def _full_disk(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path, monkeypatch, failing
):
    path = tmp_path / "evaluation.json"
    write_json_atomically(path, OLD)
    if failing == "write":  # the disk fills up half-way through the text
        real = os.fdopen

        def half(fd, *args, **kwargs):
            file = real(fd, *args, **kwargs)
            write = file.write

            def cut(text):
                write(text[: len(text) // 2])
                file.flush()
                _full_disk()

            file.write = cut
            return file

        monkeypatch.setattr(os, "fdopen", half)
    else:
        monkeypatch.setattr(os, failing, _full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_json_atomically(path, {"accuracy": {"value": 0.5}, "versus_baseline": {}})
    monkeypatch.undo()
    assert json.loads(path.read_text(encoding="utf-8")) == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["evaluation.json"]


def test_an_error_inside_the_block_keeps_the_old_file(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError), replacing(path, text=True) as f:
        f.write("new, then a bug\n")
        raise RuntimeError
    assert path.read_text() == "old\n" and len(list(tmp_path.iterdir())) == 1


def test_the_file_then_its_folder_are_flushed_around_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append("fsync")
        real_fsync(fd)

    def replace(source, target):
        calls.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    path = tmp_path / "config.json"
    write_json_atomically(path, {"seed": 0})
    assert calls == ["fsync", "replace"] + ["fsync"] * hasattr(os, "O_DIRECTORY")
    assert json.loads(path.read_text()) == {"seed": 0}


def test_modes_are_kept_when_written_over_and_usual_when_new(tmp_path):
    new = tmp_path / "new.json"
    write_json_atomically(new, {})
    assert new.stat().st_mode & 0o777 == NEW_FILE_MODE  # not mkstemp's private 0o600
    shared = tmp_path / "shared.json"
    shared.write_text("{}")
    shared.chmod(0o640)
    write_json_atomically(shared, {"a": 1})
    assert shared.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symbolic_link_keeps_pointing_at_the_file_written(tmp_path):
    target = tmp_path / "real" / "labels.csv"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "labels.csv"
    link.symlink_to(target)
    with replacing(link, text=True) as f:
        f.write("new")
    assert link.is_symlink() and target.read_text() == "new"


def test_a_folder_that_cannot_be_flushed_is_no_error(tmp_path, monkeypatch):
    """Some shares refuse fsync on a folder (EINVAL); the file is in place all the same."""

    def refuse(fd):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(atomic_files.os, "fsync", refuse)
    sync_folder(tmp_path)  # (no error)
