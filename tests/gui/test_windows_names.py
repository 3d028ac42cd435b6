"""Names the app suggests from a user's names (label export) and names the user types
(the wizard's export folder) hold on Windows: no subfolder made of "ct/2024", no file
named "Thorax: ..." that Windows refuses, no "CON" that ends as an unexpected error."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from ssl_studio.gui import label_export


@pytest.mark.parametrize(
    ("dataset", "name", "suggested"),
    [
        ("Thorax: Erwachsene", "finding", "Thorax_ Erwachsene-finding.csv"),
        ("ct/2024", "finding", "ct_2024-finding.csv"),
        ("CT", "Befund?", "CT-Befund_.csv"),
        ("Thorax", "v2. ", "Thorax-v2.csv"),  # (Windows drops a trailing dot or space)
        ("Lunge", "Befund ä", "Lunge-Befund ä.csv"),
    ],
)
def test_the_label_file_offered_is_one_file_in_the_home_folder(
    qtbot, monkeypatch, dataset, name, suggested
):
    parent = QWidget()
    qtbot.addWidget(parent)
    entry = {"name": name, "version": 1, "n_labels": 2}
    monkeypatch.setattr(label_export, "label_names", lambda project, dataset: [entry])
    offered: list[str] = []

    def save_as(parent, title, place, filter):
        offered.append(place)
        return "", ""  # (cancelled: nothing written)

    monkeypatch.setattr(label_export.QFileDialog, "getSaveFileName", save_as)
    assert not label_export.export_labels_dialog(parent, Path("project"), dataset)
    assert offered == [str(Path.home() / suggested)]
    assert Path(offered[0]).parent == Path.home()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("CON", "The folder name 'CON' is a name Windows keeps for a device (CON); type "
         "another name, such as '_CON'."),
        ("a:b", "The folder name 'a:b' has ':' in it, which Windows does not allow in a "
         "name; type another name, such as 'a_b'."),
        ("models/run. ", "The folder name 'run.' ends with a dot or a space, which Windows "
         "drops from a name; type another name, such as 'run'."),
    ],
)  # fmt: skip
def test_the_wizard_refuses_an_export_folder_name_windows_cannot_have(
    make_window, project, monkeypatch, typed, said
):
    exported = []
    monkeypatch.setattr(
        "ssl_studio.gui.wizard.export_page.export", lambda *a, **k: exported.append(a)
    )
    wizard = make_window(project).open_wizard()
    wizard.result = {"run_id": 3}
    page = wizard.pages["export"]
    page.folder.setText(typed)
    assert not page.export()
    assert said in page.status.text() and not exported
    assert page.folder.text() == typed  # left as typed, to correct
    assert page.export_button.isEnabled()


def test_the_wizard_exports_to_a_folder_under_a_parent_with_odd_characters(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """Only the name typed for the new folder is checked, not the folders above it."""
    exported = []
    monkeypatch.setattr(
        "ssl_studio.gui.wizard.export_page.export", lambda *a, **k: exported.append(a[2]) or {}
    )
    monkeypatch.setattr("ssl_studio.gui.wizard.export_page.card_markdown", lambda card: "")
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = {"run_id": 3}
    page = wizard.pages["export"]
    target = tmp_path / "R&D: ä" / "Befund ä"
    page.folder.setText(str(target))
    assert page.export()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert exported == [target.resolve()]
