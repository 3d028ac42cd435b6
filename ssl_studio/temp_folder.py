"""A usable temporary folder before torch is imported.

torch (through torchvision) picks its compile cache under ``tempfile.gettempdir()`` when it
is imported, and the import's worker processes need a socket in the temporary folder.
Where no temporary folder can be written (``/tmp`` and ``/var/tmp`` read-only, TMPDIR
unset: a locked-down hospital workstation), both failed with "No usable temporary
directory found". ``ensure_temp_folder`` (run by ``ssl_studio/__init__.py``, so by every
entry point before anything imports torch) then points TMPDIR, TEMP and TMP at a folder
in the user's own cache and says so once; where even that cannot be written it leaves a
message saying what to do (``TEMP_PROBLEM``), which the command line prints.

Standard library only: this runs at the first import of the package.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def user_temp_folder(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The per-user fallback temporary folder: ``%LOCALAPPDATA%\\SSL Studio\\tmp`` on
    Windows, ``~/Library/Caches/SSL Studio/tmp`` on macOS, else
    ``$XDG_CACHE_HOME/ssl-studio/tmp`` (``~/.cache/ssl-studio/tmp``)."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "SSL Studio" / "tmp"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "SSL Studio" / "tmp"
    cache = env.get("XDG_CACHE_HOME") or ""
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "ssl-studio" / "tmp"


def usable_temp_folder() -> str | None:
    """The folder ``tempfile`` would use (it writes a file there to be sure), or None
    where no candidate can be written (TMPDIR, TEMP, TMP, the system's folders, the
    working folder)."""
    tempfile.tempdir = None  # (asked afresh: the environment may have changed)
    try:
        return tempfile.gettempdir()
    except FileNotFoundError:  # "No usable temporary directory found in [...]"
        return None


def _same(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _working_folder_only(found: str) -> bool:
    """Whether ``found`` is only tempfile's last resort, the working folder: temporary
    files would then land among the user's own files (a folder of scans), or wherever the
    app happened to be started. Not where the working folder is also one of tempfile's
    other candidates (``cd /tmp``, or TMPDIR, TEMP or TMP naming it)."""
    here = _same(found)
    if here != _same(os.getcwd()):
        return False
    others = [os.environ[n] for n in ("TMPDIR", "TEMP", "TMP") if os.environ.get(n)]
    listing = getattr(tempfile, "_candidate_tempdir_list", None)  # (private: may go)
    try:
        candidates = list(listing()) if listing is not None else []
    except Exception:  # noqa: BLE001 - only a refinement of the check above
        candidates = []
    if candidates and _same(candidates[-1]) == here:
        candidates.pop()  # (tempfile's last resort: the working folder itself)
    return here not in {_same(c) for c in [*others, *candidates] if c}


def ensure_temp_folder(fallback: Path | None = None) -> tuple[str | None, str | None]:
    """Make sure a writable temporary folder is in effect; returns (notice, problem).

    notice: one line saying the user's own folder ``fallback`` (``user_temp_folder()``)
        is used instead of an unusable system one (or instead of the working folder,
        tempfile's last resort), and how to choose another; None where the system's
        temporary folder works (nothing changes then).
    problem: where not even ``fallback`` can be written, what to do; else None.
    Changes nothing where ``tempfile.tempdir`` is already set (a script's own choice).
    Sets TMPDIR, TEMP and TMP (they named no usable folder) and, unless set,
    TORCHINDUCTOR_CACHE_DIR to folders under ``fallback``."""
    if tempfile.tempdir is not None:  # (chosen by a script that imports ssl_studio)
        return None, None
    found = usable_temp_folder()
    if found is not None and not _working_folder_only(found):
        return None, None
    try:
        folder = user_temp_folder() if fallback is None else fallback
    except RuntimeError:  # (no home folder to be found: nowhere of the user's own)
        return None, (None if found is not None else _problem(""))
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass  # (said below: the folder is not usable)
    saved = {name: os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")}
    for name in saved:
        os.environ[name] = str(folder)
    found = usable_temp_folder()
    if found is None or _same(found) != _same(str(folder)):  # (XDG paths with '..')
        for name, value in saved.items():  # (left as they were: nothing was gained)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        tempfile.tempdir = None
        if found is not None:  # (the working folder, then: better than nothing)
            return None, None
        return None, _problem(f" nor {folder}")
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder / "torchinductor"))
    return (
        f"the system's temporary folder cannot be written, so temporary files go to "
        f"{folder}. To choose another, set TMPDIR (TEMP on Windows) to a folder you may write."
    ), None


def _problem(nor: str) -> str:
    return (
        "No folder for temporary files can be written: not the system's (/tmp, "
        f"/var/tmp, TMPDIR){nor}. Set TMPDIR (TEMP on Windows) to a folder you may write, "
        "for example 'export TMPDIR=$HOME/tmp' after 'mkdir -p $HOME/tmp', or ask your IT "
        "department for a writable temporary folder."
    )
