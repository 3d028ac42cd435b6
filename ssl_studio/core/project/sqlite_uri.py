"""SQLite ``file:`` URIs for a database path, on Windows shares too.

``Path.as_uri()`` turns a network share (``\\\\server\\share\\...``, and a mapped drive
once resolved) into ``file://server/share/...``; SQLite as Python ships it on Windows
refuses a host in a URI ("invalid uri authority"). Here the authority is always empty,
so a share becomes ``file:////server/share/...``, which SQLite opens.
"""

from __future__ import annotations

import os
from urllib.parse import quote


def sqlite_uri(
    path: str | os.PathLike[str], query: str = "", *, windows: bool | None = None
) -> str:
    """The ``file:`` URI of the database at ``path`` with ``query`` (e.g. ``"mode=ro"``).

    The path is made absolute without resolving links or mapped drives; every character
    SQLite would read as a delimiter (``?``, ``#``, ``%``, spaces, non-ASCII) is
    percent-encoded. ``windows`` picks the path rules (default: this machine's).
    """
    on_this_machine = windows is None or windows == (os.name == "nt")
    windows = os.name == "nt" if windows is None else windows
    text = os.fspath(path)
    if on_this_machine:
        text = os.path.abspath(text)
    if windows:
        text = _windows_path(text)
    uri = "file://" + quote(text, safe="/:" if windows else "/")
    return f"{uri}?{query}" if query else uri


def _windows_path(text: str) -> str:
    """A Windows path with forward slashes, starting with one (``/C:/x``) or, for a share,
    with two (``//server/share/x``)."""
    text = text.replace("\\", "/")
    if text.startswith("//?/UNC/"):  # a long-path share: //?/UNC/server/share
        text = "//" + text[len("//?/UNC/") :]
    elif text.startswith("//?/"):  # a long-path drive: //?/C:/x
        text = text[len("//?/") :]
    return text if text.startswith("//") else "/" + text
