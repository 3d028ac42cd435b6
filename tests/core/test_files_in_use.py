"""Windows refuses to replace or delete a file another program holds open (Excel showing
predictions.csv, an antivirus scanning a new file): PermissionError, simulated here. Such
a hold is tried again for about 2 s; then the error names the file and says to close it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ssl_studio.core import atomic_files
from ssl_studio.core.atomic_files import write_text_atomically
from ssl_studio.core.errors import FileInUseError
from ssl_studio.core.export.work_folder import WorkFolder


@pytest.fixture
def windows(monkeypatch) -> list[float]:
    """sys.platform is win32, and the waits between tries are recorded, not slept."""
    waits: list[float] = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(atomic_files.time, "sleep", waits.append)
    return waits


def held(monkeypatch, times: int) -> list[tuple[str, str]]:
    """os.replace refuses ``times`` times (as Windows does while the target is open),
    then works; returns the (source, target) of every refused try."""
    real, refused = os.replace, []

    def replace(src, dst, *args, **kwargs):
        if len(refused) < times:
            refused.append((os.fspath(src), os.fspath(dst)))
            raise PermissionError(13, "Access is denied", os.fspath(src), None, os.fspath(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return refused


def test_a_file_held_for_a_moment_is_replaced_once_it_is_let_go(tmp_path, monkeypatch, windows):
    out = tmp_path / "predictions.csv"
    out.write_text("old", encoding="utf-8")
    refused = held(monkeypatch, 3)
    write_text_atomically(out, "new")
    assert out.read_text(encoding="utf-8") == "new" and len(refused) == 3
    assert len(windows) == 3 and windows == sorted(windows)  # waits that grow
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]


def test_a_file_held_open_is_named_with_what_to_do(tmp_path, monkeypatch, windows):
    out = tmp_path / "predictions.csv"
    out.write_text("old", encoding="utf-8")
    refused = held(monkeypatch, 1000)
    with pytest.raises(FileInUseError) as info:
        write_text_atomically(out, "new")
    assert isinstance(info.value, PermissionError)  # (callers that expect an OSError)
    message = str(info.value)
    assert str(out) in message and ".tmp-" not in message  # the file, not the temporary
    assert "Close it in Excel or any other program that has it open" in message
    assert 1.5 <= sum(windows) <= 3 and len(refused) == len(windows) + 1
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]  # no temporary


def test_elsewhere_a_refusal_is_not_tried_again(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    held(monkeypatch, 1)
    with pytest.raises(PermissionError) as info:
        write_text_atomically(tmp_path / "a.csv", "new")
    assert not isinstance(info.value, FileInUseError)


def test_an_export_folder_scanned_for_a_moment_is_renamed_once_it_is_let_go(
    tmp_path, monkeypatch, windows
):
    out = tmp_path / "model-export"
    work = WorkFolder(out)
    (work.path / "model.onnx").write_bytes(b"x")
    real, tries = Path.rename, []

    def rename(self, target):
        tries.append(target)
        if len(tries) < 3:
            raise PermissionError(13, "Access is denied", str(self), None, str(target))
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    work.finish(out)
    assert (out / "model.onnx").read_bytes() == b"x" and len(windows) == 2
