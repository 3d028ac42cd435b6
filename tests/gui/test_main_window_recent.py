"""The main window's recent projects: remembered with the window's geometry, cleared,
shown with odd names, kept while offline, and never waited for when they do not answer."""

from __future__ import annotations

from pathlib import Path

from ssl_studio.core.jobs import create_project


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
