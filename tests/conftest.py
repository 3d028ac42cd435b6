"""Shared fixtures. Qt runs offscreen; real DICOM comes from pydicom's bundled corpus."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pydicom  # noqa: E402
import pytest  # noqa: E402

from ssl_studio.core.jobs import create_project  # noqa: E402

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def pydicom_data_dir() -> Path:
    """The 68 clinical files of the pydicom-data package (a dev dependency)."""
    import data_store

    return Path(data_store.__file__).parent / "data"


@pytest.fixture
def dicom_file():
    """A file of pydicom's corpus by its path relative to test_files."""

    def get(name: str) -> Path:
        path = PYDICOM_FILES / name
        assert path.is_file(), f"pydicom test file {name} is missing"
        return path

    return get


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new, empty project folder."""
    return create_project(tmp_path / "project")
