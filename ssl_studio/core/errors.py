"""Errors that core raises for people to read: what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class SSLStudioError(Exception):
    """Base of every error core raises on purpose; its message is shown to the user as is."""


class ConfigError(SSLStudioError, ValueError):
    """A configuration value is invalid."""


class ProjectError(SSLStudioError):
    """The project folder is missing, damaged, too new, or in use."""


class ProjectLockedError(ProjectError):
    """Another process is writing the project."""


class ProjectReadOnlyError(ProjectError):
    """The project folder cannot be written (permissions, a read-only disk or share)."""


class ProjectUnreadableError(ProjectError):
    """A project folder (or a folder given as data, which is first checked for being a
    project), or its project.db, that the user may not read: permissions refuse it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"Cannot read {path}: permission denied — check its permissions (or ask your "
            "IT) and try again."
        )


class ProjectMovedError(ProjectError):
    """The project folder is no longer where a job found it: moved or renamed, or its drive
    or share disconnected. Nothing in it is lost; ``folder``: where it was."""

    def __init__(self, folder: Path, then: str = "try again") -> None:
        self.folder = folder
        super().__init__(
            f"The project folder {folder} is no longer there: it was moved or renamed, or "
            "the drive or share holding it was disconnected, while SSL Studio was working "
            "on it. Nothing in it is lost. Move it back (or reconnect the drive), then "
            f"{then}."
        )


class NotAProjectError(ProjectError):
    """A folder that holds no project. The message says what to do in the app (its menu);
    ``command_line`` says it in commands, for ``ssl-studio``. ``missing``: the folder
    itself is not there (moved, renamed or deleted, or on a drive not connected), which
    the message says instead of "not a project"."""

    def __init__(self, folder: Path, db_name: str) -> None:
        self.folder = folder
        self.missing = folder_missing(folder)
        if self.missing:
            what = (
                f"{folder} does not exist: it may have been moved, renamed or deleted, or "
                "be on a drive or share that is not connected (connect it, or the VPN)."
            )
            give = "Give the project's folder as it is now"
            choose = "Open the project where it is now"
        else:
            what = f"{folder} is not an SSL Studio project (it has no {db_name})."
            give, choose = "Give the project's folder", "Choose the project's folder"
        self.command_line = f"{what} {give}, or create a project with 'ssl-studio new FOLDER'."
        super().__init__(f"{what} {choose}, or create a new project (File → New project).")


def folder_missing(folder: Path) -> bool:
    """Whether ``folder`` is not there (or its drive does not answer)."""
    try:
        return not Path(folder).exists()
    except OSError:
        return True


class FileInUseError(SSLStudioError, PermissionError):
    """A file Windows would not replace or delete: another program holds it open (Excel
    showing a CSV file, an antivirus scan) or, less often, it may not be changed.
    ``path``: that file."""

    def __init__(self, path: Path, doing: str) -> None:
        self.path = path
        super().__init__(
            f"Cannot {doing} {path}: another program has it open (or it may not be "
            "changed). Close it in Excel or any other program that has it open, then try "
            "again."
        )


class ReadOnlyFileError(SSLStudioError, PermissionError):
    """A file Windows would not replace or delete because its Read-only attribute is set
    (Linux and macOS replace such a file). ``path``: that file."""

    def __init__(self, path: Path, doing: str) -> None:
        self.path = path
        super().__init__(
            f"Cannot {doing} {path}: the file is marked read-only (a file copied from a "
            "read-only share or a disc keeps the mark). In Explorer, right-click it, choose "
            "Properties, untick Read-only and apply, then try again."
        )
