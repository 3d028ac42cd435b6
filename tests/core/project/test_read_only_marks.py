"""What a project that cannot be written is said to need, under Windows' read-only marks
(simulated): Windows sets the Read-only attribute on folders it customises (Desktop,
Documents), where it means nothing; only a file's is a mark the user can clear."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

from ssl_studio.core.project import lock
from ssl_studio.core.project.lock import read_only_error


def windows(monkeypatch, marked: set[Path]) -> None:
    """sys.platform win32, no owner ids, and the Read-only attribute on ``marked``."""
    real = os.stat

    def fake_stat(path, *args, **kwargs):
        st = real(path, *args, **kwargs)
        if not isinstance(path, Path):  # (not the project's: pytest's own, a traceback's)
            return st
        attributes = stat.FILE_ATTRIBUTE_READONLY if path in marked else 0
        return SimpleNamespace(st_mode=st.st_mode, st_file_attributes=attributes)

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(os, "getuid", raising=False)
    monkeypatch.setattr(lock.os, "stat", fake_stat)


def test_a_folder_s_read_only_attribute_is_not_explained_as_a_mark(tmp_path, monkeypatch):
    folder = tmp_path / "Documents" / "scans project"
    folder.mkdir(parents=True)
    db = folder / "project.db"
    db.write_bytes(b"")
    windows(monkeypatch, {folder, folder.parent})
    message = str(read_only_error(db, "Access is denied", folder))
    assert "marked read-only" not in message and "untick Read-only" not in message
    assert "copy the project folder to a place you can write" in message


def test_a_file_s_read_only_attribute_is_a_mark_with_how_to_clear_it(tmp_path, monkeypatch):
    folder = tmp_path / "scans project"
    folder.mkdir()
    db = folder / "project.db"
    db.write_bytes(b"")
    windows(monkeypatch, {folder, db})
    message = str(read_only_error(db, "Access is denied", folder))
    assert "marked read-only" in message and "untick Read-only" in message
