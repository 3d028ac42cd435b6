"""The recent list's folder checks run on plain threads that may outlive the list's wait
(a share gone offline): Python's collector stays on the GUI thread until the last has
ended, as it does for jobs and background reads (see gui_thread_gc.py)."""

from __future__ import annotations

import gc
import threading

from ssl_studio.gui import recent_projects
from ssl_studio.gui.gui_thread_gc import collector


def test_the_collector_is_held_while_a_check_runs_and_let_go_after(qtbot, tmp_path, monkeypatch):
    hung, fine = tmp_path / "share", tmp_path / "local"
    release = threading.Event()

    def note(project):
        if project == hung:
            release.wait(60)  # (an offline share: the check outlives the list's wait)
        return ""

    monkeypatch.setattr(recent_projects, "unreachable_note", note)
    holds = collector().holds
    try:
        notes = recent_projects.notes_within([hung, fine], seconds=0.2)
        assert notes[0].startswith("Not answering now") and notes[1] == ""
        assert collector().holds == holds + 1 and not gc.isenabled()  # still under way
        qtbot.wait(2 * recent_projects.RELEASE_POLL_MS)
        assert collector().holds == holds + 1  # ... and still
    finally:
        release.set()
    qtbot.waitUntil(lambda: collector().holds == holds, timeout=5000)
    assert gc.isenabled() or holds > 0


def test_checks_that_all_answered_let_go_at_once(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(recent_projects, "unreachable_note", lambda project: "")
    holds = collector().holds
    assert recent_projects.notes_within([tmp_path / "a", tmp_path / "b"]) == ["", ""]
    assert collector().holds == holds
