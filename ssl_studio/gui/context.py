"""What every panel shares: the open project, the job runner, and change notices."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from ssl_studio.core.errors import NotAProjectError
from ssl_studio.core.storage_errors import user_error
from ssl_studio.gui import dialogs, markup
from ssl_studio.gui.jobs import JobRunner, Work
from ssl_studio.gui.recent_projects import is_missing, lost_message, missing_message


@dataclass
class Read:
    """What ``AppContext.reading`` yields: ``error``, the store's message when the
    project could not be read ("" when it was)."""

    error: str = ""


def read_error(exc: BaseException, project: Path | None) -> str | None:
    """What to tell of ``exc``, met reading the open ``project`` (any thread): that its
    folder or its project.db is gone (moved, renamed, a share no longer connected: not
    "not a project ... create a new project"), else the store's message, or SQLite's error
    in clear words; None for an error that is none of these (a bug: it is raised)."""
    if project is not None and is_missing(project):
        return missing_message(project)
    if project is not None and isinstance(exc, NotAProjectError):
        return lost_message(project)
    told = user_error(exc, project)  # (SQLite's own error, met outside a store)
    return None if told is None else str(told)


class AppContext(QObject):
    """The open project and the runner. ``changed(what)`` tells panels to re-read the
    project: "project", "datasets", "labels", "runs", "exports", "curves" (only a running
    run's curves and checkpoints grew: another process's, see project_watch.py), or
    "hardware" (detected)."""

    changed = Signal(str)
    show_item = Signal(str, int)  # dataset name, item id: open it in the viewer
    # a dataset is about to be removed: close its cache files (Windows deletes no file a
    # program holds open)
    releasing = Signal(str)

    def __init__(self, runner: JobRunner) -> None:
        super().__init__()
        self.runner = runner
        self.project: Path | None = None
        self.read_only = ""  # why the open project cannot be changed ("" when it can)
        self.hardware: dict[str, Any] = {"device": "…", "accelerated": False, "preset": "quick"}
        self._unreadable: list[tuple[QWidget, str]] = []  # (panel, message) not yet told
        self.told_unreadable = ""  # the last of them told (project_watch.py: not again)

    @contextlib.contextmanager
    def reading(self, panel: QWidget) -> Iterator[Read]:
        """Around a panel's read of the open project (a refresh): when the project cannot
        be read (project.db damaged, locked by another program or gone), what
        ``read_error`` says is told (see ``cannot_read``) instead of escaping the panel as a
        traceback, and the panel goes on with what it had before the read. The ``Read``
        it yields keeps that message, for a panel to say again later (why it is empty)."""
        read = Read()
        try:
            yield read
        except Exception as exc:
            told = read_error(exc, self.project)
            if told is None:
                raise
            read.error = told
        if read.error:
            self.cannot_read(panel, read.error)

    def cannot_read(self, panel: QWidget, message: str) -> None:
        """Tell that the project cannot be read: once for every panel that met the same
        message in one refresh (a project change reaches them all), after all have tried."""
        if not self._unreadable:
            QTimer.singleShot(0, self, self._tell_unreadable)
        if all(message != told for _, told in self._unreadable):
            self._unreadable.append((panel, message))

    def _tell_unreadable(self) -> None:
        pending, self._unreadable = self._unreadable, []
        for panel, message in pending:  # (a wizard page may be gone by now)
            self.told_unreadable = message
            parent = panel if isValid(panel) else None
            dialogs.show_error(parent, "Cannot read the project", message)

    def enable_change(
        self, control: QWidget | QAction, enabled: bool = True, tip: str = ""
    ) -> None:
        """Enable a control that changes the project when ``enabled`` and the project can be
        written; on a read-only project its tooltip says why it is off, else it is ``tip``."""
        control.setEnabled(enabled and not self.read_only)
        control.setToolTip(markup.tip(self.read_only or tip))  # (it may quote a path)

    def notify(self, what: str) -> None:
        self.changed.emit(what)

    def still_running(self) -> str:
        """Why a job cannot start now."""
        return (
            f"“{self.runner.title}” is still running. Wait for it to end, or stop it with "
            "the Stop button in the status bar, then try again."
        )

    def run(
        self,
        parent: QWidget,
        title: str,
        work: Work,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        *,
        writes: bool = True,
        resumable: bool = False,
    ) -> bool:
        """Start a job, or tell the user why not (one job at a time; a job that ``writes``
        the project not on a read-only one). ``resumable``: see JobRunner.start."""
        if self.project is None:
            dialogs.show_error(parent, title, "Open or create a project first (File menu).")
            return False
        if writes and self.read_only:
            dialogs.show_error(parent, title, self.read_only)
            return False
        if not self.runner.start(title, work, on_done, on_failed, resumable=resumable):
            dialogs.show_error(parent, title, self.still_running())
            return False
        return True
