"""What the window says about its jobs: a job's title (which quotes its dataset) is not
quoted again inside 'single quotes'."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QMessageBox

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
