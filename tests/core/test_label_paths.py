"""Label CSV paths match files in other letter case only where the file system ignores
case (Windows, simulated here with ntpath's normcase); elsewhere case counts."""

from __future__ import annotations

import ntpath
import os

from ssl_studio.core.data.privacy import keyed_hash
from ssl_studio.core.label_paths import PathIndex

SALT = b"salt" * 8


def index(tmp_path, rel_path: str) -> PathIndex:
    """An index of one item, the file root/Scans/Img01.png (on disk), stored as
    ``rel_path``, keyed by its path as an import walks it."""
    root = tmp_path / "root"
    (root / "Scans").mkdir(parents=True)
    (root / "Scans" / "Img01.png").write_bytes(b"png")
    key = keyed_hash(SALT, "path", str(root / "Scans" / "Img01.png"))
    items = [{"id": 1, "rel_path": rel_path}]
    return PathIndex(items, {1: (key, 1)}, SALT, [tmp_path], [root])


def test_other_case_matches_only_where_the_file_system_ignores_case(tmp_path, monkeypatch):
    paths = index(tmp_path / "posix", "Scans/Img01.png")
    assert [i["id"] for i in paths.find("Scans/Img01.png")] == [1]
    assert paths.find("scans/IMG01.PNG") == []  # (Linux, macOS: as before)
    monkeypatch.setattr(os.path, "normcase", ntpath.normcase)  # Windows
    paths = index(tmp_path / "windows", "Scans/Img01.png")
    assert [i["id"] for i in paths.find("scans/IMG01.PNG")] == [1]
    assert [i["id"] for i in paths.find("SCANS\\img01.png")] == [1]
    assert paths.find("scans/img02.png") == []


def test_a_path_by_another_spelling_is_found_by_the_disks_own(tmp_path, monkeypatch):
    # its stored path redacted (a patient's folder): only its key can find it
    paths = index(tmp_path, "[redacted]/Img01.png")
    (tmp_path / "alias").symlink_to(tmp_path / "root", target_is_directory=True)
    written = str(tmp_path / "alias" / "Scans" / "Img01.png")
    # found by its canonical key on every system: new datasets are walked by it, so a
    # label file naming the link the user imported by must find them (Linux too)
    assert [i["id"] for i in paths.find(written)] == [1]
    monkeypatch.setattr(os.path, "normcase", ntpath.normcase)  # Windows: a mapped drive
    assert [i["id"] for i in paths.find(written)] == [1]
