"""The Export step's predictions: a neutral file name is suggested."""

from __future__ import annotations

PANEL = "ssl_studio.gui.panels.export_panel"


def test_the_suggested_file_name_never_carries_the_folder_s_name(
    make_window, project, tmp_path, monkeypatch
):
    folder = tmp_path / "newcases" / "Lestrade_G"  # folders are often named after patients
    folder.mkdir(parents=True)
    offered: list[str] = []

    def save_as(parent, title, suggested, filters):
        offered.append(suggested)
        return "", ""  # the user cancels

    monkeypatch.setattr(f"{PANEL}.QFileDialog.getExistingDirectory", lambda *a: str(folder))
    monkeypatch.setattr(f"{PANEL}.QFileDialog.getSaveFileName", save_as)
    panel = make_window(project).export
    panel.choose_folder()
    (tmp_path / "newcases" / "predictions.csv").write_text("earlier predictions")
    panel.choose_folder()  # the name is taken: the next free one, never the folder's name
    assert offered == [
        str(tmp_path / "newcases" / "predictions.csv"),
        str(tmp_path / "newcases" / "predictions-2.csv"),
    ]
