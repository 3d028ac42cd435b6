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
