"""The running job in the status bar: what it is doing, its progress bar and Stop, and
whether it is paused or stopping (for every job: an import, a fine-tuning, an export).
How the last job ended ("…: done.", "…: failed.", "…: done, with 2 warnings (View → Log).")
stays a minute, or until another project is opened; the log keeps it."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from ssl_studio.core.events import Event, Message, Progress, Started, Step
from ssl_studio.core.wording import counted, progress_detail
from ssl_studio.gui import dialogs
from ssl_studio.gui.jobs import JobRunner
from ssl_studio.gui.log_panel import LogPanel
from ssl_studio.gui.markup import plain

PAUSED = " — Paused — Ctrl+P to resume"
STOPPING = " — Stopping…"
OUTCOME_SHOWN_MS = 60_000  # how long "…: done." / "…: failed." stays in the status bar


class JobStatus(QObject):
    """Puts ``label`` (stretching), ``progress`` and ``stop_button`` into a status bar and
    keeps them in step with the runner; errors of a job are told in a dialog over
    ``window`` and in ``log``."""

    def __init__(self, runner: JobRunner, log: LogPanel, window: QWidget) -> None:
        super().__init__(window)
        self.runner = runner
        self.log = log
        self.window = window
        self.label = plain(QLabel(""))  # a job's words quote file and dataset names
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Job progress")  # (of any job: the label says which)
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stops the job at its next check (a run saves first).")
        self.stop_button.clicked.connect(runner.stop)
        self.doing = ""  # what the job said last, without the paused / stopping note
        # the window closes when the job has ended: said until then (the one record of
        # the window closing: see MainWindow.closeEvent)
        self.closing = ""
        self.outcome_timer = QTimer(self)  # clears how the last job ended, a while after
        self.outcome_timer.setSingleShot(True)
        self.outcome_timer.timeout.connect(self.clear_outcome)
        runner.started.connect(self._started)
        runner.reported.connect(self._event)
        runner.finished.connect(self._finished)
        runner.failed.connect(self._failed)
        runner.busy_changed.connect(self._busy)
        runner.paused_changed.connect(lambda _: self._show(self.doing))
        runner.stopping.connect(self._stopping)
        self._busy(False)

    def add_to(self, status: QStatusBar) -> None:
        status.addWidget(self.label, 1)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.stop_button)

    def _show(self, text: str) -> None:
        """``text``, with a note while the running job is paused or stopping."""
        self.doing = text
        if self.closing:  # the job's last events and its end change nothing of that
            self.label.setText(self.closing)
            return
        note = ""
        if self.runner.busy and self.runner.stop_asked:
            note = STOPPING
        elif self.runner.busy and self.runner.paused:
            note = PAUSED
        self.label.setText(text + note)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.stop_button.setVisible(busy)
        self.stop_button.setEnabled(busy)
        if not busy:
            self.progress.reset()

    def _stopping(self) -> None:
        self.stop_button.setEnabled(False)  # pressed once is enough; it ends at its next check
        self._show(self.doing)

    def show_closing(self, text: str) -> None:
        """Say ``text`` (the window closes when the job has ended) until the window goes."""
        self.closing = text
        self._show(self.doing)

    def clear_outcome(self) -> None:
        """Forget how the last job ended (nothing is said while no job runs): after a
        while, or when another project is opened, an old "failed." would mislead."""
        if not self.runner.busy:
            self.outcome_timer.stop()
            self._show("")

    def _started(self, title: str) -> None:
        self.outcome_timer.stop()
        self._show(f"{title}…")
        self.progress.setRange(0, 0)  # busy until the first progress event

    def _event(self, event: Event) -> None:
        title = self.runner.title
        if isinstance(event, Step):
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.step)
            eta = f", {event.eta_s / 60:.1f} min left" if event.eta_s is not None else ""
            self._show(f"{title}: step {event.step}/{event.total}{eta}")
        elif isinstance(event, Progress):
            if event.total:  # (in hundredths of a file while one is read in pieces)
                part = event.file_fraction
                scale = 1 if part is None else 100
                self.progress.setRange(0, event.total * scale)
                self.progress.setValue(event.done * scale + int((part or 0) * 100))
            self._show(f"{title}: {progress_detail(event)}")
        elif isinstance(event, Started) and event.total:
            self.progress.setRange(0, event.total)
        elif isinstance(event, Message):
            self.log.add(f"[{event.level}] {event.text}")

    def _finished(self, title: str, result: Any) -> None:
        if self.runner.busy:  # its on_done started the next job: that one is shown
            return
        ended = "stopped" if was_stopped(result) else "done"
        self._show(f"{title}: {ended}{warned(self.runner.warnings)}.")
        self.outcome_timer.start(OUTCOME_SHOWN_MS)
        # said to a screen reader too, which does not follow the status bar (a failure
        # is told in a dialog, which it reads)
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(self.label, self.label.text()))

    def _failed(self, title: str, message: str) -> None:
        self.log.add(f"[error] {title}: {message}")
        if self.closing:  # the window is going: no dialog to hold it up or flash by
            self.show_closing(f"“{title}” failed (see the log); closing…")
            # the log goes with the window: the failure is also written where it stays
            # (a run records it in the project too: Runs shows why it failed)
            print(f"ssl-studio: {title} failed: {message}", file=sys.stderr)
            return
        if not self.runner.busy:  # (else its on_failed started the next job: that one shows)
            self._show(f"{title}: failed.")
            self.outcome_timer.start(OUTCOME_SHOWN_MS)
        dialogs.show_error(self.window, f"{title} failed", message)


def warned(count: int) -> str:
    """What follows "done" or "stopped" in the status bar when the job said ``count``
    warnings: they went only to the log, which is hidden until opened."""
    return f", with {counted(count, 'warning')} (View → Log)" if count else ""


def was_stopped(result: Any) -> bool:
    """Whether a job's result says it was stopped: a run's status "stopped", an import's
    "cancelled", or either inside the per-dataset results of the demo set-up."""
    if not isinstance(result, dict):
        return False
    if result.get("status") == "stopped" or result.get("cancelled") is True:
        return True
    return any(isinstance(v, dict) and was_stopped(v) for v in result.values())
