"""Dropping a web link or a share that is not mounted (https://, smb://): the drag is
refused, and the window says to mount the share and drop the mounted folder, instead of
accepting it and then doing nothing."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from ssl_studio.gui.main_window import NOT_LOCAL

ACTION = Qt.DropAction.CopyAction
BUTTONS, MODIFIERS = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def _links(*urls: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(u) for u in urls])
    return mime


def _drag_enter(widget, mime: QMimeData) -> bool:
    enter = QDragEnterEvent(QPoint(10, 10), ACTION, mime, BUTTONS, MODIFIERS)
    enter.setAccepted(False)
    QApplication.sendEvent(widget, enter)
    return enter.isAccepted()


def test_a_drag_of_links_only_is_refused_and_the_status_bar_says_why(make_window, project):
    window = make_window(project)
    remote = _links("https://pacs.example.org/study/1", "smb://server/share/scans")
    assert not _drag_enter(window, remote)
    assert window.statusBar().currentMessage() == NOT_LOCAL
    assert "mount the share" in NOT_LOCAL and "drop the mounted folder" in NOT_LOCAL


def test_a_drag_with_a_local_folder_among_links_is_accepted(make_window, project, tmp_path):
    window = make_window(project)
    mixed = _links("https://pacs.example.org/study/1", QUrl.fromLocalFile(str(tmp_path)).url())
    assert _drag_enter(window, mixed)


def test_a_drop_of_links_only_says_to_mount_the_share(make_window, project, messages):
    window = make_window(project)
    started: list[object] = []
    window.runner.started.connect(started.append)
    remote = _links("smb://server/share/scans")
    QApplication.sendEvent(window, QDropEvent(QPointF(10, 10), ACTION, remote, BUTTONS, MODIFIERS))
    assert messages == [("Import", NOT_LOCAL)] and started == []


def test_links_dropped_beside_a_local_folder_are_said_to_be_left_out(
    make_window, project, tmp_path, monkeypatch
):
    """A local folder and an smb:// share dropped together: the folder is imported and
    the share was left out without a word (a review)."""
    window = make_window(project)
    imported: list[object] = []
    monkeypatch.setattr(window.data, "import_paths", imported.append)
    mixed = _links("smb://server/share/scans", QUrl.fromLocalFile(str(tmp_path)).url())
    window.dropEvent(QDropEvent(QPointF(10, 10), ACTION, mixed, BUTTONS, MODIFIERS))
    assert [[str(p) for p in paths] for paths in imported] == [[str(tmp_path)]]
    assert window.statusBar().currentMessage() == f"Links were left out. {NOT_LOCAL}"
