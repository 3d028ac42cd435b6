"""What the window says about the running job: a refused start leaves the running run's
live view alone; paused and stopping show for any job; a failed job leaves no stale
"…ing" text behind."""

from __future__ import annotations

import time

from PySide6.QtGui import QAction

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Progress, Step

from gui_helpers import import_shapes

WAIT_MS = 10_000


def _action(window, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def _fake_pretrain(cfg, report, stop):
    """Steps of a run, as the engine reports them, until stopped."""
    step = 0
    while not stop.stopped:
        stop.wait_while_paused()
        step += 1
        report(Step("pretrain", step, 10_000, 1, 1.0 / step, 1e-3, 100.0))
        time.sleep(0.02)
    return {"status": "stopped", "run_id": 1, "steps": step, "seconds": 1.0}


def test_ctrl_r_during_a_run_leaves_its_live_view_running(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", _fake_pretrain)
    window = make_window(import_shapes(project, tmp_path))
    panel = window.pretrain
    assert panel.start()
    qtbot.waitUntil(lambda: panel.view.progress.value() >= 2, timeout=WAIT_MS)
    _action(window, "Start pretraining").trigger()  # Ctrl+R while the run goes on
    assert "still running" in messages.pop()[1]
    seen = panel.view.progress.value()  # the live view goes on with the run
    qtbot.waitUntil(lambda: panel.view.progress.value() >= seen + 3, timeout=WAIT_MS)
    assert panel.view.status.text().startswith("Step ")  # not "Preparing the data…"
    assert panel.stop_button.isEnabled() and panel.pause_button.isEnabled()

    panel.stop_button.click()
    assert not panel.stop_button.isEnabled() and not panel.pause_button.isEnabled()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert "stopped" in panel.view.notice.text() and not messages


def test_the_empty_health_plot_says_when_its_first_point_comes(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", _fake_pretrain)
    window = make_window(import_shapes(project, tmp_path))
    panel = window.pretrain
    panel.form.train_form.set_value("health_every_steps", 20)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.view.progress.value() >= 2, timeout=WAIT_MS)
    assert "measured every 20 steps" in panel.view.health.text()
    assert "first point at step 20" in panel.view.health.text()
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def test_paused_and_stopping_show_in_the_status_bar_for_any_job(qtbot, make_window, project):
    window = make_window(project)

    def importing(report, stop):  # as an import does: files done, pause, a slow stop
        done = 0
        while not stop.stopped:
            stop.wait_while_paused()
            done += 1
            report(Progress("import", done=done, total=10**6, phase="decode"))
            time.sleep(0.01)
        time.sleep(0.3)  # the files being decoded are finished first
        return {"cancelled": True}

    assert window.runner.start("Importing 'scans'", importing)
    label = window.job_label
    qtbot.waitUntil(lambda: "files" in label.text(), timeout=WAIT_MS)
    _action(window, "Pause / resume the job").trigger()  # Ctrl+P
    assert label.text().endswith(" — Paused — Ctrl+P to resume")
    qtbot.wait(200)  # a file already being decoded may still report: the note stays
    assert label.text().endswith(" — Paused — Ctrl+P to resume")
    _action(window, "Pause / resume the job").trigger()
    assert "Paused" not in label.text()
    qtbot.waitUntil(lambda: label.text().endswith(" 0 failed"), timeout=WAIT_MS)
    assert label.text().startswith("Importing 'scans': ") and "/1000000 files, 0 items" in (
        label.text()
    )  # what an import has done, not "(decode): 12 done"

    window.stop_button.click()
    assert label.text().endswith(" — Stopping…") and not window.stop_button.isEnabled()
    _action(window, "Pause / resume the job").trigger()  # nothing to pause any more
    assert label.text().endswith(" — Stopping…") and not window.runner.paused
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert label.text() == "Importing 'scans': stopped."

    assert window.runner.start("Next job", lambda report, stop: time.sleep(0.2))
    assert window.stop_button.isVisible() and window.stop_button.isEnabled()
    assert label.text() == "Next job…"
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def test_a_failed_prediction_leaves_no_predicting_text(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    def failing(*args, **kwargs):
        raise ConfigError("No files found under the folder: nothing to predict.")

    monkeypatch.setattr("ssl_studio.gui.panels.export_panel.predict", failing)
    window = make_window(project)
    panel = window.export
    monkeypatch.setattr(panel, "selected", lambda: {"folder": str(tmp_path / "model")})
    assert panel.predict_folder(tmp_path / "new", tmp_path / "predictions.csv")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert messages.pop()[0] == "Prediction failed"
    assert "Predicting on" not in panel.status.text()
    assert "The prediction failed" in panel.status.text()


def test_the_prediction_counts_read_as_english(make_window, project, tmp_path):
    window = make_window(project)
    panel = window.export
    out = tmp_path / "predictions.csv"
    out.write_text("path,index,p_a,p_b,predicted,error,note\nx.csv,0,0.9,0.1,a,,\n")
    panel._predicted({"cancelled": False, "items": 1, "errors": 1, "out": str(out)})
    assert panel.status.text().startswith("1 item predicted, 1 file could not be read. ")
    panel._predicted({"cancelled": False, "items": 2, "errors": 0, "out": str(out)})
    assert panel.status.text().startswith("2 items predicted, 0 files could not be read. ")
    panel._predicted({"cancelled": True, "items": 1, "errors": 0, "out": str(out)})
    assert panel.status.text() == "Stopped after 1 item; nothing was saved."


def test_the_pretrain_view_points_to_the_runs_of_earlier_sessions(make_window, project, tmp_path):
    from ssl_studio.core.project.store import Store

    window = make_window(import_shapes(project, tmp_path))
    assert window.pretrain.view.status.text().startswith("No run yet.")
    with Store.open(project, write=True) as store:
        store.create_run(store.dataset("shapes")["id"], "pretrain", {"task": "simclr"})
    again = make_window(project)  # a later session
    text = again.pretrain.view.status.text()
    assert "No run in this session" in text and "Runs" in text


def test_the_map_names_its_runs_in_full(qtbot, make_window, project, tmp_path):
    from ssl_studio.core.project.store import Store

    window = make_window(import_shapes(project, tmp_path))
    window.show_step(4)  # shown while the project has no run yet
    qtbot.wait(100)
    with Store.open(project, write=True) as store:
        run_id = store.create_run(store.dataset("shapes")["id"], "pretrain", {"task": "simclr"})
        store.finish_run(run_id, "done")
    window.map.reload()  # as after a run of this session
    box = window.map.run_box
    qtbot.waitUntil(lambda: box.width() >= box.sizeHint().width(), timeout=2000)
    text = box.itemText(0)
    assert text == f"Run {run_id}: simclr on shapes — done"
    assert box.width() > box.fontMetrics().horizontalAdvance(text)  # not "Run 1: si"


def test_the_status_bar_says_how_far_each_kind_of_job_is():
    from ssl_studio.core.wording import progress_detail

    assert progress_detail(Progress("predict", done=1, phase="predict")) == "1 item so far"
    files = Progress("predict", done=64, total=1000, eta_s=9.6, counts={"errors": 1})
    assert progress_detail(files) == "64 of 1000 files, 1 with errors, about 10 s left"
    assert progress_detail(Progress("label-efficiency", done=3, total=30, phase="k=5")) == (
        "k=5, 3/30 done"
    )
    assert progress_detail(Progress("import", done=4, phase="discover")) == (
        "looking for files, 4 found"
    )
    counted = Progress("import", done=3, total=9, counts={"items": 5, "failed": 1, "skipped": 2})
    assert progress_detail(counted) == "3/9 files, 5 items, 1 failed, 2 skipped"


def test_a_job_started_when_one_ends_is_the_one_the_status_bar_names(qtbot, make_window, project):
    """A job whose on_done started the next one (the demo opening its project, say) had
    its "…: done." written over the next job's name for as long as that one ran."""
    window = make_window(project)
    finished = []
    window.runner.finished.connect(lambda title, _: finished.append(title))

    def second(report, stop):
        while not stop.stopped:
            time.sleep(0.01)
        return {"status": "stopped"}

    assert window.runner.start(
        "Job A", lambda r, s: {}, lambda _: window.runner.start("Job B", second)
    )
    qtbot.waitUntil(lambda: finished == ["Job A"], timeout=WAIT_MS)
    assert window.runner.busy and window.job_label.text() == "Job B…"
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert window.job_label.text() == "Job B: stopped."


def test_a_series_export_predicts_in_windows_when_asked(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    from ssl_studio.core.export.series_windows import Span

    asked = []

    def fake(*args, **kwargs):
        asked.append(kwargs.get("windows"))
        return {"cancelled": True, "items": 0, "errors": 0, "out": None}

    monkeypatch.setattr("ssl_studio.gui.panels.export_panel.predict", fake)
    window = make_window(project)
    panel = window.export
    series = {"folder": str(tmp_path / "model"), "card": {"spec": {"modality": "timeseries"}}}
    image = {"folder": str(tmp_path / "model"), "card": {"spec": {"modality": "image"}}}
    monkeypatch.setattr("ssl_studio.gui.panels.export_panel.card_markdown", lambda card: "")
    for chosen, checked in ((series, False), (series, True), (image, True)):
        monkeypatch.setattr(panel, "selected", lambda chosen=chosen: chosen)
        panel._chosen()  # (as choosing the export in the list does)
        assert panel.windows_row.isVisibleTo(panel) is (chosen is series)
        panel.in_windows.setChecked(checked)
        panel.window_seconds.setValue(2.5)
        assert panel.predict_folder(tmp_path / "new", tmp_path / "predictions.csv")
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert asked == [False, Span(2.5, seconds=True), False]  # images: never in windows
    assert not panel.windows_row.isVisibleTo(panel)  # hidden for the image export
