"""The project watch's review (project_watch.py): quitting never waits for a look stuck on
a share that stopped answering; a look that was under way when the window told its own
change does not have that part told again."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from PySide6.QtCore import QThreadPool
from series_data import write_waves
from test_project_watch import LIVE_RUN, _say

import ssl_studio.gui.panels.runs_panel as runs_panel
import ssl_studio.gui.project_watch as project_watch
from ssl_studio.core.project.store import Store

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


def _points(window, run_id: int) -> int:
    name = f"run {run_id}"
    return len(window.runs.plot.points(name)[0]) if name in window.runs.plot.buffers else 0


def test_a_growing_curve_reads_only_the_running_run_and_waits_while_runs_is_hidden(
    qtbot, make_window, project, monkeypatch
):
    """Every look while another process trains told "curves", and the Runs panel read
    every run again (a metrics query per run, the label sets, the lock) on the GUI
    thread, even with the Runs page hidden: now only the running run's row and curve are
    read, and a hidden page reads the runs once when it is shown again."""
    with Store.open(project, write=True) as store:
        store.create_dataset("chest", "image", 32)
    add_runs(project, 5, points=5)
    window = _watched(qtbot, make_window, project)
    overviews: list[int] = []
    overview = runs_panel.runs_overview
    monkeypatch.setattr(
        runs_panel, "runs_overview", lambda store: overviews.append(1) or overview(store)
    )
    notices: list[str] = []
    window.context.changed.connect(notices.append)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    live = subprocess.Popen(
        [sys.executable, "-c", LIVE_RUN, str(project)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        run_id = int(live.stdout.readline())
        qtbot.waitUntil(lambda: run_id in [r["id"] for r in window.runs.runs], timeout=WAIT_MS)
        window.runs.select_run(run_id)
        read_before = len(overviews)
        for points in (10, 20):
            _say(live, "steps")
            qtbot.waitUntil(lambda n=points: _points(window, run_id) == n, timeout=WAIT_MS)
        assert "curves" in notices and len(overviews) == read_before

        window.show_step(0)  # another page: the curve grows unseen, and is not read
        notices.clear()
        _say(live, "steps")
        qtbot.waitUntil(lambda: "curves" in notices, timeout=WAIT_MS)
        qtbot.wait(200)
        assert len(overviews) == read_before and _points(window, run_id) == 20
        window.show_step(3)  # shown again: read once
        qtbot.waitUntil(lambda: _points(window, run_id) == 30, timeout=WAIT_MS)
        assert len(overviews) == read_before + 1
        _say(live, "done")
        qtbot.waitUntil(
            lambda: [r["status"] for r in window.runs.runs if r["id"] == run_id] == ["done"],
            timeout=WAIT_MS,
        )
    finally:
        live.stdin.close()
        live.wait(30)


def test_a_look_under_way_when_the_window_tells_its_own_change_does_not_forget_it(
    qtbot, make_window, project, monkeypatch
):
    """A look that read the marks before the window's own change, and arrived after it,
    emptied the parts the window had told itself: the next look told the part again (a
    second reload of the Runs panel)."""
    add_runs(project, 1, points=5)
    window = _watched(qtbot, make_window, project)
    watch = window.watch
    watch.timer.stop()
    qtbot.waitUntil(lambda: not watch.reader.reading(), timeout=WAIT_MS)
    held, read = threading.Event(), threading.Event()
    look_at = project_watch.look_at

    def slow(project, seen):
        found = look_at(project, None)  # (the marks as they are now)
        read.set()
        held.wait(20)
        return found

    monkeypatch.setattr(project_watch, "look_at", slow)
    watch.look()
    assert read.wait(5)
    notices: list[str] = []
    window.context.changed.connect(notices.append)
    add_runs(project, 1, points=5)  # (as a job of the window writes, and then tells)
    window.context.notify("runs")
    held.set()
    qtbot.waitUntil(lambda: not watch.reader.reading(), timeout=WAIT_MS)
    monkeypatch.setattr(project_watch, "look_at", look_at)
    looks: list[int] = []
    watch.timer.timeout.connect(lambda: looks.append(1))
    watch.timer.start()
    qtbot.waitUntil(lambda: len(looks) >= 10 and not watch.reader.reading(), timeout=WAIT_MS)
    assert notices == ["runs"]


def test_the_windows_own_import_with_a_label_column_is_not_told_again(
    qtbot, make_window, project, tmp_path
):
    """An import whose files carry a label column adds a label set; the panel told only
    "datasets", so a later look told "labels" as another process's change (a second
    reload)."""
    window = _watched(qtbot, make_window, project)
    told: list[tuple[str, bool]] = []
    window.context.changed.connect(lambda what: told.append((what, window.watch._telling)))
    assert window.data.import_paths([write_waves(tmp_path / "waves").parent])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    looks: list[int] = []
    window.watch.timer.timeout.connect(lambda: looks.append(1))
    qtbot.waitUntil(lambda: len(looks) >= 10 and not window.watch.reader.reading(), timeout=WAIT_MS)
    with Store.open(project) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM label_sets").fetchone()[0] == 1
    assert [what for what, by_watch in told if by_watch] == []
