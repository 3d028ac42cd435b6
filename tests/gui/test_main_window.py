"""The first main window: datasets of a project and their import reports."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.gui.main_window import MainWindow


def test_window_lists_datasets_and_shows_the_report(qtbot, project, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 8), i, np.uint8)).save(folder / f"{i}.png")
    (folder / "readme.md").write_text("hello")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))

    window = MainWindow(project)
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "SSL Studio — project"
    table = window.dataset_table
    assert table.rowCount() == 1
    assert [table.item(0, c).text() for c in range(3)] == ["scans", "image", "3"]
    assert window.report_table.rowCount() == 1
    assert window.report_table.item(0, 1).text() == "readme.md"
    assert window.report_table.item(0, 2).text() == "not-data"
    assert "1 files left out" in window.report_title.text()


def test_empty_states_say_what_to_do(qtbot, project):
    window = MainWindow(None)
    qtbot.addWidget(window)
    window.show()
    assert "Open project" in window.empty.text() and window.empty.isVisible()
    window.open_project(project)
    assert "no datasets yet" in window.empty.text() and "ssl-studio import" in window.empty.text()
    assert not window.splitter.isVisible()


def test_a_folder_that_is_not_a_project_gives_a_message(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(
        "ssl_studio.gui.main_window.QMessageBox.warning", lambda *a: shown.append(a[2])
    )
    window = MainWindow(tmp_path)
    qtbot.addWidget(window)
    assert shown and "not an SSL Studio project" in shown[0]
    assert window.project is None and window.windowTitle() == "SSL Studio"
