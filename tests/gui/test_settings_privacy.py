"""The settings file lists recent project folders, whose names may name a patient: on
Linux it and SSL Studio's folder for it are its user's alone (0600, 0700), however the
umask would have made them; Qt's file-dialog history (QtProject.conf) too."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings

from ssl_studio.cli import main
from ssl_studio.gui.recent_projects import remember
from ssl_studio.gui.settings_file import keep_private

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the registry, no file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)  # (the usual umask: 0644 files, 0755 folders)
    yield
    os.umask(old)


def test_a_remembered_project_is_written_for_its_user_only(user_config, usual_umask):
    settings = QSettings(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "SSL Studio", "SSL Studio"
    )
    remember(settings, Path("/studies/Müller Röntgen/project"))
    written = user_config / "SSL Studio" / "SSL Studio.conf"
    assert "Müller" in written.read_text(encoding="utf-8")
    assert mode(written) == 0o600 and mode(written.parent) == 0o700
    settings.setValue("geometry", QByteArray(b"\x01\x02"))  # (rewritten when the window closes)
    settings.sync()
    assert mode(written) == 0o600


def test_settings_of_an_older_version_become_private_when_the_app_starts(
    tmp_path, user_config, usual_umask, capsys
):
    folder = user_config / "SSL Studio"
    folder.mkdir(mode=0o755)
    old = folder / "SSL Studio.conf"
    old.write_text("[General]\nrecent=/studies/M\\xfcller R\\xf6ntgen/project\n")
    dialogs = user_config / "QtProject.conf"
    dialogs.write_text("[FileDialog]\nlastVisited=file:///studies/Patient\n")
    os.chmod(old, 0o644)
    os.chmod(dialogs, 0o644)
    project = tmp_path / "p"
    assert main(["new", str(project)]) == 0
    assert main(["gui", str(project), "--smoke-test"]) == 0
    assert str(project) in old.read_text()
    assert mode(folder) == 0o700 and mode(old) == 0o600 and mode(dialogs) == 0o600


def test_a_folder_that_is_not_ssl_studios_own_keeps_its_mode(tmp_path, usual_umask):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("x", 1)
    keep_private(settings)
    assert mode(folder) == 0o755 and mode(folder / "settings.ini") == 0o600
