"""A job's end is announced to a screen reader ("Export: done."), which does not follow
the status bar where it was only shown."""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent


def test_a_finished_or_stopped_job_is_announced(qtbot, make_window, project, monkeypatch):
    said: list[tuple[object, str]] = []

    def heard(event):
        if isinstance(event, QAccessibleAnnouncementEvent):
            said.append((event.object(), event.message()))

    monkeypatch.setattr(QAccessible, "updateAccessibility", heard)
    window = make_window(project)
    assert window.runner.start("Export", lambda report, stop: {"files": {}})
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert said == [(window.job_label, "Export: done.")]
    assert window.runner.start("Fine-tuning", lambda report, stop: {"status": "stopped"})
    qtbot.waitUntil(lambda: len(said) == 2, timeout=10_000)
    assert said[1] == (window.job_label, "Fine-tuning: stopped.")
