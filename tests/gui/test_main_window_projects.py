"""The main window: welcome screen, opening, switching and closing projects, the File
menu, drops, empty states, the demo and closing during a job."""

from __future__ import annotations

import shutil

import numpy as np
from PIL import Image
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.jobs import create_project, import_data, pretrain

from gui_helpers import drop


def test_welcome_screen_then_a_project_with_its_datasets(make_window, project, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 8), i * 40, np.uint8)).save(folder / f"{i}.png")
    (folder / "readme.md").write_text("hello")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))

    window = make_window()
    assert window.pages.currentIndex() == 0 and window.windowTitle() == "SSL Studio"
    assert not window.welcome.recent.isVisible()  # nothing recent yet
    window.open_project(project)
    assert window.windowTitle() == "project — SSL Studio" and window.pages.currentIndex() == 1
    assert window.data.dataset_list.count() == 1
    assert window.data.model.rowCount() == 3
    report = window.data.report_table
    assert report.rowCount() == 1 and report.text(0, 1) == "readme.md"
    assert report.text(0, 2) == "not-data"
    assert "1 file left out" in window.data.report_title.text()
    window.open_project(None)  # close the project: back to the welcome screen
    assert window.pages.currentIndex() == 0
    assert [window.welcome.recent.item(0).text().split()[0]] == ["project"]


def test_empty_states_say_what_to_do(make_window, project):
    window = make_window(project)
    data = window.data
    assert data.empty.isVisible() and "Drop a folder" in data.empty.text()
    window.show_step(3)
    assert window.runs.empty.isVisible() and "No runs yet" in window.runs.empty.text()
    window.show_step(5)
    assert window.export.empty.isVisible()
    window.show_step(1)
    assert not window.pretrain.start_button.isEnabled()  # nothing to pretrain on yet


def test_a_folder_that_is_not_a_project_gives_a_message(make_window, tmp_path, messages):
    window = make_window(tmp_path)
    assert messages and "not an SSL Studio project" in messages[0][1]
    assert "File → New project" in messages[0][1] and "ssl-studio" not in messages[0][1]
    assert window.context.project is None and window.windowTitle() == "SSL Studio"


def test_a_second_instance_that_is_writing_the_project_is_waited_for(
    qtbot, make_window, project, tmp_path, messages, other_writer
):
    """Another SSL Studio process (a second window, a command-line job) holds the project's
    write lock: this window still shows the project, and an import says who is busy."""
    other = other_writer(project, "ssl-studio pretrain")
    window = make_window(project)
    assert window.windowTitle() == "project — SSL Studio" and not messages
    folder = tmp_path / "more"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "0.png")
    drop(window, [folder])
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    [(title, text)] = messages
    assert "being changed by another SSL Studio process" in text
    assert f"pid {other.pid}" in text and "ssl-studio pretrain" in text
    other.communicate("\n", timeout=10)
    drop(window, [folder])  # once the other process is done, the import goes through
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    assert window.data.dataset_list.count() == 1 and len(messages) == 1


def test_a_folder_named_like_an_existing_dataset_asks_add_or_keep_apart(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    for place in ("ward-a", "ward-b", "ward-c"):
        (tmp_path / place / "scans").mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / place / "scans" / "0.png")
    window = make_window(project)
    asked: list[str] = []
    answers = iter([QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No])

    def question(_, title, text, *buttons):
        asked.append(text)
        return next(answers)

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", question)
    for place in ("ward-a", "ward-a", "ward-b", "ward-c"):  # the same folder twice: no question
        drop(window, [tmp_path / place / "scans"])
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    assert len(asked) == 2 and "'scans' already exists" in asked[0]
    assert "new dataset 'scans 2'" in asked[1]
    datasets = {d["name"]: d["items"] for d in window.data.datasets}
    assert datasets == {"scans": 2, "scans 2": 1}  # ward-b added, ward-c kept apart


def test_a_patient_named_folder_dropped_twice_is_one_redacted_dataset(
    qtbot, make_window, project, tmp_path, dicom_file, monkeypatch
):
    folder = tmp_path / "CompressedSamples_CT1"  # the patient of CT_small.dcm
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")
    window = make_window(project)
    asked: list[str] = []
    monkeypatch.setattr(
        "ssl_studio.gui.dialogs.QMessageBox.question", lambda *a: asked.append(a[2])
    )
    for _ in range(2):
        drop(window, [folder])
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    assert not asked and [d["name"] for d in window.data.datasets] == ["[redacted]"]
    assert window.data.last_import["unchanged"] == 1


def _menu_action(window, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def test_the_file_menu_creates_opens_and_keeps_projects(
    make_window, project, tmp_path, messages, monkeypatch
):
    window = make_window(project)
    chosen = iter([str(tmp_path / "new"), str(tmp_path)])
    monkeypatch.setattr(
        "ssl_studio.gui.main_window.QFileDialog.getExistingDirectory", lambda *a: next(chosen)
    )
    (tmp_path / "new").mkdir()
    _menu_action(window, "New project…").trigger()  # its 'checked' is no folder
    assert window.context.project == tmp_path / "new" and not messages
    _menu_action(window, "Open project…").trigger()  # a folder that is no project
    assert "not an SSL Studio project" in messages.pop()[1]
    assert window.context.project == tmp_path / "new"  # the open project stays open
    _menu_action(window, "Fine-tune wizard…").trigger()
    assert window.wizard is not None and window.wizard.preselect_run is None


def test_switching_projects_leaves_nothing_of_the_old_one_on_screen(
    qtbot, make_window, project, tmp_path
):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(16):
        Image.fromarray(np.full((32, 32), i * 15, np.uint8)).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32))
    tiny = TrainConfig(steps=2, batch_size=8)
    pretrain(PretrainConfig(project=project, dataset="scans", image_size=32, train=tiny))
    window = make_window(project)
    window.show_step(4)
    assert window.map.compute()
    qtbot.waitUntil(lambda: window.map.map is not None and not window.runner.busy, timeout=60_000)
    window.map.choose(0)
    assert "Image 1 of 16 (item 1) in dataset 'scans'" in window.data.viewer.title.text().replace(
        "</b>", ""
    )
    window.pretrain.view.notice.setText("Run 1 finished")
    window.export.predictions.set_rows([["a.png"], ["b.png"], ["c.png"]])
    window.open_wizard()
    window.open_project(create_project(tmp_path / "other"))
    assert window.map.map is None and not window.map.scatters
    assert not window.map.open_button.isEnabled()
    viewer = window.data.viewer  # the other project has no data
    assert viewer.title.isHidden() and viewer.stack.currentWidget() is viewer.placeholder
    assert viewer.placeholder.text().startswith("Nothing to view yet")
    assert window.pretrain.view.notice.text() == "" and window.export.predictions.rowCount() == 0
    assert window.wizard is None  # it would have gone on with the other project


def test_a_drop_without_a_project_says_what_to_do(make_window, tmp_path, messages):
    window = make_window()
    drop(window, [tmp_path])
    assert messages and "Open or create a project first" in messages[0][1]
    assert not window.runner.busy


def test_a_project_dropped_on_the_welcome_screen_opens(make_window, project, tmp_path, messages):
    """Refused with "Open or create a project first" while a project open offered to open
    it; a folder that is not a project keeps that message."""
    window = make_window()
    data = tmp_path / "scans"
    data.mkdir()
    drop(window, [data, project])
    assert window.context.project == project and window.pages.currentIndex() == 1
    assert not messages and not window.runner.busy
    assert window.data.datasets == []  # opened, nothing imported


def test_the_demo_project_opens_from_the_welcome_screen(qtbot, make_window, tmp_path, messages):
    window = make_window()
    target = tmp_path / "demo"
    assert window.open_demo(target)
    qtbot.waitUntil(lambda: window.context.project == target, timeout=120_000)
    names = [window.data.dataset_list.item(i).text().split()[0] for i in range(2)]
    assert names == ["chest-xray", "basic-motions"] and messages == []
    window.data.select_dataset("basic-motions")  # a series: the viewer plots its channels
    assert window.data.viewer.stack.currentWidget() is window.data.viewer.plot
    assert len(window.data.viewer.plot.listDataItems()) == 6  # 3 accelerometer + 3 gyroscope


def test_closing_during_a_job_stops_it_first(qtbot, make_window, project):
    window = make_window(project)
    stopped = []

    def slow(report, stop):
        while not stop.stopped:
            stop.wait_while_paused(0.01)
        stopped.append(True)
        return {"status": "stopped"}

    assert window.runner.start("Slow job", slow)
    window.close()  # the question is answered Yes by the test's dialog stand-in
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)  # once the job ended
    assert stopped == [True] and not window.runner.busy
