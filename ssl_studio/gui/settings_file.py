"""The settings file is its user's alone: it lists recent project folders, whose names may
name a patient or a study ('…/Müller Röntgen/…'), so on Linux (and other systems where
settings are a file) the folder SSL Studio keeps it in is made 0700 and the file 0600, as is
Qt's own file-dialog history (QtProject.conf: recent folders too). On Windows the settings
are a registry key under HKEY_CURRENT_USER, readable by its user (and administrators) only;
nothing is done there."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
QT_DIALOGS = "QtProject"  # where Qt's own file dialog keeps its history


def keep_private(settings: QSettings) -> None:
    """Write ``settings`` to its file now, in a folder of its own made 0700 first (when it
    is SSL Studio's own: named after the organisation, as Qt names it on Linux), and make
    the file 0600; Qt keeps a file's mode when it rewrites it. Does nothing where the
    settings are not a file (the Windows registry); a mode that cannot be changed (another
    owner's file, a read-only disk) is left as it is."""
    if os.name != "posix":
        settings.sync()
        return
    path = Path(settings.fileName())
    organisation = settings.organizationName()
    if organisation and path.parent.name == organisation:
        try:
            path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
            os.chmod(path.parent, PRIVATE_FOLDER)
        except OSError:
            pass
    settings.sync()
    qt_dialogs = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, QT_DIALOGS)
    for file in (path, Path(qt_dialogs.fileName())):
        try:
            if file.is_file():
                os.chmod(file, PRIVATE_FILE)
        except OSError:
            pass
