"""The Runs panel's curves: read off the GUI thread, a stale read (another selection,
another project) dropped, each finished run's curve read once, the selection kept when
the runs are listed again; and plots hidden on another step draw only when shown."""

from __future__ import annotations

import threading

import pytest

from ssl_studio.core.events import Step
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

from gui_helpers import POINTS, add_runs

WAIT_MS = 10_000


@pytest.fixture
def loss_reads(monkeypatch) -> list[int]:
    """The runs whose loss curve is read from the project (any way it may be read)."""
    reads: list[int] = []
    metrics, arrays = Store.metrics, Store.metric_arrays

    def counted_metrics(self, run_id, name):
        if name == "loss":
            reads.append(run_id)
        return metrics(self, run_id, name)

    def counted_arrays(self, run_id, names, **options):
        names = list(names)
        if "loss" in names:
            reads.append(run_id)
        return arrays(self, run_id, names, **options)

    monkeypatch.setattr(Store, "metrics", counted_metrics)
    monkeypatch.setattr(Store, "metric_arrays", counted_arrays)
    return reads


@pytest.fixture
def held_reads(monkeypatch) -> dict[int, threading.Event]:
    """Reads of the loss of a run listed here wait until its event is set (a slow disk);
    every read records the thread it ran on in ``held_reads["threads"]``."""
    held: dict = {"threads": []}
    arrays = Store.metric_arrays

    def slow(self, run_id, names, **options):
        held["threads"].append(threading.current_thread())
        if run_id in held:
            assert held[run_id].wait(WAIT_MS / 1000)
        return arrays(self, run_id, names, **options)

    monkeypatch.setattr(Store, "metric_arrays", slow)
    return held


def _settled(qtbot, window) -> None:
    """Wait until the Runs panel has every curve it asked for."""
    qtbot.waitUntil(lambda: not window.runs.reading(), timeout=WAIT_MS)


def _selected_ids(window) -> list[int]:
    return sorted(run["id"] for run in window.runs.selected())


def _pick(window, run_ids: list[int]) -> None:
    """Select the rows of ``run_ids`` as Ctrl+click does."""
    from PySide6.QtCore import QItemSelectionModel

    table = window.runs.table
    table.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row, run in enumerate(window.runs.runs):
        if run["id"] in run_ids:
            table.selectionModel().select(table.model().index(row, 0), flags)


# ---- reading off the GUI thread ------------------------------------------------------------


def test_a_curve_is_read_off_the_gui_thread_while_the_selection_stays_usable(
    qtbot, make_window, project, held_reads
):
    """The first selection of a long run read its curve on the GUI thread (0.1–0.3 s at
    57 600 points): the window stood still meanwhile."""
    (run,) = add_runs(project, 1)
    window = make_window(project)
    window.show_step(3)
    held_reads[run] = threading.Event()
    window.runs.select_run(run)
    assert "reading" in window.runs.plot.getPlotItem().titleLabel.text  # not drawn yet
    assert window.runs.folder_button.isEnabled()  # the actions answer at once
    held_reads[run].set()
    _settled(qtbot, window)
    assert held_reads["threads"] and threading.main_thread() not in held_reads["threads"]
    assert window.runs.plot.points(f"run {run}")[0].size == POINTS


def test_a_curve_read_for_an_earlier_selection_is_not_drawn(
    qtbot, make_window, project, held_reads
):
    first, second = add_runs(project, 2, points=50)
    window = make_window(project)
    window.show_step(3)
    held_reads[first] = threading.Event()
    window.runs.select_run(first)
    window.runs.table.clearSelection()
    window.runs.select_run(second)  # chosen while the first one is still being read
    qtbot.waitUntil(lambda: f"run {second}" in window.runs.plot.curves, timeout=WAIT_MS)
    held_reads[first].set()
    _settled(qtbot, window)
    assert list(window.runs.plot.curves) == [f"run {second}"]
    assert _selected_ids(window) == [second]


def test_reads_asked_again_before_they_start_are_skipped(
    qtbot, make_window, project, held_reads, monkeypatch
):
    """Going down the list run after run while the disk is slow: a read that has not
    started when another selection comes is not made (each was, one after the other)."""
    from PySide6.QtCore import QThreadPool

    pool = QThreadPool.globalInstance()
    threads = pool.maxThreadCount()
    pool.setMaxThreadCount(1)  # (the reads queue behind the held one)
    read: list[int] = []
    held = Store.metric_arrays
    monkeypatch.setattr(
        Store,
        "metric_arrays",
        lambda self, run_id, names, **kw: read.append(run_id) or held(self, run_id, names, **kw),
    )
    try:
        first, *middle, last = add_runs(project, 5, points=50)
        window = make_window(project)
        window.show_step(3)
        held_reads[first] = threading.Event()
        window.runs.select_run(first)
        qtbot.waitUntil(lambda: first in read, timeout=WAIT_MS)  # (held, on the one thread)
        for run in [*middle, last]:
            window.runs.table.clearSelection()
            window.runs.select_run(run)
        held_reads[first].set()
        qtbot.waitUntil(lambda: f"run {last}" in window.runs.plot.curves, timeout=WAIT_MS)
        _settled(qtbot, window)
        assert read == [first, last]  # (each run was read in turn)
        assert list(window.runs.plot.curves) == [f"run {last}"]
    finally:
        pool.setMaxThreadCount(threads)


def test_a_curve_read_for_the_project_closed_meanwhile_is_dropped(
    qtbot, make_window, project, tmp_path, held_reads
):
    (run,) = add_runs(project, 1, points=50)
    other = create_project(tmp_path / "other")
    add_runs(other, 1, points=50)  # (the same id, another run)
    window = make_window(project)
    window.show_step(3)
    held_reads[run] = threading.Event()
    window.runs.select_run(run)
    window.open_project(other)
    held_reads[run].set()
    _settled(qtbot, window)
    assert window.runs.plot.curves == {} and window.runs.curve_cache == {}
    assert "select one or more runs" in window.runs.plot.getPlotItem().titleLabel.text


def test_a_panel_deleted_mid_read_lets_go_of_the_garbage_collector(qtbot, project, held_reads):
    """Collection waits for the GUI thread while a read runs (as while a job runs), also
    when the panel is deleted meanwhile (until the worker is done with Python), and not
    longer: a deleted panel must not leave it so for the rest of the session."""
    from PySide6.QtCore import QThreadPool
    from shiboken6 import isValid

    from ssl_studio.gui.context import AppContext
    from ssl_studio.gui.gui_thread_gc import collector
    from ssl_studio.gui.jobs import JobRunner
    from ssl_studio.gui.panels.runs_panel import RunsPanel

    (run,) = add_runs(project, 1, points=50)
    context = AppContext(JobRunner())
    context.project = project
    panel = RunsPanel(context)
    before = collector().holds
    held_reads[run] = threading.Event()
    panel.select_run(run)
    assert collector().holds == before + 1
    panel.deleteLater()
    qtbot.waitUntil(lambda: not isValid(panel), timeout=WAIT_MS)
    assert collector().holds == before + 1  # (the worker still runs Python)
    held_reads[run].set()
    assert QThreadPool.globalInstance().waitForDone(WAIT_MS)
    qtbot.waitUntil(lambda: collector().holds == before, timeout=WAIT_MS)


# ---- read once, selection kept -------------------------------------------------------------


def test_a_job_starting_and_ending_reads_and_draws_no_curve_again(
    qtbot, make_window, project, loss_reads
):
    """Each job start and end read and drew the selected runs again on the GUI thread
    (1 to 4 s with long runs); now it only enables the buttons."""
    ids = add_runs(project, 3)
    window = make_window(project)
    window.show_step(3)
    runs = window.runs
    runs.table.selectAll()
    _settled(qtbot, window)
    assert sorted(loss_reads) == ids
    assert len(runs.plot.curves) == 3 and runs.delete_button.isEnabled()
    drawn = []
    runs.plot.curves[f"run {ids[0]}"].sigPlotChanged.connect(lambda *_: drawn.append(1))
    window.runner.start("noop", lambda report, stop: {"status": "done"})
    assert not runs.delete_button.isEnabled()  # a job runs: no deleting
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert runs.delete_button.isEnabled()
    assert sorted(loss_reads) == ids and not drawn


def test_the_selected_runs_stay_selected_when_the_runs_are_listed_again(
    qtbot, make_window, project
):
    """Every job's end (a "runs" notice) refilled the table and dropped the selection."""
    first, _, third = add_runs(project, 3, points=10)
    window = make_window(project)
    _pick(window, [first, third])
    assert _selected_ids(window) == [first, third]
    window.context.notify("runs")
    assert _selected_ids(window) == [first, third]
    (new,) = add_runs(project, 1, points=10)  # a new run above them (the rows move down)
    window.context.notify("runs")
    assert _selected_ids(window) == [first, third]
    _settled(qtbot, window)
    assert sorted(window.runs.plot.curves) == [f"run {first}", f"run {third}"]
    assert new in [r["id"] for r in window.runs.runs]


def test_another_project_starts_with_none_of_its_runs_selected(
    qtbot, make_window, project, tmp_path
):
    """The ids selected in one project were selected again in the next one opened (its
    run 2 is another run)."""
    _, second = add_runs(project, 2, points=10)
    other = create_project(tmp_path / "other")
    assert add_runs(other, 2, points=10)[1] == second  # the same ids, other runs
    window = make_window(project)
    _pick(window, [second])
    _settled(qtbot, window)
    assert _selected_ids(window) == [second]
    window.open_project(other)
    _settled(qtbot, window)
    assert _selected_ids(window) == [] and not window.runs.plot.curves


def test_a_finished_runs_curve_is_read_once_until_the_run_changes(
    qtbot, make_window, project, loss_reads
):
    first, second = add_runs(project, 2)
    window = make_window(project)
    window.show_step(3)
    runs = window.runs
    for _ in range(3):
        runs.table.clearSelection()
        runs.select_run(first)
        _settled(qtbot, window)
    assert loss_reads == [first]
    assert runs.plot.curves[f"run {first}"].getData()[0].size == POINTS
    with Store.open(project, write=True) as store:  # resumed elsewhere and stopped later
        store.add_metrics(first, [(POINTS + 1, 0, "loss", 0.4)])
        store.finish_run(first, "stopped", {"steps": POINTS + 1, "seconds": 61.0})
    window.context.notify("runs")
    _settled(qtbot, window)
    assert loss_reads == [first, first]
    assert runs.plot.curves[f"run {first}"].getData()[0].size == POINTS + 1
    runs.table.clearSelection()
    runs.select_run(second)
    _settled(qtbot, window)
    runs.resume_requested.emit(second, "chest")  # (Resume: its curve will grow)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    runs.table.clearSelection()
    runs.select_run(second)
    _settled(qtbot, window)
    assert loss_reads.count(second) >= 2


# ---- hidden plots --------------------------------------------------------------------------


def test_plots_on_a_step_not_shown_draw_only_when_it_is_shown(qtbot, make_window, project):
    """The live pretraining plots and the Runs panel's drew every new point on steps the
    user was not looking at."""
    (run,) = add_runs(project, 1, points=50)
    window = make_window(project)
    window.show_step(0)  # Data: the Pretrain and Runs steps are hidden
    view = window.pretrain.view
    for step in (1, 2, 3):
        event = Step("pretrain", step=step, total=9, epoch=0, loss=1.0, lr=0.1, samples_per_s=5)
        view.show_event(event, paused=False)
    window.runs.select_run(run)
    _settled(qtbot, window)
    plots = (view.loss_plot, window.runs.plot)
    assert not any(plot.timer.isActive() for plot in plots)  # no frame waits to be drawn
    assert view.loss_plot.curves["loss"].getData()[0] is None  # nothing drawn...
    assert window.runs.plot.curves[f"run {run}"].getData()[0] is None
    assert view.loss_plot.points("loss")[0].tolist() == [1, 2, 3]  # ...but all kept
    window.show_step(1)
    assert view.loss_plot.curves["loss"].getData()[0].tolist() == [1, 2, 3]
    window.show_step(3)
    assert window.runs.plot.curves[f"run {run}"].getData()[0].size == 50


# ---- running and resumed runs --------------------------------------------------------------


def _set_running(project, run_id: int, monkeypatch) -> None:
    """Run ``run_id`` recorded as running, by a process that writes the project (as if
    another process trained it: the window recovers cut-off runs when it opens)."""
    with Store.open(project, write=True) as store:
        store.conn.execute("UPDATE runs SET status = 'running' WHERE id = ?", (run_id,))
        store.conn.commit()
    monkeypatch.setattr("ssl_studio.core.project.info.writer_present", lambda *_: True)


def test_a_running_runs_curve_is_not_read_again_on_each_reload(
    qtbot, make_window, project, monkeypatch
):
    """Each Runs-panel reload read a selected running run's whole curve again; now the
    points it has are kept and only those logged since its newest checkpoint are read."""
    (run,) = add_runs(project, 1)
    rows_read: list[int] = []  # the points of each read of the run's loss
    arrays = Store.metric_arrays

    def counted(self, run_id, names, **options):
        out = arrays(self, run_id, names, **options)
        if "loss" in names and run_id == run:
            rows_read.append(len(out["loss"][0]) if "loss" in out else 0)
        return out

    monkeypatch.setattr(Store, "metric_arrays", counted)
    window = make_window(project)
    window.show_step(3)
    _set_running(project, run, monkeypatch)  # (after the window's recovery of cut-off runs)
    window.context.notify("runs")
    runs = window.runs
    assert runs.runs[0]["status"] == "running"
    runs.select_run(run)
    _settled(qtbot, window)
    for _ in range(3):
        window.context.notify("runs")
        _settled(qtbot, window)
    assert rows_read[0] == POINTS and sum(rows_read) <= POINTS + 3  # (from the checkpoint on)
    with Store.open(project, write=True) as store:  # it trains on
        store.add_metrics(run, [(POINTS + 1, 0, "loss", 0.4), (POINTS + 2, 0, "loss", 0.3)])
    window.context.notify("runs")
    _settled(qtbot, window)
    assert rows_read[-1] <= 3 and sum(rows_read) <= POINTS + 6
    steps, losses = runs.plot.points(f"run {run}")
    assert steps.size == POINTS + 2 and losses[-2:].tolist() == [0.4, 0.3]


def test_choosing_another_running_run_never_shows_the_first_ones_curve_as_its_own(
    qtbot, make_window, project, monkeypatch, held_reads
):
    """Two running runs had the same curve keys (None): choosing the second kept the
    first one's curve on screen, under the second's selection, until its read came."""
    first, second = add_runs(project, 2)
    window = make_window(project)
    window.show_step(3)
    for run in (first, second):
        _set_running(project, run, monkeypatch)
    window.context.notify("runs")
    runs = window.runs
    runs.select_run(first)
    _settled(qtbot, window)
    assert f"run {first}" in runs.plot.curves
    held_reads[second] = threading.Event()
    runs.select_run(second)
    assert "reading" in runs.plot.getPlotItem().titleLabel.text
    assert f"run {first}" not in runs.plot.curves
    held_reads[second].set()
    _settled(qtbot, window)
    assert list(runs.plot.curves) == [f"run {second}"]


def test_a_growing_curve_takes_the_steps_logged_again_after_its_checkpoint():
    """A resumed run logs the steps after its newest checkpoint again: those replace the
    ones kept, the earlier ones stay."""
    import numpy as np

    from ssl_studio.gui.panels.loss_curves import GrowingCurve

    first = GrowingCurve.read((np.arange(1, 11), np.ones(10)), None, 6)
    assert first.next_from == 6
    later = first.extended((np.arange(6, 9), np.zeros(3)), first.next_from, 8)
    assert later.steps.tolist() == list(range(1, 9)) and later.losses.tolist() == [1] * 5 + [0] * 3
    assert later.next_from == 8
    assert GrowingCurve.read(None, None, None).curve() is None


def test_a_resumed_runs_stored_curves_are_read_off_the_gui_thread(
    qtbot, make_window, project, monkeypatch
):
    """Resume read the run's stored curves (57 600 points each for a long run) on the GUI
    thread before the job started; now a worker reads them and the view draws them."""
    (run,) = add_runs(project, 1)
    threads: list[threading.Thread] = []
    arrays = Store.metric_arrays

    def recorded(self, run_id, names, **options):
        threads.append(threading.current_thread())
        return arrays(self, run_id, names, **options)

    monkeypatch.setattr(Store, "metric_arrays", recorded)
    window = make_window(project)
    window.runs.select_run(run)
    _settled(qtbot, window)
    threads.clear()
    window.runs.resume_requested.emit(run, "chest")
    plot = window.pretrain.view.loss_plot
    qtbot.waitUntil(lambda: "loss" in plot.buffers, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    assert threads and threading.main_thread() not in threads
    assert plot.points("loss")[0].size == POINTS
