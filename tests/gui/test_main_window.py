"""The main window: welcome screen, projects, recent list, drops, menus and empty states."""

from __future__ import annotations

import shutil
from pathlib import Path

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
    assert "1 file(s) left out" in window.data.report_title.text()
    window.open_project(None)  # close the project: back to the welcome screen
    assert window.pages.currentIndex() == 0
    assert [window.welcome.recent.item(0).text().split()[0]] == ["project"]


def test_recent_projects_and_geometry_are_remembered(make_window, project):
    window = make_window(project)
    window.resize(760, 690)  # the offscreen screen is 800 x 800
    window.close()
    again = make_window()
    assert again.recent_projects() == [project]
    assert again.recent_menu.actions()[0].text() == str(project)
    assert (again.width(), again.height()) == (760, 690)


def test_the_recent_list_can_be_cleared_and_the_projects_stay(make_window, settings, tmp_path):
    """A folder's name may name a patient or a study, and the next user of a shared
    workstation sees the list: File → Recent projects → Clear list forgets it."""
    from PySide6.QtCore import QSettings

    a, b = create_project(tmp_path / "a"), create_project(tmp_path / "b")
    settings.setValue("recent", [str(a), str(b)])
    dialogs = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "QtProject")
    dialogs.setValue("FileDialog/history", [str(tmp_path / "Doe_Jane")])
    dialogs.sync()
    window = make_window()
    assert window.welcome.recent.count() == 2
    window.recent_menu.actions()[-1].trigger()
    assert window.recent_projects() == [] and settings.value("recent") is None
    assert window.welcome.recent.count() == 0 and not window.recent_menu.isEnabled()
    assert (a / "project.db").exists() and (b / "project.db").exists()
    dialogs.sync()
    assert dialogs.value("FileDialog/history") is None  # (Qt's own file dialog's list)
    window.close()
    assert make_window().recent_projects() == []


def test_a_recent_project_whose_path_has_an_ampersand_shows_it_and_has_no_shortcut(
    make_window, tmp_path
):
    """/data/R&D/p showed as /data/RD/p in Open Recent, its D a shortcut key."""
    from PySide6.QtGui import QKeySequence

    project = create_project(tmp_path / "R&D" / "p")
    window = make_window(project)
    window.close()
    again = make_window()
    action = again.recent_menu.actions()[0]
    assert QKeySequence.mnemonic(action.text()).isEmpty()
    assert action.text().replace("&&", "&") == str(project)
    action.trigger()
    assert again.context.project == project


def test_a_recent_project_offline_for_a_while_is_kept_and_offered_again(
    make_window, settings, tmp_path, messages
):
    """Recent A is on a share that is not mounted now: it is listed, greyed with why, and
    stays remembered when B is opened; once the share is back, A is offered and opens."""
    a = create_project(tmp_path / "share" / "a")
    b = create_project(tmp_path / "b")
    settings.setValue("recent", [str(a), str(b)])
    (tmp_path / "share").rename(tmp_path / "share-offline")  # the VPN is down
    window = make_window()
    why = f"Not reachable now: {a} — connect the drive or share, then try again."
    item = window.welcome.recent.item(0)
    assert window.welcome.recent.count() == 2 and item.toolTip() == why
    assert item.text().endswith("(not available now)") and item.font().italic()
    menu = window.recent_menu.actions()
    assert menu[0].toolTip() == why and menu[1].text() == str(b)
    window.welcome.recent_chosen.emit(a)  # chosen all the same: it says why, no crash
    [(title, text)] = messages
    assert title == "Cannot open the project" and f"{a} is not reachable now" in text
    assert window.context.project is None
    window.open_project(b)
    assert settings.value("recent") == [str(b), str(a)]  # A is still remembered
    (tmp_path / "share-offline").rename(tmp_path / "share")  # the share is back
    window.recent_menu.aboutToShow.emit()
    texts = [action.text() for action in window.recent_menu.actions()]
    assert texts == [str(b), str(a), "", "Clear list"]
    window.open_project(None)
    assert not window.welcome.recent.item(1).toolTip()
    window.recent_menu.actions()[1].trigger()
    assert window.context.project == a and settings.value("recent") == [str(a), str(b)]


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


def test_menus_have_shortcuts_and_the_guide_opens(make_window, project):
    window = make_window(project)
    texts = {
        a.text(): a.shortcut().toString()
        for menu in window.menuBar().actions()
        for a in menu.menu().actions()
    }
    assert texts["&Open project…"] == "Ctrl+O" and texts["&Import folder…"] == "Ctrl+I"
    assert texts["Start &pretraining"] == "Ctrl+R" and texts["&Data"] == "Ctrl+1"
    guide = window.show_guide()
    assert "pretext task" in guide.findChild(type(window.export.card)).toPlainText().lower()
    guide.close()


def test_without_the_resources_folder_the_guide_and_demo_say_where_they_looked(
    qtbot, make_window, tmp_path, monkeypatch, messages
):
    """An install that lacks its resources: F1 and the demo say so, not nothing."""
    nowhere = tmp_path / "site-packages" / "resources"
    monkeypatch.setattr("ssl_studio.resources.resources_dir", lambda: nowhere)
    window = make_window()
    actions = [a for m in window.menuBar().actions() for a in m.menu().actions()]
    [f1] = [a for a in actions if "Guide" in a.text()]
    f1.trigger()
    [(title, text)] = messages
    assert title == "Guide to the concepts" and str(nowhere / "guide.md") in text
    assert "README" in text and "SSL Studio is incomplete" in text
    messages.clear()
    assert window.open_demo(tmp_path / "demo")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    [(title, text)] = messages  # once, not twice
    assert title == "Preparing the demo project failed" and str(nowhere / "demo") in text
    assert "SSL Studio is incomplete" in text and "Traceback" not in text
    assert window.context.project is None and not (tmp_path / "demo").exists()


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


def test_every_named_group_on_the_map_has_a_colour_of_its_own(make_window, project):
    """With eight named groups (or "no patient ID" sorted before "other"), the eighth took
    the first one's colour: two patients looked like one cluster."""
    from types import SimpleNamespace

    from ssl_studio.core.map_colours import MAX_GROUPS, groups

    window = make_window(project)
    panel = window.map
    folders = ["a", "b", "c", "d", "x", "y", "z", "t1", "t2", "t3", "t4", "t5"]
    items = [{"rel_path": f"{f}/{i}.png"} for n, f in enumerate(folders) for i in range(12 - n)]
    names = groups(items, "folder")  # seven folders and "other (5 more)" sorted among them
    assert len(set(names)) == MAX_GROUPS + 1
    panel.map = SimpleNamespace(xy=np.zeros((len(names), 2)))
    panel.marked = None
    panel.categories = lambda: names
    panel._draw()
    colours = {s.name(): s.opts["brush"].color().name() for s in panel.scatters}
    named = [c for name, c in colours.items() if not name.startswith("other (")]
    assert len(named) == MAX_GROUPS == len(set(named))
    assert colours["other (5 more) (15)"] == "#bbbbbb"


def test_every_named_group_on_the_map_has_a_symbol_of_its_own(make_window, project):
    """The groups were all 8 px circles told apart by colour alone (blue, red, green: red
    and green look alike to many readers), and the legend's text was pale grey (2.96:1)."""
    from types import SimpleNamespace

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor

    from ssl_studio.gui.colours import contrast
    from ssl_studio.gui.live_plot import COLOURS

    window = make_window(project)
    panel = window.map
    names = [f"patient {n}" for n in range(7) for _ in range(3)] + ["unlabeled"] * 2
    panel.map = SimpleNamespace(xy=np.zeros((len(names), 2)))
    panel.marked = None
    panel.categories = lambda: names
    panel._draw()
    symbols = {s.name(): s.opts["symbol"] for s in panel.scatters}
    named = [symbol for name, symbol in symbols.items() if name.startswith("patient")]
    assert len(named) == 7 == len(set(named))
    assert "#d62728" not in COLOURS and "#2ca02c" not in COLOURS  # (Okabe–Ito instead)
    text = panel.legend.opts["labelTextColor"]  # dark text, not the pale default...
    assert text is not None and contrast(QColor(text), QColor("white")) >= 4.5
    assert panel.legend.opts["brush"].style() != Qt.BrushStyle.NoBrush  # ...on a pale backing


def test_overlaid_curves_beyond_the_colours_are_dashed():
    """The eighth curve (a series channel, a run's loss) took the first one's pen exactly."""
    from PySide6.QtCore import Qt

    from ssl_studio.gui.live_plot import COLOURS, curve_pen

    pens = [curve_pen(i) for i in range(2 * len(COLOURS))]
    looks = {(p.color().name(), p.style()) for p in pens}
    assert len(looks) == len(pens)
    assert pens[0].style() == Qt.PenStyle.SolidLine != pens[len(COLOURS)].style()


def test_a_remembered_folder_that_does_not_answer_does_not_hold_up_the_window(
    tmp_path, monkeypatch
):
    """On Windows a share gone offline can keep a file check waiting half a minute; the
    recent list (made each time the Recent menu opens) no longer waits for it."""
    import threading

    from ssl_studio.gui import recent_projects

    hung, fine = tmp_path / "share", tmp_path / "local"
    release = threading.Event()

    def note(project):
        if project == hung:
            release.wait(60)  # (a check that never comes back while the list is made)
        return ""

    monkeypatch.setattr(recent_projects, "unreachable_note", note)
    try:
        notes = recent_projects.notes_within([hung, fine], seconds=1.0)
    finally:
        release.set()
    assert notes == [
        f"Not answering now: {hung} — connect the drive or share, then try again.",
        "",
    ]


def test_opening_a_project_does_not_look_up_the_other_remembered_folders(
    settings, tmp_path, monkeypatch
):
    """Remembering the project just opened compares the others by their spelling: looking
    one up on a share gone offline could keep the window waiting. The project opened by
    a link replaces it remembered by its real path."""
    from ssl_studio.gui import recent_projects

    real = create_project(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    offline = tmp_path / "share" / "old"
    settings.setValue("recent", [str(offline), str(real)])
    looked_up = []
    resolve = Path.resolve

    def recorded(self, strict=False):
        looked_up.append(self)
        return resolve(self, strict)

    monkeypatch.setattr(Path, "resolve", recorded)
    recent_projects.remember(settings, link)
    assert looked_up == [link]
    assert settings.value("recent") == [str(link), str(offline)]  # real: the same one
