"""The log panel repeats the startup notice that temporary files go to the user's own
folder (said on stderr too, which no one sees in an app started by a double click)."""

from __future__ import annotations

from ssl_studio.gui import log_panel


def test_the_temporary_folder_notice_is_in_the_log(qtbot, monkeypatch):
    notice = "the system's temporary folder cannot be written, so temporary files go to X."
    monkeypatch.setattr(log_panel, "TEMP_NOTICE", notice, raising=False)
    panel = log_panel.LogPanel()
    qtbot.addWidget(panel)
    assert "The system's temporary folder cannot be written" in panel.toPlainText()
    panel.detach()
    monkeypatch.setattr(log_panel, "TEMP_NOTICE", None, raising=False)
    quiet = log_panel.LogPanel()
    qtbot.addWidget(quiet)
    assert quiet.toPlainText() == ""
    quiet.detach()
