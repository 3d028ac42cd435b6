"""GUI fixtures: a main window with its own settings file, and real DICOM folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from ssl_studio.gui.main_window import MainWindow

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
# Two "classes" of real DICOM files from pydicom's corpus, each from several patients.
CLASS_A = ("CT_small.dcm", "MR_small.dcm", "693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm")
CLASS_B = ("examples_overlay.dcm", "JPEGLSNearLossless_08.dcm", "image_dfl.dcm", "rtdose.dcm")


@pytest.fixture(autouse=True)
def messages(monkeypatch) -> list[tuple[str, str]]:
    """Dialogs never block a test: warnings and notices are recorded as (title, text), and
    questions are answered Yes."""
    shown: list[tuple[str, str]] = []
    box = "ssl_studio.gui.dialogs.QMessageBox"
    monkeypatch.setattr(f"{box}.warning", lambda _, title, text: shown.append((title, text)))
    monkeypatch.setattr(f"{box}.information", lambda _, title, text: shown.append((title, text)))
    monkeypatch.setattr(f"{box}.question", lambda *_: QMessageBox.StandardButton.Yes)
    return shown


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings):
    """Windows made here have their job stopped and waited for at the end of the test (a
    QThread destroyed while it runs aborts the process)."""
    windows: list[MainWindow] = []

    def make(project: Path | None = None) -> MainWindow:
        window = MainWindow(project, settings=settings)
        qtbot.addWidget(window, before_close_func=_stop_job)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        _stop_job(window)


def _stop_job(window: MainWindow) -> None:
    window.runner.stop()
    assert window.runner.wait(120_000), "the job did not stop within two minutes"


@pytest.fixture
def dicom_folder(tmp_path: Path) -> Path:
    """scans/a/*.dcm and scans/b/*.dcm (class folders), a truncated file and a note."""
    root = tmp_path / "scans"
    for name, files in (("a", CLASS_A), ("b", CLASS_B)):
        (root / name).mkdir(parents=True)
        for file in files:
            shutil.copy(PYDICOM_FILES / file, root / name / file)
    shutil.copy(PYDICOM_FILES / "MR_truncated.dcm", root / "a" / "MR_truncated.dcm")
    (root / "notes.txt").write_text("not an image")
    return root
