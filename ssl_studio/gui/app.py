"""Start the desktop application."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from ssl_studio import __version__
from ssl_studio.core.events import stop_signals
from ssl_studio.gui import dialogs
from ssl_studio.gui.main_window import MainWindow
from ssl_studio.gui.settings_file import keep_private


def application() -> QApplication:
    """The QApplication (created once, named so QSettings has a home)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SSL Studio")
    app.setOrganizationName("SSL Studio")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def close_on_signals(window: MainWindow) -> QTimer:
    """SIGTERM, Ctrl+C and Ctrl+Break close the window as its close button does, without a
    question: a training run stops at its next step and writes a checkpoint (the default
    would end the process at once). Python runs signal handlers only between its own steps, and Qt's
    event loop holds it in C++, so a timer hands it a step every 200 ms; keep the timer."""

    def close(signum: int, frame: Any) -> None:
        QTimer.singleShot(0, window.quit_unattended)

    for signum in stop_signals():  # (Windows: Ctrl+Break in the console too)
        signal.signal(signum, close)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer


def _once(ms: int, action: Callable[[], Any]) -> QTimer:
    """A timer that calls ``action`` once after ``ms`` milliseconds, and can be stopped."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(action)
    timer.start(ms)
    return timer


def run_app(project: Path | None = None, *, smoke_test: bool = False) -> int:
    """Open the main window (on ``project`` if given) and run until it closes.

    smoke_test: open the window, let the event loop run for a moment, close and return 0,
    or 1 when it showed an error (how packaging/ checks that a built bundle starts).
    """
    app = application()
    keep_private(QSettings())  # (its folder 0700 before anything is written; see there)
    if not smoke_test:
        window = MainWindow(project)
        window.show()
        watch = close_on_signals(window)  # the timer must live as long as the loop
        code = app.exec()
        watch.stop()
        keep_private(window.settings)  # (the window's size and place, written on closing)
        return code
    dialogs.unattended_errors = []  # no one is there to close an error dialog
    try:
        window = MainWindow(project)
        window.show()
        timers = [_once(1500, window.close), _once(2000, app.quit)]
        code = app.exec()
        for timer in timers:  # (one still pending would fire in a later event loop)
            timer.stop()
        keep_private(window.settings)
        if dialogs.unattended_errors:
            print("SSL Studio opened, but showed the errors above.", file=sys.stderr)
            return 1
    finally:
        dialogs.unattended_errors = None
    print(f"SSL Studio {__version__}: the main window opened and closed cleanly.")
    return code
