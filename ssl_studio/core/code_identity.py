"""Which code exactly is running: the commit of the git checkout SSL Studio runs from (and
whether its package folder holds uncommitted changes), else the installed distribution's
version. The version number alone names hundreds of commits.

Read from the files of ``.git`` (HEAD, loose refs, packed-refs; a worktree's ``.git`` file
too); git itself is asked only whether the package folder changed (``git status``, local,
never the network), and when it is not installed that is said instead of guessed. Worked
out once per process (cheap to ask again). Qt-free, and never fails: an unreadable
checkout gives the installed version.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from ssl_studio import __version__

_PACKAGE = Path(__file__).resolve().parents[1]  # .../ssl_studio
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
GIT_TIMEOUT_S = 5.0


@functools.cache
def code_identity() -> str:
    """``"git <commit>"`` (``+ " dirty"`` when files of the package folder differ from
    that commit, ``+ " (changes not checked: git not found)"`` when git is not there to
    tell) for a git checkout; else ``"<version> (installed)"``, the distribution's
    version (the package's own when no distribution is installed)."""
    checkout = _PACKAGE.parent
    commit = head_commit(checkout / ".git")
    if commit is not None:
        changed = _changed(checkout)
        if isinstance(changed, str):
            return f"git {commit} (changes not checked: {changed})"
        return f"git {commit}{' dirty' if changed else ''}"
    try:
        return f"{metadata.version('ssl-studio')} (installed)"
    except metadata.PackageNotFoundError:
        return f"{__version__} (installed)"


def head_commit(dot_git: Path) -> str | None:
    """The commit HEAD names in the git folder (or worktree ``.git`` file) ``dot_git``,
    from its files alone; None when it is not a checkout or cannot be read."""
    try:
        git_dir = _git_dir(dot_git)
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.match(head):  # a detached HEAD
            return head
        if not head.startswith("ref: "):
            return None
        ref = head[5:].strip()
        common = _common_dir(git_dir)
        for folder in dict.fromkeys((git_dir, common)):
            loose = folder / ref
            if loose.is_file():
                value = loose.read_text(encoding="utf-8").strip()
                return value if _SHA.match(value) else None
        return _packed(common / "packed-refs", ref)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _git_dir(dot_git: Path) -> Path | None:
    """The git folder: ``.git`` itself, or where a worktree's ``.git`` file points."""
    if dot_git.is_dir():
        return dot_git
    if not dot_git.is_file():
        return None
    text = dot_git.read_text(encoding="utf-8").strip()
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    return target if target.is_absolute() else (dot_git.parent / target)


def _common_dir(git_dir: Path) -> Path:
    """A worktree's shared git folder (its ``commondir`` file), else ``git_dir``."""
    pointer = git_dir / "commondir"
    if not pointer.is_file():
        return git_dir
    target = Path(pointer.read_text(encoding="utf-8").strip())
    return target if target.is_absolute() else (git_dir / target)


def _packed(packed_refs: Path, ref: str) -> str | None:
    if not packed_refs.is_file():
        return None
    for line in packed_refs.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and _SHA.match(parts[0]):
            return parts[0]
    return None


def _changed(checkout: Path) -> bool | str:
    """Whether files of the package folder differ from the commit (changed, added or
    deleted, untracked ones too; ignored ones such as __pycache__ not); why it cannot
    tell, as a few words, when git is not installed or does not answer. A checkout that
    another user owns is not read past git's refusal (its safe.directory check keeps a
    stranger's repository settings from running programs): it is said so."""
    git = shutil.which("git")
    if git is None:
        return "git not found"
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # (reading only: no index refresh)
    try:
        done = subprocess.run(
            [git, "-C", str(checkout), "status", "--porcelain", "--", _PACKAGE.name],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=GIT_TIMEOUT_S,
            env=env,
            check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # (Windows: no console)
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"git did not answer: {type(exc).__name__}"
    if done.returncode != 0:
        if "dubious ownership" in done.stderr or "safe.directory" in done.stderr:
            return "git refused this checkout: another user owns it (git's safe.directory)"
        return f"git status failed with exit code {done.returncode}"
    return bool(done.stdout.strip())
