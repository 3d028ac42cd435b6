"""The Export step's predictions: a neutral file name is suggested, and the table fits the
window with its error and note columns in view, rows with a note shaded and counted."""

from __future__ import annotations

import csv

from PySide6.QtWidgets import QApplication

from ssl_studio.gui.colours import shade
from ssl_studio.gui.panels.export_panel import ERROR_SHADE, NOTE_SHADE

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


def test_the_predictions_table_fits_the_window_and_shows_notes(make_window, project, tmp_path):
    window = make_window(project)
    window.resize(1280, 800)
    window.show_step(5)
    deep = "/".join([str(tmp_path), "newcases", *["follow_up_scans_of_the_spring_2026"] * 3])
    note = (
        "This file is a CT DICOM image; the model was trained on PNG images. The answer may "
        "not be meaningful: use this model on files like its training data."
    )
    error = "The pixel data is shorter than the header says: the file is truncated or damaged."
    rows = [
        [f"{deep}/CT_small.dcm", 0, "0.992000", "0.008000", "pneumonia", "", note],
        [f"{deep}/MR_truncated.dcm", 0, "", "", "", error, ""],
        [f"{deep}/chest_0001.png", 0, "0.100000", "0.900000", "normal", "", ""],
    ]
    out = tmp_path / "predictions.csv"
    with out.open("w", newline="") as f:
        csv.writer(f).writerows(
            [["path", "index", "p_pneumonia", "p_normal", "predicted", "error", "note"], *rows]
        )
    panel = window.export
    panel._predicted({"cancelled": False, "items": 2, "errors": 1, "out": str(out)})
    QApplication.processEvents()
    table = panel.predictions
    shown = table.viewport().width()
    for column in range(table.columnCount()):  # every column in view, none off to the right
        right = table.columnViewportPosition(column) + table.columnWidth(column)
        assert right <= shown + 1, table.rows_model.headers[column]
    assert table.columnWidth(5) >= 150 and table.columnWidth(6) >= 150  # error, note readable
    assert table.columnWidth(0) < table.sizeHintForColumn(0)  # the long path is elided...
    assert table.tool_tip(0, 0) == rows[0][0]  # ...and whole in its tooltip
    assert table.tool_tip(0, 6) == note and table.tool_tip(1, 5) == error
    note_shade, error_shade = (shade(tint, table.palette()) for tint in (NOTE_SHADE, ERROR_SHADE))
    assert table.background(0, 0).color() == note_shade  # read with care
    assert table.background(1, 3).color() == error_shade  # not read
    assert table.background(2, 0).style().name == "NoBrush"
    text = panel.status.text()
    assert text.startswith("2 items predicted, 1 file could not be read. Saved to ")
    assert "1 prediction has a note</b> (shaded): read it with the answer" in text


def test_the_table_shows_the_status_hides_the_model_and_says_not_for_diagnosis(
    make_window, project, tmp_path
):
    from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS

    window = make_window(project)
    window.show_step(5)
    header = ["path", "file_number", "index", "p_a", "p_b", "predicted", "status", "model",
              "model_sha256", "error", "note"]  # fmt: skip
    rows = [
        ["x.png", 1, 0, "0.9", "0.1", "a", "note", "m", "0123456789abcdef", "", "2 NaN."],
        ["y.png", 2, 0, "", "", "", "error", "m", "0123456789abcdef", "No contrast.", ""],
    ]
    out = tmp_path / "predictions.csv"
    with out.open("w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    panel = window.export
    said = {"cancelled": False, "items": 1, "errors": 1, "out": str(out)}
    panel._predicted({**said, "disclaimer": NOT_FOR_DIAGNOSIS})
    table = panel.predictions
    hidden = [table.rows_model.headers[c] for c in range(11) if table.isColumnHidden(c)]
    assert hidden == ["model", "model_sha256"] and not table.isColumnHidden(6)
    assert table.background(0, 0).color() == shade(NOTE_SHADE, table.palette())
    assert table.background(1, 0).color() == shade(ERROR_SHADE, table.palette())
    assert "Not for clinical diagnosis." in panel.status.text()
