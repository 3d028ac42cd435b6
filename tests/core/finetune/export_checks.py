"""What the export tests share: pydicom's test files and a search of an export folder
for paths of the exporting machine (imported as ``from export_checks import ...``)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pydicom

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def machine_paths_in(folder: Path, *places: Path) -> list[str]:
    """'file: path' for every path of this machine (the working folder, the Python
    installation, the home folder, ``places``) found in a file of ``folder``; zip archives
    (model.pt, golden.npz) are read member by member, uncompressed."""
    needles = {os.getcwd(), sys.prefix, str(Path.home()), *map(str, places)}
    needles = {n.encode() for n in needles if len(n) > 4}  # not "/" nor "/tmp"
    found = []
    for path in sorted(folder.iterdir()):
        parts = {path.name: path.read_bytes()}
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                parts = {f"{path.name}:{n}": archive.read(n) for n in archive.namelist()}
        found += [f"{name}: {n.decode()}" for name, data in parts.items() for n in needles
                  if n in data]  # fmt: skip
    return found
