"""JobRunner: the one place the app starts a QThread for a core job.

A panel hands the runner a title and a piece of work ``work(report, stop) -> result`` (a
core job with its config bound). The work runs on a worker thread; its events come back to
the GUI thread as Qt signals (queued, so widgets are only touched on the GUI thread). One
job runs at a time; Pause / Resume / Stop go through the job's cooperative StopToken.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QThread, Signal

from ssl_studio.core.cores import usable_cores
from ssl_studio.core.data.privacy import hide_error_paths
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Event, Message, Stopped, StopToken
from ssl_studio.core.storage_errors import user_error
from ssl_studio.gui.gui_thread_gc import collector

log = logging.getLogger("ssl_studio.gui")

JOB_NICE = 10  # Linux nice value of job threads (the window's thread keeps 0)
Work = Callable[[Callable[[Event], None], StopToken], Any]
# the result of work stopped before it had one (finished(title, STOPPED); on_done not called)
STOPPED: dict[str, Any] = {"status": "stopped"}

UNEXPECTED = (
    "SSL Studio met an error it did not expect: {error}\n\n"
    "What you can do: try again; if it happens again, save the log (View → Log) and "
    "send it to your support contact. Checkpoints already written are kept, and the "
    "project is not damaged."
)


def default_cpu_threads() -> int:
    """Tensor threads for jobs run from the window: every core. The job's threads run at a
    lower priority instead, which keeps the window responsive at full training speed
    (tests/bench/bench_gui_latency.py: on 2 cores, leaving a core free cost a third of the
    speed for no visible gain). Every core this process may use, that is (a SLURM job's
    or a container's share)."""
    return usable_cores()


def _lower_thread_priority() -> None:
    """Give the calling (job) thread a lower CPU priority than the window's thread.

    On Linux the nice value is per thread and the tensor library's worker threads, created
    from this thread, inherit it; elsewhere QThread's priority hint has to do."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICE)
        except OSError:  # not allowed here: the job simply keeps the normal priority
            pass


def hidden_error(exc: BaseException) -> tuple[str, str]:
    """(the traceback being handled, "Type: message") of an unexpected ``exc``, with the
    folder and file names of the paths it names hidden (one may be named after a patient,
    and both reach the log panel)."""
    trace = hide_error_paths(traceback.format_exc(), exc)
    return trace, hide_error_paths(f"{type(exc).__name__}: {exc}", exc)


class _JobThread(QThread):
    """Runs one piece of work; emits its events, then its result or its failure."""

    # (not named "event": a signal of that name hides QObject.event(), and PySide then
    # keeps a reference to the thread's Python side each time Qt delivers it an event,
    # so no finished thread was ever freed)
    reported = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)  # the message for the user (a bug's traceback goes to the log)

    def __init__(self, work: Work, stop: StopToken, threads: int | None) -> None:
        super().__init__()
        self.work: Work | None = work  # both dropped once the job has ended (see _cleanup)
        self.stop: StopToken | None = stop
        self.threads = threads

    def run(self) -> None:
        _lower_thread_priority()
        try:
            if self.threads:
                from ssl_studio.core.jobs import limit_cpu_threads

                limit_cpu_threads(self.threads)
            work, stop = self.work, self.stop
            assert work is not None and stop is not None  # (set until the thread has ended)
            result = work(self.reported.emit, stop)
        except Stopped:  # stopped in work that leaves no result (embedding a dataset)
            self.succeeded.emit(STOPPED)
        except SSLStudioError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the window must survive any job failure
            told = user_error(exc)  # a full disk, a damaged or locked project.db
            if told is not None:
                self.failed.emit(str(told))
                return
            # (a path in it may be named after a patient: hidden, as stored paths are)
            trace, error = hidden_error(exc)
            log.error("A job failed unexpectedly:\n%s", trace)
            self.failed.emit(UNEXPECTED.format(error=error))
        else:
            self.succeeded.emit(result)


class JobRunner(QObject):
    """Runs core jobs off the GUI thread, one at a time.

    Signals: started(title), reported(core Event), finished(title, result),
    failed(title, message), busy_changed(busy), paused_changed(paused), stopping() (Stop
    was asked; the job ends at its next check, which may take a while).
    """

    started = Signal(str)
    reported = Signal(object)  # (not "event": see _JobThread)
    finished = Signal(str, object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)
    paused_changed = Signal(bool)
    stopping = Signal()

    def __init__(self, parent: QObject | None = None, *, cpu_threads: int | None = None) -> None:
        super().__init__(parent)
        self.cpu_threads = cpu_threads  # torch threads for jobs; None: torch's default
        self.title = ""
        self._thread: _JobThread | None = None
        self._stop: StopToken | None = None
        self._clock = QElapsedTimer()
        self._on_done: Callable[[Any], None] | None = None
        self._on_failed: Callable[[str], None] | None = None
        self._outcome: tuple[bool, Any] | None = None
        # warnings (and errors it went on after) the running job said, or the last one:
        # its on_done and finished(...) can tell the user there is something to read
        self.warnings = 0
        self._resumable = False

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def running(self) -> bool:
        """The job's thread is still working (busy stays True until the GUI thread has
        handled its end)."""
        return self._thread is not None and self._thread.isRunning()

    @property
    def resumable(self) -> bool:
        """The running job leaves a run that can be resumed from its last checkpoint when
        it is cut off (the process killed, or quit without waiting for it)."""
        return self.busy and self._resumable

    @property
    def paused(self) -> bool:
        return bool(self._stop and self._stop.paused)

    def elapsed_s(self) -> float:
        return self._clock.elapsed() / 1000 if self.busy else 0.0

    def start(
        self,
        title: str,
        work: Work,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        *,
        resumable: bool = False,
    ) -> bool:
        """Start ``work`` unless a job is running (then False: the caller tells the user).

        on_done(result) / on_failed(message) are called on the GUI thread once it has ended
        and the runner is free again. ``resumable``: cut off at any moment, the work leaves
        a run that can be resumed from its last checkpoint (pretraining: see
        tests/bench/chaos_kill.py), so the window may offer to quit without waiting.
        """
        if self.busy:
            return False
        self.title = title
        self._resumable = resumable
        self._on_done, self._on_failed = on_done, on_failed
        self._stop = StopToken()
        thread = _JobThread(work, self._stop, self.cpu_threads)
        self.warnings = 0
        thread.reported.connect(self._count)
        thread.reported.connect(self.reported)
        thread.succeeded.connect(self._succeeded)
        thread.failed.connect(self._failed)
        thread.finished.connect(self._cleanup)
        self._thread = thread
        self._clock.start()
        log.info("%s started.", title)
        self.started.emit(title)
        self.busy_changed.emit(True)
        collector().hold()  # no garbage collection on the job's thread (gui_thread_gc.py)
        thread.start(QThread.Priority.LowPriority)
        return True

    def calls_back(self, widget: QObject) -> bool:
        """Whether the running job was started by ``widget`` or a widget inside it: its
        on_done / on_failed are their methods, so it will call them when it ends."""
        for callback in (self._on_done, self._on_failed):
            owner = getattr(callback, "__self__", None)
            while isinstance(owner, QObject):
                if owner is widget:
                    return True
                owner = owner.parent()
        return False

    @property
    def stop_asked(self) -> bool:
        """Stop was asked for the running job (it has not ended yet)."""
        return bool(self._stop and self._stop.stopped)

    def pause(self) -> None:
        if self._stop is not None and not self._stop.paused and not self._stop.stopped:
            self._stop.pause()
            log.info("%s paused.", self.title)
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._stop is not None and self._stop.paused:
            self._stop.resume()
            log.info("%s resumed.", self.title)
            self.paused_changed.emit(False)

    def stop(self) -> None:
        """Ask the job to stop at its next check (a training run saves a checkpoint first)."""
        if self._stop is not None and not self._stop.stopped:
            was_paused = self._stop.paused
            self._stop.stop()
            log.info("Stopping %s...", self.title)
            if was_paused:
                self.paused_changed.emit(False)
            self.stopping.emit()

    def wait(self, ms: int = 60_000) -> bool:
        """Block until the job's thread ends (for closing the window); True when it did."""
        return self._thread.wait(ms) if self._thread is not None else True

    def _count(self, event: Event) -> None:
        if isinstance(event, Message) and event.level in ("warning", "error"):
            self.warnings += 1

    def _succeeded(self, result: Any) -> None:
        self._outcome = (True, result)

    def _failed(self, message: str) -> None:
        self._outcome = (False, message)

    def _cleanup(self) -> None:
        """The thread has ended: the runner is free again, then the job's outcome is told
        (so an on_done callback may start the next job: what is told below is this job's,
        read before any callback runs)."""
        title = self.title
        thread, self._thread, self._stop = self._thread, None, None
        on_done, on_failed = self._on_done, self._on_failed
        self._on_done = self._on_failed = None
        outcome, self._outcome = self._outcome, None
        if thread is not None:
            # finished is the thread's last act, so this wait returns at once; it makes
            # sure the QThread deleted below is never one still running (a crash). Qt
            # deletes it, and this was the last Python reference to it, so both sides go.
            thread.wait()
            thread.work = thread.stop = None  # (whatever the work captured goes now)
            thread.deleteLater()
            collector().release()
        self.busy_changed.emit(False)
        if outcome is None:
            return
        ok, value = outcome
        if ok and value is STOPPED:  # nothing to hand on_done; the window says "stopped"
            log.info("%s stopped.", title)
            self.finished.emit(title, value)
        elif ok:
            log.info("%s finished.", title)
            if on_done is not None:
                on_done(value)
            self.finished.emit(title, value)
        else:
            log.warning("%s failed: %s", title, value)
            if on_failed is not None:
                on_failed(value)
            self.failed.emit(title, value)
