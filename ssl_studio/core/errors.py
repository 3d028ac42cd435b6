"""Errors that core raises for people to read: what is wrong and what to do."""


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
