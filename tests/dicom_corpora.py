"""Where the real DICOM files for tests are: pydicom's bundled test files and the
pydicom-data package's clinical files (a dev dependency). A module of its own, not
conftest: ``from conftest import`` picks whichever conftest was imported first when
tests of several folders run together."""

from __future__ import annotations

from pathlib import Path

import pydicom

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def pydicom_data_dir() -> Path:
    """The 68 clinical files of the pydicom-data package (a dev dependency)."""
    import data_store

    return Path(data_store.__file__).parent / "data"
