"""Files marked read-only. Windows refuses to replace or delete a file whose Read-only
attribute is set (a file copied from a read-only share or a disc keeps it); Linux and
macOS replace and delete it (the folder's permissions decide). Simulated: sys.platform is
win32, and os.replace, os.unlink and os.remove refuse a file without its write bit, as
Windows does. A refused replace says the file is marked read-only (not "close it in the
program that has it open"), a temporary file left read-only is still deleted without
hiding the error, and a folder deleted with such files in it goes."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core import atomic_files
from ssl_studio.core.atomic_files import (
    remove_partial_writes,
    replacing,
    write_text_atomically,
)
from ssl_studio.core.errors import FileInUseError, ReadOnlyFileError
from ssl_studio.core.export import predict_job  # (torch: imported before win32 is simulated)
from ssl_studio.core.project.deleting import delete_folder


def _read_only(path, dir_fd=None) -> bool:
    try:
        st = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return stat.S_ISREG(st.st_mode) and not st.st_mode & stat.S_IWRITE


def _denied(path) -> PermissionError:
    return PermissionError(13, "Access is denied", os.fsdecode(path))


@pytest.fixture
def windows(monkeypatch) -> list[float]:
    """sys.platform is win32; files marked read-only are neither replaced nor deleted;
    the waits between tries are recorded, not slept."""
    waits: list[float] = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(atomic_files.time, "sleep", waits.append)
    real_replace, real_unlink = os.replace, os.unlink

    def replace(src, dst, *args, **kwargs):
        if _read_only(dst):
            raise _denied(dst)
        return real_replace(src, dst, *args, **kwargs)

    def unlink(path, *, dir_fd=None):
        if _read_only(path, dir_fd):
            raise _denied(path)
        return real_unlink(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "remove", unlink)
    return waits


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".tmp-*"))


def test_replacing_a_file_marked_read_only_on_windows_says_so(tmp_path, windows):
    target = tmp_path / "predictions.csv"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(ReadOnlyFileError) as info:
        write_text_atomically(target, "new")
    message = str(info.value)
    assert f"Cannot write {target}: the file is marked read-only" in message
    assert "untick Read-only" in message and "another program" not in message
    assert not isinstance(info.value, FileInUseError)
    assert target.read_text() == "old" and temporaries(tmp_path) == []
    assert windows == []  # said at once: waiting never clears the mark


def test_a_file_marked_read_only_while_it_is_written_is_said_at_once(tmp_path, windows):
    """Marked read-only after the write began (by another program): the rename is refused
    and the error says why, without waiting 2 s for a program to let go of it."""
    target = tmp_path / "labels.csv"
    target.write_text("old")
    with pytest.raises(ReadOnlyFileError), replacing(target, text=True) as f:
        f.write("new")
        target.chmod(0o444)
    assert target.read_text() == "old" and temporaries(tmp_path) == [] and windows == []


def test_a_read_only_temporary_file_goes_and_the_real_error_stays(tmp_path, monkeypatch, windows):
    """A file written with a read-only mode whose rename fails (another program holds the
    target): the temporary file is deleted all the same (its mark cleared first), and the
    error raised is the one that stopped the write."""
    target = tmp_path / "model.pt"
    target.write_bytes(b"old")
    replace = os.replace

    def held(src, dst, *args, **kwargs):
        if Path(dst) == target:
            raise _denied(dst)
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", held)
    with pytest.raises(FileInUseError), replacing(target, mode=0o444) as f:
        f.write(b"new")
    assert target.read_bytes() == b"old" and temporaries(tmp_path) == []


def test_on_linux_a_file_marked_read_only_is_replaced_as_before(tmp_path):
    target = tmp_path / "predictions.csv"
    target.write_text("old")
    target.chmod(0o444)
    write_text_atomically(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o444


def test_leftover_temporary_files_marked_read_only_are_removed_on_windows(tmp_path, windows):
    left = tmp_path / ".tmp-abc.pt"
    left.write_bytes(b"half")
    left.chmod(0o444)
    assert remove_partial_writes(tmp_path, ".pt") == 1 and not left.exists()


def test_a_run_folder_with_files_marked_read_only_is_deleted_on_windows(tmp_path, windows):
    run = tmp_path / "runs" / "3"
    (run / "checkpoints").mkdir(parents=True)
    for path in (run / "config.json", run / "checkpoints" / "step-10.pt"):
        path.write_text("x")
        path.chmod(0o444)  # (a copy of a read-only project keeps the marks)
    assert delete_folder(run, tmp_path) is None
    assert not run.exists()


def test_on_linux_a_refused_deletion_is_said_and_changes_no_mode(tmp_path, monkeypatch):
    run = tmp_path / "runs" / "3"
    run.mkdir(parents=True)
    (run / "config.json").write_text("x")
    chmods: list[tuple] = []

    def unlink(path, *, dir_fd=None):
        raise _denied(path)

    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: chmods.append(args))
    why = delete_folder(run, tmp_path)
    assert why is not None and "could not be deleted (Access is denied)" in why
    assert chmods == [] and (run / "config.json").exists()


def test_predicting_over_a_file_marked_read_only_on_windows_is_refused_before_any_work(
    tmp_path, monkeypatch, windows
):
    """``predict --overwrite`` onto a file marked read-only: said before the first
    prediction, not at the final rename after all of them."""
    runs: list[int] = []

    class Session:  # (an ONNX session's stand-in that counts what it is asked)
        def run(self, _names: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
            runs.append(len(feeds["x"]))
            return [np.tile([[0.25, 0.75]], (len(feeds["x"]), 1))]

    spec = {"modality": "image", "in_channels": 1, "image_size": 32, "cache_size": 64}
    card = {"spec": spec, "classes": ["no", "yes"]}
    monkeypatch.setattr(predict_job, "_session", lambda _folder: (Session(), card))
    (tmp_path / "model").mkdir()
    (tmp_path / "scans").mkdir()
    pixels = np.random.default_rng(0).integers(0, 255, (32, 32), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "scans" / "a.png")
    out = tmp_path / "predictions.csv"
    out.write_text("old")
    out.chmod(0o444)
    with pytest.raises(ReadOnlyFileError, match="marked read-only"):
        predict_job.predict(tmp_path / "model", [tmp_path / "scans"], out, overwrite=True)
    assert runs == [] and out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "predictions.csv", "scans"]
