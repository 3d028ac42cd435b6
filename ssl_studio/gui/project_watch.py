"""Changes another process makes to the open project, shown: a command-line job, a
colleague's window, a torchrun job on the same project (one writes at a time; the window
views meanwhile). Every few seconds the sizes and times of project.db and its -wal file are
looked at (os.stat, off the GUI thread: a share that stopped answering keeps no window
waiting); only when they changed are the project's change marks read
(Store.change_marks), and only the parts whose marks moved are told to the panels, with
the window's own change notices: a new or deleted run, a run's end, a running run's
growing curve ("curves"), a dataset imported or removed, labels, an export. The panels keep
what the user chose and where they scrolled.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from ssl_studio.core.project.layout import ProjectPaths
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.store.change_marks import PARTS
from ssl_studio.gui.background_read import BackgroundReader
from ssl_studio.gui.context import AppContext, read_error
from ssl_studio.gui.jobs import hidden_error

log = logging.getLogger("ssl_studio.gui")

WATCH_MS = 3000  # how often the project's files are looked at
REFRESHED = ("datasets", "labels", "runs", "exports")  # what View → Refresh reads again

FileMarks = tuple[tuple[int, int, int] | None, ...]


def file_marks(project: Path) -> FileMarks:
    """(size, modification time, file id) of project.db and of its -wal file (None for
    one that is not there, or cannot be looked at): what a write by any process changes,
    in WAL mode and with the rollback journal (a network drive) alike."""
    db = ProjectPaths(project).db
    marks = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            found = os.stat(path)
        except OSError:
            marks.append(None)
        else:
            marks.append((found.st_size, found.st_mtime_ns, found.st_ino))
    return tuple(marks)


@dataclass
class Look:
    """What one look at ``project`` found: its ``files``; ``marks`` (None when the files
    were as seen before, so nothing was read); ``error``: why it could not be read."""

    project: Path
    files: FileMarks
    marks: dict[str, Any] | None = None
    error: str = ""


def look_at(project: Path, seen: FileMarks | None) -> Look:
    """Look at ``project`` (any thread): its change marks only when its files are not as
    ``seen``."""
    files = file_marks(project)
    if files == seen:
        return Look(project, files)
    try:
        with Store.open(project) as store:
            return Look(project, files, store.change_marks())
    except Exception as exc:  # noqa: BLE001 - told in the window, never lost on a thread
        told = read_error(exc, project)
        if told is None:  # (a path in it may be named after a patient: hidden)
            trace, error = hidden_error(exc)
            log.error("Looking at the project for changes failed:\n%s", trace)
            told = f"The project could not be read ({error})."
        return Look(project, files, error=told)


class ProjectWatch(QObject):
    """Looks at the open project every WATCH_MS while ``window`` shows it and runs no job
    (its own job's end is told by the panel that started it), and tells the parts another
    process changed as ``context.notify`` does. ``refresh()`` (View → Refresh) has every
    panel read the project again now."""

    def __init__(self, context: AppContext, window: QWidget, interval_ms: int = WATCH_MS) -> None:
        super().__init__(window)
        self.context = context
        self.window = window
        self.files: FileMarks | None = None  # as last looked at (None: read the marks)
        self.marks: dict[str, Any] | None = None  # as last read (None: none read yet)
        # parts the window told of itself since the last read (-> the looks started by
        # then: a look started before is older than the change, and does not clear it)
        self.own: dict[str, int] = {}
        self.looks = 0  # looks started
        self.asked = 0  # the look under way (its number)
        self.error = ""  # the last error told (told once, until the project reads again)
        self._telling = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.look)
        # (a daemon thread per look: quitting never waits for one stuck on a dead share;
        # its answer after the watch is gone goes to nobody)
        self.reader = BackgroundReader(self, daemon=True)
        self.reader.arrived.connect(self._looked)
        context.changed.connect(self._changed)

    def _changed(self, what: str) -> None:
        if self._telling:
            return  # (told by this watch)
        if what == "project":
            self.reader.forget()  # (a look under way is at the other project)
            self.files = self.marks = None
            self.own.clear()
            self.error = self.context.told_unreadable = ""
            if self.context.project is None:
                self.timer.stop()
            else:
                self.timer.start()
                self.look()  # the marks the panels have just read: what later ones move from
        elif what in PARTS:  # the window's own change, read by its panels: not told again
            self.own[what] = self.looks
            self.files = None  # (the next look reads the marks)

    def look(self) -> None:
        """Look at the open project's files now, off the GUI thread (not while a job of
        this window runs, the window is hidden or a look is still under way)."""
        project = self.context.project
        if project is None:
            self.timer.stop()
            return
        hidden = not self.window.isVisible() and self.marks is not None  # (a closed one:
        if self.context.runner.busy or hidden or self.reader.reading():  # the first marks
            return  # only, which tell nothing)
        seen = self.files
        self.looks += 1
        self.asked = self.looks
        self.reader.read(lambda: look_at(project, seen))

    def refresh(self) -> None:
        """View → Refresh: every panel reads the open project again now (what a look
        would tell included), keeping what the user chose."""
        if self.context.project is None:
            return
        self._tell(list(REFRESHED))
        self.files = None  # (the next look reads the marks again, and tells nothing read)
        self.own.update(dict.fromkeys(PARTS, self.looks))

    def _looked(self, look: Look | None) -> None:
        if look is None or look.project != self.context.project:
            return  # (a failed look was logged) another project was opened meanwhile
        self.files = look.files
        # the window's own changes told since this look started: the next look reads the
        # marks (the files this one saw may be from before them), and they stay its own
        later = {part: n for part, n in self.own.items() if n >= self.asked}
        if later:
            self.files = None
        if look.error:  # told once; the files stay as they are: not read again until
            # they change (the share is back, say). Not at a first look: the panels have
            # just read the project, and told what they met.
            told = (self.error, self.context.told_unreadable)  # (by a panel just now)
            if look.error not in told and self.marks is not None:
                self.context.cannot_read(self.window, look.error)
            self.error = look.error
            return
        if look.marks is None:
            return  # the files as before: nothing changed
        before, self.marks = self.marks, look.marks
        own, self.own = set(self.own), later
        self.context.told_unreadable = ""  # (it reads: should it not again, say so)
        if self.error:  # readable again: the panels that read meanwhile (and emptied)
            self.error = ""  # read it all again
            self._tell(list(REFRESHED))
            return
        if before is None:
            return  # the first marks: what the panels have just read
        changed = [part for part in PARTS if before[part] != look.marks[part]]
        if "runs" in changed and "curves" in changed:  # (the runs' reload reads the
            changed.remove("curves")  # running runs' curves too)
        self._tell([part for part in changed if part not in own])

    def _tell(self, parts: list[str]) -> None:
        self._telling = True
        try:
            for part in parts:
                self.context.notify(part)
        finally:
            self._telling = False
