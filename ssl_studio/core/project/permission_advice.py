"""What to say when part of a project shared by a team cannot be changed or deleted because
of its permissions: whose it is, and the command that lets the team's group change it.

A member whose umask is 022 (the default on most systems) makes files and folders the
others may read but not change; a run folder made so cannot be deleted by anyone else
(deleting needs write permission on each folder in it). README's "Sharing a project
within a team" asks for umask 002, and SSL Studio gives what it makes in a team's folder
group write whatever the umask (folder_access.share_with_team), but a project shared
before, or changed by another program, may hold such files. "Close the programs that use
the project" is no help there: the owner, or an administrator, must run ``chmod -R g+rwX``.

Linux and macOS only: on Windows an ACL decides, and a refusal there is most often a file
held open by another program, which the messages already say.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def owner_of(path: Path) -> str:
    """The user name owning ``path`` (a local look-up), "user UID" when it has none here."""
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return "another user"
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"user {uid}"


def shown(path: Path, root: Path) -> str:
    """``path`` relative to the project folder ``root`` when it lies inside it."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)


def advice(blocker: Path, root: Path) -> str:
    """Whose ``blocker`` is, and what lets the team change it (one sentence)."""
    owner = owner_of(blocker)
    return (
        f"{shown(blocker, root)} belongs to {owner} and its group may not change it (made "
        f"with a umask that keeps the group out, e.g. 022); {owner} (or an administrator) "
        f'can run: chmod -R g+rwX "{root}"'
    )


def _refused(path: Path, access: int) -> bool:
    """Whether this user lacks ``access`` to ``path`` by its permissions (never on
    Windows, where os.access does not read ACLs)."""
    if sys.platform == "win32":
        return False
    try:
        return os.path.exists(path) and not os.access(path, access)
    except OSError:
        return False


def unwritable_file(paths: list[Path]) -> Path | None:
    """The first of ``paths`` (files) this user may not write by its permissions."""
    return next((p for p in paths if _refused(p, os.W_OK)), None)


def undeletable_part(folder: Path) -> Path | None:
    """What keeps this user from deleting ``folder`` and all in it by its permissions: the
    folder holding it, which the user may not change (write and search), or a folder in
    it (itself included) that the user may not empty (read, write and search); None when
    nothing does, or ``folder`` is not there."""
    if not os.path.isdir(folder):
        return None
    if _refused(folder.parent, os.W_OK | os.X_OK):
        return folder.parent
    empty = os.R_OK | os.W_OK | os.X_OK
    if _refused(folder, empty):
        return folder
    for here, names, _ in os.walk(folder):  # (a folder it may not read is not walked)
        for name in names:
            if _refused(Path(here, name), empty):
                return Path(here, name)
    return None
