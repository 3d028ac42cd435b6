"""Permissions of the folders imported. Source files and folders the user may not read
are reported, in the app and on the command line, and the rest imports; a read-only
source folder imports and keeps every byte.

File permissions are real here: the checks run in a child process that cannot override
them (as root, which CI containers are, it drops every capability first)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image
from privilege_drop import run_child

from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def test_files_and_folders_you_may_not_read_are_reported_and_the_rest_imports(tmp_path):
    project = create_project(tmp_path / "project")
    data = tmp_path / "scans"
    (data / "locked").mkdir(parents=True)
    for name in ("ok.png", "secret.png", "locked/inner.png"):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(data / name)
    (data / "secret.png").chmod(0)
    (data / "locked").chmod(0)
    tmp_path.chmod(0o755)
    try:
        result = run_child(
            f"""
            import json
            from ssl_studio.core.config import ImportConfig
            from ssl_studio.core.jobs import import_data
            from ssl_studio.core.project.store import Store
            summary = import_data(ImportConfig(project={str(project)!r},
                                               paths=[{str(data)!r}], cache_size=16))
            with Store.open({str(project)!r}) as store:
                errors = store.import_errors(store.dataset("scans")["id"])
            print(json.dumps({{"items": summary["items"],
                              "errors": [(e["path"], e["code"], e["message"]) for e in errors]}}))
            """,
            tmp_path,
        )
    finally:
        (data / "locked").chmod(0o755)
        (data / "secret.png").chmod(0o644)
    assert result["items"] == 1
    codes = {path: code for path, code, _ in result["errors"]}
    assert codes == {"secret.png": "unreadable", "locked": "unreadable"}
    assert all("Permission denied" in message for *_, message in result["errors"])


def test_a_folder_you_may_not_read_is_said_so_in_the_app_and_the_command_line(tmp_path):
    """A folder (a project, or data) with no permissions for you, dropped, imported or
    opened: one clear message in a dialog or on one line, never a PermissionError's
    traceback. A project inside imported data that may be listed but not looked into is
    one report line, and the rest imports."""
    project = create_project(tmp_path / "project")
    unread = tmp_path / "unread"
    unread.mkdir()
    other = create_project(tmp_path / "other")
    locked_db = create_project(tmp_path / "locked") / "project.db"
    data = tmp_path / "scans"
    (data / "listed").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(data / "ok.png")
    (data / "listed" / "project.db").write_bytes(b"")  # names only, for the walk
    for folder, mode in ((unread, 0), (other, 0), (data / "listed", 0o444), (locked_db, 0)):
        folder.chmod(mode)
    tmp_path.chmod(0o755)
    try:
        result = run_child(
            f"""
            import contextlib, io, json
            from pathlib import Path
            from PySide6.QtCore import QSettings
            from ssl_studio.cli import main
            from ssl_studio.gui import dialogs
            from ssl_studio.gui.app import application
            from ssl_studio.gui.main_window import MainWindow

            lines = {{}}
            commands = {{"info": ["info", {str(unread)!r}],
                         "import": ["import", {str(project)!r}, {str(unread)!r}],
                         "db": ["info", {str(locked_db.parent)!r}],
                         "walk": ["import", {str(project)!r}, {str(data)!r}, "--json"]}}
            for name, argv in commands.items():
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = main(argv)
                lines[name] = [code, out.getvalue(), err.getvalue()]
            shown = []
            dialogs.QMessageBox.warning = lambda _, title, text: shown.append((title, text))
            dialogs.QMessageBox.information = lambda _, title, text: shown.append((title, text))
            app = application()
            settings = QSettings("settings.ini", QSettings.Format.IniFormat)
            settings.setValue("recent", [{str(other)!r}])  # readable when it was opened
            window = MainWindow(Path({str(project)!r}), settings=settings)
            window.show()
            recent = [str(p) for p in window.recent_projects()]
            dropped = window.data.import_paths([Path({str(unread)!r})])
            window.open_project(Path({str(other)!r}))
            app.processEvents()
            title = window.windowTitle()
            from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
            from PySide6.QtGui import QDropEvent
            window.open_project(None)  # the welcome screen: a dropped project opens
            mime = QMimeData()
            mime.setUrls([QUrl.fromLocalFile({str(unread)!r})])
            window.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
            print(json.dumps({{"lines": lines, "shown": shown, "dropped": dropped,
                              "title": title, "recent": recent}}))
            window.close()
            """,
            tmp_path,
        )
    finally:
        for folder in (unread, other, data / "listed"):
            folder.chmod(0o755)
        locked_db.chmod(0o644)
    said = "permission denied — check its permissions (or ask your IT) and try again."
    for name in ("info", "import"):
        code, out, err = result["lines"][name]
        assert code == 1 and err == f"ssl-studio: Cannot read {unread}: {said}\n", err
    code, out, err = result["lines"]["db"]  # the folder may be read, its database not
    assert code == 1 and err == f"ssl-studio: Cannot read {locked_db}: {said}\n", err
    code, out, err = result["lines"]["walk"]
    assert code == 0 and "Traceback" not in err, err
    assert [(title, text) for title, text in result["shown"]] == [
        ("Cannot import", f"Cannot read {unread}: {said}"),
        ("Cannot open the project", f"Cannot read {other}: {said}"),
        ("Cannot open the project", f"Cannot read {unread}: {said}"),  # on the welcome screen
    ]
    assert not result["dropped"] and result["title"] == "project — SSL Studio"
    assert result["recent"] == [str(project), str(other)]  # opening it says why it cannot
    with Store.open(project) as store:
        errors = store.import_errors(store.dataset("scans")["id"])
        assert store.items(store.dataset("scans")["id"])  # ok.png
    assert [(e["path"], e["code"]) for e in errors] == [("listed", "unreadable")]


def test_a_read_only_source_folder_imports_and_keeps_every_byte(tmp_path):
    """Source files are only read: a folder the user may not write (a DVD, a share)
    imports in full, and not one file, time or mode in it changes."""
    data = tmp_path / "scans"
    for kind in ("bright", "dark"):
        for i in range(4):
            (data / kind).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(data / kind / f"{i}.png")
    project = create_project(tmp_path / "project")
    for path in [*data.rglob("*"), data]:  # the folders last (a file inside is chmod-ed first)
        path.chmod(0o555 if path.is_dir() else 0o444)
    tmp_path.chmod(0o755)

    def state() -> dict[str, tuple]:
        return {
            str(p): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns, p.stat().st_mode)
            for p in [data, *sorted(data.rglob("*"))]
        }

    before = state()
    try:
        result = run_child(
            f"""
            import json
            from ssl_studio.core.config import ImportConfig
            from ssl_studio.core.jobs import import_data
            summary = import_data(ImportConfig(project={str(project)!r},
                                               paths=[{str(data)!r}], cache_size=16))
            print(json.dumps({{"items": summary["items"], "failed": summary["failed"]}}))
            """,
            tmp_path,
        )
        assert result == {"items": 8, "failed": 0}
        assert state() == before
    finally:
        for path in [data, *data.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
