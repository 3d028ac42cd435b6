"""Jobs in the window: pause, resume and stop of a real pretraining run; failures reach the
user as a message and the window carries on."""

from __future__ import annotations

import threading
import time

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Message, Step, StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store

JOB_MS = 120_000


def _image_project(project, tmp_path, n: int = 24):
    folder = tmp_path / "shapes"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        picture = rng.integers(0, 60, (32, 32)).astype(np.uint8)
        picture[8:24, 8 + i % 8 : 16 + i % 8] = 200
        Image.fromarray(picture).save(folder / f"{i:02d}.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32))
    return project


def test_pause_resume_and_stop_a_real_run(qtbot, make_window, project, tmp_path, monkeypatch):
    # the job's thread entered wait_while_paused while paused, and left it
    blocked, left = threading.Event(), threading.Event()
    wait_while_paused = StopToken.wait_while_paused

    def watched(self, timeout=None):
        paused = self.paused
        if paused:
            blocked.set()
        try:
            return wait_while_paused(self, timeout)
        finally:
            if paused:
                left.set()

    monkeypatch.setattr(StopToken, "wait_while_paused", watched)
    window = make_window(_image_project(project, tmp_path))
    panel = window.pretrain
    window.show_step(1)
    panel.form.steps.setValue(100_000)
    panel.form.train_form.set_value("batch_size", 8)
    steps: list[int] = []
    notes: list[str] = []
    window.runner.reported.connect(lambda e: steps.append(e.step) if isinstance(e, Step) else None)
    window.runner.reported.connect(
        lambda e: notes.append(e.text) if isinstance(e, Message) else None
    )
    assert panel.start()
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=JOB_MS)

    panel.pause_button.click()
    assert window.runner.paused and panel.pause_button.text() == "Resume"
    # the step already running finishes; then the job blocks, after saying where it paused
    # (its earlier steps reach the window before that note: one queue, in order)
    qtbot.waitUntil(blocked.is_set, timeout=JOB_MS)
    qtbot.waitUntil(lambda: any(n.startswith("Paused at step") for n in notes), timeout=JOB_MS)
    paused_at = len(steps)
    qtbot.wait(700)  # longer than log_every_seconds: a step made would have been reported
    assert len(steps) == paused_at and not left.is_set()  # nothing moves while paused
    assert "paused" in panel.view.status.text()  # also after the step that was still running
    panel.pause_button.click()
    assert not window.runner.paused
    qtbot.waitUntil(lambda: left.is_set() and len(steps) > paused_at, timeout=JOB_MS)

    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.last_summary is not None, timeout=JOB_MS)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_MS)
    summary = panel.last_summary
    assert summary["status"] == "stopped" and summary["steps"] < 100_000
    assert "stopped" in panel.view.notice.text() and panel.start_button.isEnabled()
    assert "Time left" not in panel.view.status.text()  # no countdown once the run has ended
    with Store.open(project) as store:
        run = store.run(summary["run_id"])
        assert run["status"] == "stopped" and store.checkpoints(run["id"])  # saved on stop

    window.show_step(3)  # Runs: the stopped run can be resumed
    window.runs.table.selectRow(0)
    assert window.runs.resume_button.isEnabled()
    window.runs.resume_button.click()
    assert window.runner.busy and window.nav.currentRow() == 1
    resumed_from = summary["steps"]
    steps.clear()
    qtbot.waitUntil(lambda: bool(steps), timeout=JOB_MS)
    assert steps[0] > resumed_from  # it goes on from the checkpoint, not from step 1
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_MS)


def test_a_failing_job_reaches_the_user_and_the_window_survives(
    qtbot, make_window, project, messages
):
    shown = messages
    window = make_window(project)

    def bad_config(report, stop):
        report(Message("test", "about to fail"))
        raise ConfigError("The folder is empty: choose a folder with images.")

    assert window.runner.start("Checking", bad_config)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown[0] == ("Checking failed", "The folder is empty: choose a folder with images.")
    assert "about to fail" in window.log.toPlainText()

    def bug(report, stop):
        return {}["missing"]

    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.runner.start("Buggy job", bug)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=10_000)
    title, message = shown[1]
    assert "did not expect" in message and "KeyError" in message and "Traceback" not in message
    qtbot.waitUntil(lambda: "Traceback" in window.log.toPlainText(), timeout=10_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.isVisible() and window.job_label.text() == "Buggy job: failed."
    assert window.runner.start("Next job", lambda report, stop: {"ok": 1})  # still usable
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)


def test_one_job_at_a_time(qtbot, make_window, project, messages):
    window = make_window(project)

    def slow(report, stop):
        while not stop.stopped:
            time.sleep(0.01)
        return {"status": "stopped"}

    assert window.runner.start("Slow job", slow)
    assert not window.context.run(window, "Second job", lambda r, s: None)
    assert messages and "“Slow job” is still running" in messages[0][1]
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Slow job: stopped."


def test_work_stopped_before_it_had_a_result_reads_stopped_and_asks_nothing(
    qtbot, make_window, project, messages
):

    window = make_window(project)
    handed = []

    def embedding(report, stop):  # e.g. the map: Stop pressed while embedding
        while True:
            stop.check()
            time.sleep(0.01)

    assert window.runner.start("Embedding map", embedding, on_done=handed.append)
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Embedding map: stopped."
    assert handed == [] and messages == []  # no half result, no error dialog


def test_what_cannot_start_during_a_job_says_so_and_loses_nothing(
    qtbot, make_window, project, tmp_path, messages
):
    window = make_window(_image_project(project, tmp_path, n=8))

    def writing(report, stop):  # holds the project's write lock, as training does
        with Store.open(project, write=True, purpose="ssl-studio pretrain"):
            while not stop.stopped:
                time.sleep(0.01)
        return {"status": "stopped"}

    window.pretrain.view.loss_plot.append("loss", 1, 0.5)  # the running job's curve
    assert window.runner.start("Pretraining", writing)
    assert not window.pretrain.start()
    assert window.pretrain.view.loss_plot.buffers and "still running" in messages.pop()[1]
    assert not window.open_demo(tmp_path / "demo")
    assert "still running" in messages.pop()[1] and not (tmp_path / "demo").exists()

    wizard = window.open_wizard()
    labels = wizard.pages["labels"]
    wizard.dataset = "shapes"
    assert not labels.label_by_clicking()  # before any click, not when saving them
    assert "Labels cannot be saved while “Pretraining”" in messages.pop()[1]
    labels.use_folders()  # refused before the write lock's message: it names the job
    assert "Labels cannot be saved while “Pretraining”" in messages.pop()[1]
    export = wizard.pages["export"]
    wizard.result = {"run_id": 1}
    export.folder.setText(str(tmp_path / "model"))
    assert not export.export()
    assert export.export_button.isEnabled() and "still running" in messages.pop()[1]
    results = wizard.pages["results"]
    wizard.options = {"protocol": "linear", "baseline": True, "test_fraction": 0.2}
    wizard.options.update(seed=0, steps=10)
    assert not results.label_efficiency()
    assert results.curve_button.text().startswith("Label-efficiency curve")
    assert "still running" in messages.pop()[1]
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert not messages


def test_a_stopped_export_gives_the_export_button_back(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    from ssl_studio.core.events import Stopped

    def stopped_export(*args, **kwargs):  # Stop pressed between two formats
        raise Stopped

    monkeypatch.setattr("ssl_studio.gui.wizard.export_page.export", stopped_export)
    window = make_window(_image_project(project, tmp_path, n=8))
    wizard = window.open_wizard()
    export = wizard.pages["export"]
    wizard.result = {"run_id": 1}
    export.folder.setText(str(tmp_path / "model"))
    assert export.export()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert export.export_button.isEnabled() and "nothing was written" in export.status.text()
    assert window.job_label.text() == "Export: stopped." and not messages


def test_the_live_view_says_paused_while_paused_only_and_once(
    qtbot, make_window, project, monkeypatch
):
    """After Resume the live view still said "— paused. Press Resume to go on." (until the
    next step, which on a CPU may be a while), and each Pause added the note again."""
    from ssl_studio.core.config import PretrainConfig
    from ssl_studio.gui.panels.training_view import PAUSED

    def one_step_then_wait(cfg, *, report, stop):
        report(Step("pretrain", step=1, total=9, epoch=0, loss=1, lr=0, samples_per_s=1))
        while not stop.stopped:
            time.sleep(0.01)
        return {"run_id": 1, "status": "stopped", "steps": 1, "seconds": 1, "final_loss": 1}

    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", one_step_then_wait)
    window = make_window(project)
    panel = window.pretrain
    assert panel.run(PretrainConfig(project=project, dataset="shapes"), "Pretraining")
    qtbot.waitUntil(lambda: panel.view.status.text().startswith("Step 1 of 9"), timeout=JOB_MS)
    stepping = panel.view.status.text()
    for _ in range(2):
        panel.pause_button.click()
        assert panel.view.status.text() == stepping + PAUSED  # said once, however often
        panel.pause_button.click()  # Resume
        assert panel.view.status.text() == stepping
    window.runner.pause()
    window.runner.stop()  # stopped while paused: the note goes too
    assert panel.view.status.text() == stepping
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_MS)


def test_closing_during_a_job_that_cannot_stop_waits_for_it_instead_of_aborting(
    qtbot, make_window, project
):
    window = make_window(project)

    def map_like(report, stop):  # a computation with no point to stop at
        time.sleep(1.0)
        return {"done": True}

    assert window.runner.start("Embedding map", map_like)
    window.close()
    assert window.isVisible() and "Closing when “Embedding map” has finished" in (
        window.job_label.text()
    )
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.runner.busy


def test_closing_during_a_slow_step_keeps_the_window_drawing_until_the_job_ends(
    qtbot, make_window, project, monkeypatch
):
    """close() waited up to 10 s on the window's thread for the job to stop (a training
    step on a CPU takes seconds): the window froze, then said "Closing when…" too late."""
    asked = []
    monkeypatch.setattr("ssl_studio.gui.dialogs.confirm", lambda *a: asked.append(a) or True)
    window = make_window(project)

    in_step, step_may_end = threading.Event(), threading.Event()

    def slow_step(report, stop):  # checks its stop token only between steps
        for step in range(1, 100):
            in_step.set()
            assert step_may_end.wait(60), "the test never let the step end"
            report(Step("pretrain", step=step, total=99, epoch=0, loss=1, lr=0, samples_per_s=1))
            if stop.stopped:
                return {"status": "stopped"}
        return {"status": "done"}

    waits = []  # close() must not block the window's thread on the job
    real_wait = window.runner.wait
    monkeypatch.setattr(window.runner, "wait", lambda *a: waits.append(a) or real_wait(*a))
    said = []  # the status bar after each of the job's events and its end
    for signal in (window.runner.reported, window.runner.finished):
        signal.connect(lambda *_: said.append(window.job_label.text()))
    assert window.runner.start("Pretraining", slow_step)
    assert in_step.wait(60)
    window.close()  # returns while the step still runs (it cannot end before step_may_end)
    assert window.runner.running and not step_may_end.is_set() and waits == []
    assert window.isVisible() and window.runner.stop_asked
    assert window.job_label.text() == "Closing when “Pretraining” has finished…"
    window.close()  # closed again meanwhile: asked once, still closing
    assert len(asked) == 1 and window.isVisible()
    step_may_end.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.runner.busy
    assert said == ["Closing when “Pretraining” has finished…"] * 2  # its last step, its end


def test_sigterm_closes_the_window_and_stops_the_job_without_a_question(
    qtbot, make_window, project, monkeypatch
):
    import os
    import signal

    from ssl_studio.gui.app import close_on_signals

    asked = []
    monkeypatch.setattr("ssl_studio.gui.dialogs.confirm", lambda *a: asked.append(a) or False)
    window = make_window(project)
    stopped = []

    def training(report, stop):  # stops at its next step, as a run does (checkpoint first)
        while not stop.stopped:
            time.sleep(0.01)
        stopped.append(True)
        return {"status": "stopped"}

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        watch = close_on_signals(window)
        assert window.runner.start("Pretraining", training)
        os.kill(os.getpid(), signal.SIGTERM)  # a logout, or `kill` from a terminal
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
        watch.stop()
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
    assert stopped == [True] and asked == []  # the job stopped itself; no one was asked


def test_runs_left_running_by_a_crash_become_resumable(qtbot, make_window, project, tmp_path):
    _image_project(project, tmp_path, n=8)
    with Store.open(project, write=True) as store:
        dataset = store.dataset("shapes")
        run_id = store.create_run(dataset["id"], "pretrain", {"task": "simclr"})
    window = make_window(project)  # the process that wrote "running" is gone
    window.show_step(3)
    assert window.runs.table.item(0, 5).text() == "interrupted"
    window.runs.select_run(run_id)
    assert window.runs.resume_button.isEnabled()
    assert "interrupted" in window.log.toPlainText()
    qtbot.waitUntil(lambda: not window.runs.reading(), timeout=10_000)  # (off the GUI thread)
    title = window.runs.plot.getPlotItem().titleLabel.text
    assert f"run {run_id}: no loss recorded" in title  # it died before its first step
    with Store.open(project, write=True) as store:
        store.add_metrics(run_id, [(s, 0, "loss", 10.0 - s) for s in range(1, 6)])
    window.runs.table.clearSelection()
    window.runs.select_run(run_id)
    qtbot.waitUntil(lambda: not window.runs.reading(), timeout=10_000)
    assert window.runs.plot.points(f"run {run_id}")[1].tolist() == [9.0, 8.0, 7.0, 6.0, 5.0]
    window.runs.table.clearSelection()  # nothing chosen: no curve, and the axes start over
    assert window.runs.plot.curves == {}
    assert "select one or more runs" in window.runs.plot.getPlotItem().titleLabel.text
    assert window.runs.plot.getPlotItem().getViewBox().viewRange()[1][1] < 2
    window.map.reload()  # its checkpoints (if any) can be mapped, as they can be fine-tuned
    box = window.map.run_box
    assert [box.itemData(i)[0] for i in range(box.count())] == [run_id]


def test_closing_the_app_during_training_leaves_a_resumable_run(
    qtbot, make_window, project, tmp_path
):
    window = make_window(_image_project(project, tmp_path))
    panel = window.pretrain
    panel.form.steps.setValue(100_000)
    panel.form.train_form.set_value("batch_size", 8)
    steps: list[int] = []
    window.runner.reported.connect(lambda e: steps.append(e.step) if isinstance(e, Step) else None)
    assert panel.start()
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=JOB_MS)
    window.close()  # asks (answered Yes), stops the job; closes once it has its checkpoint
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=JOB_MS)
    assert not window.runner.running
    with Store.open(project) as store:
        [run] = store.runs()
        saved = store.checkpoints(run["id"])
    assert run["status"] == "stopped" and saved and saved[-1]["step"] >= steps[-1]

    again = make_window(project)  # the next session resumes it from Runs
    again.show_step(3)
    again.runs.select_run(run["id"])
    assert again.runs.resume_button.isEnabled()


def test_a_stopped_import_reads_stopped_not_done(qtbot, make_window, project, tmp_path):
    from ssl_studio.core.events import StopToken

    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16), 40 * i, np.uint8)).save(folder / f"{i}.png")
    window = make_window(project)

    def stopped_import(report, stop):
        token = StopToken()
        token.stop()  # the user pressed Stop before the first file
        return import_data(ImportConfig(project=project, paths=[folder]), stop=token)

    assert window.runner.start("Importing few", stopped_import)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Importing few: stopped."
    assert window.runner.start("Demo", lambda r, s: {"few": stopped_import(r, s)})
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Demo: stopped."
