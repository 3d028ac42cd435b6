"""Changes another process makes to the open project are shown within a few looks
(project_watch.py): a new run, a running run's growing curve, its end; the selection and
the scroll stay; the files are only looked at while nothing changes; View → Refresh (F5)
reads the project at once; a project moved away is said to be not reachable."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from PySide6.QtGui import QAction, QKeySequence

from ssl_studio.core.project.store import Store
from ssl_studio.gui.recent_projects import missing_message

from gui_helpers import add_runs

WAIT_MS = 10_000
LOOK_MS = 50  # the watch's interval in these tests (3 s in the app)

# another process pretraining on the project: it holds the write lock (so its run is
# "running"), writes ten steps of loss at each "steps" line, and ends the run at "done"
LIVE_RUN = textwrap.dedent("""
    import sys
    from ssl_studio.core.project.store import Store
    with Store.open(sys.argv[1], write=True, purpose="ssl-studio pretrain") as store:
        dataset = store.dataset("chest")["id"]
        run = store.create_run(dataset, "pretrain", {"task": "simclr"})
        print(run, flush=True)
        step = 0
        for line in sys.stdin:
            if line.strip() == "steps":
                store.add_metrics(run, [(step + i, 0, "loss", 1.0) for i in range(10)])
                step += 10
            elif line.strip() == "done":
                store.finish_run(run, "done", {"steps": step, "seconds": 1.0})
            print("ok", flush=True)
""")


def _watched(qtbot, make_window, project):
    """A window on ``project`` at Runs, whose watch looks every LOOK_MS, once it has
    detected the hardware (a notice of its own) and read the project's first marks."""
    window = make_window(project)
    window.watch.timer.setInterval(LOOK_MS)
    window.show_step(3)
    qtbot.waitUntil(lambda: window.context.hardware["device"] != "…", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.watch.marks is not None, timeout=WAIT_MS)
    return window


def _ids(window) -> list[int]:
    return [run["id"] for run in window.runs.runs]


def _status(window, run_id: int) -> str | None:
    return next((r["status"] for r in window.runs.runs if r["id"] == run_id), None)


def _points(window, run_id: int) -> int:
    name = f"run {run_id}"
    return len(window.runs.plot.points(name)[0]) if name in window.runs.plot.buffers else 0


def _say(proc: subprocess.Popen, line: str) -> None:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "ok"


def test_another_processs_run_is_listed_grows_and_ends_without_reopening(
    qtbot, make_window, project
):
    """The audit's gui_watch.py: a command-line pretraining never appeared, its curve
    never grew, and "running" never turned into "done" until the project was opened
    again."""
    with Store.open(project, write=True) as store:
        store.create_dataset("chest", "image", 32)
    window = _watched(qtbot, make_window, project)
    assert _ids(window) == []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    live = subprocess.Popen(
        [sys.executable, "-c", LIVE_RUN, str(project)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        run_id = int(live.stdout.readline())
        qtbot.waitUntil(lambda: _status(window, run_id) == "running", timeout=WAIT_MS)
        _say(live, "steps")
        window.runs.select_run(run_id)
        qtbot.waitUntil(lambda: _points(window, run_id) == 10, timeout=WAIT_MS)
        _say(live, "steps")
        qtbot.waitUntil(lambda: _points(window, run_id) == 20, timeout=WAIT_MS)
        assert [r["id"] for r in window.runs.selected()] == [run_id]  # (still chosen)
        _say(live, "done")
        qtbot.waitUntil(lambda: _status(window, run_id) == "done", timeout=WAIT_MS)
    finally:
        live.stdin.close()
        live.wait(30)


def test_a_run_added_elsewhere_keeps_the_selection_and_the_scroll(qtbot, make_window, project):
    ids = add_runs(project, 30, points=5)
    window = _watched(qtbot, make_window, project)
    table = window.runs.table
    window.resize(1200, 700)
    window.runs.select_run(ids[10])
    table.verticalScrollBar().setValue(8)  # (a row a step: row 8 at the top)
    qtbot.waitUntil(lambda: not window.runs.reading(), timeout=WAIT_MS)
    top = window.runs.runs[table.rowAt(0)]["id"]

    [new] = add_runs(project, 1, points=5)  # another connection: not the window's runner
    qtbot.waitUntil(lambda: new in _ids(window), timeout=WAIT_MS)
    assert [r["id"] for r in window.runs.selected()] == [ids[10]]
    assert window.runs.runs[table.rowAt(0)]["id"] == top  # (the new run is above, unseen)


def test_rows_listed_again_unchanged_are_not_made_anew(qtbot, make_window, project):
    """A running run's curve grew elsewhere ("curves"): the table's cells are set where
    they changed, so the current row and what a screen reader is on stay."""
    ids = add_runs(project, 3, points=5)
    window = _watched(qtbot, make_window, project)
    table = window.runs.table
    window.runs.select_run(ids[1])
    cell = table.item(1, 0)
    notices: list[str] = []
    window.context.changed.connect(notices.append)
    with Store.open(project, write=True) as store:
        store.add_metrics(ids[0], [(100, 0, "lr", 0.1)])
    qtbot.waitUntil(lambda: "curves" in notices, timeout=WAIT_MS)
    assert notices == ["curves"]
    assert table.item(1, 0) is cell and table.currentRow() == 1


def test_unchanged_files_are_only_looked_at(qtbot, make_window, project, monkeypatch):
    """Each look is an os.stat of project.db and its -wal: the project is read only when
    they changed (a network drive is not read every few seconds)."""
    add_runs(project, 2, points=5)
    reads: list[int] = []
    marks = Store.change_marks

    def counted(self):
        reads.append(1)
        return marks(self)

    monkeypatch.setattr(Store, "change_marks", counted)
    window = _watched(qtbot, make_window, project)
    looks: list[int] = []
    window.watch.timer.timeout.connect(lambda: looks.append(1))
    read_before = len(reads)
    qtbot.waitUntil(lambda: len(looks) >= 10, timeout=WAIT_MS)
    assert len(reads) == read_before

    add_runs(project, 1, points=5)
    qtbot.waitUntil(lambda: len(reads) > read_before, timeout=WAIT_MS)


def test_the_windows_own_changes_are_not_told_again(qtbot, make_window, project):
    add_runs(project, 1, points=5)
    window = _watched(qtbot, make_window, project)
    notices: list[str] = []
    window.context.changed.connect(notices.append)
    add_runs(project, 1, points=5)  # (as a job of the window writes, and then tells)
    window.context.notify("runs")
    looks: list[int] = []
    window.watch.timer.timeout.connect(lambda: looks.append(1))
    qtbot.waitUntil(lambda: len(looks) >= 10 and not window.watch.reader.reading())
    assert notices == ["runs"]


def test_the_watch_stops_with_the_project_and_during_the_windows_own_job(
    qtbot, make_window, project
):
    import threading

    window = _watched(qtbot, make_window, project)
    assert window.watch.timer.isActive()
    release = threading.Event()
    window.runner.start("Waiting", lambda report, stop: release.wait(WAIT_MS / 1000))
    qtbot.waitUntil(lambda: window.runner.busy)
    new = add_runs(project, 1, points=5)[0]
    qtbot.wait(10 * LOOK_MS)
    assert new not in _ids(window)  # (its own job's end is told by the panel that ran it)
    release.set()
    qtbot.waitUntil(lambda: new in _ids(window), timeout=WAIT_MS)

    window.open_project(None)
    assert not window.watch.timer.isActive()


def test_view_refresh_f5_reads_the_project_at_once(qtbot, make_window, project):
    window = _watched(qtbot, make_window, project)
    window.watch.timer.stop()  # (no look: only the command)
    [refresh] = [
        action for action in window.findChildren(QAction) if action.shortcut() == QKeySequence("F5")
    ]
    assert refresh.text() == "Refres&h"
    new = add_runs(project, 1, points=5)[0]
    refresh.trigger()
    assert new in _ids(window)


def test_a_project_moved_away_is_said_to_be_not_reachable(qtbot, make_window, project, messages):
    """It said "... is not an SSL Studio project (it has no project.db). Choose the
    project's folder, or create a new project" (the audit's gui_mv.py)."""
    add_runs(project, 1, points=5)
    window = _watched(qtbot, make_window, project)
    moved = project.with_name("moved")
    project.rename(moved)
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)
    qtbot.wait(10 * LOOK_MS)
    assert messages == [("Cannot read the project", missing_message(project))]  # once

    messages.clear()
    moved.rename(project)  # back: read again, said nothing
    qtbot.waitUntil(lambda: len(_ids(window)) == 1, timeout=WAIT_MS)
    assert messages == []


def test_what_a_panel_has_just_told_is_not_told_again(qtbot, make_window, project, messages):
    window = _watched(qtbot, make_window, project)
    window.watch.timer.stop()
    project.rename(project.with_name("moved"))
    window.context.notify("runs")  # (the user went to a page that reads the project)
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)
    looks: list[int] = []
    window.watch.timer.timeout.connect(lambda: looks.append(1))
    window.watch.timer.start()
    qtbot.waitUntil(lambda: len(looks) >= 10, timeout=WAIT_MS)
    assert messages == [("Cannot read the project", missing_message(project))]
