"""The recent-projects list: every project opened lately is remembered, reachable now or not
(a network share that is offline for a while, a VPN that is down), and each is offered with
a note when it cannot be opened now, so it is there again once the drive is back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ssl_studio.core.errors import ProjectUnreadableError
from ssl_studio.core.project.layout import ProjectPaths

MAX_RECENT = 8
UNAVAILABLE = "  (not available now)"  # after the path of one that cannot be opened now


def remembered(settings: QSettings) -> list[Path]:
    """The remembered projects, the last opened first, whether or not they are reachable."""
    value = settings.value("recent", [])
    paths = [value] if isinstance(value, str) else list(value or [])
    return [Path(p) for p in paths if p]


def remember(settings: QSettings, project: Path) -> None:
    """Put ``project`` first; the others stay (up to MAX_RECENT), reachable now or not."""
    others = [p for p in remembered(settings) if not _same(p, project)]
    settings.setValue("recent", [str(p) for p in [project, *others][:MAX_RECENT]])


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


def missing_message(project: Path) -> str:
    """What opening a project whose folder is not there says (it stays in the list)."""
    return (
        f"{project} is not reachable now: the folder is not there. If it is on a network "
        "drive or share, connect it (or the VPN), then try again; if it was moved, open it "
        "where it is now (File → Open project…)."
    )


def is_missing(project: Path) -> bool:
    try:
        return not project.exists()
    except OSError:
        return True


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:  # an offline share may not resolve
        return a == b
