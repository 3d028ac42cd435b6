"""Finished jobs leave no QThread behind (audit of a week-long session, finding 1).

The job thread's progress signal was named ``event``, which hides QObject.event(): PySide
then kept a reference to the thread's Python side each time Qt delivered the thread an
event (its deferred deletion among them), so every finished job left its wrapper alive.
"""

from __future__ import annotations

import gc
import sys

import shiboken6

from ssl_studio.core.events import Message
from ssl_studio.gui.jobs import JobRunner, _JobThread

JOBS = 30


def _job_threads() -> list[_JobThread]:
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is _JobThread]


def test_many_finished_jobs_leave_no_thread_wrappers(qtbot):
    runner = JobRunner()
    before = len(_job_threads())
    told: list[object] = []
    runner.reported.connect(told.append)
    results: list[int] = []

    for i in range(JOBS):

        def work(report, stop, i=i):
            report(Message(job="test", text=f"job {i}"))
            return i

        assert runner.start(f"Job {i}", work, results.append)
        qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)

    assert results == list(range(JOBS))  # every job ran and was told, in order
    assert len(told) == JOBS  # the renamed signal still reaches the runner's listeners

    def all_gone() -> bool:  # once each thread's deleteLater has been handled
        return len(_job_threads()) == before

    qtbot.waitUntil(all_gone, timeout=10_000)


def test_the_running_jobs_thread_is_kept_until_it_has_ended(qtbot):
    """The wrapper of a job still running is alive and valid (deleting a running QThread
    aborts the process); it goes once the job has ended."""
    import threading

    runner = JobRunner()
    before = len(_job_threads())
    release = threading.Event()
    assert runner.start("Job", lambda report, stop: release.wait(10))
    qtbot.waitUntil(lambda: runner.running, timeout=10_000)
    (thread,) = [t for t in _job_threads() if shiboken6.isValid(t) and t.isRunning()]
    del thread
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    qtbot.waitUntil(lambda: len(_job_threads()) == before, timeout=10_000)


def test_the_runner_gains_no_references_job_after_job(qtbot):
    """The runner's own signal was named ``event`` too: every queued delivery from the job
    thread then left one more reference to the runner's Python side."""
    runner = JobRunner()
    runner.reported.connect(lambda event: None)

    def run_jobs(n: int) -> None:
        for i in range(n):
            assert runner.start(f"Job {i}", lambda report, stop: report(Message("t", "x")))
            qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
        gc.collect()

    run_jobs(3)  # settle first-use caches
    before = sys.getrefcount(runner)
    run_jobs(JOBS)
    assert sys.getrefcount(runner) - before < 3
