"""Start the desktop application."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ssl_studio import __version__
from ssl_studio.gui.main_window import MainWindow


def application() -> QApplication:
    """The QApplication (created once, named so QSettings has a home)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SSL Studio")
    app.setOrganizationName("SSL Studio")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def run_app(project: Path | None = None) -> int:
    """Open the main window (on ``project`` if given) and run until it closes."""
    app = application()
    window = MainWindow(project)
    window.show()
    return app.exec()
