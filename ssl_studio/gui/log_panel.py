"""The log panel: the app's log records and the jobs' messages, safe from any thread."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPlainTextEdit

from ssl_studio import TEMP_NOTICE

MAX_LINES = 5000


class _Bridge(QObject):
    line = Signal(str)


class LogHandler(logging.Handler):
    """Forwards records to the GUI thread through a queued signal."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.bridge = _Bridge()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self.bridge.line.emit(self.format(record))


class LogPanel(QPlainTextEdit):
    """Read-only, bounded text of what happened in this session."""

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setAccessibleName("Log")
        self.setMaximumBlockCount(MAX_LINES)
        self.handler = LogHandler()
        self.handler.bridge.line.connect(self.appendPlainText)
        logging.getLogger("ssl_studio").addHandler(self.handler)
        logging.getLogger("ssl_studio").setLevel(logging.INFO)
        if TEMP_NOTICE is not None:  # (the system's temporary folder cannot be written)
            self.add(TEMP_NOTICE[0].upper() + TEMP_NOTICE[1:])

    def add(self, text: str) -> None:
        self.appendPlainText(f"{time.strftime('%H:%M:%S')} {text}")

    def detach(self) -> None:
        logging.getLogger("ssl_studio").removeHandler(self.handler)
