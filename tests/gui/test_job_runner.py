"""The JobRunner on its own: what a finished job leaves behind, and what it tells."""

from __future__ import annotations

import gc
import time
import weakref

from ssl_studio.gui.jobs import JobRunner


def test_a_finished_job_lets_go_of_its_work_and_what_it_captured(qtbot):
    """PySide keeps the Python side of a started QThread alive after deleteLater: each
    finished job kept its work closure, and with it whatever the work captured (a dataset,
    an array), for the rest of the session."""
    runner = JobRunner()

    class Captured:  # what a job's work holds on to (an array, a dataset view)
        pass

    captured = Captured()

    def work(report, stop, captured=captured):
        return {"status": "done"}

    kept = weakref.ref(captured)
    kept_work = weakref.ref(work)
    assert runner.start("Job", work)
    del work, captured
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)

    def let_go() -> bool:  # once the thread's deleteLater is handled
        gc.collect()
        return kept_work() is None and kept() is None

    qtbot.waitUntil(let_go, timeout=10_000)


def test_a_job_started_by_on_done_does_not_lend_its_title_to_the_first(qtbot):
    runner = JobRunner()
    finished: list[tuple[str, object]] = []
    runner.finished.connect(lambda title, result: finished.append((title, result)))

    def second(report, stop):
        time.sleep(0.2)
        return {"job": "B"}

    def chain(_result):
        assert runner.start("Job B", second)

    assert runner.start("Job A", lambda r, s: {"job": "A"}, chain)
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=10_000)
    assert finished == [("Job A", {"job": "A"}), ("Job B", {"job": "B"})]


def test_cyclic_garbage_made_by_a_job_is_collected_on_the_gui_thread(qtbot):
    """A collection started on the job's thread freed a closed window's Qt objects there
    and deadlocked with the GUI thread (a test hung in a checkpoint write)."""
    import threading

    runner = JobRunner()
    freed_on: list[str] = []
    enabled_in_job: list[bool] = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            freed_on.append(threading.current_thread().name)

    def work(report, stop):
        enabled_in_job.append(gc.isenabled())
        for _ in range(5000):  # far past the collector's threshold of allocations
            Cycle()
        return {"status": "done"}

    assert gc.isenabled()
    assert runner.start("Job", work)
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    assert enabled_in_job == [False] and gc.isenabled()  # off while it ran, on again after
    gc.collect()
    assert len(freed_on) == 5000
    assert set(freed_on) == {threading.main_thread().name}
