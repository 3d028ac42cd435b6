"""Closing the main window while a job runs.

The first close asks, stops the job and leaves the window open, drawing, until the job has
ended: a QThread destroyed while it runs aborts the process, and a training run ends its
step and saves a checkpoint first, which on a slow or busy CPU takes a while (28 s was
seen). A second close while it waits says so, so the wait does not look like a hang.
For a job that leaves a resumable run when cut off (pretraining) it also offers to quit
at once. That is what a kill does, and a kill is safe there: the database (SQLite, WAL)
and the checkpoints (temporary file, then rename) stay whole
(tests/bench/chaos_kill.py). The run is still "running" in the project, the next opening
marks it interrupted (core.jobs.recover_interrupted), and Runs resumes it from its last
checkpoint. Other jobs end within seconds and are not cut off.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox

from ssl_studio.core.events import Checkpoint, Event
from ssl_studio.gui import dialogs
from ssl_studio.gui.settings_file import keep_private

if TYPE_CHECKING:
    from ssl_studio.gui.main_window import MainWindow

STILL_STOPPING = "Still stopping “{title}”: the window closes by itself as soon as it has ended."
QUIT_NOW = "Quit now"
KEEP_WAITING = "Keep waiting"


def exit_now() -> None:
    """End the process at once, as a kill would: the job's thread cannot be stopped from
    outside, and Python's own exit would wait for it (or abort on its QThread)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class WindowClosing(QObject):
    """What the window's close button does while a job runs (see the module's text)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.runner = window.runner
        self.question: QMessageBox | None = None  # the second close's, while it is shown
        self.checkpoint_step: int | None = None  # the running job's newest checkpoint
        self.runner.started.connect(self._started)
        self.runner.reported.connect(self._event)

    def _started(self, _title: str) -> None:
        self.checkpoint_step = None

    def _event(self, event: Event) -> None:
        if isinstance(event, Checkpoint):
            self.checkpoint_step = event.step

    def may_close(self) -> bool:
        """Whether the window may close now; when not, the job is asked to stop (after a
        question) and the window closes once it has ended (MainWindow._busy)."""
        if not self.runner.running:
            self._drop_question()
            return True
        status = self.window.job_status
        if status.closing:  # asked and stopping already
            self._again()
            return False
        if not self.window.unattended and not dialogs.confirm(
            self.window,
            "A job is running",
            f"“{self.runner.title}” is still running. Stop it and quit? A training run "
            "saves a checkpoint first and can be resumed later.",
        ):
            return False
        # never waited for here: a step, a map or an export may take a while to end,
        # and the window must keep drawing meanwhile
        self.runner.stop()
        status.show_closing(f"Closing when “{self.runner.title}” has finished…")
        return False

    def _again(self) -> None:
        """Closed again while the job stops: say that it is stopping, and offer to quit
        now where cutting the job off leaves a resumable run."""
        if self.window.unattended:  # (a signal again: no one to tell)
            return
        if not self.runner.resumable:
            title = self.runner.title
            self.window.statusBar().showMessage(STILL_STOPPING.format(title=title), 15_000)
            return
        if self.question is None:
            self.question = self._ask()
        self.question.show()
        self.question.raise_()

    def _ask(self) -> QMessageBox:
        """The quit-now question, shown without blocking: the window keeps drawing, and
        closes by itself (question and all) if the job ends first."""
        saved = self.checkpoint_step
        where = (
            f"from its checkpoint at step {saved}; the steps after it are lost"
            if saved is not None
            else "from its last checkpoint if it has written one (the steps after it are "
            "lost; a run with none has to be started again)"
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Still saving the run's checkpoint",
            f"“{self.runner.title}” ends its current training step and saves a checkpoint "
            "before the window closes, which can take a while on a busy computer.\n\n"
            "Quit now? The run will be marked interrupted, and you can resume it in Runs "
            f"{where}.",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # (names may look like markup)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        quit_now = box.addButton(QUIT_NOW, QMessageBox.ButtonRole.DestructiveRole)
        wait = box.addButton(KEEP_WAITING, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(wait)
        box.setEscapeButton(wait)
        quit_now.clicked.connect(self.quit_now)
        box.finished.connect(self._drop_question)
        return box

    def _drop_question(self, *_: object) -> None:
        if self.question is not None:
            question, self.question = self.question, None
            question.hide()
            question.deleteLater()

    def quit_now(self) -> None:
        """Quit without waiting for the job: the window's settings are written, then the
        process ends as a kill would end it. A job that has ended meanwhile is not cut
        off: the window just closes."""
        self._drop_question()
        if not self.runner.running:
            self.window.close()
            return
        self.window.save_settings()
        keep_private(self.window.settings)
        print(
            f"ssl-studio: quit while “{self.runner.title}” was stopping: the run is marked "
            "interrupted when the project is next opened; resume it from Runs.",
            file=sys.stderr,
        )
        exit_now()
