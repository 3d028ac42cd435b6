"""Start the desktop application."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ssl_studio import __version__
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.project.store import Store
from ssl_studio.gui.main_window import MainWindow


def application() -> QApplication:
    """The QApplication (created once, named so QSettings has a home)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SSL Studio")
    app.setOrganizationName("SSL Studio")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def run_app(project: Path | None = None, *, smoke_test: bool = False) -> int:
    """Open the main window (on ``project`` if given) and run until it closes.

    smoke_test: open the window, let the event loop run for a moment, close and return 0
    (how packaging/ checks that a built bundle starts).
    """
    app = application()
    if smoke_test and project is not None:  # no one is there to close an error dialog
        try:
            Store.open(Path(project)).close()
        except SSLStudioError as exc:
            print(f"ssl-studio: {exc}", file=sys.stderr)
            return 1
    window = MainWindow(project)
    window.show()
    if smoke_test:
        QTimer.singleShot(1500, window.close)
        QTimer.singleShot(2000, app.quit)
        code = app.exec()
        print(f"SSL Studio {__version__}: the main window opened and closed cleanly.")
        return code
    return app.exec()
