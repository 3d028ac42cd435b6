"""The project watch's review (project_watch.py): quitting never waits for a look stuck on
a share that stopped answering; a look that was under way when the window told its own
change does not have that part told again."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool

import ssl_studio.gui.project_watch as project_watch

from gui_helpers import add_runs

WAIT_MS = 10_000
LOOK_MS = 50


def _watched(qtbot, make_window, project):
    window = make_window(project)
    window.watch.timer.setInterval(LOOK_MS)
    window.show_step(3)
    qtbot.waitUntil(lambda: window.context.hardware["device"] != "…", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.watch.marks is not None, timeout=WAIT_MS)
    return window


def test_a_stuck_look_is_not_waited_for_by_the_thread_pool(
    qtbot, make_window, project, monkeypatch
):
    """Qt's global pool is waited for when the program ends: a look stuck on os.stat of a
    dead share kept the closed window's process for tens of seconds. The look's answer,
    when it comes after the window is gone, goes to nobody."""
    add_runs(project, 1, points=5)
    window = _watched(qtbot, make_window, project)
    window.watch.timer.stop()
    qtbot.waitUntil(lambda: not window.watch.reader.reading(), timeout=WAIT_MS)
    stuck, started = threading.Event(), threading.Event()
    marks = project_watch.file_marks
    gone: list[int] = []

    def hanging(path):
        started.set()
        stuck.wait(20)
        return marks(path)

    monkeypatch.setattr(project_watch, "file_marks", hanging)
    window.watch.look()
    assert started.wait(5)
    try:
        assert QThreadPool.globalInstance().waitForDone(200)  # (what quitting waits for)
    finally:
        watch = window.watch
        watch.destroyed.connect(lambda: gone.append(1))
        watch.deleteLater()
        qtbot.waitUntil(lambda: gone == [1], timeout=WAIT_MS)
        stuck.set()
    qtbot.wait(300)  # (its answer arrives for a watch that is gone: dropped)
