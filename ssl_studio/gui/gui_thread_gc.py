"""Python's cyclic garbage collector runs on the GUI thread only while a job thread runs.

A collection starts on whichever thread allocates past the threshold. Started on a job
thread, it can free the Python side of a Qt object (a closed window's plot, a menu) there:
Qt then takes its locks on that thread while PySide hands the deletion to the GUI thread,
and the two threads wait on each other for good (seen as a test that hung in a checkpoint
write, the GUI thread inside a menu's destructor). While jobs run, automatic collection
is off and a timer on the GUI thread collects, generation by generation, as Python's own
thresholds would (pyqtgraph's GarbageCollector does the same for a whole program; here
it is on only while a job, a background read or a recent-list folder check runs, so
commands and tests without a window are untouched).
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

INTERVAL_MS = 500  # how often the GUI thread looks at the allocation counts


class GuiThreadCollector:
    """``hold()`` when a job thread starts, ``release()`` when it has ended; nested holds
    (several runners) count. Create and use it on the GUI thread. Collects with
    pyqtgraph's GarbageCollector (its timer, Python's own generation thresholds), which
    is only running, and automatic collection off, while something is held."""

    def __init__(self) -> None:
        self.holds = 0
        enabled = gc.isenabled()
        self.collector = GarbageCollector(interval=INTERVAL_MS / 1000)  # (disables gc)
        self.collector.timer.stop()
        if enabled:
            gc.enable()
        self.was_enabled = enabled

    def hold(self) -> None:
        if self.holds == 0:
            self.was_enabled = gc.isenabled()
            gc.disable()
            self.collector.timer.start()
        self.holds += 1

    def release(self) -> None:
        self.holds = max(0, self.holds - 1)
        if self.holds == 0:
            self.collector.timer.stop()
            if self.was_enabled:
                gc.enable()


_collector: GuiThreadCollector | None = None


def collector() -> GuiThreadCollector:
    """The process's one collector (made on first use, on the GUI thread)."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector()
    return _collector
