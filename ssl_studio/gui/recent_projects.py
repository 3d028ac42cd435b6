"""The recent-projects list: every project opened lately is remembered, reachable now or not
(a network share that is offline for a while, a VPN that is down), and each is offered with
a note when it cannot be opened now, so it is there again once the drive is back."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer

from ssl_studio.core.errors import ProjectUnreadableError
from ssl_studio.core.project.layout import ProjectPaths
from ssl_studio.gui.gui_thread_gc import collector
from ssl_studio.gui.settings_file import QT_DIALOGS, keep_private

MAX_RECENT = 8
ANSWER_WITHIN_S = 1.0  # how long the list waits for a remembered folder to answer
RELEASE_POLL_MS = 500  # how often a check still under way is looked at (see notes_within)
UNAVAILABLE = "  (not available now)"  # after the path of one that cannot be opened now


def remembered(settings: QSettings) -> list[Path]:
    """The remembered projects, the last opened first, whether or not they are reachable."""
    value = settings.value("recent", [])
    paths = [value] if isinstance(value, str) else list(value or [])
    return [Path(p) for p in paths if p]


def remember(settings: QSettings, project: Path) -> None:
    """Put ``project`` first; the others stay (up to MAX_RECENT), reachable now or not.
    Only ``project`` (just opened, so reachable) is looked up on disk: the others are
    compared by their spelling, as one on an offline share could keep a lookup waiting."""
    spellings = {_spelling(project)}
    try:
        spellings.add(_spelling(project.resolve()))
    except OSError:
        pass
    others = [p for p in remembered(settings) if _spelling(p) not in spellings]
    settings.setValue("recent", [str(p) for p in [project, *others][:MAX_RECENT]])
    keep_private(settings)  # (written now, for its user only: folder names may name patients)


def forget_all(settings: QSettings) -> None:
    """Empty the list (File → Recent projects → Clear list): folder names may name a
    patient or a study, and a shared workstation's next user sees the list. Qt's own file
    dialog forgets its history and last folder too (a system's native dialog keeps its
    own list). The projects themselves are untouched."""
    settings.remove("recent")
    settings.sync()
    qt_dialogs = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, QT_DIALOGS)
    qt_dialogs.remove("FileDialog")  # (Qt's own file dialog: its history, last folder)
    qt_dialogs.sync()


def unreachable_note(project: Path) -> str:
    """Why ``project`` cannot be opened now ("" when it can): a tooltip for the list."""
    try:
        if ProjectPaths(project).is_project():
            return ""
        there = project.is_dir()
    except ProjectUnreadableError as exc:
        return str(exc)
    except OSError:  # a share that went away mid-way, a stale network handle
        there = False
    if there:
        return f"No longer a project: {project} has no project.db (moved or deleted?)."
    return f"Not reachable now: {project} — connect the drive or share, then try again."


def notes_within(projects: list[Path], seconds: float = ANSWER_WITHIN_S) -> list[str]:
    """``unreachable_note`` of each project, each asked on a thread of its own and waited
    for ``seconds`` in all: on Windows a share that went offline can keep a file check
    waiting for half a minute, and the window (which lists them whenever the Recent menu
    opens) must not wait with it. One that has not answered is noted as not reachable.

    Call it on the GUI thread: the GUI-thread collector is held (see gui_thread_gc.py)
    from the threads' start until the last of them has ended, which may be long after
    this returns; a timer on the GUI thread lets go of it then."""
    notes: list[str | None] = [None] * len(projects)

    def ask(index: int, project: Path) -> None:
        notes[index] = unreachable_note(project)

    threads = [
        threading.Thread(target=ask, args=(i, p), daemon=True)  # (never holds up the exit)
        for i, p in enumerate(projects)
    ]
    collector().hold()  # (a collection on one of them could free Qt objects there)
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    _release_when_ended(threads)
    return [
        note
        if note is not None
        else f"Not answering now: {project} — connect the drive or share, then try again."
        for project, note in zip(projects, notes, strict=True)
    ]


def _release_when_ended(threads: list[threading.Thread]) -> None:
    """Let go of the collector's hold once every one of ``threads`` has ended; until
    then look again every RELEASE_POLL_MS, on the GUI thread."""
    if any(thread.is_alive() for thread in threads):
        QTimer.singleShot(RELEASE_POLL_MS, lambda: _release_when_ended(threads))
    else:
        collector().release()


def missing_message(project: Path) -> str:
    """What opening a project whose folder is not there says (it stays in the list)."""
    return (
        f"{project} is not reachable now: the folder is not there. If it is on a network "
        "drive or share, connect it (or the VPN), then try again; if it was moved, open it "
        "where it is now (File → Open project…)."
    )


def lost_message(project: Path) -> str:
    """What reading the open project says when its project.db went away while its folder
    is there (a share's empty mount point, the project moved out of it)."""
    return (
        f"{project} no longer holds the project (its project.db is not there). If it is "
        "on a network drive or share, connect it (or the VPN), then try again; if it was "
        "moved, open it where it is now (File → Open project…)."
    )


def is_missing(project: Path) -> bool:
    try:
        return not project.exists()
    except OSError:
        return True


def _spelling(path: Path) -> str:
    """``path`` made absolute and, on Windows, in one letter case: no file system access."""
    return os.path.normcase(os.path.abspath(path))
