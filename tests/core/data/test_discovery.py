"""Walking folders (links, loops, hidden files, unreadable folders) and sniffing kinds."""

from __future__ import annotations

import os
import shutil
import sys

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
    # the link back to the top is left out and said so (it would read it all again)
    assert [(p.problem.code, p.problem.severity) for p in problems] == [
        ("link-up", "skipped"),
        ("broken-link", "error"),
    ]
    assert "the folder you chose itself" in problems[0].problem.message


def test_a_link_to_the_parent_folder_is_not_followed_and_is_reported(tmp_path):
    """``ln -s .. weird/loop`` read the parent folder and every study beside the folder
    chosen (other patients) into the dataset, without a word."""
    (tmp_path / "weird").mkdir()
    (tmp_path / "weird" / "x.png").write_bytes(b"x")
    (tmp_path / "other_patient").mkdir()
    (tmp_path / "other_patient" / "y.dcm").write_bytes(b"y")
    (tmp_path / "beside.png").write_bytes(b"z")
    os.symlink("..", tmp_path / "weird" / "loop")
    os.symlink(tmp_path.parent, tmp_path / "weird" / "grandparent")
    entries = list(walk([tmp_path / "weird"]))
    assert [e.rel_path for e in entries if isinstance(e, Found)] == ["x.png"]
    problems = {e.path.name: e for e in entries if isinstance(e, WalkProblem)}
    assert sorted(problems) == ["grandparent", "loop"]
    for problem in problems.values():
        assert problem.problem.code == "link-up" and problem.problem.severity == "skipped"
        assert "a folder that holds the folder you chose" in problem.problem.message
    assert problems["loop"].target == str(tmp_path.resolve())


def test_a_junction_up_is_not_followed_though_it_is_no_symbolic_link(tmp_path, monkeypatch):
    """A Windows junction (mklink /J up ..) is no symbolic link to Python 3.11
    (is_symlink() is False): the walk entered it and read the parent folder and every
    study beside the one chosen. Simulated by a link the walk is told is no link."""
    from ssl_studio.core.data import discovery

    (tmp_path / "chosen").mkdir()
    (tmp_path / "chosen" / "x.png").write_bytes(b"x")
    (tmp_path / "other_patient").mkdir()
    (tmp_path / "other_patient" / "y.dcm").write_bytes(b"y")
    os.symlink("..", tmp_path / "chosen" / "up")
    os.symlink(".", tmp_path / "chosen" / "self")
    scandir = os.scandir

    class NoLink:
        def __init__(self, entry):
            self.name = entry.name

        def is_symlink(self):
            return False

    def junctions(path):
        return [NoLink(e) for e in scandir(path)]

    monkeypatch.setattr(discovery.os, "scandir", junctions)
    entries = list(walk([tmp_path / "chosen"]))
    monkeypatch.undo()
    assert [e.rel_path for e in entries if isinstance(e, Found)] == ["x.png"]
    problems = {e.path.name: e.problem for e in entries if isinstance(e, WalkProblem)}
    assert sorted(problems) == ["self", "up"]
    assert "the folder you chose itself" in problems["self"].message
    assert "a folder that holds the folder you chose" in problems["up"].message


def test_a_link_to_a_folder_elsewhere_is_followed_and_noted_once(tmp_path):
    """Data on another disk linked into the folder is read, and the walk says where each
    such link led and how many files it found there."""
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "own.png").write_bytes(b"x")
    other = tmp_path / "disk2" / "series"
    other.mkdir(parents=True)
    for name in ("a.png", "b.png"):
        (other / name).write_bytes(name.encode())
    (other / "up").symlink_to(tmp_path / "disk2")  # a loop up, out there: not followed
    (tmp_path / "disk2" / "elsewhere.png").write_bytes(b"e")
    os.symlink(other, tmp_path / "study" / "more")
    os.symlink(other, tmp_path / "study" / "again")  # a second link to it: read once
    entries = list(walk([tmp_path / "study"]))
    files = sorted(e.rel_path for e in entries if isinstance(e, Found))
    assert files == ["again/a.png", "again/b.png", "own.png"]
    notes = [e for e in entries if isinstance(e, WalkProblem)]
    assert [(n.path.name, n.problem.code, n.problem.severity) for n in notes] == [
        ("up", "link-up", "skipped"),
        ("again", "link-outside", "info"),
    ]
    [note] = [n for n in notes if n.problem.code == "link-outside"]
    assert note.files == 2 and note.target == str(other.resolve())
    assert "outside 'study'" in note.problem.message and "2 files found" in note.problem.message


def test_a_link_back_into_the_folder_from_elsewhere_leaves_its_files_to_the_folder(tmp_path):
    """root/a/ext -> outside, outside/x/back -> root/b: root/b's files were found as
    a/ext/x/back/..., counted among the outside link's, and root/b was never walked
    itself (so what lay beside them there was missed)."""
    root, outside = tmp_path / "root", tmp_path / "out"
    for folder in (root / "a", root / "b", outside / "x"):
        folder.mkdir(parents=True)
    (root / "b" / "2.png").write_bytes(b"2")
    (outside / "x" / "1.png").write_bytes(b"1")
    os.symlink(outside, root / "a" / "ext")
    os.symlink(root / "b", outside / "x" / "back")
    entries = list(walk([root]))
    files = sorted(e.rel_path for e in entries if isinstance(e, Found))
    assert files == ["a/ext/x/1.png", "b/2.png"]
    [note] = [e for e in entries if isinstance(e, WalkProblem)]
    assert note.problem.code == "link-outside" and note.files == 1


def test_a_link_inside_the_folder_is_followed_without_a_note(tmp_path):
    (tmp_path / "study" / "real").mkdir(parents=True)
    (tmp_path / "study" / "real" / "a.png").write_bytes(b"x")
    os.symlink(tmp_path / "study" / "real", tmp_path / "study" / "alias")
    entries = list(walk([tmp_path / "study"]))
    assert [e.rel_path for e in entries if isinstance(e, Found)] == ["alias/a.png"]
    assert not [e for e in entries if isinstance(e, WalkProblem)]


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


def test_files_to_predict_skip_links_back_up_and_carry_no_notes(tmp_path):
    """``predict`` walks folders too: a link back to the folder is one line saying it was
    not followed; a link followed elsewhere is no row of its own."""
    from ssl_studio.core.export.preprocess import files_of

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(b"a")
    (tmp_path / "beside.png").write_bytes(b"b")
    (tmp_path / "disk2").mkdir()
    (tmp_path / "disk2" / "c.png").write_bytes(b"c")
    os.symlink("..", tmp_path / "in" / "up")
    os.symlink(tmp_path / "disk2", tmp_path / "in" / "more")
    entries = list(files_of([tmp_path / "in"]))
    assert [e.path.name for e in entries if isinstance(e, Found)] == ["a.png", "c.png"]
    assert [e.problem.code for e in entries if isinstance(e, WalkProblem)] == ["link-up"]


def test_a_path_too_long_for_windows_says_so_and_what_to_do(tmp_path, monkeypatch):
    """Windows without long paths says a path of 260 characters or more is not there
    (simulated): a deep PACS export was reported as a broken link."""
    deep = tmp_path
    while len(str(deep)) < 220 - 65:  # folders named by 64-character UIDs
        deep = deep / ("1.3.6.1.4.1." + "9" * 52)
    deep = deep / ("1.2.840." + "7" * (220 - len(str(deep)) - 9))  # 220 characters
    deep.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(deep / "short.png")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(deep / ("x" * (255 - len(str(deep))) + ".png"))
    (deep / ("y" * (262 - len(str(deep))))).mkdir()
    real_stat, real_scandir = os.stat, os.scandir

    def refuse(real):
        def call(path, *args, **kwargs):
            if len(os.fspath(path)) >= 260:
                raise FileNotFoundError(2, "The system cannot find the path specified")
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "stat", refuse(real_stat))
    monkeypatch.setattr(os, "scandir", refuse(real_scandir))
    entries = list(walk([tmp_path]))
    assert [e.path.name for e in entries if isinstance(e, Found)] == ["short.png"]
    problems = [e.problem for e in entries if isinstance(e, WalkProblem)]
    assert [p.code for p in problems] == ["path-too-long"] * 2
    message = problems[0].message
    assert "260 characters long" in message and "long paths" in message
    assert "Enable Win32 long paths" in message and "LongPathsEnabled" in message
    assert "C:\\data" in message
    monkeypatch.setattr(sys, "platform", "linux")  # elsewhere: what it was
    problems = [e.problem for e in walk([tmp_path]) if isinstance(e, WalkProblem)]
    assert [p.code for p in problems] == ["broken-link"] * 2
