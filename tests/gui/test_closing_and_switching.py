"""The window closing while a job runs: a job that fails after the user chose to close
tells its failure without a dialog."""

from __future__ import annotations

import threading

from ssl_studio.core.errors import ConfigError

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
