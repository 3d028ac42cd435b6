"""Finding files to import: a recursive walk that survives symlink loops, and sniffing.

DICOM is recognised by its ``DICM`` marker whatever the extension (and, for old files
without the 128-byte preamble, by a ``.dcm``-like extension or a leading DICOM tag);
images by their content (PNG, JPEG, TIFF, BMP signatures); series by extension
(CSV/TSV, NPY, NPZ). Hidden files and folders (names starting with ``.``) are ignored,
and so are SSL Studio's own projects and exports (studio_folders.py).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ssl_studio.core.data.dicom import (
    has_damaged_marker,
    looks_like_raw_dicom,
    plausible_raw_dicom,
)
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.data.studio_folders import MARKERS, left_out, studio_folder
from ssl_studio.core.data.timeseries import SERIES_EXTENSIONS, UTF16_BOMS, unicode_text_file
from ssl_studio.core.errors import ProjectUnreadableError
from ssl_studio.core.wording import counted

HEAD_BYTES = 138  # a DICOM preamble, its marker and the first meta element's tag and VR
DICOM_EXTENSIONS = frozenset({".dcm", ".dicom", ".dic", ".ima"})
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),  # BigTIFF
    (b"MM\x00+", "tiff"),
    (b"BM", "bmp"),
)


@dataclass(frozen=True)
class Found:
    """A file met by the walk. ``root`` is the folder (or file) the user gave."""

    path: Path
    root: Path
    size: int
    mtime_ns: int

    @property
    def rel_path(self) -> str:
        if self.path == self.root:
            return self.path.name
        return self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class WalkProblem:
    """A folder or entry the walk could not enter (permissions, broken link, loop), left
    out (a project, a link back up to the folder given), or a note on a link followed out
    of the folder given (severity "info"). ``target``: where a link points (its real
    path; hidden from what is stored as its path is); ``files``: found through it."""

    path: Path
    root: Path
    problem: ImportProblem
    target: str = ""
    files: int = 0


@dataclass
class _Followed:
    """A link to a folder outside the root being walked (and the files found through it);
    on the stack, it marks where the walk is done with the link's folder."""

    link: Path
    target: str
    files: int = 0


def walk(roots: list[Path]) -> Iterator[Found | WalkProblem]:
    """Every regular file under ``roots`` (files given directly included), each once.

    Symbolic links are followed, but a folder already visited (same device and inode)
    is not entered again, so link cycles end. A link to the root itself or to a folder
    that holds it (``..``) is not followed: it would read the root again and every
    folder beside it (other studies, other patients); nor is one to a folder that holds
    the link (elsewhere: a loop up). Each is yielded as a WalkProblem (severity
    "skipped"). A link to a folder outside the root is followed, and yielded once its
    folder is walked as a WalkProblem of severity "info" saying how many files it led
    to; a link from there back into the root is not followed (the root's own walk
    reaches that folder). Unreadable folders and broken links are yielded as WalkProblem
    and the walk goes on; so is a folder below a root that is an SSL Studio project or
    export (severity "skipped"), and nothing in it is walked.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    for given in roots:
        root = Path(os.path.abspath(given))
        real_root = os.path.realpath(root)
        above = _ancestors(real_root)  # (dev, ino) of the root and the folders holding it
        stack: list[tuple[Path, bool, _Followed | None] | _Followed] = [(root, False, None)]
        while stack:
            top = stack.pop()
            if isinstance(top, _Followed):  # its folder is walked: say where it led
                yield WalkProblem(top.link, root, _followed(top, root), top.target, top.files)
                continue
            current, is_link, via = top
            try:
                info = current.stat()
            except OSError as exc:
                yield WalkProblem(current, root, _stat_problem(exc, current))
                continue
            if stat.S_ISREG(info.st_mode):
                if (info.st_dev, info.st_ino) not in seen_files:
                    seen_files.add((info.st_dev, info.st_ino))
                    if via is not None:
                        via.files += 1
                    yield Found(current, root, info.st_size, info.st_mtime_ns)
                continue
            if not stat.S_ISDIR(info.st_mode):
                continue  # sockets, devices, FIFOs: not data
            if current != root and above.get((info.st_dev, info.st_ino)) is not None:
                # a way up that is no symbolic link: a Windows junction (mklink /J)
                itself = above[(info.st_dev, info.st_ino)]
                yield WalkProblem(current, root, _holds_root(itself), os.path.realpath(current))
                continue
            if is_link:
                target = os.path.realpath(current)
                if _holds(target, real_root):
                    yield WalkProblem(current, root, _holds_root(target == real_root), target)
                    continue
            if (info.st_dev, info.st_ino) in seen_dirs:
                continue  # a symlink loop or a second link to a visited folder
            if is_link:
                if _holds(target, os.path.realpath(current.parent)):
                    yield WalkProblem(current, root, _LOOP_UP, target)
                    continue
                if via is not None and _holds(real_root, target):
                    continue  # back into the folder chosen from elsewhere: walked there
                if not _holds(real_root, target):
                    via = _Followed(current, target)
                    stack.append(via)  # (popped once everything below it is walked)
            seen_dirs.add((info.st_dev, info.st_ino))
            try:
                entries = sorted(
                    (e.name, e.is_symlink())
                    for e in os.scandir(current)
                    if not e.name.startswith(".")
                )
            except OSError as exc:
                yield WalkProblem(current, root, _stat_problem(exc, current))
                continue
            names = [name for name, _ in entries]
            try:
                kind = studio_folder(current) if MARKERS.intersection(names) else None
            except ProjectUnreadableError:  # listed, but its project.db may not be looked at
                yield WalkProblem(current, root, _stat_problem(PermissionError()))
                continue
            if kind is not None and current != root:  # (a root is refused before the walk)
                yield WalkProblem(current, root, left_out(kind))
                continue
            stack.extend((current / n, link, via) for n, link in reversed(entries))


def _ancestors(real_root: str) -> dict[tuple[int, int], bool]:
    """The (device, inode) of the folder ``real_root`` and of each folder holding it, each
    with whether it is the root itself; ones without an inode number (some Windows file
    systems say 0) are left out, as they would match every folder."""
    found: dict[tuple[int, int], bool] = {}
    for depth, folder in enumerate([Path(real_root), *Path(real_root).parents]):
        try:
            info = os.stat(folder)
        except OSError:
            continue
        if info.st_ino:
            found.setdefault((info.st_dev, info.st_ino), depth == 0)
    return found


def _holds(folder: str, path: str) -> bool:
    """Whether ``path`` is ``folder`` or lies in it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _holds_root(itself: bool) -> ImportProblem:
    what = "the folder you chose itself" if itself else "a folder that holds the folder you chose"
    return ImportProblem(
        "link-up",
        f"A link to {what}: not followed, as it would import that folder again and every "
        "folder beside it (other studies, other patients). Import that folder itself if "
        "you want all of it.",
        severity="skipped",
    )


_LOOP_UP = ImportProblem(
    "link-up",
    "A link to a folder that holds the link (a loop): not followed, as it would import "
    "that folder again and every folder beside it.",
    severity="skipped",
)


def _followed(link: _Followed, root: Path) -> ImportProblem:
    return ImportProblem(
        "link-outside",
        f"A link to a folder outside '{root.name}' ({link.target}): followed, "
        f"{counted(link.files, 'file')} found through it.",
        severity="info",
    )


# Windows refuses a path this long (MAX_PATH, its final NUL included) as if it were not
# there, unless long paths are enabled in the system and for the program
WINDOWS_MAX_PATH = 260


def too_long_for_windows(path: Path) -> ImportProblem:
    """The problem of a path of 260 characters or more that Windows said is not there."""
    return ImportProblem(
        "path-too-long",
        f"The path is {len(os.path.abspath(path))} characters long; Windows cannot open a "
        f"path of {WINDOWS_MAX_PATH} or more unless long paths are enabled. Ask your IT "
        'department to enable them (Group Policy "Enable Win32 long paths", or the '
        "registry value LongPathsEnabled = 1 under "
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem) and restart SSL Studio, "
        "or copy the data to a folder with a short path such as C:\\data and import it "
        "from there.",
    )


def _stat_problem(exc: OSError, path: Path | None = None) -> ImportProblem:
    if (
        isinstance(exc, FileNotFoundError)
        and sys.platform == "win32"
        and path is not None
        and len(os.path.abspath(path)) >= WINDOWS_MAX_PATH
    ):
        return too_long_for_windows(path)
    if isinstance(exc, PermissionError):
        return ImportProblem(
            "unreadable", "Permission denied: ask for read access to this file or folder."
        )
    if isinstance(exc, FileNotFoundError):
        return ImportProblem(
            "broken-link", "A link that points to nothing (or a file removed during the import)."
        )
    if exc.errno == 40:  # ELOOP
        return ImportProblem("link-loop", "A symbolic link that points to itself.")
    return ImportProblem("unreadable", f"Cannot read: {exc.strerror or exc}.")


def sniff(found: Found) -> str:
    """The file's kind: ``dicom``, ``dicom-raw``, ``png``, ``jpeg``, ``tiff``, ``bmp``,
    ``series``. Raises ImportProblem for empty, unreadable and unrecognised files."""
    suffix = found.path.suffix.lower()
    if found.size == 0:
        raise ImportProblem(
            "empty", "The file is empty (0 bytes): copy it again from its source, or remove it."
        )
    if suffix in SERIES_EXTENSIONS:
        return "series"
    try:
        with open(found.path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise _stat_problem(exc, found.path) from exc
    if head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(UTF16_BOMS) and unicode_text_file(found.path, suffix):
        return "series"
    if has_damaged_marker(head):
        raise ImportProblem(
            "dicom-invalid",
            "The DICOM file is damaged: its 'DICM' marker (bytes 128 to 131) is missing or "
            "changed, although a DICOM header follows. Copy it again from the source.",
        )
    for signature, kind in _SIGNATURES:
        # a DICOM preamble may hold a TIFF header (dual-format files): a .dcm file whose
        # marker is gone is a damaged DICOM file, not a TIFF without pages
        if head.startswith(signature) and not (kind == "tiff" and suffix in DICOM_EXTENSIONS):
            return kind
    if suffix in DICOM_EXTENSIONS or (suffix == "" and looks_like_raw_dicom(head)):
        return "dicom-raw"
    if plausible_raw_dicom(head):  # named otherwise: by its UID (.4711), or .IMG
        return "dicom-raw"
    raise ImportProblem(
        "not-data",
        "Not a DICOM file, an image (PNG, JPEG, TIFF, BMP) or a series (CSV, TSV, NPY, NPZ, "
        "or Excel's Unicode Text).",
        severity="skipped",
    )
