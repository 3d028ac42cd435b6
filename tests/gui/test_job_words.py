"""What the window says about its jobs: a job's title (which quotes its dataset) is not
quoted again inside 'single quotes', and how the last job ended does not stay in the
status bar for ever."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QMessageBox

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import create_project

TITLE = "Pretraining ts2vec on 'series'"  # as the Pretrain page names its job


def _slow(report, stop):
    while not stop.stopped:
        time.sleep(0.01)
    return {"status": "stopped"}


def test_a_running_job_is_named_without_nested_quotes(
    qtbot, make_window, project, messages, monkeypatch
):
    window = make_window(project)
    assert window.runner.start(TITLE, _slow)
    assert not window.context.run(window, "Export", lambda r, s: None)
    [(_, busy)] = messages
    asked = []

    def question(_, title, text, *__):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", question)
    window.close()  # answered No: the window stays
    [closing] = asked
    for text in (busy, closing):
        assert f"“{TITLE}” is still running." in text
        assert "''" not in text and f"'{TITLE}'" not in text
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)


def test_how_the_last_job_ended_goes_with_its_project_or_after_a_while(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    window = make_window(project)

    def broken(report, stop):
        raise ConfigError("No files to import.")

    assert window.runner.start("Importing into a new dataset", broken)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Importing into a new dataset: failed."
    window.open_project(create_project(tmp_path / "other"))
    assert window.job_label.text() == ""  # not about this project
    assert "Importing into a new dataset" in window.log.toPlainText()  # the log keeps it

    monkeypatch.setattr("ssl_studio.gui.job_status.OUTCOME_SHOWN_MS", 100)
    assert window.runner.start("Slow job", lambda report, stop: {"ok": 1})
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Slow job: done."
    qtbot.waitUntil(lambda: window.job_label.text() == "", timeout=2_000)
