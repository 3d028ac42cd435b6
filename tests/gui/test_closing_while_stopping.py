"""Closing the window again while it waits for a job to stop (audit of a week-long session,
finding 4): the second close did nothing, and a training step on a busy CPU kept the
window open for half a minute. Now a resumable run (pretraining) may be left at once,
as a kill would leave it, and any other job says that it is still stopping."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PIL import Image
from PySide6.QtWidgets import QMessageBox, QPushButton

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.events import Checkpoint, Step, Stopped
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.project.store import Store
from ssl_studio.gui.window_closing import KEEP_WAITING, QUIT_NOW


@pytest.fixture
def quits(monkeypatch) -> list[bool]:
    """Quit now ends the process: recorded here instead."""
    calls: list[bool] = []
    monkeypatch.setattr("ssl_studio.gui.window_closing.exit_now", lambda: calls.append(True))
    return calls


@pytest.fixture
def slow_job():
    """make(saved_step) -> (work, in its step, let it end): a run whose step ends only when
    told; it reports a checkpoint first (unless None), and stops at its next check as a
    run does. Every step is let end after the test."""
    made: list[threading.Event] = []

    def make(saved_step: int | None = 200):
        in_step, may_end = threading.Event(), threading.Event()
        made.append(may_end)

        def work(report, stop):
            if saved_step is not None:
                report(Checkpoint("pretrain", step=saved_step, path="step.pt"))
            for step in range(saved_step or 0, 10_000):
                in_step.set()
                assert may_end.wait(60), "the test never let the step end"
                report(Step("pretrain", step, 10_000, 0, loss=1, lr=0, samples_per_s=1))
                if stop.stopped:
                    return {"status": "stopped"}
            return {"status": "done"}

        return work, in_step, may_end

    yield make
    for may_end in made:
        may_end.set()


def _image_project(tmp_path: Path) -> Path:
    """A project with a dataset of 24 small pictures (as test_job_control's)."""
    folder = tmp_path / "shapes"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):
        picture = rng.integers(0, 60, (32, 32)).astype(np.uint8)
        picture[8:24, 8 + i % 8 : 16 + i % 8] = 200
        Image.fromarray(picture).save(folder / f"{i:02d}.png")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32))
    return project


def _button(box: QMessageBox, text: str) -> QPushButton:
    [button] = [b for b in box.buttons() if b.text() == text]
    return button


def _question(window) -> QMessageBox | None:
    """The question the window shows, if any."""
    shown = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert len(shown) <= 1
    return shown[0] if shown else None


def _closing_twice(qtbot, window, in_step) -> None:
    assert in_step.wait(60)
    qtbot.wait(100)  # (the job's first events reach the window)
    window.close()  # asked (Yes), stopping: the window waits, drawing
    assert window.isVisible() and window.runner.stop_asked
    window.close()  # ...and closed again


def test_a_second_close_offers_to_quit_a_run_now(qtbot, make_window, project, quits, slow_job):
    window = make_window(project)
    work, in_step, may_end = slow_job(saved_step=200)
    assert window.runner.start("Pretraining simclr", work, resumable=True)
    _closing_twice(qtbot, window, in_step)
    box = _question(window)
    assert box is not None  # (shown, not run: the window draws on meanwhile)
    text = box.text()
    assert "Quit now?" in text and "marked interrupted" in text
    assert "resume it in Runs from its checkpoint at step 200" in text
    assert window.isVisible() and quits == []  # nothing happens before the user chooses
    _button(box, QUIT_NOW).click()
    assert quits == [True]
    assert window.settings.value("geometry") is not None  # the window's place is kept
    may_end.set()  # (here the process lives on: the job ends and the window closes)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def test_keep_waiting_waits_and_the_window_closes_when_the_run_has_stopped(
    qtbot, make_window, project, quits, slow_job
):
    window = make_window(project)
    work, in_step, may_end = slow_job(saved_step=None)
    assert window.runner.start("Resuming run 3", work, resumable=True)
    _closing_twice(qtbot, window, in_step)
    box = _question(window)
    assert box is not None and "from its last checkpoint if it has written one" in box.text()
    _button(box, KEEP_WAITING).click()
    qtbot.waitUntil(lambda: _question(window) is None, timeout=5000)
    assert window.isVisible() and window.runner.running
    window.close()  # asked again
    box = _question(window)
    assert box is not None
    may_end.set()  # the run stops while the question is shown: the window just closes
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not shiboken6.isValid(box) or not box.isVisible()  # (gone with it)
    assert quits == []


def test_quit_now_once_the_run_has_ended_cuts_nothing_off(
    qtbot, make_window, project, quits, slow_job
):
    """(Its end and the click may cross: the question is gone with the window, but a click
    already on its way must not end the process.)"""
    window = make_window(project)
    work, in_step, may_end = slow_job()
    assert window.runner.start("Pretraining simclr", work, resumable=True)
    _closing_twice(qtbot, window, in_step)
    may_end.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    window.window_closing.quit_now()
    assert quits == [] and not window.isVisible()


def test_a_second_close_during_another_job_says_it_is_still_stopping(
    qtbot, make_window, project, quits, slow_job
):
    window = make_window(project)
    work, in_step, may_end = slow_job()
    assert window.runner.start("Import", work)  # (not resumable: never cut off)
    _closing_twice(qtbot, window, in_step)
    assert _question(window) is None
    said = window.statusBar().currentMessage()
    assert said.startswith("Still stopping “Import”") and "closes by itself" in said
    assert window.job_label.text() == "Closing when “Import” has finished…"
    may_end.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert quits == []


def test_pretraining_runs_are_started_resumable(qtbot, make_window, project, monkeypatch, slow_job):
    window = make_window(project)
    work, in_step, may_end = slow_job()

    def pretrain(cfg, report, stop):  # (no run, so no summary: as a stop before one)
        work(report, stop)
        raise Stopped

    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", pretrain)
    assert window.pretrain.run(PretrainConfig(project=project, dataset="d"), "Pretraining")
    assert window.runner.resumable
    window.runner.stop()
    may_end.set()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert not window.runner.resumable


CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    from pathlib import Path
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMessageBox
    from ssl_studio.core.engine import trainer_state
    from ssl_studio.core.events import Checkpoint
    from ssl_studio.gui import dialogs
    from ssl_studio.gui.main_window import MainWindow

    def failed(kind, error, trace):  # (a failure ends the child at once: its job's thread
        sys.__excepthook__(kind, error, trace)  # would hold up a normal exit)
        os._exit(4)

    sys.excepthook = failed

    project, settings = Path(sys.argv[1]), QSettings(sys.argv[2], QSettings.Format.IniFormat)
    app = QApplication([])
    dialogs.confirm = lambda *args, **kwargs: True  # "Stop it and quit?": Yes
    window = MainWindow(project, settings=settings)
    window.show()
    saving = threading.Event()
    real_save, calls = trainer_state.save_checkpoint, []

    def slow_save(path, state):  # the second checkpoint takes long (a busy CPU)
        calls.append(path)
        if len(calls) >= 2:
            saving.set()
            time.sleep(600)
        real_save(path, state)

    trainer_state.save_checkpoint = slow_save
    saved = []
    window.runner.reported.connect(
        lambda e: saved.append(e.step) if isinstance(e, Checkpoint) else None
    )
    panel = window.pretrain
    panel.form.steps.setValue(100_000)
    panel.form.train_form.set_value("batch_size", 8)
    panel.form.train_form.set_value("checkpoint_every_steps", 1)
    assert panel.start()
    deadline = time.monotonic() + 240
    while not (saving.is_set() and saved) and time.monotonic() < deadline:
        QTest.qWait(50)
    assert saving.is_set() and saved, "the second checkpoint was never begun"
    print("checkpoint", saved[-1], flush=True)
    window.close()  # stop it and quit: the window waits for the checkpoint...
    window.close()
    [box] = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    [quit_now] = [b for b in box.buttons() if b.text() == "Quit now"]
    quit_now.click()  # the process ends here
    print("still alive", flush=True)
    sys.exit(3)
    """
)


def test_quitting_a_run_now_leaves_it_resumable(qtbot, make_window, tmp_path: Path):
    """The real thing, in a process of its own: a pretraining cut off while it saves a
    checkpoint is found interrupted at the next opening, resumable from Runs from the
    checkpoint before."""
    project = _image_project(tmp_path)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(project), str(tmp_path / "child.ini")],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert child.returncode == 0, child.stdout + child.stderr
    assert "quit while “Pretraining" in child.stderr and "still alive" not in child.stdout
    step = int(child.stdout.split("checkpoint")[-1].split()[0])
    with Store.open(project) as store:
        [run] = store.runs()
    assert run["status"] == "running"  # (the process that wrote it is gone)
    window = make_window(project)
    window.show_step(3)
    assert window.runs.table.item(0, 5).text() == "interrupted"
    window.runs.select_run(run["id"])
    assert window.runs.resume_button.isEnabled()
    state = latest_checkpoint(project / "runs" / str(run["id"]))
    assert state["progress"]["step"] == step
