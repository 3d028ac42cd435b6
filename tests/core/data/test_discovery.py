"""Walking folders (links, loops, hidden files, unreadable folders) and sniffing kinds."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.data import discovery
from ssl_studio.core.data.discovery import Found, WalkProblem, sniff, walk
from ssl_studio.core.data.records import ImportProblem


def found(path) -> Found:
    info = path.stat()
    return Found(path, path.parent, info.st_size, info.st_mtime_ns)


def test_walk_is_recursive_skips_hidden_and_survives_symlink_loops(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.png").write_bytes(b"x")
    (tmp_path / "a" / "y.csv").write_bytes(b"1")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "obj").write_bytes(b"z")
    (tmp_path / ".DS_Store").write_bytes(b"z")
    os.symlink(tmp_path, tmp_path / "a" / "b" / "loop")  # a cycle back to the top
    os.symlink(tmp_path / "a" / "y.csv", tmp_path / "again.csv")  # a second name, same file
    os.symlink(tmp_path / "gone", tmp_path / "broken")
    entries = list(walk([tmp_path]))
    files = sorted(e.rel_path for e in entries if isinstance(e, Found))
    problems = [e for e in entries if isinstance(e, WalkProblem)]
    assert files == ["a/b/x.png", "a/y.csv"]
    assert [p.problem.code for p in problems] == ["broken-link"]


def test_a_file_given_directly_is_its_own_root(tmp_path):
    (tmp_path / "one.npy").write_bytes(b"x")
    [entry] = walk([tmp_path / "one.npy"])
    assert entry.rel_path == "one.npy"


def test_an_unreadable_folder_is_reported_and_the_walk_goes_on(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "ok.png").write_bytes(b"x")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    entries = list(walk([tmp_path]))
    assert [e.rel_path for e in entries if isinstance(e, Found)] == ["open/ok.png"]
    [problem] = [e for e in entries if isinstance(e, WalkProblem)]
    assert problem.problem.code == "unreadable" and "read access" in problem.problem.message


def test_kinds_are_recognised_by_content_not_name(tmp_path, dicom_file):
    shutil.copy(dicom_file("CT_small.dcm"), tmp_path / "scan.jpg")  # DICOM with a wrong name
    shutil.copy(dicom_file("CT_small.dcm"), tmp_path / "IM0001")  # no extension
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "image.dat", format="PNG")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "tile.tif")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "photo.jpeg")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "old.bmp")
    (tmp_path / "series.TSV").write_text("1\t2\n")
    shutil.copy(dicom_file("no_meta.dcm"), tmp_path / "raw.dcm")  # no preamble, no DICM
    kinds = {
        name: sniff(found(tmp_path / name))
        for name in (
            "scan.jpg",
            "IM0001",
            "image.dat",
            "tile.tif",
            "photo.jpeg",
            "old.bmp",
            "series.TSV",
            "raw.dcm",
        )
    }
    assert kinds == {
        "scan.jpg": "dicom",
        "IM0001": "dicom",
        "image.dat": "png",
        "tile.tif": "tiff",
        "photo.jpeg": "jpeg",
        "old.bmp": "bmp",
        "series.TSV": "series",
        "raw.dcm": "dicom-raw",
    }


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.png", b"", "empty"),
        ("fake.png", b"this is text, not a picture\n" * 4, "not-data"),
        ("README", b"notes about the study\n", "not-data"),
    ],
)
def test_files_that_are_not_data(tmp_path, name, content, code):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImportProblem) as info:
        sniff(found(tmp_path / name))
    assert info.value.code == code
