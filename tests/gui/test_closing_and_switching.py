"""The window closing or switching project while a job runs: a job that fails after the
user chose to close tells its failure without a dialog, and a fine-tune wizard that does
not close keeps its project open (it was left working, untracked, on the old one)."""

from __future__ import annotations

import threading

from shiboken6 import isValid

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import create_project

WAIT_MS = 10_000


def test_a_job_failing_after_close_was_chosen_shows_no_dialog_and_is_not_lost(
    qtbot, make_window, project, messages, capsys
):
    window = make_window(project)
    go_on = threading.Event()

    def fails_when_let_go(report, stop):  # a step that ends in an error, stop or not
        go_on.wait(WAIT_MS / 1000)
        raise ConfigError("The disk is full: free some space and run it again.")

    assert window.runner.start("Exporting", fails_when_let_go)
    window.close()  # (Yes: stop it and quit)
    assert window.isVisible() and window.job_status.closing
    go_on.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert messages == []  # no modal dialog while the window goes
    assert "The disk is full" in window.log.toPlainText()
    assert "“Exporting” failed" in window.job_label.text()
    assert "ssl-studio: Exporting failed: The disk is full" in capsys.readouterr().err


def test_a_wizard_that_stays_open_keeps_its_project_open(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """Asked whether to stop fine-tuning and told No, the wizard stays: the project it
    works on stays open and the window keeps track of it."""
    monkeypatch.setattr("ssl_studio.gui.dialogs.confirm", lambda *a, **k: False)
    other = create_project(tmp_path / "other")
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.pages["train"].running = True  # (as while its fine-tuning runs)
    window.open_project(other)
    assert wizard.isVisible() and window.wizard is wizard
    assert window.context.project == project
    assert "still working" in window.statusBar().currentMessage()
    wizard.pages["train"].running = False
    window.open_project(other)  # nothing to ask now: it closes, and the project switches
    assert window.context.project == other and window.wizard is None
    qtbot.waitUntil(lambda: not isValid(wizard), timeout=WAIT_MS)


def test_switching_project_while_the_wizard_trains_is_refused(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    go_on = threading.Event()

    def training(cfg, *, report, stop):
        go_on.wait(WAIT_MS / 1000)
        return {"status": "stopped"}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", training)
    other = create_project(tmp_path / "other")
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.options = {
        "protocol": "linear",
        "baseline": True,
        "test_fraction": 0.2,
        "seed": 0,
        "steps": 5,
    }
    wizard.pages["train"].initializePage()
    assert window.runner.busy
    window.open_project(other)
    assert messages == [("A job is running", "Stop the running job first.")]
    assert window.context.project == project and window.wizard is wizard and wizard.isVisible()
    go_on.set()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def test_a_wizard_closed_while_another_job_runs_goes_at_once(qtbot, make_window, project):
    """A closed wizard waits for a job it started (its pages will be called back), not
    for another panel's job (an hours-long pretraining kept it alive, fed every event)."""
    go_on = threading.Event()
    window = make_window(project)
    assert window.runner.start("Importing", lambda report, stop: go_on.wait(WAIT_MS / 1000))
    wizard = window.open_wizard()
    wizard.reject()
    qtbot.waitUntil(lambda: not isValid(wizard), timeout=WAIT_MS)
    assert window.runner.busy
    go_on.set()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
